import keras
import pytest

from model.coreml_export import CLASS_LABELS, Metadata, export
from model.coreml_runner import CoreMLModel
from model.errors import ModelFileError
from model.paths import DEFAULT_COREML_MODEL, DEFAULT_KERAS_MODEL


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "keras_mnist_cnn.mlmodel"
    export(DEFAULT_KERAS_MODEL, out, Metadata(author="Test Author", license="MIT", version="9.9"))
    return out


def test_export_has_the_phones_contract(exported):
    model = CoreMLModel(exported)
    assert model.specification_version <= 4
    assert model.spec.WhichOneof("Type") == "neuralNetworkClassifier"
    assert model.input_name == "image" and model.input_size == (28, 28)
    assert model.scale == pytest.approx(1 / 255) and model.bias == 0
    assert model.labels == CLASS_LABELS
    outputs = {feature.name: feature.type.WhichOneof("Type") for feature in model.spec.description.output}
    assert outputs == {"classLabel": "stringType", "output1": "dictionaryType"}
    assert model.label_name == "classLabel" and model.probabilities_name == "output1"


def test_export_carries_the_metadata_xcode_shows(exported):
    description = CoreMLModel(exported).spec.description
    assert description.metadata.author == "Test Author"
    assert description.metadata.license == "MIT"
    assert description.metadata.versionString == "9.9"
    assert description.metadata.shortDescription
    assert all(feature.shortDescription for feature in [*description.input, *description.output])


def test_export_leaves_no_temporary_files(exported):
    assert [p.name for p in exported.parent.iterdir()] == [exported.name]


def test_shipped_mlmodel_is_in_step_with_the_shipped_keras_model(exported):
    # Same weights: the committed export and a fresh one give the same answers.
    import numpy as np

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(32, 28, 28), dtype=np.uint8)
    fresh, shipped = CoreMLModel(exported), CoreMLModel(DEFAULT_COREML_MODEL)
    assert np.abs(fresh.probabilities(pixels) - shipped.probabilities(pixels)).max() <= 1e-5


def test_a_model_with_the_wrong_input_is_refused(tmp_path):
    wrong = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    path = tmp_path / "wrong.keras"
    wrong.save(path)
    out = tmp_path / "wrong.mlmodel"
    with pytest.raises(ModelFileError, match=r"input shape is \(32, 32, 1\), expected \(28, 28, 1\)"):
        export(path, out, Metadata())
    assert not out.exists()


def test_a_model_with_the_wrong_number_of_classes_is_refused(tmp_path):
    wrong = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(26)])
    path = tmp_path / "letters.keras"
    wrong.save(path)
    with pytest.raises(ModelFileError, match=r"output shape is \(26,\), expected \(10,\)"):
        export(path, tmp_path / "letters.mlmodel", Metadata())


def test_export_script_exits_non_zero_naming_a_missing_model(tmp_path):
    from tests.conftest import run_script

    result = run_script("scripts/export_coreml.py", "--model", str(tmp_path / "none.keras"),
                        "--out", str(tmp_path / "x.mlmodel"))
    assert result.returncode != 0
    assert "none.keras: no such model file" in result.stderr
