"""The training pools: every drawing the recipe learns from, drawn once by the
app's renderer and cached.

Each drawing is kept as each pipeline hands it to the model: the centred input,
and the phone's under every shrink Core Graphics may use (SHRINKS). An epoch
(model.recipe.epochs) draws from these pools.

`render` (the app's one stroke renderer) is passed in, so this module never
imports Qt.
"""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.atomic import atomic_path
from model.errors import TrainingError
from model.recipe import synthesis
from model.recipe.not_digits import VERSION as NOT_DIGITS_VERSION
from model.recipe.recipe import Recipe
from model.runtime.pipelines import PIPELINES

NO_DIGIT_LABEL = 10  # the label of drawings that are no digit: their target is 0.1 for each digit


@dataclass
class Pools:
    """Drawings of digits and of things that are no digit, each through both pipelines."""
    phone: np.ndarray  # (N, len(SHRINKS), 28, 28) float32 in [0, 1]: the phone pipeline under every shrink
    centred: np.ndarray  # (N, 28, 28) float32 in [0, 1]
    labels: np.ndarray  # (N,) int64: a digit, NO_DIGIT_LABEL, or a soft label (synthesis.ONE_OR_SEVEN...)
    handwritten: np.ndarray  # (N,) bool: drawn by people (real digits, real doodles), not generated

    def __len__(self) -> int:
        return len(self.labels)

    @staticmethod
    def empty() -> Pools:
        inputs = synthesis.empty_inputs(0)
        return Pools(inputs["phone"], inputs["centred"], np.zeros(0, np.int64), np.zeros(0, bool))


def cached_synthesis(cache: Path, name: str, expected: int, make: Callable[[], dict[str, np.ndarray]],
                     log: Callable[[str], None]) -> dict[str, np.ndarray]:
    """`make()` once, then from `cache/name`; a cache file that is damaged,
    unreadable, or not `expected` drawings of each pipeline is made again, with a note."""
    cache_file = cache / name
    if cache_file.exists():
        try:
            with np.load(cache_file) as stored:
                inputs = {key: stored[key] for key in stored.files if key in (*PIPELINES, "labels")}
            shapes_right = all(
                inputs.get(p) is not None and inputs[p].shape == (expected, *synthesis.INPUT_SHAPES[p])
                and inputs[p].dtype == np.float32 for p in PIPELINES)
            if shapes_right and all(len(a) == expected for a in inputs.values()):
                log(f"cached in {cache_file}")
                return inputs
            log(f"{cache_file}: not {expected} drawings of each pipeline (another run's?); drawing again")
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            log(f"{cache_file}: damaged or unreadable ({error}); drawing again")
    inputs = make()
    with atomic_path(cache_file) as temporary:
        np.savez(temporary, **inputs)
    return inputs


def training_pools(images: np.ndarray, labels: np.ndarray, recipe: Recipe, render, workers: int, cache: Path,
                   log: Callable[[str], None] = print, doodles: list | None = None) -> Pools:
    """`synthetic_copies` hand-drawn placements of every MNIST image,
    `handwriting_copies` of every real digit, one of every real doodle
    (strokes from read_doodles) and `not_digits` generated drawings that are no digit."""
    key = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()[:12]
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        elapsed = time.monotonic() - started
        log(f"  drawn {done}/{total} ({elapsed:.0f} s)")

    parts: list[Pools] = []

    def add_copies(title: str, copies: int, cache_name: str, first_seed: int, source, source_labels,
                   handwritten: bool) -> None:
        """`copies` placements of every drawing of `source` (MNIST images or real strokes)."""
        for copy in range(copies):
            log(f"{title}, copy {copy + 1}/{copies}:")
            seed = first_seed + copy * len(source)
            inputs = cached_synthesis(
                cache, cache_name.format(copy=copy), len(source),
                lambda seed=seed: synthesis.synthesize_parallel(source, source_labels, seed, render,
                                                                workers=workers, progress=progress), log)
            parts.append(Pools(inputs["phone"], inputs["centred"], np.asarray(inputs["labels"], np.int64),
                               np.full(len(source), handwritten)))

    version = f"seed{recipe.seed}-v{synthesis.VERSION}"
    add_copies("phone-like digits", recipe.synthetic_copies, f"digits-{key}-copy{{copy}}-{version}.npz",
               recipe.seed * 1_000_003, images, labels, False)
    for source, path in enumerate(recipe.handwriting if recipe.handwriting_copies else ()):
        from model.runtime.strokes import read_drawings

        drawings = [d for d in read_drawings(path) if d.label is not None]
        strokes = [d.on_phone_canvas() for d in drawings]
        real_labels = np.array([d.label for d in drawings], np.int64)
        real_key = hashlib.sha256(json.dumps([strokes, real_labels.tolist()]).encode()).hexdigest()[:12]
        add_copies(f"real handwriting ({len(drawings)} digits of {path})", recipe.handwriting_copies,
                   f"handwriting-{real_key}-copy{{copy}}-{version}.npz",
                   recipe.seed * 1_000_003 + 555_000_000 + source * 10_000_000, strokes, real_labels, True)
    if doodles:
        no_digit = np.full(len(doodles), NO_DIGIT_LABEL, np.int64)
        doodles_key = hashlib.sha256(json.dumps(doodles).encode()).hexdigest()[:12]
        add_copies(f"real doodles ({len(doodles)})", 1, f"doodles-{doodles_key}-copy{{copy}}-{version}.npz",
                   recipe.seed * 1_000_003 + 777_000_000, doodles, no_digit, True)
    if recipe.not_digits:
        log(f"drawings that are no digit ({recipe.not_digits}):")
        seed = recipe.seed * 1_000_003 + 999_983_000
        inputs = cached_synthesis(
            cache, f"not-digits-{recipe.not_digits}-{version}-kinds{NOT_DIGITS_VERSION}.npz", recipe.not_digits,
            lambda: synthesis.synthesize_parallel(None, None, seed, render, workers=workers,
                                                  count=recipe.not_digits, progress=progress), log)
        parts.append(Pools(inputs["phone"], inputs["centred"], np.full(recipe.not_digits, NO_DIGIT_LABEL, np.int64),
                           np.zeros(recipe.not_digits, bool)))
    if not parts:
        return Pools.empty()
    return Pools(*(np.concatenate([getattr(part, field) for part in parts])
                   for field in ("phone", "centred", "labels", "handwritten")))


def read_doodles(path: str) -> list[list]:
    """The strokes of real drawings that are no digit, on the phone canvas; a
    file with a labelled drawing (a digit) is refused."""
    from model.runtime.strokes import read_drawings

    doodles = read_drawings(path)
    labelled = next((d for d in doodles if d.label is not None), None)
    if labelled is not None:
        raise TrainingError(f"{path}:{labelled.line}: labelled {labelled.label}, but doodles are drawings that "
                            "are no digit")
    return [d.on_phone_canvas() for d in doodles]
