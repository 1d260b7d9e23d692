"""The drawing canvases: like Qt's Scribble example, each owns its on-screen
image and its mouse and paint events; what is drawn lives in the session it
observes. The digit's canvas is here; the number mode's wide one shares its
base, StrokeCanvas.

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


class StrokeCanvas(QWidget):
    """A black canvas of `size` canvas units the pen draws on, as large as the widget allows: it keeps the
    finished strokes' image at the screen's resolution and hands the pen's moves to its owner's document."""
    strokeMoved = Signal()  # the pen went down on the canvas or moved with it down: time for a live prediction
    _bottom = 0.5  # where the canvas sits down the widget: 0.5 centred, 1 at the bottom

    def __init__(self, owner, size: tuple[int, int], parent: QWidget | None = None):
        super().__init__(parent)
        self._owner = owner  # a Session or a NumberSession: what is drawn lives in its document
        self._size = size
        self._display: QImage | None = None  # finished strokes at screen resolution
        self._display_content = None
        self.setCursor(Qt.CursorShape.CrossCursor)

    @property
    def document(self):
        return self._owner.document

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(*self._size)

    def canvas_rect(self) -> QRectF:
        """The largest rectangle of the canvas's shape in the widget, centred across and at `_bottom` down."""
        width, height = self._size
        scale = min(self.width() / width, self.height() / height)
        return QRectF((self.width() - width * scale) / 2, (self.height() - height * scale) * self._bottom,
                      width * scale, height * scale)

    def to_canvas(self, position: QPointF) -> Point:
        """A widget position in canvas units; outside the canvas is outside its size."""
        rect = self.canvas_rect()
        scale = self._size[0] / rect.width()
        return (round((position.x() - rect.x()) * scale, 2), round((position.y() - rect.y()) * scale, 2))

    # --- mouse (a pen tablet arrives as mouse events too)
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.LeftButton and self.document.begin_stroke(self.to_canvas(event.position())):
            self.strokeMoved.emit()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if self.document.current is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        self.document.extend_stroke(self.to_canvas(event.position()))
        self.strokeMoved.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.LeftButton:
            self.document.end_stroke()  # one point is a dot, as a tap is on the phone

    # --- painting
    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self._display = None
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        rect = self.canvas_rect()
        ratio = self.devicePixelRatioF()
        scale = rect.width() / self._size[0]
        content = self.document.content
        if self._display is None or self._display_content is not content:
            # Drawn at the screen's resolution so HiDPI ink is crisp; the model's bitmap is drawn separately,
            # at the canvas's own size.
            self._display = self._render(content, scale * ratio)
            self._display.setDevicePixelRatio(ratio)
            self._display_content = content
        painter = QPainter(self)
        painter.fillRect(rect, QColor(0, 0, 0))
        painter.drawImage(rect.topLeft(), self._display)
        painter.setClipRect(rect)
        painter.translate(rect.topLeft())
        painter.scale(scale, scale)
        if self.document.current:
            paint_strokes(painter, [piece for piece in self.document.current if piece])
        self._paint_over(painter, scale)
        painter.end()

    def _render(self, content, scale: float) -> QImage:
        """The finished strokes (and any background) at `scale` screen pixels per canvas unit."""
        raise NotImplementedError

    def _paint_over(self, painter: QPainter, scale: float) -> None:
        """What is painted over the strokes, in canvas units."""


class Canvas(StrokeCanvas):
    """The phone's 375x375 canvas, the largest square in the widget, at its bottom so the samples and label
    below stay beside it."""
    _bottom = 1.0

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, (CANVAS_SIZE, CANVAS_SIZE), parent)
        self.session = session
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        self.setToolTip("Draw a digit with the mouse or a pen; drop an image or a drawing here")
        session.subscribe(lambda what: self.update() if what == DRAWING else None)

    def _render(self, content, scale: float) -> QImage:
        background = None if content.background is None else array_to_image(content.background)
        return render_image([list(s) for s in content.strokes], background, scale=scale)
