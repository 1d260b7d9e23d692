"""Bad files, options and interruptions end in one clear line, lose nothing
and are never silently wrong: one test per kind of fault."""

import gzip
import json

import numpy as np
import pytest

from tests.conftest import run_script


def lines(strokes_file, count):
    return gzip.open(strokes_file, "rt").readlines()[:count]


def test_evaluation_names_the_line_of_a_blank_drawing_and_can_skip_it(tmp_path, strokes_file):
    drawings = lines(strokes_file, 5)
    drawings[2] = json.dumps({"label": 3, "strokes": [[[1e9, 1e9], [2e9, 2e9]]]}) + "\n"  # all off the canvas
    bad = tmp_path / "blank.jsonl"
    bad.write_text("".join(drawings))
    failed = run_script("scripts/evaluate.py", "--strokes", str(bad))
    assert failed.returncode == 2 and f"{bad}:3: nothing drawn on the canvas" in failed.stderr
    skipped = run_script("scripts/evaluate.py", "--strokes", str(bad), "--skip-blank", "--json")
    assert skipped.returncode == 0, skipped.stderr
    summary = json.loads(skipped.stdout.strip().splitlines()[-1])
    assert summary["strokes_blank_skipped"] == 1 and summary["strokes_labelled"] == 4


def test_a_drawing_on_another_canvas_size_is_scaled_not_misread(tmp_path, strokes_file):
    original = json.loads(lines(strokes_file, 1)[0])
    half = dict(original, canvas=[200, 200],
                strokes=[[[x * 200 / 375, y * 200 / 375] for x, y in stroke] for stroke in original["strokes"]])
    files = {}
    for name, record in (("375", original), ("200", half)):
        files[name] = tmp_path / f"{name}.jsonl"
        files[name].write_text(json.dumps(record) + "\n")
    results = [json.loads(run_script("scripts/evaluate.py", "--strokes", str(files[n]), "--json").stdout
                          .strip().splitlines()[-1]) for n in ("375", "200")]
    assert results[0]["strokes_accuracy"] == results[1]["strokes_accuracy"]


def test_deeply_nested_json_is_a_message_not_a_recursion_error(tmp_path):
    from model.errors import DataError
    from model.runtime.strokes import read_drawing_file

    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(DataError, match=f"{deep}: JSON nested too deeply"):
        read_drawing_file(deep)


def test_an_npz_that_holds_one_array_is_named(tmp_path):
    from model.errors import DataError
    from model.recipe.data import load_mnist

    single = tmp_path / "mnist.npz"
    with open(single, "wb") as handle:
        np.save(handle, np.zeros(3))
    with pytest.raises(DataError, match=f"{single}: a single array, not an .npz archive"):
        load_mnist(single)


def made_drawings(count):
    from model.recipe.synthesis import empty_inputs

    return lambda: {key: value + 1 for key, value in empty_inputs(count).items()}


def truncated(path):
    np.savez(path, **made_drawings(4)())
    path.write_bytes(path.read_bytes()[:300])


def another_runs(path):  # drawn for another --limit: fewer drawings under the same name
    np.savez(path, **made_drawings(20)())


def wrong_shape(path):
    np.savez(path, phone=np.zeros((4, 5, 5), np.float32), centred=np.zeros((4, 5, 5), np.float32))


@pytest.mark.parametrize(("damage", "note"), [(truncated, "damaged or unreadable"),
                                              (lambda path: path.write_bytes(b"corrupt"), "damaged or unreadable"),
                                              (another_runs, "not 4 drawings of each pipeline"),
                                              (wrong_shape, "not 4 drawings of each pipeline")],
                         ids=["truncated", "not-a-zip", "another-limit", "wrong-shape"])
def test_a_damaged_or_mismatched_synthesis_cache_is_drawn_again_with_a_note(tmp_path, damage, note):
    from model.recipe.pools import cached_synthesis

    damage(tmp_path / "drawings.npz")
    messages = []
    made = cached_synthesis(tmp_path, "drawings.npz", 4, made_drawings(4), messages.append)
    assert made["phone"].shape == (4, 4, 28, 28) and note in messages[0] and "drawing again" in messages[0]
    again = cached_synthesis(tmp_path, "drawings.npz", 4, made_drawings(0), messages.append)
    assert again["phone"].shape == (4, 4, 28, 28) and messages[-1].startswith("cached in")


def test_a_report_into_a_file_is_refused_before_any_work(tmp_path, strokes_file):
    not_a_folder = tmp_path / "report"
    not_a_folder.write_text("")
    result = run_script("scripts/evaluate.py", "--strokes", str(strokes_file), "--report", str(not_a_folder))
    assert result.returncode == 2 and f"--report {not_a_folder}: is a file, not a folder" in result.stderr


def test_a_report_is_written_whole_or_not_at_all(tmp_path):
    from model.recipe.evaluation import ReportSet

    report = ReportSet(tmp_path / "report")
    report.path("one.json").write_text("{}")
    del report  # a run that failed before commit
    assert not (tmp_path / "report").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("script", "option", "value"), [("scripts/bench.py", "--drawings", "0"),
                                                          ("scripts/evaluate.py", "--pipeline", "sideways"),
                                                          ("scripts/export_coreml.py", "--not-a-digit-below", "2")])
def test_bad_options_of_every_tool_are_one_line_errors(script, option, value):
    result = run_script(script, option, value)
    assert result.returncode == 2 and option in result.stderr and "Traceback" not in result.stderr


def test_the_bench_times_thirty_eight_digit_numbers_or_says_why_it_cannot(tmp_path, drawings):
    """Timing 8-digit numbers needs writers with eight digits: the shared sample gives thirty, each one writer's;
    a file without such a writer is refused before any timing, naming it."""
    import importlib.util

    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    from model.runtime.strokes import write_drawings

    eight = bench.eight_digit_numbers(drawings)
    assert len(eight) == 30 and len({json.dumps(strokes) for strokes in eight}) == 30
    few = tmp_path / "few.jsonl"
    write_drawings(few, drawings[:5])
    result = run_script("scripts/bench.py", "--strokes", str(few), "--json")
    assert result.returncode == 2 and f"{few}: no writer with eight labelled digits" in result.stderr


def test_a_truncated_keras_file_is_called_damaged_not_missing(tmp_path):
    from model.errors import ModelFileError
    from model.runtime.keras_model import load_keras_model
    from model.runtime.paths import DEFAULT_KERAS_MODEL

    truncated = tmp_path / "model.keras"
    truncated.write_bytes(DEFAULT_KERAS_MODEL.read_bytes()[:50000])
    with pytest.raises(ModelFileError, match="damaged or truncated"):
        load_keras_model(truncated)


@pytest.mark.parametrize("name", ["zero.mlmodel", "zero.keras"])
def test_a_model_that_never_ends_is_refused_before_it_is_read(tmp_path, name):
    from model.errors import ModelFileError
    from model.runtime.engines import load_engine

    endless = tmp_path / name
    endless.symlink_to("/dev/zero")
    with pytest.raises(ModelFileError, match=f"{endless}: not a regular file"):
        load_engine("coreml" if name.endswith(".mlmodel") else "keras", str(endless))


def test_a_strokes_file_without_line_ends_is_refused_at_its_first_line_not_read_whole():
    from model.errors import DataError
    from model.runtime.strokes import read_drawings

    with pytest.raises(DataError, match=r"^/dev/zero:1: a line of more than 8 MB"):
        read_drawings("/dev/zero")


def test_a_drawing_that_never_ends_is_refused_before_it_is_read(tmp_path):
    from model.errors import DataError
    from model.runtime.strokes import read_drawing_file

    endless = tmp_path / "zero.json"
    endless.symlink_to("/dev/zero")
    with pytest.raises(DataError, match=f"{endless}: not a regular file"):
        read_drawing_file(endless)


def test_an_unwritable_export_is_refused_before_converting(tmp_path):
    folder = tmp_path / "out.mlmodel"
    folder.mkdir()
    result = run_script("scripts/export_coreml.py", "--out", str(folder))
    assert result.returncode == 2 and "is a folder" in result.stderr


def test_a_huge_drawing_is_simplified_on_load_and_says_so():
    from model.runtime.strokes import MAX_POINTS, parse_drawing

    stroke = [[187 + 100 * np.cos(t), 187 + 100 * np.sin(t)] for t in np.linspace(0, 50, 1_000_000)]
    drawing = parse_drawing({"strokes": [stroke]}, "huge")
    assert sum(len(s) for s in drawing.strokes) <= MAX_POINTS and "simplified from 1,000,000" in drawing.note


def test_a_drawing_too_large_for_a_drawing_is_refused_with_its_size(tmp_path):
    from model.errors import DataError
    from model.runtime.strokes import read_drawing_file

    big = tmp_path / "million.json"
    big.write_text(json.dumps({"strokes": [[[100.5 + i % 100, 200.25] for i in range(1_000_000)]]}))
    with pytest.raises(DataError, match=r"million\.json: \d+\.\d MB is more than a drawing holds"):
        read_drawing_file(big)


def test_a_drawing_of_200000_one_point_strokes_is_refused_with_its_count(tmp_path):
    from model.errors import DataError
    from model.runtime.strokes import read_drawing_file

    dots = tmp_path / "dots.json"
    dots.write_text(json.dumps({"strokes": [[[i % 375, i % 300]] for i in range(200_000)]}))
    with pytest.raises(DataError, match=r"dots\.json: 200,000 strokes is more than a drawing holds"):
        read_drawing_file(dots)


@pytest.mark.parametrize("points", [[[1e6, 1e6], [2e6, 1e6]], [[1e300, 5.0]], [[-40.0, -30.0], [-20.0, -90.0]]],
                         ids=["far", "huge", "negative"])
def test_a_drawing_with_every_point_off_the_canvas_says_so_naming_the_file(tmp_path, points):
    drawing = tmp_path / "gone.json"
    drawing.write_text(json.dumps({"strokes": [points]}))
    shown = run_script("-m", "desktop_app", "--open", str(drawing), "--screenshot", str(tmp_path / "s.png"))
    assert shown.returncode == 2
    assert f"{drawing}: every point lies off the canvas (x from" in shown.stderr and "Traceback" not in shown.stderr
    assert not (tmp_path / "s.png").exists()


def test_a_damaged_png_is_a_message_not_a_traceback(tmp_path):
    from PIL import Image

    from model.errors import DataError
    from model.runtime.images import image_to_canvas

    good = tmp_path / "good.png"
    Image.fromarray(np.tile(np.arange(64, dtype=np.uint8), (64, 1))).save(good)
    data = bytearray(good.read_bytes())
    data[37:45] = b"\x00" * 8  # the IDAT chunk's length and type
    broken = tmp_path / "broken.png"
    broken.write_bytes(bytes(data))
    with pytest.raises(DataError, match=rf"{broken}: (a damaged image|cannot be read|not an image)"):
        image_to_canvas(broken)
    shown = run_script("-m", "desktop_app", "--open", str(broken), "--screenshot", str(tmp_path / "s.png"))
    assert shown.returncode == 2 and str(broken) in shown.stderr and "Traceback" not in shown.stderr


def nan_mlmodel(path):
    from model.coreml.spec import _model_pb2
    from model.runtime.paths import DEFAULT_COREML_MODEL

    spec = _model_pb2().Model()
    spec.ParseFromString(DEFAULT_COREML_MODEL.read_bytes())
    layer = next(layer for layer in spec.neuralNetworkClassifier.layers if layer.WhichOneof("layer") == "innerProduct")
    layer.innerProduct.weights.floatValue[0] = float("nan")
    path.write_bytes(spec.SerializeToString())
    return layer.name


def test_an_mlmodel_with_nan_weights_is_refused_naming_the_file_and_layer(tmp_path):
    model_file = tmp_path / "m_nan.mlmodel"
    layer = nan_mlmodel(model_file)
    drawing = tmp_path / "one.json"
    drawing.write_text(json.dumps({"strokes": [[[180, 80], [180, 300]]]}))
    shown = run_script("-m", "desktop_app", "--coreml-model", str(model_file), "--open", str(drawing),
                       "--screenshot", str(tmp_path / "s.png"))
    assert shown.returncode == 2 and "Traceback" not in shown.stderr
    assert f"{model_file}: layer '{layer}' (innerProduct): field 'weights' holds NaN or infinite weights" in shown.stderr
    measured = run_script("scripts/evaluate.py", "--model", str(model_file), "--strokes", str(drawing))
    assert measured.returncode == 2 and f"{model_file}: layer '{layer}'" in measured.stderr


def test_a_keras_model_with_nan_weights_is_refused_by_the_app_and_the_exporter(tmp_path):
    from model.recipe.network import build_model

    network = build_model()
    network.set_weights([np.full_like(w, np.nan) for w in network.get_weights()])
    model_file = tmp_path / "m_nan.keras"
    network.save(model_file)
    drawing = tmp_path / "one.json"
    drawing.write_text(json.dumps({"strokes": [[[180, 80], [180, 300]]]}))
    shown = run_script("-m", "desktop_app", "--engine", "keras", "--keras-model", str(model_file), "--open",
                       str(drawing), "--screenshot", str(tmp_path / "s.png"))
    assert shown.returncode == 2 and f"{model_file}: weight conv1/kernel holds NaN or infinity" in shown.stderr
    exported = run_script("scripts/export_coreml.py", "--model", str(model_file), "--out", str(tmp_path / "m.mlmodel"))
    assert exported.returncode == 2 and f"{model_file}: weight conv1/kernel holds NaN" in exported.stderr
    assert not (tmp_path / "m.mlmodel").exists()


def test_ctrl_c_while_training_draws_its_drawings_exits_130_at_once_leaving_no_worker(tmp_path, mnist_npz):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    command = [sys.executable, "scripts/train.py", "--data", str(mnist_npz), "--out", str(tmp_path / "m.keras"), "--limit", "4000", "--not-digits", "0", "--workers", "2",
               "--cache", str(tmp_path / "cache"), "--epochs", "1"]
    # Started as from a terminal, Ctrl-C not ignored: a test run launched in the background (`cmd &`) inherits
    # SIGINT ignored, and so would train.py.
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in process.stdout:
        if line.startswith("phone-like digits, copy 1"):
            break
    time.sleep(3)  # the workers are drawing
    children = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) >= 3, "the workers should be running"
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole group
    started = time.monotonic()
    code = process.wait(timeout=30)
    # 1.3 s here while a training run holds both cores; a hang would be minutes.
    assert code == 130 and time.monotonic() - started < 10
    assert "interrupted" in process.stderr.read()
    def alive() -> list[str]:  # a worker already dead but not yet reaped by init does not count
        listing = subprocess.run(["ps", "-o", "pid=,stat=", "-g", str(process.pid)], capture_output=True, text=True)
        return [line for line in listing.stdout.splitlines() if "Z" not in line.split()[1]]

    time.sleep(1)
    assert not alive(), f"worker processes left behind: {alive()}"
