import keras
import pytest

from model.coreml.export import CLASS_LABELS, Metadata, export
from model.coreml.runner import CoreMLModel
from model.errors import ModelFileError
from model.runtime.keras_model import load_keras_model
from model.runtime.paths import DEFAULT_COREML_MODEL, DEFAULT_KERAS_MODEL


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The shipped Keras model through export_coreml.py, as a user runs it."""
    from tests.conftest import run_script

    out = tmp_path_factory.mktemp("export") / "keras_mnist_cnn.mlmodel"
    result = run_script("scripts/export_coreml.py", "--model", str(DEFAULT_KERAS_MODEL), "--out", str(out),
                        "--author", "Test Author", "--license", "MIT", "--version", "9.9")
    assert result.returncode == 0, result.stderr
    return out


def test_export_is_a_specification_version_1_model_for_ios_11(exported):
    model = CoreMLModel(exported)
    assert model.specification_version == 1
    layers = {layer.WhichOneof("layer") for layer in model.spec.neuralNetworkClassifier.layers}
    assert layers <= {"convolution", "activation", "pooling", "flatten", "innerProduct", "softmax"}


def test_export_agrees_with_keras_on_real_digits(exported, mnist):
    from model.runtime.keras_model import load_keras_model

    keras_probabilities = load_keras_model(DEFAULT_KERAS_MODEL).predict(
        mnist.x_test[:1000, ..., None] / 255.0, verbose=0)
    core_ml_probabilities = CoreMLModel(exported).probabilities(mnist.x_test[:1000])
    assert abs(core_ml_probabilities - keras_probabilities).max() <= 1e-4


def test_export_stores_each_pipelines_not_a_digit_threshold_training_chose(exported):
    from model.runtime.keras_model import recorded_threshold

    model = CoreMLModel(exported)
    assert None not in (model.not_a_digit_below, model.not_a_digit_below_centred)
    assert model.not_a_digit_below == pytest.approx(recorded_threshold(DEFAULT_KERAS_MODEL, "phone"))
    assert model.not_a_digit_below_centred == pytest.approx(recorded_threshold(DEFAULT_KERAS_MODEL, "centred"))


def test_a_threshold_given_on_the_command_line_is_the_only_one_stored(tmp_path):
    from tests.conftest import run_script

    out = tmp_path / "given.mlmodel"
    result = run_script("scripts/export_coreml.py", "--model", str(DEFAULT_KERAS_MODEL), "--out", str(out),
                        "--not-a-digit-below", "0.5")
    assert result.returncode == 0, result.stderr
    model = CoreMLModel(out)
    assert (model.not_a_digit_below, model.not_a_digit_below_centred) == (0.5, None)


def test_an_updatable_export_loads_in_coremltools_with_trainable_dense_layers(tmp_path):
    import coremltools as ct

    out = export(load_keras_model(DEFAULT_KERAS_MODEL), tmp_path / "updatable.mlmodel", Metadata(), updatable=True)
    spec = ct.models.MLModel(str(out), skip_model_load=True).get_spec()
    assert spec.isUpdatable and spec.specificationVersion == 4
    network = spec.neuralNetworkClassifier
    assert [layer.name for layer in network.layers if layer.isUpdatable] == ["dense1", "probabilities"]
    assert network.updateParams.lossLayers[0].categoricalCrossEntropyLossLayer.input == "output1"
    assert {feature.name for feature in spec.description.trainingInput} == {"image", "classLabel"}


def test_the_updatable_export_holds_the_update_the_desktop_runs_as_coremltools_writes_it(tmp_path):
    from dataclasses import replace

    from coremltools.models.neural_network import AdamParams, NeuralNetworkBuilder

    from model.coreml.update import DEFAULT_RULE, UpdateRule

    out = export(load_keras_model(DEFAULT_KERAS_MODEL), tmp_path / "updatable.mlmodel", Metadata(), updatable=True)
    model = CoreMLModel(out)
    assert UpdateRule.of(model) == replace(DEFAULT_RULE, layers=("dense1", "probabilities"))
    # coremltools' own builder, given the same update, writes the same fields.
    reference = CoreMLModel(DEFAULT_COREML_MODEL).spec
    builder = NeuralNetworkBuilder(spec=reference)
    builder.make_updatable(["dense1", "probabilities"])
    builder.set_categorical_cross_entropy_loss(name="loss", input="output1")
    builder.set_adam_optimizer(AdamParams(lr=DEFAULT_RULE.learning_rate, batch=DEFAULT_RULE.batch_size,
                                          beta1=DEFAULT_RULE.beta1, beta2=DEFAULT_RULE.beta2, eps=DEFAULT_RULE.eps))
    builder.set_epochs(DEFAULT_RULE.epochs)
    ours, theirs = model.spec.neuralNetworkClassifier.updateParams, builder.spec.neuralNetworkClassifier.updateParams
    assert ours.lossLayers == theirs.lossLayers
    assert ours.optimizer.adamOptimizer.learningRate.defaultValue == theirs.optimizer.adamOptimizer.learningRate.defaultValue
    assert ours.optimizer.adamOptimizer.miniBatchSize.defaultValue == theirs.optimizer.adamOptimizer.miniBatchSize.defaultValue
    assert ours.epochs.defaultValue == theirs.epochs.defaultValue
    assert not ours.shuffle.defaultValue  # the examples in the order given: the phone's update is the desktop's
    assert [f.name for f in model.spec.description.trainingInput] == \
        [f.name for f in builder.spec.description.trainingInput]


def test_a_model_with_non_finite_weights_is_refused(tmp_path):
    import numpy as np

    from model.recipe.network import build_model

    model = build_model()
    weights = model.get_weights()
    weights[-2][0, 0] = np.inf
    model.set_weights(weights)
    path = tmp_path / "inf.keras"
    model.save(path)
    with pytest.raises(ModelFileError, match=r"inf\.keras: weight probabilities/kernel holds NaN or infinity"):
        export(load_keras_model(path), tmp_path / "inf.mlmodel", Metadata())
    assert not (tmp_path / "inf.mlmodel").exists()


def test_export_has_the_phones_contract(exported):
    model = CoreMLModel(exported)
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
        export(load_keras_model(path), out, Metadata())
    assert not out.exists()


def test_a_model_with_the_wrong_number_of_classes_is_refused(tmp_path):
    wrong = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(26)])
    path = tmp_path / "letters.keras"
    wrong.save(path)
    with pytest.raises(ModelFileError, match=r"output shape is \(26,\), expected \(10,\)"):
        export(load_keras_model(path), tmp_path / "letters.mlmodel", Metadata())


def test_export_script_exits_non_zero_naming_a_missing_model(tmp_path):
    from tests.conftest import run_script

    result = run_script("scripts/export_coreml.py", "--model", str(tmp_path / "none.keras"),
                        "--out", str(tmp_path / "x.mlmodel"))
    assert result.returncode != 0
    assert "none.keras: no such model file" in result.stderr


def test_a_model_ending_in_a_softmax_layer_exports_and_agrees_with_keras(tmp_path, mnist):
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10),
                              keras.layers.Softmax()])
    model.save(tmp_path / "softmax.keras")
    out = export(load_keras_model(tmp_path / "softmax.keras"), tmp_path / "softmax.mlmodel", Metadata())
    images = mnist.x_test[:50]
    expected = model.predict(images[..., None] / 255.0, verbose=0)
    assert CoreMLModel(out).probabilities(images) == pytest.approx(expected, abs=1e-5)


def test_the_export_script_names_the_model_file_of_a_layer_it_cannot_export(tmp_path):
    from tests.conftest import run_script

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.AveragePooling2D(2), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "average.keras")
    result = run_script("scripts/export_coreml.py", "--model", str(tmp_path / "average.keras"),
                        "--out", str(tmp_path / "average.mlmodel"))
    assert result.returncode != 0 and not (tmp_path / "average.mlmodel").exists()
    assert f"{tmp_path / 'average.keras'}: layer 'average_pooling2d': a AveragePooling2D layer cannot be exported" \
        in result.stderr
