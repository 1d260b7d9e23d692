"""Drive a widget with real mouse events."""

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication


def _send(widget, kind, point, button, buttons):
    position = QPointF(*point)
    event = QMouseEvent(kind, position, widget.mapToGlobal(position), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def drag(widget, points):
    """Press at the first point, move through the rest, release at the last."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _send(widget, QEvent.Type.MouseButtonPress, points[0], left, left)
    for point in points[1:]:
        _send(widget, QEvent.Type.MouseMove, point, none, left)
    _send(widget, QEvent.Type.MouseButtonRelease, points[-1], left, none)


def draw_strokes(widget, strokes, scale=1.0, offset=(0.0, 0.0)):
    for stroke in strokes:
        drag(widget, [(x * scale + offset[0], y * scale + offset[1]) for x, y in stroke])
