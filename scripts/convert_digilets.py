"""Convert DigiLeTs (111 writers' digits and letters; no license file, so
measured only, never trained on) into the shared stroke format.

    git clone https://github.com/CognitiveModeling/DigiLeTs build/DigiLeTs
    python scripts/convert_digilets.py --data build/DigiLeTs/data/raw --out build/handwriting

Writes OUT/digilets-digits.jsonl.gz (labelled) and OUT/digilets-letters.jsonl.gz
(the letters no reader takes for a digit, unlabelled), each drawing placed on
the canvas as pendigits' and UJI's are.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.runtime.cli import check_split_files, fail, run_interruptibly


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="DigiLeTs' data/raw folder (one file a writer, in subfolders)")
    parser.add_argument("--out", default="build/handwriting", help="folder to write the two stroke files into")
    parser.add_argument("--seed", type=int, default=62, help="seed of the placement on the canvas")
    args = parser.parse_args(argv)
    folder = Path(args.data)
    if not folder.is_dir():
        return fail(f"--data {folder}: no such folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name[:3].isdigit() and "_info" not in p.name)
    if not files:
        return fail(f"--data {folder}: holds no DigiLeTs writer files (NNN-g-age-hand_date)")
    outs = check_split_files(args.out, "digilets", megabytes=20, parts=("digits", "letters"))

    def work() -> int:
        import numpy as np

        from model.recipe.handwriting import fit_to_canvas, read_digilets
        from model.runtime.strokes import write_drawings

        rng = np.random.default_rng(args.seed)
        found: dict[str, list] = {kind: [] for kind in outs}
        for path in files:
            for kind, drawings in zip(found, read_digilets(path), strict=True):
                found[kind].extend(fit_to_canvas(d, rng) for d in drawings)
        for kind, out in outs.items():
            write_drawings(out, found[kind])
            print(f"wrote {len(found[kind])} {kind} by {len({d.writer for d in found[kind]})} writers to {out}")
        return 0

    return run_interruptibly(work, nothing_written="nothing written")


if __name__ == "__main__":
    sys.exit(main())
