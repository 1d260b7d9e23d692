import gzip
import json

import pytest

from model.errors import DataError
from model.strokes import Drawing, read_drawing_file, read_drawings


def test_the_shared_sample_reads_completely(drawings):
    assert len(drawings) == 1609
    assert all(d.canvas == (375, 375) and d.label in range(10) and d.strokes for d in drawings)


def test_a_malformed_line_is_reported_with_its_number(tmp_path, strokes_file):
    lines = gzip.open(strokes_file, "rt").read().splitlines()[:5]
    lines[3] = '{"label": 3, "strokes": [[[1, 2], [3]]]}'
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"{bad}:4: stroke 0 has a point \[3\] that is not \[x, y\]"):
        read_drawings(bad)


def test_invalid_json_is_reported_with_its_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"strokes": [[[1, 2]]]}\n{"strokes": [[[1, 2]\n')
    with pytest.raises(DataError, match=rf"{bad}:2: not valid JSON"):
        read_drawings(bad)


def test_label_must_be_a_digit(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"label": 10, "strokes": [[[1, 2]]]}\n')
    with pytest.raises(DataError, match="'label' must be a digit 0-9"):
        read_drawings(bad)


def test_a_drawing_round_trips_through_json(tmp_path):
    drawing = Drawing([[(10.0, 20.5), (30.25, 40.0)], [(5.0, 5.0)]], label=7)
    path = tmp_path / "d.json"
    path.write_text(json.dumps(drawing.to_json()))
    again = read_drawing_file(path)
    assert again.strokes == drawing.strokes and again.label == 7 and again.canvas == (375, 375)
