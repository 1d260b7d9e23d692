"""Convert the original pen trajectories of UCI's Pen-Based Recognition of
Handwritten Digits (CC BY 4.0) into the shared stroke format, one file a split.

    python scripts/convert_pendigits.py --tra pendigits-orig.tra --tes pendigits-orig.tes --out build/handwriting

Writes OUT/pendigits-train.jsonl.gz (30 writers, training) and
OUT/pendigits-test.jsonl.gz (14 other writers, measuring only). The files come
from https://archive.ics.uci.edu/dataset/81 (`pendigits-orig.tra.Z`,
`pendigits-orig.tes.Z`, decompressed with `gzip -d`).
"""

from __future__ import annotations

import argparse
import sys

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.runtime.cli import check_split_files, run_interruptibly

SPLITS = {"tra": "train", "tes": "test"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tra", required=True, help="pendigits-orig.tra (30 writers)")
    parser.add_argument("--tes", required=True, help="pendigits-orig.tes (14 other writers)")
    parser.add_argument("--out", default="build/handwriting", help="folder to write the two stroke files into")
    parser.add_argument("--seed", type=int, default=81, help="seed of the placement on the canvas")
    args = parser.parse_args(argv)
    outs = check_split_files(args.out, "pendigits", megabytes=10)

    def work() -> int:
        import numpy as np

        from model.recipe.handwriting import fit_to_canvas, read_pendigits
        from model.runtime.strokes import write_drawings

        rng = np.random.default_rng(args.seed)
        for file, split in SPLITS.items():
            drawings = [fit_to_canvas(d, rng) for d in read_pendigits(getattr(args, file), split)]
            out = outs[split]
            write_drawings(out, drawings)
            writers = len({d.writer for d in drawings})
            print(f"wrote {len(drawings)} digits by {writers} writers to {out}")
        return 0

    return run_interruptibly(work, nothing_written="nothing written")


if __name__ == "__main__":
    sys.exit(main())
