"""scripts/personalise.py: a writer's drawings in, a personal model out, the base model never lost."""

import gzip
import json
import shutil

from model.runtime.paths import DEFAULT_COREML_MODEL
from tests.conftest import run_script


def test_the_personal_model_is_written_and_the_last_line_says_whether_it_is_used(tmp_path, strokes_file):
    drawings = tmp_path / "mine.jsonl"
    drawings.write_text("".join(gzip.open(strokes_file, "rt").readlines()[:10]))
    out = tmp_path / "personal.mlmodel"
    result = run_script("scripts/personalise.py", "--drawings", str(drawings), "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["taught"] == 10 and isinstance(summary["used"], bool)
    assert out.stat().st_size > 0
    assert (out.read_bytes() == DEFAULT_COREML_MODEL.read_bytes()) == (not summary["used"])


def test_an_out_that_is_the_base_model_is_refused_and_the_base_model_stays(tmp_path, strokes_file):
    base = tmp_path / "base.mlmodel"
    shutil.copyfile(DEFAULT_COREML_MODEL, base)
    drawings = tmp_path / "mine.jsonl"
    drawings.write_text("".join(gzip.open(strokes_file, "rt").readlines()[:10]))
    result = run_script("scripts/personalise.py", "--model", str(base), "--drawings", str(drawings),
                        "--out", str(tmp_path / "." / "base.mlmodel"))
    assert result.returncode == 2 and "is the --model itself" in result.stderr
    assert base.read_bytes() == DEFAULT_COREML_MODEL.read_bytes()
