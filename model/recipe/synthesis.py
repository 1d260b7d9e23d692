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

from model.recipe.skeleton import skeleton_strokes
from model.runtime.pipelines import PIPELINES, SHRINKS, phone_shrinks, to_model_input
from model.runtime.strokes import CANVAS_SIZE, Stroke

VERSION = 9  # bump when the drawings change, to refresh caches
Render = Callable[..., np.ndarray]  # render(strokes, width=...) -> 375x375 uint8

# Ranges wider than any one sample of writers: the model must not care where,
# how big or how slanted a digit is drawn.
SIZE_FRACTION = (0.35, 0.90)
CENTRE_OFFSET_FRACTION = 0.15
# Half the widest brush: a drawing's strokes stay whole on the canvas.
CANVAS_MARGIN = 8.0
ASPECT = (0.75, 1.25)
ROTATION_DEGREES = 12.0
SHEAR = 0.3
BRUSH_WIDTH = (6.0, 16.0)
# How far apart the pen's samples land (canvas px): a slow hand gives a smooth
# curve, a fast mouse a polygon with visible corners.
SAMPLE_SPACING = (1.5, 22.0)
JITTER = 1.2  # largest std of the hand's tremor, canvas px
# Chance that a drawing of a digit is rewritten in a form MNIST hardly has
# (writing_variant). Set once from how these forms are written across Europe,
# Latin America and Asia, not fitted to any sample.
VARIANT_CHANCE = {0: 0.25, 1: 0.6, 4: 0.3, 7: 0.3, 9: 0.3}
# A "1" with a flag and no base is also a bar-less "7" when its drawing, as
# placed (warp, shear and slant included), is as wide at its top as one MNIST
# seven in twenty, measured alike on the centred input, which is built like
# MNIST's digits: its honest answer is "1 or 7", not 99 % one.
TOP_BAND = 0.15  # the top of a digit, of its height: where a seven's bar lies
SEVEN_TOP_WIDTH = 0.35  # of the height: MNIST sevens' 5th percentile; wider, its sevens outnumber its ones
FLAGGED_ONE = 12  # a one with a flag and no base, until its drawing is measured
# And the other way: a seven with no crossbar is also a flagged "1" when its
# drawing is no wider at its top than three flagged ones in four (0.40 of the
# height, the generated flagged ones' upper quartile, measured alike).
ONE_TOP_WIDTH = 0.40
BARLESS_SEVEN = 14  # a seven with no crossbar, until its drawing is measured
SEVEN_OR_ONE = 13
ONE_OR_SEVEN = 11  # the label of such a drawing (training.SOFT_TARGETS)
# Elastic distortion (Simard et al. 2003): a smooth random warp, so shapes vary
# the way different writers' do, beyond what an affine map can.
ELASTIC_GRID = 4
ELASTIC_STRENGTH = 0.08  # largest std of a control point's shift, as a fraction of the digit's size


def writing_variant(strokes: list[Stroke], label: int, rng: np.random.Generator) -> tuple[list[Stroke], int]:
    """Sometimes rewrite a digit in a common form that MNIST's American writers
    hardly used (see VARIANT_CHANCE): barred zeros (φ, Ø, θ, the bar at any
    angle and often past the oval), continental ones with a flag and a base,
    ones as a plain stroke, open and closed fours, crossed sevens, nines with a
    straight or a curled tail. Returns the strokes and their label
    (FLAGGED_ONE or BARLESS_SEVEN for a drawing that may be both, see measured_label)."""
    chance = VARIANT_CHANCE.get(label, 0.0)
    if not strokes or rng.random() >= chance:
        return strokes, BARLESS_SEVEN if label == 7 else label
    points = np.array([p for stroke in strokes for p in stroke])
    (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
    height, width = max(bottom - top, 1.0), max(right - left, 1.0)
    if label == 0:
        return strokes + [_zero_bar(left, top, width, height, rng)], label
    if label == 1:
        return _one_variant(strokes, points, height, rng)
    if label == 4:
        return _four(left, top, max(width, 0.6 * height), height, open_top=rng.random() < 0.5, rng=rng), label
    if label == 7:
        bar_y = top + rng.uniform(0.45, 0.6) * height
        near = points[np.abs(points[:, 1] - bar_y) < 0.05 * height]
        if not len(near):
            return strokes, BARLESS_SEVEN
        bar_x, half = near[:, 0].mean(), rng.uniform(0.15, 0.3) * height
        return strokes + [[(bar_x - half, bar_y), (bar_x + half, bar_y)]], label
    if label == 9:
        return _nine(left, top, max(width, 0.45 * height), height, curled=rng.random() < 0.5, rng=rng), label
    return strokes, label


def _zero_bar(left: float, top: float, width: float, height: float, rng: np.random.Generator) -> Stroke:
    """A bar through a zero at any angle (φ upright, Ø slanted, θ flat), short
    of the oval or running well past it on either side, off the centre a little."""
    angle = rng.uniform(0.0, np.pi)
    centre_x = left + width * (0.5 + rng.uniform(-0.1, 0.1))
    centre_y = top + height * (0.5 + rng.uniform(-0.1, 0.1))
    direction = np.array([np.cos(angle), -np.sin(angle)])
    # Half the oval's extent along the bar, then the part inside or beyond it.
    reach = 0.5 / max(np.hypot(direction[0] / max(width, 1e-6), direction[1] / max(height, 1e-6)), 1e-6)
    ends = reach * (1.0 + rng.uniform(-0.25, 0.45, size=2))
    return [(centre_x - ends[0] * direction[0], centre_y - ends[0] * direction[1]),
            (centre_x + ends[1] * direction[0], centre_y + ends[1] * direction[1])]


def _one_variant(strokes: list[Stroke], points: np.ndarray, height: float,
                 rng: np.random.Generator) -> tuple[list[Stroke], int]:
    """A "1" as a plain stroke, or with a continental flag (often long, nearly
    horizontal), a base, or both; FLAGGED_ONE for a flag with no base."""
    peak = tuple(points[np.argmin(points[:, 1])])
    foot = tuple(points[np.argmax(points[:, 1])])
    form = rng.random()
    if form < 0.25:
        return [[peak, foot]], 1
    body = strokes if rng.random() < 0.5 else [[peak, foot]]
    extra: list[Stroke] = []
    flagged = False
    if form < 0.85:
        fraction, degrees = rng.uniform(0.2, 0.75), rng.uniform(5.0, 60.0)  # below the horizontal, to the left
        length, angle = fraction * height, np.radians(degrees)
        extra.append([(peak[0] - length * np.cos(angle), peak[1] + length * np.sin(angle)), peak])
        flagged = True
    if form >= 0.85 or rng.random() < 0.35:
        half = rng.uniform(0.15, 0.35) * height
        extra.append([(foot[0] - half, foot[1]), (foot[0] + half, foot[1])])
        flagged = False
    return body + extra, FLAGGED_ONE if flagged else 1


def _four(left: float, top: float, width: float, height: float, open_top: bool,
          rng: np.random.Generator) -> list[Stroke]:
    """A "4" written from scratch: open (an L and a stem) or closed (a
    triangle's slope and a stem), the bar crossing the stem."""
    stem_x = left + rng.uniform(0.55, 0.75) * width
    bar_y = top + rng.uniform(0.55, 0.72) * height
    right_end = left + width * rng.uniform(0.9, 1.05)
    stem_top = top + rng.uniform(0.0, 0.15) * height if open_top else top
    if open_top:
        first = [(left + rng.uniform(0.0, 0.25) * width, top), (left, bar_y), (right_end, bar_y)]
    else:
        first = [(stem_x, top), (left, bar_y), (right_end, bar_y)]
    return [first, [(stem_x, stem_top), (stem_x + rng.uniform(-0.1, 0.05) * width, top + height)]]


def _nine(left: float, top: float, width: float, height: float, curled: bool,
          rng: np.random.Generator) -> list[Stroke]:
    """A "9": a loop on top and a tail, straight or curled to the left."""
    loop_height = rng.uniform(0.35, 0.5) * height
    centre_x, centre_y = left + width / 2, top + loop_height / 2
    radius_x, radius_y = width / 2, loop_height / 2
    start = rng.uniform(-0.3, 0.3)
    angles = np.linspace(start, start + 2 * np.pi, 24)
    # Counter-clockwise from the right side, as most people draw a 9's loop.
    loop = [(centre_x + radius_x * np.cos(a), centre_y - radius_y * np.sin(a)) for a in angles]
    tail_x = centre_x + radius_x * rng.uniform(0.8, 1.0)
    bottom_x = tail_x + rng.uniform(-0.25, 0.1) * width
    if curled:
        hook = rng.uniform(0.3, 0.7) * width
        tail = [(tail_x, centre_y), (bottom_x, top + 0.8 * height),
                (bottom_x - 0.4 * hook, top + height), (bottom_x - hook, top + 0.92 * height)]
    else:
        tail = [(tail_x, centre_y), (bottom_x, top + height)]
    return [loop + tail]


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
    scale = rng.uniform(*SIZE_FRACTION) * CANVAS_SIZE / size
    angle = np.radians(rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shear = np.array([[1.0, rng.uniform(-SHEAR, SHEAR)], [0.0, 1.0]])
    stretch = np.diag([scale * rng.uniform(*ASPECT), scale])
    matrix = rotation @ shear @ stretch
    moved = (points - centre) @ matrix.T
    # Keep the whole digit on the canvas, as a person drawing on it would.
    fit = (CANVAS_SIZE - 2 * CANVAS_MARGIN) / max(np.ptp(moved, axis=0).max(), 1.0)
    moved *= min(1.0, fit)
    target = CANVAS_SIZE / 2 + rng.uniform(-CENTRE_OFFSET_FRACTION, CENTRE_OFFSET_FRACTION, size=2) * CANVAS_SIZE
    extent_low, extent_high = moved.min(axis=0), moved.max(axis=0)
    target = np.clip(target, CANVAS_MARGIN - extent_low, CANVAS_SIZE - CANVAS_MARGIN - extent_high)
    moved += target
    placed, start = [], 0
    for stroke in strokes:
        placed.append([tuple(p) for p in moved[start:start + len(stroke)]])
        start += len(stroke)
    return placed


def resample(stroke: Stroke, spacing: float) -> Stroke:
    """Points every `spacing` px along the stroke, as a pen sampled in time
    would leave them; corners of the polyline are kept only where samples land."""
    if len(stroke) < 2:
        return list(stroke)
    points = np.asarray(stroke, dtype=np.float64)
    lengths = np.r_[0.0, np.cumsum(np.hypot(*np.diff(points, axis=0).T))]
    if lengths[-1] <= spacing:
        return [tuple(points[0]), tuple(points[-1])]
    steps = np.r_[np.arange(0.0, lengths[-1], spacing), lengths[-1]]
    return list(zip(np.interp(steps, lengths, points[:, 0]), np.interp(steps, lengths, points[:, 1]), strict=True))


def hand_drawn(strokes: Sequence[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """Place strokes on the canvas as a hand would draw them: random warp, size
    and position, pen sampling and tremor."""
    placed = place_on_canvas(strokes, rng)
    spacing = rng.uniform(*SAMPLE_SPACING)
    tremor = rng.uniform(0.0, JITTER)
    drawn = []
    for stroke in placed:
        points = np.asarray(resample(stroke, spacing))
        points += rng.normal(0.0, tremor, size=points.shape)
        drawn.append([tuple(p) for p in np.clip(points, 0.0, CANVAS_SIZE)])
    return drawn


def top_width(image: np.ndarray) -> float:
    """How wide the ink (>= 0.4) is in the top TOP_BAND of its height, as a
    fraction of that height."""
    ink = np.asarray(image) >= 0.4
    rows = np.flatnonzero(ink.any(axis=1))
    if not len(rows):
        return 0.0
    height = rows[-1] - rows[0] + 1
    columns = np.flatnonzero(ink[rows[0]:rows[0] + max(2, round(TOP_BAND * height))].any(axis=0))
    return float(columns[-1] - columns[0] + 1) / height


def measured_label(label: int, centred: np.ndarray) -> int:
    """The label of a drawing from its planned one (writing_variant) and its
    centred input: a flagged one as wide at its top as a seven can be is
    ONE_OR_SEVEN, a bar-less seven as narrow there as a flagged one is
    SEVEN_OR_ONE; anything else keeps its digit."""
    if label == FLAGGED_ONE:
        return ONE_OR_SEVEN if top_width(centred) >= SEVEN_TOP_WIDTH else 1
    if label == BARLESS_SEVEN:
        return SEVEN_OR_ONE if top_width(centred) < ONE_TOP_WIDTH else 7
    return label


# The shape of one drawing's input in each pipeline: the phone's under every shrink Core Graphics may use.
INPUT_SHAPES = {"phone": (len(SHRINKS), 28, 28), "centred": (28, 28)}


def draw_inputs(strokes: Sequence[Stroke], rng: np.random.Generator, render: Render) -> dict[str, np.ndarray]:
    """One hand-drawn rendering of `strokes`, as each pipeline hands it to the model (the phone's under
    every shrink, INPUT_SHAPES)."""
    bitmap = render(hand_drawn(strokes, rng), width=rng.uniform(*BRUSH_WIDTH))
    return {"phone": phone_shrinks(bitmap), "centred": to_model_input(bitmap, "centred")}


def empty_inputs(count: int) -> dict[str, np.ndarray]:
    return {pipeline: np.zeros((count, *INPUT_SHAPES[pipeline]), np.float32) for pipeline in PIPELINES}


def synthesize(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, render: Render
               ) -> dict[str, np.ndarray]:
    """For each MNIST image, one phone-like drawing through each pipeline:
    {pipeline: float32 array (N, 28, 28), "labels": the label each drawing
    ended with (a variant may make a one ONE_OR_SEVEN)}."""
    inputs = empty_inputs(len(images))
    drawn_labels = np.asarray(labels, np.int64).copy()
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        strokes, drawn_label = writing_variant(skeleton_strokes(image), int(label), rng)
        drawn = draw_inputs(strokes, rng, render)
        drawn_labels[index] = measured_label(drawn_label, drawn["centred"])
        for pipeline in PIPELINES:
            inputs[pipeline][index] = drawn[pipeline]
    return {**inputs, "labels": drawn_labels}


def synthesize_handwriting(strokes: Sequence[Sequence[Stroke]], labels: np.ndarray, rng: np.random.Generator,
                           render: Render) -> dict[str, np.ndarray]:
    """For each real drawing (canvas strokes), one hand-drawn placement
    through each pipeline, as `synthesize` does for MNIST's."""
    inputs = empty_inputs(len(strokes))
    for index, drawing in enumerate(strokes):
        drawn = draw_inputs([list(stroke) for stroke in drawing], rng, render)
        for pipeline in PIPELINES:
            inputs[pipeline][index] = drawn[pipeline]
    return {**inputs, "labels": np.asarray(labels, np.int64).copy()}


def not_digit_drawings(count: int, seed: int) -> list[list[Stroke]]:
    """`count` hand-drawn drawings that are no digit, as canvas strokes (to
    save and evaluate like real drawings)."""
    from model.recipe.not_digits import random_not_digit

    rng = np.random.default_rng(seed)
    return [hand_drawn(random_not_digit(rng), rng) for _ in range(count)]


def held_out_letter_drawings(count: int, seed: int) -> list[list[Stroke]]:
    """`count` hand-drawn stroke-font letters of the half training never uses."""
    from model.recipe.not_digits import HELD_OUT_LETTERS, stroke_font_letter

    rng = np.random.default_rng(seed)
    return [hand_drawn(stroke_font_letter(rng, HELD_OUT_LETTERS), rng) for _ in range(count)]


def synthesize_not_digits(count: int, rng: np.random.Generator, render: Render) -> dict[str, np.ndarray]:
    """`count` drawings that are no digit (letters, symbols, doodles,
    scribbles), through each pipeline."""
    from model.recipe.not_digits import random_not_digit

    inputs = empty_inputs(count)
    for index in range(count):
        drawn = draw_inputs(random_not_digit(rng), rng, render)
        for pipeline in PIPELINES:
            inputs[pipeline][index] = drawn[pipeline]
    return inputs


def _synthesize_chunk(images, labels: np.ndarray | None, count: int, seed: int,
                      render: Render) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    if images is None:
        return synthesize_not_digits(count, rng, render)
    if isinstance(images, list):
        return synthesize_handwriting(images, labels, rng, render)
    return synthesize(images, labels, rng, render)


def _worker_start(parent: int) -> None:
    """In a worker: leave Ctrl-C to the parent (which stops the workers itself:
    a worker dying of it mid-task can hang the pool), and end when the parent
    dies (even by SIGKILL) rather than block forever writing a result no one reads."""
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def synthesize_parallel(images: np.ndarray | None, labels: np.ndarray | None, seed: int, render: Render,
                        workers: int = 2, count: int | None = None, chunk: int = 2000,
                        progress: Callable[[int, int], None] | None = None) -> dict[str, np.ndarray]:
    """`synthesize` (or, with images None, `synthesize_not_digits` of `count`;
    with a list of real drawings' strokes, `synthesize_handwriting`) over
    chunks in worker processes; deterministic for a seed whatever the number
    of workers. `render` must be a module-level function."""
    import concurrent.futures
    import multiprocessing

    total = len(images) if images is not None else int(count or 0)
    starts = list(range(0, total, chunk))
    results: dict[int, dict[str, np.ndarray]] = {}
    context = multiprocessing.get_context("spawn")  # Qt and TensorFlow do not survive fork
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                                  initializer=_worker_start, initargs=(os.getpid(),))
    try:
        futures = {}
        for start in starts:
            size = min(chunk, total - start)
            part = (images[start:start + size], labels[start:start + size]) if images is not None else (None, None)
            futures[pool.submit(_synthesize_chunk, *part, size, seed + start, render)] = start
        done = 0
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()
            done += len(results[futures[future]][PIPELINES[0]])
            if progress is not None:
                progress(done, total)
    except BaseException:
        # Ctrl-C or an error: stop the workers now, without waiting for their chunks.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=2)
            if process.is_alive():
                process.kill()
        raise
    pool.shutdown()
    keys = (*PIPELINES, "labels") if images is not None else PIPELINES
    empty = {**empty_inputs(0), "labels": np.zeros(0, np.int64)}
    return {key: np.concatenate([results[start][key] for start in starts]) if starts else empty[key]
            for key in keys}
