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

PIPELINES = ("ios", "mnist")
PIPELINE_TITLES = {"ios": "Phone (exact)", "mnist": "MNIST-centred"}


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


@lru_cache(maxsize=8)
def _shrink_matrix(src_len: int) -> np.ndarray:
    matrix = area_matrix(src_len, MODEL_SIZE, 0, src_len, 0, MODEL_SIZE).astype(np.float32)
    matrix.flags.writeable = False
    return matrix


def _as_canvas(bitmap: np.ndarray) -> np.ndarray:
    array = np.asarray(bitmap)
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"a canvas bitmap is a 2-D grayscale array, got shape {array.shape}")
    return array.astype(np.float64) / 255.0


def ios_pipeline(bitmap: np.ndarray) -> np.ndarray:
    """What the phone does: the whole canvas shrunk to 28x28 by area averaging."""
    if is_blank(bitmap):
        raise NothingDrawn()
    canvas = _as_canvas(bitmap).astype(np.float32)
    height, width = canvas.shape
    return np.clip(_shrink_matrix(height) @ canvas @ _shrink_matrix(width).T, 0.0, 1.0)


def mnist_pipeline(bitmap: np.ndarray) -> np.ndarray:
    """MNIST's own normalisation: crop to the ink, longer side to 20 px with
    the aspect ratio kept, centre of mass moved to (14, 14) (sub-pixel)."""
    if is_blank(bitmap):
        raise NothingDrawn()
    canvas = _as_canvas(bitmap)
    ink = canvas >= INK_THRESHOLD / 255.0
    ink_rows = np.flatnonzero(ink.any(axis=1))
    ink_cols = np.flatnonzero(ink.any(axis=0))
    top, bottom = ink_rows[0], ink_rows[-1] + 1
    left, right = ink_cols[0], ink_cols[-1] + 1
    crop = canvas[top:bottom, left:right]
    scale = MNIST_BOX / max(bottom - top, right - left)
    box_height, box_width = (bottom - top) * scale, (right - left) * scale

    def resample(shift_y: float, shift_x: float) -> np.ndarray:
        y0 = MNIST_CENTRE - box_height / 2 + shift_y
        x0 = MNIST_CENTRE - box_width / 2 + shift_x
        rows = area_matrix(crop.shape[0], MODEL_SIZE, 0, crop.shape[0], y0, y0 + box_height)
        cols = area_matrix(crop.shape[1], MODEL_SIZE, 0, crop.shape[1], x0, x0 + box_width)
        return rows @ crop @ cols.T

    centred_box = resample(0.0, 0.0)
    com_y, com_x = centre_of_mass(centred_box)
    # Resampling is linear, so shifting the destination span moves the centre
    # of mass by exactly that shift (unless ink would leave the frame).
    return np.clip(resample(MNIST_CENTRE - com_y, MNIST_CENTRE - com_x), 0.0, 1.0).astype(np.float32)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    total = image.sum()
    rows = np.arange(image.shape[0])
    cols = np.arange(image.shape[1])
    return float(image.sum(axis=1) @ rows / total), float(image.sum(axis=0) @ cols / total)


def to_model_input(bitmap: np.ndarray, pipeline: str) -> np.ndarray:
    if pipeline == "ios":
        return ios_pipeline(bitmap)
    if pipeline == "mnist":
        return mnist_pipeline(bitmap)
    raise ValueError(f"unknown pipeline {pipeline!r}: choose one of {', '.join(PIPELINES)}")
