import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

import model  # noqa: F401  (process-wide settings, before numpy loads)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # headless Qt
# The app's data folder (the personal set and model) of every app the tests start: never the user's.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="digit-recognizer-tests-")
atexit.register(shutil.rmtree, os.environ["XDG_DATA_HOME"], ignore_errors=True)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared_file(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.fail(f"{path} is missing: the tests use the real data in ../shared/data (or set SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def mnist_npz() -> Path:
    return shared_file("mnist.npz")


@pytest.fixture(scope="session")
def strokes_file() -> Path:
    return shared_file("unipen_digits_sample.jsonl.gz")


@pytest.fixture(scope="session")
def mnist(mnist_npz):
    from model.recipe.data import load_mnist

    return load_mnist(mnist_npz)


@pytest.fixture(scope="session")
def drawings(strokes_file):
    from model.runtime.strokes import read_drawings

    return read_drawings(strokes_file)


def run_script(*args: str, timeout: float = 600):
    import subprocess

    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
