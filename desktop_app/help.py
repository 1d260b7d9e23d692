"""Help and About, their words taken from the pipelines' and engines' registries."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from model.runtime.engines import ENGINES
from model.runtime.numbers import LEAN_APART, NUMBER_SURE, ON_A_ONE_SURE, STEEPEST
from model.runtime.pipelines import PIPELINE_HELP, PIPELINE_TITLES, PIPELINES, SHRINK_HELP, SHRINK_TITLES, SHRINKS

HELP_TEXT = (
    "<h3>Input pipelines</h3>"
    + "".join(f"<p><b>{PIPELINE_TITLES[name]}</b> ({name}): {PIPELINE_HELP[name]}</p>" for name in PIPELINES)
    + "<h3>Phone shrinks</h3>"
    + "".join(f"<p><b>{SHRINK_TITLES[name]}</b> ({name}): {SHRINK_HELP[name]}</p>" for name in SHRINKS)
    + "<h3>Engines</h3>"
    + "".join(f"<p><b>{kind.title}</b>: {kind.help}</p>" for kind in ENGINES.values())
    + "<h3>The answers</h3>"
    "<p><b>Digit may be: N</b> is what the phone prints: its top class, whatever it is. Beside it, the desktop's "
    "honest verdict: the digit, <i>not sure</i> when the runner-up has at least half the top probability "
    "(\"2 or 8?\"), or <i>not a digit</i> when the top probability is below the model's own threshold.</p>"
    "<h3>Numbers</h3>"
    "<p>View ▸ Number reads several digits written side by side: the strokes are split into digits, each read "
    "as the phone reads one digit. A number is read surely only when every digit is, their top probabilities "
    f"multiply to {NUMBER_SURE:g} or more, and its 1s lean alike, as one writer's do (within {LEAN_APART:g}° of "
    f"each other, none past {STEEPEST:g}° from upright): a letter such as an X or an M is often read stroke by "
    "stroke as 1s. Nor is it read surely when a digit starts or ends on a 1 beside it and is read below "
    f"{ON_A_ONE_SURE:.0%}: a k's or an R's strokes are drawn on from its stem. A digit or a 1 in doubt is boxed "
    "in orange; its button under the canvas (or a right-click on its box) "
    "shows its bars. Lift the pen between digits: a stroke that runs on from one digit into the next is cut "
    "where it joins them, and the number is then at most <i>not sure</i>.</p>"
)


class HelpDialog(QDialog):
    """The help text in a page that scrolls: on a small screen its last lines and its button stay in reach."""

    def __init__(self, title: str, html: str, parent: QWidget):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.html = html
        page = QTextBrowser()
        page.setHtml(html)
        page.setOpenExternalLinks(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(page)
        layout.addWidget(buttons)
        # As tall as the text needs (laid out a little narrower than the page, for its margins and scroll bar),
        # but no taller than most of the screen.
        page.document().setTextWidth(540)
        height = round(page.document().size().height()) + buttons.sizeHint().height() + 80
        self.resize(600, min(height, round(parent.screen().availableGeometry().height() * 0.85)))

    def text(self) -> str:
        return self.html


def about_text(app_name: str) -> str:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    import numpy
    import PySide6

    try:
        release = version("digit-recognizer-desktop")
    except PackageNotFoundError:
        release = "(not installed)"
    return (f"<h3>{app_name} {release}</h3><p>The desktop companion of the iOS digit recognizer: it runs "
            f"the phone's Core ML model on any computer.</p><p>Python {platform.python_version()}, "
            f"Qt {PySide6.QtCore.qVersion()} (PySide6 {PySide6.__version__}), numpy {numpy.__version__}</p>")
