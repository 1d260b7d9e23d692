import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, run_script

SHIPPED = ROOT / "model" / "keras_mnist_cnn.keras"


def copy_of_shipped(folder: Path, name: str) -> Path:
    path = folder / f"{name}.keras"
    shutil.copy(SHIPPED, path)
    shutil.copy(SHIPPED.with_suffix(".history.json"), path.with_suffix(".history.json"))
    return path


def test_a_model_merged_with_itself_answers_what_it_answers_with_its_own_record(tmp_path, mnist_npz, mnist):
    first, second = copy_of_shipped(tmp_path, "first"), copy_of_shipped(tmp_path, "second")
    out = tmp_path / "merged.keras"
    result = run_script("scripts/merge_members.py", "--members", str(first), str(second), "--out", str(out),
                        "--data", str(mnist_npz), "--limit", "300", "--workers", "1")
    assert result.returncode == 0, result.stderr[-2000:]

    from model.runtime.keras_model import load_keras_model

    images = mnist.x_test[:200, ..., None] / 255.0
    expected = load_keras_model(SHIPPED).predict(images, verbose=0)
    merged = load_keras_model(out)
    assert merged.count_params() > load_keras_model(SHIPPED).count_params()  # two members side by side
    np.testing.assert_allclose(merged.predict(images, verbose=0), expected, atol=1e-5)
    record = json.loads(out.with_suffix(".history.json").read_text())
    assert record["merged_from"] == [first.name, second.name]  # by name: no machine's path in a record
    assert len(record["histories"]) == 2 and 0 < record["not_a_digit_below"] < 1
    assert out.with_suffix(".curves.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("case, expected", [
    ("one member", "give two or more models"),
    ("missing member", "no such file"),
    ("out is a member", "is one of the --members"),
    ("no record", "no readable training record"),
    ("a Core ML member", "not a loadable Keras model"),
])
def test_bad_members_are_one_line_errors_and_write_nothing(tmp_path, mnist_npz, case, expected):
    first, second = copy_of_shipped(tmp_path, "first"), copy_of_shipped(tmp_path, "second")
    out = tmp_path / "merged.keras"
    members = {"one member": [first], "missing member": [first, tmp_path / "gone.keras"],
               "out is a member": [first, second], "no record": [first, second],
               "a Core ML member": [first, SHIPPED.with_suffix(".mlmodel")]}[case]
    if case == "out is a member":
        out = second
    if case == "no record":
        second.with_suffix(".history.json").unlink()
    result = run_script("scripts/merge_members.py", "--members", *map(str, members), "--out", str(out),
                        "--data", str(mnist_npz), "--limit", "300", "--workers", "1")
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "merged.keras").exists()
