"""Convert the digits of UJI Pen Characters v2 (CC BY 4.0), as the NumberPad
project keeps them, into the shared stroke format, one file a split.

    python scripts/convert_uji.py --json ujipenchars2.json --out build/handwriting

Writes OUT/uji-train.jsonl.gz (36 writers, training) and OUT/uji-test.jsonl.gz
(24 other writers, measuring only). The file is `Data/ujipenchars2.json` of
https://github.com/bridger/NumberPad (commit de2f228): UCI's dataset 177
(https://archive.ics.uci.edu/dataset/177) with its digits only.
"""

from __future__ import annotations

import argparse
import sys

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.runtime.cli import check_input_files, check_split_files, run_interruptibly


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", required=True, help="NumberPad's Data/ujipenchars2.json (60 writers' digits)")
    parser.add_argument("--out", default="build/handwriting", help="folder to write the two stroke files into")
    parser.add_argument("--seed", type=int, default=177, help="seed of the placement on the canvas")
    args = parser.parse_args(argv)
    check_input_files([("--json", args.json)])
    outs = check_split_files(args.out, "uji", megabytes=10)

    def work() -> int:
        import numpy as np

        from model.recipe.handwriting import fit_to_canvas, read_uji_digits
        from model.runtime.strokes import write_drawings

        rng = np.random.default_rng(args.seed)
        for split, out in outs.items():
            drawings = [fit_to_canvas(d, rng) for d in read_uji_digits(args.json, split)]
            write_drawings(out, drawings)
            print(f"wrote {len(drawings)} digits by {len({d.writer for d in drawings})} writers to {out}")
        return 0

    return run_interruptibly(work, nothing_written="nothing written")


if __name__ == "__main__":
    sys.exit(main())
