"""MNIST loading with validation: a local mnist.npz, or the Keras download."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.errors import DataError
from model.limits import check_regular_file

MNIST_ENV = "MNIST_NPZ"
EXPECTED = {
    "x_train": ((28, 28), np.uint8),
    "y_train": ((), None),
    "x_test": ((28, 28), np.uint8),
    "y_test": ((), None),
}


@dataclass(frozen=True)
class Mnist:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def resolve_mnist_path(path: str | os.PathLike | None) -> Path | None:
    """The explicit path, else $MNIST_NPZ, else None (meaning: Keras download)."""
    if path:
        return Path(path)
    if os.environ.get(MNIST_ENV):
        return Path(os.environ[MNIST_ENV])
    return None


def load_mnist(path: str | os.PathLike | None = None, option: str = "--data") -> Mnist:
    """MNIST from a local .npz (`option` is how the user names it, for hints),
    else $MNIST_NPZ, else the Keras download."""
    npz_path = resolve_mnist_path(path)
    if npz_path is None:
        # Import here: TensorFlow/Keras must stay off the app's start path.
        import keras

        try:
            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        except Exception as error:  # offline, a proxy, a full disk: each is the same advice
            raise DataError(f"keras.datasets.mnist: the download failed ({error}); give {option} PATH to a local "
                            f"mnist.npz or set {MNIST_ENV}") from None
        arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
        source = "keras.datasets.mnist"
    else:
        arrays = _read_npz(npz_path, option)
        source = str(npz_path)
    _validate(arrays, source)
    return Mnist(**{key: arrays[key] for key in EXPECTED})


def _read_npz(path: Path, option: str) -> dict[str, np.ndarray]:
    if not path.exists():
        raise DataError(f"{path}: no such file (give {option} PATH or set {MNIST_ENV})")
    check_regular_file(path, 2000, DataError, "an .npz archive")
    try:
        with path.open("rb") as file:
            start = file.read(6)
        # numpy reads any other start as a pickle and says so, which misleads.
        if not start.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY")):
            raise ValueError(f"it starts with {start!r}, not as a zip archive or a .npy array does" if start
                             else "it is empty")
        loaded = np.load(path, allow_pickle=False)
    except Exception as error:  # zip, pickle and format errors all mean "not an npz"
        raise DataError(f"{path}: not a readable .npz file ({error})") from error
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise DataError(f"{path}: a single array, not an .npz archive of {', '.join(EXPECTED)}")
    try:
        with loaded as npz:
            return {key: npz[key] for key in npz.files}
    except Exception as error:
        raise DataError(f"{path}: not a readable .npz file ({error})") from error


def _validate(arrays: dict[str, np.ndarray], source: str) -> None:
    missing = [key for key in EXPECTED if key not in arrays]
    not_arrays = [key for key in EXPECTED if key in arrays and not isinstance(arrays[key], np.ndarray)]
    if not_arrays:
        raise DataError(f"{source}: {', '.join(not_arrays)} is not an array")
    if missing:
        raise DataError(f"{source}: missing key(s) {', '.join(missing)}; expected {', '.join(EXPECTED)}")
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise DataError(f"{source}: x_{split} has shape {images.shape}, expected (N, 28, 28)")
        if images.dtype != np.uint8:
            raise DataError(f"{source}: x_{split} has dtype {images.dtype}, expected uint8 (0-255)")
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise DataError(
                f"{source}: y_{split} has shape {labels.shape}, expected ({images.shape[0]},) to match x_{split}"
            )
        if not np.issubdtype(labels.dtype, np.integer):
            raise DataError(f"{source}: y_{split} has dtype {labels.dtype}, expected integers")
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise DataError(
                f"{source}: y_{split} has labels from {labels.min()} to {labels.max()}, expected 0-9"
            )
        if images.shape[0] == 0:
            raise DataError(f"{source}: x_{split} is empty")
