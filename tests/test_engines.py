"""The engines' registry: which file each engine reads, what each needs, and one
protocol whatever the engine."""

import numpy as np
import pytest

from model.errors import ModelFileError
from model.runtime.engines import (
    ENGINES,
    EngineKind,
    engine_for_path,
    engine_help,
    load_engine,
    not_a_digit_below,
    predict_bitmap,
    predict_input,
)
from model.runtime.paths import DEFAULT_COREML_MODEL
from model.runtime.pipelines import PIPELINES
from model.runtime.verdict import DIGIT, NOT_A_DIGIT


@pytest.mark.parametrize(("name", "engine"), [("a.mlmodel", "coreml"), ("B.MLMODEL", "coreml"),
                                              ("c.mlpackage", "coreml"), ("d.keras", "keras")])
def test_the_engine_is_chosen_by_the_files_suffix(name, engine):
    assert engine_for_path(name) == engine


def test_a_file_no_engine_reads_is_refused_by_name():
    with pytest.raises(ModelFileError, match=r"notes\.txt: not a model file this app reads \(\.mlmodel"):
        engine_for_path("notes.txt")


def test_an_unknown_engine_name_is_refused():
    with pytest.raises(ValueError, match="unknown engine 'onnx'"):
        load_engine("onnx")


def test_an_engine_whose_modules_are_missing_says_what_to_install():
    kind = EngineKind("fake", "Fake (.fake)", "a fake", (".fake",), DEFAULT_COREML_MODEL, ("no_such_module_here",),
                      'pip install -e ".[train]"', "", ENGINES["coreml"].loader)
    with pytest.raises(ModelFileError, match=r'needs no_such_module_here.*pip install -e "\.\[train\]"'):
        kind.load()


def test_the_help_names_every_engine_from_the_registry():
    text = engine_help()
    assert all(f"{kind.name}: {kind.help.rstrip('.')}" in text for kind in ENGINES.values())


def test_the_shipped_core_ml_model_answers_ten_probabilities_and_a_verdict():
    engine = load_engine("coreml")
    bitmap = np.zeros((375, 375), np.uint8)
    bitmap[100:280, 180:196] = 255  # a "1"
    prediction = predict_bitmap(engine, bitmap, "phone")
    assert prediction.probabilities.shape == (10,) and prediction.probabilities.sum() == pytest.approx(1, abs=1e-5)
    assert prediction.digit == int(np.argmax(prediction.probabilities)) == prediction.verdict.digit


class FixedEngine:
    """An engine that answers the same probabilities for every input: only its thresholds matter."""

    def __init__(self, phone, centred):
        self.not_a_digit_below, self.not_a_digit_below_centred = phone, centred

    def probabilities(self, inputs):
        return np.array([0.45, 0.05] + [0.5 / 8] * 8)


def test_each_pipelines_input_is_judged_by_that_pipelines_threshold():
    engine = FixedEngine(phone=0.4, centred=0.5)  # top probability 0.45: a digit by one, no digit by the other
    model_input = np.zeros((28, 28), np.float32)
    assert predict_input(engine, model_input, "phone").verdict.kind == DIGIT
    assert predict_input(engine, model_input, "centred").verdict.kind == NOT_A_DIGIT


def test_a_model_with_one_threshold_uses_it_on_both_pipelines():
    engine = FixedEngine(phone=0.5, centred=None)
    assert [not_a_digit_below(engine, pipeline) for pipeline in PIPELINES] == [0.5, 0.5]


@pytest.mark.parametrize("last", ["linear", "sigmoid"])
def test_a_keras_model_whose_last_layer_is_no_softmax_is_refused(tmp_path, last):
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, activation=last)])
    path = tmp_path / f"{last}.keras"
    model.save(path)
    with pytest.raises(ModelFileError, match=rf"{last}\.keras: its last layer, .* is no softmax"):
        load_engine("keras", path)


def test_a_keras_model_ending_in_a_softmax_layer_is_read(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10),
                              keras.layers.Softmax()])
    model.save(tmp_path / "softmax.keras")
    answer = load_engine("keras", tmp_path / "softmax.keras").probabilities(np.zeros((28, 28)))
    assert answer.sum() == pytest.approx(1.0, abs=1e-5)
