import json

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from desktop_app.files import files_to_save
from desktop_app.main_window import MainWindow
from desktop_app.render import render_strokes
from desktop_app.session import TEXT_PREDICTING, TEXT_SAMPLE, TEXT_START
from model.runtime.engines import predict_bitmap
from model.runtime.pipelines import centre_of_mass
from tests.qt_helpers import drag, draw_strokes


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "app-data"  # the personal set and model


def strokes_of(window):
    return [list(stroke) for stroke in window.session.document.content.strokes]


@pytest.fixture
def window(qtbot, settings, data_dir):
    made = MainWindow(settings=settings, data_dir=data_dir)
    qtbot.addWidget(made)
    made.show()
    made.canvas.resize(375, 375)  # draw in canvas units
    return made


def shown_digit(window) -> int:
    text = window.result_label.text()
    assert text.startswith("Digit may be: "), text
    return int(text.removeprefix("Digit may be: "))


def test_starts_with_the_phones_prompt_and_an_empty_canvas(window):
    assert window.result_label.text() == TEXT_START
    assert window.session.document.content.is_empty() and window.bars.primary is None


def test_a_digit_drawn_with_the_mouse_gets_the_prediction_evaluation_measures(window, drawings):
    drawing = drawings[40]
    draw_strokes(window.canvas, drawing.strokes)
    window.predict_action.trigger()
    expected = predict_bitmap(window.session.models.slot("coreml").model, render_strokes(strokes_of(window)), "phone")
    assert shown_digit(window) == expected.digit
    assert window.bars.primary == pytest.approx(expected.probabilities)


def test_bars_update_at_the_end_of_every_stroke_and_sum_to_100_percent(window, drawings):
    drag(window.canvas, drawings[7].strokes[0])
    assert window.bars.primary is not None
    assert sum(window.bars.percentages()) == pytest.approx(100, abs=0.6)
    assert int(np.argmax(window.bars.primary)) == shown_digit(window)


def test_bars_update_live_while_the_pen_moves(window, qtbot):
    from PySide6.QtCore import QEvent, Qt

    from tests.qt_helpers import _send

    left = Qt.MouseButton.LeftButton
    _send(window.canvas, QEvent.Type.MouseButtonPress, (100, 60), left, left)
    for y in range(60, 300, 10):
        _send(window.canvas, QEvent.Type.MouseMove, (100 + y / 10, y), Qt.MouseButton.NoButton, left)
    qtbot.waitUntil(lambda: window.bars.primary is not None, timeout=1000)  # before the pen lifts


def test_predict_shows_predicting_then_the_digit(window, drawings, qtbot):
    draw_strokes(window.canvas, drawings[2].strokes)
    seen = []
    original = window.result_label.setText

    def record(text):
        seen.append(text)
        original(text)

    window.result_label.setText = record
    window.predict()
    assert seen[0] == TEXT_PREDICTING and seen[-1].startswith("Digit may be: ")


@pytest.mark.parametrize(("button", "digit"), [(0, 5), (1, 4)])
def test_sample_buttons_fill_the_canvas_and_predict_their_digit(window, button, digit):
    window.sample_buttons[button].click()
    assert window.result_label.text() == TEXT_SAMPLE
    bitmap = window.session.bitmap()
    rows = np.flatnonzero(bitmap.max(axis=1) > 64)
    assert rows[-1] - rows[0] > 200  # fills the canvas, as the phone's samples do
    window.predict_action.trigger()
    assert shown_digit(window) == digit


def test_a_sample_keeps_hit_predict_until_a_stroke_or_predict(window):
    window.sample_buttons[1].click()
    assert window.bars.primary is not None  # the bars are live all the same
    assert window.result_label.text() == TEXT_SAMPLE
    drag(window.canvas, [(300.0, 300.0), (320.0, 330.0)])
    assert window.result_label.text().startswith("Digit may be: ")


def test_every_action_has_a_keyboard_shortcut(window):
    for action in (window.clear_action, window.undo_action, window.predict_action,
                   window.save_action, window.open_action):
        assert action.shortcuts() and not action.shortcut().isEmpty()


def test_switching_to_mnist_centring_centres_what_the_model_sees(window):
    drag(window.canvas, [(40.0, 40.0), (40.0, 160.0)])  # a "1" in the top-left corner
    phone_input = window.input_view.model_input
    assert centre_of_mass(phone_input)[1] < 8
    window.pipeline_box.setCurrentIndex(window.pipeline_box.findData("centred"))
    assert centre_of_mass(window.input_view.model_input) == pytest.approx((14, 14), abs=0.1)


def test_keras_engine_loads_in_the_background_and_agrees_with_core_ml(window, qtbot, drawings):
    draw_strokes(window.canvas, drawings[5].strokes)
    core_ml = window.bars.primary.copy()
    window.engine_box.setCurrentIndex(window.engine_box.findData("keras"))
    assert "Loading" in window.status_label.text()
    assert window.result_label.text() == "Loading the model…"  # not the previous model's answer
    keras = window.session.models.slot("keras")
    qtbot.waitUntil(lambda: keras.state == "ready", timeout=60000)
    qtbot.waitUntil(lambda: window.session.predictions and window.session.predictions[0] is not None)
    keras_answer = keras.model.probabilities(window.session.model_input)
    assert window.bars.primary == pytest.approx(keras_answer, abs=1e-6)
    # Both engines get the same 8-bit image the phone makes: they differ only by float rounding.
    assert window.bars.primary == pytest.approx(core_ml, abs=1e-4)


def test_compare_shows_both_engines(window, qtbot, drawings):
    draw_strokes(window.canvas, drawings[9].strokes)
    window.compare_box.setChecked(True)
    qtbot.waitUntil(lambda: len(window.session.predictions) == 2 and window.session.predictions[1] is not None,
                    timeout=60000)
    assert window.bars.secondary is not None
    assert "All 2 models say" in window.status_label.text() or "disagree" in window.status_label.text()


def test_a_screenshot_window_grows_to_show_the_whole_side_panel(window, qtbot, drawings):
    draw_strokes(window.canvas, drawings[9].strokes)
    window.compare_box.setChecked(True)
    qtbot.waitUntil(lambda: len(window.session.predictions) == 2 and window.session.predictions[1] is not None,
                    timeout=60000)
    window.resize(window.width(), 500)
    qtbot.waitUntil(lambda: window.side_scroll.verticalScrollBar().maximum() > 0)
    window.show_whole_side_panel()
    assert window.side_scroll.verticalScrollBar().maximum() == 0


def test_comparing_engines_grows_the_window_to_keep_the_side_panels_status_in_view(window, qtbot, drawings):
    draw_strokes(window.canvas, drawings[9].strokes)
    window.resize(window.width(), 420)
    window.compare_box.setChecked(True)
    qtbot.waitUntil(lambda: len(window.session.predictions) == 2 and window.session.predictions[1] is not None,
                    timeout=60000)
    tallest = window.screen().availableGeometry().height() - (window.frameGeometry().height() - window.height())
    assert window.side_scroll.widget().sizeHint().height() > 420  # at 420 px it would scroll
    qtbot.waitUntil(lambda: window.side_scroll.verticalScrollBar().maximum() == 0 or window.height() == tallest)


def test_a_missing_model_still_opens_says_which_file_and_lets_you_draw(qtbot, tmp_path, settings, data_dir):
    missing = tmp_path / "gone.mlmodel"
    window = MainWindow(model_paths={"coreml": missing}, settings=settings, data_dir=data_dir)
    qtbot.addWidget(window)
    window.show()
    window.canvas.resize(375, 375)
    qtbot.waitUntil(lambda: str(missing) in window.status_label.text())  # a model the user names loads aside
    assert "Check the path" in window.status_label.text()  # a mistyped path, not a model to build
    drag(window.canvas, [(100.0, 100.0), (200.0, 300.0)])
    assert len(strokes_of(window)) == 1
    window.predict_action.trigger()
    assert "No model" in window.result_label.text()


def test_a_model_the_user_opens_loads_off_the_ui_thread(qtbot, settings, data_dir, monkeypatch):
    import threading

    import desktop_app.model_loader as model_loader
    from model.runtime.paths import DEFAULT_COREML_MODEL

    threads, load_model = [], model_loader.load_model
    monkeypatch.setattr(model_loader, "load_model",
                        lambda slot: threads.append(threading.current_thread().name) or load_model(slot))
    window = MainWindow(model_paths={"coreml": DEFAULT_COREML_MODEL}, settings=settings, data_dir=data_dir)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.session.models.slot("coreml").state == "ready")
    assert threads == ["load-coreml"]


def test_a_damaged_model_file_is_named(qtbot, tmp_path, settings, data_dir):
    damaged = tmp_path / "broken.mlmodel"
    damaged.write_bytes(b"\x00garbage" * 10)
    window = MainWindow(model_paths={"coreml": damaged}, settings=settings, data_dir=data_dir)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: str(damaged) in window.status_label.text())


def test_save_writes_png_and_strokes_json_that_open_again(window, tmp_path, drawings):
    draw_strokes(window.canvas, drawings[11].strokes)
    before = window.session.bitmap()
    window.files.save_to(tmp_path / "mine.png")
    png, strokes_file = tmp_path / "mine.png", tmp_path / "mine.json"
    saved = QImage(str(png))
    assert (saved.width(), saved.height()) == (375, 375)
    record = json.loads(strokes_file.read_text())
    assert record["canvas"] == [375, 375] and len(record["strokes"]) == len(drawings[11].strokes)
    window.clear()
    assert window.files.open_file(strokes_file)
    assert np.array_equal(window.session.bitmap(), before)


def test_opening_an_image_fits_it_onto_the_canvas_and_predicts(window, tmp_path, mnist):
    path = tmp_path / "digit.png"
    QImage(np.ascontiguousarray(255 - mnist.x_test[0]).data, 28, 28, 28, QImage.Format.Format_Grayscale8).save(
        str(path))  # dark ink on white paper
    assert window.files.open_file(path)
    bitmap = window.session.bitmap()
    assert bitmap[0, 0] == 0 and bitmap.max() > 200  # inverted to white on black, scaled up
    assert window.session.predictions[0] is not None


@pytest.mark.parametrize("content", [b"", b"not json", b'{"strokes": "nope"}'])
def test_opening_a_bad_drawing_gives_a_message_not_a_crash(window, tmp_path, content):
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    assert not window.files.open_file(bad)
    assert str(bad) in window.status_label.text()


def test_opening_a_file_that_is_not_an_image_gives_a_message(window, tmp_path):
    bad = tmp_path / "photo.png"
    bad.write_bytes(b"definitely not a png")
    assert not window.files.open_file(bad)
    assert "not an image" in window.status_label.text()


# --- the desktop around the phone's screen
def test_a_press_outside_the_canvas_draws_nothing(qtbot, settings, data_dir):
    window = MainWindow(settings=settings, data_dir=data_dir)
    qtbot.addWidget(window)
    window.show()
    window.canvas.resize(375, 500)  # the canvas is the bottom 375x375: y from 125
    drag(window.canvas, [(100.0, 60.0), (100.0, 200.0), (100.0, 400.0)])
    assert window.session.document.content.is_empty() and window.result_label.text() == TEXT_START


def test_saving_a_sample_writes_its_picture_and_says_there_are_no_strokes(window, tmp_path):
    window.sample_buttons[0].click()
    assert files_to_save(tmp_path / "five", bool(window.session.document.content.strokes)) == [tmp_path / "five.png"]
    window.files.save_to(tmp_path / "five")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app-data", "five.png", "settings.ini"]
    assert "no .json" in window.statusBar().currentMessage()


def test_the_overwrite_check_covers_every_file_a_save_replaces(window, tmp_path):
    drag(window.canvas, [(100.0, 100.0), (100.0, 300.0)])
    assert files_to_save(tmp_path / "nine.png", bool(window.session.document.content.strokes)) == [tmp_path / "nine.png", tmp_path / "nine.json"]
    assert files_to_save(tmp_path / "nine", bool(window.session.document.content.strokes)) == [tmp_path / "nine.png", tmp_path / "nine.json"]


def test_the_title_follows_what_is_on_the_canvas(window, tmp_path, drawings):
    path = tmp_path / "seven.json"
    path.write_text(json.dumps(drawings[5].to_json()))
    assert window.files.open_file(path) and window.windowTitle().endswith("seven.json")
    drag(window.canvas, [(10.0, 10.0), (20.0, 20.0)])
    assert window.windowTitle() == "DigitRecognizer"
    window.session.document.undo()
    window.clear_action.trigger()
    assert window.windowTitle() == "DigitRecognizer"


def test_clear_is_undoable_and_redo_brings_it_back(window):
    drag(window.canvas, [(100.0, 100.0), (100.0, 300.0)])
    window.clear_action.trigger()
    window.undo_action.trigger()
    assert len(strokes_of(window)) == 1
    window.redo_action.trigger()
    assert window.session.document.content.is_empty()


def test_the_toolbar_cannot_be_hidden(window):
    assert window.createPopupMenu() is None
    assert not window.toolbar.toggleViewAction().isEnabled()
    assert window.toolbar.contextMenuPolicy() == window.toolbar.contextMenuPolicy().PreventContextMenu


def test_menus_hold_every_command_with_platform_shortcuts(window):
    from PySide6.QtGui import QKeySequence

    titles = [action.text() for action in window.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&View", "&Help"]
    assert QKeySequence("Ctrl+Q") in window.quit_action.shortcuts()
    assert QKeySequence(QKeySequence.StandardKey.Redo) in window.redo_action.shortcuts()
    assert QKeySequence(QKeySequence.StandardKey.Paste) in window.paste_action.shortcuts()


def test_every_control_has_a_tooltip(window):
    from PySide6.QtWidgets import QAbstractButton, QComboBox

    controls = [c for c in window.findChildren(QAbstractButton) + window.findChildren(QComboBox) if c.isVisible()]
    assert controls and all(control.toolTip() for control in controls)
    for action in window.actions():
        assert action.toolTip() and action.toolTip() != action.text().replace("&", ""), action.text()


def test_a_file_dropped_on_the_window_opens(window, tmp_path, drawings):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    path = tmp_path / "dropped.json"
    path.write_text(json.dumps(drawings[3].to_json()))
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, data, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert len(strokes_of(window)) == len(drawings[3].strokes) and window.windowTitle().endswith("dropped.json")


def test_pasting_an_image_opens_it_as_ink(window):
    from PIL import Image, ImageDraw
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    picture = Image.new("L", (120, 120), 255)
    ImageDraw.Draw(picture).line([(60, 10), (60, 110)], fill=0, width=10)  # a dark "1" on paper
    image = QImage(picture.tobytes(), 120, 120, 120, QImage.Format.Format_Grayscale8).copy()
    QApplication.clipboard().setImage(image)
    window.paste_action.trigger()
    bitmap = window.session.bitmap()
    assert bitmap[0, 0] == 0 and bitmap.max() == 255 and window.result_label.text() == "Digit may be: 1"


def test_pipeline_engine_and_recent_files_are_remembered(qtbot, settings, tmp_path, drawings, data_dir):
    first = MainWindow(settings=settings, data_dir=data_dir)
    qtbot.addWidget(first)
    next(a for a in first.pipeline_actions.actions() if a.data() == "centred").trigger()
    path = tmp_path / "kept.json"
    path.write_text(json.dumps(drawings[0].to_json()))
    first.files.open_file(path)
    first.close()
    second = MainWindow(settings=settings, data_dir=data_dir)
    qtbot.addWidget(second)
    assert second.session.pipeline == "centred" and second.pipeline_box.currentData() == "centred"
    assert second.files.recent.paths()[0] == str(path.resolve())
    assert second.settings.value("files/folder") == str(tmp_path.resolve())


def test_the_phone_shrink_changes_the_28x28_and_the_bars_and_is_remembered(qtbot, window, settings, data_dir,
                                                                          drawings):
    from model.runtime.pipelines import to_model_input

    draw_strokes(window.canvas, drawings[7].strokes)
    window.predict_action.trigger()
    area = window.session.model_input.copy()
    nearest = next(a for a in window.shrink_actions.actions() if a.data() == "nearest")
    nearest.trigger()
    bitmap = render_strokes(strokes_of(window))
    assert np.array_equal(window.session.model_input, to_model_input(bitmap, "phone", "nearest"))
    assert not np.array_equal(window.session.model_input, area)
    expected = predict_bitmap(window.session.models.slot("coreml").model, bitmap, "phone", "nearest")
    assert window.bars.primary == pytest.approx(expected.probabilities)
    assert any("Phone shrink: nearest pixel" in line for line, _ in window.session.status_lines())
    window.close()
    again = MainWindow(settings=settings, data_dir=data_dir)
    qtbot.addWidget(again)
    assert again.session.shrink == "nearest"
    assert [a.data() for a in again.shrink_actions.actions() if a.isChecked()] == ["nearest"]


def test_help_explains_the_terms_and_about_names_the_versions(window):
    window.help_action.trigger()
    assert "<b>Phone</b>" in window.last_box.text() and "MNIST-centred" in window.last_box.text()
    assert "Nearest pixel" in window.last_box.text() and "not documented" in window.last_box.text()
    assert ".mlmodel" in window.last_box.text() and "its 1s lean alike" in window.last_box.text()
    # The help scrolls rather than run off a small screen (the offscreen one is 800 px tall).
    assert window.last_box.height() <= 0.85 * window.screen().availableGeometry().height() + 1
    assert window.last_box.isVisible()
    window.about_action.trigger()
    assert "PySide6" in window.last_box.text() and "numpy" in window.last_box.text()


def test_the_verdict_says_not_sure_and_names_both_digits(window):
    from model.runtime.verdict import judge

    assert judge(np.array([0, 0, 0.55, 0, 0, 0, 0, 0, 0.45, 0]), 0.5).text == "2 or 8?"
    window.sample_buttons[1].click()
    assert window.verdict_label.text()  # a verdict beside the phone's answer


LAYOUT_CHECK = """
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QSettings
import tempfile
app = QApplication([])
from desktop_app.files import files_to_save
from desktop_app.main_window import MainWindow
window = MainWindow(settings=QSettings(tempfile.mkdtemp() + "/settings.ini", QSettings.Format.IniFormat))
window.show()
hint = window.minimumSizeHint()
ratio = window.devicePixelRatioF()
print(hint.width() * ratio, hint.height() * ratio, window.width() * ratio, window.height() * ratio)
"""


def test_the_window_fits_a_1280_by_800_screen_at_scale_2():
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen:size=1280x800", "QT_SCALE_FACTOR": "2"}
    run = subprocess.run([sys.executable, "-c", LAYOUT_CHECK], cwd=ROOT, env=environment, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    minimum_width, minimum_height, width, height = (float(v) for v in run.stdout.split())
    assert minimum_width <= 1280 and minimum_height <= 800 - 60  # room for a menu bar or dock
    assert width <= 1280 and height <= 800  # and it opens at a size that fits


# --- teaching the app its user's hand
def test_a_digit_key_a_bar_click_and_this_is_teach_what_is_drawn(window, qtbot):
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest

    drag(window.canvas, [(180.0, 60.0), (182.0, 320.0)])
    QTest.keyClick(window, Qt.Key.Key_1)
    qtbot.mouseClick(window.bars, Qt.MouseButton.LeftButton, pos=QPointF(40, 7 * window.bars.ROW + 8).toPoint())
    next(a for a in window.personal.this_is_menu.actions() if a.text() == "4").trigger()
    assert [e.label for e in window.teaching.set.examples] == [1, 7, 4]
    assert "Taught: this is a 4" in window.statusBar().currentMessage()
    assert window.personal.personalise_action.isEnabled()


def test_personalise_runs_in_the_background_switches_to_the_personal_model_and_survives_a_restart(
        qtbot, settings, data_dir, tmp_path):
    from desktop_app.main_window import MainWindow

    window = MainWindow(settings=settings, data_dir=data_dir)
    qtbot.addWidget(window)
    window.show()
    window.canvas.resize(375, 375)
    # A plain one, and a bar-less seven the model reads as a one: something to learn.
    for digit, stroke in ((1, [(180.0, 60.0), (182.0, 320.0)]), (7, [(110.0, 70.0), (200.0, 60.0), (186.0, 320.0)])):
        window.clear()
        drag(window.canvas, stroke)
        window.personal.teach(digit)
    assert not window.personal.personal_model_action.isEnabled()
    window.personal.personalise_action.trigger()
    qtbot.waitUntil(lambda: not window.personal.progress.isVisible(), timeout=60000)
    assert "General check" in window.personal.last_report
    assert window.session.models.use_personal and window.personal.personal_model_action.isChecked()
    assert window.session.status_lines()[0][0].startswith("Personal model, taught 2 drawings")
    window.personal.personal_model_action.trigger()  # View: back to the base model
    assert not window.session.models.use_personal
    window.personal.personal_model_action.trigger()
    window.personal.compare_action.trigger()  # both models' bars
    assert len(window.bars.series) == 2 and window.bars.series[0][0].startswith("Personal model")
    window.personal.compare_action.trigger()
    window.personal.teaching.export_model(tmp_path / "mine.mlmodel")
    assert (tmp_path / "mine.mlmodel").stat().st_size > 100_000
    window.close()
    again = MainWindow(settings=settings, data_dir=data_dir)
    qtbot.addWidget(again)
    assert len(again.teaching.set.examples) == 2 and again.session.models.use_personal
    assert again.session.status_lines()[0][0].startswith("Personal model, taught 2 drawings")


def test_a_personal_model_that_cannot_be_read_falls_back_to_the_base_model_and_says_so(qtbot, settings, data_dir,
                                                                                         drawings):
    from model.runtime.paths import DEFAULT_COREML_MODEL

    data_dir.mkdir()
    (data_dir / "personal.mlmodel").write_bytes(DEFAULT_COREML_MODEL.read_bytes()[:5000])  # truncated
    settings.setValue("personal/use", True)
    made = MainWindow(settings=settings, data_dir=data_dir)
    qtbot.addWidget(made)
    made.show()
    made.canvas.resize(375, 375)
    four = next(d for d in drawings if d.label == 4)
    qtbot.waitUntil(lambda: made.session.models.shown_slots()[0].state == "ready", timeout=30000)
    draw_strokes(made.canvas, four.strokes)
    made.predict_action.trigger()
    base = predict_bitmap(made.session.models.slot("coreml").model, render_strokes(strokes_of(made)), "phone")
    assert not made.session.models.use_personal and made.bars.primary == pytest.approx(base.probabilities)
    assert shown_digit(made) == base.digit == 4
    problems = [line for line, problem in made.session.status_lines() if problem]
    assert problems and problems[0].startswith("Your personal model could not be read, so the base model answers")
    made.personal.personal_model_action.trigger()  # asked for again: still the base model, still answering
    assert not made.session.models.use_personal and shown_digit(made) == 4


def test_two_windows_teaching_in_turns_keep_every_drawing(qtbot, settings, data_dir):
    windows = []
    for _ in range(2):
        made = MainWindow(settings=settings, data_dir=data_dir)
        qtbot.addWidget(made)
        made.show()
        made.canvas.resize(375, 375)
        drag(made.canvas, [(180.0, 60.0), (182.0, 320.0)])
        windows.append(made)
    for _ in range(3):
        for digit, made in enumerate(windows, start=1):
            made.personal.teach(digit)
    assert [w.teaching.set.counts()[1:3] for w in windows] == [[3, 3], [3, 3]]
    assert "6 in all" in windows[1].statusBar().currentMessage()


def test_personalising_a_set_the_model_already_reads_says_there_is_nothing_to_learn(qtbot, window):
    drag(window.canvas, [(180.0, 60.0), (182.0, 320.0)])
    window.personal.teach(1)
    window.personal.personalise_action.trigger()
    qtbot.waitUntil(lambda: not window.personal.progress.isVisible(), timeout=60000)
    assert "nothing to learn" in window.personal.last_report and "General check" not in window.personal.last_report
    assert not window.session.models.use_personal and not window.personal.personal_model_action.isEnabled()


def test_the_personal_set_window_shows_a_row_per_digit_and_removes_one(window):
    drag(window.canvas, [(180.0, 60.0), (182.0, 320.0)])
    for digit in (1, 1, 3):
        window.personal.teach(digit)
    window.personal.set_action.trigger()
    dialog = window.personal.dialog
    assert dialog.rows[1][0].text().endswith("2 drawings") and dialog.rows[1][1].count() == 2
    assert dialog.rows[3][1].count() == 1 and dialog.rows[0][1].count() == 0
    dialog.rows[3][1].item(0).setSelected(True)
    dialog.remove_selected()
    assert [e.label for e in window.teaching.set.examples] == [1, 1] and dialog.rows[3][1].count() == 0


def test_page_down_and_up_step_through_a_file_of_drawings(window, strokes_file):
    from model.runtime.strokes import read_drawings

    drawings = read_drawings(strokes_file)
    assert not window.next_drawing_action.isEnabled()
    assert window.files.open_file(strokes_file)
    assert window.next_drawing_action.isEnabled()
    window.next_drawing_action.trigger()
    assert strokes_of(window) == [list(s) for s in drawings[1].on_phone_canvas()]
    assert window.session.document.content.label == drawings[1].label
    window.previous_drawing_action.trigger()
    assert strokes_of(window) == [list(s) for s in drawings[0].on_phone_canvas()]


def test_next_misread_shows_the_first_drawing_of_the_file_the_model_reads_otherwise(window, strokes_file):
    from model.runtime.strokes import read_drawings

    drawings = read_drawings(strokes_file)
    window.files.open_file(strokes_file)
    window.next_misread_action.trigger()
    shown = window.files.drawing_set.index
    model = window.session.models.slot("coreml").model
    reads = [predict_bitmap(model, render_strokes(d.on_phone_canvas()), "phone").digit for d in drawings[:shown + 1]]
    assert reads[shown] != drawings[shown].label
    assert all(read == d.label for read, d in zip(reads[1:shown], drawings[1:shown], strict=True))
    assert window.session.document.content.label == drawings[shown].label


def test_next_misread_waits_for_a_model_that_has_not_loaded(qtbot, tmp_path, settings, data_dir, strokes_file):
    window = MainWindow(model_paths={"coreml": tmp_path / "gone.mlmodel"}, settings=settings, data_dir=data_dir)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.session.models.slot("coreml").state == "error")
    window.files.open_file(strokes_file)
    told = []
    window.files.tell = told.append
    window.next_misread_action.trigger()
    assert window.files.drawing_set.index == 0 and told == ["Core ML: gone.mlmodel is unavailable"]


def number_strokes(drawings, labels):
    """The shared sample's digits of `labels` side by side on the number canvas, each at 60 % of its height."""
    from model.runtime.numbers import NUMBER_CANVAS

    strokes, x = [], 60.0
    for label in labels:
        drawing = next(d for d in drawings if d.label == label and len(d.strokes) == 1)
        points = np.array([p for s in drawing.strokes for p in s])
        (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
        scale = 0.6 * NUMBER_CANVAS[1] / (bottom - top)
        strokes += [[(x + (px - left) * scale, 75 + (py - top) * scale) for px, py in s] for s in drawing.strokes]
        x += (right - left) * scale + 50
    return strokes


def test_the_number_mode_reads_a_number_drawn_with_the_mouse_and_shows_a_digits_bars(qtbot, window, settings,
                                                                                        data_dir, drawings, tmp_path):
    from model.runtime.numbers import NUMBER_CANVAS, placed

    window.number_action.trigger()
    assert window.number_mode and window.screens.currentWidget() is window.number_screen
    canvas = window.number_screen.canvas
    rect = canvas.canvas_rect()
    strokes = number_strokes(drawings, [2, 0, 2, 6])
    scale = rect.width() / NUMBER_CANVAS[0]
    draw_strokes(canvas, strokes, scale, (rect.x(), rect.y()))
    numbers = window.numbers
    assert len(numbers.reading.marks) == 4
    assert window.number_screen.result_label.text() == f"Number may be: {numbers.reading.text}"
    assert window.number_screen.verdict_label.text() == numbers.reading.verdict_text
    window.number_screen.mark_buttons[1].click()  # the "0"
    mark = numbers.reading.marks[1]
    zero = placed([numbers.document.content.strokes[i] for i in mark.strokes])
    expected = predict_bitmap(window.session.models.slot("coreml").model, render_strokes(zero), "phone")
    assert window.bars.primary == pytest.approx(expected.probabilities, abs=1e-6)
    assert np.array_equal(window.input_view.model_input, expected.model_input)  # the 28x28 it saw
    window.undo_action.trigger()
    assert len(numbers.document.content.strokes) == len(strokes) - 1
    window.predict_action.trigger()  # reads again, leaves the digit screen alone
    assert window.session.document.is_empty()
    window.files.save_to(tmp_path / "number.png")
    saved = json.loads((tmp_path / "number.json").read_text())
    assert saved["canvas"] == list(NUMBER_CANVAS) and QImage(str(tmp_path / "number.png")).width() == NUMBER_CANVAS[0]
    window.close()
    again = MainWindow(settings=settings, data_dir=data_dir)
    qtbot.addWidget(again)
    assert again.number_mode  # remembered


def test_the_number_canvas_stays_where_it_is_when_the_first_digits_are_read(window, qtbot, drawings):
    """The digit buttons appear under the canvas with the first reading: the canvas must not move under the
    pen between strokes."""
    from model.runtime.numbers import NUMBER_CANVAS

    window.number_action.trigger()
    canvas = window.number_screen.canvas
    qtbot.waitUntil(lambda: canvas.isVisible())
    QApplication.processEvents()
    before = canvas.mapToGlobal(canvas.canvas_rect().topLeft())
    rect = canvas.canvas_rect()
    draw_strokes(canvas, number_strokes(drawings, [2, 0]), rect.width() / NUMBER_CANVAS[0], (rect.x(), rect.y()))
    assert window.numbers.reading.marks and window.number_screen.mark_buttons[0].isVisible()
    QApplication.processEvents()
    assert canvas.mapToGlobal(canvas.canvas_rect().topLeft()) == before
    window.clear_action.trigger()
    QApplication.processEvents()
    assert canvas.mapToGlobal(canvas.canvas_rect().topLeft()) == before


def test_a_number_of_many_marks_scrolls_its_buttons_and_cuts_its_answer_rather_than_widen_the_window(window):
    """128 dots in a number file once made the window 11,338 px wide: a button each, and answers that long."""
    window.number_action.trigger()
    QApplication.processEvents()
    before = window.number_screen.minimumSizeHint().width()
    window.numbers.document.set_drawing([[(10.0 + 11 * i, 180.0)] for i in range(100)], name="dots")
    QApplication.processEvents()
    assert len(window.numbers.reading.marks) == 100 and window.number_screen.mark_buttons[99].isVisibleTo(window)
    assert window.number_screen.minimumSizeHint().width() == before
    assert window.number_screen.verdict_label.text() == "Not a number: 100 of its 100 marks are no digits"


def test_the_number_mode_widens_the_window_for_its_canvas_and_leaving_it_gives_the_width_back(window, qtbot):
    from model.runtime.numbers import NUMBER_CANVAS

    window.resize(640, 740)  # the offscreen screen is 800 px wide
    qtbot.waitUntil(lambda: window.width() == max(640, window.minimumWidth()))
    start = window.width()
    widest = window.screen().availableGeometry().width() - (window.frameGeometry().width() - window.width())
    window.number_action.trigger()
    canvas = window.number_screen.canvas
    qtbot.waitUntil(lambda: canvas.canvas_rect().width() >= 0.6 * NUMBER_CANVAS[0] - 1 or window.width() == widest)
    assert window.width() > start and window.side_scroll.width() <= 440
    window.number_action.trigger()  # back to the phone's screen: the window as it was
    assert not window.number_mode and window.width() == start
    window.number_action.trigger()
    qtbot.waitUntil(lambda: window.width() > start)
    window.resize(window.width() - 10, window.height())  # resized by the user: left as it is
    qtbot.waitUntil(lambda: window.width() == widest - 10)
    window.number_action.trigger()
    assert window.width() == widest - 10


def test_an_x_written_among_ones_is_not_a_sure_number_and_its_leaning_strokes_are_marked_unsure(window):
    from model.runtime.numbers import NUMBER_CANVAS

    window.number_action.trigger()
    canvas = window.number_screen.canvas
    rect = canvas.canvas_rect()
    line = [(x, y) for x, y in zip(range(0, 101, 5), range(0, 251, 12), strict=True)]  # a "\" 100 across, 240 down
    strokes = [[(200, 60 + y) for _, y in line],  # an upright 1
               [(500 + x, 60 + y) for x, y in line], [(600 - x, 60 + y) for x, y in line],  # an X: "\" and "/"
               [(900, 60 + y) for _, y in line]]
    draw_strokes(canvas, strokes, rect.width() / NUMBER_CANVAS[0], (rect.x(), rect.y()))
    reading = window.numbers.reading
    assert reading.text == "1111" and reading.verdict_text == "Not sure: 1111 (its 1s lean different ways)"
    # The X's strokes lean 23 degrees either way, 45 apart, and each 23 from the upright 1s: all four in doubt.
    assert reading.ones_astray[0] == [0, 1, 2, 3]
    assert [button.text() for button in window.number_screen.mark_buttons[:4]] == ["1?"] * 4


def test_the_digits_readings_sit_above_their_boxes_or_all_below_when_a_box_reaches_the_canvas_top():
    from desktop_app.number_mode import reading_places

    scale = 0.3  # the wide canvas shown at 450 px
    line = 14 / scale
    room, high = (100.0, 120.0, 200.0, 300.0), (300.0, 5.0, 400.0, 200.0)
    assert all(baseline < 120.0 for _, baseline in reading_places([room, room], [20.0, 20.0], scale))  # above
    (_, first), (_, second) = reading_places([room, high], [20.0, 20.0], scale)
    assert first - line >= 300.0 and second - line >= 200.0  # one box at the top edge: all under, clear of lines
    tall = (300.0, 5.0, 400.0, 370.0)
    assert reading_places([room, tall], [20.0, 20.0], scale)[1][1] == pytest.approx(line)  # no room below: top


def test_readings_of_marks_that_start_at_one_place_do_not_run_into_each_other():
    """An H read as a 1 (its first stem) and a mark that is no digit (the rest): both boxes start at one left
    edge, and "Not a digit" would be written over the "1"."""
    from desktop_app.number_mode import reading_places

    scale, stem, rest = 0.3, (500.0, 100.0, 520.0, 300.0), (500.0, 100.0, 600.0, 300.0)
    line = 14 / scale
    (x1, first), (x2, second) = reading_places([stem, rest], [30.0, 250.0], scale)
    assert x1 == x2 == 500.0 and abs(first - second) >= line
    assert all(baseline < 100.0 or baseline - line > 300.0 for baseline in (first, second))  # off the box's lines
    apart = reading_places([stem, (700.0, 100.0, 800.0, 300.0)], [30.0, 250.0], scale)
    assert apart[0][1] == apart[1][1]  # readings that do not meet share one line
    full = (500.0, 60.0, 600.0, 360.0)  # no line free above or below: along the line, past the "1"
    (x1, first), (x2, second) = reading_places([stem, full], [30.0, 250.0], scale)
    assert abs(first - second) < line and x2 >= x1 + 30.0
    below = (100.0, 2000.0, 200.0, 2100.0)  # a stroke opened from a file, far under the canvas: still placed
    assert reading_places([below], [30.0], scale) == [(100.0, 2000.0 - 4 / scale)]


def test_a_number_file_opened_on_the_digit_screen_is_refused_by_name_and_opens_in_the_number_mode(window, tmp_path):
    from model.runtime.numbers import NUMBER_CANVAS

    path = tmp_path / "numbers.jsonl"
    path.write_text(json.dumps({"canvas": list(NUMBER_CANVAS), "label": "71",
                                "strokes": [[[100, 100], [120, 300]], [[300, 100], [400, 100], [330, 300]]]}) + "\n"
                    + json.dumps({"canvas": list(NUMBER_CANVAS), "label": "1",
                                  "strokes": [[[100, 100], [120, 300]]]}) + "\n")
    assert not window.files.open_file(path)
    assert f"{path}:1: 'label' is the number \"71\"" in window.statusBar().currentMessage()
    assert window.session.document.is_empty()
    window.number_action.trigger()
    assert window.files.open_file(path) and window.numbers.document.content.label == "71"
    assert window.next_drawing_action.isEnabled()
    window.next_drawing_action.trigger()
    assert window.numbers.document.content.label == "1"
    image = tmp_path / "seven.png"
    QImage(40, 40, QImage.Format.Format_Grayscale8).save(str(image))
    assert not window.files.open_file(image)
    assert "an image opens on the digit screen" in window.statusBar().currentMessage()
