import numpy as np
import pytest

from desktop_app.render import render_strokes
from model.runtime.pipelines import (
    MNIST_STROKE_WIDTH,
    NothingDrawn,
    centre_of_mass,
    centred_pipeline,
    is_blank,
    phone_pipeline,
    stroke_width,
    to_model_input,
)


def ink_box(image, threshold=0.05):
    rows = np.flatnonzero((image > threshold).any(axis=1))
    cols = np.flatnonzero((image > threshold).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_blank_canvas_is_nothing_drawn_in_both_pipelines():
    blank = np.zeros((375, 375), np.uint8)
    assert is_blank(blank)
    for pipeline in ("phone", "centred"):
        with pytest.raises(NothingDrawn, match="nothing drawn"):
            to_model_input(blank, pipeline)


def test_phone_shrinks_the_whole_canvas_by_area_averaging(drawings):
    bitmap = render_strokes(drawings[0].strokes)
    model_input = phone_pipeline(bitmap)
    assert model_input.shape == (28, 28) and model_input.dtype == np.float32
    # Area averaging keeps the total amount of ink, in 28x28 pixels.
    assert model_input.sum() == pytest.approx(bitmap.sum() / 255 * (28 / 375) ** 2, rel=1e-4)
    assert phone_pipeline(np.full((375, 375), 255, np.uint8)) == pytest.approx(np.ones((28, 28)))


def test_phone_does_not_centre_a_digit_drawn_in_a_corner():
    corner = render_strokes([[(20, 20), (20, 80)]])
    model_input = phone_pipeline(corner)
    assert model_input[:8, :8].sum() == pytest.approx(model_input.sum())


def test_centred_centres_a_drawn_digit_and_makes_it_20px_tall(drawings):
    digit = next(d for d in drawings if d.label == 3)
    model_input = centred_pipeline(render_strokes(digit.strokes))
    height, width = ink_box(model_input)
    assert height in (20, 21) and width <= 21
    assert centre_of_mass(model_input) == pytest.approx((14.0, 14.0), abs=0.05)


def test_centred_keeps_the_aspect_ratio_of_a_tall_thin_one():
    one = render_strokes([[(180, 60), (185, 320)]])
    height, width = ink_box(centred_pipeline(one))
    assert height in (20, 21)
    assert width <= 5  # a stretched "1" would be 20 px wide


def test_centred_scales_the_longer_side_of_a_wide_stroke_to_20px():
    dash = render_strokes([[(60, 180), (300, 190)]])
    height, width = ink_box(centred_pipeline(dash))
    assert width in (20, 21) and height <= 5  # a stretched dash would be 20 px tall


def test_centred_output_does_not_depend_on_where_the_digit_was_drawn(drawings):
    strokes = drawings[1].strokes
    moved = [[(x - 40, y + 30) for x, y in stroke] for stroke in strokes]
    assert centred_pipeline(render_strokes(strokes)) == pytest.approx(centred_pipeline(render_strokes(moved)), abs=0.02)


def test_stroke_width_measures_the_brush():
    assert stroke_width(render_strokes([[(60, 80), (300, 250)]], width=10) >= 128) == pytest.approx(10, abs=1)
    assert stroke_width(render_strokes([[(60, 80), (200, 300)]], width=30) >= 128) == pytest.approx(30, rel=0.1)


def test_centred_widens_a_finger_line_to_mnists_pen():
    # Shrunk into the 20 px box, a 10 px line on a 300 px tall "1" is 0.7 px wide.
    one = centred_pipeline(render_strokes([[(187, 40), (187, 340)]]))
    assert one[14].sum() == pytest.approx(MNIST_STROKE_WIDTH, abs=0.3)
    assert ink_box(one, threshold=0.5)[0] in (19, 20)


def test_widening_is_the_brightest_weighted_pixel_within_the_disk_as_defined():
    """The widening works on the ink's box, a disk row at a time and a rim weight at a time: it must give, to the
    bit, each pixel's maximum over every offset within the radius, weighted by how far the disk reaches into it."""
    from model.runtime.pipelines import dilate

    def by_definition(image, radius):
        reach = int(np.ceil(radius))
        padded, grown = np.pad(image, reach), image.copy()
        for d_row in range(-reach, reach + 1):
            for d_col in range(-reach, reach + 1):
                weight = min(1.0, radius + 1.0 - float(np.hypot(d_row, d_col)))
                if weight > 0:
                    shifted = padded[reach + d_row:reach + d_row + image.shape[0],
                                     reach + d_col:reach + d_col + image.shape[1]]
                    np.maximum(grown, shifted * weight if weight < 1 else shifted, out=grown)
        return grown

    rng = np.random.default_rng(7)
    for index in range(300):
        height, width = rng.integers(1, 50, 2)
        image = (rng.random((height, width)) * (rng.random((height, width)) < 0.1)).astype(np.float32)
        radius = float(rng.integers(1, 5)) if index % 3 == 0 else float(rng.uniform(0.05, 6))
        assert np.array_equal(dilate(image, radius), by_definition(image, radius)), (index, radius)
    assert np.array_equal(dilate(np.zeros((5, 5), np.float32), 2.5), np.zeros((5, 5)))


def test_centred_leaves_a_thick_stroke_as_wide_as_it_is():
    # A 60 px pen on a 360 px tall line is 3.3 px wide in the 20 px box.
    thick = centred_pipeline(render_strokes([[(187, 37), (187, 337)]], width=60))
    assert thick[14].sum() == pytest.approx(60 * 20 / 360, abs=0.3)


def test_every_phone_shrink_is_the_resampler_it_is_named_after():
    """Held against independent resamplers: Pillow's antialiased bilinear reduce and its nearest pixel, and
    scipy's linear interpolation at each pixel's centre (bilinear with no prefilter)."""
    from PIL import Image
    from scipy.ndimage import map_coordinates

    from model.runtime.pipelines import SHRINKS, phone_shrinks

    canvas = render_strokes([[(60.0, 80.0), (300.0, 90.0), (120.0, 330.0)], [(200.0, 200.0)]])
    shrunk = dict(zip(SHRINKS, phone_shrinks(canvas), strict=True))
    pillow = {name: np.asarray(Image.fromarray(canvas).resize((28, 28), method), np.float32) / 255
              for name, method in (("bilinear-antialiased", Image.BILINEAR), ("nearest", Image.NEAREST))}
    assert np.abs(shrunk["bilinear-antialiased"] - pillow["bilinear-antialiased"]).max() <= 1 / 255
    assert np.array_equal(shrunk["nearest"], pillow["nearest"])
    centres = (np.arange(28) + 0.5) * 375 / 28 - 0.5
    rows, cols = np.meshgrid(centres, centres, indexing="ij")
    interpolated = map_coordinates(canvas.astype(np.float32) / 255, [rows, cols], order=1)
    assert np.abs(shrunk["bilinear"] - interpolated).max() < 1e-5
    assert np.allclose(shrunk["area"], phone_pipeline(canvas), atol=1e-6)
    for name in SHRINKS:  # the app's path (its sums over the inked part only) is the same shrink
        assert np.allclose(phone_pipeline(canvas, name), shrunk[name], atol=1e-6)
    with pytest.raises(ValueError, match="unknown shrink 'lanczos'"):
        phone_pipeline(canvas, "lanczos")
