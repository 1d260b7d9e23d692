"""The drawing canvas: like Qt's Scribble example, it owns its strokes, its
image and its mouse and paint events.

Strokes are kept in canvas units (a 375x375 logical canvas, as on the phone),
whatever the widget's size or the screen's pixel ratio, so predictions never
depend on the window. The bitmap handed to the model is always drawn by the
one renderer at 375x375.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.render import CANVAS_SIZE, paint_strokes, render_image, render_strokes

Point = tuple[float, float]


class Canvas(QWidget):
    strokeMoved = Signal()  # the stroke being drawn grew
    strokeFinished = Signal()  # the pen lifted (emitted just before `changed`)
    changed = Signal()  # a stroke ended, or the canvas was cleared, undone or replaced

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.strokes: list[list[Point]] = []
        self.background: QImage | None = None  # a sample or opened image, in canvas units
        self._current: list[Point] | None = None
        self._display: QImage | None = None  # finished strokes at screen resolution
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(CANVAS_SIZE, CANVAS_SIZE)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse or a pen")

    def sizeHint(self) -> QSize:
        return QSize(CANVAS_SIZE, CANVAS_SIZE)

    # --- geometry: the canvas is the largest centred square in the widget
    def canvas_rect(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_canvas(self, position: QPointF) -> Point:
        rect = self.canvas_rect()
        scale = CANVAS_SIZE / rect.width()
        x = min(max((position.x() - rect.x()) * scale, 0.0), float(CANVAS_SIZE))
        y = min(max((position.y() - rect.y()) * scale, 0.0), float(CANVAS_SIZE))
        return (round(x, 2), round(y, 2))

    # --- content
    def all_strokes(self) -> list[list[Point]]:
        return self.strokes + ([self._current] if self._current else [])

    def is_empty(self) -> bool:
        return not self.all_strokes() and self.background is None

    def bitmap(self) -> np.ndarray:
        """The 375x375 uint8 bitmap the phone would hold (white ink on black)."""
        return render_strokes(self.all_strokes(), self.background)

    def clear(self) -> None:
        self.strokes, self.background, self._current = [], None, None
        self._content_changed()

    def undo(self) -> bool:
        if self.strokes:
            self.strokes.pop()
        elif self.background is not None:
            self.background = None
        else:
            return False
        self._content_changed()
        return True

    def set_content(self, strokes: list[list[Point]], background: QImage | None = None) -> None:
        self.strokes = [list(stroke) for stroke in strokes]
        self.background = background
        self._current = None
        self._content_changed()

    def _content_changed(self) -> None:
        self._display = None
        self.update()
        self.changed.emit()

    # --- mouse (a pen tablet arrives as mouse events too)
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._current = [self.to_canvas(event.position())]
        self.update()
        self.strokeMoved.emit()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._current is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        point = self.to_canvas(event.position())
        if point != self._current[-1]:
            self._current.append(point)
            self.update()
            self.strokeMoved.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._current is None:
            return
        self.strokes.append(self._current)  # one point is a dot, as a tap is on the phone
        self._current = None
        self.strokeFinished.emit()
        self._content_changed()

    # --- painting
    def resizeEvent(self, event) -> None:
        self._display = None
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.canvas_rect()
        ratio = self.devicePixelRatioF()
        if self._display is None:
            # Drawn at the screen's resolution so HiDPI ink is crisp; the model's
            # bitmap is drawn separately at 375x375.
            self._display = render_image(self.strokes, self.background, scale=rect.width() * ratio / CANVAS_SIZE)
            self._display.setDevicePixelRatio(ratio)
        painter = QPainter(self)
        painter.fillRect(rect, QColor(0, 0, 0))
        painter.drawImage(rect.topLeft(), self._display)
        if self._current:
            painter.translate(rect.topLeft())
            painter.scale(rect.width() / CANVAS_SIZE, rect.width() / CANVAS_SIZE)
            paint_strokes(painter, [self._current])
        painter.end()
