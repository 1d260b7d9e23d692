"""The training recipe's moving parts: the per-epoch mix of real and phone-like
digits, and the learning-rate schedule."""

from __future__ import annotations

import math

import keras
import numpy as np


def random_shift(images: np.ndarray, rng: np.random.Generator, max_shift: int = 2) -> np.ndarray:
    """Shift each 28x28 image by up to max_shift pixels, filling with black."""
    padded = np.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    size = images.shape[1]
    offsets = rng.integers(0, 2 * max_shift + 1, size=(len(images), 2))
    shifted = np.empty_like(images)
    for (dy, dx) in {tuple(o) for o in offsets}:
        chosen = np.flatnonzero((offsets[:, 0] == dy) & (offsets[:, 1] == dx))
        shifted[chosen] = padded[chosen, dy:dy + size, dx:dx + size]
    return shifted


class MixedEpochs(keras.utils.PyDataset):
    """Each epoch: every MNIST image (randomly shifted a little), plus as many
    phone-like drawings drawn from the synthetic pool, half through each pipeline."""

    def __init__(self, mnist_images, mnist_labels, phone_images, phone_labels,
                 batch_size: int, seed: int, phone_per_epoch: int):
        super().__init__()
        self.mnist_images, self.mnist_labels = mnist_images, mnist_labels
        self.phone_images, self.phone_labels = phone_images, phone_labels
        self.batch_size = batch_size
        self.phone_per_epoch = min(len(phone_images), phone_per_epoch)
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def on_epoch_end(self) -> None:
        chosen = self.rng.choice(len(self.phone_images), self.phone_per_epoch, replace=False)
        images = np.concatenate([random_shift(self.mnist_images, self.rng), self.phone_images[chosen]])
        labels = np.concatenate([self.mnist_labels, self.phone_labels[chosen]])
        order = self.rng.permutation(len(images))
        self.images, self.labels = images[order, ..., None], labels[order]

    def __len__(self) -> int:
        return math.ceil((len(self.mnist_images) + self.phone_per_epoch) / self.batch_size)

    def __getitem__(self, index: int):
        batch = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.images[batch], self.labels[batch]


def cosine_schedule(initial_rate: float, total_steps: int) -> keras.optimizers.schedules.LearningRateSchedule:
    return keras.optimizers.schedules.CosineDecay(initial_rate, decay_steps=max(total_steps, 1), alpha=0.01)
