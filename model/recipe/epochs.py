"""What one epoch of training is made of: every MNIST image (shifted a little),
and drawings taken at random from the pools — phone-like digits, real digits,
generated drawings that are no digit, real doodles — each through one pipeline,
the phone's under a shrink drawn at random (Recipe.shrink_shares). An epoch depends only on its seed,
so a run resumed from a checkpoint sees the epochs an unbroken run sees."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.recipe import synthesis
from model.recipe.pools import NO_DIGIT_LABEL, Pools
from model.recipe.recipe import Recipe
from model.runtime.pipelines import SHRINKS

# Drawings that are honestly two digits: their targets split between them.
SOFT_TARGETS = {synthesis.ONE_OR_SEVEN: {1: 0.6, 7: 0.4}, synthesis.SEVEN_OR_ONE: {7: 0.6, 1: 0.4}}


@dataclass(frozen=True)
class EpochSizes:
    mnist: int
    digits: int  # phone-like digits made from MNIST
    handwriting: int  # real digits
    not_digits: int  # generated drawings that are no digit
    doodles: int  # real doodles

    @property
    def total(self) -> int:
        return self.mnist + self.digits + self.handwriting + self.not_digits + self.doodles


def pool_entries(pools: Pools) -> dict[str, np.ndarray]:
    """Each kind of drawing's entries: entry e is drawing e % N through the phone pipeline if e < N,
    else through the centred one, so each drawing can be taken once by each pipeline."""
    is_digit = pools.labels != NO_DIGIT_LABEL
    kinds = {"digits": is_digit & ~pools.handwritten, "handwriting": is_digit & pools.handwritten,
             "not_digits": ~is_digit & ~pools.handwritten, "doodles": ~is_digit & pools.handwritten}
    return {kind: np.concatenate([np.flatnonzero(chosen), np.flatnonzero(chosen) + len(pools)])
            for kind, chosen in kinds.items()}


def epoch_sizes(recipe: Recipe, mnist_count: int, pools: Pools) -> EpochSizes:
    entries = pool_entries(pools)
    wanted = {"digits": recipe.phone_ratio, "handwriting": recipe.handwriting_ratio,
              "not_digits": recipe.not_digit_ratio, "doodles": recipe.doodle_ratio}
    return EpochSizes(mnist_count, **{kind: min(len(entries[kind]), round(ratio * mnist_count))
                                      for kind, ratio in wanted.items()})


def epoch(mnist_images: np.ndarray, mnist_labels: np.ndarray, pools: Pools, sizes: EpochSizes,
          shrink_shares: dict[str, float], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One epoch, shuffled: (N, 28, 28, 1) float32 inputs and (N, 10) targets."""
    entries = pool_entries(pools)
    chosen = np.concatenate([rng.choice(entries[kind], getattr(sizes, kind), replace=False)
                             for kind in ("digits", "handwriting", "not_digits", "doodles")])
    drawing, by_phone = chosen % max(len(pools), 1), chosen < len(pools)
    shares = np.array([shrink_shares[name] for name in SHRINKS])
    shrink = rng.choice(len(SHRINKS), size=len(chosen), p=shares / shares.sum())
    drawn = np.where(by_phone[:, None, None], pools.phone[drawing, shrink], pools.centred[drawing])
    images = np.concatenate([random_shift(mnist_images, rng), drawn])
    labels = np.concatenate([mnist_labels, pools.labels[drawing]])
    order = rng.permutation(len(images))
    return images[order, ..., None], targets(labels[order])


def random_shift(images: np.ndarray, rng: np.random.Generator, max_shift: int = 2) -> np.ndarray:
    """Shift each 28x28 image by up to max_shift pixels, filling with black."""
    padded = np.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    size = images.shape[1]
    offsets = rng.integers(0, 2 * max_shift + 1, size=(len(images), 2))
    shifted = np.empty_like(images)
    for (dy, dx) in sorted({tuple(o) for o in offsets}):
        chosen = np.flatnonzero((offsets[:, 0] == dy) & (offsets[:, 1] == dx))
        shifted[chosen] = padded[chosen, dy:dy + size, dx:dx + size]
    return shifted


def mnist_soft_labels(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """MNIST's labels, with its sevens as narrow at the top as a flagged one
    (synthesis.ONE_TOP_WIDTH) labelled SEVEN_OR_ONE."""
    soft = np.asarray(labels, np.int64).copy()
    for index in np.flatnonzero(soft == 7):
        soft[index] = synthesis.measured_label(synthesis.BARLESS_SEVEN, images[index] / 255.0)
    return soft


def targets(labels: np.ndarray) -> np.ndarray:
    """One-hot for a digit; 0.1 for each digit for a drawing that is no digit;
    split between two digits for an ambiguous one (SOFT_TARGETS)."""
    result = np.zeros((len(labels), 10), np.float32)
    digits = labels < NO_DIGIT_LABEL
    result[np.flatnonzero(digits), labels[digits]] = 1.0
    result[labels == NO_DIGIT_LABEL] = 0.1
    for label, split in SOFT_TARGETS.items():
        for digit, share in split.items():
            result[labels == label, digit] = share
    return result
