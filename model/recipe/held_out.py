"""What a trained model is measured on before it is saved, all on drawings it
never trained on, and the "not a digit" threshold chosen there."""

from __future__ import annotations

import keras
import numpy as np

from model.contract import NOT_A_DIGIT_KEYS
from model.recipe import synthesis
from model.recipe.recipe import Recipe
from model.runtime.pipelines import PIPELINES, SHRINKS

# Each pipeline's threshold calls this share of held-out phone-like digits "not
# a digit" (the product allows 2 % of real digits); the phone runs the phone's.
DIGITS_REJECTED = 0.02
HELD_OUT_NOT_DIGITS = 2000


def probabilities(model: keras.Model, inputs: np.ndarray) -> np.ndarray:
    return model.predict(inputs[..., None], batch_size=500, verbose=0)


def held_out_figures(model: keras.Model, mnist, recipe: Recipe, render, workers: int) -> dict:
    """Figures on drawings the model never trained on, all generated here:
    phone-like drawings of MNIST's test digits and drawings that are no digit
    (other seeds than training's), the phone's under every shrink. The "not a
    digit" threshold is chosen on them, on the phone's default shrink."""
    # A quick run (--limit N) measures on fewer: the first min(N, 1,000) test digits and half as many no-digits.
    measured = min(recipe.limit, 1000) if recipe.limit else len(mnist.x_test)
    test_images, test_labels = mnist.x_test[:measured], mnist.y_test[:measured]
    digits = synthesis.synthesize_parallel(test_images, test_labels, recipe.seed + 77, render, workers=workers)
    not_digits = synthesis.synthesize_parallel(None, None, recipe.seed + 78, render, workers=workers,
                                               count=measured // 2 if recipe.limit else HELD_OUT_NOT_DIGITS)
    labels = test_labels.astype(np.int64)

    def by_shrink(inputs: dict) -> dict[str, np.ndarray]:
        return {shrink: probabilities(model, inputs["phone"][:, index]) for index, shrink in enumerate(SHRINKS)}

    digit_phone, no_digit_phone = by_shrink(digits), by_shrink(not_digits)
    digit_answers = {"phone": digit_phone[SHRINKS[0]], "centred": probabilities(model, digits["centred"])}
    no_digit_answers = {"phone": no_digit_phone[SHRINKS[0]], "centred": probabilities(model, not_digits["centred"])}
    # Each pipeline's threshold by the same rule on its own inputs: one pipeline's is too low for the other's.
    thresholds = {p: not_a_digit_threshold(digit_answers[p].max(axis=1)) for p in PIPELINES}
    figures = {
        "digits_accuracy": {p: accuracy(digit_answers[p], labels) for p in PIPELINES},
        **{NOT_A_DIGIT_KEYS[p]: thresholds[p] for p in PIPELINES},
        "not_digits_caught": {p: caught(no_digit_answers[p], thresholds[p]) for p in PIPELINES},
        "phone_shrinks": {shrink: {"digits_accuracy": accuracy(digit_phone[shrink], labels),
                                   "not_digits_caught": caught(no_digit_phone[shrink], thresholds["phone"])}
                          for shrink in SHRINKS},
    }
    if recipe.held_out_handwriting:
        figures["handwriting_accuracy"] = held_out_handwriting_accuracy(model, recipe.held_out_handwriting, render)
    return figures


def accuracy(answers: np.ndarray, labels: np.ndarray) -> float:
    return round(float((answers.argmax(axis=1) == labels).mean()), 4)


def caught(answers: np.ndarray, threshold: float) -> float:
    return round(float((answers.max(axis=1) < threshold).mean()), 4)


def held_out_handwriting_accuracy(model: keras.Model, path: str, render) -> dict[str, float]:
    """Accuracy on real digits by writers training never saw, drawn as they
    were written (no placement), through each pipeline."""
    from model.runtime.pipelines import to_model_input
    from model.runtime.strokes import read_drawings

    drawings = [d for d in read_drawings(path) if d.label is not None]
    labels = np.array([d.label for d in drawings])
    bitmaps = [render(d.on_phone_canvas()) for d in drawings]
    return {p: accuracy(probabilities(model, np.stack([to_model_input(b, p) for b in bitmaps])), labels)
            for p in PIPELINES}


def not_a_digit_threshold(digit_top_probabilities: np.ndarray) -> float:
    """The top probability below which a drawing is "not a digit": it calls
    DIGITS_REJECTED of the held-out phone-like digits (through one pipeline) so."""
    return round(float(np.quantile(digit_top_probabilities, DIGITS_REJECTED)), 4)
