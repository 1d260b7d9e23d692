"""The main window: layout and wiring only. It shows the phone's screen (canvas,
sample digits, the phone's label) and beside it what the phone cannot show: the
desktop's honest verdict, live probability bars, the model's 28x28 input, and
the choice of pipeline and models. What the app knows lives in the Session."""

from __future__ import annotations

import html
import json
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.canvas import Canvas
from desktop_app.render import array_to_image, render_canvas
from desktop_app.session import (
    DRAWING,
    LABEL,
    MODELS,
    OPTIONS,
    PREDICTION,
    TEXT_PREDICTING,
    ModelSlot,
    Session,
    load_model,
)
from desktop_app.widgets import ModelInputView, ProbabilityBars
from model.atomic import atomic_path, write_text_atomic
from model.engines import ENGINES
from model.errors import DataError, ModelFileError
from model.images import image_to_canvas, sample_to_canvas
from model.pipelines import PIPELINE_TITLES, PIPELINES
from model.strokes import Drawing, read_drawing_file

APP_NAME = "DigitRecognizer"
SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
SAMPLES = (("five.png", "Sample 5"), ("four.png", "Sample 4"))
LIVE_INTERVAL_MS = 40  # at most one live prediction per this while the pen moves
RECENT_FILES = 8
DRAWING_SUFFIXES = (".json", ".jsonl")
IMAGE_FILTER = "*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff"
MODEL_FILTER = " ".join(f"*{suffix}" for kind in ENGINES.values() for suffix in kind.suffixes)

PIPELINE_HELP = {
    "phone": "the whole 375×375 canvas shrunk to 28×28 by area averaging, exactly as the phone app does.",
    "centred": "the ink cropped, its longer side scaled to 20 px, strokes widened to MNIST's pen and the "
               "centre of mass moved to the middle, as the MNIST digits were made.",
}
HELP_TEXT = (
    "<h3>Input pipelines</h3>"
    + "".join(f"<p><b>{PIPELINE_TITLES[name]}</b> ({name}): {text}</p>" for name, text in PIPELINE_HELP.items())
    + "<h3>Engines</h3>"
    "<p><b>Core ML (.mlmodel)</b>: the very model file the iPhone app runs, evaluated here with numpy, "
    "layer by layer, as Core ML defines it. Starts instantly.</p>"
    "<p><b>Keras (.keras)</b>: the trained Keras model in TensorFlow (installed with the training tools).</p>"
    "<h3>The answers</h3>"
    "<p><b>Digit may be: N</b> is what the phone prints: its top class, whatever it is. Beside it, the desktop's "
    "honest verdict: the digit, <i>not sure</i> when the runner-up has at least half the top probability "
    "(\"2 or 8?\"), or <i>not a digit</i> when the top probability is below the model's own threshold.</p>"
)


class ModelLoader(QObject):
    """Loads models off the UI thread (TensorFlow takes seconds to import) and
    hands the result back on it."""

    loaded = Signal(object, object)  # the session's callback, and the engine or an error message

    def __init__(self, parent: QObject, background: bool):
        super().__init__(parent)
        self.background = background
        self.loaded.connect(lambda done, result: done(result), Qt.ConnectionType.QueuedConnection)

    def load(self, slot: ModelSlot, done) -> None:
        # Core ML loads in ~50 ms; only TensorFlow is worth a thread.
        if not self.background or slot.engine == "coreml":
            done(load_model(slot))
            return
        threading.Thread(target=lambda: self.loaded.emit(done, load_model(slot)), name=f"load-{slot.engine}",
                         daemon=True).start()


class PhoneScreen(QWidget):
    """The phone's screen: the square canvas with the sample buttons and the
    labels right under it, kept together and centred in whatever room the
    window gives (a layout would stretch the canvas's widget, not its square)."""

    SPACING = 6

    def __init__(self, canvas: Canvas, below: list[QWidget]):
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


class MainWindow(QMainWindow):
    predicted = Signal()  # a prediction (or "nothing drawn") has been shown

    def __init__(self, engine: str | None = None, pipeline: str | None = None, model_paths: dict | None = None,
                 load_in_background: bool = True, settings: QSettings | None = None):
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.loader = ModelLoader(self, load_in_background)
        # Unless told otherwise, start as the user left it.
        remembered_engine = self.settings.value("engine", "coreml")
        remembered_pipeline = self.settings.value("pipeline", "phone")
        self.session = Session(render_canvas,
                               pipeline=pipeline or (remembered_pipeline if remembered_pipeline in PIPELINES
                                                     else "phone"),
                               engine=engine or (remembered_engine if remembered_engine in ENGINES else "coreml"),
                               model_paths=model_paths, load=self.loader.load)
        self.canvas = Canvas(self.session)
        self.result_label = QLabel()
        self.verdict_label = QLabel()
        self.bars = ProbabilityBars()
        self.input_view = ModelInputView()
        self.status_label = QLabel()
        self.pipeline_box = QComboBox()
        self.engine_box = QComboBox()
        self.compare_box = QCheckBox("Compare both engines")
        self._live_timer = QTimer(self, singleShot=True, interval=LIVE_INTERVAL_MS)
        self.setAcceptDrops(True)
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_layout()

        self.session.subscribe(self._session_changed)
        self.canvas.strokeMoved.connect(self._schedule_live_prediction)
        self._live_timer.timeout.connect(lambda: self.session.predict(live=True))
        self.pipeline_box.currentIndexChanged.connect(lambda: self.session.choose_pipeline(
            self.pipeline_box.currentData()))
        self.engine_box.currentIndexChanged.connect(lambda: self.session.choose_engine(self.engine_box.currentData()))
        self.compare_box.toggled.connect(self.session.set_compare_engines)
        self._show_all()
        self.session.ensure_loaded()

    # --- construction
    def _action(self, text: str, shortcuts, slot, tip: str, checkable: bool = False) -> QAction:
        made = QAction(text, self)
        made.setShortcuts([QKeySequence(s) for s in shortcuts])
        keys = ", ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts)
        made.setToolTip(f"{tip} ({keys})" if keys else tip)
        made.setStatusTip(tip)
        made.setCheckable(checkable)
        made.triggered.connect(slot)
        self.addAction(made)
        return made

    def _build_actions(self) -> None:
        standard = QKeySequence.StandardKey
        self.open_action = self._action("&Open…", [standard.Open], self.open_dialog,
                                        "Open a saved drawing (.json) or any image")
        self.save_action = self._action("&Save", [standard.Save], self.save, "Save the drawing (PNG and JSON)")
        self.save_as_action = self._action("Save &As…", [standard.SaveAs], self.save_dialog,
                                           "Save the drawing under a new name")
        self.screenshot_action = self._action("&Export Screenshot…", [], self.screenshot_dialog,
                                              "Save a picture of the whole window")
        self.open_model_action = self._action("Open &Model…", [], self.open_model_dialog,
                                              "Run another .mlmodel or .keras file")
        self.compare_model_action = self._action("&Compare With Model…", [], self.compare_model_dialog,
                                                 "Show a second model's answers beside the chosen one")
        self.quit_action = self._action("&Quit", [standard.Quit, "Ctrl+Q"], self.close, "Quit")
        self.undo_action = self._action("&Undo", [standard.Undo], self.session.undo, "Undo the last change")
        self.redo_action = self._action("&Redo", [standard.Redo], self.session.redo, "Redo what was undone")
        self.clear_action = self._action("&Clear", ["Ctrl+Backspace", "Delete"], self.clear,
                                         "Empty the canvas (undoable)")
        self.paste_action = self._action("&Paste", [standard.Paste], self.paste,
                                         "Paste an image, or a drawing's JSON or file path")
        self.predict_action = self._action("&Predict", ["Ctrl+Return", "Return"], self.predict,
                                           "Predict the digit, as the phone's button does")
        self.help_action = self._action("&Pipelines and Engines", [standard.HelpContents], self.show_help,
                                        "What the pipelines, engines and answers mean")
        self.about_action = self._action("&About", [], self.show_about, "Versions of the app and its parts")
        self.pipeline_actions = QActionGroup(self)
        for name in PIPELINES:
            made = self._action(PIPELINE_TITLES[name], [], lambda _=False, n=name: self._choose_pipeline(n),
                                PIPELINE_HELP[name], checkable=True)
            made.setData(name)
            self.pipeline_actions.addAction(made)
        self.engine_actions = QActionGroup(self)
        for kind in ENGINES.values():
            made = self._action(kind.title, [], lambda _=False, n=kind.name: self._choose_engine(n),
                                f"Run the {kind.title} model", checkable=True)
            made.setData(kind.name)
            self.engine_actions.addAction(made)
        self.compare_action = self._action("Compare Both &Engines", [], self.compare_box.setChecked,
                                           "Run both engines and flag any disagreement", checkable=True)
        self.compare_box.toggled.connect(self.compare_action.setChecked)
        self.precision_action = self._action(
            "Phone &Precision (float16)", [], lambda on: self.session.set_precision("float16" if on else "float32"),
            "Round weights and every layer's output to float16, as a phone's Neural Engine and GPU do",
            checkable=True)

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addAction(self.screenshot_action)
        file_menu.addSeparator()
        file_menu.addAction(self.open_model_action)
        file_menu.addAction(self.compare_model_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menus.addMenu("&Edit")
        for action in (self.undo_action, self.redo_action, self.clear_action, self.paste_action):
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.predict_action)
        view_menu = menus.addMenu("&View")
        view_menu.addSection("Input pipeline")
        view_menu.addActions(self.pipeline_actions.actions())
        view_menu.addSection("Engine")
        view_menu.addActions(self.engine_actions.actions())
        view_menu.addSeparator()
        view_menu.addAction(self.compare_action)
        view_menu.addAction(self.precision_action)
        help_menu = menus.addMenu("&Help")
        help_menu.addAction(self.help_action)
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        bar = QToolBar(APP_NAME)
        bar.setObjectName("main toolbar")
        bar.setMovable(False)
        bar.setFloatable(False)
        bar.toggleViewAction().setEnabled(False)  # Clear, Undo and Predict cannot be hidden away
        bar.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)
        bar.setIconSize(QSize(16, 16))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.clear_action, self.undo_action, None, self.open_action, self.save_action):
            bar.addSeparator() if action is None else bar.addAction(action)
        title = QLabel(APP_NAME)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setStyleSheet("font-weight: 600;")
        title.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(title)
        bar.addAction(self.predict_action)
        predict_button = bar.widgetForAction(self.predict_action)
        if predict_button is not None:
            predict_button.setStyleSheet("font-weight: 600;")
        self.addToolBar(bar)
        self.toolbar = bar

    def createPopupMenu(self):  # noqa: N802 (Qt's name): no menu that hides the toolbar
        return None

    def _build_layout(self) -> None:
        samples = QHBoxLayout()
        samples.setContentsMargins(0, 0, 0, 0)
        samples.setSpacing(8)
        self.sample_buttons = []
        for file_name, name in SAMPLES:
            button = QToolButton()
            button.setFixedSize(52, 52)
            button.setIconSize(QSize(48, 48))
            button.setIcon(QIcon(str(SAMPLES_DIR / file_name)))
            button.setToolTip(f"{name}: fill the canvas with it, as on the phone")
            button.clicked.connect(lambda _=False, f=file_name: self.load_sample(f))
            samples.addWidget(button)
            self.sample_buttons.append(button)
        samples.addStretch()

        self.result_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_label.setToolTip("The phone's answer, word for word: its top class")
        font = self.result_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        self.result_label.setFont(font)
        self.verdict_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verdict_label.setToolTip("The desktop's verdict: the digit, not sure (two close answers), "
                                      "or not a digit (below the model's threshold)")
        self.verdict_label.setWordWrap(True)

        sample_row = QWidget()
        sample_row.setLayout(samples)
        phone = PhoneScreen(self.canvas, [sample_row, self.result_label, self.verdict_label])

        for name in PIPELINES:
            self.pipeline_box.addItem(PIPELINE_TITLES[name], name)
        self.pipeline_box.setToolTip("\n".join(f"{PIPELINE_TITLES[n]}: {PIPELINE_HELP[n]}" for n in PIPELINES))
        for kind in ENGINES.values():
            self.engine_box.addItem(kind.title, kind.name)
        self.engine_box.setToolTip("Core ML: the very .mlmodel the phone runs. Keras: the trained .keras model.")
        self.compare_box.setToolTip("Run both engines and flag any disagreement")
        self.bars.setToolTip("Each digit's probability; the top one highlighted")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setToolTip("The models shown and their state")

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

        row = QHBoxLayout()
        row.addWidget(phone, 3)
        row.addSpacing(12)
        row.addWidget(side_scroll, 2)
        central = QWidget()
        central.setLayout(row)
        self.setCentralWidget(central)
        self.resize(840, 740)
        self.restoreGeometry(self.settings.value("window/geometry", b""))
        self._fit_screen()
        for key, box in (("pipeline", self.pipeline_box), ("engine", self.engine_box)):
            box.blockSignals(True)
            box.setCurrentIndex(box.findData(getattr(self.session, key)))
            box.blockSignals(False)

    def _fit_screen(self) -> None:
        """No bigger than the screen (a laptop at 200 % is 640x400 points)."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return
        room = screen.availableGeometry()
        width, height = min(self.width(), room.width()), min(self.height(), room.height() - 30)
        if (width, height) != (self.width(), self.height()):
            self.resize(max(width, self.minimumSizeHint().width()), max(height, self.minimumSizeHint().height()))
            self.move(room.topLeft())

    # --- observing the session
    def _session_changed(self, what: str) -> None:
        if what == LABEL:
            self.result_label.setText(self.session.label)
        elif what == PREDICTION:
            self._show_prediction()
            self.predicted.emit()
        elif what in (MODELS, OPTIONS):
            self._show_options()
            self._show_status()
        elif what == DRAWING:
            self._show_title()

    def _show_all(self) -> None:
        self.result_label.setText(self.session.label)
        self._show_prediction()
        self._show_options()
        self._show_status()
        self._show_title()

    def _show_prediction(self) -> None:
        series = [(title, None if p is None else p.probabilities)
                  for title, p in zip(self.session.shown_titles(), self.session.predictions, strict=False)]
        self.bars.set_series([(name, probabilities) for name, probabilities in series if probabilities is not None])
        self.input_view.set_input(self.session.model_input)
        self.verdict_label.setText(self.session.verdict_text())
        self._show_status()
        self.undo_action.setEnabled(self.session.can_undo())
        self.redo_action.setEnabled(self.session.can_redo())

    def _show_options(self) -> None:
        for box, value in ((self.pipeline_box, self.session.pipeline), (self.engine_box, self.session.engine)):
            if box.currentData() != value:
                box.blockSignals(True)
                box.setCurrentIndex(box.findData(value))
                box.blockSignals(False)
        for group, value in ((self.pipeline_actions, self.session.pipeline), (self.engine_actions, self.session.engine)):
            for action in group.actions():
                action.setChecked(action.data() == value)
        if self.compare_box.isChecked() != self.session.compare_engines:
            self.compare_box.blockSignals(True)
            self.compare_box.setChecked(self.session.compare_engines)
            self.compare_box.blockSignals(False)
        self.compare_action.setChecked(self.session.compare_engines)
        self.precision_action.setChecked(self.session.precision == "float16")
        self.settings.setValue("pipeline", self.session.pipeline)
        self.settings.setValue("engine", self.session.engine)

    def _show_status(self) -> None:
        lines = self.session.status_lines()
        self.status_label.setText("<br>".join(
            f"<span style='color:#d70015'>{html.escape(text)}</span>" if problem else html.escape(text)
            for text, problem in lines))

    def _show_title(self) -> None:
        name = self.session.content.name
        self.setWindowTitle(f"{APP_NAME} — {name}" if name else APP_NAME)

    # --- actions
    def _schedule_live_prediction(self) -> None:
        self.session.forget_name()
        if not self._live_timer.isActive():
            self._live_timer.start()

    def _choose_pipeline(self, name: str) -> None:
        self.session.choose_pipeline(name)

    def _choose_engine(self, name: str) -> None:
        self.session.choose_engine(name)

    def predict(self) -> None:
        self.result_label.setText(TEXT_PREDICTING)
        self.result_label.repaint()
        self.session.predict(live=False)
        self.result_label.setText(self.session.label)

    def clear(self) -> None:
        self._live_timer.stop()
        self.session.clear()

    def load_sample(self, file_name: str) -> None:
        try:
            self.session.set_image(sample_to_canvas(SAMPLES_DIR / file_name), sample=True)
        except DataError as error:
            self._complain("Cannot load the sample", str(error))

    # --- files
    def open_file(self, path: str | Path) -> bool:
        """Open a saved drawing (.json strokes) or any image; a bad file gets a message."""
        path = Path(path)
        try:
            if path.suffix.lower() in DRAWING_SUFFIXES:
                drawing = read_drawing_file(path)
                self.session.set_drawing(drawing.on_phone_canvas(), name=path.name)
                if drawing.note:
                    self._tell(f"{path.name}: {drawing.note}")
            else:
                self.session.set_image(image_to_canvas(path), name=path.name)
        except DataError as error:
            self._complain("Cannot open", str(error))
            return False
        self._remember_file(path)
        return True

    def save_file(self, path: str | Path) -> list[Path]:
        """PNG of the canvas at `path`, and its strokes as JSON beside it when
        there are strokes; returns the files written."""
        png = Path(path).with_suffix(".png")
        image = array_to_image(self.session.bitmap())
        with atomic_path(png) as temporary:
            if not image.save(str(temporary), "PNG"):
                raise OSError(f"{png}: could not write the PNG")
        written = [png]
        strokes = [list(s) for s in self.session.content.strokes]
        if strokes:
            strokes_file = png.with_suffix(".json")
            write_text_atomic(strokes_file, json.dumps(Drawing(strokes).to_json()) + "\n")
            written.append(strokes_file)
        return written

    def files_to_save(self, path: str | Path) -> list[Path]:
        png = Path(path).with_suffix(".png")
        return [png, png.with_suffix(".json")] if self.session.content.strokes else [png]

    def save(self) -> None:
        last = self.settings.value("files/last_saved", "")
        if last and self.session.content.name == Path(last).name:
            self._save_to(last)
        else:
            self.save_dialog()

    def save_dialog(self) -> None:
        folder = Path(self.settings.value("files/folder", str(Path.home())))
        path, _ = QFileDialog.getSaveFileName(self, "Save the drawing", str(folder / "drawing.png"),
                                              "PNG image (*.png)", options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            existing = [p for p in self.files_to_save(path) if p.exists()]
            if existing and QMessageBox.question(
                    self, "Replace files?", "Replace " + " and ".join(p.name for p in existing) + "?",
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                    QMessageBox.StandardButton.No) != QMessageBox.StandardButton.Yes:
                return
            self._save_to(path)

    def _save_to(self, path: str | Path) -> None:
        try:
            written = self.save_file(path)
        except OSError as error:
            self._complain("Cannot save", str(error))
            return
        self.settings.setValue("files/last_saved", str(written[0]))
        self.settings.setValue("files/folder", str(written[0].parent))
        self.session.content.name = written[0].name
        self._show_title()
        note = "" if len(written) > 1 else " (the canvas holds no strokes, so no .json was written)"
        self._tell("Saved " + " and ".join(p.name for p in written) + note)

    def screenshot_dialog(self) -> None:
        folder = Path(self.settings.value("files/folder", str(Path.home())))
        path, _ = QFileDialog.getSaveFileName(self, "Export a screenshot", str(folder / "screenshot.png"),
                                              "Images (*.png *.jpg *.jpeg *.bmp)")
        if path:
            try:
                save_screenshot(self, Path(path))
            except OSError as error:
                self._complain("Cannot save", str(error))

    def open_dialog(self) -> None:
        folder = self.settings.value("files/folder", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open a drawing or an image", folder,
                                              f"Drawings and images (*.json {IMAGE_FILTER});;All files (*)")
        if path:
            self.open_file(path)

    def open_model_dialog(self) -> None:
        self._choose_model("Run a model", self.session.open_model)

    def compare_model_dialog(self) -> None:
        self._choose_model("Compare with a model", self.session.compare_with_model)

    def _choose_model(self, title: str, use) -> None:
        path, _ = QFileDialog.getOpenFileName(self, title, self.settings.value("files/folder", ""),
                                              f"Models ({MODEL_FILTER})")
        if path:
            try:
                use(path)
            except ModelFileError as error:
                self._complain("Cannot run the model", str(error))

    def _remember_file(self, path: Path) -> None:
        recent = [str(path.resolve())] + [p for p in self._recent_files() if p != str(path.resolve())]
        self.settings.setValue("files/recent", recent[:RECENT_FILES])
        self.settings.setValue("files/folder", str(path.resolve().parent))

    def _recent_files(self) -> list[str]:
        value = self.settings.value("files/recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self._recent_files():
            self.recent_menu.addAction(Path(path).name, lambda p=path: self.open_file(p)).setToolTip(path)
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("No recent files").setEnabled(False)

    def paste(self) -> None:
        data = QApplication.clipboard().mimeData()
        if data.hasImage():
            from PySide6.QtCore import QBuffer, QIODevice

            buffer = QBuffer()
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            data.imageData().save(buffer, "PNG")
            try:
                self.session.set_image(image_to_canvas(bytes(buffer.data())), name="pasted image")
            except DataError as error:
                self._complain("Cannot paste", str(error))
        elif data.hasUrls() and data.urls()[0].isLocalFile():
            self.open_file(data.urls()[0].toLocalFile())
        elif data.hasText():
            text = data.text().strip()
            if text.startswith("{"):
                from model.strokes import parse_drawing_text

                try:
                    self.session.set_drawing(parse_drawing_text(text, "the pasted text").on_phone_canvas(),
                                             name="pasted drawing")
                except DataError as error:
                    self._complain("Cannot paste", str(error))
            else:
                self.open_file(text)

    # --- drag and drop
    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        data = event.mimeData()
        if data.hasUrls() and data.urls()[0].isLocalFile():
            self.open_file(data.urls()[0].toLocalFile())
            event.acceptProposedAction()

    # --- help
    def show_help(self) -> None:
        self._show_box("Pipelines and engines", HELP_TEXT)

    def _show_box(self, title: str, text: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal: nothing waits on it
        self.last_box = box
        return box

    def show_about(self) -> None:
        import platform
        from importlib.metadata import PackageNotFoundError, version

        import numpy
        import PySide6

        try:
            __version__ = version("digit-recognizer-desktop")
        except PackageNotFoundError:
            __version__ = "(not installed)"

        self._show_box(f"About {APP_NAME}", (
            f"<h3>{APP_NAME} {__version__}</h3><p>The desktop companion of the iOS digit recognizer: it runs "
            f"the phone's Core ML model on any computer.</p><p>Python {platform.python_version()}, "
            f"Qt {PySide6.QtCore.qVersion()} (PySide6 {PySide6.__version__}), numpy {numpy.__version__}</p>"))

    # --- messages
    def _tell(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    def _complain(self, title: str, message: str) -> None:
        self.statusBar().showMessage(message)
        self.status_label.setText(f"<span style='color:#d70015'>{html.escape(message)}</span>")
        if self.isVisible():
            # Window-modal, not application-modal: nothing waits on it.
            box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.settings.setValue("window/geometry", self.saveGeometry())
        super().closeEvent(event)


SCREENSHOT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP"}


def save_screenshot(widget: QWidget, path: Path) -> None:
    """The widget as an image in the format its extension names, written atomically."""
    image_format = SCREENSHOT_FORMATS.get(path.suffix.lower())
    if image_format is None:
        raise OSError(f"{path}: unknown image type {path.suffix!r}; use one of {', '.join(SCREENSHOT_FORMATS)}")
    with atomic_path(path) as temporary:
        if not widget.grab().save(str(temporary), image_format):
            raise OSError(f"{path}: could not write the {image_format} image (disk full or not writable?)")
