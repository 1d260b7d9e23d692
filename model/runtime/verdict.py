"""The desktop's honest answer, from the model's ten probabilities alone, so the
phone can reach the same one with a comparison or two.

- "not a digit": the top probability is below the model's threshold
  (`not_a_digit_below`, chosen when it was trained and stored in the .mlmodel);
- "unsure": the runner-up has at least UNSURE_RATIO of the top probability,
  so the answer names both ("2 or 8?");
- otherwise a digit.
The phone's own answer ("Digit may be: N", the top class) is shown unchanged beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UNSURE_RATIO = 0.5

DIGIT, UNSURE, NOT_A_DIGIT = "digit", "unsure", "not a digit"


@dataclass(frozen=True)
class Verdict:
    kind: str  # DIGIT, UNSURE or NOT_A_DIGIT
    digit: int  # the top class
    runner_up: int
    top_probability: float

    @property
    def text(self) -> str:
        if self.kind == NOT_A_DIGIT:
            return "Not a digit"
        if self.kind == UNSURE:
            return f"{self.digit} or {self.runner_up}?"
        return str(self.digit)


def judge(probabilities: np.ndarray, not_a_digit_below: float | None) -> Verdict:
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    order = np.argsort(probabilities)[::-1]
    top, second = float(probabilities[order[0]]), float(probabilities[order[1]])
    if not_a_digit_below is not None and top < not_a_digit_below:
        kind = NOT_A_DIGIT
    elif second >= UNSURE_RATIO * top:
        kind = UNSURE
    else:
        kind = DIGIT
    return Verdict(kind, int(order[0]), int(order[1]), top)


def not_a_digit_mask(probabilities: np.ndarray, not_a_digit_below: float | None) -> np.ndarray:
    """For (N, 10) probabilities: which rows are "not a digit"."""
    if not_a_digit_below is None:
        return np.zeros(len(probabilities), bool)
    return np.asarray(probabilities).max(axis=1) < not_a_digit_below
