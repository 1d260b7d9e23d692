"""Convert the original pen trajectories of UCI's Pen-Based Recognition of
Handwritten Digits (CC BY 4.0) into the shared stroke format, one file a split.

    python scripts/convert_pendigits.py --tra pendigits-orig.tra --tes pendigits-orig.tes --out build/handwriting

Writes OUT/pendigits-train.jsonl.gz (30 writers, training) and
OUT/pendigits-test.jsonl.gz (14 other writers, measuring only), of the files
given. The files come from https://archive.ics.uci.edu/dataset/81
(`pendigits-orig.tra.Z`, `pendigits-orig.tes.Z`, as they are or decompressed).
scripts/build_model.py converts them from UCI's zip itself.
"""

from __future__ import annotations

import argparse
import sys

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.runtime.cli import check_input_files, check_split_files, run_interruptibly

SPLITS = {"tra": "train", "tes": "test"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tra", help="pendigits-orig.tra or .tra.Z (30 writers)")
    parser.add_argument("--tes", help="pendigits-orig.tes or .tes.Z (14 other writers)")
    parser.add_argument("--out", default="build/handwriting", help="folder to write the two stroke files into")
    parser.add_argument("--seed", type=int, default=81, help="seed of the placement on the canvas")
    args = parser.parse_args(argv)
    if not (args.tra or args.tes):
        parser.error("give --tra FILE and/or --tes FILE")
    check_input_files([("--tra", args.tra), ("--tes", args.tes)])
    given = tuple(split for file, split in SPLITS.items() if getattr(args, file))
    outs = check_split_files(args.out, "pendigits", megabytes=10, parts=given)

    def work() -> int:
        from model.recipe.handwriting import fit_to_canvas, read_pendigits
        from model.recipe.sources import split_rng
        from model.runtime.strokes import write_drawings

        for file, split in SPLITS.items():
            path = getattr(args, file)
            if path is None:
                continue
            rng = split_rng(args.seed, split)  # as scripts/build_model.py places them
            drawings = [fit_to_canvas(d, rng) for d in read_pendigits(path, split)]
            out = outs[split]
            write_drawings(out, drawings)
            writers = len({d.writer for d in drawings})
            print(f"wrote {len(drawings)} digits by {writers} writers to {out}")
        return 0

    return run_interruptibly(work, nothing_written="nothing written")


if __name__ == "__main__":
    sys.exit(main())
