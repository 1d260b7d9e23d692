import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.coreml.runner import CoreMLModel
from model.coreml.spec import _model_pb2
from model.errors import ModelFileError
from model.runtime.paths import DEFAULT_COREML_MODEL, DEFAULT_KERAS_MODEL
from tests.fuzz import FUZZ, mutated_bytes, read_or_refused


@pytest.fixture(scope="module")
def runner():
    return CoreMLModel(DEFAULT_COREML_MODEL)


def test_runner_agrees_with_keras_on_real_mnist_digits(runner, mnist):
    from model.runtime.keras_model import load_keras_model

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


# --- every mutation of a valid .mlmodel is run, or refused by name (hypothesis)
def run_or_refuse(path):
    model = read_or_refused(CoreMLModel, path, ModelFileError)
    if model is None:
        return
    probabilities = model.probabilities(np.full((2, 28, 28), 200, np.uint8))
    assert probabilities.shape == (2, 10) and np.isfinite(probabilities).all()


@FUZZ
@given(st.data())
def test_an_mlmodel_mutated_byte_by_byte_is_run_or_refused_by_name(tmp_path_factory, data):
    original = DEFAULT_COREML_MODEL.read_bytes()
    path = tmp_path_factory.mktemp("fuzz") / "mutated.mlmodel"
    # The header and layer parameters live in the first and last kilobytes; the weights between.
    head = data.draw(st.booleans())
    cut = 4096 if head else len(original) - 4096
    part = original[:cut] if head else original[cut:]
    mutated = data.draw(mutated_bytes(part))
    path.write_bytes(mutated + original[cut:] if head else original[:cut] + mutated)
    run_or_refuse(path)


@FUZZ
@given(st.data())
def test_an_mlmodel_with_a_layer_field_replaced_is_run_or_refused_by_name(tmp_path_factory, data):
    spec = _model_pb2().Model()
    spec.ParseFromString(DEFAULT_COREML_MODEL.read_bytes())
    layers = spec.neuralNetworkClassifier.layers
    layer = layers[data.draw(st.integers(0, len(layers) - 1))]
    params = getattr(layer, layer.WhichOneof("layer"))
    numbers = [f for f in params.DESCRIPTOR.fields if f.type in (f.TYPE_UINT64, f.TYPE_INT64, f.TYPE_UINT32,
                                                                 f.TYPE_INT32, f.TYPE_BOOL, f.TYPE_ENUM)]
    if numbers:
        field = data.draw(st.sampled_from(numbers))
        value = data.draw(st.integers(0, 70000)) if field.type != field.TYPE_BOOL else data.draw(st.booleans())
        if field.type == field.TYPE_ENUM:
            value = data.draw(st.sampled_from([v.number for v in field.enum_type.values]))
        if hasattr(getattr(params, field.name), "append"):  # a repeated field
            getattr(params, field.name).append(value)
        else:
            setattr(params, field.name, value)
    if data.draw(st.booleans()):
        layer.input[0] = data.draw(st.sampled_from(["image", "nowhere", layers[0].output[0]]))
    path = tmp_path_factory.mktemp("fuzz") / "fields.mlmodel"
    path.write_bytes(spec.SerializeToString())
    run_or_refuse(path)


def test_a_centred_threshold_that_is_no_probability_is_named(tmp_path):
    from model.coreml.spec import read_spec

    spec = read_spec(DEFAULT_COREML_MODEL)
    spec.description.metadata.userDefined["not_a_digit_below_centred"] = "1.5"
    path = tmp_path / "bad.mlmodel"
    path.write_bytes(spec.SerializeToString())
    with pytest.raises(ModelFileError, match=r"bad\.mlmodel: metadata 'not_a_digit_below_centred' is '1\.5', "
                                             "expected a probability from 0 to 1"):
        CoreMLModel(path)


def _shipped_spec_with(change):
    spec = _model_pb2().Model()
    spec.ParseFromString(DEFAULT_COREML_MODEL.read_bytes())
    change(spec.neuralNetworkClassifier)
    return spec


def test_a_model_that_lists_its_classes_backwards_is_read_by_its_labels_as_the_phone_shows_them(tmp_path, runner,
                                                                                                 mnist):
    def backwards(network):
        labels = list(network.stringClassLabels.vector)
        del network.stringClassLabels.vector[:]
        network.stringClassLabels.vector.extend(labels[::-1])

    path = tmp_path / "backwards.mlmodel"
    path.write_bytes(_shipped_spec_with(backwards).SerializeToString())
    images = mnist.x_test[:20]
    # The same weights: the network's first output is now labelled "9", so a drawn 0 is shown as 9.
    assert CoreMLModel(path).probabilities(images) == pytest.approx(runner.probabilities(images)[:, ::-1], abs=1e-6)
    assert CoreMLModel(path).predict(images[0])["classLabel"] == str(9 - int(mnist.y_test[0]))


def test_a_model_with_whole_number_labels_reads_as_with_text_labels(tmp_path, runner, mnist):
    def whole_numbers(network):
        network.ClearField("stringClassLabels")
        network.int64ClassLabels.vector.extend(range(10))

    path = tmp_path / "int64.mlmodel"
    path.write_bytes(_shipped_spec_with(whole_numbers).SerializeToString())
    assert CoreMLModel(path).probabilities(mnist.x_test[:20]) == pytest.approx(runner.probabilities(mnist.x_test[:20]))


def test_class_labels_that_are_not_the_ten_digits_are_refused_naming_the_field(tmp_path):
    def words(network):
        del network.stringClassLabels.vector[:]
        network.stringClassLabels.vector.extend(["zero", "one", "two", "three", "four", "five", "six", "seven",
                                                 "eight", "nine"])

    path = tmp_path / "words.mlmodel"
    path.write_bytes(_shipped_spec_with(words).SerializeToString())
    with pytest.raises(ModelFileError, match=r"words\.mlmodel: field 'stringClassLabels' lists the classes.*digits 0 to 9"):
        CoreMLModel(path)


def test_a_classifier_whose_output_is_no_softmax_is_refused(tmp_path):
    def without_softmax(network):
        output = network.layers[-1].output[0]
        del network.layers[-1]
        network.layers[-1].output[0] = output

    path = tmp_path / "logits.mlmodel"
    path.write_bytes(_shipped_spec_with(without_softmax).SerializeToString())
    with pytest.raises(ModelFileError, match="logits.mlmodel: output 'output1' is not produced by a softmax"):
        CoreMLModel(path)


def test_a_model_that_takes_seconds_for_one_drawing_is_refused_with_its_time(monkeypatch):
    import model.coreml.runner as runner_module

    # Any model over the limit; the limit lowered so that the shipped model is one.
    monkeypatch.setattr(runner_module, "MODEL_SECONDS", 0.0)
    with pytest.raises(ModelFileError, match=r"one drawing takes \d+\.\d s through this model \(at most 0 s"):
        CoreMLModel(DEFAULT_COREML_MODEL)
