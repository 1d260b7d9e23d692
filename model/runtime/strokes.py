"""Stroke drawings: one JSON object a line, as in unipen_digits_sample.jsonl.gz.

{"canvas": [375, 375], "label": 4, "writer": "...", "strokes": [[[x, y], ...], ...]}
"""

from __future__ import annotations

import gzip
import json
import math
import os
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.errors import DataError
from model.limits import check_regular_file

Point = tuple[float, float]
Stroke = list[Point]

CANVAS_SIZE = 375
# More points than any real drawing needs (the sample's largest has a few
# hundred): longer drawings are thinned on load, and say so.
MAX_POINTS = 20_000
MAX_STROKES = 5_000  # a digit has a handful; a word a few dozen
MAX_BYTES = 8_000_000  # about 500,000 points: larger files are refused before they are read
OFF_CANVAS = "every point lies off the canvas"
MOST_DIGITS = 32  # in a number's label
FARTHEST = 1e300  # off the canvas, for a point scaled past what floats hold


@dataclass
class Drawing:
    strokes: list[Stroke]
    label: int | str | None = None  # a digit; a number's, a string of digits
    canvas: tuple[int, int] = (CANVAS_SIZE, CANVAS_SIZE)
    writer: str | None = None
    note: str = ""  # what loading changed or noticed, for the user
    off_canvas: bool = False  # every point lies beyond the brush's reach of the canvas
    line: int | None = None  # its line in a .jsonl file

    def on_phone_canvas(self) -> list[Stroke]:
        """The strokes scaled from their own canvas onto the phone's 375x375."""
        return fitted(self.strokes, self.canvas, (CANVAS_SIZE, CANVAS_SIZE))

    def to_json(self) -> dict:
        record = {"canvas": list(self.canvas)}
        if self.label is not None:
            record["label"] = self.label
        if self.writer is not None:
            record["writer"] = self.writer
        record["strokes"] = [[[round(x, 2), round(y, 2)] for x, y in stroke] for stroke in self.strokes]
        return record


def fitted(strokes: list[Stroke], canvas: tuple[int, int], target: tuple[int, int]) -> list[Stroke]:
    """Strokes drawn on `canvas` (width, height) on the `target` canvas: as drawn when the two are the same size,
    else scaled as large as fits and centred. A coordinate that would pass what floats hold stays FARTHEST off
    the canvas instead (a file's point near the largest float, on a small canvas)."""
    (width, height), (target_width, target_height) = canvas, target
    if (width, height) == (target_width, target_height):
        return [list(stroke) for stroke in strokes]
    scale = min(target_width / width, target_height / height)
    dx, dy = (target_width - width * scale) / 2, (target_height - height * scale) / 2

    def place(value: float, shift: float) -> float:
        return min(max(value * scale + shift, -FARTHEST), FARTHEST)

    return [[(place(x, dx), place(y, dy)) for x, y in stroke] for stroke in strokes]


def parse_drawing(record: object, where: str, may_hold_booleans: bool = True, number: bool = False) -> Drawing:
    """Validate one decoded JSON object; `where` names the file and line for
    errors. (JSON text without `true` or `false` cannot hold a boolean point,
    which lets a long stroke be checked as one array.) A `number`'s label is a
    string of digits, a digit's a whole number 0-9."""
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(record).__name__}")
    canvas = record.get("canvas", [CANVAS_SIZE, CANVAS_SIZE])
    if (not isinstance(canvas, list) or len(canvas) != 2
            or not all(isinstance(v, int) and v > 0 for v in canvas)):
        raise DataError(f"{where}: 'canvas' must be [width, height] in pixels, got {canvas!r}")
    label = check_label(record.get("label"), where, number)
    strokes = record.get("strokes")
    if not isinstance(strokes, list):
        raise DataError(f"{where}: 'strokes' must be a list of strokes")
    if len(strokes) > MAX_STROKES:
        raise DataError(f"{where}: {len(strokes):,} strokes is more than a drawing holds (at most "
                        f"{MAX_STROKES:,}), so it is not opened")
    arrays = [_points(stroke, index, where, may_hold_booleans) for index, stroke in enumerate(strokes)]
    total = sum(len(a) for a in arrays)
    writer = record.get("writer")
    notes = []
    if total > MAX_POINTS:
        step = -(-total // (MAX_POINTS - len(arrays)))  # room for each stroke's last point
        arrays = [np.concatenate([a[::step], a[-1:]]) if (len(a) - 1) % step else a[::step] for a in arrays]
        notes.append(f"simplified from {total:,} to {sum(len(a) for a in arrays):,} points")
    parsed: list[Stroke] = [list(map(tuple, a.tolist())) for a in arrays]
    if not parsed:
        notes.append("holds no strokes")
    off_canvas = bool(parsed) and _all_off(parsed, canvas)
    if off_canvas:
        notes.append(OFF_CANVAS)
    if (canvas[0], canvas[1]) != (CANVAS_SIZE, CANVAS_SIZE) and not number:
        notes.append(f"drawn on a {canvas[0]}x{canvas[1]} canvas, scaled to {CANVAS_SIZE}x{CANVAS_SIZE}")
    return Drawing(parsed, label, (canvas[0], canvas[1]), writer if isinstance(writer, str) else None,
                   "; ".join(notes), off_canvas=off_canvas)


def check_label(label: object, where: str, number: bool) -> int | str | None:
    """A digit's label (0-9) or a number's (a string of digits), or a message saying which mode opens it."""
    is_digit = isinstance(label, int) and not isinstance(label, bool) and 0 <= label <= 9
    is_number = isinstance(label, str) and label.isascii() and label.isdigit() and len(label) <= MOST_DIGITS
    if label is None or (is_number if number else is_digit):
        return label
    if number and is_digit:
        raise DataError(f"{where}: 'label' is the digit {label}: a drawing of one digit; open it with View ▸ "
                        "Number off (or measure it without --numbers)")
    if not number and is_number:
        raise DataError(f"{where}: 'label' is the number \"{label}\": a drawing of a number; open it with View ▸ "
                        "Number (or measure it with --numbers)")
    wanted = f"a number written in digits, like \"2026\" (at most {MOST_DIGITS})" if number else "a digit 0-9"
    raise DataError(f"{where}: 'label' must be {wanted}, got {label!r:.60}")


def _points(stroke: object, index: int, where: str, may_hold_booleans: bool) -> np.ndarray:
    """One stroke's [x, y] points as an (N, 2) array; a DataError names the first bad one."""
    if not isinstance(stroke, list) or not stroke:
        raise DataError(f"{where}: stroke {index} must be a non-empty list of [x, y] points")
    try:
        array = np.array(stroke, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        array = None
    if array is not None and array.shape == (len(stroke), 2) and np.isfinite(array).all() and not (
            may_hold_booleans and any(type(v) is bool for point in stroke for v in point)) and all(
            type(point) is list for point in stroke):
        return array
    for point in stroke:
        if (not isinstance(point, list) or len(point) != 2
                or not all(_is_number(v) for v in point)):
            raise DataError(f"{where}: stroke {index} has a point {point!r:.60} that is not [x, y]")
    return np.array(stroke, dtype=np.float64)


def _all_off(strokes: list[Stroke], canvas) -> bool:
    """No point within a brush's reach of the canvas: nothing would be drawn."""
    reach = 5.0 * max(canvas) / CANVAS_SIZE
    for stroke in strokes:
        array = np.asarray(stroke)
        inside = ((array[:, 0] >= -reach) & (array[:, 0] <= canvas[0] + reach)
                  & (array[:, 1] >= -reach) & (array[:, 1] <= canvas[1] + reach))
        if inside.any():
            return False
    return True


def parse_number_text(text: str, where: str) -> Drawing:
    """One number drawing from JSON text: its label a string of digits, its canvas its own size."""
    return parse_drawing_text(text, where, number=True)


def parse_drawing_text(text: str, where: str, number: bool = False) -> Drawing:
    """One drawing from JSON text; `where` names its source in errors."""
    return parse_drawing_record(text, where, number)[0]


def parse_drawing_record(text: str, where: str, number: bool = False) -> tuple[Drawing, object]:
    """One drawing from JSON text, and the JSON object it was read from (for fields of its own)."""
    text = text.removeprefix("\ufeff")  # Windows' Notepad starts UTF-8 with a byte order mark
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"{where}: not valid JSON ({error.msg} at line {error.lineno})") from error
    except RecursionError:
        raise DataError(f"{where}: JSON nested too deeply to be a drawing") from None
    except ValueError:  # Python reads integers of up to sys.get_int_max_str_digits() digits
        raise DataError(f"{where}: not valid JSON (a number of more than {sys.get_int_max_str_digits():,} "
                        "digits)") from None
    return parse_drawing(record, where, may_hold_booleans="true" in text or "false" in text, number=number), record


def _is_number(value: object) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def read_drawings(path: str | os.PathLike, parse=None, most: int | None = None) -> list:
    """Every drawing in a .jsonl or .jsonl.gz file; the first bad line fails the read, and so does a
    drawing past the `most`-th. `parse(text, where)` makes each line's object (default: a Drawing)."""
    parse = parse or parse_drawing_text
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    opener = gzip.open if path.suffix == ".gz" else open
    drawings = []
    try:
        with opener(path, "rt", encoding="utf-8") as lines:
            # Read in bounded pieces: a file with no line end (/dev/zero) must not fill memory.
            for number, line in enumerate(iter(lambda: lines.readline(MAX_BYTES + 1), ""), start=1):
                if len(line) > MAX_BYTES:
                    raise DataError(f"{path}:{number}: a line of more than {MAX_BYTES / 1e6:.0f} MB is more than a "
                                    "drawing holds")
                if not line.strip():
                    continue
                if most is not None and len(drawings) == most:
                    raise DataError(f"{path}: more than {most:,} drawings, more than the app steps through "
                                    "(scripts/evaluate.py measures any number)")
                where = f"{path}:{number}"
                drawing = parse(line, where)
                if isinstance(drawing, Drawing):
                    drawing.line = number
                drawings.append(drawing)
    except (OSError, UnicodeDecodeError, EOFError, zlib.error) as error:
        raise DataError(f"{path}: cannot be read ({error})") from error
    if not drawings:
        raise DataError(f"{path}: holds no drawings")
    return drawings


def read_drawing_file(path: str | os.PathLike, number: bool = False) -> Drawing:
    """A single saved drawing (of a `number`, or of a digit): a .json file holding one object."""
    path = Path(path)
    check_regular_file(path, MAX_BYTES / 1e6, DataError, "a drawing")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot be read ({error})") from error
    return parse_drawing_text(text, str(path), number)


def write_drawings(path: str | os.PathLike, drawings: list[Drawing]) -> None:
    """Drawings as a .jsonl (or, by its suffix, .jsonl.gz) file, written atomically."""
    write_records(path, [drawing.to_json() for drawing in drawings])


def write_records(path: str | os.PathLike, records: list[dict]) -> None:
    """JSON objects a line each, as a .jsonl (or, by its suffix, .jsonl.gz) file, written atomically."""
    from model.atomic import write_bytes_atomic

    path = Path(path)
    text = ("\n".join(json.dumps(record) for record in records) + "\n").encode("utf-8")
    write_bytes_atomic(path, gzip.compress(text) if path.suffix == ".gz" else text)
