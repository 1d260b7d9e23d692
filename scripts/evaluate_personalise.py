"""Measure personalising as a user would: each writer teaches one drawing of each digit.

    python scripts/evaluate_personalise.py --strokes build/handwriting/pendigits-test.jsonl.gz \
        --mnist ../shared/data/mnist.npz --json

For every writer of the stroke file (its `writer` field), the first drawing of
each digit is taught with the update scripts/personalise.py runs (the model's
own, or the project's default), and the writer's other drawings are read by
the base model and by the personal one (the base model when the guard refused
it). Reports errors before and after, writers made worse, and MNIST's test set
through each personal model (model/recipe/measure.py).
"""

from __future__ import annotations

import argparse
import json
import sys

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.runtime.cli import add_pipeline_option, run_interruptibly
from model.runtime.paths import DEFAULT_COREML_MODEL


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(DEFAULT_COREML_MODEL), help="the base .mlmodel (default: shipped)")
    parser.add_argument("--strokes", metavar="FILE", required=True, nargs="+",
                        help="labelled stroke drawings with a 'writer' each (.jsonl or .jsonl.gz)")
    parser.add_argument("--mnist", metavar="NPZ", help="mnist.npz: its test set through each personal model")
    parser.add_argument("--taught-per-digit", type=int, default=1, help="drawings of each digit taught")
    add_pipeline_option(parser, default="phone")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    if args.taught_per_digit < 1:
        parser.error(f"--taught-per-digit {args.taught_per_digit}: teach at least one drawing of each digit")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)

    def work() -> int:
        from desktop_app.render import render_strokes
        from model.recipe.measure import personalise_writers
        from model.runtime.strokes import read_drawings

        drawings = [drawing for path in args.strokes for drawing in read_drawings(path)]
        result = personalise_writers(args.model, drawings, args.pipeline, render_strokes,
                                     args.mnist, args.taught_per_digit)
        if args.json:
            print(json.dumps(result))
        return 0

    return run_interruptibly(work, nothing_written="nothing written")


if __name__ == "__main__":
    sys.exit(main())
