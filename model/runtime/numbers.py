"""Numbers: several digits written on a wide canvas, split into digits and each
read as the phone reads one digit.

Splitting over-segments and lets the recogniser choose: the strokes are the
smallest pieces; every run of strokes neighbouring across the canvas, or drawn
one after another, that could be one digit (strokes that overlap or nearly
touch across) is a candidate; each candidate is placed on the phone's 375x375
canvas as a person draws one digit there (the writer's size kept, centred) and
read through the chosen pipeline and model; dynamic programming picks the split
whose digits the model reads most surely, with a prior against splits a person
would not make (a digit much wider than tall or much shorter than the others, a
gap inside a digit, a mark deep within its neighbour's span). So a 4 or a 5
drawn in two strokes, a flag, a bar through a zero are one digit, and digits
that touch or overlap a little are still two. A stroke that runs on from one
digit into the next is cut where it joins them (joins), and its pieces are
split like strokes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import pairwise

import numpy as np

from model.runtime.strokes import CANVAS_SIZE, MOST_DIGITS, Point, Stroke, fitted
from model.runtime.verdict import DIGIT, NOT_A_DIGIT, UNSURE

NUMBER_CANVAS = (4 * CANVAS_SIZE, CANVAS_SIZE)  # as tall as the phone's, four times as wide: eight digits
BRUSH_REACH = 5.0  # half the brush: a stroke's ink reaches this far past its points
MOST_STROKES = 4  # in one digit
# More strokes than a number of MOST_DIGITS digits has are read as no number, unread: each takes a read of its
# own, and a scribble of thousands would hold the app for seconds.
MOST_NUMBER_STROKES = MOST_STROKES * MOST_DIGITS
NEAR = 0.1  # of the digit height: strokes whose inks overlap across, or come this close, may be one digit
# The prior, in the same units as -log(probability), against splits a person would not make. Set from how
# digits are written and from numbers of writers other than UNIPEN's (docs/history.md): a digit is seldom
# wider than tall, a gap inside it seldom wider than a pen's lift, a digit seldom much shorter than the
# number's others (a 5's flag, a dash), and neighbouring digits follow one another across the canvas, so a
# mark whose middle lies deep within its neighbour's span is seldom a digit of its own (a bar through a
# zero, a 4's stem).
WIDE_COST = 6.0  # per unit of width / its own height past WIDEST
WIDEST = 1.2
GAP_COST = 8.0  # per unit of gap / digit height inside a digit
SHORT_COST = 20.0  # per unit of height / digit height below SHORTEST
SHORTEST = 0.5
DEEP_COST = 30.0  # per unit of depth / digit height past DEEPEST
DEEPEST = 0.2  # neighbours that touch or overlap a little lie less deep
FLOOR = 1e-6  # the least probability a reading is counted with
MOST_COST = 1e9  # what a digit or two neighbours cost at most: a file's stroke may reach so far that a prior overflows
# A number is read surely only if its digits' top probabilities multiply to this: the chance, were the model
# calibrated, that every digit is right. Chosen by rules written before measuring, on numbers of pendigits'
# test writers with Quick, Draw! doodles and held-out stroke-font letters among them: the strictest that costs
# real numbers read right and sure no more than 5 points (docs/history.md).
NUMBER_SURE = 0.7
# One writer's number leans one way: a letter's strokes read one by one as 1s (X as "/ \", M and N as
# "| \ |") do not. A number is not read surely when two of its 1s lean more than LEAN_APART degrees apart or
# a 1 leans more than STEEPEST from upright. Chosen by a rule written before measuring, on numbers of UJI's
# and DigiLeTs' writers with DigiLeTs' letters among them (docs/history.md).
LEAN_APART = 20.0
STEEPEST = 40.0
# A letter's other strokes are drawn on from its stem (the "<" of a k, the bowl of an R, the hump of an h) and
# read less surely than a real digit drawn touching a 1: a number is not read surely when a stroke of one of its
# digits starts or ends on the ink of a neighbouring 1 and that digit's top probability is below ON_A_ONE_SURE.
# Chosen by a rule written before measuring, on two samples of numbers of UJI's and DigiLeTs' writers with
# DigiLeTs' letters and Quick, Draw! doodles among them (docs/history.md).
ON_A_ONE_SURE = 0.99
# A writer may join two digits in one stroke (the pen going on from one to the next). A stroke that, read alone,
# is no sure digit is cut where a vertical line crosses its pen path once and its path on each side is at least
# SHORTEST of the digit height tall, at the middle of each run of such lines, CUT_STEP apart. Its pieces are
# split like strokes, so the split joins them again unless they read better apart by more than CUT_COST; a
# number with a digit cut so is never read surely. Chosen by rules written before measuring, on numbers of UJI's
# and DigiLeTs' writers with two digits joined, and without (docs/history.md).
CUT_STEP = 4.0
CUT_COST = 2.0  # per cut the split keeps, in the prior's units: a digit is cut only where its pieces read far better


Box = tuple[float, float, float, float]  # left, top, right, bottom


@dataclass(frozen=True)
class Mark:
    """One digit of a number (or a mark that is none): its strokes and where it is."""
    strokes: tuple[int, ...]  # indices into the number's strokes
    box: Box  # left, top, right, bottom on the number's canvas, ink included
    lean: float | None = None  # of a mark read as 1: degrees from upright of its pen path's axis (None: a dot)
    on_a_one: bool = False  # a stroke of it starts or ends on the ink of a neighbouring mark read surely as 1


@dataclass(frozen=True)
class NumberReading:
    """A number's marks and their readings; what follows from them is worked out once, when first asked (the
    canvas, its buttons and the verdict ask several times an update)."""
    marks: list[Mark]
    predictions: list  # a Prediction (model.runtime.engines) for each mark
    strokes: list[Stroke] = field(default_factory=list)  # the marks' strokes point into these: the number's,
    # each cut where it joins two digits
    cut_from: list[int] = field(default_factory=list)  # for each of `strokes`, the stroke drawn it is (part of)
    unread: int = 0  # strokes drawn, when more than MOST_NUMBER_STROKES and so not read

    def mark_strokes(self, index: int) -> list[Stroke]:
        """The strokes of mark `index` as read, the pieces of a stroke it holds joined again."""
        return rejoined(self.marks[index].strokes, self.strokes, self.cut_from)

    def drawn(self, index: int) -> tuple[int, ...]:
        """The strokes drawn that mark `index` holds, whole or in part."""
        return tuple(sorted({self.cut_from[i] for i in self.marks[index].strokes}))

    def whole(self, index: int) -> bool:
        """Whether mark `index` holds each stroke drawn it holds whole (no piece of one cut where it joins)."""
        held = [self.cut_from[i] for i in self.marks[index].strokes]
        return all(held.count(stroke) == self.cut_from.count(stroke) for stroke in set(held))

    @property
    def text(self) -> str:
        """The phone's answer for each mark, side by side: what it would print digit by digit."""
        return "".join(str(p.digit) for p in self.predictions)

    @cached_property
    def together(self) -> float:
        """The product of the digits' top probabilities."""
        return math.prod(float(p.probabilities.max()) for p in self.predictions)

    @cached_property
    def ones_astray(self) -> tuple[list[int], str | None]:
        """The marks read surely as 1s that cannot be one writer's (LEAN_APART, STEEPEST), and why."""
        leans = [(index, mark.lean) for index, (mark, p) in enumerate(zip(self.marks, self.predictions, strict=True))
                 if p.digit == 1 and p.verdict.kind == DIGIT and mark.lean is not None]
        steep = [index for index, lean in leans if abs(lean) > STEEPEST]
        if steep:
            return steep, "a 1 leans too far"
        astray = [index for index, lean in leans if any(apart(lean, other) > LEAN_APART for _, other in leans)]
        return (astray, "its 1s lean different ways") if astray else ([], None)

    @cached_property
    def drawn_from_ones(self) -> tuple[list[int], str | None]:
        """The digits read surely but below ON_A_ONE_SURE that start or end on a neighbouring 1, and why."""
        drawn = [index for index, (mark, p) in enumerate(zip(self.marks, self.predictions, strict=True))
                 if mark.on_a_one and p.verdict.kind == DIGIT and float(p.probabilities.max()) < ON_A_ONE_SURE]
        if not drawn:
            return [], None
        which = ", ".join(str(index + 1) for index in drawn)
        return drawn, f"digit {which} is drawn on from a 1, as a k's or an R's strokes are" if len(drawn) == 1 \
            else f"digits {which} are drawn on from 1s, as a k's or an R's strokes are"

    @cached_property
    def cut_apart(self) -> tuple[list[int], str | None]:
        """The marks holding a piece of a stroke cut where it joins two digits, and why they are in doubt."""
        cut = [index for index in range(len(self.marks)) if self.cut_from and not self.whole(index)]
        if not cut:
            return [], None
        which = " and ".join(", ".join(str(index + 1) for index in cut).rsplit(", ", 1))
        return cut, f"digits {which} are cut from one stroke: lift the pen between digits"

    @cached_property
    def in_doubt(self) -> list[int]:
        """The marks read surely one by one that keep the number from being read surely."""
        return sorted({*self.ones_astray[0], *self.drawn_from_ones[0], *self.cut_apart[0]})

    @cached_property
    def kind(self) -> str:
        """DIGIT when every mark is surely a digit, all of them together are (NUMBER_SURE), its 1s lean alike
        and none is drawn on from a 1 or cut from one stroke; NOT_A_DIGIT when any mark is none; else UNSURE."""
        kinds = {p.verdict.kind for p in self.predictions}
        if not self.predictions:  # nothing drawn, or more than a number's strokes
            return NOT_A_DIGIT
        if NOT_A_DIGIT in kinds:
            return NOT_A_DIGIT
        sure = UNSURE not in kinds and self.together >= NUMBER_SURE and not self.in_doubt
        return DIGIT if sure else UNSURE

    @property
    def verdict_text(self) -> str:
        """The number; "not sure: 20?6 (2 or 7)" with every reason it has; or which mark is no digit."""
        if self.unread:
            return f"Not a number: {self.unread:,} strokes, more than a number of {MOST_DIGITS} digits has"
        if not self.predictions:
            return "Nothing drawn"
        if self.kind == NOT_A_DIGIT:
            which = [index + 1 for index, p in enumerate(self.predictions) if p.verdict.kind == NOT_A_DIGIT]
            if len(which) > 8:
                return f"Not a number: {len(which)} of its {len(self.marks)} marks are no digits"
            marks = ", ".join(map(str, which))
            return f"Not a number: mark {marks} of {len(self.marks)} is no digit" if len(which) == 1 else \
                f"Not a number: marks {marks} of {len(self.marks)} are no digits"
        if self.kind == UNSURE:
            shown = "".join("?" if p.verdict.kind == UNSURE else str(p.digit) for p in self.predictions)
            reasons = [f"{p.verdict.digit} or {p.verdict.runner_up}" for p in self.predictions
                       if p.verdict.kind == UNSURE]
            if not reasons and self.together < NUMBER_SURE:
                reasons.append(f"each digit likely, all {len(self.predictions)} together {self.together:.0%}")
            reasons += [reason for indices, reason in (self.ones_astray, self.drawn_from_ones, self.cut_apart)
                        if indices]
            return f"Not sure: {shown} ({'; '.join(reasons)})"
        return self.text


def on_number_canvas(drawing) -> list[Stroke]:
    """A number drawing's strokes on the number canvas: as drawn when its canvas is that one, else scaled to
    its height (and narrower if it would not fit) and centred, as a digit's are on the phone's."""
    return fitted(drawing.strokes, drawing.canvas, NUMBER_CANVAS)


def ink_box(strokes: Sequence[Stroke]) -> tuple[float, float, float, float]:
    """The box the strokes' ink covers. (In plain Python: a number's reading asks for a few dozen of these, and
    numpy takes three times as long for a stroke's hundred points.)"""
    xs = [float(x) for stroke in strokes for x, _ in stroke]
    ys = [float(y) for stroke in strokes for _, y in stroke]
    return min(xs) - BRUSH_REACH, min(ys) - BRUSH_REACH, max(xs) + BRUSH_REACH, max(ys) + BRUSH_REACH


def placed(strokes: Sequence[Stroke]) -> list[Stroke]:
    """A digit's strokes as a person draws one digit on the phone's canvas: the writer's size kept (made
    smaller only if it would not fit), its ink box centred."""
    left, top, right, bottom = ink_box(strokes)
    # In halves (the same numbers: halving is exact): a stroke from a file may reach so far that a sum or a
    # difference of its coordinates overflows.
    half = max(right / 2 - left / 2, bottom / 2 - top / 2, 1e-9)
    scale = min(1.0, (CANVAS_SIZE - 2 * BRUSH_REACH) / 2 / half)
    centre_x, centre_y = left / 2 + right / 2, top / 2 + bottom / 2
    middle = CANVAS_SIZE / 2
    return [[(middle + (x / 2 - centre_x / 2) * 2 * scale, middle + (y / 2 - centre_y / 2) * 2 * scale)
             for x, y in stroke] for stroke in strokes]


def lean(strokes: Sequence[Stroke], step: float = 2.0) -> float | None:
    """Degrees from upright (-90 to 90) of the main axis of the strokes' pen path, its points taken evenly
    along it (a slow stroke's many points weigh no more); None for a dot, or for a path too far out to measure."""
    points = []
    with np.errstate(over="ignore", invalid="ignore"):  # a stroke from a file may reach past what floats measure
        for stroke in strokes:
            path = np.asarray(stroke, np.float64)
            along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))]) if len(path) > 1 \
                else np.zeros(1)
            if not np.isfinite(along[-1]):
                return None
            # A few thousand points at most, however far off the canvas a stroke from a file reaches.
            at = np.arange(0.0, along[-1] + 1e-9, max(step, along[-1] / 4096))
            points.append(np.column_stack([np.interp(at, along, path[:, 0]), np.interp(at, along, path[:, 1])]))
        points = np.vstack(points)
        if np.ptp(points, axis=0).max() == 0:
            return None
        covariance = np.cov(points.T)
        if not np.isfinite(covariance).all():
            return None
    _, axes = np.linalg.eigh(covariance)
    across, down = axes[:, -1]
    return (math.degrees(math.atan2(across, down)) + 90) % 180 - 90


def apart(first: float, second: float) -> float:
    """Degrees between two leans, as lines (a lean of 89 and one of -89 are 2 apart)."""
    difference = abs(first - second) % 180
    return min(difference, 180 - difference)


def union(boxes: Sequence[Box]) -> Box:
    """The box around boxes: a group of strokes' ink box from its strokes' own."""
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def runs(order: Sequence[int], boxes: Sequence[Box], digit: float) -> list[tuple[int, int]]:
    """The runs (start, end) of `order` that may be one digit: at most MOST_STROKES strokes, each one's ink
    overlapping the others' across or coming within NEAR of the digit height."""
    found = []
    for start in range(len(order)):
        left, right = boxes[order[start]][0], boxes[order[start]][2]
        for end in range(start + 1, min(start + MOST_STROKES, len(order)) + 1):
            if end > start + 1:
                added = boxes[order[end - 1]]
                if added[0] - right > NEAR * digit or left - added[2] > NEAR * digit:
                    break
                left, right = min(left, added[0]), max(right, added[2])
            found.append((start, end))
    return found


def orders(boxes: Sequence[Box]) -> list[list[int]]:
    """The orders a number's strokes are split along: across the canvas, and as they were drawn (a digit's
    strokes follow one another in time even where its ink reaches under its neighbour's)."""
    across = sorted(range(len(boxes)), key=lambda i: ((boxes[i][0] + boxes[i][2]) / 2, i))
    drawn = list(range(len(boxes)))
    return [across] if across == drawn else [across, drawn]


def digit_height(boxes: Sequence[Box]) -> float:
    """How tall the number's digits are: the upper quartile of its strokes' ink heights (the number's own
    height grows with a slanted baseline; a digit's bars and flags are shorter than the digit)."""
    return max(float(np.percentile([box[3] - box[1] for box in boxes], 75)), 2 * BRUSH_REACH)


def prior(boxes: Sequence[Box], digit: float) -> float:
    """What a digit costs before the model is asked, from its strokes' ink boxes: wider than tall, with a gap
    inside it, or much shorter than the number's digits."""
    left, top, right, bottom = union(boxes)
    cost = WIDE_COST * max(0.0, (right - left) / max(bottom - top, digit * 0.3) - WIDEST)
    cost += SHORT_COST * max(0.0, SHORTEST - (bottom - top) / digit)
    spans = sorted((box[0], box[2]) for box in boxes)
    reach = spans[0][1]
    for start, end in spans[1:]:
        if start > reach:
            cost += GAP_COST * (start - reach) / digit
        reach = max(reach, end)
    return cost


def between(first: Box, second: Box, digit: float) -> float:
    """What two neighbouring digits cost for overlapping across: nothing until the narrower one's middle lies
    deeper than DEEPEST within the other's span."""
    narrow, wide = sorted((first, second), key=lambda box: box[2] - box[0])
    middle = (narrow[0] + narrow[2]) / 2
    return DEEP_COST * max(0.0, min(middle - wide[0], wide[2] - middle) / digit - DEEPEST)


def read_number(strokes: Sequence[Stroke], read: Callable[[list[list[Stroke]]], list]) -> NumberReading:
    """Split `strokes` (on the number's canvas, in the order drawn) into digits and read each.
    `read(digits)` reads digits already placed on the phone's canvas and returns a Prediction for each, in
    one call."""
    drawn = [list(stroke) for stroke in strokes if stroke]
    if not drawn or len(drawn) > MOST_NUMBER_STROKES:
        return NumberReading([], [], unread=len(drawn) if drawn else 0)
    drawn_boxes = [ink_box([stroke]) for stroke in drawn]
    digit = digit_height(drawn_boxes)
    # Each stroke alone first; one read surely as a digit alone is not looked at for joins.
    strokes, cut_from, boxes, predictions = [], [], [], {}
    for index, (stroke, alone) in enumerate(zip(drawn, read([placed([stroke]) for stroke in drawn]), strict=True)):
        pieces = [stroke] if alone.verdict.kind == DIGIT else cut_at(stroke, joins(stroke, digit))
        if len(pieces) == 1:
            predictions[(len(strokes),)] = alone
            boxes.append(drawn_boxes[index])
        else:
            boxes += [ink_box([piece]) for piece in pieces]
        strokes += pieces
        cut_from += [index] * len(pieces)
    splits = [(order, runs(order, boxes, digit)) for order in orders(boxes)]
    groups = list(dict.fromkeys(group_of(order, run) for order, found in splits for run in found))
    priors = {group: prior([boxes[i] for i in group], digit) + CUT_COST / 2 * len(loose_ends(group, cut_from))
              for group in groups}

    def read_groups(chosen: list[tuple[int, ...]]) -> None:
        if chosen:
            predictions.update(zip(chosen, read([placed(rejoined(group, strokes, cut_from)) for group in chosen]),
                                   strict=True))

    def cost(group: tuple[int, ...]) -> float:
        return -math.log(max(float(predictions[group].probabilities.max()), FLOOR)) + priors[group]

    def apart(group: tuple[int, ...]) -> float:
        """What the group's strokes cost read one by one, side by side across the canvas."""
        alone = sorted(group, key=lambda i: boxes[i][0] + boxes[i][2])
        return sum(cost((i,)) for i in group) + sum(between(boxes[a], boxes[b], digit)
                                                    for a, b in pairwise(alone))

    # Each piece alone next: a group whose prior alone costs more than its strokes read apart is not read.
    read_groups([group for group in groups if len(group) == 1 and group not in predictions])
    read_groups([group for group in groups if len(group) > 1 and priors[group] < apart(group)])
    costs = {group: bounded(cost(group)) if group in predictions else math.inf for group in groups}
    group_boxes = {group: union([boxes[i] for i in group]) for group in groups}
    _, chosen = min((best_split(order, found, costs, lambda a, b: between(group_boxes[a], group_boxes[b], digit))
                     for order, found in splits), key=lambda split: split[0])
    marks = sorted((Mark(group, group_boxes[group], lean([strokes[i] for i in group])
                         if predictions[group].digit == 1 else None) for group in chosen),
                   key=lambda mark: (mark.box[0] + mark.box[2], mark.strokes))
    ones = [predictions[mark.strokes].digit == 1 and predictions[mark.strokes].verdict.kind == DIGIT
            for mark in marks]
    marks = [replace(mark, on_a_one=any(ones[j] and ends_on([strokes[i] for i in mark.strokes],
                                                              [strokes[i] for i in marks[j].strokes], marks[j].box)
                                        for j in (index - 1, index + 1) if 0 <= j < len(marks)))
             for index, mark in enumerate(marks)]
    return NumberReading(marks, [predictions[mark.strokes] for mark in marks], strokes, cut_from)


def joins(stroke: Stroke, digit: float) -> list[tuple[int, Point]]:
    """Where a stroke joins two digits: for each cut, its segment (by the index of its first point) and the
    point on it, in the order drawn. A cut is at the middle of a run of vertical lines, CUT_STEP apart, that
    cross the pen path once, where the path on each side is at least SHORTEST of the digit height tall."""
    path = np.asarray(stroke, np.float64)
    if len(path) < 3 or not np.isfinite(path).all():
        return []
    xs, ys = path[:, 0], path[:, 1]
    with np.errstate(over="ignore"):  # a stroke from a file may reach far off the canvas
        if not (xs.max() - xs.min()) / CUT_STEP * len(path) <= 4_000_000:
            return []
    lines = np.arange(xs.min() + CUT_STEP, xs.max(), CUT_STEP)
    if not len(lines):
        return []
    low, high = np.minimum(xs[:-1], xs[1:])[:, None], np.maximum(xs[:-1], xs[1:])[:, None]
    crossing = (low < lines) & (lines <= high)  # segment by line; a path touching a line and turning back crosses twice
    segment = crossing.argmax(axis=0)
    tall = SHORTEST * digit - 2 * BRUSH_REACH
    before = np.maximum.accumulate(ys) - np.minimum.accumulate(ys)  # the path's height up to each point
    after = (np.maximum.accumulate(ys[::-1]) - np.minimum.accumulate(ys[::-1]))[::-1]  # from each point on
    cuttable = (crossing.sum(axis=0) == 1) & (before[segment] >= tall) & (after[segment + 1] >= tall)
    cuts = []
    for run in np.split(np.flatnonzero(cuttable), np.flatnonzero(np.diff(np.flatnonzero(cuttable)) > 1) + 1):
        if len(run):
            line = run[len(run) // 2]
            at = int(segment[line])
            (x0, y0), (x1, y1) = path[at], path[at + 1]
            along = (lines[line] - x0) / (x1 - x0)
            cuts.append((at, (float(lines[line]), float(y0 + along * (y1 - y0)))))
    return sorted(cuts)


def cut_at(stroke: Stroke, cuts: Sequence[tuple[int, Point]]) -> list[Stroke]:
    """A stroke cut into pieces at `cuts` (as joins gives them); each piece ends where the next begins."""
    pieces, piece, cuts = [], [tuple(stroke[0])], list(cuts)
    for at in range(len(stroke) - 1):
        while cuts and cuts[0][0] == at:
            point = cuts.pop(0)[1]
            pieces.append([*piece, point])
            piece = [point]
        piece.append(tuple(stroke[at + 1]))
    return [*pieces, piece]


def loose_ends(group: Sequence[int], cut_from: Sequence[int]) -> list[int]:
    """The pieces of a group whose stroke goes on in a piece outside it: where a cut parts the group from a
    neighbour."""
    held = set(group)
    return [index for index in group for other in (index - 1, index + 1)
            if 0 <= other < len(cut_from) and other not in held and cut_from[other] == cut_from[index]]


def rejoined(group: Sequence[int], strokes: Sequence[Stroke], cut_from: Sequence[int]) -> list[Stroke]:
    """The strokes of a group of pieces, neighbouring pieces of one stroke joined again as it was drawn."""
    joined: list[Stroke] = []
    for previous, index in zip([None, *group[:-1]], group, strict=True):
        if previous == index - 1 and cut_from[previous] == cut_from[index]:
            joined[-1] = [*joined[-1], *strokes[index][1:]]
        else:
            joined.append(list(strokes[index]))
    return joined


def ends_on(strokes: Sequence[Stroke], other: Sequence[Stroke], box: Box | None = None,
            reach: float = 2 * BRUSH_REACH) -> bool:
    """Whether an end of one of `strokes` lies within `reach` of the pen path of `other` (on its ink); `box`:
    `other`'s ink box, where it is known already."""
    ends = np.array([stroke[at] for stroke in strokes for at in (0, -1)], np.float64)
    left, top, right, bottom = box or ink_box(other)
    near = (ends[:, 0] >= left - reach) & (ends[:, 0] <= right + reach) & \
        (ends[:, 1] >= top - reach) & (ends[:, 1] <= bottom + reach)
    with np.errstate(over="ignore", invalid="ignore"):  # a stroke from a file may reach past what floats measure
        for end in ends[near]:
            for stroke in other:
                path = np.asarray(stroke, np.float64)
                start, step = path[:-1], np.diff(path, axis=0)
                if not len(step):
                    start, step = path, np.zeros_like(path)
                length = (step ** 2).sum(axis=1)
                along = np.clip(((end - start) * step).sum(axis=1) / np.where(length > 0, length, 1.0), 0.0, 1.0)
                if (np.hypot(*(end - start - along[:, None] * step).T) <= reach).any():
                    return True
    return False


def best_split(order: Sequence[int], found: Sequence[tuple[int, int]], costs: dict[tuple[int, ...], float],
               pair: Callable[[tuple[int, ...], tuple[int, ...]], float]) -> tuple[float, list[tuple[int, ...]]]:
    """The split of `order` into runs of `found` that costs least, each run's cost and each two neighbouring
    runs' `pair` counted (dynamic programming over a split's last run), and its cost. A run costing infinity
    (not read) is in no split."""
    group = {run: group_of(order, run) for run in found}
    ending: dict[int, list[tuple[int, int]]] = {}
    best: dict[tuple[int, int], tuple[float, tuple[int, int] | None]] = {}  # run: least cost of a split to it
    for run in sorted(found, key=lambda run: run[1]):
        start, end = run
        cost = costs[group[run]]
        if cost == math.inf:
            continue
        if start == 0:
            best[run] = (cost, None)
        elif ending.get(start):
            reached = min((best[last][0] + bounded(pair(group[last], group[run])), last) for last in ending[start])
            best[run] = (reached[0] + cost, reached[1])
        else:
            continue
        ending.setdefault(end, []).append(run)
    last = min(ending[len(order)], key=lambda run: best[run][0])
    total, chosen = best[last][0], []
    while last is not None:
        chosen.append(group[last])
        last = best[last][1]
    return total, chosen[::-1]


def bounded(cost: float) -> float:
    """A cost, MOST_COST at most (and where it overflowed or is not a number)."""
    return cost if cost < MOST_COST else MOST_COST


def group_of(order: Sequence[int], run: tuple[int, int]) -> tuple[int, ...]:
    """The strokes of a run of `order`, by index: one candidate digit, whichever order found it."""
    return tuple(sorted(order[run[0]:run[1]]))
