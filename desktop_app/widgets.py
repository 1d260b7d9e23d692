"""Display widgets: the probability bars, the model's-eye view, and the phone's
screen that keeps the canvas square with the labels under it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.render import array_to_image
from desktop_app.session import percent_text
from model.runtime.engines import ENGINES
from model.runtime.numbers import NUMBER_CANVAS
from model.runtime.pipelines import PIPELINE_HELP, PIPELINE_TITLES, PIPELINES

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
SAMPLES = (("five.png", "Sample 5"), ("four.png", "Sample 4"))
ACCENT = QColor(10, 132, 255)  # the top class
SECOND = QColor(255, 159, 10)  # the second model shown: the other engine or another model file
BAR = QColor(142, 142, 147)


class ProbabilityBars(QWidget):
    """Ten bars, 0-9, with percentages; the top one highlighted. More series
    (other models, when comparing) are drawn as thinner bars under each one."""

    ROW = 24
    COLOURS = (ACCENT, SECOND, QColor(48, 209, 88), QColor(191, 90, 242))
    digitClicked = Signal(int)  # the user says the drawing is this digit

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.series: list[tuple[str, np.ndarray]] = []
        self.setMinimumSize(220, self.ROW * 10 + 28)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        row = int(event.position().y() // self.ROW)
        if event.button() == Qt.MouseButton.LeftButton and 0 <= row < 10 and self.primary is not None:
            self.digitClicked.emit(row)

    @property
    def primary(self) -> np.ndarray | None:
        return self.series[0][1] if self.series else None

    @property
    def secondary(self) -> np.ndarray | None:
        return self.series[1][1] if len(self.series) > 1 else None

    def set_series(self, series: list[tuple[str, np.ndarray]]) -> None:
        self.series = [(name, np.asarray(p, dtype=np.float64)) for name, p in series]
        legend = len(self.series) if len(self.series) > 1 else 1
        self.setMinimumHeight(self.ROW * 10 + 8 + 20 * legend)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(300, self.minimumHeight())

    def percentages(self) -> list[float]:
        """The percentages shown, one decimal each."""
        return [] if self.primary is None else [round(100 * p, 1) for p in self.primary]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().windowText().color()
        font = QFont(self.font())
        painter.setFont(font)
        label_width, value_width = 22, 60
        track_width = max(self.width() - label_width - value_width - 8, 10)
        primary = self.primary
        top = int(np.argmax(primary)) if primary is not None else -1
        others = self.series[1:]
        for digit in range(10):
            y = digit * self.ROW + 2
            painter.setPen(text)
            bold = QFont(font)
            bold.setBold(digit == top)
            painter.setFont(bold)
            painter.drawText(QRectF(0, y, label_width, self.ROW - 6), Qt.AlignmentFlag.AlignCenter, str(digit))
            track = QRectF(label_width + 4, y + 3, track_width, self.ROW - 12)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(128, 128, 128, 40))
            painter.drawRoundedRect(track, 4, 4)
            if primary is None:
                continue
            height = track.height() if not others else track.height() * 0.6
            painter.setBrush(ACCENT if digit == top else BAR)
            painter.drawRoundedRect(QRectF(track.x(), track.y(), track.width() * primary[digit], height), 4, 4)
            thin = (track.height() - height) / max(len(others), 1)
            for index, (_, probabilities) in enumerate(others):
                painter.setBrush(self.COLOURS[(index + 1) % len(self.COLOURS)])
                painter.drawRect(QRectF(track.x(), track.y() + height + index * thin,
                                        track.width() * probabilities[digit], max(thin - 0.5, 1)))
            painter.setPen(ACCENT if digit == top else text)
            painter.drawText(QRectF(track.right() + 4, y, value_width, self.ROW - 6),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             percent_text(primary[digit]))
        if others:  # a legend line per model, the same colours as its bars
            painter.setFont(font)
            metrics = QFontMetrics(font)
            x = float(label_width + 4)
            for index, (name, _) in enumerate(self.series):
                y = 10 * self.ROW + 4 + 20 * index
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(self.COLOURS[index % len(self.COLOURS)])
                painter.drawRect(QRectF(x, y + 5, 10, 10))
                painter.setPen(text)
                painter.drawText(QRectF(x + 14, y, self.width() - x - 14, 20),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, int(self.width() - x - 14)))
        painter.end()


class ModelInputView(QWidget):
    """The 28x28 input, magnified by a whole number so each pixel is a crisp square."""

    def __init__(self, parent: QWidget | None = None, magnification: int = 5):
        super().__init__(parent)
        self.image: QImage | None = None
        self.model_input: np.ndarray | None = None
        self.magnification = magnification
        self.setFixedSize(28 * magnification + 2, 28 * magnification + 2)
        self.setToolTip("What the model sees: the 28x28 input, one square per pixel")

    def set_input(self, model_input: np.ndarray | None) -> None:
        self.model_input = model_input
        self.image = None if model_input is None else array_to_image(
            np.clip(np.rint(model_input * 255), 0, 255).astype(np.uint8))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(70, 70, 74))
        inner = QRectF(1, 1, 28 * self.magnification, 28 * self.magnification)
        painter.fillRect(inner, QColor(0, 0, 0))
        if self.image is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(inner, self.image)
        painter.end()


class PhoneScreen(QWidget):
    """The phone's screen: the square canvas with the sample buttons and the
    labels right under it, kept together and centred in whatever room the
    window gives (a layout would stretch the canvas's widget, not its square)."""

    SPACING = 6

    def __init__(self, canvas: QWidget, below: list[QWidget]):
        super().__init__()
        self.canvas, self.below = canvas, below
        for widget in (canvas, *below):
            widget.setParent(self)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def _heights(self, width: int) -> list[int]:
        return [w.heightForWidth(width) if w.hasHeightForWidth() else w.sizeHint().height() for w in self.below]

    def _group_height(self, side: int) -> int:
        """The canvas of this side and everything under it, spaced."""
        return side + sum(self._heights(side)) + self.SPACING * len(self.below)

    def minimumSizeHint(self) -> QSize:
        side = self.canvas.minimumWidth()
        return QSize(side, self._group_height(side))

    def sizeHint(self) -> QSize:
        return QSize(375, self._group_height(375))

    def resizeEvent(self, event) -> None:
        side = max(min(self.width(), self.height() - (self._group_height(self.width()) - self.width())), 1)
        heights = self._heights(side)
        left, top = (self.width() - side) // 2, max((self.height() - self._group_height(side)) // 2, 0)
        self.canvas.setGeometry(left, top, side, side)
        y = top + side + self.SPACING
        for widget, height in zip(self.below, heights, strict=True):
            widget.setGeometry(left, y, side, height)
            y += height + self.SPACING
        super().resizeEvent(event)


def side_panel(bars: QWidget, input_view: QWidget, option_rows: list[tuple[str, QWidget]],
               status_label: QWidget) -> QScrollArea:
    """Beside the phone: the bars, the model's input, the options and the status,
    scrolling down (never across) on a small screen."""
    heading = QLabel("Probabilities")
    heading.setStyleSheet("font-weight: 600;")
    seen = QLabel("What the model sees (28×28)")
    seen.setStyleSheet("font-weight: 600;")
    options = QFormLayout()
    for label, widget in option_rows:
        options.addRow(label, widget)

    side = QVBoxLayout()
    side.addWidget(heading)
    side.addWidget(bars)
    side.addSpacing(8)
    side.addWidget(seen)
    side.addWidget(input_view)
    side.addSpacing(8)
    side.addLayout(options)
    side.addWidget(status_label)
    side.addStretch()
    side_widget = QWidget()
    side_widget.setLayout(side)
    side_scroll = QScrollArea()  # small screens at large scale: the side panel scrolls
    side_scroll.setWidget(side_widget)
    side_scroll.setWidgetResizable(True)
    side_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    # It scrolls down, never across: it is always as wide as its content needs.
    side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    side_scroll.setMinimumWidth(side_widget.minimumSizeHint().width()
                                + side_scroll.verticalScrollBar().sizeHint().width())
    # A wider window widens the canvas's column, not the bars past what reads well.
    side_scroll.setMaximumWidth(max(side_scroll.minimumWidth(), 440))
    return side_scroll


def grow_window(window: QWidget, across: bool, shortfall: Callable[[], int], on_screen: bool = True,
                tries: int = 4) -> None:
    """Grow the window across or down, never shrink it, by what `shortfall()` says is missing, as far as the
    screen allows when `on_screen`; again while layouts reflow (wrapped lines, a side panel taking its share);
    not while it is maximised."""
    if window.isMaximized() or window.isFullScreen():
        return
    screen, frame = window.screen().availableGeometry(), window.frameGeometry()
    if not on_screen:
        largest = 1 << 16
    elif across:
        largest = screen.width() - (frame.width() - window.width())
    else:
        largest = screen.height() - (frame.height() - window.height())
    for _ in range(tries):
        QApplication.processEvents()
        short = shortfall()
        now = window.width() if across else window.height()
        size = min(now + short, largest)
        if short <= 0 or size <= now:
            return
        if across:
            window.resize(size, window.height())
        else:
            window.resize(window.width(), size)


def grow_for_side_panel(window: QWidget, side_scroll: QScrollArea, on_screen: bool = True) -> None:
    """Grow the window down until its side panel needs no scrolling."""
    def shortfall() -> int:
        content = side_scroll.widget()
        needed = content.heightForWidth(side_scroll.viewport().width()) if content.hasHeightForWidth() else -1
        return max(needed, content.sizeHint().height()) - side_scroll.viewport().height()

    grow_window(window, False, shortfall, on_screen)


class NumberCanvasWidth:
    """Entering the number mode widens the window until the number canvas shows at `scale` of its size (digits
    written with a mouse on a canvas 900 px wide come out better than on one of 450); leaving it gives the
    window back the width it had, unless it was resized in between."""

    def __init__(self, window: QWidget, canvas: QWidget, scale: float = 0.6):
        self.window, self.canvas, self.scale = window, canvas, scale
        self.widths: tuple[int, int] | None = None  # before and after widening

    def widen(self) -> None:
        if not self.canvas.isVisible():  # the mode was left before this ran
            return
        before = self.window.width()
        grow_window(self.window, True, lambda: round(NUMBER_CANVAS[0] * self.scale - self.canvas.canvas_rect().width()),
                    tries=3)
        self.widths = (before, self.window.width()) if self.window.width() != before else None

    def restore(self) -> None:
        if self.widths is not None and self.window.width() == self.widths[1] and not self.window.isMaximized():
            self.window.resize(self.widths[0], self.window.height())
        self.widths = None


class SidePanelFit(QObject):
    """Keeps the whole side panel in view: after what it shows changes (a second model's bars and status, a
    note on the phone's shrink), the window grows as far as the screen allows. Not while a button is held,
    which would move the canvas under a stroke: then a moment later."""

    def __init__(self, window: QWidget, side_scroll: QScrollArea):
        super().__init__(window)
        self.window, self.side_scroll = window, side_scroll
        self.timer = QTimer(self, singleShot=True)
        self.timer.timeout.connect(self._grow)

    def request(self) -> None:
        self.timer.start(0)

    def _grow(self) -> None:
        if QApplication.mouseButtons() != Qt.MouseButton.NoButton:
            self.timer.start(250)
        else:
            grow_for_side_panel(self.window, self.side_scroll)


def sample_buttons(samples: list[tuple[Path, str]], chosen: Callable[[Path], None]) -> tuple[QWidget, list]:
    """A row of the phone's sample pictures as buttons; `chosen(path)` when one is clicked."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(8)
    buttons = []
    for path, name in samples:
        button = QToolButton()
        button.setFixedSize(52, 52)
        button.setIconSize(QSize(48, 48))
        button.setIcon(QIcon(str(path)))
        button.setToolTip(f"{name}: fill the canvas with it, as on the phone")
        button.clicked.connect(lambda _=False, path=path: chosen(path))
        row.addWidget(button)
        buttons.append(button)
    row.addStretch()
    holder = QWidget()
    holder.setLayout(row)
    return holder, buttons


def fit_to_screen(window: QWidget) -> None:
    """No bigger than the screen (a laptop at 200 % is 640x400 points)."""
    screen = window.screen() or QApplication.primaryScreen()
    if screen is None:
        return
    room = screen.availableGeometry()
    width, height = min(window.width(), room.width()), min(window.height(), room.height() - 30)
    if (width, height) != (window.width(), window.height()):
        window.resize(max(width, window.minimumSizeHint().width()), max(height, window.minimumSizeHint().height()))
        window.move(room.topLeft())


def style_answers(result_label: QLabel, result_tip: str, verdict_label: QLabel, verdict_tip: str) -> None:
    """The answers under a canvas: the phone's, large, and the desktop's verdict under it."""
    result_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    result_label.setToolTip(result_tip)
    font = result_label.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    result_label.setFont(font)
    verdict_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    verdict_label.setToolTip(verdict_tip)
    verdict_label.setWordWrap(True)


def build_layout(window) -> None:
    """The window's layout: the phone's screen (or the number mode's) and the side panel."""
    sample_row, window.sample_buttons = sample_buttons([(SAMPLES_DIR / file, name) for file, name in SAMPLES],
                                                       lambda path: window.load_sample(path.name))

    style_answers(window.result_label, "The phone's answer, word for word: its top class",
                  window.verdict_label, "The desktop's verdict: the digit, not sure (two close answers), "
                                        "or not a digit (below the model's threshold)")

    phone = PhoneScreen(window.canvas, [sample_row, window.result_label, window.verdict_label])

    for name in PIPELINES:
        window.pipeline_box.addItem(PIPELINE_TITLES[name], name)
    window.pipeline_box.setToolTip("\n".join(f"{PIPELINE_TITLES[n]}: {PIPELINE_HELP[n]}" for n in PIPELINES))
    for kind in ENGINES.values():
        window.engine_box.addItem(kind.title, kind.name)
    window.engine_box.setToolTip("\n".join(f"{kind.title}: {kind.help}" for kind in ENGINES.values()))
    window.compare_box.setToolTip("Run both engines and flag any disagreement")
    window.bars.setToolTip("Each digit's probability; the top one highlighted. Click a digit to teach that "
                           "this drawing is it (or press its key)")
    personalise = QToolButton()
    personalise.setDefaultAction(window.personal.personalise_action)
    window.status_label.setWordWrap(True)
    window.status_label.setTextFormat(Qt.TextFormat.RichText)
    window.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    window.status_label.setToolTip("The models shown and their state")

    options = [("Input pipeline", window.pipeline_box), ("Engine", window.engine_box), ("", window.compare_box),
               ("", personalise)]
    window.side_scroll = side_scroll = side_panel(window.bars, window.input_view, options, window.status_label)
    window.side_panel_fit = SidePanelFit(window, side_scroll)

    window.screens = QStackedWidget()
    window.screens.addWidget(phone)
    window.screens.addWidget(window.number_screen)
    row = QHBoxLayout()
    row.addWidget(window.screens, 3)
    row.addSpacing(12)
    row.addWidget(side_scroll, 2)
    central = QWidget()
    central.setLayout(row)
    window.setCentralWidget(central)
    window.resize(840, 740)
    window.restoreGeometry(window.settings.value("window/geometry", b""))
    fit_to_screen(window)
