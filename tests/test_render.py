import numpy as np
import pytest

from desktop_app.render import BRUSH_WIDTH, CANVAS_SIZE, render_strokes


def test_bitmap_is_375_square_uint8_white_on_black():
    bitmap = render_strokes([[(100, 100), (200, 200)]])
    assert bitmap.shape == (CANVAS_SIZE, CANVAS_SIZE) and bitmap.dtype == np.uint8
    assert bitmap.max() == 255 and bitmap[0, 0] == 0


def test_one_point_stroke_is_a_round_dot_10px_across():
    bitmap = render_strokes([[(100.0, 200.0)]]).astype(float) / 255
    assert bitmap.sum() == pytest.approx(np.pi * (BRUSH_WIDTH / 2) ** 2, rel=0.05)
    rows = np.flatnonzero(bitmap.max(axis=1) > 0.5)
    cols = np.flatnonzero(bitmap.max(axis=0) > 0.5)
    assert len(rows) == len(cols) == 10
    # Round, not square: the corners of its bounding box stay dark.
    assert bitmap[rows[0], cols[0]] < 0.5 and bitmap[rows[-1], cols[-1]] < 0.5


def test_a_stroke_a_billionth_of_a_pixel_long_is_the_dot_not_nothing():
    """Qt draws some paths that short as nothing at all (a tablet's jitter, a number file's point scaled down)."""
    dot = render_strokes([[(187.5, 187.5)]])
    assert np.array_equal(render_strokes([[(187.5, 187.49999999990648), (187.5, 187.50000000009353)]]), dot)
    assert render_strokes([[(187.5, 187.5), (187.5, 187.51)]]).sum() > 0.9 * dot.sum()


def test_line_is_10px_wide_and_antialiased():
    bitmap = render_strokes([[(100, 150.5), (250, 150.5)]]).astype(float) / 255
    column = bitmap[:, 175]
    assert column.sum() == pytest.approx(BRUSH_WIDTH, abs=0.2)
    diagonal = render_strokes([[(100, 100), (250, 180)]])
    assert ((diagonal > 0) & (diagonal < 255)).any()  # antialiased edges


def test_round_caps_reach_half_the_width_beyond_the_end_points():
    bitmap = render_strokes([[(100, 150.5), (250, 150.5)]]).astype(float) / 255
    ink_cols = np.flatnonzero(bitmap[150] > 0.5)
    assert ink_cols[0] == pytest.approx(95, abs=1) and ink_cols[-1] == pytest.approx(254, abs=1)
    assert bitmap[146, 96] < 0.5  # the cap is round: its corner stays dark


def test_strokes_draw_in_order_over_a_background():
    from desktop_app.render import array_to_image

    background = np.zeros((375, 375), np.uint8)
    background[:, :100] = 80
    bitmap = render_strokes([[(50, 50), (50, 300)]], array_to_image(background))
    assert bitmap[200, 20] == 80 and bitmap[200, 50] == 255


def test_the_fast_canvas_draws_the_very_pixels_of_a_grayscale_one(drawings):
    """render_strokes paints on a 32-bit image (Qt's native format, about twice as fast); every pixel must be
    the one Grayscale8 painting gives, so the pools drawn before and the app agree to the grey level."""
    from PySide6.QtGui import QImage, QPainter

    from desktop_app.render import image_to_array, new_canvas_image, paint_strokes, render_strokes
    from model.runtime.strokes import read_drawings
    from tests.conftest import shared_file

    letters = read_drawings(shared_file("unipen_letters_sample.jsonl.gz"))[:150]
    dots = [[[(187.5, 187.5)], [(10.2, 300.7)], [(374.9, 0.0), (374.9, 0.0)]]]
    for strokes in [d.on_phone_canvas() for d in (*drawings[:300], *letters)] + dots:
        gray = new_canvas_image()
        painter = QPainter(gray)
        paint_strokes(painter, strokes)
        painter.end()
        assert gray.format() == QImage.Format.Format_Grayscale8
        assert np.array_equal(render_strokes(strokes), image_to_array(gray))


def test_the_number_canvas_draws_the_very_pixels_of_a_grayscale_one(drawings):
    """The number canvas paints 32-bit too, at any scale the window shows it: the same grey levels."""
    import json

    from PySide6.QtGui import QImage, QPainter

    from desktop_app.render import image_to_array, paint_strokes, render_number_image
    from model.recipe.number_drawings import build_numbers
    from model.runtime.numbers import NUMBER_CANVAS, on_number_canvas
    from model.runtime.strokes import parse_number_text

    numbers = [on_number_canvas(parse_number_text(json.dumps(record), "built"))
               for record in build_numbers(drawings, 40, np.random.default_rng(5))]
    for strokes, scale in zip(numbers, [1.0, 0.6, 0.31, 1.7] * 10, strict=True):
        gray = QImage(round(NUMBER_CANVAS[0] * scale), round(NUMBER_CANVAS[1] * scale), QImage.Format.Format_Grayscale8)
        gray.fill(0)
        painter = QPainter(gray)
        painter.scale(scale, scale)
        paint_strokes(painter, strokes)
        painter.end()
        fast = render_number_image(strokes, scale)
        assert fast.format() == QImage.Format.Format_RGB32
        assert np.array_equal(image_to_array(fast), image_to_array(gray))
