"""Keras model -> the `.mlmodel` the phone runs (Core ML NeuralNetwork classifier).

coremltools cannot convert a Keras 3 model directly; it converts one TensorFlow
concrete function with a single input signature.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from model.atomic import atomic_path
from model.errors import ModelFileError
from model.network import INPUT_SHAPE, NUM_CLASSES, load_keras_model

INPUT_NAME = "image"
PROBABILITIES_NAME = "output1"
LABEL_NAME = "classLabel"
CLASS_LABELS = [str(digit) for digit in range(NUM_CLASSES)]
MAX_SPEC_VERSION = 4  # iOS 13


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


def convert(keras_model, metadata: Metadata, model_format: str = "neuralnetwork"):
    """An MLModel with the phone's contract, from a loaded Keras model."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import coremltools as ct
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((1, *INPUT_SHAPE), tf.float32, name=INPUT_NAME)])
    def serve(image):
        return keras_model(image, training=False)

    image_input = ct.ImageType(name=INPUT_NAME, shape=(1, *INPUT_SHAPE), scale=1 / 255.0, bias=0.0,
                               color_layout=ct.colorlayout.GRAYSCALE)
    options = {"convert_to": "neuralnetwork", "minimum_deployment_target": ct.target.iOS13}
    if model_format == "mlprogram":
        options = {"convert_to": "mlprogram", "minimum_deployment_target": ct.target.iOS15}
    mlmodel = ct.convert([serve.get_concrete_function()], source="tensorflow", inputs=[image_input],
                         classifier_config=ct.ClassifierConfig(CLASS_LABELS, predicted_feature_name=LABEL_NAME),
                         **options)
    spec = mlmodel.get_spec()
    probabilities = spec.description.predictedProbabilitiesName
    if probabilities != PROBABILITIES_NAME:
        ct.utils.rename_feature(spec, probabilities, PROBABILITIES_NAME)
    describe(spec, metadata)
    if model_format == "mlprogram":
        return ct.models.MLModel(spec, weights_dir=mlmodel.weights_dir)
    return ct.models.MLModel(spec)


def describe(spec, metadata: Metadata) -> None:
    spec.description.metadata.author = metadata.author
    spec.description.metadata.license = metadata.license
    spec.description.metadata.versionString = metadata.version
    spec.description.metadata.shortDescription = metadata.short_description
    for feature in list(spec.description.input) + list(spec.description.output):
        feature.shortDescription = DESCRIPTIONS.get(feature.name, "")


def export(keras_path: str | os.PathLike, out_path: str | os.PathLike, metadata: Metadata,
           model_format: str = "neuralnetwork") -> Path:
    out_path = Path(out_path)
    expected_suffix = ".mlpackage" if model_format == "mlprogram" else ".mlmodel"
    if out_path.suffix != expected_suffix:
        raise ModelFileError(f"{out_path}: a {model_format} model is saved as {expected_suffix}")
    keras_model = load_keras_model(keras_path)  # checks the 28x28x1 -> 10 contract
    mlmodel = convert(keras_model, metadata, model_format)
    if model_format == "mlprogram":
        _save_package_atomically(mlmodel, out_path)
    else:
        with atomic_path(out_path) as temporary:
            mlmodel.save(str(temporary))
    return out_path


def _save_package_atomically(mlmodel, out_path: Path) -> None:
    import shutil
    import tempfile

    out_path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_path.stem}.", dir=out_path.parent))
    try:
        built = staging / out_path.name
        mlmodel.save(str(built))
        if out_path.exists():
            shutil.rmtree(out_path)
        os.replace(built, out_path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
