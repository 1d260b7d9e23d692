"""The drawing as a document, with no Qt: what is on the canvas (strokes, or an
opened bitmap), the stroke being drawn, and undo/redo. Observers hear DRAWING
while a stroke grows and CONTENT when what is on the canvas was replaced."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from model.runtime.strokes import CANVAS_SIZE, Point, Stroke

DRAWING, CONTENT = "drawing", "content"


@dataclass
class Content:
    """What is on the canvas, in canvas units (375x375 as on the phone, or the number canvas)."""
    strokes: tuple[tuple[Point, ...], ...] = ()
    background: np.ndarray | None = field(default=None, compare=False)  # 375x375 uint8: a sample or an image
    name: str | None = None  # the file or sample it came from, for the title
    label: int | str | None = None  # the digit (or number) its file says it is, until it is drawn on

    def is_empty(self) -> bool:
        return not self.strokes and self.background is None


PHONE_CANVAS = (CANVAS_SIZE, CANVAS_SIZE)


def inside(point: Point, size: tuple[int, int] = PHONE_CANVAS) -> bool:
    return 0.0 <= point[0] <= size[0] and 0.0 <= point[1] <= size[1]


def edge_crossing(a: Point, b: Point, size: tuple[int, int] = PHONE_CANVAS) -> Point:
    """Where the segment from `a` (inside) to `b` (outside) leaves the canvas."""
    t = 1.0
    for axis in (0, 1):
        delta = b[axis] - a[axis]
        if b[axis] > size[axis]:
            t = min(t, (size[axis] - a[axis]) / delta)
        elif b[axis] < 0:
            t = min(t, -a[axis] / delta)
    return (round(a[0] + t * (b[0] - a[0]), 2), round(a[1] + t * (b[1] - a[1]), 2))


class Document:
    def __init__(self, changed: Callable[[str], None], size: tuple[int, int] = PHONE_CANVAS):
        self._changed = changed
        self.size = size  # the canvas, in canvas units
        self.content = Content()
        self.current: list[Stroke] | None = None  # the stroke being drawn, cut where it leaves the canvas
        self._last_raw: Point | None = None
        self._undo: list[Content] = []
        self._redo: list[Content] = []
        self.sample_shown = False  # a sample was tapped: the phone waits for Predict

    def _record(self) -> None:
        self._undo.append(self.content)
        self._redo.clear()

    def _set_content(self, content: Content) -> None:
        self.content = content
        self.current = None
        self._changed(CONTENT)

    def begin_stroke(self, point: Point) -> bool:
        """A press: starts a stroke only on the canvas."""
        self.current, self._last_raw = None, None
        if not inside(point, self.size):
            return False
        self.current = [[point]]
        self._last_raw = point
        self.sample_shown = False
        self._changed(DRAWING)
        return True

    def extend_stroke(self, point: Point) -> None:
        """A move: a stroke that leaves the canvas is cut at its edge and goes on
        where it comes back."""
        if self.current is None or self._last_raw is None or point == self._last_raw:
            return
        previous, self._last_raw = self._last_raw, point
        if inside(point, self.size):
            if not inside(previous, self.size):
                self.current.append([edge_crossing(point, previous, self.size)])
            self.current[-1].append(point)
        elif inside(previous, self.size):
            self.current[-1].append(edge_crossing(previous, point, self.size))
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

    def is_empty(self) -> bool:
        return self.content.is_empty() and not self.current

    def clear(self) -> bool:
        if self.content.is_empty():
            return False
        self._record()
        self.sample_shown = False
        self._set_content(Content())
        return True

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

    def set_drawing(self, strokes: Sequence[Sequence[Point]], name: str | None = None,
                    label: int | str | None = None) -> None:
        self._record()
        self.sample_shown = False
        self._set_content(Content(tuple(tuple(s) for s in strokes if s), None, name, label))

    def set_image(self, bitmap: np.ndarray, name: str | None = None, sample: bool = False) -> None:
        """An opened image or a sample, already on the 375x375 canvas."""
        self._record()
        self.sample_shown = sample
        self._set_content(Content((), np.asarray(bitmap, np.uint8), name))

    def rename(self, name: str | None) -> None:
        """The drawing is now the file `name` (saved there), or no file (drawn on)."""
        if name != self.content.name:
            self.content = Content(self.content.strokes, self.content.background, name, self.content.label)
            self._changed(DRAWING)
