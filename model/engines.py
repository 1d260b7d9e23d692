"""Inference engines behind one interface: 28x28 inputs in [0, 1] -> probabilities.

- "coreml": the `.mlmodel` the phone runs, evaluated with numpy (default: it
  starts in milliseconds and answers in about a millisecond);
- "keras": the `.keras` model in TensorFlow, imported only when chosen.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.paths import DEFAULT_COREML_MODEL, DEFAULT_KERAS_MODEL
from model.pipelines import to_model_input

ENGINES = ("coreml", "keras")
ENGINE_TITLES = {"coreml": "Core ML (.mlmodel)", "keras": "Keras (.keras)"}
DEFAULT_PATHS = {"coreml": DEFAULT_COREML_MODEL, "keras": DEFAULT_KERAS_MODEL}


class CoreMLEngine:
    name = "coreml"

    def __init__(self, path: str | os.PathLike = DEFAULT_COREML_MODEL):
        from model.coreml_runner import CoreMLModel

        self.path = Path(path)
        self.model = CoreMLModel(self.path)

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        # The phone hands Vision an 8-bit bitmap: quantise as it does.
        pixels = np.clip(np.rint(np.asarray(inputs) * 255.0), 0, 255).astype(np.uint8)
        return self.model.probabilities(pixels)


class KerasEngine:
    name = "keras"

    def __init__(self, path: str | os.PathLike = DEFAULT_KERAS_MODEL):
        from model.network import load_keras_model

        self.path = Path(path)
        self.model = load_keras_model(self.path)

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        inputs = np.asarray(inputs, dtype=np.float32)
        single = inputs.ndim == 2
        batch = (inputs[None] if single else inputs)[..., None]
        if len(batch) <= 64:
            result = np.asarray(self.model(batch, training=False))  # far faster than predict() for few
        else:
            result = self.model.predict(batch, batch_size=500, verbose=0)
        return result[0] if single else result


def load_engine(name: str, path: str | os.PathLike | None = None):
    """Load an engine by name; raises ModelFileError naming a bad file."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
    path = path or DEFAULT_PATHS[name]
    return CoreMLEngine(path) if name == "coreml" else KerasEngine(path)


def engine_for_path(path: str | os.PathLike) -> str:
    return "coreml" if str(path).endswith(".mlmodel") else "keras"


@dataclass(frozen=True)
class Prediction:
    model_input: np.ndarray  # 28x28 float32, what the model saw
    probabilities: np.ndarray  # 10 floats summing to 1

    @property
    def digit(self) -> int:
        return int(np.argmax(self.probabilities))


def predict_bitmap(engine, bitmap: np.ndarray, pipeline: str) -> Prediction:
    """Canvas bitmap -> pipeline -> model. Raises NothingDrawn for a blank canvas."""
    model_input = to_model_input(bitmap, pipeline)
    return Prediction(model_input, engine.probabilities(model_input))
