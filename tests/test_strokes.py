import gzip
import json
import os
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.errors import DataError
from model.runtime.strokes import Drawing, read_drawing_file, read_drawings
from tests.fuzz import FUZZ, json_values, mutated_bytes, read_or_refused


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


def test_a_number_too_long_for_python_to_read_is_refused_by_name(tmp_path):
    bad = tmp_path / "long.json"
    bad.write_text('{"strokes": [[[1' + "0" * 5000 + ', 2]]], "label": 1}')
    with pytest.raises(DataError, match=rf"{bad}: not valid JSON \(a number of more than"):
        read_drawing_file(bad)
    lines = tmp_path / "long.jsonl"
    lines.write_text('{"strokes": [[[1, 2]]]}\n{"strokes": [[[1' + "0" * 5000 + ', 2]]]}\n')
    with pytest.raises(DataError, match=rf"{lines}:2: not valid JSON"):
        read_drawings(lines)


def test_a_file_saved_with_a_byte_order_mark_opens(tmp_path):
    drawing = tmp_path / "notepad.json"
    drawing.write_text('\ufeff{"strokes": [[[10, 20], [30, 40]]], "label": 4}', encoding="utf-8")
    assert read_drawing_file(drawing).label == 4
    lines = tmp_path / "notepad.jsonl"
    lines.write_text('\ufeff{"strokes": [[[10, 20], [30, 40]]], "label": 4}\n{"strokes": [[[1, 2]]]}\n',
                     encoding="utf-8")
    assert [d.label for d in read_drawings(lines)] == [4, None]


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


# --- every mutation of a valid file is read, or refused by name (hypothesis)


VALID = {"canvas": [375, 375], "label": 7, "writer": "w",
         "strokes": [[[100.0, 80.0], [280.0, 82.5], [190.0, 300.0]], [[150.0, 190.0], [230.0, 185.0]]]}


def read_or_refuse(path):
    from model.errors import DataError
    from model.runtime.strokes import read_drawing_file, read_drawings

    def read(path):
        return read_drawings(path) if path.suffix in (".jsonl", ".gz") else [read_drawing_file(path)]

    for drawing in read_or_refused(read, path, DataError) or []:
        assert all(len(stroke) and all(len(p) == 2 for p in stroke) for stroke in drawing.strokes)


@FUZZ
@given(st.data())
def test_a_drawing_file_mutated_byte_by_byte_is_read_or_refused_by_name(tmp_path_factory, data):
    import gzip
    import json

    suffix = data.draw(st.sampled_from([".json", ".jsonl", ".gz"]))
    text = (json.dumps(VALID) + ("\n" + json.dumps(VALID) + "\n" if suffix != ".json" else "")).encode()
    original = gzip.compress(text) if suffix == ".gz" else text
    path = tmp_path_factory.mktemp("fuzz") / f"drawing{'.jsonl' if suffix == '.gz' else ''}{suffix}"
    path.write_bytes(data.draw(mutated_bytes(original)))
    read_or_refuse(path)


@FUZZ
@given(st.data())
def test_a_drawing_with_any_field_replaced_is_read_or_refused_by_name(tmp_path_factory, data):
    import json

    record = json.loads(json.dumps(VALID))
    field = data.draw(st.sampled_from(["canvas", "label", "writer", "strokes", "stroke", "point", "coordinate"]))
    value = data.draw(json_values)
    if field == "stroke":
        record["strokes"][1] = value
    elif field == "point":
        record["strokes"][0][1] = value
    elif field == "coordinate":
        record["strokes"][0][2][1] = value
    else:
        record[field] = value
    path = tmp_path_factory.mktemp("fuzz") / "drawing.json"
    path.write_text(json.dumps(record))
    read_or_refuse(path)


def test_strokes_can_come_through_a_pipe(strokes_file):
    text = b"".join(gzip.open(strokes_file, "rb").readlines()[:3])
    read_end, write_end = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write_end, text), os.close(write_end)))
    writer.start()
    try:
        assert len(read_drawings(f"/dev/fd/{read_end}")) == 3
    finally:
        writer.join()
        os.close(read_end)
