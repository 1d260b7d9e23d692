"""Real handwriting from public on-line sources other than UNIPEN, for training.

UNIPEN (every section, every copy) stays out: the product is judged on its
writers. The sources read here:

- Pen-Based Recognition of Handwritten Digits (E. Alpaydin, F. Alimoglu, 1996;
  UCI id 81, CC BY 4.0): 10,992 digits by 44 writers on a WACOM PL-100V
  tablet, the original pen trajectories (`pendigits-orig.tra`, 30 writers,
  and `pendigits-orig.tes`, 14 other writers), in the UNIPEN *file format*
  (the data itself is not part of UNIPEN's collections). The tablet's y axis
  grows upwards.
- UJI Pen Characters v2 (D. Llorens, F. Prat et al., 2008; UCI id 177, CC BY
  4.0): 60 writers at the Universitat Jaume I and the Universitat Politècnica
  de València, each digit written twice, as the NumberPad project keeps its
  digits (`Data/ujipenchars2.json` in github.com/bridger/NumberPad, Apache-2.0
  code): `{"rawData": {"0": [drawing, ...], ...}}`, a drawing a list of strokes
  of `[x, y]` (tablet units, y down), each digit's 120 drawings writer by
  writer, two each. The letters of UJI are in no file that can be had here.

- DigiLeTs (CognitiveModeling/DigiLeTs on GitHub, University of Tübingen,
  2019-2020): 111 writers, each digit and letter five times on a Wacom tablet,
  one file a writer (`data/raw/*/NNN-...`), two lines a drawing: its points
  as "x y pressure pen_down time" (0-1, y up), then a one-hot of the 62
  symbols 0-9, a-z, A-Z. It has no license file, so it is **measured only,
  never trained on** (read_digilets).

Each drawing is fitted to the phone's canvas as the shared sample's are (45-85 %
of it high, centred within 12 %), written in the shared stroke format.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from model.errors import DataError
from model.limits import check_regular_file
from model.recipe.synthesis import CANVAS_MARGIN
from model.runtime.strokes import CANVAS_SIZE, Drawing

HEIGHT_FRACTION = (0.45, 0.85)
CENTRE_OFFSET = 0.12


def _file_bytes(path: Path, megabytes: float, what: str) -> bytes:
    check_regular_file(path, megabytes, DataError, what)
    try:
        return path.read_bytes()
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error})") from error


def ascii_text_lines(data: bytes, where: str) -> list[str]:
    try:
        return data.decode("ascii").splitlines()
    except UnicodeDecodeError as error:
        raise DataError(f"{where}: cannot be read ({error})") from error


def _ascii_lines(path: Path, megabytes: float, what: str) -> list[str]:
    return ascii_text_lines(_file_bytes(path, megabytes, what), str(path))


def unix_compressed(data: bytes, where: str) -> bytes:
    """A `.Z` file (Unix compress, LZW) decompressed."""
    import unlzw3

    try:
        return unlzw3.unlzw(data)
    except (ValueError, TypeError, IndexError) as error:
        raise DataError(f"{where}: not a .Z file (Unix compress) ({error})") from None


def read_pendigits(path: str | os.PathLike, split: str) -> list[Drawing]:
    """The digits of one `pendigits-orig.*` file (or, named .Z, as UCI compressed it), as written (tablet
    units, y up)."""
    path = Path(path)
    data = _file_bytes(path, 200, "a pendigits file")
    if path.suffix == ".Z":
        data = unix_compressed(data, str(path))
    return parse_pendigits(ascii_text_lines(data, str(path)), str(path), split)


def parse_pendigits(lines: list[str], where: str, split: str) -> list[Drawing]:
    """The digits of a pendigits file's lines; `where` names it in errors."""
    drawings: list[Drawing] = []
    label, writer, strokes, current = None, None, [], None

    def finish() -> None:
        if label is not None and any(strokes):
            drawings.append(Drawing([s for s in strokes if s], label, writer=f"pendigits-{split}/{writer}"))

    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if fields[0] == ".SEGMENT":
            finish()
            quoted = line.rsplit('"', 2)
            if len(quoted) < 3 or not quoted[1].isdigit() or len(quoted[1]) != 1:
                raise DataError(f"{where}:{number}: a .SEGMENT without a digit label")
            label, writer, strokes, current = int(quoted[1]), None, [], None
        elif fields[0] == ".COMMENT" and len(fields) >= 3:
            writer = fields[2]
        elif fields[0] == ".PEN_DOWN":
            current = []
            strokes.append(current)
        elif fields[0] == ".PEN_UP":
            current = None
        elif current is not None and not fields[0].startswith("."):
            try:
                x, y = float(fields[0]), float(fields[1])
            except (ValueError, IndexError):
                raise DataError(f"{where}:{number}: expected 'x y', got {line.strip()!r}") from None
            current.append((x, -y))  # the tablet's y grows upwards
    finish()
    if not drawings:
        raise DataError(f"{where}: holds no digits in the UNIPEN format")
    return drawings


UJI_WRITERS = 60
UJI_TRAIN_WRITERS = 36  # NumberPad's own split: the first 72 drawings of each digit train, the last 48 test


def read_uji_digits(path: str | os.PathLike, split: str) -> list[Drawing]:
    """The digits of UJI Pen Characters v2 as NumberPad keeps them, of the
    `split` "train" (writers 1-36) or "test" (writers 37-60)."""
    path = Path(path)
    check_regular_file(path, 200, DataError, "a UJI digits file")
    try:
        digits = json.loads(path.read_text(encoding="utf-8"))["rawData"]
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise DataError(f"{path}: cannot be read as JSON ({error})") from error
    except (KeyError, TypeError):
        raise DataError(f"{path}: has no 'rawData' object of digits") from None
    writers = range(UJI_TRAIN_WRITERS) if split == "train" else range(UJI_TRAIN_WRITERS, UJI_WRITERS)
    drawings: list[Drawing] = []
    for label in map(str, range(10)):
        written = digits.get(label) if isinstance(digits, dict) else None
        if not isinstance(written, list) or len(written) != 2 * UJI_WRITERS:
            raise DataError(f"{path}: 'rawData'.'{label}' is not a list of {2 * UJI_WRITERS} drawings "
                            f"(two by each of {UJI_WRITERS} writers)")
        for index in (i for writer in writers for i in (2 * writer, 2 * writer + 1)):
            try:
                strokes = [[(float(x), float(y)) for x, y in stroke] for stroke in written[index]]
            except (TypeError, ValueError):
                raise DataError(f"{path}: 'rawData'.'{label}'[{index}] is not a list of strokes of [x, y] "
                                "points") from None
            if any(strokes):
                drawings.append(Drawing([s for s in strokes if s], int(label),
                                        writer=f"uji/{index // 2 + 1:02d}"))
    return drawings


DIGILETS_SYMBOLS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Letters no reader takes for a digit: the shared letter sample's list.
LETTERS_NO_DIGIT = set("AEFHKMNRVWXdefhkmnrvwx")


def read_digilets(path: str | os.PathLike) -> tuple[list[Drawing], list[Drawing]]:
    """One DigiLeTs writer's file: their digits (labelled) and their letters
    that no reader takes for a digit (unlabelled), as written (0-1, y up)."""
    path = Path(path)
    lines = _ascii_lines(path, 20, "a DigiLeTs file")
    writer = f"digilets/{path.name.split('-')[0]}"
    digits: list[Drawing] = []
    letters: list[Drawing] = []
    for number in range(1, len(lines), 2):
        try:
            one_hot = [float(v) for v in lines[number].split()]
            values = [float(v) for v in lines[number - 1].split()]
        except ValueError:
            raise DataError(f"{path}:{number}: expected numbers") from None
        if len(one_hot) != len(DIGILETS_SYMBOLS) or sorted(one_hot)[-2:] != [0.0, 1.0]:
            raise DataError(f"{path}:{number + 1}: not a one-hot of {len(DIGILETS_SYMBOLS)} symbols")
        if len(values) % 5:
            raise DataError(f"{path}:{number}: points are 'x y pressure pen_down time', {len(values)} numbers")
        strokes: list[list[tuple[float, float]]] = []
        for x, y, pressure, pen_down, _ in zip(*[iter(values)] * 5, strict=True):
            if pen_down == 1 or not strokes:
                strokes.append([])
            if pressure > 0:  # a pen hovering with its button pressed records pressure 0
                strokes[-1].append((x, 1.0 - y))  # the tablet's y grows upwards
        strokes = [stroke for stroke in strokes if stroke]
        symbol = DIGILETS_SYMBOLS[one_hot.index(1.0)]
        if not strokes:
            continue
        if symbol.isdigit():
            digits.append(Drawing(strokes, int(symbol), writer=writer))
        elif symbol in LETTERS_NO_DIGIT:
            letters.append(Drawing(strokes, None, writer=writer))
    return digits, letters


def fit_to_canvas(drawing: Drawing, rng: np.random.Generator) -> Drawing:
    """The drawing placed on the phone canvas as a person would draw it there."""
    points = np.array([p for stroke in drawing.strokes for p in stroke], dtype=np.float64)
    low, high = points.min(axis=0), points.max(axis=0)
    size = high - low
    scale = rng.uniform(*HEIGHT_FRACTION) * CANVAS_SIZE / max(size[1], size[0] * 0.8, 1e-6)
    scale = min(scale, 0.9 * CANVAS_SIZE / max(size[0], 1e-6))
    centre = CANVAS_SIZE / 2 + rng.uniform(-CENTRE_OFFSET, CENTRE_OFFSET, size=2) * CANVAS_SIZE
    # A finger cannot draw past the canvas, so a drawing pushed over its edge is moved back inside.
    half = size * scale / 2
    centre = np.clip(centre, CANVAS_MARGIN + half, CANVAS_SIZE - CANVAS_MARGIN - half)
    placed = [[tuple(np.round((np.array(p) - (low + high) / 2) * scale + centre, 2)) for p in stroke]
              for stroke in drawing.strokes]
    return Drawing([[(float(x), float(y)) for x, y in stroke] for stroke in placed], drawing.label,
                   writer=drawing.writer)
