"""Inference engines: the one registry that describes each kind, and one protocol.

Every engine takes the same 8-bit 28x28 input the phone hands Vision, so two
engines (or two models) side by side differ only by their models.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from model.errors import ModelFileError
from model.runtime.cli import choices_help
from model.runtime.paths import DEFAULT_COREML_MODEL, DEFAULT_KERAS_MODEL
from model.runtime.pipelines import DEFAULT_SHRINK, SHRINKS, to_model_input
from model.runtime.verdict import Verdict, judge


class Engine(Protocol):
    kind: EngineKind
    path: Path
    not_a_digit_below: float | None  # top probability below which a drawing is "not a digit"
    not_a_digit_below_centred: float | None  # the centred pipeline's own, where the model records one

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """(N, 28, 28) or (28, 28) inputs in [0, 1] -> (N, 10) or (10,) probabilities."""


def to_pixels(inputs: np.ndarray) -> np.ndarray:
    """The 8-bit image the phone hands the model (white ink = 255)."""
    return np.clip(np.rint(np.asarray(inputs, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class EngineKind:
    name: str  # in code, CLI and JSON
    title: str  # in the UI
    help: str  # what it is, in help and tooltips
    suffixes: tuple[str, ...]  # model files it reads
    default_path: Path
    needs: tuple[str, ...]  # modules that must be installed
    install: str  # the command that installs them
    make: str  # the command that makes its default model file
    loader: Callable[[Path, str], Engine]

    def missing_modules(self) -> list[str]:
        return [module for module in self.needs if importlib.util.find_spec(module) is None]

    def load(self, path: str | os.PathLike | None = None, precision: str = "float32") -> Engine:
        """Load a model file; raises ModelFileError naming the file, or what to install.
        precision="float16" computes as a phone's Neural Engine and GPU do, where the engine can."""
        missing = self.missing_modules()
        if missing:
            raise ModelFileError(f"the {self.title} engine needs {' and '.join(missing)}, not installed here; "
                                 f"install with: {self.install}")
        return self.loader(Path(path) if path else self.default_path, precision)


class CoreMLEngine:
    def __init__(self, path: Path, precision: str = "float32"):
        from model.coreml.runner import CoreMLModel

        self.kind = ENGINES["coreml"]
        self.path = path
        self.precision = precision
        self.model = CoreMLModel(path, precision)
        self.not_a_digit_below = self.model.not_a_digit_below
        self.not_a_digit_below_centred = self.model.not_a_digit_below_centred

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        return self.model.probabilities(to_pixels(inputs))


class KerasEngine:
    def __init__(self, path: Path, precision: str = "float32"):
        from model.runtime.keras_model import load_keras_model, recorded_threshold

        self.kind = ENGINES["keras"]
        self.path = path
        self.precision = "float32"  # TensorFlow on this computer
        self.model = load_keras_model(path)
        self.not_a_digit_below = recorded_threshold(path, "phone")
        self.not_a_digit_below_centred = recorded_threshold(path, "centred")

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        inputs = to_pixels(inputs).astype(np.float32) / np.float32(255.0)
        single = inputs.ndim == 2
        batch = (inputs[None] if single else inputs)[..., None]
        if len(batch) <= 64:
            result = np.asarray(self.model(batch, training=False))  # far faster than predict() for few
        else:
            result = self.model.predict(batch, batch_size=500, verbose=0)
        return result[0] if single else result


TRAIN_EXTRA = 'pip install -e ".[train]"'
ENGINES: dict[str, EngineKind] = {
    "coreml": EngineKind("coreml", "Core ML (.mlmodel)",
                         "the very model file the iPhone app runs, evaluated here with numpy, layer by layer, as "
                         "Core ML defines it. Starts instantly.", (".mlmodel", ".mlpackage"), DEFAULT_COREML_MODEL, ("coremltools",),
                         "pip install -e .",
                         "python scripts/export_coreml.py --model MODEL.keras --out MODEL.mlmodel",
                         CoreMLEngine),
    "keras": EngineKind("keras", "Keras (.keras)",
                        "the trained Keras model in TensorFlow (installed with the training tools).", (".keras",), DEFAULT_KERAS_MODEL, ("tensorflow", "keras"),
                        TRAIN_EXTRA, "python scripts/train.py --data PATH/TO/mnist.npz --out MODEL.keras",
                        KerasEngine),
}
DEFAULT_ENGINE = "coreml"


def engine_help() -> str:
    """--engine's help, from the registry."""
    return choices_help({kind.name: kind.help for kind in ENGINES.values()}) + f" (default {DEFAULT_ENGINE})"


def engine_for_path(path: str | os.PathLike) -> str:
    """The engine that reads a model file, from its suffix."""
    suffix = Path(path).suffix.lower()
    for kind in ENGINES.values():
        if suffix in kind.suffixes:
            return kind.name
    known = ", ".join(s for kind in ENGINES.values() for s in kind.suffixes)
    raise ModelFileError(f"{path}: not a model file this app reads ({known})")


PRECISIONS = ("float32", "float16")


def load_engine(name: str, path: str | os.PathLike | None = None, precision: str = "float32") -> Engine:
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
    return ENGINES[name].load(path, precision)


@dataclass(frozen=True)
class Prediction:
    model_input: np.ndarray  # 28x28 float32, what the model saw
    probabilities: np.ndarray  # 10 floats summing to 1
    verdict: Verdict

    @property
    def digit(self) -> int:
        """The phone's answer: the top class, whatever the verdict."""
        return int(np.argmax(self.probabilities))


def not_a_digit_below(engine: Engine, pipeline: str) -> float | None:
    """The threshold for inputs made by `pipeline`: each pipeline's own, chosen
    alike (it calls 2 % of held-out phone-like digits "not a digit"), where the
    model records one; else the phone's, the one the phone runs."""
    centred = engine.not_a_digit_below_centred
    return centred if pipeline == "centred" and centred is not None else engine.not_a_digit_below


def predict_input(engine: Engine, model_input: np.ndarray, pipeline: str) -> Prediction:
    """`model_input` made by `pipeline` -> model -> the verdict by that pipeline's threshold."""
    return predict_inputs(engine, model_input[None], pipeline)[0]


def predict_inputs(engine: Engine, inputs: np.ndarray, pipeline: str) -> list[Prediction]:
    """predict_input for (N, 28, 28) inputs, in one call of the model."""
    probabilities = np.asarray(engine.probabilities(inputs)).reshape(len(inputs), -1)
    threshold = not_a_digit_below(engine, pipeline)
    return [Prediction(x, p, judge(p, threshold)) for x, p in zip(inputs, probabilities, strict=True)]


def predict_bitmaps(engine: Engine, bitmaps: list[np.ndarray], pipeline: str, shrink: str = DEFAULT_SHRINK
                    ) -> list[Prediction]:
    """predict_bitmap for several canvases, in one call of the model."""
    if not bitmaps:
        return []
    return predict_inputs(engine, np.stack([to_model_input(bitmap, pipeline, shrink) for bitmap in bitmaps]),
                          pipeline)


def digits_by_shrink(engine: Engine, bitmap: np.ndarray) -> dict[str, int]:
    """The phone's answer (the top class) for a canvas under each way it may be shrunk, in one call."""
    inputs = np.stack([to_model_input(bitmap, "phone", shrink) for shrink in SHRINKS])
    probabilities = np.asarray(engine.probabilities(inputs)).reshape(len(SHRINKS), -1)
    return {shrink: int(row.argmax()) for shrink, row in zip(SHRINKS, probabilities, strict=True)}


def predict_bitmap(engine: Engine, bitmap: np.ndarray, pipeline: str, shrink: str = DEFAULT_SHRINK) -> Prediction:
    """Canvas bitmap -> pipeline (the phone's by `shrink`) -> model. Raises NothingDrawn for a blank canvas."""
    return predict_input(engine, to_model_input(bitmap, pipeline, shrink), pipeline)
