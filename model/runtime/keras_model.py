"""A .keras model file as the app's Keras engine reads it, with the "not a
digit" threshold training recorded beside it. Keras is imported only when a
file is loaded: the app's default path never does."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from model.contract import INPUT_SHAPE, NOT_A_DIGIT_KEYS, NUM_CLASSES
from model.errors import ModelFileError
from model.limits import MODEL_MEGABYTES, check_regular_file


def check_keras_file(path: Path) -> None:
    """What can be told of a model file without importing Keras."""
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file")
    check_regular_file(path, MODEL_MEGABYTES, ModelFileError, "a Keras model file")
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path}: not a Keras model file (a .keras file is a zip archive; this one is "
                             "damaged or truncated)")


def load_keras_model(path: str | os.PathLike):
    path = Path(path)
    check_keras_file(path)
    import keras

    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as error:
        raise ModelFileError(f"{path}: not a loadable Keras model ({error})") from error
    check_contract(model, str(path))
    check_finite_weights(model, str(path))
    return model


def check_contract(model, where: str) -> None:
    input_shape = tuple(model.input_shape[1:])
    output_shape = tuple(model.output_shape[1:])
    if input_shape != INPUT_SHAPE:
        raise ModelFileError(f"{where}: input shape is {input_shape}, expected {INPUT_SHAPE}")
    if output_shape != (NUM_CLASSES,):
        raise ModelFileError(f"{where}: output shape is {output_shape}, expected ({NUM_CLASSES},) classes")
    last = model.layers[-1]
    activation = getattr(getattr(last, "activation", None), "__name__", None)
    if activation != "softmax" and last.__class__.__name__ != "Softmax":
        raise ModelFileError(f"{where}: its last layer, {last.name!r} ({last.__class__.__name__}, activation "
                             f"{activation or 'none'}), is no softmax, so its answers are not probabilities")


def check_finite_weights(model, where: str) -> None:
    """A NaN or infinite weight answers nonsense for every drawing: refused by name."""
    import numpy as np

    for weight in model.weights:
        if not np.isfinite(np.asarray(weight)).all():
            raise ModelFileError(f"{where}: weight {weight.path} holds NaN or infinity")


def history_path(model_path: str | os.PathLike) -> Path:
    """Training's record beside a .keras model: history and "not a digit" threshold."""
    return Path(model_path).with_suffix(".history.json")


def recorded_threshold(model_path: str | os.PathLike, pipeline: str = "phone") -> float | None:
    """The "not a digit" threshold of `pipeline` training recorded beside a .keras model."""
    try:
        return float(json.loads(history_path(model_path).read_text())[NOT_A_DIGIT_KEYS[pipeline]])
    except (OSError, ValueError, KeyError, TypeError):
        return None
