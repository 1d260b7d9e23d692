"""What the app knows, with no Qt: the drawing document, the models shown, the
pipeline, and the answers (the last predictions, their verdicts and the
phone's label text).

The window and its widgets observe a Session (`subscribe`) and only draw and
wire, as napari's Qt views observe its Qt-free model objects. The renderer and
the way models load in the background are passed in, so this module runs and
is tested without a display.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np

from desktop_app.document import CONTENT, DRAWING, Document
from desktop_app.shown_models import SANITY_DIGITS, SANITY_LINE, Load, ShownModels
from model.runtime.engines import DEFAULT_ENGINE, Prediction, digits_by_shrink, predict_bitmap, predict_input
from model.runtime.pipelines import DEFAULT_SHRINK, PIPELINES, SHRINK_TITLES, SHRINKS, NothingDrawn, to_model_input
from model.runtime.strokes import Point
from model.runtime.verdict import NOT_A_DIGIT, UNSURE

# The phone's label, word for word.
TEXT_START = "Draw a number or tap on an image"
TEXT_SAMPLE = "Hit predict..."
TEXT_PREDICTING = "Predicting..."
TEXT_PHONE_ANSWER = "Digit may be: {digit}"
# The desktop's own messages in the same place.
TEXT_BLANK = "Nothing drawn yet: draw a digit first"
TEXT_LOADING = "Loading the model…"
TEXT_NO_MODEL = "No model: see the message on the right"

# What changed, for observers (DRAWING: the document; CONTENT is turned into it).
MODELS, PREDICTION, LABEL, OPTIONS = "models", "prediction", "label", "options"

Render = Callable[[Sequence[Sequence[Point]], "np.ndarray | None"], np.ndarray]
LIVE_INTERVAL_MS = 40  # at most one live reading per this while the pen moves (either canvas)
Listener = Callable[[str], None]


class Observed:
    """Observers (the window and its widgets) hear what changed: DRAWING, PREDICTION, LABEL, MODELS, OPTIONS."""

    def __init__(self):
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _changed(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)


class Session(Observed):
    kind = "digit"

    def __init__(self, render: Render, pipeline: str = "phone", engine: str = DEFAULT_ENGINE,
                 model_paths: dict[str, str | os.PathLike] | None = None, load: Load | None = None,
                 shrink: str = DEFAULT_SHRINK):
        if pipeline not in PIPELINES:
            raise ValueError(f"unknown pipeline {pipeline!r}: choose one of {', '.join(PIPELINES)}")
        if shrink not in SHRINKS:
            raise ValueError(f"unknown shrink {shrink!r}: choose one of {', '.join(SHRINKS)}")
        super().__init__()
        self.render = render
        self.pipeline = pipeline
        self.shrink = shrink  # how the phone pipeline shrinks the canvas
        self.document = Document(self._document_changed)
        self.models = ShownModels(self._models_changed, engine, model_paths, load)
        self.predictions: list[Prediction | None] = []
        self.digits_by_shrink: dict[str, int] = {}  # the chosen model's answer under each phone shrink
        self.model_input: np.ndarray | None = None
        self.label = TEXT_START

    def _document_changed(self, what: str) -> None:
        self._changed(DRAWING)
        if what == CONTENT:
            if self.document.content.is_empty():
                self._set_label(TEXT_START)
            elif self.document.sample_shown:
                self._set_label(TEXT_SAMPLE)
            self.predict(live=True)

    def _models_changed(self) -> None:
        self._changed(MODELS)
        self._changed(OPTIONS)
        self.predict(live=True)

    def choose_pipeline(self, pipeline: str) -> None:
        self._choose("pipeline", pipeline, PIPELINES)

    def choose_shrink(self, shrink: str) -> None:
        self._choose("shrink", shrink, SHRINKS)

    def _choose(self, option: str, value: str, choices: tuple[str, ...]) -> None:
        if value not in choices:
            raise ValueError(f"unknown {option} {value!r}: choose one of {', '.join(choices)}")
        setattr(self, option, value)
        self._changed(OPTIONS)
        self.predict(live=True)

    def bitmap(self) -> np.ndarray:
        """The 375x375 uint8 bitmap the phone would hold (white ink on black)."""
        return self.render(self.document.live_strokes(), self.document.content.background)

    # --- prediction
    def _set_label(self, text: str) -> None:
        if text != self.label:
            self.label = text
            self._changed(LABEL)

    def predict(self, live: bool = False) -> list[Prediction | None]:
        """Predict the canvas with every shown model. `live` predictions (while
        drawing, after a change) keep the label's "Hit predict..."; a Predict
        press always answers."""
        slots = self.models.shown_slots()
        chosen = slots[0]
        if not live:
            self.document.sample_shown = False
        self.digits_by_shrink = {}
        if self.document.is_empty():
            self._show([], None)
            self._set_label(TEXT_BLANK if not live else TEXT_START)
            return self.predictions
        bitmap = self.bitmap()
        try:
            model_input = to_model_input(bitmap, self.pipeline, self.shrink)
        except NothingDrawn:
            self._show([], None)
            self._set_label(TEXT_BLANK)
            return self.predictions
        predictions = [predict_input(slot.model, model_input, self.pipeline) if slot.state == "ready" else None
                       for slot in slots]
        # Core Graphics' shrink is undocumented: where the phone's answer hangs on it, the user is told.
        self.digits_by_shrink = digits_by_shrink(chosen.model, bitmap) \
            if self.pipeline == "phone" and chosen.state == "ready" else {}
        self._show(predictions, model_input)
        if chosen.state != "ready":
            if not live or self.label not in (TEXT_SAMPLE, TEXT_START):
                self._set_label(TEXT_LOADING if chosen.state in ("loading", "idle") else TEXT_NO_MODEL)
        elif not self.document.sample_shown:
            self._set_label(TEXT_PHONE_ANSWER.format(digit=predictions[0].digit))
        return self.predictions

    def reads(self, strokes: Sequence[Sequence[Point]]) -> int | None:
        """The chosen model's answer for a drawing not on the canvas (None until it is loaded, or for no ink):
        what the canvas would say, for finding the drawings of a file that it misreads."""
        slot = self.models.shown_slots()[0]
        if slot.state != "ready":
            return None
        try:
            return predict_bitmap(slot.model, self.render(strokes, None), self.pipeline, self.shrink).digit
        except NothingDrawn:
            return None

    def _show(self, predictions: list[Prediction | None], model_input: np.ndarray | None) -> None:
        self.predictions, self.model_input = predictions, model_input
        self._changed(PREDICTION)

    def verdict_text(self) -> str:
        """The desktop's honest answer for the chosen model."""
        prediction = self.predictions[0] if self.predictions else None
        if prediction is None:
            return "Nothing drawn" if self.document.is_empty() else ""
        verdict = prediction.verdict
        percent = percent_text(verdict.top_probability)
        if verdict.kind == NOT_A_DIGIT:
            return f"Not a digit (top {verdict.digit}: {percent})"
        if verdict.kind == UNSURE:
            return f"Not sure: {verdict.text} ({percent})"
        return f"{verdict.digit} ({percent})"

    def status_lines(self, predictions: list[Prediction | None] | None = None) -> list[tuple[str, bool]]:
        """(line, is_a_problem) for each shown model, with its verdict when
        comparing, then whether they agree: on this screen's drawing, or on
        `predictions` made elsewhere (a digit of the number mode, whose label
        and shrinks are not this screen's)."""
        lines = []
        own = predictions is None  # this screen's drawing, not a digit of the number mode
        slots = self.models.shown_slots()
        titles = self.models.shown_titles()
        # Until the next prediction, the last one's list may be of another set of models.
        predictions = ((self.predictions if predictions is None else predictions) + [None] * len(slots))[:len(slots)]
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
                if slot.mnist_read is not None and slot.mnist_read < SANITY_LINE:
                    lines.append((f"{title} reads only {round(slot.mnist_read * SANITY_DIGITS)} of {SANITY_DIGITS} "
                                  "MNIST test digits right: check that its class labels follow its outputs and "
                                  "that it takes white ink on black, as the phone app hands it", True))
        if self.pipeline == "phone" and self.shrink != DEFAULT_SHRINK:
            lines.append((f"Phone shrink: {SHRINK_TITLES[self.shrink].lower()}, not the area averaging assumed", False))
        if own and len(set(self.digits_by_shrink.values())) > 1:
            lines.append(("The phone's answer hangs on its shrink: " + ", ".join(
                f"{shrink} {digit}" for shrink, digit in self.digits_by_shrink.items()), True))
        if self.models.personal_error:
            lines.append(("Your personal model could not be read, so the base model answers: Personalise makes it "
                          f"again from your personal set ({self.models.personal_error})", True))
        label = self.document.content.label if own else None
        if label is not None and predictions and predictions[0] is not None:
            read = predictions[0].digit
            lines.append((f"Labelled {label} in its file" if read == label else
                          f"Labelled {label} in its file; {titles[0]} reads {read}", read != label))
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
