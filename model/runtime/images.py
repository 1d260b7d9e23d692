"""Any image -> the phone's canvas: white ink on black, 375x375, as a finger
drawing would sit on it. Pure numpy and Pillow (no Qt), so it is tested alone.

Ink, not paper:
- alpha counts: transparent areas are paper, whatever colour they hide;
- polarity comes from the pixels: the paper is what most of the image is;
- the paper's own shading (a photo's uneven light) is estimated at a coarse
  scale and removed, so only what is darker (or lighter) than the paper
  *near it* is ink;
- the ink is cropped and fitted into the middle of the canvas at the size
  people draw (INK_BOX), as the phone's canvas would hold a drawing.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import numpy as np

from model.errors import DataError
from model.limits import check_regular_file
from model.runtime.strokes import CANVAS_SIZE

INK_BOX = 250  # px: a drawing's longer side on the canvas
WORK_SIDE = 512  # images are analysed at most this large
WIDE_GREY_MODES = ("I", "I;16", "I;16L", "I;16B", "I;16N", "F")
MAX_PIXELS = 200_000_000  # larger images are refused rather than decoded
INK_FLOOR = 0.3  # of the strongest ink: weaker contrast is paper texture or noise


def load_image(source: str | os.PathLike | bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """(gray, alpha) float arrays in [0, 1] at most WORK_SIDE on a side; alpha is
    None for an opaque image. Raises DataError naming the file."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    name = "the pasted image" if isinstance(source, bytes) else str(source)
    if not isinstance(source, bytes):
        check_regular_file(Path(source), 1000, DataError, "an image")  # a pipe would block Pillow's read
    Image.MAX_IMAGE_PIXELS = None  # checked below, from the header, with the real reason
    try:
        image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
        if image.width * image.height > MAX_PIXELS:
            raise DataError(f"{name}: {image.width}x{image.height} pixels is too large to open "
                            f"(limit {MAX_PIXELS // 1_000_000} megapixels)")
        image.draft("L", (WORK_SIDE, WORK_SIDE))  # JPEGs decode smaller, fast
        image = ImageOps.exif_transpose(image)
        if image.mode in WIDE_GREY_MODES:  # Pillow's convert("L") would clip them at 255
            image = Image.fromarray(eight_bit(np.asarray(image), image.mode))
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "L")
        image.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.LANCZOS)
    except FileNotFoundError:
        raise DataError(f"{name}: no such file") from None
    except (UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise DataError(f"{name}: not an image this app can read ({error})") from None
    except OSError as error:
        raise DataError(f"{name}: cannot be read ({error})") from None
    except (SyntaxError, ValueError, TypeError, IndexError, struct.error, EOFError, MemoryError) as error:
        # Pillow's decoders report a damaged file this way (a broken PNG chunk is a SyntaxError).
        raise DataError(f"{name}: a damaged image ({type(error).__name__}: {error})") from None
    if has_alpha:
        rgba = np.asarray(image, dtype=np.float32) / 255.0
        gray = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
        alpha = rgba[..., 3]
        if alpha.min() > 0.98:  # an alpha channel that is opaque everywhere
            alpha = None
        return gray, alpha
    return np.asarray(image, dtype=np.float32) / 255.0, None


def eight_bit(values: np.ndarray, mode: str) -> np.ndarray:
    """A 16-bit, 32-bit or float grey image as 0-255, scaled by the range its
    values can take (a 16-bit scan's paper is ~50,000, a float image's 1.0)."""
    values = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    top = values.max(initial=0.0)
    if mode.startswith("I;16"):
        full = 65535.0
    elif mode == "F" and top <= 1.0:
        full = 1.0
    else:
        full = next((limit for limit in (255.0, 65535.0) if top <= limit), top)
    return np.clip(values / full * 255.0, 0, 255).round().astype(np.uint8)


def _box_filter(image: np.ndarray, radius: int, reduce) -> np.ndarray:
    """Max or min over a (2r+1)-square, separably."""
    out = image
    for axis in (0, 1):
        padded = np.pad(out, [(radius, radius) if a == axis else (0, 0) for a in (0, 1)], mode="edge")
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1, axis=axis)
        out = reduce(windows, axis=-1)
    return out


def paper_level(gray: np.ndarray, light_paper: bool) -> np.ndarray:
    """The paper's brightness at each pixel: ink removed by a morphological
    closing (opening for dark paper) wider than any stroke, at a coarse scale."""
    from PIL import Image

    height, width = gray.shape
    scale = 96 / max(height, width)
    small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = np.asarray(Image.fromarray(gray).resize(small_size, Image.Resampling.BOX), dtype=np.float32)
    first, second = (np.max, np.min) if light_paper else (np.min, np.max)
    radius = 8  # a twelfth of the image: wider than the strokes of a photographed digit
    background = _box_filter(_box_filter(small, radius, first), radius, second)
    background = _box_filter(background, 2, np.mean)
    return np.asarray(Image.fromarray(background).resize((width, height), Image.Resampling.BILINEAR),
                      dtype=np.float32)


def ink_map(gray: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """How much ink each pixel holds, 0-1."""
    if alpha is not None:
        # Ink on transparency: wherever it is opaque, unless the opaque part is
        # the paper (an opaque sheet with transparent margins): then its
        # contrast to that sheet is the ink.
        opaque = alpha > 0.5
        if opaque.mean() < 0.5:
            return np.clip(alpha, 0, 1)
        gray = np.where(opaque, gray, np.median(gray[opaque]))
    # The paper is most of the image: its level (the median) lies nearer the
    # paper's end of the range than the ink's.
    low, middle, high = np.quantile(gray, [0.01, 0.5, 0.99])
    light_paper = bool(high - middle < middle - low)
    paper = paper_level(gray, light_paper)
    contrast = np.clip(paper - gray if light_paper else gray - paper, 0.0, None)
    strongest = float(np.quantile(contrast, 0.998))
    if strongest < 0.08:  # nothing stands out from the paper
        return np.zeros_like(gray)
    ink = np.clip((contrast / strongest - INK_FLOOR) / (1 - INK_FLOOR), 0.0, 1.0)
    return ink


def without_frame(ink: np.ndarray) -> np.ndarray:
    """Blank the lines along the image's edges that are mostly ink: a frame or
    the edge of a sheet, not part of a digit."""
    ink = ink.copy()
    limit = max(2, round(0.06 * max(ink.shape)))
    for _ in range(2):  # a frame's corners only look like a full line once the other side is gone
        for view in (ink, ink.T):
            for rows in (range(limit), range(view.shape[0] - 1, view.shape[0] - 1 - limit, -1)):
                for row in rows:
                    if (view[row] > 0.1).mean() < 0.5:
                        break
                    view[row] = 0
    return ink


def fit_on_canvas(ink: np.ndarray, name: str) -> np.ndarray:
    from PIL import Image

    ink = without_frame(ink)

    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.1), np.flatnonzero(ink.max(axis=0) > 0.1)
    if not len(rows):
        raise DataError(f"{name}: no ink found: the image is blank or has too little contrast")
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = INK_BOX / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    fitted = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS))
    canvas = np.zeros((CANVAS_SIZE, CANVAS_SIZE), np.uint8)
    top, left = (CANVAS_SIZE - size[1]) // 2, (CANVAS_SIZE - size[0]) // 2
    canvas[top:top + size[1], left:left + size[0]] = fitted
    return canvas


def image_to_canvas(source: str | os.PathLike | bytes) -> np.ndarray:
    """The 375x375 uint8 canvas (white ink on black) for an image file or bytes."""
    return read_image(source)[0]


def read_image(source: str | os.PathLike | bytes) -> tuple[np.ndarray, str]:
    """The 375x375 uint8 canvas for an image, and a note for the user: a screenshot of the phone app is read
    as its canvas alone, as the phone saw it; any other picture for its ink."""
    name = "the pasted image" if isinstance(source, bytes) else str(source)
    gray, alpha = load_image(source)
    box = phone_canvas_box(gray) if alpha is None else None
    if box is not None:
        return phone_canvas(source, gray.shape, box), "a screenshot of the phone app: its canvas, read alone"
    return fit_on_canvas(ink_map(gray, alpha), name), ""


# A phone screenshot's canvas: the largest square that is near-black but for the ink, with the app's lighter
# screen around it. Measured on the phone app's layout: the canvas is 375 of 667 points, the rest light.
CANVAS_DARK = 0.2  # a pixel darker than this is the canvas's black
CANVAS_MIN_SIDE = 0.3  # of the screenshot's shorter side
CANVAS_DARK_SHARE = 0.7  # of the square's pixels, at least (the rest is the drawing)
AROUND_DARK_SHARE = 0.5  # of the screen outside the square, at most


def phone_canvas_box(gray: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) of the phone app's canvas in a screenshot, or None if there is none."""
    height, width = gray.shape
    dark = gray < CANVAS_DARK
    if dark.mean() > 0.9 or min(height, width) < 28:
        return None
    runs = np.array([_dark_span(row, max(2, round(0.05 * width))) for row in dark])
    lengths = runs[:, 1] - runs[:, 0]
    shortest = CANVAS_MIN_SIDE * min(height, width)
    tolerance = max(2, round(0.02 * width))
    best, top = None, 0
    while top < height:
        if lengths[top] < shortest:
            top += 1
            continue
        start, end = runs[top]
        bottom, misses = top + 1, 0
        while bottom < height and misses <= 0.1 * (end - start):
            same = abs(runs[bottom, 0] - start) <= tolerance and abs(runs[bottom, 1] - end) <= tolerance
            misses = 0 if same else misses + 1
            bottom += 1
        bottom -= misses
        side = end - start
        if abs((bottom - top) - side) <= 0.08 * side and (best is None or side > best[3] - best[1]):
            best = (top, int(start), bottom, int(end))
        top = max(bottom, top + 1)
    if best is None:
        return None
    top, left, bottom, right = best
    inside = dark[top:bottom, left:right]
    outside = (dark.sum() - inside.sum()) / max(1, dark.size - inside.size)
    if inside.mean() < CANVAS_DARK_SHARE or outside > AROUND_DARK_SHARE or inside.all():
        return None
    return best


def _dark_span(row: np.ndarray, shortest: int) -> tuple[int, int]:
    """(start, end) of the row's dark span: from the first to the last run of at least `shortest` dark pixels,
    if it is mostly dark (a drawing's strokes cross the canvas's rows); else (0, 0)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(np.int8), [0]])))
    starts, ends = edges[0::2], edges[1::2]
    long = np.flatnonzero(ends - starts >= shortest)
    if not len(long):
        return 0, 0
    start, end = int(starts[long[0]]), int(ends[long[-1]])
    return (start, end) if row[start:end].mean() >= CANVAS_DARK_SHARE else (0, 0)


def phone_canvas(source: str | os.PathLike | bytes, shape: tuple[int, int], box: tuple[int, int, int, int]
                 ) -> np.ndarray:
    """The canvas in `box` (found on the image as load_image sized it) cut from the full image and shrunk
    to 375x375 by area averaging, as the canvas bitmap it shows."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
        image = ImageOps.exif_transpose(image).convert("L")
        scale_y, scale_x = image.height / shape[0], image.width / shape[1]
        top, left, bottom, right = box
        crop = image.crop((round(left * scale_x), round(top * scale_y), round(right * scale_x),
                           round(bottom * scale_y)))
        return np.asarray(crop.resize((CANVAS_SIZE, CANVAS_SIZE), Image.Resampling.BOX), np.uint8).copy()


def sample_to_canvas(path: Path) -> np.ndarray:
    """A sample digit (white on black, as the phone's) filling the canvas, as the phone shows it."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            gray = image.convert("L").resize((CANVAS_SIZE, CANVAS_SIZE), Image.Resampling.BICUBIC)
            return np.asarray(gray, dtype=np.uint8).copy()
    except OSError as error:
        raise DataError(f"{path}: sample image missing or unreadable ({error})") from None
