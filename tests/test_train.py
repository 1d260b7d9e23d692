import json

import numpy as np

from tests.conftest import run_script


def test_a_short_real_training_run_writes_a_loadable_model(tmp_path, mnist_npz, mnist):
    out = tmp_path / "small.keras"
    result = run_script("scripts/train.py", "--data", str(mnist_npz), "--out", str(out), "--epochs", "1",
                        "--limit", "3000", "--synthetic-copies", "1", "--workers", "1",
                        "--cache", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "drawn 2000/3000 phone-like digits" in result.stdout  # progress is visible

    from model.network import load_keras_model

    model = load_keras_model(out)
    predictions = model.predict(mnist.x_test[:500, ..., None] / 255.0, verbose=0).argmax(axis=1)
    assert (predictions == mnist.y_test[:500]).mean() > 0.5  # it learned something real
    import io
    import zipfile

    import h5py

    with zipfile.ZipFile(out) as archive:
        weights = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        assert "optimizer" not in weights  # saved without optimizer state: a few MB
    history = json.loads(out.with_suffix(".history.json").read_text())
    assert len(history["history"]["loss"]) == 1
    assert out.with_suffix(".curves.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "small.curves.png", "small.history.json",
                                                         "small.keras"]


def test_training_refuses_a_bad_data_file_with_its_name(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_text("nope")
    result = run_script("scripts/train.py", "--data", str(bad), "--out", str(tmp_path / "m.keras"))
    assert result.returncode != 0
    assert f"{bad}: not a readable .npz" in result.stderr
    assert not (tmp_path / "m.keras").exists()


def test_random_shift_translates_each_digit_by_at_most_two_pixels(mnist):
    from model.training import random_shift

    images = mnist.x_train[:200].astype(np.float32)
    shifted = random_shift(images, np.random.default_rng(0), max_shift=2)
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    translations = [padded[:, dy:dy + 28, dx:dx + 28] for dy in range(5) for dx in range(5)]
    assert all(any(np.array_equal(moved[i], shifted[i]) for moved in translations) for i in range(len(images)))
    assert not np.array_equal(shifted, images)
