import numpy as np

from desktop_app.render import render_strokes
from model.pipelines import centre_of_mass
from model.synthesis import VARIANT_CHANCE, place_on_canvas, skeleton_strokes, synthesize, writing_variant


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
    ios_inputs, mnist_inputs = synthesize(mnist.x_train[:20], mnist.y_train[:20], np.random.default_rng(0),
                                          lambda strokes, width: render_strokes(strokes, width=width))
    # The phone's input: thin, dim strokes (a 10 px line over 13.4 px cells), unlike MNIST's.
    real = mnist.x_train[:20] / 255
    assert ios_inputs[ios_inputs > 0.05].mean() < 0.8 * real[real > 0.05].mean()
    assert (ios_inputs > 0.05).sum() < 0.8 * (real > 0.05).sum()
    for image in mnist_inputs:
        assert np.allclose(centre_of_mass(image), (14, 14), atol=0.2)


def test_some_ones_get_a_continental_up_stroke(mnist):
    one = skeleton_strokes(mnist.x_train[np.flatnonzero(mnist.y_train == 1)[0]])
    top = min(y for stroke in one for _, y in stroke)
    rng = np.random.default_rng(0)
    variants = [writing_variant(one, 1, rng) for _ in range(400)]
    changed = [v for v in variants if len(v) > len(one)]
    assert abs(len(changed) / len(variants) - VARIANT_CHANCE[1]) < 0.08
    for variant in changed:
        (start_x, start_y), (end_x, end_y) = variant[len(one)]
        # The up-stroke rises from the lower left to the top of the "1".
        assert start_x < end_x and start_y > end_y and end_y == top


def test_digits_without_a_variant_are_left_as_written(mnist):
    three = skeleton_strokes(mnist.x_train[np.flatnonzero(mnist.y_train == 3)[0]])
    rng = np.random.default_rng(0)
    assert all(writing_variant(three, 3, rng) == three for _ in range(50))
