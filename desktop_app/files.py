"""The app's file work, with no Qt: what opening a file puts on the canvas, what
a save writes and replaces, what a paste holds, and the recent files."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.atomic import atomic_path, write_text_atomic
from model.errors import DataError
from model.limits import check_regular_file
from model.runtime.images import read_image
from model.runtime.numbers import on_number_canvas
from model.runtime.strokes import (
    CANVAS_SIZE,
    OFF_CANVAS,
    Drawing,
    Stroke,
    parse_drawing_text,
    parse_number_text,
    read_drawing_file,
    read_drawings,
)

DRAWING_SUFFIXES = (".json",)
SET_SUFFIXES = (".jsonl", ".jsonl.gz")  # many drawings, a line each: the shared samples, a personal set
# A file of drawings is read whole when opened (12,000 drawings take 1.5 s): the shared samples are under 1 MB.
SET_MEGABYTES = 20
SET_DRAWINGS = 20_000
MISREAD_SECONDS = 0.5  # how long one press looks for a misread before it says how far it got
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
RECENT_FILES = 8


@dataclass
class Opened:
    """What a file puts on the canvas: strokes (with what loading noticed) or a bitmap."""
    name: str
    strokes: list[Stroke] | None = None
    bitmap: np.ndarray | None = None
    note: str = ""
    label: int | str | None = None  # the digit (or number) the file says it is
    drawing_set: DrawingSet | None = None  # the file of many drawings it is one of


@dataclass
class DrawingSet:
    """A stroke file of many drawings (of digits, or of numbers), shown one at a time."""
    path: Path
    drawings: list[Drawing]
    index: int = 0
    number: bool = False

    def opened(self) -> Opened:
        drawing = self.drawings[self.index]
        opened = _drawn(drawing, f"{self.path.name}:{drawing.line}", f"{self.path}:{drawing.line}", self.number)
        label = "unlabelled" if drawing.label is None else f"labelled {drawing.label}"
        place = f"drawing {self.index + 1:,} of {len(self.drawings):,}, {label} (Page Down: the next)"
        opened.note = f"{place}; {opened.note}" if opened.note else place
        opened.drawing_set = self
        return opened

    def step(self, by: int) -> Opened | None:
        """The drawing `by` places on, or None past either end."""
        if not 0 <= self.index + by < len(self.drawings):
            return None
        self.index += by
        return self.opened()

    def find_misread(self, direction: int, reads: Callable[[list[Stroke]], int | None],
                     seconds: float = MISREAD_SECONDS) -> tuple[Opened | None, int]:
        """The next labelled drawing in `direction` (1 or -1) that `reads` answers otherwise than its label,
        looking for `seconds` at the most; and how many drawings were looked at. Stays put if none is found."""
        looked, started = 0, time.monotonic()
        for index in range(self.index + direction, -1 if direction < 0 else len(self.drawings), direction):
            if looked and time.monotonic() - started > seconds:
                break
            looked += 1
            drawing = self.drawings[index]
            if drawing.label is None or drawing.off_canvas:
                continue
            if reads(on_canvas(drawing, self.number)) not in (None, drawing.label):
                self.index = index
                return self.opened(), looked
        return None, looked


def is_drawing_set(path: Path) -> bool:
    return path.name.lower().endswith(SET_SUFFIXES)


def open_path(path: str | Path, number: bool = False) -> Opened:
    """A saved drawing (.json strokes), a file of many (.jsonl, .jsonl.gz: its first) or any image;
    DataError names a bad file. In the `number` mode, drawings of numbers and no image."""
    path = Path(path)
    parse = parse_number_text if number else None
    if is_drawing_set(path):
        check_regular_file(path, SET_MEGABYTES, DataError, "a file of drawings the app steps through")
        return DrawingSet(path, read_drawings(path, parse, most=SET_DRAWINGS), number=number).opened()
    if path.suffix.lower() in DRAWING_SUFFIXES:
        return _drawn(read_drawing_file(path, number), path.name, str(path), number)
    if number:
        raise DataError(f"{path}: an image opens on the digit screen (View ▸ Number off); the number mode "
                        "opens drawings of numbers (.json, .jsonl)")
    bitmap, note = read_image(path)
    return Opened(path.name, bitmap=bitmap, note=note)


def open_pasted_text(text: str, number: bool = False) -> Opened | Path:
    """Pasted text: a drawing's JSON, or the path of a file to open."""
    text = text.strip()
    if text.startswith("{"):
        return _drawn(parse_drawing_text(text, "the pasted text", number), "pasted drawing", "the pasted text",
                      number)
    return Path(text)


def on_canvas(drawing: Drawing, number: bool) -> list[Stroke]:
    """A drawing's strokes on the canvas it opens on: the phone's, or the number canvas."""
    return on_number_canvas(drawing) if number else drawing.on_phone_canvas()


def _drawn(drawing: Drawing, name: str, where: str, number: bool = False) -> Opened:
    if drawing.off_canvas:
        xs, ys = zip(*(point for stroke in drawing.strokes for point in stroke), strict=True)
        raise DataError(f"{where}: {OFF_CANVAS} (x from {min(xs):.4g} to {max(xs):.4g}, y from {min(ys):.4g} "
                        f"to {max(ys):.4g} on a {drawing.canvas[0]}x{drawing.canvas[1]} canvas)")
    return Opened(name, strokes=on_canvas(drawing, number), note=drawing.note, label=drawing.label)


def open_pasted_image(data: bytes) -> Opened:
    bitmap, note = read_image(data)
    return Opened("pasted image", bitmap=bitmap, note=note)


def files_to_save(path: str | Path, has_strokes: bool) -> list[Path]:
    """A save writes the canvas as PNG at `path`, and its strokes as JSON beside it."""
    png = Path(path).with_suffix(".png")
    return [png, png.with_suffix(".json")] if has_strokes else [png]


def save_drawing(path: str | Path, bitmap: np.ndarray, strokes: list[Stroke],
                 canvas: tuple[int, int] = (CANVAS_SIZE, CANVAS_SIZE)) -> list[Path]:
    """Write what files_to_save names, each atomically; returns the files written."""
    from PIL import Image

    written = files_to_save(path, bool(strokes))
    encoded = io.BytesIO()
    Image.fromarray(np.asarray(bitmap, np.uint8), mode="L").save(encoded, "PNG")
    with atomic_path(written[0]) as temporary:
        temporary.write_bytes(encoded.getvalue())
    if strokes:
        write_text_atomic(written[1], json.dumps(Drawing(strokes, canvas=canvas).to_json()) + "\n")
    return written


class RecentFiles:
    """The files opened last, newest first, kept in a settings store (`get`, `put`)."""

    def __init__(self, get: Callable[[str, object], object], put: Callable[[str, object], None]):
        self._get, self._put = get, put

    def paths(self) -> list[str]:
        value = self._get("files/recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def remember(self, path: Path) -> None:
        resolved = str(path.resolve())
        self._put("files/recent", ([resolved] + [p for p in self.paths() if p != resolved])[:RECENT_FILES])
        self._put("files/folder", str(path.resolve().parent))
