"""Lower-case letters as people write them, built from pen movements.

A stroke font has one `h`; people have many: the stem tall or short, the hump
round or pointed, closed to the stem or open, the whole in print or joined
with a lead-in and a tail. These are the letters of people's lower case that
get read as digits (`d` as 2, `h` as 6, `e` as 0 or 8, `r` as 5) and the
other lower case no one writes like a digit, drawn with
their proportions drawn at random: x-height, ascender, width, how far a bowl
closes, where a hump leaves its stem. Joined hands loop the ascenders of h,
k and f (f below the line too) and often write e without a bar: a rising
entry closing a slanted loop.

Units as in not_digits: a 28-unit box, y down; placement, warp, slant and
pen sampling come afterwards (synthesis.hand_drawn), as for every drawing.
"""

from __future__ import annotations

import numpy as np

from model.recipe.skeleton import fit_in_box
from model.runtime.strokes import Stroke

BASELINE = 24.0
X_HEIGHT = 12.0


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Stroke:
    """An elliptic arc from angle `start` to `end` (radians; y down, so a
    growing angle turns clockwise on the screen)."""
    steps = max(4, int(abs(end - start) / (2 * np.pi) * 36))
    angles = np.linspace(start, end, steps)
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]


class Hand:
    """One writer's proportions for one letter."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.h = X_HEIGHT * rng.uniform(0.85, 1.15)
        self.ascender = self.h * rng.uniform(1.5, 2.4)
        self.width = self.h * rng.uniform(0.55, 1.1)
        self.top = BASELINE - self.h
        self.joined = rng.random() < 0.4  # cursive: a lead-in and a tail
        self.loops_ascenders = rng.random() < 0.6  # when joined: h, k and f go up and loop back down

    @property
    def looped(self) -> bool:
        return self.joined and self.loops_ascenders

    def uniform(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def stem(self, x: float, top: float) -> Stroke:
        return [(x + self.uniform(-0.8, 0.8), top), (x, BASELINE)]

    def looped_stem(self, x: float, top: float, bottom: float = BASELINE) -> Stroke:
        """A cursive ascender: up to the right of the stem, over a narrow loop
        and straight down the stem to `bottom`."""
        loop = self.width * self.uniform(0.2, 0.45)
        radius = loop * self.uniform(0.8, 1.6)
        up_from = (x + loop * self.uniform(0.6, 1.3), BASELINE - self.h * self.uniform(0.0, 0.4))
        return [up_from] + _arc(x + loop / 2, top + radius, loop / 2, radius, 0.0, -np.pi) + [(x, bottom)]

    def hump(self, x: float, width: float, leave: float) -> Stroke:
        """From the stem at height `leave` (a fraction of the x-height) over an
        arch down to the baseline, `width` to the right."""
        ry = self.h * self.uniform(0.25, 0.6)
        cy = self.top + ry
        arch = _arc(x + width / 2, cy, width / 2, ry, np.pi, 2 * np.pi)
        return [(x, BASELINE - leave * self.h)] + arch + [(x + width + self.uniform(-0.6, 0.6), BASELINE)]

    def finish(self, strokes: list[Stroke]) -> list[Stroke]:
        if self.joined:
            first, last = strokes[0], strokes[-1]
            x, y = first[0]
            strokes[0] = [(x - self.width * self.uniform(0.3, 0.6), BASELINE - self.h * self.uniform(0.0, 0.2)),
                          (x - self.width * 0.15, (y + BASELINE) / 2)] + list(first)
            x, y = last[-1]
            strokes[-1] = list(last) + [(x + self.width * self.uniform(0.2, 0.5), y - self.h * self.uniform(0.1, 0.4))]
        return strokes


def d(hand: Hand) -> list[Stroke]:
    right = hand.width
    start = -np.pi / 2 + hand.uniform(0.3, 0.9)  # from near the stem's top, round the bowl the other way
    bowl = _arc(right / 2, BASELINE - hand.h / 2, right / 2, hand.h / 2, start,
                start - 2 * np.pi * hand.uniform(0.8, 1.0))
    stem_top = BASELINE - hand.ascender
    if hand.rng.random() < 0.5:  # print: the bowl, then the stem
        return hand.finish([bowl, hand.stem(right, stem_top)])
    return hand.finish([bowl + [(right, stem_top), (right + hand.uniform(-0.5, 0.5), BASELINE)]])


def h(hand: Hand) -> list[Stroke]:
    if hand.looped:
        return hand.finish([hand.looped_stem(0.0, BASELINE - hand.ascender)
                            + hand.hump(0.0, hand.width, hand.uniform(0.3, 0.95))])
    stem = hand.stem(0.0, BASELINE - hand.ascender)
    hump = hand.hump(0.0, hand.width, hand.uniform(0.3, 0.95))
    if hand.rng.random() < 0.5:
        return hand.finish([stem, hump])
    return hand.finish([stem + hump])


def n(hand: Hand) -> list[Stroke]:
    stem = hand.stem(0.0, hand.top + hand.uniform(-1.0, 1.0))
    hump = hand.hump(0.0, hand.width, hand.uniform(0.4, 0.95))
    return hand.finish([stem + hump] if hand.rng.random() < 0.6 else [stem, hump])


def m(hand: Hand) -> list[Stroke]:
    stem = hand.stem(0.0, hand.top + hand.uniform(-1.0, 1.0))
    first_width, second_width = hand.width * hand.uniform(0.6, 0.9), hand.width * hand.uniform(0.6, 0.9)
    first = hand.hump(0.0, first_width, hand.uniform(0.5, 0.95))
    second = hand.hump(first_width, second_width, hand.uniform(0.5, 0.95))
    return hand.finish([stem + first + second])


def r(hand: Hand) -> list[Stroke]:
    stem = hand.stem(0.0, hand.top + hand.uniform(-1.0, 1.0))
    reach = hand.width * hand.uniform(0.4, 0.8)
    ry = hand.h * hand.uniform(0.2, 0.45)
    shoulder = [(0.0, BASELINE - hand.h * hand.uniform(0.35, 0.85))] + _arc(
        reach, hand.top + ry, reach, ry, np.pi, np.pi * hand.uniform(1.5, 1.9))
    return hand.finish([stem + shoulder] if hand.rng.random() < 0.6 else [stem, shoulder])


def e(hand: Hand) -> list[Stroke]:
    if hand.joined and hand.rng.random() < 0.6:  # cursive: no bar, a rising entry closes a slanted loop
        ry = hand.h * hand.uniform(0.4, 0.5)
        loop = _arc(hand.width * 0.5, BASELINE - ry, hand.width * hand.uniform(0.4, 0.6), ry,
                    -np.pi * hand.uniform(0.1, 0.25), -2 * np.pi + hand.uniform(0.4, 1.0))
        return hand.finish([[(0.0, BASELINE - hand.h * hand.uniform(0.1, 0.3))] + loop])
    middle = BASELINE - hand.h * hand.uniform(0.4, 0.6)
    bar = [(hand.width * hand.uniform(0.0, 0.15), middle), (hand.width, middle - hand.uniform(0.0, 1.0))]
    ry = hand.h / 2
    loop = _arc(hand.width / 2, BASELINE - ry, hand.width / 2, ry, 0.0, -2 * np.pi + hand.uniform(0.5, 1.2))
    return hand.finish([bar + loop])


def f(hand: Hand) -> list[Stroke]:
    x = hand.width * 0.4
    top = BASELINE - hand.ascender
    hook_radius = hand.width * hand.uniform(0.25, 0.45)
    descender = hand.rng.random() < 0.3
    bottom = BASELINE + (hand.h * hand.uniform(0.4, 0.8) if descender else 0.0)
    # The looped hand draws the print form's proportions above too, unused: they keep the pool's random stream.
    if hand.looped:  # cursive: looped above, and below the line a loop back up to the baseline
        bottom = BASELINE + hand.h * hand.uniform(0.6, 1.0)
        stroke = hand.looped_stem(x, top, bottom) + [(x + hand.width * hand.uniform(0.2, 0.4), BASELINE)]
        return hand.finish([stroke] if hand.rng.random() < 0.5 else [stroke, [
            (x - hand.width * hand.uniform(0.2, 0.4), hand.top), (x + hand.width * hand.uniform(0.2, 0.4), hand.top)]])
    hook = _arc(x + hook_radius, top + hook_radius, hook_radius, hook_radius, np.pi * hand.uniform(1.7, 2.0), np.pi)
    stroke = hook + [(x, bottom)]
    bar_y = hand.top + hand.uniform(-1.0, 1.0)
    bar = [(x - hand.width * hand.uniform(0.2, 0.5), bar_y), (x + hand.width * hand.uniform(0.2, 0.5), bar_y)]
    return hand.finish([stroke, bar])


def k(hand: Hand) -> list[Stroke]:
    if hand.looped:
        stem = hand.looped_stem(0.0, BASELINE - hand.ascender)
    else:
        stem = hand.stem(0.0, BASELINE - hand.ascender)
    waist = BASELINE - hand.h * hand.uniform(0.3, 0.6)
    arm = [(hand.width * hand.uniform(0.6, 1.0), hand.top + hand.uniform(-1.0, 1.0)), (0.0, waist),
           (hand.width * hand.uniform(0.7, 1.0), BASELINE)]
    return hand.finish([stem, arm])


def v(hand: Hand) -> list[Stroke]:
    bottom = hand.width * hand.uniform(0.4, 0.6)
    return hand.finish([[(0.0, hand.top), (bottom, BASELINE), (hand.width, hand.top + hand.uniform(-1.5, 1.0))]])


def w(hand: Hand) -> list[Stroke]:
    width = hand.width * hand.uniform(1.3, 1.8)
    middle = hand.top + hand.h * hand.uniform(0.0, 0.5)
    points = [(0.0, hand.top), (width * 0.25, BASELINE), (width * 0.5, middle), (width * 0.75, BASELINE),
              (width, hand.top)]
    return hand.finish([points])


def x(hand: Hand) -> list[Stroke]:
    lean = hand.uniform(-1.5, 1.5)
    return [[(0.0, hand.top), (hand.width, BASELINE)], [(hand.width + lean, hand.top), (lean, BASELINE)]]


def t(hand: Hand) -> list[Stroke]:
    top = BASELINE - hand.h * hand.uniform(1.3, 1.9)
    stem = hand.stem(0.0, top)
    if hand.rng.random() < 0.7:  # the foot turns right
        curl = hand.width * hand.uniform(0.3, 0.6)
        stem = stem[:-1] + _arc(curl, BASELINE - curl, curl, curl, np.pi, np.pi * hand.uniform(0.35, 0.6))
    bar_y = hand.top + hand.uniform(-1.0, 1.5)
    bar = [(-hand.width * hand.uniform(0.25, 0.5), bar_y), (hand.width * hand.uniform(0.3, 0.6), bar_y)]
    return hand.finish([stem, bar])


def p(hand: Hand) -> list[Stroke]:
    bottom = BASELINE + hand.h * hand.uniform(0.5, 0.9)
    stem = hand.stem(0.0, hand.top + hand.uniform(-1.0, 1.0))
    stem[-1] = (stem[-1][0], bottom)
    ry = hand.h / 2
    bowl = _arc(hand.width / 2, hand.top + ry, hand.width / 2, ry, np.pi * hand.uniform(1.0, 1.2),
                np.pi * hand.uniform(2.8, 3.05))
    if hand.rng.random() < 0.5:  # one stroke: down the stem, back up, round the bowl
        return hand.finish([stem + [(0.0, hand.top + ry * 0.3)] + bowl])
    return hand.finish([stem, bowl])


def y(hand: Hand) -> list[Stroke]:
    bottom = BASELINE + hand.h * hand.uniform(0.6, 1.0)
    join = (hand.width * hand.uniform(0.4, 0.6), BASELINE)
    left = [(0.0, hand.top), join]
    right = [(hand.width, hand.top + hand.uniform(-1.0, 1.0)), (join[0] - hand.width * hand.uniform(0.1, 0.4), bottom)]
    if hand.rng.random() < 0.4:  # the tail hooks back to the left
        right.append((right[-1][0] - hand.width * hand.uniform(0.2, 0.4), bottom - hand.h * hand.uniform(0.1, 0.3)))
    return [left, right]  # no lead-in: joined, a y's first arm becomes a 7's bar


# Not a, c, u: an open 0 or 9, a 4 with a round bottom are written like them;
# nor g, q (9), s (5), z (2), b (6), l, i, j (1), o (0).
WRITERS = (d, e, f, h, k, m, n, p, r, t, v, w, x, y)


def written_lower_case(rng: np.random.Generator) -> list[Stroke]:
    """A lower-case letter as a person writes it, in the 28-unit box."""
    letter = WRITERS[rng.integers(len(WRITERS))]
    return fit_in_box([list(stroke) for stroke in letter(Hand(rng)) if stroke])
