"""The main window: layout and wiring only. It shows the phone's screen (canvas,
sample digits, the phone's label) and beside it what the phone cannot show: the
desktop's honest verdict, live probability bars, the model's 28x28 input, and
the choice of pipeline and models. What the app knows lives in the Session."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QMainWindow,
    QMessageBox,
)

from desktop_app.canvas import Canvas
from desktop_app.document import DRAWING
from desktop_app.file_actions import FileActions
from desktop_app.help import HELP_TEXT, HelpDialog, about_text
from desktop_app.menus import build_actions, build_menus, build_toolbar
from desktop_app.model_loader import ModelLoader
from desktop_app.number_mode import NumberScreen
from desktop_app.number_session import NumberSession
from desktop_app.personal_ui import PersonalActions
from desktop_app.render import render_canvas, render_number
from desktop_app.session import LABEL, LIVE_INTERVAL_MS, MODELS, OPTIONS, PREDICTION, TEXT_PREDICTING, Session
from desktop_app.teaching import Teaching
from desktop_app.widgets import (
    SAMPLES_DIR,
    ModelInputView,
    NumberCanvasWidth,
    ProbabilityBars,
    build_layout,
    grow_for_side_panel,
)
from model.errors import DataError
from model.runtime.engines import ENGINES
from model.runtime.images import sample_to_canvas
from model.runtime.personal import PERSONAL_SET_NAME
from model.runtime.pipelines import DEFAULT_SHRINK, PIPELINES, SHRINKS

APP_NAME = "DigitRecognizer"


class MainWindow(QMainWindow):
    predicted = Signal()  # a prediction (or "nothing drawn") has been shown

    def __init__(self, engine: str | None = None, pipeline: str | None = None, model_paths: dict | None = None,
                 load_in_background: bool = True, settings: QSettings | None = None, data_dir: Path | None = None,
                 shrink: str | None = None):
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.loader = ModelLoader(self, load_in_background)
        self.session = Session(render_canvas, pipeline=pipeline or self._remembered("pipeline", PIPELINES, "phone"),
                               engine=engine or self._remembered("engine", ENGINES, "coreml"),
                               model_paths=model_paths, load=self.loader.load,
                               shrink=shrink or self._remembered("shrink", SHRINKS, DEFAULT_SHRINK))
        self.numbers = NumberSession(self.session, render_number)
        self.number_mode = False
        self.files = FileActions(self, self.active, self.settings, self._tell, self._complain)
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
        self.number_screen = NumberScreen(self.numbers)
        self.number_width = NumberCanvasWidth(self, self.number_screen.canvas)
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
        build_actions(self)
        self.personal = PersonalActions(self, self.teaching, self._tell, self._complain)
        self.bars.digitClicked.connect(self.personal.teach)
        if kept:
            self._tell(f"What you teach is kept for this session only: {kept}")
        if self._remembered_on("personal/use") and self.teaching.model_path.exists():
            self.session.models.show_personal(True)
        self.recent_menu = build_menus(self)
        self.toolbar = build_toolbar(self, APP_NAME)
        build_layout(self)

        self.session.subscribe(self._session_changed)
        self.numbers.subscribe(self._numbers_changed)
        self.canvas.strokeMoved.connect(self._schedule_live_prediction)
        self._live_timer.timeout.connect(lambda: self.session.predict(live=True))
        self.pipeline_box.currentIndexChanged.connect(lambda: self.session.choose_pipeline(
            self.pipeline_box.currentData()))
        self.engine_box.currentIndexChanged.connect(lambda: self.session.models.choose_engine(self.engine_box.currentData()))
        self.compare_box.toggled.connect(self.session.models.set_compare_engines)
        self._show_all()
        self.session.models.ensure_loaded()
        self.show_number_mode(self._remembered_on("number"))

    # --- construction
    def _remembered(self, key: str, choices, default: str) -> str:
        """Unless told otherwise, start as the user left it (a value no longer offered: the default)."""
        value = self.settings.value(key, default)
        return value if value in choices else default

    def _remembered_on(self, key: str) -> bool:
        """An on/off choice as the user left it (Qt reads a stored "true" as on)."""
        return self.settings.value(key, False, type=bool)

    def _drawing_set_changed(self) -> None:
        many = self.files.drawing_set is not None and len(self.files.drawing_set.drawings) > 1
        for action in (self.next_drawing_action, self.previous_drawing_action, self.next_misread_action,
                       self.previous_misread_action):
            action.setEnabled(many)

    def createPopupMenu(self):  # noqa: N802 (Qt's name): no menu that hides the toolbar
        return None

    def show_whole_side_panel(self) -> None:
        """Grow the window until its side panel needs no scrolling (a screenshot shows everything)."""
        grow_for_side_panel(self, self.side_scroll, on_screen=False)

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

    def _numbers_changed(self, what: str) -> None:
        if self.number_mode and what == PREDICTION:
            self._show_prediction()
            self.predicted.emit()
        elif self.number_mode and what == DRAWING:
            self._show_title()

    def active(self):
        """The session the canvas shown draws into: the digit screen's, or the number mode's."""
        return self.numbers if self.number_mode else self.session

    def show_number_mode(self, on: bool) -> None:
        """View ▸ Number: the wide canvas that reads several digits, or the phone's screen."""
        self.number_mode = bool(on)
        self.screens.setCurrentIndex(1 if self.number_mode else 0)
        self.number_action.setChecked(self.number_mode)
        self.settings.setValue("number", self.number_mode)
        self.files.drawing_set = None  # a file of drawings is stepped through in the mode it opened in
        self._drawing_set_changed()
        if self.number_mode:
            self.numbers.read()
            QTimer.singleShot(0, self, self.number_width.widen)
        else:
            self.number_width.restore()
        self._show_all()

    def _show_all(self) -> None:
        self.result_label.setText(self.session.label)
        self._show_prediction()
        self._show_options()
        self._show_status()
        self._show_title()

    def _show_prediction(self) -> None:
        active = self.active()
        series = [(title, None if p is None else p.probabilities)
                  for title, p in zip(self.session.models.shown_titles(), active.predictions, strict=False)]
        self.bars.set_series([(name, probabilities) for name, probabilities in series if probabilities is not None])
        self.input_view.set_input(active.model_input)
        self.verdict_label.setText(self.session.verdict_text())
        self._show_status()
        self.undo_action.setEnabled(active.document.can_undo())
        self.redo_action.setEnabled(active.document.can_redo())

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
        lines = self.active().status_lines()
        self.status_label.setText("<br>".join(
            f"<span style='color:#d70015'>{html.escape(text)}</span>" if problem else html.escape(text)
            for text, problem in lines))
        self.side_panel_fit.request()

    def _show_title(self) -> None:
        name = self.active().document.content.name
        self.setWindowTitle(f"{APP_NAME} — {name}" if name else APP_NAME)

    # --- actions
    def _schedule_live_prediction(self) -> None:
        self.session.document.rename(None)
        if not self._live_timer.isActive():
            self._live_timer.start()

    def predict(self) -> None:
        if self.number_mode:
            self.numbers.read()
            return
        self.result_label.setText(TEXT_PREDICTING)
        self.result_label.repaint()
        self.session.predict(live=False)
        self.result_label.setText(self.session.label)

    def clear(self) -> None:
        self._live_timer.stop()
        self.active().document.clear()

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
        self.last_box = HelpDialog("Help", HELP_TEXT, self)
        self.last_box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_box.open()

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
