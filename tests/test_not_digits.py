import gzip
import json

import numpy as np
import pytest

from model.recipe.not_digits import LETTERS, LOWER_CASE, LOWER_CASE_SHARE, STROKE_FONTS, stroke_font_letter
from tests.conftest import run_script


def test_training_draws_every_letter_and_lower_case_most_often(monkeypatch):
    import model.recipe.not_digits as not_digits

    drawn = []
    monkeypatch.setattr(not_digits, "_stroke_font", lambda name: type("Font", (), {
        "strokes_for_text": staticmethod(lambda text: drawn.append(text) or [[(0, 0), (1, 1)]])})())
    rng = np.random.default_rng(0)
    for _ in range(3000):
        stroke_font_letter(rng)
    assert set(drawn) == set(LETTERS)
    assert np.mean([c in LOWER_CASE for c in drawn]) == pytest.approx(LOWER_CASE_SHARE, abs=0.03)


def test_stroke_font_letters_are_upright_and_fill_the_box():
    rng = np.random.default_rng(0)
    upright = []
    for _ in range(3 * len(STROKE_FONTS)):
        points = np.array([p for stroke in stroke_font_letter(rng, "V") for p in stroke])
        low, high = points.min(axis=0), points.max(axis=0)
        assert low.min() >= 0 and high.max() <= 28 and np.isclose((high - low).max(), 24)
        # A V is wide at the top and narrow at the foot (y down); a gothic V may be as wide at both.
        top, bottom = points[points[:, 1] < low[1] + 6], points[points[:, 1] > high[1] - 6]
        upright.append(np.ptp(top[:, 0]) > np.ptp(bottom[:, 0]))
    assert np.mean(upright) > 0.8


def test_make_not_digits_writes_held_out_letters_on_the_canvas(tmp_path):
    out = tmp_path / "letters.jsonl.gz"
    result = run_script("scripts/make_not_digits.py", "--kind", "held-out-letters", "--count", "30", "--out", str(out))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in gzip.decompress(out.read_bytes()).decode().splitlines()]
    assert len(records) == 30 and all("label" not in r for r in records)
    assert {r["writer"] for r in records} == {"stroke-font letter, held out"}
    points = np.array([p for r in records for stroke in r["strokes"] for p in stroke])
    assert points.min() >= 0 and points.max() <= 375
