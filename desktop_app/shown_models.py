"""The models shown, with no Qt: the chosen engine and model file, what it is
compared with, the precision, and each model's loading state. How models load
(in the background, in the app) is passed in."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.errors import ModelFileError
from model.runtime.engines import DEFAULT_ENGINE, ENGINES, Engine, engine_for_path

Load = Callable[["ModelSlot", Callable[[object], None]], None]


@dataclass
class ModelSlot:
    """One model file shown in the window, and how its loading went."""
    engine: str
    path: Path
    given: bool = False  # named by the user, not the shipped default
    precision: str = "float32"  # float16: as a phone's Neural Engine and GPU compute
    state: str = "idle"  # idle, loading, ready or error
    model: Engine | None = None
    error: str = ""
    title: str = ""  # what to call it instead of its file (the personal model)
    mnist_read: float | None = None  # share of MNIST digits a model the user opened reads right (SANITY_DIGITS)

    def named(self, parts: int = 1) -> str:
        """The engine and the file, with its last `parts` path components."""
        precision = " (float16)" if self.precision == "float16" and self.engine == "coreml" else ""
        if self.title:
            return f"{self.title}{precision}"
        return f"{ENGINES[self.engine].title.split(' (')[0]}: {'/'.join(self.path.parts[-parts:])}{precision}"

    @property
    def fix(self) -> str:
        """What to do about a model that did not load."""
        kind = ENGINES[self.engine]
        if kind.missing_modules():
            return ""  # the error already says what to install
        if self.path.exists():
            return "The file is damaged or not a model this app can run; choose another."
        if self.given:
            return "Check the path, or choose the file with File ▸ Open Model."
        return f"Make it with: {kind.make}"


class ShownModels:
    def __init__(self, changed: Callable[[], None], engine: str = DEFAULT_ENGINE,
                 model_paths: dict[str, str | os.PathLike] | None = None, load: Load | None = None):
        """`changed()` runs after a model loaded or a choice changed."""
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
        self._changed = changed
        self.engine = engine
        self.precision = "float32"
        self._slots: dict[tuple[str, Path, str], ModelSlot] = {}
        self._chosen_paths = {name: Path(p) for name, p in (model_paths or {}).items()}
        self.compare_engines = False
        self.second_model: ModelSlot | None = None  # compare with another model file
        self._load = load or (lambda slot, done: done(load_model(slot)))
        self.personal_path: Path | None = None  # the personal model, once there is one
        self.personal_title = ""
        self.use_personal = False
        self.personal_error = ""  # why the personal model could not be read: the base model answers instead

    def slot(self, engine: str, path: str | os.PathLike | None = None) -> ModelSlot:
        given = path is not None or engine in self._chosen_paths
        if path is None and engine == "coreml" and self.use_personal and self.personal_path is not None:
            path = self.personal_path
        resolved = Path(path) if path is not None else self.base_path(engine)
        key = (engine, resolved, self.precision)
        if key not in self._slots:
            self._slots[key] = ModelSlot(engine, resolved, given=given, precision=self.precision,
                                         title=self.personal_title if resolved == self.personal_path else "")
        return self._slots[key]

    def base_path(self, engine: str = "coreml") -> Path:
        """The model file chosen for an engine, personal model aside."""
        return self._chosen_paths.get(engine, ENGINES[engine].default_path)

    def set_personal(self, path: str | os.PathLike, title: str, use: bool = True) -> None:
        """A (new) personal model file: shown instead of the base Core ML model while `use_personal`."""
        self.personal_path = Path(path)
        self.personal_title = title
        self.personal_error = ""
        self._slots = {key: slot for key, slot in self._slots.items() if key[1] != self.personal_path}
        self.use_personal = use
        if use:
            self.engine = "coreml"
        self._chosen()

    def show_personal(self, on: bool) -> None:
        """View: the personal model or the base one."""
        self.use_personal = on and self.personal_path is not None and not self.personal_error
        if self.use_personal:
            self.engine = "coreml"
        self._chosen()

    def shown_slots(self) -> list[ModelSlot]:
        """The chosen model first, then what it is compared with."""
        slots = [self.slot(self.engine)]
        if self.second_model is not None:
            slots.append(self.second_model)
        elif self.compare_engines:
            slots += [self.slot(name) for name in ENGINES if name != self.engine]
        return slots

    def ensure_loaded(self) -> None:
        for slot in self.shown_slots():
            if slot.state == "idle":
                slot.state = "loading"
                self._load(slot, lambda result, slot=slot: self.model_loaded(slot, result))

    def model_loaded(self, slot: ModelSlot, result: object) -> None:
        """`result` is the loaded engine or an error message."""
        if isinstance(result, str):
            slot.state, slot.error, slot.model = "error", result, None
            if slot.path == self.personal_path and slot.engine == "coreml":
                # A personal model that cannot be read never leaves the app mute: the base model answers.
                self.personal_error = result
                if self.use_personal:
                    self.use_personal = False
                    self._chosen()
                    return
        else:
            slot.state, slot.error, slot.model = "ready", "", result
        self._changed()

    def _chosen(self) -> None:
        self.ensure_loaded()
        self._changed()

    def choose_engine(self, engine: str) -> None:
        self.engine = engine
        self._chosen()

    def set_compare_engines(self, on: bool) -> None:
        self.compare_engines = on
        if on:
            self.second_model = None
        self._chosen()

    def set_precision(self, precision: str) -> None:
        """float16 runs the Core ML models as a phone's Neural Engine and GPU do."""
        self.precision = precision
        if self.second_model is not None:
            self.second_model = self.slot(self.second_model.engine, self.second_model.path)
            self.second_model.given = True
        self._chosen()

    def compare_with_model(self, path: str | os.PathLike | None) -> None:
        """Show a second model file beside the chosen one (None: stop comparing)."""
        if path is None:
            self.second_model = None
        else:
            self.compare_engines = False
            engine = engine_for_path(path)  # raises ModelFileError for an unknown kind
            self.second_model = self.slot(engine, path)
            self.second_model.given = True
        self._chosen()

    def open_model(self, path: str | os.PathLike) -> None:
        """Run another model file as the chosen model."""
        engine = engine_for_path(path)
        self._chosen_paths[engine] = Path(path)
        self.slot(engine).given = True
        self.choose_engine(engine)

    def shown_titles(self) -> list[str]:
        """A title for each shown model, with as many of its folders as it takes
        to tell files of one name apart (an old and a new keras_mnist_cnn.mlmodel)."""
        slots = self.shown_slots()
        parts = [1] * len(slots)
        while True:
            titles = [slot.named(n) for slot, n in zip(slots, parts, strict=True)]
            clashing = [i for i, title in enumerate(titles)
                        if titles.count(title) > 1 and parts[i] < len(slots[i].path.parts)]
            if not clashing:
                return titles
            for i in clashing:
                parts[i] += 1


def load_model(slot: ModelSlot) -> object:
    """Load and warm up a slot's model: the engine, or an error message. A model the user opened is also
    tried on MNIST digits, so one that runs but reads digits wrong (its labels in another order than its
    outputs, trained on black ink on white) is said to do so, not shown as if it worked."""
    try:
        engine = ENGINES[slot.engine].load(slot.path, slot.precision)
        engine.probabilities(np.zeros((28, 28), np.float32))  # warm up (graph tracing)
        if slot.given:
            slot.mnist_read = mnist_read(engine)
        return engine
    except ModelFileError as error:
        return str(error)
    except Exception as error:  # a model that cannot load must never take the app down
        return f"{slot.path}: cannot be loaded ({type(error).__name__}: {error})"


SANITY_DIGITS = 100  # of the general check: a tenth of a second through the Core ML runner
SANITY_LINE = 0.8  # a digit model reads 99 % of them; one under this is not working as the phone app needs


def mnist_read(engine: Engine) -> float:
    """The share of the general check's first SANITY_DIGITS MNIST test digits the model reads right."""
    from model.runtime.personal import general_check

    images, labels = general_check()
    probabilities = engine.probabilities(images[:SANITY_DIGITS].astype(np.float32) / 255.0)
    return float((probabilities.argmax(axis=1) == labels[:SANITY_DIGITS]).mean())
