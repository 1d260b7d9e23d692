"""The number mode's screen: a wide black canvas (it owns its image and mouse
events, as the digit canvas does), a box around each digit read with its
reading, a button per digit to show its bars, and the number read. What is
drawn and read lives in the NumberSession it observes."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from desktop_app.canvas import StrokeCanvas
from desktop_app.document import DRAWING
from desktop_app.number_session import NumberSession
from desktop_app.render import render_number_image
from desktop_app.session import LIVE_INTERVAL_MS, PREDICTION
from desktop_app.widgets import style_answers
from model.runtime.numbers import NUMBER_CANVAS
from model.runtime.strokes import Point
from model.runtime.verdict import DIGIT, NOT_A_DIGIT

KIND_COLOURS = {DIGIT: QColor(52, 199, 89), NOT_A_DIGIT: QColor(255, 69, 58)}  # unsure: orange
UNSURE_COLOUR = QColor(255, 159, 10)


class NumberCanvas(StrokeCanvas):
    """The number mode's wide canvas; a right click on a digit's box shows its bars."""

    def __init__(self, numbers: NumberSession, parent: QWidget | None = None):
        super().__init__(numbers, NUMBER_CANVAS, parent)
        self.numbers = numbers
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setMinimumSize(240, 60)
        self.setToolTip("Write a number digit by digit, lifting the pen between digits, each at least a third "
                        "as tall as the canvas; right-click a digit to show its bars")
        numbers.subscribe(lambda what: self.update() if what in (DRAWING, PREDICTION) else None)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(NUMBER_CANVAS[0] // 2, NUMBER_CANVAS[1] // 2)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        return round(width * NUMBER_CANVAS[1] / NUMBER_CANVAS[0])

    def mark_at(self, point: Point) -> int | None:
        for index, mark in enumerate(self.numbers.reading.marks):
            left, top, right, bottom = mark.box
            if left <= point[0] <= right and top <= point[1] <= bottom:
                return index
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.RightButton:
            self.numbers.select(self.mark_at(self.to_canvas(event.position())))
        else:
            super().mousePressEvent(event)

    def _render(self, content, scale: float) -> QImage:
        return render_number_image([list(s) for s in content.strokes], scale)

    def _paint_over(self, painter: QPainter, scale: float) -> None:
        font = QFont(painter.font())
        font.setPixelSize(max(8, round(13 / scale)))
        painter.setFont(font)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        reading = self.numbers.reading
        metrics = QFontMetricsF(font)
        places = reading_places([mark.box for mark in reading.marks],
                                [metrics.horizontalAdvance(p.verdict.text) for p in reading.predictions], scale)
        doubted = reading.in_doubt
        for index, (mark, prediction, place) in enumerate(zip(reading.marks, reading.predictions, places,
                                                              strict=True)):
            colour = UNSURE_COLOUR if index in doubted else KIND_COLOURS.get(prediction.verdict.kind, UNSURE_COLOUR)
            pen = QPen(colour, (3.0 if index == (self.numbers.selected or 0) else 1.5) / scale)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            left, top, right, bottom = mark.box
            painter.drawRect(QRectF(left, top, right - left, bottom - top))
            painter.drawText(QPointF(*place), prediction.verdict.text)


def reading_places(boxes: list, widths: list[float], scale: float) -> list[tuple[float, float]]:
    """Where the digits' readings sit (left, baseline), each `widths` wide: above their boxes, or all below
    them when a box reaches the canvas's top (on the box's line a reading is hard to read) and every reading
    fits below; a reading that would run into an earlier one moves a line further from its box, to its box's
    other side, or else along its line."""
    line = 14 / scale  # a reading's height, on the canvas
    above = all(top - 4 / scale >= line for _, top, _, _ in boxes) or \
        any(bottom + line + 4 / scale > NUMBER_CANVAS[1] for _, _, _, bottom in boxes)
    places, taken = [], []  # taken: (left, top, right, bottom) of the readings placed
    for (left, top, _, bottom), width in zip(boxes, widths, strict=True):
        ups = [max(top - 4 / scale, line)] + [top - 4 / scale - row * line for row in range(1, len(boxes) + 1)]
        downs = [bottom + line + 2 / scale + row * line for row in range(len(boxes) + 1)]
        first, *others = ups + downs if above else downs + ups
        # The first line is kept even off the canvas (a stroke opened from a file may lie there).
        baselines = [first] + [baseline for baseline in others if line <= baseline <= NUMBER_CANVAS[1]]
        spots = [(left, baseline - line, left + width, baseline) for baseline in baselines]
        spot = next((spot for spot in spots if not overlapping(spot, taken)), None)
        if spot is None:  # no free line on either side: along the first line, past the readings it meets
            spot = spots[0]
            while met := overlapping(spot, taken):
                shift = max(b[2] for b in met) + 4 / scale - spot[0]
                spot = (spot[0] + shift, spot[1], spot[2] + shift, spot[3])
        places.append((spot[0], spot[3]))
        taken.append(spot)
    return places


def overlapping(box: tuple, others: list[tuple]) -> list[tuple]:
    """The boxes of `others` (left, top, right, bottom) that `box` overlaps."""
    return [b for b in others if box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]]


class NumberScreen(QWidget):
    """The canvas, a button per digit read, and the answers under it."""

    def __init__(self, numbers: NumberSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.numbers = numbers
        self.canvas = NumberCanvas(numbers)
        # The row keeps its height while empty, so the canvas does not move under the pen when the first digit
        # is read; more buttons than fit scroll rather than widen the window.
        marks = QWidget()
        self.marks_row = QHBoxLayout(marks)
        self.marks_row.setContentsMargins(0, 0, 0, 0)
        self.marks_row.addStretch(1)
        row = QScrollArea()
        row.setWidget(marks)
        row.setWidgetResizable(True)
        row.setFrameShape(QFrame.Shape.NoFrame)
        row.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        row.setFixedHeight(QPushButton("0").sizeHint().height() + row.horizontalScrollBar().sizeHint().height())
        self.mark_buttons: list[QPushButton] = []
        self.result_label, self.verdict_label = QLabel(), QLabel()
        style_answers(self.result_label, "Each digit's top class, side by side: what the phone would answer digit "
                                         "by digit",
                      self.verdict_label, "The desktop's verdict: the number, not sure (which digit and its two "
                                          "answers), or which mark is no digit")
        for label in (self.result_label, self.verdict_label):  # a long answer is cut, the window not widened
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.canvas)
        layout.addWidget(row)
        layout.addWidget(self.result_label)
        layout.addWidget(self.verdict_label)
        layout.addStretch(2)
        self._live = QTimer(self, singleShot=True, interval=LIVE_INTERVAL_MS)
        self._live.timeout.connect(numbers.read)
        self.canvas.strokeMoved.connect(lambda: None if self._live.isActive() else self._live.start())
        numbers.subscribe(self._changed)
        self._changed(PREDICTION)

    def _changed(self, what: str) -> None:
        if what != PREDICTION:
            return
        self.result_label.setText(self.numbers.label)
        self.verdict_label.setText(self.numbers.verdict_text())
        marks = self.numbers.reading.predictions
        while len(self.mark_buttons) < len(marks):
            button = QPushButton()
            button.setCheckable(True)
            index = len(self.mark_buttons)
            button.clicked.connect(lambda _=False, i=index: self.numbers.select(i))
            self.marks_row.insertWidget(index, button)
            self.mark_buttons.append(button)
        doubted = self.numbers.reading.in_doubt
        for index, button in enumerate(self.mark_buttons):
            button.setVisible(index < len(marks))
            if index < len(marks):
                verdict = marks[index].verdict
                button.setText(str(verdict.digit) if verdict.kind == DIGIT and index not in doubted else
                               "✗" if verdict.kind == NOT_A_DIGIT else f"{verdict.digit}?")
                button.setToolTip(f"Digit {index + 1}: {self.numbers.mark_text(index)}; show its bars")
                button.setChecked(index == (self.numbers.selected or 0))
