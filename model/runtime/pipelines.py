"""Canvas bitmap -> 28x28 model input, the two ways the product knows.

Pure numpy, so the app, training and evaluation run exactly the same code.
A canvas bitmap is a 2-D uint8 array, white ink (255) on black (0).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

MODEL_SIZE = 28
MNIST_BOX = 20
MNIST_CENTRE = 14.0  # MNIST's centre of mass, in pixel-index coordinates
# Pixels dimmer than this are background: it ignores the faint noise of opened
# photos and JPEGs, while a single 10 px dot is far brighter.
INK_THRESHOLD = 16
# Median stroke width of MNIST's training digits, in 28x28 pixels, as
# stroke_width() measures it on the digits upsampled 8x.
MNIST_STROKE_WIDTH = 2.5
FINE = 4  # the centred pipeline widens strokes on a 4x finer grid, then averages down

PIPELINES = ("phone", "centred")
PIPELINE_TITLES = {"phone": "Phone", "centred": "MNIST-centred"}
PIPELINE_HELP = {
    "phone": "the whole 375×375 canvas shrunk to 28×28, as the phone app does (UIGraphicsBeginImageContext and "
             "drawInRect at Core Graphics' default interpolation). How Core Graphics resamples is not documented; "
             "area averaging is assumed (View ▸ Phone Shrink shows the others).",
    "centred": "the ink cropped, its longer side scaled to 20 px, strokes widened to MNIST's pen and the "
               "centre of mass moved to the middle, as the MNIST digits were made.",
}


class NothingDrawn(ValueError):
    """The canvas holds no ink, so there is nothing to predict."""

    def __init__(self) -> None:
        super().__init__("nothing drawn")


def is_blank(bitmap: np.ndarray) -> bool:
    return not bool((np.asarray(bitmap) >= INK_THRESHOLD).any())


def area_matrix(src_len: int, dst_len: int, src_start: float, src_stop: float,
                dst_start: float, dst_stop: float) -> np.ndarray:
    """Linear map that area-averages source pixels [src_start, src_stop) onto
    destination span [dst_start, dst_stop): weight = overlap of a source
    pixel's footprint with a destination pixel, in destination pixels."""
    scale = (dst_stop - dst_start) / (src_stop - src_start)
    edges = dst_start + (np.arange(src_len + 1, dtype=np.float64) - src_start) * scale
    left, right = edges[:-1][None, :], edges[1:][None, :]
    cells = np.arange(dst_len, dtype=np.float64)[:, None]
    overlap = np.minimum(right, cells + 1) - np.maximum(left, cells)
    return np.clip(overlap, 0.0, None)


# How the phone's canvas may be shrunk to 28x28. Apple leaves the choice to Core Graphics ("let the context
# decide", Technical Q&A QA1186) and calls every quality level a hint, so the phone pipeline offers each.
SHRINKS = ("area", "bilinear-antialiased", "bilinear", "nearest")
DEFAULT_SHRINK = "area"
SHRINK_TITLES = {"area": "Area averaging", "bilinear-antialiased": "Bilinear, antialiased",
                 "bilinear": "Bilinear, no prefilter", "nearest": "Nearest pixel"}
SHRINK_HELP = {
    "area": "each 28×28 pixel the mean of the canvas under it (assumed: what a high-quality shrink comes to)",
    "bilinear-antialiased": "a triangle filter as wide as the scale (Pillow's bilinear reduce)",
    "bilinear": "the four canvas pixels nearest each pixel's centre, interpolated, nothing in between seen "
                "(what a low-quality sampler may do)",
    "nearest": "the one canvas pixel under each pixel's centre (no interpolation)",
}


def shrink_rows(src_len: int, shrink: str, dst_len: int = MODEL_SIZE) -> np.ndarray:
    """(dst_len, src_len) weights: each output pixel as a mix of source pixels. Every shrink is linear and
    separable, so the image shrinks as rows @ image @ cols.T."""
    scale = src_len / dst_len
    centres = (np.arange(dst_len) + 0.5) * scale - 0.5  # each output pixel's centre, in source pixel indices
    matrix = np.zeros((dst_len, src_len), np.float64)
    rows = np.arange(dst_len)
    if shrink == "area":
        matrix = area_matrix(src_len, dst_len, 0, src_len, 0, dst_len)
    elif shrink == "bilinear-antialiased":
        support = max(scale, 1.0)
        distance = np.abs(np.arange(src_len)[None, :] - centres[:, None]) / support
        matrix = np.clip(1.0 - distance, 0.0, None)
        matrix /= matrix.sum(axis=1, keepdims=True)
    elif shrink == "bilinear":
        clamped = np.clip(centres, 0, src_len - 1)
        low = np.minimum(np.floor(clamped).astype(int), src_len - 2)
        part = clamped - low
        matrix[rows, low] += 1.0 - part
        matrix[rows, low + 1] += part
    elif shrink == "nearest":
        matrix[rows, np.clip(np.floor((rows + 0.5) * scale).astype(int), 0, src_len - 1)] = 1.0
    else:
        raise ValueError(f"unknown shrink {shrink!r}: choose one of {', '.join(SHRINKS)}")
    return matrix


@lru_cache(maxsize=16)
def _shrink_matrix(src_len: int, shrink: str = DEFAULT_SHRINK) -> np.ndarray:
    matrix = shrink_rows(src_len, shrink).astype(np.float32)
    matrix.flags.writeable = False
    return matrix


def _canvas_array(bitmap: np.ndarray) -> np.ndarray:
    array = np.asarray(bitmap)
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"a canvas bitmap is a 2-D grayscale array, got shape {array.shape}")
    return array


def _as_canvas(bitmap: np.ndarray) -> np.ndarray:
    return _canvas_array(bitmap).astype(np.float32) / np.float32(255.0)


def phone_pipeline(bitmap: np.ndarray, shrink: str = DEFAULT_SHRINK) -> np.ndarray:
    """What the phone does: the whole canvas shrunk to 28x28 (by area averaging, unless told another shrink)."""
    array = _canvas_array(bitmap)
    if is_blank(array):
        raise NothingDrawn()
    # Only the inked part of the canvas adds to the sums: the same result, a fraction of the work.
    rows, cols = np.flatnonzero(array.any(axis=1)), np.flatnonzero(array.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    ink = array[top:bottom, left:right].astype(np.float32) / np.float32(255.0)
    height, width = array.shape
    return np.clip(_shrink_matrix(height, shrink)[:, top:bottom] @ ink @ _shrink_matrix(width, shrink)[:, left:right].T,
                   0.0, 1.0)


def phone_shrinks(bitmap: np.ndarray) -> np.ndarray:
    """(len(SHRINKS), 28, 28): the phone pipeline under every shrink, for training and measuring."""
    return np.stack([phone_pipeline(bitmap, shrink) for shrink in SHRINKS])


def centred_pipeline(bitmap: np.ndarray) -> np.ndarray:
    """MNIST's own normalisation: crop to the ink, longer side to 20 px with
    the aspect ratio kept, strokes as wide as MNIST's pen, centre of mass
    moved to (14, 14) (sub-pixel)."""
    if is_blank(bitmap):
        raise NothingDrawn()
    canvas = _as_canvas(bitmap)
    ink = np.asarray(bitmap) >= INK_THRESHOLD
    ink_rows = np.flatnonzero(ink.any(axis=1))
    ink_cols = np.flatnonzero(ink.any(axis=0))
    top, bottom = ink_rows[0], ink_rows[-1] + 1
    left, right = ink_cols[0], ink_cols[-1] + 1
    crop = canvas[top:bottom, left:right]
    extent = max(bottom - top, right - left)
    width = stroke_width(crop >= 0.5)
    # A 10 px finger line shrunk into MNIST's 20 px box is often under 1 px
    # wide, less than half of MNIST's pen: widen it to MNIST's width, keeping
    # the outer box at 20 px. Blobs (a dot) and thick strokes are left alone.
    if width * MNIST_BOX / extent < MNIST_STROKE_WIDTH and extent > 2 * width:
        scale = (MNIST_BOX - MNIST_STROKE_WIDTH) / (extent - width)
        radius = (MNIST_STROKE_WIDTH - width * scale) / 2 * FINE
    else:
        scale, radius = MNIST_BOX / extent, 0.0
    box_height, box_width = (bottom - top) * scale, (right - left) * scale
    size = MODEL_SIZE * FINE
    y0 = (MNIST_CENTRE - box_height / 2) * FINE
    x0 = (MNIST_CENTRE - box_width / 2) * FINE
    rows = area_matrix(crop.shape[0], size, 0, crop.shape[0], y0, y0 + box_height * FINE).astype(np.float32)
    cols = area_matrix(crop.shape[1], size, 0, crop.shape[1], x0, x0 + box_width * FINE).astype(np.float32)
    fine = dilate(rows @ crop @ cols.T, radius)
    # Averaging 4x4 blocks keeps the centre of mass: fine pixel j is at
    # (j + 0.5) / FINE - 0.5 in 28x28 pixel-index coordinates.
    com_y, com_x = ((np.array(centre_of_mass(fine)) + 0.5) / FINE - 0.5)
    fine = shift_image(fine, (MNIST_CENTRE - com_y) * FINE, (MNIST_CENTRE - com_x) * FINE)
    model_input = fine.reshape(MODEL_SIZE, FINE, MODEL_SIZE, FINE).mean(axis=(1, 3))
    return np.clip(model_input, 0.0, 1.0).astype(np.float32)


def shift_image(image: np.ndarray, d_row: float, d_col: float) -> np.ndarray:
    """Move the content by a real number of pixels, filling with black; linear
    interpolation moves the centre of mass by exactly that much."""
    for axis, distance in ((0, d_row), (1, d_col)):
        whole = int(np.floor(distance))
        part = distance - whole
        image = (1 - part) * _shift_whole(image, whole, axis) + part * _shift_whole(image, whole + 1, axis)
    return image


def _shift_whole(image: np.ndarray, count: int, axis: int) -> np.ndarray:
    moved = np.zeros_like(image)
    length = image.shape[axis]
    if abs(count) < length:
        source, target = [slice(None)] * 2, [slice(None)] * 2
        source[axis] = slice(max(0, -count), length - max(0, count))
        target[axis] = slice(max(0, count), length - max(0, -count))
        moved[tuple(target)] = image[tuple(source)]
    return moved


def stroke_width(ink: np.ndarray) -> float:
    """Mean width of the strokes in a boolean ink mask, in its pixels: a stroke
    of length L and width w has area L*w and an outline about 2*L long."""
    area = int(ink.sum())
    if area == 0:
        return 0.0
    padded = np.pad(ink, 1)
    # Cauchy-Crofton: the outline's length from how often rows, columns and
    # both diagonals cross it (diagonal lines lie 1/sqrt(2) apart).
    straight = np.count_nonzero(padded[1:] != padded[:-1]) + np.count_nonzero(padded[:, 1:] != padded[:, :-1])
    diagonal = (np.count_nonzero(padded[1:, 1:] != padded[:-1, :-1])
                + np.count_nonzero(padded[1:, :-1] != padded[:-1, 1:]))
    outline = np.pi / 8 * (straight + diagonal / np.sqrt(2))
    return 2.0 * area / outline


def dilate(image: np.ndarray, radius: float) -> np.ndarray:
    """Grey-level dilation by a disk of `radius` pixels: each pixel becomes
    the brightest within that distance, so strokes grow by radius per side.
    The disk's rim is weighted by how far it reaches into each pixel, so a
    fractional radius widens by a fractional amount."""
    if radius <= 0:
        return image
    reach = int(np.ceil(radius))
    inside: dict[int, int] = {}  # row offset: how far across the disk's whole pixels reach
    rim: dict[float, list[tuple[int, int]]] = {}  # weight: the offsets of the pixels the disk reaches into so far
    for d_row, d_col, distance in _offsets(reach):
        weight = min(1.0, radius + 1.0 - distance)
        if weight >= 1:
            inside[d_row] = max(inside.get(d_row, 0), abs(d_col))
        elif weight > 0:
            rim.setdefault(weight, []).append((d_row, d_col))
    grown = image.copy()
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    if not len(rows):
        return grown
    # Only the ink's box, grown by the reach, changes: the same pixels, in a fraction of the work.
    top, bottom = max(rows[0] - reach, 0), min(rows[-1] + reach + 1, image.shape[0])
    left, right = max(cols[0] - reach, 0), min(cols[-1] + reach + 1, image.shape[1])
    part, out = image[top:bottom, left:right], grown[top:bottom, left:right]
    height, width = part.shape
    padded = np.pad(part, reach)
    # The brightest within k columns either side, for each k: a row of the disk's whole pixels in one maximum.
    across = [padded[:, reach:reach + width]]
    for k in range(1, max(inside.values()) + 1):
        across.append(np.maximum(across[-1], np.maximum(padded[:, reach - k:reach - k + width],
                                                         padded[:, reach + k:reach + k + width])))
    for d_row, k in inside.items():
        np.maximum(out, across[k][reach + d_row:reach + d_row + height], out=out)
    for weight, offsets in rim.items():  # the brightest of a weight's pixels, weighted once (rounding keeps order)
        brightest = np.maximum.reduce([padded[reach + d_row:reach + d_row + height, reach + d_col:reach + d_col + width]
                                       for d_row, d_col in offsets])
        np.maximum(out, brightest * weight, out=out)
    return grown


@lru_cache(maxsize=16)
def _offsets(reach: int) -> list[tuple[int, int, float]]:
    """(row, column, distance) of every offset within `reach` rows and columns."""
    return [(d_row, d_col, float(np.hypot(d_row, d_col)))
            for d_row in range(-reach, reach + 1) for d_col in range(-reach, reach + 1)]


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    total = image.sum()
    rows = np.arange(image.shape[0])
    cols = np.arange(image.shape[1])
    return float(image.sum(axis=1) @ rows / total), float(image.sum(axis=0) @ cols / total)


def to_model_input(bitmap: np.ndarray, pipeline: str, shrink: str = DEFAULT_SHRINK) -> np.ndarray:
    """The 28x28 input of a pipeline; `shrink` is the phone pipeline's (the centred one scales by area)."""
    if pipeline == "phone":
        return phone_pipeline(bitmap, shrink)
    if pipeline == "centred":
        return centred_pipeline(bitmap)
    raise ValueError(f"unknown pipeline {pipeline!r}: choose one of {', '.join(PIPELINES)}")
