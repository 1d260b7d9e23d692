"""Teaching in the window: say what a drawing is (its digit key, a click on its
bar, or Edit ▸ This Is), look after the personal set, personalise in the
background, switch between the base and the personal model, export it. The Qt
side of desktop_app.teaching."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.menus import make_action
from desktop_app.render import array_to_image
from desktop_app.teaching import Teaching
from model.errors import DataError, ModelFileError

THUMBNAIL = 56


class PersonalActions(QObject):
    finished = Signal(object)  # a Personalised result, or an error message
    progressed = Signal(int, int)

    def __init__(self, window, teaching: Teaching, tell, complain):
        super().__init__(window)
        self.window, self.teaching, self.tell, self.complain = window, teaching, tell, complain
        self.session = teaching.session
        self.this_is_menu = QMenu("This &Is", window)
        self.this_is_menu.setToolTipsVisible(True)
        for digit in range(10):
            action = QAction(str(digit), window)
            action.setShortcut(QKeySequence(str(digit)))
            action.setToolTip(f"Teach: what is on the canvas is a {digit} (key {digit})")
            action.triggered.connect(lambda _=False, d=digit: self.teach(d))
            window.addAction(action)
            self.this_is_menu.addAction(action)
        def action(text: str, slot, tip: str, checkable: bool = False) -> QAction:
            return make_action(window, text, [], slot, tip, checkable)

        self.set_action = action("Personal &Set…", self.show_set, "The drawings you taught, by digit")
        self.personalise_action = action("Pe&rsonalise", self.personalise,
                                         "Fine-tune the model on your drawings, as the phone's update does")
        self.personal_model_action = action("P&ersonal Model", self.session.models.show_personal,
                                            "Run your personal model instead of the base one", checkable=True)
        self.compare_action = action("Compare Personal With &Base", self.compare_with_base,
                                     "Show the base model's bars under your personal model's", checkable=True)
        self.export_model_action = action("Export Personal &Model…", lambda: self.export_model(False),
                                          "The personal model as the phone's drop-in .mlmodel (iOS 11)")
        self.export_updatable_action = action(
            "Export &Updatable Personal Model…", lambda: self.export_model(True),
            "The personal model with its update (iOS 13), so the phone goes on learning")
        self.export_set_action = action("Export Personal Set…", self.export_set, "Save the taught drawings")
        self.import_set_action = action("Import Personal Set…", self.import_set, "Add taught drawings from a file")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        window.statusBar().addPermanentWidget(self.progress)
        self.progressed.connect(lambda done, total: (self.progress.setMaximum(total), self.progress.setValue(done)))
        self.finished.connect(self._finished, Qt.ConnectionType.QueuedConnection)
        self.dialog: PersonalSetDialog | None = None
        if teaching.set.note:
            complain("The personal set was damaged", teaching.set.note)
        self.refresh()

    def refresh(self) -> None:
        has_set = bool(self.teaching.set.examples)
        running = self.progress.isVisible()
        self.personalise_action.setEnabled(has_set and not running)
        self.export_set_action.setEnabled(has_set)
        has_model = self.teaching.model_path.exists()
        for action in (self.personal_model_action, self.compare_action, self.export_model_action,
                       self.export_updatable_action):
            action.setEnabled(has_model)
        models = self.session.models
        self.personal_model_action.setChecked(models.use_personal)
        self.compare_action.setChecked(models.second_model is not None and models.use_personal
                                       and models.second_model.path == models.base_path("coreml"))
        if self.dialog is not None:
            self.dialog.fill()

    # --- teaching
    def teach(self, digit: int) -> None:
        if getattr(self.window, "number_mode", False):
            self.tell("Teaching is done on the digit screen (View ▸ Number off): one digit at a time")
            return
        try:
            self.tell(self.teaching.teach(digit))
        except (DataError, OSError) as error:
            self.complain("Cannot teach", str(error))
        self.refresh()

    def compare_with_base(self, on: bool) -> None:
        """The personal model with the base model's bars under it."""
        models = self.session.models
        if on:
            models.show_personal(True)
            models.compare_with_model(models.base_path("coreml"))
        else:
            models.compare_with_model(None)
        self.refresh()

    def show_set(self) -> None:
        if self.dialog is None:
            self.dialog = PersonalSetDialog(self)
        self.dialog.fill()
        self.dialog.show()
        self.dialog.raise_()

    # --- personalising, off the UI thread
    def personalise(self) -> None:
        examples = list(self.teaching.set.examples)  # as the set is now, with other windows' drawings
        if not examples or self.progress.isVisible():
            return
        self.progress.setValue(0)
        self.progress.show()
        self.tell(f"Personalising on {len(examples)} drawings…")
        self.refresh()

        def run() -> None:
            try:
                self.finished.emit(self.teaching.personalise(lambda done, total: self.progressed.emit(done, total),
                                                             examples))
            except (DataError, ModelFileError) as error:
                self.finished.emit(str(error))
            except Exception as error:  # never take the app down
                self.finished.emit(f"personalising failed ({type(error).__name__}: {error})")

        threading.Thread(target=run, name="personalise", daemon=True).start()

    def _finished(self, result) -> None:
        self.progress.hide()
        if isinstance(result, str):
            self.complain("Cannot personalise", result)
        else:
            try:
                verdict = self.teaching.adopt(result)
            except OSError as error:
                verdict = f"The personal model could not be saved ({error})."
            if result.nothing_to_learn:
                self.last_report = (f"<p>Checked your {result.taught} drawings in {result.seconds:.1f} s: the model "
                                    f"reads {result.set_before:.1%} of them right.</p><p>{verdict}</p>")
            else:
                after = "—" if result.set_after is None else f"{result.set_after:.1%}"
                self.last_report = (f"<p>Taught {result.taught} drawings in {result.seconds:.1f} s.</p>"
                                    f"<p>Your drawings (each graded by a model that did not learn it): "
                                    f"{result.set_before:.1%} → {after}<br>General check (1,000 MNIST digits): "
                                    f"{result.general_before:.1%} → {result.general_after:.1%}</p><p>{verdict}</p>")
            self.tell(verdict)
            box = QMessageBox(QMessageBox.Icon.Information, "Personalised", self.last_report,
                              QMessageBox.StandardButton.Ok, self.window)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
        self.refresh()

    # --- files
    def export_model(self, updatable: bool) -> None:
        name = "personal_updatable.mlmodel" if updatable else "keras_mnist_cnn.mlmodel"
        path, _ = QFileDialog.getSaveFileName(self.window, "Export the personal model", name,
                                              "Core ML model (*.mlmodel)")
        if path:
            try:
                self.teaching.export_model(Path(path).with_suffix(".mlmodel"), updatable)
                self.tell(f"Exported the personal model to {path}")
            except (ModelFileError, OSError) as error:
                self.complain("Cannot export", str(error))

    def export_set(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export the personal set", "personal-set.jsonl",
                                              "Drawings (*.jsonl)")
        if path:
            try:
                self.teaching.set.export(path)
                self.tell(f"Exported {len(self.teaching.set.examples)} drawings to {path}")
            except OSError as error:
                self.complain("Cannot export", str(error))

    def import_set(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import taught drawings", "",
                                              "Drawings (*.jsonl *.jsonl.gz)")
        if path:
            try:
                self.tell(f"Imported {self.teaching.set.import_file(path)} drawings from {path}")
            except (DataError, OSError) as error:
                self.complain("Cannot import", str(error))
            self.refresh()


class PersonalSetDialog(QDialog):
    """The personal set, a row of thumbnails per digit with its count."""

    def __init__(self, actions: PersonalActions):
        super().__init__(actions.window)
        self.actions = actions
        self.setWindowTitle("Personal set")
        self.resize(560, 620)
        self.rows: list[tuple[QLabel, QListWidget]] = []
        body = QWidget()
        layout = QVBoxLayout(body)
        for digit in range(10):
            label, grid = QLabel(), QListWidget()
            grid.setViewMode(QListWidget.ViewMode.IconMode)
            grid.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
            grid.setFlow(QListWidget.Flow.LeftToRight)
            grid.setWrapping(False)
            grid.setFixedHeight(THUMBNAIL + 26)
            grid.setToolTip(f"The drawings taught as {digit}; select one and press Remove")
            layout.addWidget(label)
            layout.addWidget(grid)
            self.rows.append((label, grid))
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected drawing from the set")
        self.clear_button = QPushButton("Clear All…")
        self.clear_button.setToolTip("Remove every taught drawing (asks first)")
        personalise = QPushButton("Personalise")
        personalise.setToolTip(actions.personalise_action.toolTip())
        for button in (self.remove_button, self.clear_button, personalise):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button.clicked.connect(self.clear_all)
        personalise.clicked.connect(actions.personalise)
        buttons.rejected.connect(self.close)
        outer = QVBoxLayout(self)
        outer.addWidget(scroll)
        outer.addWidget(buttons)

    def fill(self) -> None:
        examples = self.actions.teaching.set.examples
        render = lambda strokes: self.actions.session.render(strokes, None)  # noqa: E731
        for digit, (label, grid) in enumerate(self.rows):
            indices = [i for i, e in enumerate(examples) if e.label == digit]
            label.setText(f"<b>{digit}</b> — {len(indices)} drawing{'s' if len(indices) != 1 else ''}")
            grid.clear()
            for index in indices:
                canvas = np.ascontiguousarray(examples[index].canvas(render))
                pixmap = QPixmap.fromImage(array_to_image(canvas)).scaled(
                    THUMBNAIL, THUMBNAIL, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation)
                item = QListWidgetItem(QIcon(pixmap), "")
                item.setData(Qt.ItemDataRole.UserRole, index)
                grid.addItem(item)
        self.clear_button.setEnabled(bool(examples))

    def remove_selected(self) -> None:
        chosen = sorted((item.data(Qt.ItemDataRole.UserRole) for _, grid in self.rows
                         for item in grid.selectedItems()), reverse=True)
        for index in chosen:
            self.actions.teaching.set.remove(index)
        self.actions.refresh()

    def clear_all(self) -> None:
        count = len(self.actions.teaching.set.examples)
        if QMessageBox.question(self, "Clear the personal set?", f"Remove all {count} taught drawings?",
                                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                QMessageBox.StandardButton.No) == QMessageBox.StandardButton.Yes:
            self.actions.teaching.set.clear()
            self.actions.refresh()
