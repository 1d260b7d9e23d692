"""Numbers built from single digits, to measure the number mode.

Each number is one writer's digits, scaled to one height, set on one slanted
baseline, left to right, with gaps drawn from touching-and-overlapping to wide
(GAPS, of the digit height), on a canvas as tall as the phone's. What it
cannot tell: how people space, size and join digits when they write a number
at once (they shrink and lean, run digits together, write 1s narrower), so it
measures splitting and reading on numbers as varied as its ranges, not as
people write them.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from model.errors import DataError
from model.runtime.numbers import BRUSH_REACH, NUMBER_CANVAS
from model.runtime.strokes import CANVAS_SIZE, Drawing

DIGITS = (2, 8)  # how many digits a number has, at most and least
GAPS = (-0.15, 0.6)  # between two digits' ink, of the digit height: negative ones overlap
HEIGHT = (0.3, 0.55)  # of the canvas's height
SLOPE = 0.08  # the baseline's largest slope either way
MARGIN = 30.0
TRIES = 50  # slopes tried for a long number before a flat baseline
WIDEST = 20.0  # a drawing wider than this for its height is set in no number (its number would be endless)


def ink_extent(strokes) -> tuple[float, float, float, float]:
    points = np.array([p for s in strokes for p in s], np.float64)
    (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
    return float(left), float(top), float(right), float(bottom)


UNSETTABLE = f"a drawing more than {WIDEST:g} times as wide as tall, or reaching past what floats measure, is " \
    "set in no number"


def settable(drawing: Drawing) -> bool:
    """Whether a drawing can be set in a number: its ink no more than WIDEST times as wide as tall (a digit
    drawn as a flat line would make its number endless), within what floats measure."""
    left, top, right, bottom = ink_extent(drawing.on_phone_canvas())
    wide, tall = right - left, bottom - top
    return bool(np.isfinite(wide) and np.isfinite(tall) and wide / max(tall, 1.0) <= WIDEST)


def build_number(digits: list[Drawing], rng: np.random.Generator, marks: list[Drawing] = (),
                 joined: bool = False, where: tuple[str, str] = ("--strokes", "--marks")) -> dict:
    """One number's JSON record from one writer's digits (and `marks` that are no digit put among them,
    which leave it unlabelled); `joined`: two neighbouring digits written in one stroke, the pen going on
    from the end of the left one's last stroke to the start of the right one's first, as a writer joins
    digits (the record then says which, and no longer which strokes each digit has). `where` names the files
    of digits and of marks in errors."""
    for drawings, name in ((digits, where[0]), (marks, where[1])):
        for drawing in drawings:
            if not settable(drawing):
                raise DataError(f"{name}:{drawing.line}: {UNSETTABLE}")
    for attempt in range(TRIES):
        height = rng.uniform(*HEIGHT) * CANVAS_SIZE
        slope = rng.uniform(-SLOPE, SLOPE) if attempt < TRIES - 1 else 0.0  # a flat baseline always fits
        pieces, at = list(digits), []
        for mark in marks:
            at.append(int(rng.integers(0, len(pieces) + 1)))
            pieces.insert(at[-1], mark)
        placed, counts, gaps, x = [], [], [], MARGIN
        for index, drawing in enumerate(pieces):
            drawn = drawing.on_phone_canvas()
            left, top, right, bottom = ink_extent(drawn)
            scale = height / max(bottom - top, 1.0)
            width = (right - left) * scale
            if index:
                gap = rng.uniform(*GAPS) * height
                gaps.append(round(gap / height, 3))
                x += gap + 2 * BRUSH_REACH  # the gap is between the inks, the brush included
            for stroke in drawn:
                placed.append([(x + (px - left) * scale, (py - bottom) * scale + slope * (x + (px - left) * scale))
                               for px, py in stroke])
            counts.append(len(drawing.strokes))
            x += width
        ys = [y for stroke in placed for _, y in stroke]
        if max(ys) - min(ys) <= CANVAS_SIZE - 2 * MARGIN:  # else a long number on a steep baseline: less steep
            break
    canvas_width = max(NUMBER_CANVAS[0], int(np.ceil(x + MARGIN)))
    shift = (CANVAS_SIZE - (max(ys) - min(ys))) / 2 - min(ys)  # the number centred on the canvas's height
    strokes = [[[round(px, 2), round(py + shift, 2)] for px, py in stroke] for stroke in placed]
    record = {"canvas": [canvas_width, CANVAS_SIZE]}
    if not marks:
        record["label"] = "".join(str(d.label) for d in digits)
    record["writer"] = digits[0].writer
    if not joined:
        record["digits"] = counts
    record["gaps"] = gaps
    if joined:
        left = int(rng.integers(len(counts) - 1))
        end = sum(counts[:left + 1])  # the right digit's first stroke; the left one's last is just before
        strokes[end - 1:end + 1] = [strokes[end - 1] + strokes[end]]
        record["joined_at"] = left
    if marks:
        record["marks_at"] = at
    record["strokes"] = strokes
    return record


def build_numbers(drawings: list[Drawing], count: int, rng: np.random.Generator, marks: list[Drawing] = (),
                  where: str = "--strokes", joined: bool = False, marks_where: str = "--marks") -> list[dict]:
    """`count` numbers, each of one writer's digits (writers with too few digits give shorter numbers);
    with `marks`, one of them among each number's digits; `joined`, two of its digits in one stroke. `where`
    and `marks_where` name the files in errors."""
    by_writer: dict[str, list[Drawing]] = defaultdict(list)
    for drawing in drawings:
        if drawing.label is not None:
            by_writer[drawing.writer or "?"].append(drawing)
    writers = sorted(w for w, ds in by_writer.items() if len(ds) >= DIGITS[0])
    if not writers:
        raise DataError(f"{where}: no writer with {DIGITS[0]} labelled digits or more to build a number from")
    numbers = []
    for _ in range(count):
        own = by_writer[writers[int(rng.integers(len(writers)))]]
        length = min(int(rng.integers(DIGITS[0], DIGITS[1] + 1)), len(own))
        chosen = [own[i] for i in rng.choice(len(own), length, replace=False)]
        extra = [marks[int(rng.integers(len(marks)))]] if marks else []
        numbers.append(build_number(chosen, rng, extra, joined, (where, marks_where)))
    return numbers
