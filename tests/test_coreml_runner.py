import numpy as np
import pytest

from model.coreml_runner import CoreMLModel, _model_pb2
from model.errors import ModelFileError
from model.paths import DEFAULT_COREML_MODEL, DEFAULT_KERAS_MODEL


@pytest.fixture(scope="module")
def runner():
    return CoreMLModel(DEFAULT_COREML_MODEL)


def test_runner_agrees_with_keras_on_real_mnist_digits(runner, mnist):
    from model.network import load_keras_model

    keras_model = load_keras_model(DEFAULT_KERAS_MODEL)
    digits = mnist.x_test[:2000]
    keras_probabilities = keras_model.predict(digits[..., None].astype(np.float32) / 255, verbose=0)
    core_ml_probabilities = runner.probabilities(digits)
    assert np.abs(core_ml_probabilities - keras_probabilities).max() <= 1e-4
    assert np.array_equal(core_ml_probabilities.argmax(1), keras_probabilities.argmax(1))


def test_predict_returns_the_phones_outputs(runner, mnist):
    outputs = runner.predict(mnist.x_test[0])
    assert outputs["classLabel"] == max(outputs["output1"], key=outputs["output1"].get)
    assert sorted(outputs["output1"]) == [str(d) for d in range(10)]
    assert sum(outputs["output1"].values()) == pytest.approx(1, abs=1e-5)


def test_a_truncated_file_is_named(tmp_path):
    truncated = tmp_path / "truncated.mlmodel"
    truncated.write_bytes(DEFAULT_COREML_MODEL.read_bytes()[:5000])
    with pytest.raises(ModelFileError, match=f"{truncated}: not a Core ML model file"):
        CoreMLModel(truncated)


def test_a_file_that_is_not_core_ml_is_named(tmp_path):
    other = tmp_path / "picture.mlmodel"
    other.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    with pytest.raises(ModelFileError, match=f"{other}"):
        CoreMLModel(other)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ModelFileError, match="no such Core ML model file"):
        CoreMLModel(tmp_path / "absent.mlmodel")


def test_an_unsupported_layer_is_named(tmp_path):
    spec = _model_pb2().Model()
    spec.ParseFromString(DEFAULT_COREML_MODEL.read_bytes())
    layer = spec.neuralNetworkClassifier.layers.add()
    layer.name = "my_lrn"
    layer.lrn.alpha = 1.0
    layer.input.append("x")
    layer.output.append("y")
    path = tmp_path / "lrn.mlmodel"
    path.write_bytes(spec.SerializeToString())
    with pytest.raises(ModelFileError, match="layer 'my_lrn' has type 'lrn', which is not supported"):
        CoreMLModel(path)


@pytest.mark.skipif(__import__("sys").platform != "darwin", reason="Core ML itself runs only on Apple platforms")
def test_core_ml_itself_agrees_with_the_runner_on_macos(runner, mnist):
    import coremltools as ct
    from PIL import Image

    # CPU only: the default units put the Neural Engine's float16 past this tolerance.
    core_ml = ct.models.MLModel(str(DEFAULT_COREML_MODEL), compute_units=ct.ComputeUnit.CPU_ONLY)
    for digit in mnist.x_test[:200]:
        outputs = core_ml.predict({"image": Image.fromarray(digit, mode="L")})
        ours = runner.predict(digit)
        assert outputs["classLabel"] == ours["classLabel"]
        for label, probability in outputs["output1"].items():
            assert probability == pytest.approx(ours["output1"][label], abs=1e-4)
