"""Write drawings that are no digit (letters, symbols, doodles, scribbles) as a
stroke file, to measure how often a model calls them "not a digit".

    python scripts/make_not_digits.py --count 2000 --seed 2026 --out build/not_digits.jsonl.gz
    python scripts/make_not_digits.py --kind held-out-letters --out build/held_out_letters.jsonl.gz

`generated`: the training generator's families (letters, symbols, doodles,
scribbles, blobs); the seed must differ from training's (its drawings come
from seed 1), so these are drawings the model never saw. `held-out-letters`:
stroke-font letters (script, cursive, gothic...) of the half that training
never draws, to measure letters the model never saw in those forms.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.runtime.cli import check_writable_file, positive_int, run_interruptibly

KINDS = {"generated": "generated not a digit", "held-out-letters": "stroke-font letter, held out"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=KINDS, default="generated")
    parser.add_argument("--count", type=positive_int, default=2000)
    parser.add_argument("--seed", type=positive_int, default=2026)
    parser.add_argument("--out", required=True, help="stroke file to write (.jsonl or .jsonl.gz)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    check_writable_file(out, "--out")

    def work() -> int:
        from model.recipe.synthesis import held_out_letter_drawings, not_digit_drawings
        from model.runtime.strokes import Drawing, write_drawings

        make = not_digit_drawings if args.kind == "generated" else held_out_letter_drawings
        write_drawings(out, [Drawing(strokes, writer=KINDS[args.kind]) for strokes in make(args.count, args.seed)])
        print(f"wrote {args.count} drawings to {out}")
        return 0

    return run_interruptibly(work, nothing_written=f"{out} not written")


if __name__ == "__main__":
    sys.exit(main())
