import numpy as np
import pytest

from desktop_app.canvas import Canvas
from desktop_app.render import image_to_array, render_canvas, render_strokes
from desktop_app.session import Session
from tests.qt_helpers import drag, draw_strokes


def strokes_of(canvas):
    return [list(stroke) for stroke in canvas.session.document.content.strokes]


@pytest.fixture
def canvas(qtbot):
    widget = Canvas(Session(render_canvas))
    qtbot.addWidget(widget)
    widget.resize(375, 375)
    widget.show()
    return widget


def test_a_mouse_drag_makes_a_stroke_drawn_exactly_as_the_renderer_draws_it(canvas):
    points = [(50.0, 60.0), (120.5, 80.0), (200.0, 250.25), (210.0, 300.0)]
    drag(canvas, points)
    assert strokes_of(canvas) == [points]
    assert np.array_equal(canvas.session.bitmap(), render_strokes([points]))


def test_a_real_drawing_made_with_the_mouse_equals_the_evaluation_bitmap(canvas, drawings):
    strokes = drawings[10].strokes
    draw_strokes(canvas, strokes)
    assert np.array_equal(canvas.session.bitmap(), render_strokes([[(round(x, 2), round(y, 2)) for x, y in s]
                                                           for s in strokes]))


def test_what_the_user_sees_is_what_the_model_gets(canvas, drawings):
    draw_strokes(canvas, drawings[3].strokes)
    shown = image_to_array(canvas.grab().toImage())
    assert np.abs(shown.astype(int) - canvas.session.bitmap()).max() <= 1


def test_a_click_without_moving_draws_a_dot(canvas):
    drag(canvas, [(100.0, 100.0)])
    assert strokes_of(canvas) == [[(100.0, 100.0)]]
    assert canvas.session.bitmap().sum() / 255 == pytest.approx(np.pi * 25, rel=0.05)


def test_undo_removes_the_last_stroke_and_clear_empties(canvas):
    drag(canvas, [(50.0, 50.0), (100.0, 100.0)])
    drag(canvas, [(200.0, 50.0), (250.0, 100.0)])
    canvas.session.document.undo()
    assert strokes_of(canvas) == [[(50.0, 50.0), (100.0, 100.0)]]
    canvas.session.document.clear()
    assert canvas.session.document.content.is_empty() and canvas.session.bitmap().max() == 0


def test_resizing_the_window_does_not_change_the_bitmap(canvas, drawings):
    strokes = drawings[20].strokes
    draw_strokes(canvas, strokes)
    small_strokes, small_bitmap = strokes_of(canvas), canvas.session.bitmap()
    canvas.session.document.clear()
    canvas.resize(800, 750)  # a 750x750 canvas, centred 25 px from the left
    draw_strokes(canvas, strokes, scale=2.0, offset=(25.0, 0.0))
    assert strokes_of(canvas) == small_strokes  # kept in canvas units
    assert np.array_equal(canvas.session.bitmap(), small_bitmap)


HIDPI_CHECK = """
import hashlib, sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from desktop_app.canvas import Canvas
from desktop_app.render import render_canvas
from desktop_app.session import Session
from model.runtime.strokes import read_drawings
from tests.qt_helpers import draw_strokes
canvas = Canvas(Session(render_canvas))
canvas.resize(375, 375)
canvas.show()
draw_strokes(canvas, read_drawings(sys.argv[1])[30].strokes)
canvas.grab()  # paint at the screen's resolution
print(canvas.devicePixelRatioF(), hashlib.sha256(canvas.session.bitmap().tobytes()).hexdigest())
"""


def test_a_hidpi_screen_does_not_change_the_bitmap(strokes_file):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    results = []
    for factor in ("1", "2"):
        environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": factor}
        run = subprocess.run([sys.executable, "-c", HIDPI_CHECK, str(strokes_file)], cwd=ROOT, env=environment,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        results.append(run.stdout.split())
    (ratio_1, bitmap_1), (ratio_2, bitmap_2) = results
    assert (float(ratio_1), float(ratio_2)) == (1.0, 2.0)
    assert bitmap_1 == bitmap_2
