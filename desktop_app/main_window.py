"""The main window: layout and wiring only. It shows the phone's screen (canvas,
sample digits, the phone's label) and beside it what the phone cannot show: the
desktop's honest verdict, live probability bars, the model's 28x28 input, and
the choice of pipeline and models. What the app knows lives in the Session."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QToolButton,
    QWidget,
)

from desktop_app.canvas import Canvas
from desktop_app.document import DRAWING
from desktop_app.file_actions import FileActions
from desktop_app.help import HELP_TEXT, about_text
from desktop_app.menus import build_menus, build_toolbar, make_action
from desktop_app.model_loader import ModelLoader
from desktop_app.personal_ui import PersonalActions
from desktop_app.render import render_canvas
from desktop_app.session import LABEL, MODELS, OPTIONS, PREDICTION, TEXT_PREDICTING, Session
from desktop_app.teaching import Teaching
from desktop_app.widgets import ModelInputView, PhoneScreen, ProbabilityBars, fit_to_screen, sample_buttons, side_panel
from model.errors import DataError
from model.runtime.engines import ENGINES
from model.runtime.images import sample_to_canvas
from model.runtime.personal import PERSONAL_SET_NAME
from model.runtime.pipelines import (
    DEFAULT_SHRINK,
    PIPELINE_HELP,
    PIPELINE_TITLES,
    PIPELINES,
    SHRINK_HELP,
    SHRINK_TITLES,
    SHRINKS,
)

APP_NAME = "DigitRecognizer"
SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
SAMPLES = (("five.png", "Sample 5"), ("four.png", "Sample 4"))
LIVE_INTERVAL_MS = 40  # at most one live prediction per this while the pen moves

class MainWindow(QMainWindow):
    predicted = Signal()  # a prediction (or "nothing drawn") has been shown

    def __init__(self, engine: str | None = None, pipeline: str | None = None, model_paths: dict | None = None,
                 load_in_background: bool = True, settings: QSettings | None = None, data_dir: Path | None = None,
                 shrink: str | None = None):
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.loader = ModelLoader(self, load_in_background)
        # Unless told otherwise, start as the user left it.
        remembered_engine = self.settings.value("engine", "coreml")
        remembered_pipeline = self.settings.value("pipeline", "phone")
        remembered_shrink = self.settings.value("shrink", DEFAULT_SHRINK)
        self.session = Session(render_canvas,
                               pipeline=pipeline or (remembered_pipeline if remembered_pipeline in PIPELINES
                                                     else "phone"),
                               engine=engine or (remembered_engine if remembered_engine in ENGINES else "coreml"),
                               model_paths=model_paths, load=self.loader.load,
                               shrink=shrink or (remembered_shrink if remembered_shrink in SHRINKS else DEFAULT_SHRINK))
        self.files = FileActions(self, self.session, self.settings, self._tell, self._complain)
        # The personal set and model live in the platform's app-data folder.
        data_dir = data_dir or Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
        self._scratch: tempfile.TemporaryDirectory | None = None  # removed when the app ends
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            self.teaching = Teaching(self.session, data_dir / PERSONAL_SET_NAME, data_dir / "personal.mlmodel")
            kept = ""
        except (OSError, DataError) as error:  # a read-only home: teach for this session only, and say so
            self._scratch = tempfile.TemporaryDirectory(prefix="digit-recognizer-")
            scratch = Path(self._scratch.name)
            self.teaching = Teaching(self.session, scratch / PERSONAL_SET_NAME, scratch / "personal.mlmodel")
            kept = str(error)
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
        self.personal = PersonalActions(self, self.teaching, self._tell, self._complain)
        self.bars.digitClicked.connect(self.personal.teach)
        if kept:
            self._tell(f"What you teach is kept for this session only: {kept}")
        if self.settings.value("personal/use", False) in (True, "true") and self.teaching.model_path.exists():
            self.session.models.show_personal(True)
        self.recent_menu = build_menus(self)
        self.toolbar = build_toolbar(self, APP_NAME)
        self._build_layout()

        self.session.subscribe(self._session_changed)
        self.canvas.strokeMoved.connect(self._schedule_live_prediction)
        self._live_timer.timeout.connect(lambda: self.session.predict(live=True))
        self.pipeline_box.currentIndexChanged.connect(lambda: self.session.choose_pipeline(
            self.pipeline_box.currentData()))
        self.engine_box.currentIndexChanged.connect(lambda: self.session.models.choose_engine(self.engine_box.currentData()))
        self.compare_box.toggled.connect(self.session.models.set_compare_engines)
        self._show_all()
        self.session.models.ensure_loaded()

    # --- construction
    def _build_actions(self) -> None:
        standard = QKeySequence.StandardKey
        self.open_action = make_action(self, "&Open…", [standard.Open], self.files.open_dialog,
                                       "Open a saved drawing (.json), a file of drawings (.jsonl) or any image")
        self.next_drawing_action = make_action(self, "&Next Drawing", ["PgDown"], lambda: self.files.step(1),
                                               "Show the next drawing of the file of drawings")
        self.previous_drawing_action = make_action(self, "P&revious Drawing", ["PgUp"], lambda: self.files.step(-1),
                                                   "Show the drawing before this one in the file of drawings")
        self.next_misread_action = make_action(self, "Next &Misread", ["Shift+PgDown"],
                                               lambda: self.files.find_misread(1),
                                               "Show the next drawing of the file that the model reads otherwise "
                                               "than its label")
        self.previous_misread_action = make_action(self, "Previous M&isread", ["Shift+PgUp"],
                                                   lambda: self.files.find_misread(-1),
                                                   "Show the drawing before this one that the model reads "
                                                   "otherwise than its label")
        self.files.set_changed = self._drawing_set_changed
        self._drawing_set_changed()
        self.save_action = make_action(self, "&Save", [standard.Save], self.files.save,
                                       "Save the drawing (PNG and JSON)")
        self.save_as_action = make_action(self, "Save &As…", [standard.SaveAs], self.files.save_dialog,
                                          "Save the drawing under a new name")
        self.screenshot_action = make_action(self, "&Export Screenshot…", [], self.files.screenshot_dialog,
                                             "Save a picture of the whole window")
        self.open_model_action = make_action(self, "Open &Model…", [], self.files.open_model_dialog,
                                             "Run another .mlmodel or .keras file")
        self.compare_model_action = make_action(self, "&Compare With Model…", [], self.files.compare_model_dialog,
                                                "Show a second model's answers beside the chosen one")
        self.quit_action = make_action(self, "&Quit", [standard.Quit, "Ctrl+Q"], self.close, "Quit")
        self.undo_action = make_action(self, "&Undo", [standard.Undo], self.session.document.undo,
                                       "Undo the last change")
        self.redo_action = make_action(self, "&Redo", [standard.Redo], self.session.document.redo,
                                       "Redo what was undone")
        self.clear_action = make_action(self, "&Clear", ["Ctrl+Backspace", "Delete"], self.clear,
                                        "Empty the canvas (undoable)")
        self.paste_action = make_action(self, "&Paste", [standard.Paste], self.files.paste,
                                        "Paste an image, or a drawing's JSON or file path")
        self.predict_action = make_action(self, "&Predict", ["Ctrl+Return", "Return"], self.predict,
                                          "Predict the digit, as the phone's button does")
        self.help_action = make_action(self, "&Pipelines and Engines", [standard.HelpContents], self.show_help,
                                       "What the pipelines, engines and answers mean")
        self.about_action = make_action(self, "&About", [], self.show_about, "Versions of the app and its parts")
        self.pipeline_actions = QActionGroup(self)
        for name in PIPELINES:
            made = make_action(self, PIPELINE_TITLES[name], [], lambda _=False, n=name: self.session.choose_pipeline(n),
                               PIPELINE_HELP[name], checkable=True)
            made.setData(name)
            self.pipeline_actions.addAction(made)
        self.shrink_actions = QActionGroup(self)
        for name in SHRINKS:
            made = make_action(self, SHRINK_TITLES[name] + (" (assumed)" if name == DEFAULT_SHRINK else ""), [],
                               lambda _=False, n=name: self.session.choose_shrink(n),
                               f"How the phone pipeline shrinks the canvas: {SHRINK_HELP[name]}", checkable=True)
            made.setData(name)
            self.shrink_actions.addAction(made)
        self.engine_actions = QActionGroup(self)
        for kind in ENGINES.values():
            made = make_action(self, kind.title, [], lambda _=False, n=kind.name: self.session.models.choose_engine(n),
                               f"Run the {kind.title} model", checkable=True)
            made.setData(kind.name)
            self.engine_actions.addAction(made)
        self.compare_action = make_action(self, "Compare Both &Engines", [], self.compare_box.setChecked,
                                          "Run both engines and flag any disagreement", checkable=True)
        self.compare_box.toggled.connect(self.compare_action.setChecked)
        self.precision_action = make_action(
            self, "Phone &Precision (float16)", [],
            lambda on: self.session.models.set_precision("float16" if on else "float32"),
            "Round weights and every layer's output to float16, as a phone's Neural Engine and GPU do",
            checkable=True)

    def _drawing_set_changed(self) -> None:
        many = self.files.drawing_set is not None and len(self.files.drawing_set.drawings) > 1
        for action in (self.next_drawing_action, self.previous_drawing_action, self.next_misread_action,
                       self.previous_misread_action):
            action.setEnabled(many)

    def createPopupMenu(self):  # noqa: N802 (Qt's name): no menu that hides the toolbar
        return None

    def _build_layout(self) -> None:
        sample_row, self.sample_buttons = sample_buttons([(SAMPLES_DIR / file, name) for file, name in SAMPLES],
                                                         lambda path: self.load_sample(path.name))

        self.result_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_label.setToolTip("The phone's answer, word for word: its top class")
        font = self.result_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        self.result_label.setFont(font)
        self.verdict_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verdict_label.setToolTip("The desktop's verdict: the digit, not sure (two close answers), "
                                      "or not a digit (below the model's threshold)")
        self.verdict_label.setWordWrap(True)

        phone = PhoneScreen(self.canvas, [sample_row, self.result_label, self.verdict_label])

        for name in PIPELINES:
            self.pipeline_box.addItem(PIPELINE_TITLES[name], name)
        self.pipeline_box.setToolTip("\n".join(f"{PIPELINE_TITLES[n]}: {PIPELINE_HELP[n]}" for n in PIPELINES))
        for kind in ENGINES.values():
            self.engine_box.addItem(kind.title, kind.name)
        self.engine_box.setToolTip("\n".join(f"{kind.title}: {kind.help}" for kind in ENGINES.values()))
        self.compare_box.setToolTip("Run both engines and flag any disagreement")
        self.bars.setToolTip("Each digit's probability; the top one highlighted. Click a digit to teach that "
                             "this drawing is it (or press its key)")
        personalise = QToolButton()
        personalise.setDefaultAction(self.personal.personalise_action)
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setToolTip("The models shown and their state")

        self.side_scroll = side_scroll = side_panel(self.bars, self.input_view, [("Input pipeline", self.pipeline_box),
                                 ("Engine", self.engine_box), ("", self.compare_box), ("", personalise)],
                                 self.status_label)

        row = QHBoxLayout()
        row.addWidget(phone, 3)
        row.addSpacing(12)
        row.addWidget(side_scroll, 2)
        central = QWidget()
        central.setLayout(row)
        self.setCentralWidget(central)
        self.resize(840, 740)
        self.restoreGeometry(self.settings.value("window/geometry", b""))
        fit_to_screen(self)

    def show_whole_side_panel(self) -> None:
        """Grow the window until its side panel needs no scrolling (a screenshot shows everything)."""
        scroll_bar = self.side_scroll.verticalScrollBar()
        for _ in range(4):  # wrapped lines reflow as it grows
            QApplication.processEvents()
            if scroll_bar.maximum() <= 0:
                return
            self.resize(self.width(), self.height() + scroll_bar.maximum())

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
                  for title, p in zip(self.session.models.shown_titles(), self.session.predictions, strict=False)]
        self.bars.set_series([(name, probabilities) for name, probabilities in series if probabilities is not None])
        self.input_view.set_input(self.session.model_input)
        self.verdict_label.setText(self.session.verdict_text())
        self._show_status()
        self.undo_action.setEnabled(self.session.document.can_undo())
        self.redo_action.setEnabled(self.session.document.can_redo())

    def _show_options(self) -> None:
        for box, value in ((self.pipeline_box, self.session.pipeline), (self.engine_box, self.session.models.engine)):
            if box.currentData() != value:
                box.blockSignals(True)
                box.setCurrentIndex(box.findData(value))
                box.blockSignals(False)
        for group, value in ((self.pipeline_actions, self.session.pipeline), (self.engine_actions, self.session.models.engine),
                             (self.shrink_actions, self.session.shrink)):
            for action in group.actions():
                action.setChecked(action.data() == value)
        for action in self.shrink_actions.actions():
            action.setEnabled(self.session.pipeline == "phone")
        if self.compare_box.isChecked() != self.session.models.compare_engines:
            self.compare_box.blockSignals(True)
            self.compare_box.setChecked(self.session.models.compare_engines)
            self.compare_box.blockSignals(False)
        self.compare_action.setChecked(self.session.models.compare_engines)
        self.precision_action.setChecked(self.session.models.precision == "float16")
        self.settings.setValue("pipeline", self.session.pipeline)
        self.settings.setValue("shrink", self.session.shrink)
        self.settings.setValue("engine", self.session.models.engine)
        self.settings.setValue("personal/use", self.session.models.use_personal)
        self.personal.refresh()

    def _show_status(self) -> None:
        lines = self.session.status_lines()
        self.status_label.setText("<br>".join(
            f"<span style='color:#d70015'>{html.escape(text)}</span>" if problem else html.escape(text)
            for text, problem in lines))

    def _show_title(self) -> None:
        name = self.session.document.content.name
        self.setWindowTitle(f"{APP_NAME} — {name}" if name else APP_NAME)

    # --- actions
    def _schedule_live_prediction(self) -> None:
        self.session.document.rename(None)
        if not self._live_timer.isActive():
            self._live_timer.start()

    def predict(self) -> None:
        self.result_label.setText(TEXT_PREDICTING)
        self.result_label.repaint()
        self.session.predict(live=False)
        self.result_label.setText(self.session.label)

    def clear(self) -> None:
        self._live_timer.stop()
        self.session.document.clear()

    def load_sample(self, file_name: str) -> None:
        try:
            self.session.document.set_image(sample_to_canvas(SAMPLES_DIR / file_name), sample=True)
        except DataError as error:
            self._complain("Cannot load the sample", str(error))

    # --- drag and drop
    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.files.drop(event)

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
        self._show_box(f"About {APP_NAME}", about_text(APP_NAME))

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
        if self._scratch is not None:
            self.teaching.set.close()
            self._scratch.cleanup()
            self._scratch = None
        super().closeEvent(event)
