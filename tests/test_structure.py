"""The rules that keep the structure plain: the core and the session never
import Qt, and nothing on the app's default path imports TensorFlow."""

import ast
import subprocess
import sys

import pytest

from tests.conftest import ROOT

QT_FREE = sorted((ROOT / "model").glob("*.py")) + [ROOT / "desktop_app" / "session.py"]


def imported_modules(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", QT_FREE, ids=lambda p: p.name)
def test_the_core_and_the_session_never_import_qt(path):
    qt = {name for name in imported_modules(path) if name.split(".")[0] in ("PySide6", "desktop_app")
          and name != "desktop_app.session"}
    assert not qt, f"{path.relative_to(ROOT)} imports {sorted(qt)}"


def test_the_core_and_the_session_load_without_qt_or_tensorflow():
    check = ("import sys\n"
             "import model, model.engines, model.pipelines, model.verdict, model.images, model.strokes\n"
             "import model.coreml_runner, desktop_app.session\n"
             "print(sorted(m for m in ('PySide6', 'tensorflow', 'keras', 'coremltools') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
