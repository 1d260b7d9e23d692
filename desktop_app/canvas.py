"""The drawing canvas: like Qt's Scribble example, it owns its on-screen image
and its mouse and paint events; what is drawn lives in the Session it observes.

Strokes are kept in canvas units (a 375x375 logical canvas, as on the phone),
whatever the widget's size or the screen's pixel ratio, so predictions never
depend on the window. The bitmap handed to the model is always drawn by the
one renderer at 375x375.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.document import DRAWING
from desktop_app.render import CANVAS_SIZE, array_to_image, paint_strokes, render_image
from desktop_app.session import Session
from model.runtime.strokes import Point


class Canvas(QWidget):
    strokeMoved = Signal()  # the pen went down on the canvas or moved with it down: time for a live prediction

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self._display: QImage | None = None  # finished strokes at screen resolution
        self._display_content = None
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse or a pen; drop an image or a drawing here")
        session.subscribe(lambda what: self.update() if what == DRAWING else None)

    def sizeHint(self) -> QSize:
        return QSize(CANVAS_SIZE, CANVAS_SIZE)

    # --- geometry: the canvas is the largest square in the widget, centred
    # across and at the bottom, so the samples and label below stay beside it
    def canvas_rect(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, self.height() - side, side, side)

    def to_canvas(self, position: QPointF) -> Point:
        """A widget position in canvas units; outside the canvas is outside 0-375."""
        rect = self.canvas_rect()
        scale = CANVAS_SIZE / rect.width()
        return (round((position.x() - rect.x()) * scale, 2), round((position.y() - rect.y()) * scale, 2))

    # --- mouse (a pen tablet arrives as mouse events too)
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.session.document.begin_stroke(self.to_canvas(event.position())):
            self.strokeMoved.emit()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.session.document.current is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        self.session.document.extend_stroke(self.to_canvas(event.position()))
        self.strokeMoved.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.session.document.end_stroke()  # one point is a dot, as a tap is on the phone

    # --- painting
    def resizeEvent(self, event) -> None:
        self._display = None
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.canvas_rect()
        ratio = self.devicePixelRatioF()
        content = self.session.document.content
        if self._display is None or self._display_content is not content:
            # Drawn at the screen's resolution so HiDPI ink is crisp; the model's
            # bitmap is drawn separately at 375x375.
            background = None if content.background is None else array_to_image(content.background)
            self._display = render_image([list(s) for s in content.strokes], background,
                                         scale=rect.width() * ratio / CANVAS_SIZE)
            self._display.setDevicePixelRatio(ratio)
            self._display_content = content
        painter = QPainter(self)
        painter.fillRect(rect, QColor(0, 0, 0))
        painter.drawImage(rect.topLeft(), self._display)
        if self.session.document.current:
            painter.setClipRect(rect)
            painter.translate(rect.topLeft())
            painter.scale(rect.width() / CANVAS_SIZE, rect.width() / CANVAS_SIZE)
            paint_strokes(painter, [piece for piece in self.session.document.current if piece])
        painter.end()
