import json

import numpy as np
import pytest

from tests.conftest import run_script


def test_a_short_real_training_run_writes_a_loadable_model(tmp_path, mnist_npz, mnist):
    out = tmp_path / "small.keras"
    handwriting = tmp_path / "ones.jsonl"  # real handwriting's stand-in: strokes with labels
    handwriting.write_text("".join(json.dumps({"label": 1, "strokes": [[[180 + i, 60], [175, 320 - i]]]}) + "\n"
                                   for i in range(20)))
    sevens = tmp_path / "sevens.jsonl"  # a second source of real handwriting
    sevens.write_text("".join(json.dumps({"label": 7, "strokes": [[[100, 60 + i], [280, 60], [150, 320]]]}) + "\n"
                              for i in range(5)))
    doodles = tmp_path / "doodles.jsonl"  # real doodles' stand-in: unlabelled zigzags
    doodles.write_text("".join(json.dumps({"strokes": [[[60, 100 + i], [300, 150], [60, 200], [300, 250 - i]]]})
                               + "\n" for i in range(12)))
    result = run_script("scripts/train.py", "--data", str(mnist_npz), "--out", str(out), "--epochs", "1",
                        "--limit", "600", "--batch-size", "32", "--synthetic-copies", "1", "--not-digits", "150",
                        "--workers", "1", "--members", "2", "--handwriting", str(handwriting), str(sevens),
                        "--handwriting-copies", "2",
                        "--held-out-handwriting", str(handwriting), "--doodles", str(doodles),
                        "--cache", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "drawn 600/600" in result.stdout  # progress is visible
    assert f"real handwriting (20 digits of {handwriting}), copy 2/2" in result.stdout
    assert f"real handwriting (5 digits of {sevens}), copy 2/2" in result.stdout  # every source is drawn
    assert "real doodles (12), copy 1/1" in result.stdout

    from model.runtime.keras_model import load_keras_model

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
    assert [len(h["loss"]) for h in history["histories"]] == [1, 1]  # two members, one epoch each
    assert 0 < history["not_a_digit_below"] < 1 and 0 < history["not_a_digit_below_centred"] < 1  # one a pipeline
    assert set(history["held_out"]["handwriting_accuracy"]) == {"phone", "centred"}
    assert out.with_suffix(".curves.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "doodles.jsonl", "ones.jsonl", "sevens.jsonl", "small.curves.png",
                                                         "small.history.json", "small.keras"]


def test_a_model_below_the_accuracy_floor_replaces_nothing(tmp_path, mnist_npz):
    out = tmp_path / "good.keras"
    out.write_bytes(b"the good model")
    result = run_script("scripts/train.py", "--data", str(mnist_npz), "--out", str(out), "--epochs", "1",
                        "--limit", "500", "--synthetic-copies", "0", "--not-digits", "0", "--min-accuracy", "0.999",
                        "--cache", str(tmp_path / "cache"))
    assert result.returncode == 2
    assert "below --min-accuracy 0.999" in result.stderr and f"{out} not written" in result.stderr
    assert out.read_bytes() == b"the good model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.keras"]  # nothing else written either


def test_a_model_with_non_finite_weights_is_not_sound():
    import keras

    from model.errors import TrainingError
    from model.recipe.network import build_model
    from model.recipe.training import Recipe, check_sound

    model = build_model()
    weights = model.get_weights()
    weights[0][0, 0, 0, 0] = np.nan
    model.set_weights(weights)
    try:
        check_sound(model, [{"loss": [0.1]}], 0.99, Recipe())
    except TrainingError as error:
        assert "conv1" in str(error) and "NaN" in str(error)
    else:
        raise AssertionError("a NaN weight was accepted")
    del keras


@pytest.mark.parametrize(("option", "value"), [("--learning-rate", "nan"), ("--workers", "0"),
                                               ("--batch-size", "0"), ("--phone-ratio", "-1"), ("--limit", "0"),
                                               ("--limit", "-5"), ("--epochs", "0")])
def test_bad_options_are_one_line_errors(tmp_path, capsys, option, value):
    import importlib.util

    from tests.conftest import ROOT

    # In this process (TensorFlow loads once per test worker); the subprocess tests above run the real thing.
    spec = importlib.util.spec_from_file_location("train_script", ROOT / "scripts" / "train.py")
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    with pytest.raises(SystemExit) as exit_code:
        train.main([option, value, "--out", str(tmp_path / "m.keras")])
    error = capsys.readouterr().err
    assert exit_code.value.code == 2 and option in error and "Traceback" not in error
    assert not (tmp_path / "m.keras").exists()


def test_help_and_option_errors_answer_without_loading_tensorflow():
    import subprocess
    import sys

    from tests.conftest import ROOT

    check = ("import runpy, sys\n"
             "sys.argv = ['train.py', '--epochs', '0']\n"
             "try:\n    runpy.run_path('scripts/train.py', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "--epochs" in result.stderr and result.stdout.strip().splitlines()[-1] == "[]"


def test_the_recipe_names_every_network_it_can_build():
    from model.recipe.network import NETWORKS
    from model.recipe.recipe import DEFAULT_NETWORK, NETWORK_NAMES

    assert tuple(NETWORKS) == NETWORK_NAMES and DEFAULT_NETWORK in NETWORKS


def test_an_output_that_cannot_be_written_is_refused_before_any_work(tmp_path):
    folder = tmp_path / "folder.keras"
    folder.mkdir()
    result = run_script("scripts/train.py", "--out", str(folder))
    assert result.returncode == 2 and f"--out {folder}: is a folder" in result.stderr
    parent_is_file = tmp_path / "file"
    parent_is_file.write_text("")
    result = run_script("scripts/train.py", "--out", str(parent_is_file / "m.keras"))
    assert result.returncode == 2 and "is a file, not a folder" in result.stderr


def test_training_refuses_a_bad_data_file_with_its_name(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_text("nope")
    result = run_script("scripts/train.py", "--data", str(bad), "--out", str(tmp_path / "m.keras"))
    assert result.returncode != 0
    assert f"{bad}: not a readable .npz" in result.stderr
    assert not (tmp_path / "m.keras").exists()


def test_random_shift_translates_each_digit_by_at_most_two_pixels(mnist):
    from model.recipe.epochs import random_shift

    images = mnist.x_train[:200].astype(np.float32)
    shifted = random_shift(images, np.random.default_rng(0), max_shift=2)
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    translations = [padded[:, dy:dy + 28, dx:dx + 28] for dy in range(5) for dx in range(5)]
    assert all(any(np.array_equal(moved[i], shifted[i]) for moved in translations) for i in range(len(images)))
    assert not np.array_equal(shifted, images)


def test_sigterm_during_synthesis_exits_143_and_leaves_no_worker(tmp_path, mnist_npz):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    process = subprocess.Popen([sys.executable, "scripts/train.py", "--data", str(mnist_npz), "--limit", "20000",
                                "--workers", "2", "--out", str(tmp_path / "m.keras"), "--cache",
                                str(tmp_path / "cache")], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)

    def children() -> set[int]:
        found = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
        return {int(pid) for pid in found}

    deadline = time.monotonic() + 120
    while len(children()) < 2 and time.monotonic() < deadline:  # the synthesis workers are up
        time.sleep(0.5)
    workers = children()
    assert workers, "no synthesis workers started"
    time.sleep(3)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr[-2000:]
    assert "terminated" in stderr and "Traceback" not in stderr
    time.sleep(2)
    alive = [pid for pid in workers if os.path.exists(f"/proc/{pid}")]
    assert not alive
    assert not (tmp_path / "m.keras").exists()


def test_targets_are_one_hot_even_for_no_digits_and_split_for_a_one_that_is_a_seven():
    from model.recipe.epochs import SOFT_TARGETS, targets
    from model.recipe.pools import NO_DIGIT_LABEL
    from model.recipe.synthesis import ONE_OR_SEVEN, SEVEN_OR_ONE

    got = targets(np.array([3, NO_DIGIT_LABEL, ONE_OR_SEVEN, SEVEN_OR_ONE]))
    assert got[0].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert got[1] == pytest.approx([0.1] * 10)
    assert got[2][1] == SOFT_TARGETS[ONE_OR_SEVEN][1] and got[2][7] == SOFT_TARGETS[ONE_OR_SEVEN][7]
    assert got[3][7] > got[3][1] > 0 and got[3].argmax() == 7
    assert got.sum(axis=1) == pytest.approx([1, 1, 1, 1])


def test_only_mnists_sevens_as_narrow_at_the_top_as_a_flagged_one_are_softened(mnist):
    from model.recipe.epochs import mnist_soft_labels
    from model.recipe.synthesis import ONE_TOP_WIDTH, SEVEN_OR_ONE, top_width

    images, labels = mnist.x_train[:6000], mnist.y_train[:6000]
    soft = mnist_soft_labels(images, labels)
    changed = np.flatnonzero(soft != labels)
    assert set(labels[changed]) == {7} and set(soft[changed]) == {SEVEN_OR_ONE}
    assert all(top_width(images[i] / 255) < ONE_TOP_WIDTH for i in changed)
    assert 0.01 < len(changed) / (labels == 7).sum() < 0.15


def test_each_epoch_mixes_mnist_phone_like_digits_real_handwriting_and_no_digits():
    from model.recipe.epochs import EpochSizes, epoch
    from model.recipe.pools import NO_DIGIT_LABEL, Pools
    from model.recipe.recipe import Recipe
    from model.runtime.pipelines import SHRINKS

    labels = np.array([1] * 50 + [2] * 30 + [NO_DIGIT_LABEL] * 40 + [NO_DIGIT_LABEL] * 20)
    handwritten = np.array([False] * 50 + [True] * 30 + [False] * 40 + [True] * 20)
    centred = np.zeros((140, 28, 28), np.float32)
    centred[120:] = 0.5  # the real doodles, told apart by their pixels
    phone = np.zeros((140, len(SHRINKS), 28, 28), np.float32)
    phone[120:] = 0.5
    phone[:, :, 0, 0] = np.arange(len(SHRINKS)) + 1  # which shrink made it, in a corner pixel
    pools = Pools(phone, centred, labels, handwritten)
    sizes = EpochSizes(mnist=10, digits=20, handwriting=12, not_digits=15, doodles=7)
    images, taken_targets = epoch(np.zeros((10, 28, 28), np.float32), np.zeros(10, np.int64), pools, sizes,
                                  Recipe().shrink_shares, np.random.default_rng(0))
    taken = taken_targets.argmax(axis=1)
    assert images.shape == (10 + 20 + 12 + 15 + 7, 28, 28, 1)
    assert (taken == 0).sum() - 15 - 7 == 10  # MNIST's zeros, and the no-digits' even targets argmax to 0
    assert (taken == 1).sum() == 20 and (taken == 2).sum() == 12
    assert (images.reshape(len(images), -1)[:, 1:].max(axis=1) == 0.5).sum() == 7
    many, _ = epoch(np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64), pools,
                    EpochSizes(0, 100, 60, 80, 40), Recipe().shrink_shares, np.random.default_rng(1))
    corners = many[:, 0, 0, 0]
    assert set(np.unique(corners)) == {0.0, 0.5, *range(1, len(SHRINKS) + 1)}  # centred, and the phone's every shrink
    again, _ = epoch(np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64), pools,
                     EpochSizes(0, 100, 60, 80, 40), Recipe().shrink_shares, np.random.default_rng(1))
    assert np.array_equal(many, again)  # an epoch is its seed's
    assert set(Recipe().shrink_shares) == set(SHRINKS) and abs(sum(Recipe().shrink_shares.values()) - 1) < 1e-9


def test_a_doodle_file_with_a_digit_in_it_is_refused_naming_its_line(tmp_path, mnist_npz):
    doodles = tmp_path / "doodles.jsonl"
    doodles.write_text(json.dumps({"strokes": [[[10, 10], [300, 300]]]}) + "\n"
                       + json.dumps({"label": 4, "strokes": [[[10, 10], [300, 30]]]}) + "\n")
    out = tmp_path / "m.keras"
    result = run_script("scripts/train.py", "--data", str(mnist_npz), "--out", str(out), "--limit", "500",
                        "--doodles", str(doodles), "--cache", str(tmp_path / "cache"))
    assert result.returncode == 2
    assert f"{doodles}:2: labelled 4, but doodles are drawings that are no digit" in result.stderr
    assert "drawn" not in result.stdout and not out.exists()


TINY_RUN = ("--epochs", "2", "--limit", "300", "--synthetic-copies", "1", "--not-digits", "100", "--workers", "1",
            "--min-accuracy", "0")  # what is tested is that it is the same twice, not what it learned


def tiny_run(tmp_path, mnist_npz, name, cache="cache"):
    out = tmp_path / f"{name}.keras"
    return out, run_script("scripts/train.py", "--data", str(mnist_npz), "--out", str(out), *TINY_RUN,
                           "--cache", str(tmp_path / cache))


def weights_and_record(out):
    import io
    import zipfile

    import h5py

    weights = []
    with zipfile.ZipFile(out) as archive:
        stored = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        stored.visititems(lambda name, item: weights.append((name, np.array(item))) if hasattr(item, "shape") else None)
    record = json.loads(out.with_suffix(".history.json").read_text())
    for timing in ("train_seconds", "drawings_per_second"):
        assert record.pop(timing) > 0
    return weights, record


def same_weights(first, second):
    assert [name for name, _ in first] == [name for name, _ in second] and first
    for (name, a), (_, b) in zip(first, second, strict=True):
        assert np.abs(a - b).max() <= 1e-6, name


def test_the_same_run_twice_gives_the_same_weights_and_record(tmp_path, mnist_npz):
    first, done = tiny_run(tmp_path, mnist_npz, "first")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "epoch 2/2" in done.stdout and "drawings a second" in done.stdout and "min left" in done.stdout
    second, again = tiny_run(tmp_path, mnist_npz, "second", "cache-2")  # drawn again too, in its own cache
    assert again.returncode == 0, again.stderr[-2000:]
    (first_weights, first_record), (second_weights, second_record) = map(weights_and_record, (first, second))
    same_weights(first_weights, second_weights)
    assert first_record == second_record
    assert not list((tmp_path / "cache").glob("checkpoints/*/*")), "a finished run leaves no checkpoint"


def test_a_run_stopped_after_an_epoch_goes_on_from_its_checkpoint(tmp_path, mnist_npz):
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT

    out = tmp_path / "stopped.keras"
    command = [sys.executable, "scripts/train.py", "--data", str(mnist_npz), "--out", str(out), *TINY_RUN,
               "--cache", str(tmp_path / "cache")]
    running = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in running.stdout:
        if "epoch 1/2:" in line:
            running.send_signal(signal.SIGINT)
            break
    assert running.wait(timeout=120) == 130 and not out.exists()
    assert list((tmp_path / "cache").glob("checkpoints/*/member1.keras"))
    resumed = run_script(*command[1:])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming after epoch 1" in resumed.stdout and "epoch 1/2:" not in resumed.stdout
    unbroken, done = tiny_run(tmp_path, mnist_npz, "unbroken", "cache-2")
    assert done.returncode == 0
    same_weights(weights_and_record(out)[0], weights_and_record(unbroken)[0])
