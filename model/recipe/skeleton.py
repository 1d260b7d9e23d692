"""Pen strokes from a thinned image: how MNIST digits and font glyphs become
something to draw with the app's renderer."""

from __future__ import annotations

import numpy as np

from model.runtime.strokes import Stroke

UPSAMPLE = 4  # skeletons are traced at 4x MNIST resolution for smooth strokes


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


def fit_in_box(strokes: list[Stroke], box: float = 28.0, margin: float = 2.0) -> list[Stroke]:
    """Strokes scaled about their centre so the longer side is `box - 2 * margin`
    units, centred in the `box`-unit square (y down)."""
    points = np.array([p for stroke in strokes for p in stroke])
    low, high = points.min(axis=0), points.max(axis=0)
    scale, centre = (box - 2 * margin) / max(float((high - low).max()), 1e-6), (low + high) / 2
    return [[tuple((np.array(p) - centre) * scale + box / 2) for p in stroke] for stroke in strokes]
