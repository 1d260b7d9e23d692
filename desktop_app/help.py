"""Help and About, their words taken from the pipelines' and engines' registries."""

from __future__ import annotations

from model.runtime.engines import ENGINES
from model.runtime.numbers import LEAN_APART, NUMBER_SURE, STEEPEST
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
    "stroke as 1s. A digit or a 1 in doubt is boxed in orange; its button under the canvas (or a right-click on its box) "
    "shows its bars.</p>"
)


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
