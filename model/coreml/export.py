"""Keras model -> the `.mlmodel` the phone runs (Core ML NeuralNetwork classifier).

By default the spec is built layer by layer with coremltools'
NeuralNetworkBuilder, as specification version 1 (iOS 11, the phone app's
deployment target): convolutions with batch norm folded in, ReLU, max pooling,
`flatten` in Keras' (channels-last) order, inner products and `softmax`.
`updatable=True` marks the dense layers trainable on device (iOS 13+).
`model_format="mlprogram"` converts one TensorFlow concrete function instead
(.mlpackage, iOS 15+).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.atomic import atomic_path
from model.contract import CLASS_LABELS, INPUT_SHAPE, NOT_A_DIGIT_KEYS, NUM_CLASSES
from model.coreml.update import DEFAULT_RULE, write_update_rule
from model.errors import ModelFileError

INPUT_NAME = "image"
PROBABILITIES_NAME = "output1"
LABEL_NAME = "classLabel"
SPEC_VERSION = 1  # iOS 11: the phone app's deployment target


@dataclass
class Metadata:
    author: str = "Digit Recognizer desktop"
    license: str = "MIT; trained on MNIST (CC BY-SA 3.0)"
    version: str = "1.0"
    short_description: str = ("Handwritten digit classifier: the Keras MNIST convnet, trained on MNIST and on "
                              "phone-like drawings so it reads finger drawings shrunk to 28x28.")


DESCRIPTIONS = {
    INPUT_NAME: "28x28 grayscale image of one digit, white ink on black (the canvas shrunk to 28x28)",
    PROBABILITIES_NAME: "Probability of each digit 0-9",
    LABEL_NAME: "The most likely digit",
}


def _folded(layer, batch_norm) -> tuple[np.ndarray, np.ndarray]:
    """A layer's kernel and bias with the batch norm that follows it folded in."""
    weights = layer.get_weights()
    kernel = weights[0]
    bias = weights[1] if len(weights) > 1 else np.zeros(kernel.shape[-1], np.float32)
    if batch_norm is not None:
        gamma, beta, mean, variance = batch_norm.get_weights()
        factor = gamma / np.sqrt(variance + batch_norm.epsilon)
        kernel, bias = kernel * factor, (bias - mean) * factor + beta
    if not (np.isfinite(kernel).all() and np.isfinite(bias).all()):
        raise ModelFileError(f"layer {layer.name!r} has weights that are NaN or infinite")
    return kernel.astype(np.float32), bias.astype(np.float32)


def build_spec(keras_model, metadata: Metadata, thresholds: dict[str, float] | None = None,
               updatable: bool = False):
    """A NeuralNetwork classifier spec (version 1, or 4 when updatable) with the
    phone's contract, built from a Keras model of Conv2D (grouped or not) /
    BatchNormalization / ReLU / MaxPooling2D / Flatten / Dense / Dropout layers."""
    from coremltools.models import datatypes
    from coremltools.models.neural_network import NeuralNetworkBuilder

    layers = [layer for layer in keras_model.layers if layer.__class__.__name__ not in ("InputLayer", "Dropout")]
    builder = NeuralNetworkBuilder([(INPUT_NAME, datatypes.Array(1, *INPUT_SHAPE[:2]))],
                                   [(PROBABILITIES_NAME, datatypes.Array(NUM_CLASSES))], mode="classifier")
    blob, trainable = INPUT_NAME, []
    for index, layer in enumerate(layers):
        kind = layer.__class__.__name__
        following = layers[index + 1] if index + 1 < len(layers) else None
        name = layer.name
        if kind == "BatchNormalization":
            continue  # folded into the layer before it
        batch_norm = following if following is not None and following.__class__.__name__ == "BatchNormalization" \
            else None
        activation = getattr(layer, "activation", None)
        activation = getattr(activation, "__name__", "linear")
        if kind == "Conv2D":
            if layer.padding != "valid" or tuple(layer.dilation_rate) != (1, 1):
                raise ModelFileError(f"layer {name!r}: only 'valid', undilated convolutions are exported")
            kernel, bias = _folded(layer, batch_norm)
            builder.add_convolution(name, kernel.shape[2], kernel.shape[3], kernel.shape[0], kernel.shape[1],
                                    layer.strides[0], layer.strides[1], "valid", layer.groups, kernel, bias, True,
                                    input_name=blob, output_name=name)
        elif kind == "Dense":
            kernel, bias = _folded(layer, batch_norm)
            builder.add_inner_product(name, kernel.T, bias, kernel.shape[0], kernel.shape[1], True,
                                      input_name=blob, output_name=name)
            trainable.append(name)
        elif kind == "ReLU":
            builder.add_activation(name, "RELU", blob, name)
        elif kind == "MaxPooling2D":
            if layer.padding != "valid":
                raise ModelFileError(f"layer {name!r}: only 'valid' pooling is exported")
            builder.add_pooling(name, layer.pool_size[0], layer.pool_size[1], layer.strides[0], layer.strides[1],
                                "MAX", "VALID", blob, name)
        elif kind == "Flatten":
            builder.add_flatten(name, 1, blob, name)  # channels-last, as Keras flattens
        elif kind == "Softmax":
            if layer.axis not in (-1, [-1], (-1,)):
                raise ModelFileError(f"layer {name!r}: a softmax over axis {layer.axis} cannot be exported")
            builder.add_softmax(name, blob, PROBABILITIES_NAME)
            blob = PROBABILITIES_NAME
            continue
        else:
            raise ModelFileError(f"layer {name!r}: a {kind} layer cannot be exported")
        blob = name
        if activation == "relu":
            builder.add_activation(f"{name}_relu", "RELU", blob, f"{name}_relu")
            blob = f"{name}_relu"
        elif activation == "softmax":
            builder.add_softmax(f"{name}_softmax", blob, PROBABILITIES_NAME)
            blob = PROBABILITIES_NAME
        elif activation != "linear":
            raise ModelFileError(f"layer {name!r}: activation {activation!r} cannot be exported")
    if blob != PROBABILITIES_NAME:
        raise ModelFileError("the model must end in a softmax over the 10 digits")
    builder.set_class_labels(CLASS_LABELS, predicted_feature_name=LABEL_NAME, prediction_blob=PROBABILITIES_NAME)
    builder.set_pre_processing_parameters(image_input_names=[INPUT_NAME], image_scale=1 / 255.0)
    spec = builder.spec
    image = spec.description.input[0].type.imageType
    image.width, image.height = INPUT_SHAPE[1], INPUT_SHAPE[0]
    image.colorSpace = image.GRAYSCALE
    spec.specificationVersion = SPEC_VERSION
    if updatable:
        # The update the desktop runs for a model that defines none: then the
        # phone's MLUpdateTask and `personalise` agree.
        write_update_rule(spec, DEFAULT_RULE, tuple(trainable))
    describe(spec, metadata, thresholds)
    return spec


def convert_mlprogram(keras_model, metadata: Metadata, thresholds: dict[str, float] | None = None):
    """An ML Program (.mlpackage, iOS 15+) with the phone's contract."""
    import coremltools as ct
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((1, *INPUT_SHAPE), tf.float32, name=INPUT_NAME)])
    def serve(image):
        return keras_model(image, training=False)

    image_input = ct.ImageType(name=INPUT_NAME, shape=(1, *INPUT_SHAPE), scale=1 / 255.0, bias=0.0,
                               color_layout=ct.colorlayout.GRAYSCALE)
    options = {"convert_to": "mlprogram", "minimum_deployment_target": ct.target.iOS15}
    mlmodel = ct.convert([serve.get_concrete_function()], source="tensorflow", inputs=[image_input],
                         classifier_config=ct.ClassifierConfig(CLASS_LABELS, predicted_feature_name=LABEL_NAME),
                         **options)
    spec = mlmodel.get_spec()
    probabilities = spec.description.predictedProbabilitiesName
    if probabilities != PROBABILITIES_NAME:
        ct.utils.rename_feature(spec, probabilities, PROBABILITIES_NAME)
    describe(spec, metadata, thresholds)
    return ct.models.MLModel(spec, weights_dir=mlmodel.weights_dir)


def describe(spec, metadata: Metadata, thresholds: dict[str, float] | None = None) -> None:
    """Author, license, version, descriptions, and each pipeline's "not a digit"
    threshold in `thresholds` under its NOT_A_DIGIT_KEYS key."""
    spec.description.metadata.author = metadata.author
    spec.description.metadata.license = metadata.license
    spec.description.metadata.versionString = metadata.version
    spec.description.metadata.shortDescription = metadata.short_description
    for feature in list(spec.description.input) + list(spec.description.output):
        feature.shortDescription = DESCRIPTIONS.get(feature.name, "")
    for pipeline, threshold in (thresholds or {}).items():
        spec.description.metadata.userDefined[NOT_A_DIGIT_KEYS[pipeline]] = f"{threshold:g}"


def export(keras_model, out_path: str | os.PathLike, metadata: Metadata,
           model_format: str = "neuralnetwork", thresholds: dict[str, float] | None = None,
           updatable: bool = False) -> Path:
    """Write a loaded Keras model (model.runtime.keras_model.load_keras_model
    checks its contract and weights) as a Core ML model, atomically."""
    out_path = Path(out_path)
    expected_suffix = ".mlpackage" if model_format == "mlprogram" else ".mlmodel"
    if out_path.suffix != expected_suffix:
        raise ModelFileError(f"{out_path}: a {model_format} model is saved as {expected_suffix}")
    if model_format == "mlprogram":
        _save_package_atomically(convert_mlprogram(keras_model, metadata, thresholds), out_path)
    else:
        spec = build_spec(keras_model, metadata, thresholds, updatable)
        with atomic_path(out_path) as temporary:
            temporary.write_bytes(spec.SerializeToString())
    return out_path


def _save_package_atomically(mlmodel, out_path: Path) -> None:
    import shutil
    import tempfile

    out_path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_path.stem}.", dir=out_path.parent))
    try:
        built = staging / out_path.name
        mlmodel.save(str(built))
        # A folder cannot replace another in one rename: move the old one
        # aside first, so that a kill at any moment leaves one whole package.
        if out_path.exists():
            os.replace(out_path, staging / "previous")
        os.replace(built, out_path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
