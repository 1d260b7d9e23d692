"""Merge trained networks of one architecture into one model that averages
their logits (still one iOS 11 network), then measure it as training measures a
model and record its own "not a digit" threshold.

    python scripts/merge_members.py --members build/run13/keras_mnist_cnn.keras \\
        build/run14/keras_mnist_cnn.keras --data ../shared/data/mnist.npz --out build/merged.keras

Each member needs the .history.json training wrote beside it. Writes the model,
its record (.history.json) and curves (.curves.png), atomically and only if the
merged model is sound.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from model.runtime.cli import (
    check_input_files,
    check_writable_file,
    fail,
    keras_file,
    positive_int,
    run_interruptibly,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", nargs="+", required=True,
                        help="two or more trained .keras models of the same network, each with its .history.json")
    parser.add_argument("--out", type=keras_file, required=True, help="model file to write (.keras)")
    parser.add_argument("--data", help="local mnist.npz (default: $MNIST_NPZ, else the Keras download)")
    parser.add_argument("--held-out-handwriting", help="real digits by other writers, measured after merging "
                        "(e.g. build/handwriting/pendigits-test.jsonl.gz)")
    parser.add_argument("--limit", type=positive_int,
                        help="measure on the first N MNIST test digits only (quick runs)")
    parser.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    if len(args.members) < 2:
        parser.error("--members: give two or more models to merge")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    check_writable_file(out, "--out", megabytes=20)
    check_input_files([("--members", member) for member in args.members] +
                      [("--held-out-handwriting", args.held_out_handwriting)])
    if out.resolve() in {Path(member).resolve() for member in args.members}:
        return fail(f"--out {out}: is one of the --members; write the merged model elsewhere")

    def work() -> int:
        from desktop_app.render import render_strokes
        from model.recipe.training import merge

        merge(args.data, [Path(member) for member in args.members], out, render_strokes, args.workers,
              args.held_out_handwriting, args.limit, log=lambda message: print(message, flush=True))
        print(f"wrote {out}, {out.with_suffix('.history.json')}, {out.with_suffix('.curves.png')}")
        return 0

    return run_interruptibly(work, nothing_written=f"{out} not written")


if __name__ == "__main__":
    sys.exit(main())
