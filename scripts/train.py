"""Train the digit model on MNIST plus phone-like drawings made from MNIST.

    python scripts/train.py --data ../shared/data/mnist.npz --out model/keras_mnist_cnn.keras

Writes the model (atomically, without optimizer state), its training history
(.history.json) and loss/accuracy curves (.curves.png) beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from model.atomic import atomic_path, write_text_atomic  # noqa: E402
from model.data import load_mnist
from model.errors import DataError  # noqa: E402
from model.paths import DEFAULT_KERAS_MODEL  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="local mnist.npz (default: $MNIST_NPZ, else the Keras download)")
    parser.add_argument("--out", default=str(DEFAULT_KERAS_MODEL), help="model file to write (.keras)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=int, help="train on the first N MNIST images only (quick runs)")
    parser.add_argument("--synthetic-copies", type=int, default=3,
                        help="phone-like drawings made from each MNIST image (0: plain MNIST)")
    parser.add_argument("--phone-ratio", type=float, default=1.5,
                        help="phone-like inputs per epoch, as a multiple of the MNIST images")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cache", default="build/synthetic", help="folder caching the phone-like drawings")
    args = parser.parse_args(argv)
    if not args.out.endswith(".keras"):
        parser.error(f"--out {args.out}: the model file must end in .keras")
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    return args


def phone_like_drawings(images: np.ndarray, labels: np.ndarray, copies: int, seed: int, workers: int,
                        cache: Path):
    """Phone-like inputs (both pipelines) for `copies` placements of each image, cached."""
    from desktop_app.render import render_strokes
    from model import synthesis

    key = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()[:12]
    cache_file = cache / f"phone-{key}-x{copies}-seed{seed}-v{synthesis.VERSION}.npz"
    if cache_file.exists():
        print(f"phone-like drawings: cached in {cache_file}", flush=True)
        with np.load(cache_file) as stored:
            return stored["ios"], stored["mnist"]
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        print(f"  drawn {done}/{total} phone-like digits ({time.monotonic() - started:.0f} s)", flush=True)

    ios_parts, mnist_parts = [], []
    for copy in range(copies):
        print(f"phone-like drawings, copy {copy + 1}/{copies}:", flush=True)
        ios_inputs, mnist_inputs = synthesis.synthesize_parallel(
            images, labels, seed * 1000 + copy * len(images), render_strokes, workers=workers, progress=progress)
        ios_parts.append(ios_inputs)
        mnist_parts.append(mnist_inputs)
    ios_all, mnist_all = np.concatenate(ios_parts), np.concatenate(mnist_parts)
    with atomic_path(cache_file) as temporary:
        np.savez(temporary, ios=ios_all, mnist=mnist_all)
    return ios_all, mnist_all


def save_curves(history: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = range(1, len(history["loss"]) + 1)
    for axes, metric in ((loss_axes, "loss"), (accuracy_axes, "accuracy")):
        axes.plot(epochs, history[metric], label="training (MNIST + phone-like)")
        axes.plot(epochs, history[f"val_{metric}"], label="MNIST test")
        axes.set_xlabel("epoch")
        axes.set_title(metric)
        axes.grid(alpha=0.3)
        axes.legend()
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    plt.close(figure)


def main(argv=None) -> int:
    # --- setup
    args = parse_args(argv)
    import keras

    from model.network import build_model, save_without_optimizer
    from model.training import MixedEpochs, cosine_schedule

    keras.utils.set_random_seed(args.seed)
    out = Path(args.out)

    # --- data
    try:
        mnist = load_mnist(args.data)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    train_images, train_labels = mnist.x_train, mnist.y_train.astype(np.int64)
    if args.limit:
        train_images, train_labels = train_images[: args.limit], train_labels[: args.limit]
    test_images = mnist.x_test.astype(np.float32)[..., None] / 255.0
    test_labels = mnist.y_test.astype(np.int64)
    print(f"MNIST: {len(train_images)} training and {len(test_images)} test images", flush=True)

    if args.synthetic_copies > 0:
        ios_inputs, mnist_inputs = phone_like_drawings(
            train_images, train_labels, args.synthetic_copies, args.seed, args.workers, Path(args.cache))
        phone_images = np.concatenate([ios_inputs, mnist_inputs])
        phone_labels = np.tile(train_labels, 2 * args.synthetic_copies)
    else:
        phone_images = np.zeros((0, 28, 28), np.float32)
        phone_labels = np.zeros((0,), np.int64)
    training_data = MixedEpochs(train_images.astype(np.float32) / 255.0, train_labels,
                                phone_images, phone_labels, args.batch_size, args.seed,
                                phone_per_epoch=round(args.phone_ratio * len(train_images)))

    # --- model
    model = build_model()
    schedule = cosine_schedule(args.learning_rate, args.epochs * len(training_data))
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])

    # --- train
    print(f"training {args.epochs} epochs of {len(training_data)} batches", flush=True)
    started = time.monotonic()
    fit = model.fit(training_data, epochs=args.epochs, validation_data=(test_images, test_labels),
                    verbose=1 if sys.stdout.isatty() else 2)
    train_seconds = time.monotonic() - started

    # --- evaluate and save
    _, test_accuracy = model.evaluate(test_images, test_labels, verbose=0)
    print(f"MNIST test accuracy: {test_accuracy:.4f} ({train_seconds:.0f} s of training)", flush=True)
    save_without_optimizer(model, out)
    history = {key: [float(v) for v in values] for key, values in fit.history.items()}
    record = {"args": vars(args), "history": history, "mnist_test_accuracy": float(test_accuracy),
              "train_seconds": round(train_seconds, 1)}
    write_text_atomic(out.with_suffix(".history.json"), json.dumps(record, indent=2) + "\n")
    save_curves(history, out.with_suffix(".curves.png"))
    print(f"wrote {out}, {out.with_suffix('.history.json')}, {out.with_suffix('.curves.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
