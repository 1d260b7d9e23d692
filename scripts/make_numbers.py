"""Build numbers of 2 to 8 digits from a file of single digits, to measure the
number mode.

    python scripts/make_numbers.py --strokes ../shared/data/unipen_digits_sample.jsonl.gz --out build/numbers.jsonl.gz --seed 1

Each number is one writer's digits at one height on one slanted baseline, with
gaps from overlapping to wide (model/recipe/number_drawings.py says what such
numbers can and cannot tell). A line per number: its canvas, its label (the
digits), its writer, the strokes of each digit in order ("digits") and the gaps.
With --marks FILE (drawings that are no digit, such as letters), one of them is
put among each number's digits and the number is left unlabelled; with --joined,
two neighbouring digits of each are written in one stroke ("joined_at": the left
one), as a writer joins them. Built from UNIPEN's sample, for measuring only:
never train or tune on it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.runtime.cli import check_input_files, check_writable_file, non_negative_int, positive_int, run_interruptibly


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strokes", required=True, help="single labelled digits with their writers (.jsonl[.gz])")
    parser.add_argument("--out", required=True, help="the numbers to write (.jsonl or .jsonl.gz)")
    parser.add_argument("--seed", type=non_negative_int, default=1)
    parser.add_argument("--count", type=positive_int, default=1000, help="how many numbers")
    parser.add_argument("--marks", help="drawings that are no digit: one among each number's digits")
    parser.add_argument("--joined", action="store_true",
                        help="two neighbouring digits of each number written in one stroke, as a writer joins them")
    args = parser.parse_args(argv)
    if not args.out.endswith((".jsonl", ".jsonl.gz")):
        parser.error(f"--out {args.out}: a file of numbers is .jsonl or .jsonl.gz")
    check_input_files([("--strokes", args.strokes), ("--marks", args.marks)])
    for option, given in (("--strokes", args.strokes), ("--marks", args.marks)):
        if given and Path(given).resolve() == Path(args.out).resolve():
            parser.error(f"--out {args.out}: is the {option} file itself; write the numbers elsewhere")
    check_writable_file(Path(args.out), "--out", megabytes=50)

    def work() -> int:
        import numpy as np

        from model.errors import DataError
        from model.recipe.number_drawings import UNSETTABLE, build_numbers, settable
        from model.runtime.strokes import read_drawings, write_records

        def settable_drawings(path: str) -> list:
            """The drawings of `path` that can be set in a number; each one left out is named (a real file may
            hold a digit drawn as a flat line: it should not cost the whole file)."""
            kept = []
            for drawing in read_drawings(path):
                if settable(drawing):
                    kept.append(drawing)
                else:
                    print(f"{path}:{drawing.line}: left out: {UNSETTABLE}", file=sys.stderr)
            return kept

        marks = settable_drawings(args.marks) if args.marks else []
        if args.marks and not marks:
            raise DataError(f"{args.marks}: no drawing in it can be set in a number")
        numbers = build_numbers(settable_drawings(args.strokes), args.count, np.random.default_rng(args.seed), marks,
                                where=args.strokes, joined=args.joined, marks_where=args.marks)
        write_records(args.out, numbers)
        lengths = [len(n["gaps"]) + 1 for n in numbers]
        print(f"wrote {len(numbers)} numbers of {min(lengths)} to {max(lengths)} marks to {args.out}")
        return 0

    return run_interruptibly(work, nothing_written=f"{args.out} not written")


if __name__ == "__main__":
    sys.exit(main())
