"""The number mode, with no Qt: a wide canvas of its own (its document and
undo), split into digits and read by the models, pipeline and shrink the
digit screen shows, one digit of it chosen to show its bars.

Readings are kept by the strokes each candidate digit holds, so while the pen
moves only the digits it touches are read again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from desktop_app.document import CONTENT, Document
from desktop_app.session import OPTIONS, PREDICTION, Observed, Session, percent_text
from model.runtime.engines import Prediction, predict_bitmaps
from model.runtime.numbers import NUMBER_CANVAS, NumberReading, placed, read_number
from model.runtime.strokes import Point, Stroke

TEXT_START = "Write a number"
TEXT_ANSWER = "Number may be: {number}"
CACHE_SIZE = 4000  # readings of candidate digits kept


class NumberSession(Observed):
    kind = "number"

    def __init__(self, digits: Session, render_number: Callable[[Sequence[Sequence[Point]]], np.ndarray]):
        """`digits`: the digit screen's session, whose models, pipeline, shrink and renderer are used;
        `render_number(strokes)`: the number canvas as a bitmap, for saving."""
        super().__init__()
        self.digits = digits
        self.models = digits.models
        self.render_number = render_number
        self.document = Document(self._document_changed, NUMBER_CANVAS)
        self.reading = NumberReading([], [])
        self.others: list[list[Prediction | None]] = []  # each compared model's reading of each mark
        self.selected: int | None = None  # the mark whose bars are shown
        self._cache: dict[tuple, Prediction] = {}
        digits.subscribe(self._digits_changed)

    def _document_changed(self, what: str) -> None:
        self._changed(what)
        if what == CONTENT:
            self.read()

    def _digits_changed(self, what: str) -> None:
        if what == OPTIONS:  # another model, engine, pipeline or shrink: read again
            self.read()

    # --- reading
    def reader(self, slot) -> Callable[[list[list[Stroke]]], list[Prediction]]:
        """Read digits placed on the phone's canvas with a loaded model slot, remembering each."""
        pipeline, shrink = self.digits.pipeline, self.digits.shrink
        prefix = (slot.engine, str(slot.path), slot.precision, pipeline, shrink)

        def read(digits: list[list[Stroke]]) -> list[Prediction]:
            keys = [(*prefix, tuple(tuple(map(tuple, stroke)) for stroke in digit)) for digit in digits]
            missing = [index for index, key in enumerate(keys) if key not in self._cache]
            made = predict_bitmaps(slot.model, [self.digits.render(digits[i], None) for i in missing],
                                   pipeline, shrink)
            if len(self._cache) + len(made) > CACHE_SIZE:
                self._cache.clear()
            self._cache.update({keys[i]: prediction for i, prediction in zip(missing, made, strict=True)})
            return [self._cache[key] for key in keys]

        return read

    def read(self) -> NumberReading:
        """Split what is on the canvas into digits and read them with every model shown."""
        slots = self.models.shown_slots()
        strokes = self.document.live_strokes()
        if slots[0].state != "ready" or not strokes:
            self.reading, self.others = NumberReading([], []), []
        else:
            self.reading = read_number(strokes, self.reader(slots[0]))
            # The other models shown read the same digits (none shown: nothing to place).
            digits = [placed(self.reading.mark_strokes(index)) for index in range(len(self.reading.marks))] \
                if len(slots) > 1 else []
            self.others = [self.reader(slot)(digits) if slot.state == "ready" else [None] * len(digits)
                           for slot in slots[1:]]
        if self.selected is not None and self.selected >= len(self.reading.marks):
            self.selected = None
        self._changed(PREDICTION)
        return self.reading

    def reads(self, strokes: Sequence[Sequence[Point]]) -> str | None:
        """The number the chosen model reads in a drawing not on the canvas (None until it is loaded)."""
        slot = self.models.shown_slots()[0]
        if slot.state != "ready" or not strokes:
            return None
        return read_number([list(s) for s in strokes], self.reader(slot)).text

    def select(self, index: int | None) -> None:
        self.selected = index if index is None or 0 <= index < len(self.reading.marks) else None
        self._changed(PREDICTION)

    # --- what the window shows
    @property
    def predictions(self) -> list[Prediction | None]:
        """The chosen mark's reading by each model shown (the first mark until one is chosen)."""
        if not self.reading.marks:
            return []
        index = self.selected or 0
        return [self.reading.predictions[index], *(other[index] for other in self.others)]

    @property
    def model_input(self) -> np.ndarray | None:
        shown = self.predictions
        return shown[0].model_input if shown else None

    @property
    def label(self) -> str:
        return TEXT_ANSWER.format(number=self.reading.text) if self.reading.marks else TEXT_START

    def verdict_text(self) -> str:
        if self.document.is_empty():
            return "Nothing drawn"
        if not self.reading.marks and not self.reading.unread:
            return ""
        return self.reading.verdict_text

    def mark_text(self, index: int) -> str:
        prediction = self.reading.predictions[index]
        return f"{prediction.verdict.text} ({percent_text(prediction.verdict.top_probability)})"

    def status_lines(self) -> list[tuple[str, bool]]:
        """The models, their verdicts and agreement on the digit shown; then the other digits they disagree on,
        and the number's label."""
        lines = self.digits.status_lines(self.predictions)
        shown = self.selected or 0
        if self.reading.marks:
            lines.append((f"Digit {shown + 1} of {len(self.reading.marks)} shown (click a digit to show another)",
                          False))
        for index, others in enumerate(zip(*self.others, strict=True) if self.others else []):
            mine = self.reading.predictions[index].digit
            if index != shown and any(other is not None and other.digit != mine for other in others):
                lines.append((f"Models disagree on digit {index + 1}", True))
        label = self.document.content.label
        if label is not None and self.reading.marks:
            read = self.reading.text
            lines.append((f"Labelled {label} in its file" if read == label else
                          f"Labelled {label} in its file; the model reads {read}", read != label))
        return lines

    def bitmap(self) -> np.ndarray:
        return self.render_number(self.document.live_strokes())
