"""Measure a model on MNIST and on real stroke drawings, as the app sees them.

    python scripts/evaluate.py --mnist ../shared/data/mnist.npz \
        --strokes ../shared/data/unipen_digits_sample.jsonl.gz --pipeline both --json

Stroke drawings are drawn by the app's own renderer and passed through the
chosen input pipeline(s), so the figures are what the app does. Accuracy is the
phone's answer (the top class) over labelled drawings; "not_a_digit" is the
fraction of all drawings the model's threshold calls no digit;
"confidently_wrong" the fraction of labelled drawings read wrong with a top
probability of 0.9 or more. With --compare-model, "agreement" is the fraction
of drawings both models give the same top class (model/recipe/measure.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.runtime.cli import (
    add_pipeline_option,
    add_shrink_option,
    check_writable_file,
    check_writable_folder,
    run_interruptibly,
)
from model.runtime.engines import DEFAULT_ENGINE, ENGINES, PRECISIONS, engine_for_path, engine_help
from model.runtime.pipelines import DEFAULT_SHRINK, PIPELINES


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model file (default: the shipped model for the engine)")
    parser.add_argument("--engine", choices=ENGINES, help=engine_help() + "; default: from --model's suffix")
    parser.add_argument("--compare-model", metavar="PATH", help="a second model: report how often they agree")
    parser.add_argument("--precision", choices=PRECISIONS, default="float32",
                        help="float16: run Core ML models as a phone's Neural Engine and GPU do, and report how "
                             "far that moves the answers from float32")
    parser.add_argument("--mnist", metavar="NPZ", help="mnist.npz: accuracy on its test set")
    parser.add_argument("--strokes", metavar="FILE",
                        help="stroke drawings (.jsonl or .jsonl.gz), labelled digits or drawings that are no digit")
    parser.add_argument("--numbers", metavar="FILE",
                        help="number drawings (.jsonl or .jsonl.gz, from scripts/make_numbers.py or saved in the "
                             "number mode), read as the number mode reads them: numbers, digits and splits read "
                             "right, 'not sure' and 'not a digit' shares")
    parser.add_argument("--images", nargs="+", metavar="IMAGE",
                        help="pictures read as the app opens them: a screenshot of the phone app as its canvas "
                             "alone, any other picture for its ink; a name that starts with one digit (7.png, "
                             "7-iphone8.png) is that digit's picture and counts towards images_accuracy")
    add_pipeline_option(parser, both=True, default="both")
    add_shrink_option(parser, every=True, default=DEFAULT_SHRINK)
    parser.add_argument("--skip-blank", action="store_true",
                        help="skip (and count) drawings with no ink on the canvas instead of failing")
    parser.add_argument("--report", metavar="DIR", help="write confusion matrices and misread inputs here")
    parser.add_argument("--answers", metavar="FILE",
                        help="write each drawing of --strokes with its answers here (.jsonl, a line per drawing: "
                             "its line and label, and per pipeline the phone's classLabel, the ten probabilities "
                             "and the desktop's verdict), to hold against a phone's answers drawing by drawing")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    for alone in ("numbers", "images"):
        if getattr(args, alone) and (args.mnist or args.strokes or args.compare_model or args.report
                                     or (args.numbers and args.images)):
            parser.error(f"--{alone} is measured alone: without --mnist, --strokes, --numbers, --images, "
                         "--compare-model and --report")
    if not args.mnist and not args.strokes and not args.numbers and not args.images:
        parser.error("give --mnist NPZ and/or --strokes FILE, or --numbers FILE, or --images IMAGE...")
    if args.answers and not (args.strokes or args.numbers or args.images):
        parser.error("--answers needs --strokes FILE, --numbers FILE or --images IMAGE...")
    if args.shrink == "all" and args.answers:
        parser.error("--answers holds one shrink's answers: give --shrink NAME, not all")
    for option, given in (("--strokes", args.strokes), ("--model", args.model), ("--mnist", args.mnist),
                          ("--numbers", args.numbers), *(("--images", image) for image in args.images or ())):
        if args.answers and given and Path(given).resolve() == Path(args.answers).resolve():
            parser.error(f"--answers {args.answers}: is the {option} file itself; write the answers elsewhere")
    try:
        args.engine = args.engine or (engine_for_path(args.model) if args.model else DEFAULT_ENGINE)
        args.compare_engine = engine_for_path(args.compare_model) if args.compare_model else None
    except Exception as error:
        parser.error(str(error))
    args.model = args.model or str(ENGINES[args.engine].default_path)
    args.pipelines = list(PIPELINES) if args.pipeline == "both" else [args.pipeline]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.report:
        check_writable_folder(Path(args.report), "--report", megabytes=5)
    if args.answers:
        check_writable_file(Path(args.answers), "--answers", megabytes=50)

    def work() -> int:
        from desktop_app.render import render_strokes
        from model.recipe.measure import measure, measure_images, measure_numbers

        result = (measure_images(args) if args.images else
                  (measure_numbers if args.numbers else measure)(args, render_strokes))
        if args.json:
            print(json.dumps(result))
        return 0

    written = [what for what, given in (("no report", args.report), ("no answers", args.answers)) if given]
    return run_interruptibly(work, nothing_written=" and ".join(written) + " written" if written else "nothing written")


if __name__ == "__main__":
    sys.exit(main())
