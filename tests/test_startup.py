import os
import subprocess
import sys

import numpy as np
import pytest
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


def test_screenshot_mode_opens_a_number_in_the_number_mode_and_only_there(tmp_path):
    import json

    number = tmp_path / "seventy-one.json"
    number.write_text(json.dumps({"canvas": [1500, 375], "label": "71",
                                  "strokes": [[[100, 100], [200, 100], [130, 300]], [[400, 100], [400, 300]]]}))
    shot = tmp_path / "shot.png"
    result = run_app("--number", "--open", str(number), "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr
    assert "Number may be: 71" in result.stdout and QImage(str(shot)).width() >= 600
    refused = run_app("--open", str(number), "--screenshot", str(tmp_path / "digit.png"))
    assert refused.returncode == 2 and f"{number}: 'label' is the number \"71\"" in refused.stderr


def test_screenshot_mode_fails_on_a_bad_drawing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = subprocess.run([sys.executable, "-m", "desktop_app", "--open", str(bad), "--screenshot",
                             str(tmp_path / "x.png")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and str(bad) in result.stderr


def heavy_modules_of_a_default_start(tmp_path, strokes_file) -> str:
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
    return result.stdout.strip().splitlines()[-1]


def test_the_default_start_path_never_imports_tensorflow(tmp_path, strokes_file):
    assert heavy_modules_of_a_default_start(tmp_path, strokes_file) == "[]"


def run_app(*args: str):
    return subprocess.run([sys.executable, "-m", "desktop_app", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_a_screenshot_leaves_no_setting_behind_and_never_touches_dev_null(tmp_path, strokes_file):
    import os
    import stat

    keras_shot = run_app("--engine", "keras", "--pipeline", "centred", "--screenshot", str(tmp_path / "a.png"))
    assert keras_shot.returncode == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode), "the screenshot replaced /dev/null"
    assert heavy_modules_of_a_default_start(tmp_path, strokes_file) == "[]"  # Core ML again, not Keras


def test_a_jpeg_screenshot_is_a_jpeg_and_an_unknown_type_is_refused(tmp_path):
    shot = tmp_path / "shot.jpg"
    assert run_app("--screenshot", str(shot)).returncode == 0
    assert shot.read_bytes()[:2] == b"\xff\xd8"
    refused = run_app("--screenshot", str(tmp_path / "shot.xyz"))
    assert refused.returncode == 2 and "unknown image type" in refused.stderr
    assert not (tmp_path / "shot.xyz").exists()


@pytest.mark.parametrize(("option", "name"), [("--coreml-model", "typo.mlmodel"), ("--keras-model", "typo.keras")])
def test_a_missing_model_on_the_command_line_exits_2_naming_it_shown_or_not(tmp_path, option, name):
    missing = tmp_path / name  # the default engine shows Core ML; the Keras model would load only when picked
    result = run_app(option, str(missing), "--screenshot", str(tmp_path / "s.png"))
    assert result.returncode == 2 and f"{option} {missing}: no such file" in result.stderr
    assert not (tmp_path / "s.png").exists()


def test_a_damaged_keras_model_on_the_command_line_exits_2_though_core_ml_is_shown(tmp_path):
    damaged = tmp_path / "damaged.keras"
    damaged.write_bytes(b"not a zip archive")
    result = run_app("--keras-model", str(damaged), "--screenshot", str(tmp_path / "s.png"))
    assert result.returncode == 2 and f"--keras-model {damaged}: not a Keras model file" in result.stderr


@pytest.mark.parametrize("kind", ["dark-on-light", "dark-on-light-alpha", "ink-on-transparency", "photo",
                                  "white-on-black"])
def test_images_of_every_kind_open_and_read_as_the_digit_drawn(tmp_path, kind):
    from PIL import Image, ImageFilter

    from tests.test_images import seven

    size = 300
    if kind == "photo":
        rng = np.random.default_rng(1)
        y, x = np.mgrid[0:size, 0:size]
        paper = 150 + 70 * (x / size) - 50 * (y / size)
        ink = np.asarray(seven(size, 255, 0), np.float64) / 255
        pixels = paper * (1 - 0.75 * ink) + rng.normal(0, 6, (size, size))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.5))
        path = tmp_path / "photo.jpg"
    elif kind == "ink-on-transparency":
        image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        image.paste((0, 0, 0, 255), mask=seven(size, 255, 0))
        path = tmp_path / "ink.png"
    else:
        ink, paper = (255, 0) if kind == "white-on-black" else (0, 255)
        image = seven(size, ink, paper)
        image = image.convert("RGBA") if kind.endswith("alpha") else image
        path = tmp_path / f"{kind}.png"
    image.save(path)
    result = run_app("--open", str(path), "--screenshot", str(tmp_path / "shot.png"))
    assert result.returncode == 0, result.stderr
    assert "Digit may be: 7" in result.stdout


def test_a_screenshot_leaves_no_temporary_folder_whether_it_succeeds_or_fails(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    for args, code in (((), 0), (("--open", str(bad)), 2)):
        shown = subprocess.run([sys.executable, "-m", "desktop_app", *args, "--screenshot", str(tmp_path / "s.png")],
                               cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
        assert shown.returncode == code, shown.stderr
        assert list(scratch.iterdir()) == [], shown.stderr
