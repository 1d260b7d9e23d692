"""Train the digit model on MNIST, phone-like drawings made from MNIST, and
drawings that are no digit.

    python scripts/train.py --data ../shared/data/mnist.npz --out build/keras_mnist_cnn.keras

Writes the model (atomically, without optimizer state), its training history
and "not a digit" threshold (.history.json) and loss/accuracy curves
(.curves.png) beside it, and only if the model is sound. The shipped model is
replaced only when asked: --out model/keras_mnist_cnn.keras.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from model.recipe.recipe import NETWORK_NAMES, Recipe
from model.runtime.cli import (
    check_input_files,
    check_writable_file,
    check_writable_folder,
    keras_file,
    non_negative_int,
    positive_float,
    positive_int,
    run_interruptibly,
)

DEFAULT_OUT = "build/keras_mnist_cnn.keras"


def parse_args(argv=None):
    defaults = Recipe()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="local mnist.npz (default: $MNIST_NPZ, else the Keras download)")
    parser.add_argument("--out", type=keras_file, default=DEFAULT_OUT, help=f"model file to write (.keras; default {DEFAULT_OUT})")
    parser.add_argument("--network", choices=NETWORK_NAMES, default=defaults.network,
                        help="mnist_cnn: the phone's 2017 network; vgg4: four convolutions, fewer weights")
    parser.add_argument("--members", type=positive_int, default=defaults.members,
                        help="networks trained from different seeds and shipped as one model averaging them")
    parser.add_argument("--epochs", type=positive_int, default=defaults.epochs, help="epochs of each member")
    parser.add_argument("--batch-size", type=positive_int, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=positive_float, default=defaults.learning_rate)
    parser.add_argument("--seed", type=non_negative_int, default=defaults.seed)
    parser.add_argument("--limit", type=positive_int, help="train on the first N MNIST images only (quick runs)")
    parser.add_argument("--synthetic-copies", type=non_negative_int, default=defaults.synthetic_copies,
                        help="phone-like drawings made from each MNIST image (0: plain MNIST)")
    parser.add_argument("--phone-ratio", type=positive_float, default=defaults.phone_ratio,
                        help="phone-like inputs per epoch, as a multiple of the MNIST images")
    parser.add_argument("--not-digits", type=non_negative_int, default=defaults.not_digits,
                        help="drawings that are no digit in the training pool (0: none)")
    parser.add_argument("--not-digit-ratio", type=positive_float, default=defaults.not_digit_ratio,
                        help="drawings that are no digit per epoch, as a multiple of the MNIST images")
    parser.add_argument("--handwriting", nargs="+", action="extend", default=[],
                        help="real digits to train on (stroke files by writers outside UNIPEN, e.g. "
                        "build/handwriting/pendigits-train.jsonl.gz from scripts/convert_pendigits.py and "
                        "build/handwriting/uji-train.jsonl.gz from scripts/convert_uji.py)")
    parser.add_argument("--handwriting-copies", type=non_negative_int, default=defaults.handwriting_copies,
                        help="hand-drawn placements of each real digit")
    parser.add_argument("--handwriting-ratio", type=positive_float, default=defaults.handwriting_ratio,
                        help="real-handwriting inputs per epoch, as a multiple of the MNIST images")
    parser.add_argument("--held-out-handwriting", help="real digits by other writers, measured after training "
                        "(e.g. build/handwriting/pendigits-test.jsonl.gz)")
    parser.add_argument("--doodles", help="real drawings that are no digit to train on (stroke file without labels, "
                        "e.g. build/doodles/quickdraw-train.jsonl.gz from scripts/convert_quickdraw.py)")
    parser.add_argument("--doodle-ratio", type=positive_float, default=defaults.doodle_ratio,
                        help="real doodles per epoch, as a multiple of the MNIST images")
    parser.add_argument("--start-from", help="a trained .keras of the same network to fine-tune (e.g. the shipped "
                        "model) instead of starting from random weights")
    parser.add_argument("--min-accuracy", type=float, default=defaults.min_accuracy,
                        help="save nothing if MNIST test accuracy ends below this")
    parser.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1)
    parser.add_argument("--cache", default="build/synthetic", help="folder caching the phone-like drawings")
    args = parser.parse_args(argv)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    check_writable_file(out, "--out", megabytes=20)
    check_writable_folder(Path(args.cache), "--cache", megabytes=200 if args.synthetic_copies else 1)
    check_input_files([*(("--handwriting", path) for path in args.handwriting),
                       ("--held-out-handwriting", args.held_out_handwriting),
                       ("--doodles", args.doodles), ("--start-from", args.start_from)])
    recipe = Recipe(network=args.network, members=args.members, epochs=args.epochs, batch_size=args.batch_size,
                    learning_rate=args.learning_rate, seed=args.seed, limit=args.limit, synthetic_copies=args.synthetic_copies,
                    phone_ratio=args.phone_ratio, not_digits=args.not_digits,
                    not_digit_ratio=args.not_digit_ratio, handwriting=tuple(args.handwriting),
                    handwriting_copies=args.handwriting_copies, handwriting_ratio=args.handwriting_ratio,
                    held_out_handwriting=args.held_out_handwriting, doodles=args.doodles,
                    doodle_ratio=args.doodle_ratio, min_accuracy=args.min_accuracy,
                    start_from=args.start_from)

    def work() -> int:
        from desktop_app.render import render_strokes
        from model.recipe.data import load_mnist
        from model.recipe.training import train

        mnist = load_mnist(args.data)
        train(mnist, recipe, out, render_strokes, args.workers, Path(args.cache),
              log=lambda message: print(message, flush=True))
        print(f"wrote {out}, {out.with_suffix('.history.json')}, {out.with_suffix('.curves.png')}")
        return 0

    return run_interruptibly(work, nothing_written=f"{out} not written")


if __name__ == "__main__":
    sys.exit(main())
