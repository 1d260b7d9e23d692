"""Phone-like drawings made from MNIST, for training.

A finger on the phone leaves a 10 px line on a 375x375 canvas; MNIST digits are
thick, 20 px tall and centred. To teach the model what the phone feeds it, each
MNIST digit is thinned to its skeleton, traced into pen strokes, placed on the
canvas at a random size, position, slant and brush width, and drawn by the
app's own renderer (passed in as `render`, so this module never imports Qt).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np

from model.pipelines import ios_pipeline, mnist_pipeline

VERSION = 3  # bump when the drawings change, to refresh caches
CANVAS = 375.0
UPSAMPLE = 4  # skeletons are traced at 4x MNIST resolution for smooth strokes

Stroke = list[tuple[float, float]]
Render = Callable[..., np.ndarray]  # render(strokes, width=...) -> 375x375 uint8

# Ranges wider than any one sample of writers: the model must not care where,
# how big or how slanted a digit is drawn.
SIZE_FRACTION = (0.35, 0.90)
CENTRE_OFFSET_FRACTION = 0.15
ASPECT = (0.75, 1.25)
ROTATION_DEGREES = 12.0
SHEAR = 0.3
BRUSH_WIDTH = (7.0, 14.0)
# Chance that a drawing of a digit gets its variant stroke (writing_variant).
VARIANT_CHANCE = {1: 0.5, 7: 0.3, 0: 0.1}
# Elastic distortion (Simard et al. 2003): a smooth random warp, so shapes vary
# the way different writers' do, beyond what an affine map can.
ELASTIC_GRID = 4
ELASTIC_STRENGTH = 0.08  # largest std of a control point's shift, as a fraction of the digit's size


def skeleton_strokes(image: np.ndarray) -> list[Stroke]:
    """Pen strokes (in MNIST pixel units) that trace an MNIST digit's skeleton."""
    from skimage.morphology import skeletonize
    from skimage.transform import resize

    large = resize(image.astype(np.float32) / 255.0, (28 * UPSAMPLE, 28 * UPSAMPLE), order=1)
    skeleton = skeletonize(large > 0.45)
    return trace(skeleton, 1.0 / UPSAMPLE)


_NEIGHBOURS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def trace(skeleton: np.ndarray, unit: float) -> list[Stroke]:
    """Split a one-pixel-wide skeleton into polylines that use every edge once."""
    pixels = set(zip(*np.nonzero(skeleton), strict=True))
    adjacency: dict[tuple[int, int], set[tuple[int, int]]] = {p: set() for p in pixels}
    for (row, col) in pixels:
        for d_row, d_col in _NEIGHBOURS:
            other = (row + d_row, col + d_col)
            if other not in pixels:
                continue
            # Skip a diagonal that an L through a shared neighbour already covers.
            if d_row and d_col and ((row + d_row, col) in pixels or (row, col + d_col) in pixels):
                continue
            adjacency[(row, col)].add(other)

    def point(pixel: tuple[int, int]) -> tuple[float, float]:
        return ((pixel[1] + 0.5) * unit, (pixel[0] + 0.5) * unit)

    strokes: list[Stroke] = []
    for pixel in [p for p in sorted(pixels) if not adjacency[p]]:
        strokes.append([point(pixel)])
    while True:
        remaining = [p for p in adjacency if adjacency[p]]
        if not remaining:
            return strokes
        odd = [p for p in remaining if len(adjacency[p]) % 2 == 1]
        current = min(odd or remaining)
        walk = [point(current)]
        while adjacency[current]:
            following = min(adjacency[current])
            adjacency[current].discard(following)
            adjacency[following].discard(current)
            current = following
            walk.append(point(current))
        strokes.append(walk)


def writing_variant(strokes: list[Stroke], label: int, rng: np.random.Generator) -> list[Stroke]:
    """Sometimes add the extra stroke of a common way of writing the digit that
    MNIST's American writers hardly used: the continental "1" with a long
    up-stroke (and often a foot), the crossed "7", the slashed "0"."""
    chance = VARIANT_CHANCE.get(label, 0.0)
    if not strokes or rng.random() >= chance:
        return strokes
    points = np.array([p for stroke in strokes for p in stroke])
    (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
    height, width = max(bottom - top, 1.0), max(right - left, 1.0)
    extra: list[Stroke] = []
    if label == 1:
        peak_x, peak_y = points[np.argmin(points[:, 1])]
        length = rng.uniform(0.25, 0.5) * height
        angle = np.radians(rng.uniform(20.0, 60.0))  # below the horizontal, to the left
        extra.append([(peak_x - length * np.cos(angle), peak_y + length * np.sin(angle)), (peak_x, peak_y)])
        if rng.random() < 0.4:
            foot_x, foot_y = points[np.argmax(points[:, 1])]
            half = rng.uniform(0.15, 0.3) * height
            extra.append([(foot_x - half, foot_y), (foot_x + half, foot_y)])
    elif label == 7:
        bar_y = top + rng.uniform(0.45, 0.6) * height
        near = points[np.abs(points[:, 1] - bar_y) < 0.05 * height]
        if len(near):
            bar_x, half = near[:, 0].mean(), rng.uniform(0.15, 0.3) * height
            extra.append([(bar_x - half, bar_y), (bar_x + half, bar_y)])
    elif label == 0:
        jitter = rng.uniform(-0.1, 0.1, size=4)
        extra.append([(left - (0.05 + jitter[0]) * width, bottom + (0.05 + jitter[1]) * height),
                      (right + (0.05 + jitter[2]) * width, top - (0.05 + jitter[3]) * height)])
    return strokes + extra


def elastic_warp(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shift points by a random displacement field, bilinear between the
    control points of a coarse grid over the digit's bounding box."""
    low, high = points.min(axis=0), points.max(axis=0)
    size = max(float((high - low).max()), 1.0)
    shifts = rng.normal(0.0, rng.uniform(0.0, ELASTIC_STRENGTH) * size, size=(ELASTIC_GRID, ELASTIC_GRID, 2))
    grid = (points - low) / np.maximum(high - low, 1e-6) * (ELASTIC_GRID - 1)
    cell = np.clip(np.floor(grid).astype(int), 0, ELASTIC_GRID - 2)
    fx, fy = (grid - cell)[:, :1], (grid - cell)[:, 1:]
    col, row = cell[:, 0], cell[:, 1]
    return points + (shifts[row, col] * (1 - fx) * (1 - fy) + shifts[row, col + 1] * fx * (1 - fy)
                     + shifts[row + 1, col] * (1 - fx) * fy + shifts[row + 1, col + 1] * fx * fy)


def place_on_canvas(strokes: Sequence[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """A random warp, size, aspect, slant, rotation and position on the phone canvas."""
    points = elastic_warp(np.array([p for stroke in strokes for p in stroke], dtype=np.float64), rng)
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    size = max(high[1] - low[1], high[0] - low[0], 1.0)
    scale = rng.uniform(*SIZE_FRACTION) * CANVAS / size
    angle = np.radians(rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shear = np.array([[1.0, rng.uniform(-SHEAR, SHEAR)], [0.0, 1.0]])
    stretch = np.diag([scale * rng.uniform(*ASPECT), scale])
    matrix = rotation @ shear @ stretch
    moved = (points - centre) @ matrix.T
    margin = 8.0
    # Keep the whole digit on the canvas, as a person drawing on it would.
    fit = (CANVAS - 2 * margin) / max(np.ptp(moved, axis=0).max(), 1.0)
    moved *= min(1.0, fit)
    target = CANVAS / 2 + rng.uniform(-CENTRE_OFFSET_FRACTION, CENTRE_OFFSET_FRACTION, size=2) * CANVAS
    extent_low, extent_high = moved.min(axis=0), moved.max(axis=0)
    target = np.clip(target, margin - extent_low, CANVAS - margin - extent_high)
    moved += target
    placed, start = [], 0
    for stroke in strokes:
        placed.append([tuple(p) for p in moved[start:start + len(stroke)]])
        start += len(stroke)
    return placed


def synthesize(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, render: Render,
               progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each MNIST image, one phone-like drawing through each pipeline:
    returns (ios_inputs, mnist_inputs), float32 arrays of shape (N, 28, 28)."""
    ios_inputs = np.zeros((len(images), 28, 28), np.float32)
    mnist_inputs = np.zeros((len(images), 28, 28), np.float32)
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        strokes = place_on_canvas(writing_variant(skeleton_strokes(image), int(label), rng), rng)
        bitmap = render(strokes, width=rng.uniform(*BRUSH_WIDTH))
        ios_inputs[index] = ios_pipeline(bitmap)
        mnist_inputs[index] = mnist_pipeline(bitmap)
        if progress is not None:
            progress(index + 1)
    return ios_inputs, mnist_inputs


def _synthesize_chunk(images: np.ndarray, labels: np.ndarray, seed: int, render: Render
                      ) -> tuple[np.ndarray, np.ndarray]:
    return synthesize(images, labels, np.random.default_rng(seed), render)


def synthesize_parallel(images: np.ndarray, labels: np.ndarray, seed: int, render: Render, workers: int = 2,
                        chunk: int = 2000, progress: Callable[[int, int], None] | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """`synthesize` over chunks in worker processes; deterministic for a seed
    whatever the number of workers. `render` must be a module-level function."""
    import concurrent.futures
    import multiprocessing

    starts = list(range(0, len(images), chunk))
    results: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    context = multiprocessing.get_context("spawn")  # Qt and TensorFlow do not survive fork
    # Workers inherit the environment: BLAS threads only slow these small matmuls down.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(_synthesize_chunk, images[start:start + chunk],
                               labels[start:start + chunk], seed + start, render): start
                   for start in starts}
        done = 0
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()
            done += len(results[futures[future]][0])
            if progress is not None:
                progress(done, len(images))
    ios_inputs = np.concatenate([results[start][0] for start in starts])
    mnist_inputs = np.concatenate([results[start][1] for start in starts])
    return ios_inputs, mnist_inputs
