"""Reading real handwriting: pendigits' original trajectories (the UNIPEN file format) and UJI's digits."""

import json

import numpy as np
import pytest

from model.errors import DataError
from model.recipe.handwriting import read_pendigits

TWO_DIGITS = """.SEGMENT DIGIT 0-1 ? "7"
.COMMENT WRITER 17
.PEN_DOWN
 100 400
 300 400
 150 100
.PEN_UP
.SEGMENT DIGIT 2 ? "1"
.COMMENT WRITER 17
.PEN_DOWN
 200 400
 200 100
.PEN_UP
"""


def test_each_segment_is_one_digit_with_its_label_writer_and_strokes_y_flipped(tmp_path):
    path = tmp_path / "pendigits-orig.tra"
    path.write_text(TWO_DIGITS)
    seven, one = read_pendigits(path, "train")
    assert (seven.label, one.label) == (7, 1)
    assert seven.writer == one.writer == "pendigits-train/17"
    assert seven.strokes == [[(100.0, -400.0), (300.0, -400.0), (150.0, -100.0)]]
    assert one.strokes == [[(200.0, -400.0), (200.0, -100.0)]]


def test_a_point_that_is_not_two_numbers_is_named_by_line(tmp_path):
    path = tmp_path / "pendigits-orig.tra"
    path.write_text(TWO_DIGITS.replace(" 300 400", " 300 x"))
    with pytest.raises(DataError, match=r"pendigits-orig\.tra:5: expected 'x y'"):
        read_pendigits(path, "train")


def test_a_file_that_never_ends_is_refused_before_it_is_read(tmp_path):
    endless = tmp_path / "pendigits-orig.tra"
    endless.symlink_to("/dev/zero")
    with pytest.raises(DataError, match=f"{endless}: not a regular file"):
        read_pendigits(endless, "train")


def uji_digits(points_of=lambda label, index: [[[index, label], [index + 50, label + 100]]]) -> dict:
    """A NumberPad-style UJI file: each digit's 120 drawings, two by each of 60 writers, in writer order."""
    return {"rawData": {str(label): [points_of(label, index) for index in range(120)] for label in range(10)}}


def test_uji_splits_by_writer_the_first_36_train_and_the_last_24_are_held_out(tmp_path):
    from model.recipe.handwriting import read_uji_digits

    path = tmp_path / "ujipenchars2.json"
    path.write_text(json.dumps(uji_digits()))
    train, test = read_uji_digits(path, "train"), read_uji_digits(path, "test")
    assert (len(train), len(test)) == (720, 480)
    assert {d.writer for d in train} == {f"uji/{w:02d}" for w in range(1, 37)}
    assert {d.writer for d in test} == {f"uji/{w:02d}" for w in range(37, 61)}
    first_seven = next(d for d in test if d.label == 7)
    assert first_seven.writer == "uji/37" and first_seven.strokes == [[(72.0, 7.0), (122.0, 107.0)]]  # drawing 72


def test_a_uji_file_with_a_digit_short_of_drawings_is_named_with_the_digit(tmp_path):
    from model.recipe.handwriting import read_uji_digits

    digits = uji_digits()
    del digits["rawData"]["4"][-1]
    path = tmp_path / "ujipenchars2.json"
    path.write_text(json.dumps(digits))
    with pytest.raises(DataError, match=r"ujipenchars2\.json: 'rawData'\.'4' is not a list of 120 drawings"):
        read_uji_digits(path, "train")


def test_a_uji_point_that_is_not_x_y_is_named_by_digit_and_drawing(tmp_path):
    from model.recipe.handwriting import read_uji_digits

    digits = uji_digits()
    digits["rawData"]["2"][5] = [[[1, 2, 3]]]
    path = tmp_path / "ujipenchars2.json"
    path.write_text(json.dumps(digits))
    with pytest.raises(DataError, match=r"'rawData'\.'2'\[5\] is not a list of strokes of \[x, y\] points"):
        read_uji_digits(path, "train")


def test_convert_uji_writes_both_splits_and_refuses_a_file_that_is_no_json(tmp_path):
    from model.runtime.strokes import read_drawings
    from tests.conftest import run_script

    source = tmp_path / "ujipenchars2.json"
    source.write_text(json.dumps(uji_digits()))
    result = run_script("scripts/convert_uji.py", "--json", str(source), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "wrote 720 digits by 36 writers" in result.stdout and "wrote 480 digits by 24 writers" in result.stdout
    held_out = read_drawings(tmp_path / "out" / "uji-test.jsonl.gz")
    for drawing in held_out:  # placed as the shared sample's are: 45-85 % of the canvas high, centred within 12 %
        (left, top), (right, bottom) = np.min(drawing.strokes[0], axis=0), np.max(drawing.strokes[0], axis=0)
        assert 0.45 * 375 - 0.01 <= bottom - top <= 0.85 * 375 + 0.01
        assert abs((left + right) / 2 - 187.5) <= 0.12 * 375 + 0.01 and abs((top + bottom) / 2 - 187.5) <= 45.01
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = run_script("scripts/convert_uji.py", "--json", str(bad), "--out", str(tmp_path / "bad-out"))
    assert result.returncode == 2 and f"{bad}: cannot be read as JSON" in result.stderr
    assert not (tmp_path / "bad-out").exists() or not any((tmp_path / "bad-out").iterdir())


def digilets_drawing(symbol: str, strokes) -> str:
    """Two lines of a DigiLeTs writer file: points 'x y pressure pen_down time', then a one-hot of 62 symbols."""
    from model.recipe.handwriting import DIGILETS_SYMBOLS

    points = []
    for stroke in strokes:
        points += [f"{x} {y} {pressure} {int(i == 0)} 0.0" for i, (x, y, pressure) in enumerate(stroke)]
    one_hot = ["1.0" if s == symbol else "0.0" for s in DIGILETS_SYMBOLS]
    return " ".join(points) + "\n" + " ".join(one_hot) + "\n"


def test_digilets_digits_are_labelled_letters_only_those_no_reader_takes_for_a_digit(tmp_path):
    from model.recipe.handwriting import read_digilets

    path = tmp_path / "007-f-24-right_2019-06-19-12-18-49"
    seven = [[(0.2, 0.8, 0.5), (0.6, 0.8, 0.5), (0.0, 0.0, 0.0), (0.4, 0.2, 0.5)], [(0.3, 0.5, 0.5), (0.5, 0.5, 0.5)]]
    path.write_text(digilets_drawing("7", seven) + digilets_drawing("h", [[(0.1, 0.9, 1), (0.1, 0.1, 1)]])
                    + digilets_drawing("o", [[(0.1, 0.9, 1), (0.5, 0.1, 1)]]))
    digits, letters = read_digilets(path)
    assert [d.label for d in digits] == [7] and digits[0].writer == "digilets/007"
    # Strokes start where the pen goes down; a hovering point (pressure 0) is no ink; y grows upwards.
    assert digits[0].strokes == [[(0.2, pytest.approx(0.2)), (0.6, pytest.approx(0.2)), (0.4, pytest.approx(0.8))],
                                 [(0.3, 0.5), (0.5, 0.5)]]
    assert len(letters) == 1 and letters[0].label is None  # the h; an o can be read as a 0


def test_a_digilets_line_that_is_no_one_hot_is_named(tmp_path):
    from model.recipe.handwriting import read_digilets

    path = tmp_path / "001-f-19-right"
    path.write_text("0.1 0.2 0.5 1 0.0\n" + "0.0 " * 61 + "\n")
    with pytest.raises(DataError, match=rf"{path}:2: not a one-hot of 62 symbols"):
        read_digilets(path)


def test_convert_digilets_writes_digits_and_letters_and_names_a_missing_folder(tmp_path):
    from model.runtime.strokes import read_drawings
    from tests.conftest import run_script

    data = tmp_path / "raw" / "complete"
    data.mkdir(parents=True)
    (data / "002-f-22-right_2019").write_text(digilets_drawing("4", [[(0.3, 0.9, 1), (0.2, 0.4, 1), (0.7, 0.4, 1)]])
                                              + digilets_drawing("d", [[(0.6, 0.9, 1), (0.6, 0.1, 1)]]))
    (data / "002-f-22-right_2019_info").write_text("0 0 0\n")
    out = tmp_path / "out"
    result = run_script("scripts/convert_digilets.py", "--data", str(tmp_path / "raw"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert [d.label for d in read_drawings(out / "digilets-digits.jsonl.gz")] == [4]
    assert [d.label for d in read_drawings(out / "digilets-letters.jsonl.gz")] == [None]
    missing = run_script("scripts/convert_digilets.py", "--data", str(tmp_path / "nowhere"), "--out", str(out))
    assert missing.returncode != 0 and "--data" in missing.stderr and "nowhere" in missing.stderr


def test_a_drawing_placed_on_the_canvas_stays_inside_it_as_a_finger_must():
    from model.recipe.handwriting import fit_to_canvas
    from model.recipe.synthesis import CANVAS_MARGIN
    from model.runtime.strokes import CANVAS_SIZE, Drawing

    rng = np.random.default_rng(0)
    tall, wide = Drawing([[(0, 0), (0, 100)]], 1), Drawing([[(0, 0), (100, 10)], [(0, 10), (100, 0)]], 7)
    for drawing in (tall, wide) * 500:
        placed = np.array([p for stroke in fit_to_canvas(drawing, rng).strokes for p in stroke])
        assert placed.min() >= CANVAS_MARGIN and placed.max() <= CANVAS_SIZE - CANVAS_MARGIN
        extent = placed.max(axis=0) - placed.min(axis=0)
        assert max(extent) > 0.4 * CANVAS_SIZE  # moved inside, not shrunk to fit
