"""Stroke drawings: one JSON object a line, as in unipen_digits_sample.jsonl.gz.

{"canvas": [375, 375], "label": 4, "writer": "...", "strokes": [[[x, y], ...], ...]}
"""

from __future__ import annotations

import gzip
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from model.errors import DataError

Point = tuple[float, float]
Stroke = list[Point]

CANVAS_SIZE = 375
# More points than any real drawing needs (the sample's largest has a few
# hundred): longer drawings are thinned on load, and say so.
MAX_POINTS = 20_000


@dataclass
class Drawing:
    strokes: list[Stroke]
    label: int | None = None
    canvas: tuple[int, int] = (CANVAS_SIZE, CANVAS_SIZE)
    writer: str | None = None
    note: str = ""  # what loading changed or noticed, for the user
    line: int | None = None  # its line in a .jsonl file

    def on_phone_canvas(self) -> list[Stroke]:
        """The strokes scaled from their own canvas onto the phone's 375x375."""
        width, height = self.canvas
        if (width, height) == (CANVAS_SIZE, CANVAS_SIZE):
            return [list(stroke) for stroke in self.strokes]
        scale = CANVAS_SIZE / max(width, height)
        dx, dy = (CANVAS_SIZE - width * scale) / 2, (CANVAS_SIZE - height * scale) / 2
        return [[(x * scale + dx, y * scale + dy) for x, y in stroke] for stroke in self.strokes]

    def to_json(self) -> dict:
        record = {"canvas": list(self.canvas)}
        if self.label is not None:
            record["label"] = self.label
        if self.writer is not None:
            record["writer"] = self.writer
        record["strokes"] = [[[round(x, 2), round(y, 2)] for x, y in stroke] for stroke in self.strokes]
        return record


def parse_drawing(record: object, where: str) -> Drawing:
    """Validate one decoded JSON object; `where` names the file and line for errors."""
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(record).__name__}")
    canvas = record.get("canvas", [CANVAS_SIZE, CANVAS_SIZE])
    if (not isinstance(canvas, list) or len(canvas) != 2
            or not all(isinstance(v, int) and v > 0 for v in canvas)):
        raise DataError(f"{where}: 'canvas' must be [width, height] in pixels, got {canvas!r}")
    label = record.get("label")
    if label is not None and (isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9):
        raise DataError(f"{where}: 'label' must be a digit 0-9, got {label!r}")
    strokes = record.get("strokes")
    if not isinstance(strokes, list):
        raise DataError(f"{where}: 'strokes' must be a list of strokes")
    parsed: list[Stroke] = []
    for index, stroke in enumerate(strokes):
        if not isinstance(stroke, list) or not stroke:
            raise DataError(f"{where}: stroke {index} must be a non-empty list of [x, y] points")
        points = []
        for point in stroke:
            if (not isinstance(point, list) or len(point) != 2
                    or not all(_is_number(v) for v in point)):
                raise DataError(f"{where}: stroke {index} has a point {point!r} that is not [x, y]")
            points.append((float(point[0]), float(point[1])))
        parsed.append(points)
    writer = record.get("writer")
    notes = []
    total = sum(len(stroke) for stroke in parsed)
    if total > MAX_POINTS:
        step = -(-total // (MAX_POINTS - len(parsed)))  # room for each stroke's last point
        parsed = [stroke[::step] + ([stroke[-1]] if (len(stroke) - 1) % step else []) for stroke in parsed]
        notes.append(f"simplified from {total:,} to {sum(len(s) for s in parsed):,} points")
    if not parsed:
        notes.append("holds no strokes")
    if (canvas[0], canvas[1]) != (CANVAS_SIZE, CANVAS_SIZE):
        notes.append(f"drawn on a {canvas[0]}x{canvas[1]} canvas, scaled to {CANVAS_SIZE}x{CANVAS_SIZE}")
    return Drawing(parsed, label, (canvas[0], canvas[1]), writer if isinstance(writer, str) else None,
                   "; ".join(notes))


def parse_drawing_text(text: str, where: str) -> Drawing:
    """One drawing from JSON text; `where` names its source in errors."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"{where}: not valid JSON ({error.msg} at line {error.lineno})") from error
    except RecursionError:
        raise DataError(f"{where}: JSON nested too deeply to be a drawing") from None
    return parse_drawing(record, where)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_drawings(path: str | os.PathLike) -> list[Drawing]:
    """Every drawing in a .jsonl or .jsonl.gz file; the first bad line fails the read."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    opener = gzip.open if path.suffix == ".gz" else open
    drawings = []
    try:
        with opener(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                drawing = parse_drawing_text(line, where)
                drawing.line = number
                drawings.append(drawing)
    except (OSError, UnicodeDecodeError, EOFError) as error:
        raise DataError(f"{path}: cannot be read ({error})") from error
    if not drawings:
        raise DataError(f"{path}: holds no drawings")
    return drawings


def read_drawing_file(path: str | os.PathLike) -> Drawing:
    """A single saved drawing: a .json file holding one object."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot be read ({error})") from error
    return parse_drawing_text(text, str(path))
