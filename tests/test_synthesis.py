import numpy as np

from desktop_app.render import render_strokes
from model.pipelines import centre_of_mass
from model.synthesis import place_on_canvas, skeleton_strokes, synthesize


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
    ios_inputs, mnist_inputs = synthesize(mnist.x_train[:20], np.random.default_rng(0),
                                          lambda strokes, width: render_strokes(strokes, width=width))
    # The phone's input: thin, dim strokes (a 10 px line over 13.4 px cells), unlike MNIST's.
    real = mnist.x_train[:20] / 255
    assert ios_inputs[ios_inputs > 0.05].mean() < 0.8 * real[real > 0.05].mean()
    assert (ios_inputs > 0.05).sum() < 0.8 * (real > 0.05).sum()
    for image in mnist_inputs:
        assert np.allclose(centre_of_mass(image), (14, 14), atol=0.2)
