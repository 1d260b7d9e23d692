"""The main window: the phone's screen (canvas, Clear / Predict, sample digits,
result label), and beside it what the phone cannot show: live probability
bars, the model's 28x28 input, and the choice of pipeline and engine."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QIcon, QImage, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.canvas import Canvas
from desktop_app.render import CANVAS_SIZE, array_to_image, image_to_array
from desktop_app.widgets import ModelInputView, ProbabilityBars
from model.atomic import atomic_path, write_text_atomic
from model.engines import DEFAULT_PATHS, ENGINE_TITLES, ENGINES, Prediction, predict_bitmap
from model.errors import DataError, ModelFileError
from model.pipelines import PIPELINE_TITLES, PIPELINES, NothingDrawn
from model.strokes import Drawing, read_drawing_file

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
SAMPLES = (("five.png", "Sample 5"), ("four.png", "Sample 4"))

TEXT_START = "Draw a number or tap on an image"
TEXT_SAMPLE = "Hit predict..."
TEXT_PREDICTING = "Predicting..."
TEXT_BLANK = "Nothing drawn yet: draw a digit first"
MAKE_MODEL = {  # the scripts' defaults are the shipped model files
    "coreml": "python scripts/export_coreml.py",
    "keras": "python scripts/train.py --data PATH/TO/mnist.npz",
}
LIVE_INTERVAL_MS = 40  # at most one live prediction per this while the pen moves


class EngineLoader(QObject):
    """Loads engines off the UI thread (TensorFlow takes seconds to import)."""

    loaded = Signal(str, object)  # engine name, engine or error message

    def load(self, name: str, path: Path, wait: bool = False) -> None:
        def work() -> None:
            try:
                from model.engines import load_engine

                engine = load_engine(name, path)
                engine.probabilities(np.zeros((28, 28), np.float32))  # warm up (graph tracing)
                self.loaded.emit(name, engine)
            except ModelFileError as error:
                self.loaded.emit(name, str(error))
            except Exception as error:  # an engine that cannot load must never take the app down
                self.loaded.emit(name, f"{path}: cannot be loaded ({type(error).__name__}: {error})")

        if wait:
            work()
        else:
            threading.Thread(target=work, name=f"load-{name}", daemon=True).start()


def image_to_canvas(image: QImage) -> QImage:
    """Fit any image onto the black 375x375 canvas, keeping its aspect ratio;
    dark-on-light images (ink on paper) are inverted to white on black."""
    scaled = image.convertToFormat(QImage.Format.Format_ARGB32).scaled(
        CANVAS_SIZE, CANVAS_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    if not image.hasAlphaChannel() and image_to_array(scaled).mean() > 127:
        scaled.invertPixels()
    canvas = QImage(CANVAS_SIZE, CANVAS_SIZE, QImage.Format.Format_RGB32)
    canvas.fill(Qt.GlobalColor.black)
    # Painted over black, transparent pixels read as black, as they do for Vision on the phone.
    painter = QPainter(canvas)
    painter.drawImage((CANVAS_SIZE - scaled.width()) // 2, (CANVAS_SIZE - scaled.height()) // 2, scaled)
    painter.end()
    return canvas.convertToFormat(QImage.Format.Format_Grayscale8)


class MainWindow(QMainWindow):
    predicted = Signal()  # a prediction (or "nothing drawn") has been shown

    def __init__(self, engine: str = "coreml", pipeline: str = "ios", model_paths: dict | None = None,
                 load_in_background: bool = True):
        super().__init__()
        self.setWindowTitle("DigitRecognizer")
        self.model_paths = {name: Path(p) for name, p in {**DEFAULT_PATHS, **(model_paths or {})}.items()}
        self.engines: dict[str, object] = {}
        self.engine_errors: dict[str, str] = {}
        self.loading: set[str] = set()
        self.engine_name = engine
        self.pipeline = pipeline
        self.last_prediction: Prediction | None = None
        self.other_prediction: Prediction | None = None
        self._load_in_background = load_in_background
        self._awaiting_predict = False  # a sample was tapped: the label says "Hit predict..."
        self.loader = EngineLoader(self)
        self.loader.loaded.connect(self._engine_loaded)

        self.canvas = Canvas()
        self.result_label = QLabel(TEXT_START)
        self.bars = ProbabilityBars()
        self.input_view = ModelInputView()
        self.status_label = QLabel()
        self.pipeline_box = QComboBox()
        self.engine_box = QComboBox()
        self.compare_box = QCheckBox("Compare both engines")
        self._live_timer = QTimer(self, singleShot=True, interval=LIVE_INTERVAL_MS)
        self._build_actions()
        self._build_layout()

        self.canvas.strokeMoved.connect(self._schedule_live_prediction)
        self.canvas.strokeFinished.connect(self._stroke_finished)
        self.canvas.changed.connect(self._canvas_changed)
        self._live_timer.timeout.connect(lambda: self.run_prediction(live=True))
        self.pipeline_box.currentIndexChanged.connect(self._pipeline_chosen)
        self.engine_box.currentIndexChanged.connect(self._engine_chosen)
        self.compare_box.toggled.connect(self._compare_toggled)
        self._ensure_engine(self.engine_name)

    # --- construction
    def _build_actions(self) -> None:
        def action(text: str, shortcuts, slot, tip: str) -> QAction:
            made = QAction(text, self)
            made.setShortcuts([QKeySequence(s) for s in shortcuts])
            made.setToolTip(f"{tip} ({', '.join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts)})")
            made.triggered.connect(slot)
            self.addAction(made)
            return made

        self.clear_action = action("Clear", ["Ctrl+Backspace", "Delete"], self.clear, "Empty the canvas")
        self.predict_action = action("Predict", ["Ctrl+Return", "Return"], self.predict, "Predict the digit")
        self.undo_action = action("Undo", [QKeySequence.StandardKey.Undo], self.undo, "Remove the last stroke")
        self.open_action = action("Open…", [QKeySequence.StandardKey.Open], self.open_dialog,
                                  "Open a saved drawing (.json) or any image")
        self.save_action = action("Save…", [QKeySequence.StandardKey.Save], self.save_dialog,
                                  "Save the drawing as PNG and its strokes as JSON")

        bar = QToolBar("DigitRecognizer")
        bar.setMovable(False)
        bar.setIconSize(QSize(16, 16))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addAction(self.clear_action)
        bar.addAction(self.undo_action)
        bar.addSeparator()
        bar.addAction(self.open_action)
        bar.addAction(self.save_action)
        title = QLabel("DigitRecognizer")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setStyleSheet("font-weight: 600;")
        title.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(title)
        bar.addAction(self.predict_action)
        predict_button = bar.widgetForAction(self.predict_action)
        if predict_button is not None:
            predict_button.setStyleSheet("font-weight: 600;")
        self.addToolBar(bar)

    def _build_layout(self) -> None:
        samples = QHBoxLayout()
        samples.setContentsMargins(16, 0, 0, 0)
        samples.setSpacing(8)
        self.sample_buttons = []
        for file_name, name in SAMPLES:
            button = QToolButton()
            button.setFixedSize(60, 60)
            button.setIconSize(QSize(56, 56))
            button.setIcon(QIcon(str(SAMPLES_DIR / file_name)))
            button.setToolTip(f"{name}: fill the canvas with it")
            button.clicked.connect(lambda _=False, f=file_name: self.load_sample(f))
            samples.addWidget(button)
            self.sample_buttons.append(button)
        samples.addStretch()

        self.result_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.result_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        self.result_label.setFont(font)

        phone = QVBoxLayout()
        phone.addWidget(self.canvas, 1)
        phone.addLayout(samples)
        phone.addWidget(self.result_label)
        phone.addSpacing(6)

        for name in PIPELINES:
            self.pipeline_box.addItem(PIPELINE_TITLES[name], name)
        self.pipeline_box.setCurrentIndex(PIPELINES.index(self.pipeline))
        self.pipeline_box.setToolTip("Phone (exact): the whole canvas shrunk to 28x28, as the phone does.\n"
                                     "MNIST-centred: cropped, scaled to 20 px, strokes widened to MNIST's pen\n"
                                     "and centred, as MNIST was made.")
        for name in ENGINES:
            self.engine_box.addItem(ENGINE_TITLES[name], name)
        self.engine_box.setCurrentIndex(ENGINES.index(self.engine_name))
        self.engine_box.setToolTip("Core ML: the very .mlmodel the phone runs. Keras: the trained .keras model.")
        self.compare_box.setToolTip("Run both engines and flag any disagreement")
        self.status_label.setWordWrap(True)
        self.status_label.setMinimumHeight(self.status_label.fontMetrics().lineSpacing() * 5)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        heading = QLabel("Probabilities")
        heading.setStyleSheet("font-weight: 600;")
        seen = QLabel("What the model sees (28×28)")
        seen.setStyleSheet("font-weight: 600;")
        options = QFormLayout()
        options.addRow("Input pipeline", self.pipeline_box)
        options.addRow("Engine", self.engine_box)
        options.addRow("", self.compare_box)

        side = QVBoxLayout()
        side.addWidget(heading)
        side.addWidget(self.bars)
        side.addSpacing(8)
        side.addWidget(seen)
        side.addWidget(self.input_view)
        side.addSpacing(8)
        side.addLayout(options)
        side.addWidget(self.status_label)
        side.addStretch()

        row = QHBoxLayout()
        row.addLayout(phone, 3)
        row.addSpacing(12)
        row.addLayout(side, 2)
        central = QWidget()
        central.setLayout(row)
        self.setCentralWidget(central)
        self.resize(780, 680)

    # --- engines
    def _ensure_engine(self, name: str) -> None:
        if name in self.engines or name in self.engine_errors or name in self.loading:
            return
        self.loading.add(name)
        self._show_status()
        wait = not self._load_in_background or name == "coreml"  # Core ML loads in ~50 ms
        self.loader.load(name, self.model_paths[name], wait=wait)

    def _engine_loaded(self, name: str, engine_or_error: object) -> None:
        self.loading.discard(name)
        if isinstance(engine_or_error, str):
            self.engine_errors[name] = engine_or_error
        else:
            self.engines[name] = engine_or_error
        self._show_status()
        if name in self._engines_wanted():
            self.run_prediction(live=True)

    def _other_engine(self) -> str:
        return next(n for n in ENGINES if n != self.engine_name)

    def _engines_wanted(self) -> list[str]:
        return [self.engine_name, self._other_engine()] if self.compare_box.isChecked() else [self.engine_name]

    def _show_status(self) -> None:
        lines, error = [], False
        for name in self._engines_wanted():
            if name in self.loading:
                lines.append(f"Loading {ENGINE_TITLES[name]}…")
            elif name in self.engine_errors:
                error = True
                lines.append(f"<b>{ENGINE_TITLES[name]} unavailable</b>: {self.engine_errors[name]}<br>"
                             f"Make it with: <code>{MAKE_MODEL[name]}</code>")
            elif name in self.engines:
                lines.append(f"{ENGINE_TITLES[name]}: {self.engines[name].path.name}")
        if self.compare_box.isChecked() and self.last_prediction is not None and self.other_prediction is not None:
            mine, other = self.last_prediction.digit, self.other_prediction.digit
            if mine != other:
                error = True
                lines.append(f"<b>Engines disagree</b>: {ENGINE_TITLES[self.engine_name]} says {mine}, "
                             f"the other says {other}")
            else:
                lines.append(f"Both engines say {mine}")
        self.status_label.setStyleSheet("color: #d70015;" if error else "")
        self.status_label.setText("<br>".join(lines))

    # --- prediction
    def _schedule_live_prediction(self) -> None:
        if not self._live_timer.isActive():
            self._live_timer.start()

    def _stroke_finished(self) -> None:
        self._awaiting_predict = False

    def _canvas_changed(self) -> None:
        self._live_timer.stop()
        if self.canvas.is_empty():
            self._show_prediction(None, None)
            self.result_label.setText(TEXT_START)
            return
        self.run_prediction(live=True)

    def run_prediction(self, live: bool = False) -> Prediction | None:
        """Predict the canvas with the chosen engine (and the other, when comparing)."""
        engine = self.engines.get(self.engine_name)
        if engine is None:
            self._show_prediction(None, None)
            if not live:
                self.result_label.setText("Loading the model…" if self.engine_name in self.loading
                                          else "No model: see the message on the right")
            self.predicted.emit()
            return None
        bitmap = self.canvas.bitmap()
        try:
            prediction = predict_bitmap(engine, bitmap, self.pipeline)
        except NothingDrawn:
            self._show_prediction(None, None)
            self.result_label.setText(TEXT_BLANK if not live or self.canvas.all_strokes() else TEXT_START)
            self.predicted.emit()
            return None
        other = None
        if self.compare_box.isChecked():
            other_engine = self.engines.get(self._other_engine())
            if other_engine is not None:
                other = predict_bitmap(other_engine, bitmap, self.pipeline)
        self._show_prediction(prediction, other)
        if not live:
            self._awaiting_predict = False
        if not self._awaiting_predict:
            self.result_label.setText(f"Digit may be: {prediction.digit}")
        self.predicted.emit()
        return prediction

    def _show_prediction(self, prediction: Prediction | None, other: Prediction | None) -> None:
        self.last_prediction, self.other_prediction = prediction, other
        self.bars.set_probabilities(None if prediction is None else prediction.probabilities,
                                    None if other is None else other.probabilities,
                                    ENGINE_TITLES[self.engine_name], ENGINE_TITLES[self._other_engine()])
        self.input_view.set_input(None if prediction is None else prediction.model_input)
        self._show_status()

    # --- actions
    def predict(self) -> None:
        self.result_label.setText(TEXT_PREDICTING)
        self.result_label.repaint()
        self.run_prediction(live=False)

    def clear(self) -> None:
        self._awaiting_predict = False
        self.canvas.clear()
        self.result_label.setText(TEXT_START)

    def undo(self) -> None:
        self.canvas.undo()

    def load_sample(self, file_name: str) -> None:
        image = QImage(str(SAMPLES_DIR / file_name))
        if image.isNull():
            self.status_label.setText(f"{SAMPLES_DIR / file_name}: sample image missing or unreadable")
            return
        self._awaiting_predict = True
        self.result_label.setText(TEXT_SAMPLE)
        self.canvas.set_content([], image_to_canvas(image))

    def _pipeline_chosen(self) -> None:
        self.pipeline = self.pipeline_box.currentData()
        self.run_prediction(live=True)

    def _engine_chosen(self) -> None:
        self.engine_name = self.engine_box.currentData()
        self._ensure_engine(self.engine_name)
        self.run_prediction(live=True)

    def _compare_toggled(self, checked: bool) -> None:
        for name in self._engines_wanted():
            self._ensure_engine(name)
        self.run_prediction(live=True)

    # --- files
    def open_file(self, path: str | Path) -> bool:
        """Open a saved drawing (.json strokes) or any image; a bad file gets a message."""
        path = Path(path)
        try:
            if path.suffix.lower() in (".json", ".jsonl"):
                drawing = read_drawing_file(path)
                if drawing.canvas != (CANVAS_SIZE, CANVAS_SIZE):
                    raise DataError(f"{path}: canvas is {drawing.canvas[0]}x{drawing.canvas[1]}, "
                                    f"expected {CANVAS_SIZE}x{CANVAS_SIZE}")
                self.canvas.set_content(drawing.strokes)
            else:
                image = QImage(str(path))
                if image.isNull():
                    reason = "no such file" if not path.exists() else "not an image Qt can read"
                    raise DataError(f"{path}: {reason}")
                self.canvas.set_content([], image_to_canvas(image))
        except DataError as error:
            self._complain("Cannot open", str(error))
            return False
        self.setWindowTitle(f"DigitRecognizer — {path.name}")
        return True

    def save_file(self, path: str | Path) -> tuple[Path, Path]:
        """PNG of the canvas at `path`, its strokes as JSON beside it."""
        png = Path(path).with_suffix(".png")
        strokes_file = png.with_suffix(".json")
        image = array_to_image(self.canvas.bitmap())
        with atomic_path(png) as temporary:
            if not image.save(str(temporary), "PNG"):
                raise OSError(f"{png}: could not write the PNG")
        record = Drawing(self.canvas.strokes).to_json()
        write_text_atomic(strokes_file, json.dumps(record) + "\n")
        return png, strokes_file

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a drawing or an image", "",
                                              "Drawings and images (*.json *.png *.jpg *.jpeg *.bmp *.gif);;"
                                              "All files (*)")
        if path:
            self.open_file(path)

    def save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the drawing", "drawing.png", "PNG image (*.png)")
        if not path:
            return
        try:
            png, strokes_file = self.save_file(path)
        except OSError as error:
            self._complain("Cannot save", str(error))
            return
        self.status_label.setText(f"Saved {png.name} and {strokes_file.name}")

    def _complain(self, title: str, message: str) -> None:
        self.status_label.setStyleSheet("color: #d70015;")
        self.status_label.setText(message)
        if self.isVisible():
            # Window-modal, not application-modal: nothing waits on it.
            box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

