"""The File menu's dialogs, paste and drop: the Qt side of desktop_app.files.
They hand what they open to the session and report through the window's
`tell` (status bar) and `complain` (a message box)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QSettings
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox, QWidget

from desktop_app.files import (
    IMAGE_SUFFIXES,
    DrawingSet,
    Opened,
    RecentFiles,
    files_to_save,
    open_pasted_image,
    open_pasted_text,
    open_path,
    save_drawing,
)
from desktop_app.session import Session
from model.atomic import atomic_path
from model.errors import DataError, ModelFileError
from model.runtime.engines import ENGINES

IMAGE_FILTER = " ".join(f"*{suffix}" for suffix in IMAGE_SUFFIXES)
MODEL_FILTER = " ".join(f"*{suffix}" for kind in ENGINES.values() for suffix in kind.suffixes)
SCREENSHOT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP"}


class FileActions:
    def __init__(self, window: QWidget, active: Callable[[], Session], settings: QSettings,
                 tell: Callable[[str], None], complain: Callable[[str, str], None]):
        """`active()`: the session files open into and save from (the digit screen's, or the number mode's)."""
        self.window, self.active, self.settings = window, active, settings
        self.tell, self.complain = tell, complain
        self.recent = RecentFiles(settings.value, settings.setValue)
        self.drawing_set: DrawingSet | None = None  # the file of many drawings being stepped through
        self.set_changed: Callable[[], None] = lambda: None

    @property
    def session(self):
        return self.active()

    @property
    def number(self) -> bool:
        return self.session.kind == "number"

    def _folder(self) -> Path:
        return Path(self.settings.value("files/folder", str(Path.home())))

    # --- opening
    def show(self, opened: Opened) -> None:
        if opened.strokes is not None:
            self.session.document.set_drawing(opened.strokes, name=opened.name, label=opened.label)
        else:
            self.session.document.set_image(opened.bitmap, name=opened.name)
        if opened.note:
            self.tell(f"{opened.name}: {opened.note}")
        self.drawing_set = opened.drawing_set
        self.set_changed()

    def step(self, by: int) -> None:
        """The next (1) or previous (-1) drawing of the open file of drawings."""
        if self.drawing_set is None:
            return
        try:
            opened = self.drawing_set.step(by)
        except DataError as error:  # a drawing the file holds that cannot be shown (all off the canvas)
            self.complain("Cannot show", str(error))
            return
        if opened is None:
            self.tell(f"{self.drawing_set.path.name}: no drawing {'after' if by > 0 else 'before'} this one")
            return
        self.show(opened)

    def find_misread(self, direction: int) -> None:
        """The next (1) or previous (-1) drawing of the open file that the model reads otherwise than its label."""
        if self.drawing_set is None:
            return
        chosen = self.session.models.shown_slots()[0]
        if chosen.state != "ready":  # no answers to compare yet: not "none misread"
            self.tell(f"{chosen.named()} is {'unavailable' if chosen.state == 'error' else 'still loading'}")
            return
        opened, looked = self.drawing_set.find_misread(direction, self.session.reads)
        if opened is not None:
            self.show(opened)
            return
        where = "after" if direction > 0 else "before"
        end = self.drawing_set.index + direction * looked
        rest = "" if not 0 <= end < len(self.drawing_set.drawings) else \
            f" up to drawing {end + 1:,}; press again to look further"
        self.tell(f"{self.drawing_set.path.name}: the model misreads none of the {looked:,} drawings {where} this "
                  f"one{rest}")

    def open_file(self, path: str | Path) -> bool:
        """Open a saved drawing (.json strokes), a file of many (.jsonl, .jsonl.gz) or any image; a bad
        file gets a message."""
        try:
            self.show(open_path(path, self.number))
        except DataError as error:
            self.complain("Cannot open", str(error))
            return False
        self.recent.remember(Path(path))
        return True

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a drawing or an image", str(self._folder()),
                                              f"Drawings and images (*.json *.jsonl *.jsonl.gz {IMAGE_FILTER});;All files (*)")
        if path:
            self.open_file(path)

    def fill_recent_menu(self, menu: QMenu) -> None:
        menu.clear()
        for path in self.recent.paths():
            menu.addAction(Path(path).name, lambda p=path: self.open_file(p)).setToolTip(path)
        if menu.isEmpty():
            menu.addAction("No recent files").setEnabled(False)

    # --- saving
    def save(self) -> None:
        last = self.settings.value("files/last_saved", "")
        if last and self.session.document.content.name == Path(last).name:
            self.save_to(last)
        else:
            self.save_dialog()

    def save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the drawing", str(self._folder() / "drawing.png"),
                                              "PNG image (*.png)", options=QFileDialog.Option.DontConfirmOverwrite)
        if not path:
            return
        existing = [p for p in files_to_save(path, bool(self.session.document.content.strokes)) if p.exists()]
        if existing and QMessageBox.question(
                self.window, "Replace files?", "Replace " + " and ".join(p.name for p in existing) + "?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No) != QMessageBox.StandardButton.Yes:
            return
        self.save_to(path)

    def save_to(self, path: str | Path) -> None:
        strokes = [list(s) for s in self.session.document.content.strokes]
        try:
            written = save_drawing(path, self.session.bitmap(), strokes, self.session.document.size)
        except OSError as error:
            self.complain("Cannot save", str(error))
            return
        self.settings.setValue("files/last_saved", str(written[0]))
        self.settings.setValue("files/folder", str(written[0].parent))
        self.session.document.rename(written[0].name)
        note = "" if len(written) > 1 else " (the canvas holds no strokes, so no .json was written)"
        self.tell("Saved " + " and ".join(p.name for p in written) + note)

    def screenshot_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export a screenshot", str(self._folder() / "screenshot.png"),
                                              "Images (*.png *.jpg *.jpeg *.bmp)")
        if path:
            try:
                save_screenshot(self.window, Path(path))
            except OSError as error:
                self.complain("Cannot save", str(error))

    # --- models
    def open_model_dialog(self) -> None:
        self._choose_model("Run a model", self.session.models.open_model)

    def compare_model_dialog(self) -> None:
        self._choose_model("Compare with a model", self.session.models.compare_with_model)

    def _choose_model(self, title: str, use) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, title, self.settings.value("files/folder", ""),
                                              f"Models ({MODEL_FILTER})")
        if path:
            try:
                use(path)
            except ModelFileError as error:
                self.complain("Cannot run the model", str(error))

    # --- paste and drop
    def paste(self) -> None:
        data = QApplication.clipboard().mimeData()
        try:
            if data.hasImage() and self.number:
                raise DataError("an image is pasted on the digit screen (View ▸ Number off)")
            if data.hasImage():
                buffer = QBuffer()
                buffer.open(QIODevice.OpenModeFlag.WriteOnly)
                data.imageData().save(buffer, "PNG")
                self.show(open_pasted_image(bytes(buffer.data())))
            elif data.hasUrls() and data.urls()[0].isLocalFile():
                self.open_file(data.urls()[0].toLocalFile())
            elif data.hasText():
                pasted = open_pasted_text(data.text(), self.number)
                self.open_file(pasted) if isinstance(pasted, Path) else self.show(pasted)
        except DataError as error:
            self.complain("Cannot paste", str(error))

    def drop(self, event) -> None:
        data = event.mimeData()
        if data.hasUrls() and data.urls()[0].isLocalFile():
            self.open_file(data.urls()[0].toLocalFile())
            event.acceptProposedAction()


def save_screenshot(widget: QWidget, path: Path) -> None:
    """The widget as an image in the format its extension names, written atomically."""
    image_format = SCREENSHOT_FORMATS.get(path.suffix.lower())
    if image_format is None:
        raise OSError(f"{path}: unknown image type {path.suffix!r}; use one of {', '.join(SCREENSHOT_FORMATS)}")
    with atomic_path(path) as temporary:
        if not widget.grab().save(str(temporary), image_format):
            raise OSError(f"{path}: could not write the {image_format} image (disk full or not writable?)")
