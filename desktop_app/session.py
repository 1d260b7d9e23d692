"""What the app knows, with no Qt: the drawing (strokes, or an opened bitmap),
the pipeline, the models shown and their loading state, the last predictions
and their verdicts, and the phone's label text.

The window and its widgets observe a Session (`subscribe`) and only draw and
wire, as napari's Qt views observe its Qt-free model objects. The renderer and
the way models load in the background are passed in, so this module runs and
is tested without a display.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.engines import DEFAULT_ENGINE, ENGINES, Engine, Prediction, engine_for_path, predict_input
from model.errors import ModelFileError
from model.pipelines import PIPELINE_ALIASES, PIPELINES, NothingDrawn, to_model_input
from model.strokes import CANVAS_SIZE, Point, Stroke
from model.verdict import NOT_A_DIGIT, UNSURE

# The phone's label, word for word.
TEXT_START = "Draw a number or tap on an image"
TEXT_SAMPLE = "Hit predict..."
TEXT_PREDICTING = "Predicting..."
TEXT_PHONE_ANSWER = "Digit may be: {digit}"
# The desktop's own messages in the same place.
TEXT_BLANK = "Nothing drawn yet: draw a digit first"
TEXT_LOADING = "Loading the model…"
TEXT_NO_MODEL = "No model: see the message on the right"

# What changed, for observers.
DRAWING, MODELS, PREDICTION, LABEL, OPTIONS = "drawing", "models", "prediction", "label", "options"

Render = Callable[[Sequence[Sequence[Point]], "np.ndarray | None"], np.ndarray]
Listener = Callable[[str], None]


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

    def named(self, parts: int = 1) -> str:
        """The engine and the file, with its last `parts` path components."""
        precision = " (float16)" if self.precision == "float16" and self.engine == "coreml" else ""
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


@dataclass
class Content:
    """What is on the canvas, in canvas units (375x375, as on the phone)."""
    strokes: tuple[tuple[Point, ...], ...] = ()
    background: np.ndarray | None = field(default=None, compare=False)  # 375x375 uint8: a sample or an image
    name: str | None = None  # the file or sample it came from, for the title

    def is_empty(self) -> bool:
        return not self.strokes and self.background is None


def inside(point: Point) -> bool:
    return 0.0 <= point[0] <= CANVAS_SIZE and 0.0 <= point[1] <= CANVAS_SIZE


def edge_crossing(a: Point, b: Point) -> Point:
    """Where the segment from `a` (inside) to `b` (outside) leaves the canvas."""
    t = 1.0
    for axis in (0, 1):
        delta = b[axis] - a[axis]
        if b[axis] > CANVAS_SIZE:
            t = min(t, (CANVAS_SIZE - a[axis]) / delta)
        elif b[axis] < 0:
            t = min(t, -a[axis] / delta)
    return (round(a[0] + t * (b[0] - a[0]), 2), round(a[1] + t * (b[1] - a[1]), 2))


class Session:
    def __init__(self, render: Render, pipeline: str = "phone", engine: str = DEFAULT_ENGINE,
                 model_paths: dict[str, str | os.PathLike] | None = None,
                 load: Callable[[ModelSlot, Callable[[object], None]], None] | None = None):
        self.render = render
        self.pipeline = PIPELINE_ALIASES.get(pipeline, pipeline)
        if self.pipeline not in PIPELINES:
            raise ValueError(f"unknown pipeline {pipeline!r}: choose one of {', '.join(PIPELINES)}")
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
        self.engine = engine
        self.precision = "float32"
        self._slots: dict[tuple[str, Path, str], ModelSlot] = {}
        self._chosen_paths = {name: Path(p) for name, p in (model_paths or {}).items()}
        self.compare_engines = False
        self.second_model: ModelSlot | None = None  # compare with another model file
        self._load = load or self._load_now
        self.content = Content()
        self.current: list[Stroke] | None = None  # the stroke being drawn, cut where it leaves the canvas
        self._last_raw: Point | None = None
        self._undo: list[Content] = []
        self._redo: list[Content] = []
        self.predictions: list[Prediction | None] = []
        self.model_input: np.ndarray | None = None
        self.label = TEXT_START
        self._awaiting_predict = False  # a sample was tapped: the phone says "Hit predict..."
        self._listeners: list[Listener] = []

    # --- observers
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _changed(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    # --- models
    def slot(self, engine: str, path: str | os.PathLike | None = None) -> ModelSlot:
        given = path is not None or engine in self._chosen_paths
        resolved = Path(path) if path is not None else self._chosen_paths.get(engine, ENGINES[engine].default_path)
        key = (engine, resolved, self.precision)
        if key not in self._slots:
            self._slots[key] = ModelSlot(engine, resolved, given=given, precision=self.precision)
        return self._slots[key]

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
                self._changed(MODELS)
                self._load(slot, lambda result, slot=slot: self.model_loaded(slot, result))

    @staticmethod
    def _load_now(slot: ModelSlot, done: Callable[[object], None]) -> None:
        done(load_model(slot))

    def model_loaded(self, slot: ModelSlot, result: object) -> None:
        """`result` is the loaded engine or an error message."""
        if isinstance(result, str):
            slot.state, slot.error, slot.model = "error", result, None
        else:
            slot.state, slot.error, slot.model = "ready", "", result
        self._changed(MODELS)
        if slot in self.shown_slots():
            self.predict(live=True)

    def _options_changed(self) -> None:
        """After any choice of pipeline, engine, comparison or precision."""
        self.ensure_loaded()
        self._changed(OPTIONS)
        self.predict(live=True)

    def choose_engine(self, engine: str) -> None:
        self.engine = engine
        self._options_changed()

    def choose_pipeline(self, pipeline: str) -> None:
        self.pipeline = PIPELINE_ALIASES.get(pipeline, pipeline)
        self._options_changed()

    def set_compare_engines(self, on: bool) -> None:
        self.compare_engines = on
        if on:
            self.second_model = None
        self._options_changed()

    def set_precision(self, precision: str) -> None:
        """float16 runs the Core ML models as a phone's Neural Engine and GPU do."""
        self.precision = precision
        if self.second_model is not None:
            self.second_model = self.slot(self.second_model.engine, self.second_model.path)
            self.second_model.given = True
        self._options_changed()

    def compare_with_model(self, path: str | os.PathLike | None) -> None:
        """Show a second model file beside the chosen one (None: stop comparing)."""
        if path is None:
            self.second_model = None
        else:
            self.compare_engines = False
            engine = engine_for_path(path)  # raises ModelFileError for an unknown kind
            self.second_model = self.slot(engine, path)
            self.second_model.given = True
        self._options_changed()

    def open_model(self, path: str | os.PathLike) -> None:
        """Run another model file as the chosen model."""
        engine = engine_for_path(path)
        self._chosen_paths[engine] = Path(path)
        self.slot(engine).given = True
        self.choose_engine(engine)

    # --- the drawing
    def _record(self) -> None:
        self._undo.append(self.content)
        self._redo.clear()

    def _set_content(self, content: Content, label: str | None = None) -> None:
        self.content = content
        self.current = None
        self._changed(DRAWING)
        if label is not None:
            self._set_label(label)
        self.predict(live=True)

    def begin_stroke(self, point: Point) -> bool:
        """A press: starts a stroke only on the canvas."""
        self.current, self._last_raw = None, None
        if not inside(point):
            return False
        self.current = [[point]]
        self._last_raw = point
        self._awaiting_predict = False
        self._changed(DRAWING)
        return True

    def extend_stroke(self, point: Point) -> None:
        """A move: a stroke that leaves the canvas is cut at its edge and goes on
        where it comes back."""
        if self.current is None or self._last_raw is None or point == self._last_raw:
            return
        previous, self._last_raw = self._last_raw, point
        if inside(point):
            if not inside(previous):
                self.current.append([edge_crossing(point, previous)])
            self.current[-1].append(point)
        elif inside(previous):
            self.current[-1].append(edge_crossing(previous, point))
        else:
            return
        self._changed(DRAWING)

    def end_stroke(self) -> None:
        if self.current is None:
            return
        pieces = tuple(tuple(piece) for piece in self.current if piece)
        self.current, self._last_raw = None, None
        self._record()
        self._set_content(Content(self.content.strokes + pieces, self.content.background, self.content.name))

    def live_strokes(self) -> list[Stroke]:
        return [list(s) for s in self.content.strokes] + [list(p) for p in (self.current or []) if p]

    def clear(self) -> None:
        if self.content.is_empty():
            return
        self._record()
        self._awaiting_predict = False
        self._set_content(Content(), TEXT_START)

    def undo(self) -> bool:
        return self._step(self._undo, self._redo)

    def redo(self) -> bool:
        return self._step(self._redo, self._undo)

    def _step(self, source: list[Content], target: list[Content]) -> bool:
        """Undo or redo: back to the last state of `source`, keeping this one in `target`."""
        if not source:
            return False
        target.append(self.content)
        self._set_content(source.pop())
        return True

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def set_drawing(self, strokes: Sequence[Sequence[Point]], name: str | None = None) -> None:
        self._record()
        self._awaiting_predict = False
        self._set_content(Content(tuple(tuple(s) for s in strokes if s), None, name))

    def set_image(self, bitmap: np.ndarray, name: str | None = None, sample: bool = False) -> None:
        """An opened image or a sample, already on the 375x375 canvas."""
        self._record()
        self._awaiting_predict = sample
        self._set_content(Content((), np.asarray(bitmap, np.uint8), name), TEXT_SAMPLE if sample else None)

    def forget_name(self) -> None:
        """The drawing no longer is the file it came from (it was drawn on)."""
        if self.content.name is not None:
            self.content = Content(self.content.strokes, self.content.background, None)
            self._changed(DRAWING)

    def bitmap(self) -> np.ndarray:
        """The 375x375 uint8 bitmap the phone would hold (white ink on black)."""
        return self.render(self.live_strokes(), self.content.background)

    # --- prediction
    def _set_label(self, text: str) -> None:
        if text != self.label:
            self.label = text
            self._changed(LABEL)

    def predict(self, live: bool = False) -> list[Prediction | None]:
        """Predict the canvas with every shown model. `live` predictions (while
        drawing, after a change) keep the label's "Hit predict..."; a Predict
        press always answers."""
        slots = self.shown_slots()
        chosen = slots[0]
        if not live:
            self._awaiting_predict = False
        if self.content.is_empty() and not self.current:
            self._show([], None)
            self._set_label(TEXT_BLANK if not live else TEXT_START)
            return self.predictions
        try:
            model_input = to_model_input(self.bitmap(), self.pipeline)
        except NothingDrawn:
            self._show([], None)
            self._set_label(TEXT_BLANK)
            return self.predictions
        predictions = [predict_input(slot.model, model_input) if slot.state == "ready" else None
                       for slot in slots]
        self._show(predictions, model_input)
        if chosen.state != "ready":
            if not live or self.label not in (TEXT_SAMPLE, TEXT_START):
                self._set_label(TEXT_LOADING if chosen.state in ("loading", "idle") else TEXT_NO_MODEL)
        elif not self._awaiting_predict:
            self._set_label(TEXT_PHONE_ANSWER.format(digit=predictions[0].digit))
        return self.predictions

    def _show(self, predictions: list[Prediction | None], model_input: np.ndarray | None) -> None:
        self.predictions, self.model_input = predictions, model_input
        self._changed(PREDICTION)

    def verdict_text(self) -> str:
        """The desktop's honest answer for the chosen model."""
        prediction = self.predictions[0] if self.predictions else None
        if prediction is None:
            return "Nothing drawn" if self.content.is_empty() and not self.current else ""
        verdict = prediction.verdict
        percent = percent_text(verdict.top_probability)
        if verdict.kind == NOT_A_DIGIT:
            return f"Not a digit (top {verdict.digit}: {percent})"
        if verdict.kind == UNSURE:
            return f"Not sure: {verdict.text} ({percent})"
        return f"{verdict.digit} ({percent})"

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

    def status_lines(self) -> list[tuple[str, bool]]:
        """(line, is_a_problem) for each shown model, with its verdict when
        comparing, then whether they agree."""
        lines = []
        slots = self.shown_slots()
        titles = self.shown_titles()
        predictions = self.predictions + [None] * (len(slots) - len(self.predictions))
        for slot, title, prediction in zip(slots, titles, predictions, strict=True):
            if slot.state in ("idle", "loading"):
                lines.append((f"Loading {title}…", False))
            elif slot.state == "error":
                lines.append((f"{title} unavailable: {slot.error}. {slot.fix}".rstrip(), True))
            else:
                note = "" if slot.model.not_a_digit_below is not None else \
                    " (no \"not a digit\" threshold in this model)"
                verdict = f": {prediction.verdict.text} ({percent_text(prediction.verdict.top_probability)})" \
                    if prediction is not None and len(slots) > 1 else ""
                lines.append((f"{title}{verdict}{note}", False))
        shown = [(title, p) for title, p in zip(titles, predictions, strict=True) if p is not None]
        if len(shown) > 1:
            answers = {p.digit for _, p in shown}
            if len(answers) > 1:
                lines.append(("Models disagree: " + ", ".join(f"{title} says {p.digit}" for title, p in shown),
                              True))
            else:
                lines.append((f"All {len(shown)} models say {shown[0][1].digit}", False))
        return lines


def percent_text(probability: float) -> str:
    """"97.3 %", kept on one line where a label wraps."""
    return f"{100 * probability:.1f}\u00a0%"


def load_model(slot: ModelSlot) -> object:
    """Load and warm up a slot's model: the engine, or an error message."""
    try:
        engine = ENGINES[slot.engine].load(slot.path, slot.precision)
        engine.probabilities(np.zeros((28, 28), np.float32))  # warm up (graph tracing)
        return engine
    except ModelFileError as error:
        return str(error)
    except Exception as error:  # a model that cannot load must never take the app down
        return f"{slot.path}: cannot be loaded ({type(error).__name__}: {error})"
