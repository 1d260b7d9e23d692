import gzip
import json

import pytest

from tests.conftest import run_script


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_strokes_with_both_pipelines_and_a_report(tmp_path, strokes_file):
    sample = tmp_path / "sample.jsonl"
    sample.write_text("".join(gzip.open(strokes_file, "rt").readlines()[:200]))
    report = tmp_path / "report"
    result = run_script("scripts/evaluate.py", "--engine", "coreml", "--strokes", str(sample),
                        "--pipeline", "both", "--report", str(report), "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = last_json(result.stdout)
    # The new names, and for one more release the old ones, which other scripts read.
    assert set(summary["strokes_accuracy"]) == {"phone", "centred", "ios", "mnist"}
    assert summary["strokes_accuracy"]["ios"] == summary["strokes_accuracy"]["phone"]
    assert summary["strokes_accuracy"]["mnist"] == summary["strokes_accuracy"]["centred"]
    assert summary["strokes_count"] == 200
    assert all(0 <= v <= 1 for v in summary["strokes_accuracy"].values())
    for name in ("confusion-strokes-phone.png", "confusion-strokes-centred.png",
                 "misclassified-strokes-centred.png"):
        assert (report / name).read_bytes()[:4] == b"\x89PNG"
    per_class = json.loads((report / "strokes-centred.json").read_text())["per_class_accuracy"]
    assert sorted(per_class) == [str(d) for d in range(10)]


def test_a_malformed_stroke_line_fails_the_run_with_its_line_number(tmp_path, strokes_file):
    lines = gzip.open(strokes_file, "rt").readlines()[:10]
    lines[6] = '{"label": 2, "strokes": [[["a", 1]]]}\n'
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(lines))
    result = run_script("scripts/evaluate.py", "--engine", "coreml", "--strokes", str(bad), "--json")
    assert result.returncode == 2
    assert f"{bad}:7:" in result.stderr
    assert "strokes_accuracy" not in result.stdout


def test_a_missing_model_fails_with_its_name(tmp_path, mnist_npz):
    missing = tmp_path / "none.mlmodel"
    result = run_script("scripts/evaluate.py", "--model", str(missing), "--mnist", str(mnist_npz))
    assert result.returncode == 2 and f"{missing}: no such Core ML model file" in result.stderr


def test_a_file_of_drawings_that_are_no_digit_reports_how_many_are_called_so(tmp_path):
    from model.recipe.synthesis import not_digit_drawings
    from model.runtime.strokes import Drawing

    path = tmp_path / "not-digits.jsonl"
    path.write_text("".join(json.dumps(Drawing(s).to_json()) + "\n" for s in not_digit_drawings(40, seed=11)))
    result = run_script("scripts/evaluate.py", "--strokes", str(path), "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = last_json(result.stdout)
    assert set(summary["not_a_digit"]) == {"phone", "centred"} and summary["strokes_labelled"] == 0
    assert "strokes_accuracy" not in summary


def test_two_models_compared_report_their_agreement_per_pipeline(tmp_path, strokes_file):
    from model.runtime.paths import DEFAULT_COREML_MODEL

    sample = tmp_path / "sample.jsonl"
    sample.write_text("".join(gzip.open(strokes_file, "rt").readlines()[:50]))
    result = run_script("scripts/evaluate.py", "--model", str(DEFAULT_COREML_MODEL), "--compare-model",
                        str(DEFAULT_COREML_MODEL), "--strokes", str(sample), "--pipeline", "both", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    assert last_json(result.stdout)["agreement"] == {"phone": 1.0, "centred": 1.0}  # a model agrees with itself


def test_float16_precision_reports_how_far_it_moves_the_answers(tmp_path, strokes_file):
    sample = tmp_path / "sample.jsonl"
    sample.write_text("".join(gzip.open(strokes_file, "rt").readlines()[:50]))
    result = run_script("scripts/evaluate.py", "--strokes", str(sample), "--precision", "float16", "--json")
    effect = last_json(result.stdout)["precision_effect"]
    assert 0 < effect["phone"]["max_abs_probability_change"] < 0.05
    assert 0 <= effect["phone"]["top_class_changes"] <= 0.02


def test_personalising_each_writer_is_measured_on_their_other_drawings(tmp_path, drawings):
    from desktop_app.render import render_strokes
    from model.coreml.runner import CoreMLModel
    from model.runtime.paths import DEFAULT_COREML_MODEL
    from model.runtime.personal import Example, model_inputs

    writers = sorted({d.writer for d in drawings})[:2]
    chosen = [d for d in drawings if d.writer in writers]
    subset = tmp_path / "two-writers.jsonl"
    subset.write_text("".join(json.dumps(d.to_json()) + "\n" for d in chosen))
    result = run_script("scripts/evaluate_personalise.py", "--strokes", str(subset), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["writers"] == 2 and {w["writer"] for w in report["per_writer"]} == set(writers)
    # Each writer teaches the first drawing of each digit; the rest are read by the base model as evaluate would.
    for writer in report["per_writer"]:
        own = [d for d in chosen if d.writer == writer["writer"]]
        rest = [d for i, d in enumerate(own) if any(e.label == d.label for e in own[:i])]
        pixels = model_inputs([Example(d.label, d.on_phone_canvas()) for d in rest], "phone", render_strokes)
        wrong = CoreMLModel(DEFAULT_COREML_MODEL).probabilities(pixels).argmax(axis=1) != [d.label for d in rest]
        assert writer["measured"] == len(rest) and writer["errors_before"] == int(wrong.sum())
    assert report["errors_before"] == sum(w["errors_before"] for w in report["per_writer"])


def test_personalising_writers_refuses_a_missing_stroke_file_by_name(tmp_path):
    missing = tmp_path / "nobody.jsonl"
    result = run_script("scripts/evaluate_personalise.py", "--strokes", str(missing), "--json")
    assert result.returncode == 2 and str(missing) in result.stderr and "Traceback" not in result.stderr


def test_answers_are_written_a_drawing_a_line_as_the_app_answers_each(tmp_path, strokes_file, drawings):
    from desktop_app.render import render_strokes
    from model.runtime.engines import load_engine, predict_bitmap

    sample = tmp_path / "sample.jsonl"
    sample.write_text("".join(gzip.open(strokes_file, "rt").readlines()[:30]))
    answers = tmp_path / "answers.jsonl"
    result = run_script("scripts/evaluate.py", "--strokes", str(sample), "--pipeline", "both",
                        "--answers", str(answers), "--report", str(tmp_path / "report"))
    assert result.returncode == 0, result.stderr[-2000:]
    written = [json.loads(line) for line in answers.read_text().splitlines()]
    engine = load_engine("coreml")
    assert [a["line"] for a in written] == list(range(1, 31))
    for answer, drawing in zip(written, drawings[:30], strict=True):
        assert answer["label"] == drawing.label
        for pipeline in ("phone", "centred"):
            app = predict_bitmap(engine, render_strokes(drawing.on_phone_canvas()), pipeline)
            assert answer[pipeline]["classLabel"] == str(app.digit) and answer[pipeline]["verdict"] == app.verdict.kind
            # Written to 6 decimals; a batch and one drawing alone differ in float32 rounding (~1e-7).
            assert answer[pipeline]["probabilities"] == pytest.approx(app.probabilities.tolist(), abs=1e-6)


def test_answers_into_a_folder_are_refused_before_any_work(tmp_path, strokes_file):
    result = run_script("scripts/evaluate.py", "--strokes", str(strokes_file), "--answers", str(tmp_path))
    assert result.returncode != 0 and f"--answers {tmp_path}: is a folder" in result.stderr


def test_answers_onto_the_strokes_file_itself_are_refused_and_leave_it_whole(tmp_path, strokes_file):
    sample = tmp_path / "sample.jsonl"
    sample.write_text("".join(gzip.open(strokes_file, "rt").readlines()[:5]))
    before = sample.read_bytes()
    result = run_script("scripts/evaluate.py", "--strokes", str(sample), "--answers", str(sample))
    assert result.returncode != 0 and "is the --strokes file itself" in result.stderr
    assert sample.read_bytes() == before
