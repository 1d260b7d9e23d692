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
    from model.strokes import read_drawing_file

    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(DataError, match=f"{deep}: JSON nested too deeply"):
        read_drawing_file(deep)


def test_an_npz_that_holds_one_array_is_named(tmp_path):
    from model.data import load_mnist
    from model.errors import DataError

    single = tmp_path / "mnist.npz"
    with open(single, "wb") as handle:
        np.save(handle, np.zeros(3))
    with pytest.raises(DataError, match=f"{single}: a single array, not an .npz archive"):
        load_mnist(single)


def test_a_cache_file_of_the_wrong_shape_is_drawn_again(tmp_path):
    from model.training import cached_synthesis

    cache_file = tmp_path / "drawings.npz"
    np.savez(cache_file, phone=np.zeros((3, 5, 5), np.float32), centred=np.zeros((3, 5, 5), np.float32))
    messages = []
    made = cached_synthesis(tmp_path, "drawings.npz", lambda: {"phone": np.ones((2, 28, 28), np.float32),
                                                               "centred": np.ones((2, 28, 28), np.float32)},
                            messages.append)
    assert made["phone"].shape == (2, 28, 28) and "wrong shapes" in messages[0]
    cache_file.write_bytes(b"corrupt")
    made = cached_synthesis(tmp_path, "drawings.npz", lambda: {"phone": np.ones((1, 28, 28), np.float32),
                                                               "centred": np.ones((1, 28, 28), np.float32)},
                            messages.append)
    assert len(made["phone"]) == 1 and "unreadable" in messages[-1]


def test_a_report_into_a_file_is_refused_before_any_work(tmp_path, strokes_file):
    not_a_folder = tmp_path / "report"
    not_a_folder.write_text("")
    result = run_script("scripts/evaluate.py", "--strokes", str(strokes_file), "--report", str(not_a_folder))
    assert result.returncode == 2 and f"--report {not_a_folder}: is a file, not a folder" in result.stderr


def test_a_report_is_written_whole_or_not_at_all(tmp_path):
    from model.evaluation import ReportSet

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


def test_a_truncated_keras_file_is_called_damaged_not_missing(tmp_path):
    from model.errors import ModelFileError
    from model.network import load_keras_model
    from model.paths import DEFAULT_KERAS_MODEL

    truncated = tmp_path / "model.keras"
    truncated.write_bytes(DEFAULT_KERAS_MODEL.read_bytes()[:50000])
    with pytest.raises(ModelFileError, match="damaged or truncated"):
        load_keras_model(truncated)


def test_an_unwritable_export_is_refused_before_converting(tmp_path):
    folder = tmp_path / "out.mlmodel"
    folder.mkdir()
    result = run_script("scripts/export_coreml.py", "--out", str(folder))
    assert result.returncode == 2 and "is a folder" in result.stderr


def test_a_huge_drawing_is_simplified_on_load_and_says_so():
    from model.strokes import MAX_POINTS, parse_drawing

    stroke = [[187 + 100 * np.cos(t), 187 + 100 * np.sin(t)] for t in np.linspace(0, 50, 1_000_000)]
    drawing = parse_drawing({"strokes": [stroke]}, "huge")
    assert sum(len(s) for s in drawing.strokes) <= MAX_POINTS and "simplified from 1,000,000" in drawing.note
