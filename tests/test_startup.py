import subprocess
import sys

from PySide6.QtGui import QImage

from tests.conftest import ROOT


def test_screenshot_mode_opens_a_drawing_predicts_and_writes_the_window(tmp_path, strokes_file):
    import gzip

    drawing = tmp_path / "seven.json"
    drawing.write_text(gzip.open(strokes_file, "rt").readlines()[5])
    shot = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "desktop_app", "--open", str(drawing), "--screenshot", str(shot)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Digit may be: " in result.stdout
    image = QImage(str(shot))
    assert image.width() >= 600 and image.height() >= 450


def test_screenshot_mode_fails_on_a_bad_drawing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = subprocess.run([sys.executable, "-m", "desktop_app", "--open", str(bad), "--screenshot",
                             str(tmp_path / "x.png")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and str(bad) in result.stderr


def test_the_default_start_path_never_imports_tensorflow(tmp_path, strokes_file):
    import gzip

    drawing = tmp_path / "d.json"
    drawing.write_text(gzip.open(strokes_file, "rt").readlines()[0])
    check = (
        "import sys\n"
        "from desktop_app.__main__ import main\n"
        f"assert main(['--open', {str(drawing)!r}, '--screenshot', {str(tmp_path / 's.png')!r}]) == 0\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'coremltools') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
