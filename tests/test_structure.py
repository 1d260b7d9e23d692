"""The architecture, as import-linter contracts in pyproject.toml: the desktop
app above the core, the recipe above what the app runs above the Core ML
side, no Qt in the core or the session, no TensorFlow or Keras on the app's
path, no import cycles."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env=environment, capture_output=True,
                          text=True, timeout=120)


def planted(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the project with one import added to one module."""
    for name in ("model", "desktop_app"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.keras", "*.mlmodel", "*.png"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    path = tmp_path / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n{line}\n")
    return tmp_path


def test_the_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("model.runtime.verdict", "import PySide6", "Nothing in the core, nor the session, imports Qt"),
    ("model.runtime.pipelines", "import model.recipe.data", "What the app runs never imports TensorFlow or Keras"),
    ("model.coreml.runner", "import model.runtime.engines", "Inside the core"),
    ("model.recipe.skeleton", "import model.recipe.synthesis", "No import cycles"),
], ids=["qt-in-core", "recipe-on-app-path", "coreml-above-runtime", "cycle"])
def test_a_planted_violation_breaks_its_contract(tmp_path, module, line, contract):
    result = lint_imports(planted(tmp_path, module, line))
    assert result.returncode != 0
    assert contract in result.stdout and "BROKEN" in result.stdout


def test_the_core_and_the_session_load_without_qt_or_tensorflow():
    check = ("import sys\n"
             "import model, model.runtime.engines, model.runtime.pipelines, model.runtime.verdict\n"
             "import model.runtime.images, model.runtime.strokes, model.coreml.runner, desktop_app.session\n"
             "print(sorted(m for m in ('PySide6', 'tensorflow', 'keras', 'coremltools') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
