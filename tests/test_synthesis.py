import numpy as np

from desktop_app.render import render_strokes
from model.recipe.skeleton import skeleton_strokes
from model.recipe.synthesis import VARIANT_CHANCE, place_on_canvas, synthesize, writing_variant
from model.runtime.pipelines import centre_of_mass


def test_skeleton_strokes_trace_the_digit_thinly(mnist):
    strokes = skeleton_strokes(mnist.x_train[0])
    points = np.array([p for stroke in strokes for p in stroke])
    assert points.min() >= 0 and points.max() <= 28
    # Drawn back at MNIST scale with a 2 px pen, the skeleton stays on the ink.
    redrawn = render_strokes([[(x * 375 / 28, y * 375 / 28) for x, y in s] for s in strokes], width=2)
    assert redrawn.max() == 255


def test_placed_digits_stay_on_the_canvas_and_vary(mnist):
    strokes = skeleton_strokes(mnist.x_train[1])
    rng = np.random.default_rng(0)
    placements = [np.array([p for s in place_on_canvas(strokes, rng) for p in s]) for _ in range(20)]
    assert all(p.min() >= 0 and p.max() <= 375 for p in placements)
    heights = [np.ptp(p[:, 1]) for p in placements]
    assert max(heights) - min(heights) > 50


def test_phone_like_inputs_look_like_the_phones(mnist):
    inputs = synthesize(mnist.x_train[:20], mnist.y_train[:20], np.random.default_rng(0),
                        lambda strokes, width: render_strokes(strokes, width=width))
    phone_inputs, centred_inputs = inputs["phone"][:, 0], inputs["centred"]  # the phone's by area averaging
    # The phone's input: thin, dim strokes (a 10 px line over 13.4 px cells), unlike MNIST's.
    real = mnist.x_train[:20] / 255
    assert phone_inputs[phone_inputs > 0.05].mean() < 0.8 * real[real > 0.05].mean()
    assert (phone_inputs > 0.05).sum() < 0.8 * (real > 0.05).sum()
    for image in centred_inputs:
        assert np.allclose(centre_of_mass(image), (14, 14), atol=0.2)


def test_some_ones_are_rewritten_and_their_flags_rise_to_the_top(mnist):
    one = skeleton_strokes(mnist.x_train[np.flatnonzero(mnist.y_train == 1)[0]])
    top = min(y for stroke in one for _, y in stroke)
    rng = np.random.default_rng(0)
    variants = [writing_variant(one, 1, rng)[0] for _ in range(400)]
    changed = [v for v in variants if v != one]
    assert abs(len(changed) / len(variants) - VARIANT_CHANCE[1]) < 0.08
    flags = [stroke for variant in changed for stroke in variant if len(stroke) == 2 and stroke[1][1] == top
             and stroke[0][1] > top]
    assert len(flags) > 0.4 * len(changed)
    for (start_x, start_y), (end_x, end_y) in flags:
        # The up-stroke rises from the lower left to the top of the "1".
        assert start_x < end_x and start_y > end_y


def test_digits_without_a_variant_are_left_as_written(mnist):
    three = skeleton_strokes(mnist.x_train[np.flatnonzero(mnist.y_train == 3)[0]])
    rng = np.random.default_rng(0)
    assert all(writing_variant(three, 3, rng) == (three, 3) for _ in range(50))


def test_barred_zeros_come_in_every_direction(mnist):
    zero = skeleton_strokes(mnist.x_train[np.flatnonzero(mnist.y_train == 0)[0]])
    rng = np.random.default_rng(0)
    bars = [v[-1] for v, _ in (writing_variant(zero, 0, rng) for _ in range(400)) if len(v) > len(zero)]
    angles = {round(np.degrees(np.arctan2(abs(b[1][1] - b[0][1]), abs(b[1][0] - b[0][0]))) / 45) for b in bars}
    assert angles == {0, 1, 2}  # horizontal (θ), diagonal (Ø) and vertical (φ)
    # Many run past the oval, as people write them.
    points = np.array([p for stroke in zero for p in stroke])
    low, high = points.min(axis=0), points.max(axis=0)
    beyond = [b for b in bars if np.any(np.array(b) < low - 1) or np.any(np.array(b) > high + 1)]
    assert 0.3 < len(beyond) / len(bars) < 0.9


def test_a_one_with_a_flag_and_no_base_is_a_flagged_one_until_its_drawing_is_measured(mnist):
    from model.recipe.synthesis import FLAGGED_ONE

    one = skeleton_strokes(mnist.x_train[np.flatnonzero(mnist.y_train == 1)[0]])
    rng = np.random.default_rng(1)
    for strokes, label in (writing_variant(one, 1, rng) for _ in range(600)):
        extra = [s for s in strokes[-2:] if len(s) == 2 and s not in one]
        flags = [s for s in extra if s[1][1] < s[0][1]]  # rising to the top
        bases = [s for s in extra if s[0][1] == s[1][1]]
        assert (label == FLAGGED_ONE) == bool(flags and not bases)


def test_a_drawn_one_is_one_or_seven_only_when_it_is_as_wide_at_the_top_as_a_seven(mnist):
    from model.recipe.synthesis import ONE_OR_SEVEN, SEVEN_TOP_WIDTH

    ones = mnist.x_train[mnist.y_train == 1][:300]
    drawn = synthesize(ones, np.ones(len(ones), np.int64), np.random.default_rng(2),
                       lambda strokes, width: render_strokes(strokes, width=width))
    assert set(drawn["labels"]) == {1, ONE_OR_SEVEN}
    for image, label in zip(drawn["centred"], drawn["labels"], strict=True):
        if label == ONE_OR_SEVEN:
            rows = np.flatnonzero((image >= 0.4).any(axis=1))
            top = image[rows[0]:rows[0] + round(0.15 * (rows[-1] - rows[0] + 1))] >= 0.4
            columns = np.flatnonzero(top.any(axis=0))
            assert (columns[-1] - columns[0] + 1) / (rows[-1] - rows[0] + 1) >= SEVEN_TOP_WIDTH
    assert 0.02 < np.mean(drawn["labels"] == ONE_OR_SEVEN) < 0.2


def test_a_drawn_seven_without_a_crossbar_is_seven_or_one_only_when_as_narrow_at_the_top_as_a_flagged_one(mnist):
    from model.recipe.synthesis import BARLESS_SEVEN, ONE_TOP_WIDTH, SEVEN_OR_ONE, top_width

    sevens = mnist.x_train[mnist.y_train == 7][:300]
    rng = np.random.default_rng(3)
    planned = [writing_variant(skeleton_strokes(image), 7, rng) for image in sevens[:100]]
    assert all((label == BARLESS_SEVEN) == (len(strokes) == len(skeleton_strokes(image)))
               for (strokes, label), image in zip(planned, sevens[:100], strict=True))  # a crossbar is one more stroke
    drawn = synthesize(sevens, np.full(len(sevens), 7), np.random.default_rng(4),
                       lambda strokes, width: render_strokes(strokes, width=width))
    assert set(drawn["labels"]) == {7, SEVEN_OR_ONE}
    assert all(top_width(image) < ONE_TOP_WIDTH
               for image, label in zip(drawn["centred"], drawn["labels"], strict=True) if label == SEVEN_OR_ONE)
    assert 0.02 < np.mean(drawn["labels"] == SEVEN_OR_ONE) < 0.2


def test_the_top_width_that_makes_a_seven_a_one_is_three_flagged_ones_in_four(mnist):
    from model.recipe.synthesis import FLAGGED_ONE, ONE_TOP_WIDTH, draw_inputs, top_width

    rng = np.random.default_rng(7)
    widths = []
    for image in mnist.x_train[mnist.y_train == 1][:800]:
        strokes, label = writing_variant(skeleton_strokes(image), 1, rng)
        if label == FLAGGED_ONE:
            widths.append(top_width(draw_inputs(strokes, rng, lambda s, width: render_strokes(s, width=width))["centred"]))
    assert len(widths) > 100
    assert abs(np.percentile(widths, 75) - ONE_TOP_WIDTH) <= 0.05


def test_from_the_top_width_that_makes_a_one_a_seven_mnist_has_more_sevens_than_ones(mnist):
    from model.recipe.synthesis import SEVEN_TOP_WIDTH, top_width

    widths = {digit: np.array([top_width(image / 255) for image in mnist.x_train[mnist.y_train == digit]])
              for digit in (1, 7)}
    assert abs(np.percentile(widths[7], 5) - SEVEN_TOP_WIDTH) < 0.03  # as wide as one seven in twenty

    def count(digit, low, high):
        return int(((widths[digit] >= low) & (widths[digit] < high)).sum())

    assert count(7, SEVEN_TOP_WIDTH, SEVEN_TOP_WIDTH + 0.05) > count(1, SEVEN_TOP_WIDTH, SEVEN_TOP_WIDTH + 0.05)
    assert count(1, SEVEN_TOP_WIDTH - 0.05, SEVEN_TOP_WIDTH) > count(7, SEVEN_TOP_WIDTH - 0.05, SEVEN_TOP_WIDTH)


def test_fours_and_nines_are_sometimes_written_in_other_forms(mnist):
    rng = np.random.default_rng(0)
    for digit in (4, 9):
        strokes = skeleton_strokes(mnist.x_train[np.flatnonzero(mnist.y_train == digit)[0]])
        rewritten = [v for v, _ in (writing_variant(strokes, digit, rng) for _ in range(300)) if v != strokes]
        assert abs(len(rewritten) / 300 - VARIANT_CHANCE[digit]) < 0.08


def test_resampling_keeps_the_ends_and_spaces_the_points():
    from model.recipe.synthesis import resample

    stroke = [(0.0, 0.0), (100.0, 0.0)]
    points = resample(stroke, 30.0)
    assert points[0] == (0.0, 0.0) and points[-1] == (100.0, 0.0)
    assert np.allclose(np.diff([x for x, _ in points])[:-1], 30.0)


def test_not_digit_drawings_stay_on_the_canvas_and_vary():
    from model.recipe.synthesis import not_digit_drawings

    drawings = not_digit_drawings(60, seed=5)
    points = np.array([p for drawing in drawings for stroke in drawing for p in stroke])
    assert points.min() >= 0 and points.max() <= 375
    assert len({len(drawing) for drawing in drawings}) > 5  # many kinds, not one shape
