"""The app's file work without Qt: opening, saving, pasting and recent files."""

import json

import numpy as np
import pytest
from PIL import Image

from desktop_app.files import RECENT_FILES, RecentFiles, files_to_save, open_pasted_text, open_path, save_drawing
from desktop_app.render import render_strokes
from model.errors import DataError


def test_a_save_writes_the_canvas_png_and_its_strokes_that_open_again(tmp_path):
    strokes = [[(100.0, 80.0), (110.0, 300.0)], [(60.0, 120.0), (140.0, 90.0)]]
    written = save_drawing(tmp_path / "seven", render_strokes(strokes), strokes)
    assert written == files_to_save(tmp_path / "seven", True) == [tmp_path / "seven.png", tmp_path / "seven.json"]
    assert open_path(written[1]).strokes == strokes
    assert np.array_equal(np.asarray(Image.open(written[0])), render_strokes(strokes))


def test_a_canvas_without_strokes_saves_only_its_picture(tmp_path):
    assert files_to_save(tmp_path / "five.png", False) == [tmp_path / "five.png"]


def test_pasted_json_is_a_drawing_and_other_text_a_path(tmp_path):
    record = {"strokes": [[[10, 10], [20, 20]]]}
    assert open_pasted_text(json.dumps(record)).strokes == [[(10.0, 10.0), (20.0, 20.0)]]
    assert open_pasted_text(f"  {tmp_path / 'a.png'}\n") == tmp_path / "a.png"
    with pytest.raises(DataError, match="the pasted text: 'strokes' must be a list"):
        open_pasted_text('{"strokes": 3}')


def test_recent_files_are_newest_first_without_repeats_and_capped(tmp_path):
    store = {}
    recent = RecentFiles(lambda key, default: store.get(key, default), store.__setitem__)
    for index in [*range(RECENT_FILES + 2), 3]:
        recent.remember(tmp_path / f"{index}.png")
    paths = recent.paths()
    assert len(paths) == RECENT_FILES and paths[0].endswith("3.png") and len(set(paths)) == len(paths)
    assert store["files/folder"] == str(tmp_path.resolve())


def test_a_file_of_many_drawings_opens_its_first_and_steps_through_them_with_their_labels(strokes_file):
    from model.runtime.strokes import read_drawings

    drawings = read_drawings(strokes_file)
    opened = open_path(strokes_file)  # the shared sample: 1,609 digits, a line each, gzipped
    assert opened.strokes == drawings[0].on_phone_canvas() and opened.label == drawings[0].label
    assert f"drawing 1 of 1,609, labelled {drawings[0].label}" in opened.note
    second = opened.drawing_set.step(1)
    assert second.strokes == drawings[1].on_phone_canvas() and second.name.endswith(":2")
    assert opened.drawing_set.step(-2) is None and opened.drawing_set.index == 1  # no drawing before the first


def test_a_file_of_drawings_with_a_bad_line_is_named_by_its_line(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text('{"strokes": [[[10, 10], [20, 20]]], "label": 1}\n{"strokes": 3}\n')
    with pytest.raises(DataError, match=r"set\.jsonl:2: 'strokes' must be a list"):
        open_path(path)


def test_the_next_misread_is_the_next_labelled_drawing_read_otherwise_and_the_search_is_bounded(tmp_path):
    from desktop_app.files import DrawingSet
    from model.runtime.strokes import Drawing

    drawings = [Drawing([[(10.0 + i, 10.0), (20.0, 200.0)]], label=i % 10) for i in range(10)]
    drawings[4] = Drawing(drawings[4].strokes)  # unlabelled: never a misread
    misread = {4, 6, 8}
    reads = {tuple(d.on_phone_canvas()[0][0]): (i + 1) % 10 if i in misread else i % 10 for i, d in enumerate(drawings)}
    look = lambda strokes: reads[tuple(strokes[0][0])]  # noqa: E731
    found = DrawingSet(tmp_path / "set.jsonl", drawings)
    opened, looked = found.find_misread(1, look)
    assert found.index == 6 and looked == 6 and opened.label == 6
    assert found.find_misread(1, look, seconds=0) == (None, 1) and found.index == 6  # stays put
    assert found.find_misread(-1, look)[0] is None and found.index == 6  # 4 is unlabelled
    assert found.find_misread(1, look)[0].label == 8


def test_a_file_of_more_drawings_than_the_app_steps_through_is_refused_with_its_count(tmp_path, monkeypatch):
    import desktop_app.files as files

    monkeypatch.setattr(files, "SET_DRAWINGS", 2)
    path = tmp_path / "many.jsonl"
    path.write_text('{"strokes": [[[10, 10], [20, 20]]]}\n' * 3)
    with pytest.raises(DataError, match=r"many\.jsonl: more than 2 drawings, more than the app steps through"):
        open_path(path)
