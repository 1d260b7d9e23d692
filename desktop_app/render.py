"""The one stroke renderer: the canvas, evaluation and training all draw with it.

It draws what the phone draws: white, 10 px wide, round caps and joins,
antialiased, on black; a one-point stroke is a dot.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen

from model.runtime.strokes import CANVAS_SIZE, Point

BRUSH_WIDTH = 10.0
DOT_REACH = 1e-3  # a stroke whose points all lie this close to its first is drawn as a dot


def brush_pen(width: float = BRUSH_WIDTH) -> QPen:
    pen = QPen(QColor(255, 255, 255), width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def stroke_path(stroke: Sequence[Point]) -> QPainterPath:
    path = QPainterPath(QPointF(*stroke[0]))
    for point in stroke[1:]:
        path.lineTo(*point)
    return path


def paint_strokes(painter: QPainter, strokes: Sequence[Sequence[Point]], width: float = BRUSH_WIDTH) -> None:
    """Draw strokes in canvas units with whatever transform `painter` has."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(brush_pen(width))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for stroke in strokes:
        if not stroke:
            continue
        x0, y0 = stroke[0]
        if all(abs(x - x0) < DOT_REACH and abs(y - y0) < DOT_REACH for x, y in stroke):
            # A zero-length path draws nothing, and Qt may draw a path a billionth of a pixel long as nothing
            # too; a round-capped point is the dot.
            painter.drawPoint(QPointF(x0, y0))
        else:
            painter.drawPath(stroke_path(stroke))


def new_canvas_image(pixels: tuple[int, int] = (CANVAS_SIZE, CANVAS_SIZE), gray: bool = True) -> QImage:
    """A black canvas of `pixels` (width, height). Not `gray`: 32-bit, each channel holding the gray, which Qt
    paints natively and so about twice as fast as Grayscale8, with the same pixels (tests/test_render.py holds
    them equal)."""
    image = QImage(*pixels, QImage.Format.Format_Grayscale8 if gray else QImage.Format.Format_RGB32)
    image.fill(QColor(0, 0, 0))
    return image


def paint_background(painter: QPainter, background: QImage | None) -> None:
    if background is not None:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(QRectF(0, 0, CANVAS_SIZE, CANVAS_SIZE), background)


def render_image(strokes: Sequence[Sequence[Point]], background: QImage | None = None,
                 scale: float = 1.0, width: float = BRUSH_WIDTH,
                 size: tuple[int, int] = (CANVAS_SIZE, CANVAS_SIZE)) -> QImage:
    """A canvas of `size` canvas units (the phone's unless told) as a grayscale image of size * scale pixels."""
    image = new_canvas_image((round(size[0] * scale), round(size[1] * scale)), gray=background is not None)
    painter = QPainter(image)
    painter.scale(scale, scale)
    paint_background(painter, background)
    paint_strokes(painter, strokes, width)
    painter.end()
    return image


def image_to_array(image: QImage) -> np.ndarray:
    """A gray QImage as a (height, width) uint8 array (a copy)."""
    if image.format() == QImage.Format.Format_RGB32:  # gray in every channel: take one
        pixels = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
        return pixels[:, 1:4 * image.width():4].copy()
    gray = image if image.format() == QImage.Format.Format_Grayscale8 else image.convertToFormat(
        QImage.Format.Format_Grayscale8)
    buffer = np.frombuffer(gray.constBits(), dtype=np.uint8)
    rows = buffer.reshape(gray.height(), gray.bytesPerLine())
    return rows[:, : gray.width()].copy()


def array_to_image(array: np.ndarray) -> QImage:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    height, width = array.shape
    return QImage(array.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


def render_strokes(strokes: Sequence[Sequence[Point]], background: QImage | None = None,
                   width: float = BRUSH_WIDTH) -> np.ndarray:
    """The 375x375 uint8 bitmap the phone would hold for these strokes."""
    return image_to_array(render_image(strokes, background, width=width))


def render_canvas(strokes: Sequence[Sequence[Point]], background: np.ndarray | None = None) -> np.ndarray:
    """The 375x375 bitmap of strokes over an opened image (a uint8 array)."""
    return render_strokes(strokes, None if background is None else array_to_image(background))


def render_number(strokes: Sequence[Sequence[Point]], scale: float = 1.0) -> np.ndarray:
    """The number canvas (NUMBER_CANVAS, times `scale`) as a uint8 bitmap, drawn with the same brush."""
    return image_to_array(render_number_image(strokes, scale))


def render_number_image(strokes: Sequence[Sequence[Point]], scale: float = 1.0) -> QImage:
    from model.runtime.numbers import NUMBER_CANVAS

    return render_image(strokes, scale=scale, size=NUMBER_CANVAS)
