"""The Session: what the app knows, tested without a window or a display."""

import re

import numpy as np
import pytest

from desktop_app.render import render_canvas
from desktop_app.session import (
    TEXT_BLANK,
    TEXT_NO_MODEL,
    TEXT_SAMPLE,
    TEXT_START,
    Session,
)
from model.errors import ModelFileError
from model.runtime.engines import predict_bitmap
from model.runtime.paths import DEFAULT_COREML_MODEL


@pytest.fixture
def session():
    made = Session(render_canvas)
    made.models.ensure_loaded()
    return made


def draw(session, *strokes):
    for stroke in strokes:
        if session.document.begin_stroke(stroke[0]):
            for point in stroke[1:]:
                session.document.extend_stroke(point)
            session.document.end_stroke()


def test_a_drawn_stroke_is_predicted_as_evaluation_predicts_it(session, drawings):
    draw(session, *drawings[40].strokes)
    expected = predict_bitmap(session.models.slot("coreml").model, render_canvas(drawings[40].strokes), "phone")
    assert session.label == f"Digit may be: {expected.digit}"
    assert session.predictions[0].probabilities == pytest.approx(expected.probabilities)


def test_a_press_outside_the_canvas_starts_nothing(session):
    assert not session.document.begin_stroke((200.0, -5.0))
    session.document.extend_stroke((200.0, 100.0))
    session.document.end_stroke()
    assert session.document.content.is_empty() and session.label == TEXT_START


def test_a_stroke_that_leaves_the_canvas_is_cut_at_the_edge_and_goes_on_where_it_returns(session):
    draw(session, [(300.0, 100.0), (400.0, 100.0), (420.0, 200.0), (300.0, 200.0)])
    assert session.document.content.strokes == (((300.0, 100.0), (375.0, 100.0)), ((375.0, 200.0), (300.0, 200.0)))
    assert session.bitmap()[110:190, 360:].max() == 0  # no line along the border between the pieces


def test_clear_can_be_undone_and_redone(session):
    draw(session, [(100.0, 100.0), (100.0, 300.0)])
    drawn = session.document.content
    session.document.clear()
    assert session.document.content.is_empty() and session.label == TEXT_START
    assert session.document.undo() and session.document.content is drawn
    assert session.document.redo() and session.document.content.is_empty()


def test_predicting_a_blank_canvas_says_nothing_is_drawn(session):
    session.predict(live=False)
    assert session.label == TEXT_BLANK and session.predictions == [] and session.verdict_text() == "Nothing drawn"


def test_a_sample_says_hit_predict_until_predict_is_pressed(session):
    from desktop_app.main_window import SAMPLES_DIR
    from model.runtime.images import sample_to_canvas

    session.document.set_image(sample_to_canvas(SAMPLES_DIR / "five.png"), sample=True)
    assert session.label == TEXT_SAMPLE and session.predictions[0] is not None
    session.predict(live=False)
    assert session.label == "Digit may be: 5"


def test_observers_hear_of_each_change(session):
    heard = []
    session.subscribe(heard.append)
    draw(session, [(100.0, 100.0), (100.0, 300.0)])
    assert {"drawing", "prediction", "label"} <= set(heard)


def test_two_model_files_side_by_side_and_their_disagreement(session, tmp_path, drawings):
    from model.coreml.spec import _model_pb2

    # A second model that always prefers 3: the shipped one with its last bias raised.
    spec = _model_pb2().Model()
    spec.ParseFromString(DEFAULT_COREML_MODEL.read_bytes())
    layer = next(layer for layer in reversed(spec.neuralNetworkClassifier.layers)
                 if layer.WhichOneof("layer") == "innerProduct")
    biases = list(layer.innerProduct.bias.floatValue)
    biases[3] += 100.0
    layer.innerProduct.bias.ClearField("floatValue")
    layer.innerProduct.bias.floatValue.extend(biases)
    threes = tmp_path / "threes.mlmodel"
    threes.write_bytes(spec.SerializeToString())

    session.models.compare_with_model(threes)
    draw(session, *drawings[0].strokes)  # a real digit that is not a 3
    first, second = session.predictions
    assert drawings[0].label != 3 and second.digit == 3 and first.digit != 3
    assert any(problem and "disagree" in text for text, problem in session.status_lines())


def test_two_model_files_of_one_name_are_told_apart_by_their_folders(session, tmp_path):
    import shutil

    old = tmp_path / "phone_app" / DEFAULT_COREML_MODEL.name
    old.parent.mkdir()
    shutil.copy(DEFAULT_COREML_MODEL, old)
    session.models.compare_with_model(old)
    session.models.ensure_loaded()
    titles = session.models.shown_titles()
    assert titles == [f"Core ML: {DEFAULT_COREML_MODEL.parent.name}/{old.name}", f"Core ML: phone_app/{old.name}"]
    assert [line for line, _ in session.status_lines()][:2] == titles


def test_a_missing_model_given_by_the_user_says_to_check_the_path(tmp_path):
    missing = tmp_path / "typo.mlmodel"
    session = Session(render_canvas, model_paths={"coreml": missing})
    session.models.ensure_loaded()
    draw(session, [(100.0, 100.0), (100.0, 300.0)])
    session.predict(live=False)
    assert session.label == TEXT_NO_MODEL
    (text, problem), = session.status_lines()
    assert problem and str(missing) in text and "Check the path" in text


def test_an_opened_model_that_reads_digits_wrong_says_so(tmp_path):
    from model.coreml.spec import _model_pb2

    # The shipped weights with the labels listed 9 to 0: it runs, and the phone would show a drawn 0 as 9.
    spec = _model_pb2().Model()
    spec.ParseFromString(DEFAULT_COREML_MODEL.read_bytes())
    labels = spec.neuralNetworkClassifier.stringClassLabels.vector
    backwards = list(labels)[::-1]
    del labels[:]
    labels.extend(backwards)
    path = tmp_path / "backwards.mlmodel"
    path.write_bytes(spec.SerializeToString())
    session = Session(render_canvas, model_paths={"coreml": path})
    session.models.ensure_loaded()
    (title, fine), (warning, problem) = session.status_lines()
    assert not fine and problem
    assert re.match(r"Core ML: backwards\.mlmodel reads only \d of 100 MNIST test digits right: check that its class\s+labels", warning)


def test_an_opened_model_that_reads_digits_right_has_no_warning(tmp_path):
    import shutil

    shutil.copy(DEFAULT_COREML_MODEL, tmp_path / "copy.mlmodel")
    session = Session(render_canvas, model_paths={"coreml": tmp_path / "copy.mlmodel"})
    session.models.ensure_loaded()
    assert session.status_lines() == [("Core ML: copy.mlmodel", False)]
    assert session.models.slot("coreml").mnist_read >= 0.98


def test_unknown_model_files_are_refused_by_name(session, tmp_path):
    with pytest.raises(ModelFileError, match="notes.txt: not a model file"):
        session.models.compare_with_model(tmp_path / "notes.txt")


def test_a_drawing_from_another_canvas_size_is_scaled_onto_the_phones(session):
    from model.runtime.strokes import parse_drawing

    drawing = parse_drawing({"canvas": [200, 200], "strokes": [[[100, 20], [100, 180]]]}, "test")
    session.document.set_drawing(drawing.on_phone_canvas())
    ((top, bottom),) = session.document.content.strokes
    assert top == pytest.approx((187.5, 37.5)) and bottom == pytest.approx((187.5, 337.5))
    assert "scaled" in drawing.note and np.asarray(session.bitmap()).max() == 255


def test_a_drawing_labelled_in_its_file_says_whether_the_model_reads_it_so(session, drawings):
    drawing = drawings[40]
    session.document.set_drawing(drawing.on_phone_canvas(), name="sample:41", label=drawing.label)
    session.predict(live=False)
    read = session.predictions[0].digit
    assert ("Labelled " + str(drawing.label) + " in its file", False) in session.status_lines()
    assert read == drawing.label  # the model reads this one right
    wrong = (drawing.label + 1) % 10
    session.document.set_drawing(drawing.on_phone_canvas(), name="sample:41", label=wrong)
    session.predict(live=False)
    assert (f"Labelled {wrong} in its file; Core ML: keras_mnist_cnn.mlmodel reads {read}", True) in \
        session.status_lines()
    draw(session, [(10.0, 10.0), (20.0, 20.0)])  # drawn on: no longer the file's drawing
    assert not any(text.startswith("Labelled") for text, _ in session.status_lines())


def test_where_the_phones_answer_hangs_on_its_shrink_the_status_says_so(session, drawings):
    from model.runtime.pipelines import SHRINKS

    model = session.models.slot("coreml").model
    told = 0
    for drawing in drawings[:400]:
        bitmap = render_canvas(drawing.on_phone_canvas())
        each = {shrink: predict_bitmap(model, bitmap, "phone", shrink).digit for shrink in SHRINKS}
        session.document.set_drawing(drawing.on_phone_canvas(), name="sample")
        session.predict(live=False)
        lines = [text for text, problem in session.status_lines() if text.startswith("The phone's answer hangs")]
        if len(set(each.values())) > 1:
            assert lines == [f"The phone's answer hangs on its shrink: area {each['area']}, bilinear-antialiased "
                             f"{each['bilinear-antialiased']}, bilinear {each['bilinear']}, nearest {each['nearest']}"]
            told += 1
        else:
            assert lines == []
    assert told >= 1  # the shipped model answers otherwise under an unfiltered shrink for some real digits
    session.choose_pipeline("centred")  # the phone's shrink plays no part
    assert not any(text.startswith("The phone's answer hangs") for text, _ in session.status_lines())
