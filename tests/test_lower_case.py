import numpy as np
import pytest

from model.recipe import lower_case
from model.recipe.lower_case import WRITERS, Hand, written_lower_case


def test_every_letter_fills_the_28_unit_box_with_finite_strokes():
    rng = np.random.default_rng(0)
    for _ in range(2000):
        strokes = written_lower_case(rng)
        points = np.array([p for stroke in strokes for p in stroke])
        assert all(len(stroke) >= 2 for stroke in strokes) and np.isfinite(points).all()
        low, high = points.min(axis=0), points.max(axis=0)
        assert low.min() >= 0 and high.max() <= 28 and np.isclose((high - low).max(), 24)


@pytest.mark.parametrize(("letter", "stem_side"), [(lower_case.d, "right"), (lower_case.h, "left"),
                                                   (lower_case.k, "left")])
def test_an_ascender_rises_on_its_own_side(letter, stem_side):
    rng = np.random.default_rng(1)
    for _ in range(50):
        hand = Hand(rng)
        hand.joined = False
        points = np.array([p for stroke in letter(hand) for p in stroke])
        above_x_height = points[points[:, 1] < hand.top - 1.0]
        middle = (points[:, 0].min() + points[:, 0].max()) / 2
        assert len(above_x_height) and (above_x_height[:, 0].mean() > middle) == (stem_side == "right")


def test_letters_come_in_print_and_joined_hands_and_every_letter_is_drawn():
    rng = np.random.default_rng(2)
    hands = [Hand(rng) for _ in range(400)]
    assert 0.25 < np.mean([hand.joined for hand in hands]) < 0.55
    stroke_counts = {writer.__name__: {len(writer(Hand(rng))) for _ in range(60)} for writer in WRITERS}
    assert set(stroke_counts) == set("defhkmnprtvwxy")
    assert stroke_counts["d"] == {1, 2} and stroke_counts["h"] == {1, 2}  # in one stroke or two


@pytest.mark.parametrize("letter", [lower_case.p, lower_case.y])
def test_a_descender_reaches_below_the_baseline(letter):
    rng = np.random.default_rng(3)
    for _ in range(50):
        hand = Hand(rng)
        points = np.array([p for stroke in letter(hand) for p in stroke])
        assert points[:, 1].max() > lower_case.BASELINE + 0.4 * hand.h


def test_a_t_has_its_bar_across_its_stem_near_the_x_height():
    rng = np.random.default_rng(4)
    for _ in range(50):
        hand = Hand(rng)
        hand.joined = False
        stem, bar = lower_case.t(hand)
        (left, bar_y), (right, _) = bar
        assert left < stem[0][0] < right and abs(bar_y - hand.top) <= 1.5
        assert min(y for _, y in stem) < hand.top - 2  # the stem rises above its bar


@pytest.mark.parametrize("letter", [lower_case.h, lower_case.k, lower_case.f])
def test_a_looped_ascender_goes_up_beside_its_stem_and_comes_down_it(letter):
    rng = np.random.default_rng(5)
    for _ in range(50):
        hand = Hand(rng)
        hand.joined, hand.loops_ascenders = True, True
        stroke = np.array(letter(hand)[0])
        top = int(stroke[:, 1].argmin())
        rising, falling = stroke[:top + 1], stroke[top:]
        assert rising[-1, 1] < hand.top - 2  # the loop reaches above the x-height
        stem_x = falling[falling[:, 1] >= lower_case.BASELINE - 0.5][0, 0]  # where the way down meets the line
        lead_in_end = 2  # finish() joins a lead-in of two points to the front
        assert (rising[lead_in_end:, 0] > stem_x).all()  # up on the right of the stem, then down it


def test_joined_es_come_with_and_without_a_bar():
    rng = np.random.default_rng(6)
    with_bar = []
    for _ in range(300):
        hand = Hand(rng)
        if not hand.joined:
            continue
        points = np.array(lower_case.e(hand)[0])
        steps = np.diff(points, axis=0)
        with_bar.append(bool(((np.abs(steps[:, 1]) <= 1.0) & (steps[:, 0] > 0.5 * hand.width)).any()))
    assert 0.2 < np.mean(with_bar) < 0.7
