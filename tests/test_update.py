"""The phone's on-device update, run with numpy, held against TensorFlow's own
optimizers from the same weights on the same mini-batches."""

from dataclasses import replace

import numpy as np
import pytest

from model.coreml.runner import CoreMLModel
from model.coreml.update import DEFAULT_RULE, Update, UpdateRule, write_update_rule
from model.errors import ModelFileError

rng = np.random.default_rng(11)
W1 = rng.normal(0, 0.05, (784, 16)).astype(np.float32)
B1 = rng.normal(0, 0.1, 16).astype(np.float32)
W2 = rng.normal(0, 0.3, (16, 10)).astype(np.float32)
B2 = rng.normal(0, 0.1, 10).astype(np.float32)
PIXELS = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
LABELS = rng.integers(0, 10, 12)


def small_model(path, rule: UpdateRule | None = None, labels=tuple(str(d) for d in range(10))):
    """image -> dense1 (784 -> 16) -> ReLU -> dense2 (16 -> 10) -> softmax, as coremltools builds it."""
    from coremltools.models import datatypes
    from coremltools.models.neural_network import NeuralNetworkBuilder

    builder = NeuralNetworkBuilder([("image", datatypes.Array(1, 28, 28))], [("output1", datatypes.Array(10))],
                                   mode="classifier")
    builder.add_inner_product("dense1", W1.T, B1, 784, 16, True, input_name="image", output_name="dense1")
    builder.add_activation("relu", "RELU", "dense1", "relu")
    builder.add_inner_product("dense2", W2.T, B2, 16, 10, True, input_name="relu", output_name="dense2")
    builder.add_softmax("softmax", "dense2", "output1")
    builder.set_class_labels(list(labels), predicted_feature_name="classLabel",
                             prediction_blob="output1")
    builder.set_pre_processing_parameters(image_input_names=["image"], image_scale=1 / 255.0)
    spec = builder.spec
    image = spec.description.input[0].type.imageType
    image.width, image.height, image.colorSpace = 28, 28, image.GRAYSCALE
    if rule is not None:
        write_update_rule(spec, rule, ("dense1", "dense2"))
    path.write_bytes(spec.SerializeToString())
    return CoreMLModel(path)


def keras_steps(optimizer, steps: int, classes=LABELS):
    import keras

    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.set_weights([W1, B1, W2, B2])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")
    features = PIXELS.reshape(12, -1).astype(np.float32) / 255
    targets = np.eye(10, dtype=np.float32)[classes]
    for step in range(steps):
        batch = slice(4 * (step % 3), 4 * (step % 3) + 4)
        model.train_on_batch(features[batch], targets[batch])
    return model.get_weights()


@pytest.mark.parametrize(("rule", "optimizer"), [
    (UpdateRule(layers=None, learning_rate=0.05, batch_size=4, epochs=2), ("SGD", {"learning_rate": 0.05})),
    (UpdateRule(layers=None, learning_rate=0.05, batch_size=4, epochs=2, momentum=0.9),
     ("SGD", {"learning_rate": 0.05, "momentum": 0.9})),
    (UpdateRule(layers=None, optimizer="adam", learning_rate=0.01, batch_size=4, epochs=2),
     ("Adam", {"learning_rate": 0.01, "epsilon": 1e-8})),
], ids=["sgd", "sgd-momentum", "adam"])
def test_the_numpy_update_equals_tensorflows_steps(tmp_path, rule, optimizer):
    import keras

    update = Update(small_model(tmp_path / "small.mlmodel"), rule)
    update.fit(PIXELS, LABELS)  # 2 epochs of 3 mini-batches, in order
    expected = keras_steps(getattr(keras.optimizers, optimizer[0])(**optimizer[1]), steps=6)
    got = [update.dense[0].weights, update.dense[0].bias, update.dense[1].weights, update.dense[1].bias]
    for ours, theirs in zip(got, expected, strict=True):
        assert ours == pytest.approx(theirs, abs=1e-5)


def test_a_model_that_lists_its_classes_backwards_is_taught_each_digit_by_its_label(tmp_path):
    import keras

    backwards = small_model(tmp_path / "backwards.mlmodel", labels=[str(d) for d in range(9, -1, -1)])
    update = Update(backwards, UpdateRule(layers=None, learning_rate=0.05, batch_size=4, epochs=2))
    update.fit(PIXELS, LABELS)
    # The digit d is the model's class 9 - d: TensorFlow, told so, takes the same steps.
    expected = keras_steps(keras.optimizers.SGD(learning_rate=0.05), steps=6, classes=9 - LABELS)
    assert update.dense[1].weights == pytest.approx(expected[2], abs=1e-5)
    path = tmp_path / "personal.mlmodel"
    path.write_bytes(update.updated_spec().SerializeToString())
    personal = CoreMLModel(path).probabilities(PIXELS)
    assert personal == pytest.approx(update.probabilities(PIXELS), abs=1e-5)
    assert (personal.argmax(axis=1) == LABELS).mean() > (backwards.probabilities(PIXELS).argmax(axis=1) == LABELS).mean()


def test_an_updatable_model_is_updated_as_it_says(tmp_path):
    rule = UpdateRule(layers=("dense1", "dense2"), optimizer="sgd", learning_rate=0.1, batch_size=3, epochs=4,
                      momentum=0.5)
    model = small_model(tmp_path / "updatable.mlmodel", rule)
    assert UpdateRule.of(model) == rule


def test_the_updated_spec_runs_as_the_update_predicts(tmp_path):
    update = Update(small_model(tmp_path / "small.mlmodel"), DEFAULT_RULE)
    update.fit(PIXELS, LABELS)
    path = tmp_path / "personal.mlmodel"
    path.write_bytes(update.updated_spec().SerializeToString())
    assert CoreMLModel(path).probabilities(PIXELS) == pytest.approx(update.probabilities(PIXELS), abs=1e-5)


def test_an_update_it_does_not_implement_is_refused_by_name(tmp_path):
    model = small_model(tmp_path / "mse.mlmodel", DEFAULT_RULE)
    spec = model.spec
    loss = spec.neuralNetworkClassifier.updateParams.lossLayers[0]
    loss.meanSquaredErrorLossLayer.input = "output1"
    (tmp_path / "mse.mlmodel").write_bytes(spec.SerializeToString())
    with pytest.raises(ModelFileError, match=r"mse\.mlmodel: updateParams: loss layer 'loss' is a "
                                             r"meanSquaredErrorLossLayer"):
        UpdateRule.of(CoreMLModel(tmp_path / "mse.mlmodel"))


def test_a_layer_the_update_cannot_update_is_named(tmp_path):
    from model.runtime.paths import DEFAULT_COREML_MODEL

    model = CoreMLModel(DEFAULT_COREML_MODEL)
    with pytest.raises(ModelFileError, match=r"layer 'conv4' \(convolution\): is marked updatable; only innerProduct"):
        Update(model, replace(DEFAULT_RULE, layers=("conv4", "probabilities")))

