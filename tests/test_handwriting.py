"""Reading pendigits' original trajectories (the UNIPEN file format)."""

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
