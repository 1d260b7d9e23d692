"""The engines' registry: which file each engine reads, what each needs, and one
protocol whatever the engine."""

import numpy as np
import pytest

from model.errors import ModelFileError
from model.runtime.engines import ENGINES, EngineKind, engine_for_path, engine_help, load_engine, predict_bitmap
from model.runtime.paths import DEFAULT_COREML_MODEL


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
    assert all(f"{kind.name}: {kind.help}" in text for kind in ENGINES.values())


def test_the_shipped_core_ml_model_answers_ten_probabilities_and_a_verdict():
    engine = load_engine("coreml")
    bitmap = np.zeros((375, 375), np.uint8)
    bitmap[100:280, 180:196] = 255  # a "1"
    prediction = predict_bitmap(engine, bitmap, "phone")
    assert prediction.probabilities.shape == (10,) and prediction.probabilities.sum() == pytest.approx(1, abs=1e-5)
    assert prediction.digit == int(np.argmax(prediction.probabilities)) == prediction.verdict.digit
