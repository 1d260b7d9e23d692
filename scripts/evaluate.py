"""Measure a model on MNIST and on real stroke drawings, as the app sees them.

    python scripts/evaluate.py --mnist ../shared/data/mnist.npz \
        --strokes ../shared/data/unipen_digits_sample.jsonl.gz --pipeline both --json

Stroke drawings are drawn by the app's own renderer and passed through the
chosen input pipeline(s), so the figures are what the app does. Accuracy is the
phone's answer (the top class) over labelled drawings; "not_a_digit" is the
fraction of all drawings the model's threshold calls no digit. With
--compare-model, "agreement" is the fraction of drawings both models give the
same top class.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.cli import check_writable_folder, run_interruptibly
from model.engines import DEFAULT_ENGINE, ENGINES, PRECISIONS, engine_for_path
from model.pipelines import PIPELINE_ALIASES, PIPELINES

# Keys reported under their pre-2.0 names as well, for one more release.
LEGACY_PIPELINE_KEYS = {new: old for old, new in PIPELINE_ALIASES.items()}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model file (default: the shipped model for the engine)")
    parser.add_argument("--engine", choices=ENGINES,
                        help="coreml (.mlmodel) or keras (.keras); default: from --model's suffix, else coreml")
    parser.add_argument("--compare-model", metavar="PATH", help="a second model: report how often they agree")
    parser.add_argument("--precision", choices=PRECISIONS, default="float32",
                        help="float16: run Core ML models as a phone's Neural Engine and GPU do, and report how "
                             "far that moves the answers from float32")
    parser.add_argument("--mnist", metavar="NPZ", help="mnist.npz: accuracy on its test set")
    parser.add_argument("--strokes", metavar="FILE",
                        help="stroke drawings (.jsonl or .jsonl.gz), labelled digits or drawings that are no digit")
    parser.add_argument("--pipeline", choices=[*PIPELINES, *PIPELINE_ALIASES, "both"], default="both",
                        help="phone, centred or both (ios and mnist are the old names)")
    parser.add_argument("--skip-blank", action="store_true",
                        help="skip (and count) drawings with no ink on the canvas instead of failing")
    parser.add_argument("--report", metavar="DIR", help="write confusion matrices and misread inputs here")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    if not args.mnist and not args.strokes:
        parser.error("give --mnist NPZ and/or --strokes FILE")
    try:
        args.engine = args.engine or (engine_for_path(args.model) if args.model else DEFAULT_ENGINE)
        args.compare_engine = engine_for_path(args.compare_model) if args.compare_model else None
    except Exception as error:
        parser.error(str(error))
    args.model = args.model or str(ENGINES[args.engine].default_path)
    args.pipelines = list(PIPELINES) if args.pipeline == "both" else [PIPELINE_ALIASES.get(args.pipeline,
                                                                                           args.pipeline)]
    return args


def render_drawings(drawings, pipelines, where: str, skip_blank: bool):
    """Model inputs per pipeline for every drawing with ink; the indices kept."""
    import numpy as np

    from desktop_app.render import render_strokes
    from model.errors import DataError
    from model.pipelines import is_blank, to_model_input

    inputs = {pipeline: [] for pipeline in pipelines}
    kept = []
    for index, drawing in enumerate(drawings):
        bitmap = render_strokes(drawing.on_phone_canvas())
        if is_blank(bitmap):
            if not skip_blank:
                raise DataError(f"{where}:{drawing.line}: nothing drawn on the canvas "
                                "(use --skip-blank to skip such drawings)")
            continue
        kept.append(index)
        for pipeline in pipelines:
            inputs[pipeline].append(to_model_input(bitmap, pipeline))
    return {p: np.array(v, np.float32).reshape(-1, 28, 28) for p, v in inputs.items()}, kept


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.report:
        check_writable_folder(Path(args.report), "--report", megabytes=5)

    def work() -> int:
        import numpy as np

        from model.data import load_mnist
        from model.engines import load_engine
        from model.evaluation import ReportSet, confusion_matrix, per_class_accuracy, probabilities_of, write_report
        from model.strokes import read_drawings
        from model.verdict import not_a_digit_mask

        result: dict = {"model": args.model, "engine": args.engine}
        engine = load_engine(args.engine, args.model, args.precision)
        other = load_engine(args.compare_engine, args.compare_model, args.precision) if args.compare_model else None
        exact = load_engine(args.engine, args.model) if args.precision != "float32" else None
        result["precision"] = args.precision

        def precision_effect(inputs, probabilities) -> dict:
            """How far float16 moves the answers from float32."""
            reference = probabilities_of(exact, inputs)
            return {"max_abs_probability_change": round(float(np.abs(probabilities - reference).max()), 6),
                    "top_class_changes": round(float((probabilities.argmax(1) != reference.argmax(1)).mean()), 5)}

        if other is not None:
            result["compare_model"] = args.compare_model
        report = ReportSet(Path(args.report)) if args.report else None
        if args.mnist:
            mnist = load_mnist(args.mnist, option="--mnist")
            inputs = mnist.x_test.astype(np.float32) / 255.0
            labels = mnist.y_test.astype(np.int64)
            started = time.monotonic()
            probabilities = probabilities_of(engine, inputs)
            predicted = probabilities.argmax(axis=1)
            accuracy = float((predicted == labels).mean())
            result["mnist_test_accuracy"] = round(accuracy, 4)
            if exact is not None:
                result["mnist_test_precision_effect"] = precision_effect(inputs, probabilities)
            result["mnist_test_count"] = int(len(labels))
            result["mnist_test_per_class"] = per_class_accuracy(confusion_matrix(labels, predicted))
            print(f"MNIST test: {accuracy:.4f} of {len(labels)} ({time.monotonic() - started:.1f} s)")
            if report:
                write_report(report, "mnist-test", "MNIST test", inputs, labels, predicted)
        if args.strokes:
            drawings = read_drawings(args.strokes)
            started = time.monotonic()
            inputs, kept = render_drawings(drawings, args.pipelines, args.strokes, args.skip_blank)
            labels = np.array([-1 if drawings[i].label is None else drawings[i].label for i in kept])
            labelled = labels >= 0
            for key in ("strokes_accuracy", "strokes_per_class", "not_a_digit", "agreement", "precision_effect"):
                result[key] = {}
            for pipeline in args.pipelines:
                probabilities = probabilities_of(engine, inputs[pipeline])
                predicted = probabilities.argmax(axis=1)
                rejected = not_a_digit_mask(probabilities, engine.not_a_digit_below)
                result["not_a_digit"][pipeline] = round(float(rejected.mean()), 4) if len(kept) else None
                if exact is not None:
                    result["precision_effect"][pipeline] = precision_effect(inputs[pipeline], probabilities)
                title = f"{args.strokes}, {pipeline} pipeline"
                line = f"{title}: not a digit {rejected.mean():.4f} of {len(kept)}"
                if labelled.any():
                    accuracy = float((predicted[labelled] == labels[labelled]).mean())
                    result["strokes_accuracy"][pipeline] = round(accuracy, 4)
                    result["strokes_per_class"][pipeline] = per_class_accuracy(
                        confusion_matrix(labels[labelled], predicted[labelled]))
                    line = f"{title}: accuracy {accuracy:.4f} of {int(labelled.sum())}; " + line.split(": ", 1)[1]
                if other is not None:
                    other_predicted = probabilities_of(other, inputs[pipeline]).argmax(axis=1)
                    same = predicted == other_predicted
                    result["agreement"][pipeline] = round(float(same.mean()), 4)
                    line += f"; models agree on {same.mean():.4f}"
                    if report:
                        report.grid(f"disagreements-{pipeline}", f"{pipeline}: {Path(args.model).name} vs "
                                    f"{Path(args.compare_model).name}", inputs[pipeline], np.flatnonzero(~same),
                                    [f"{a} / {b}" for a, b in zip(predicted, other_predicted, strict=True)])
                print(line)
                if report:
                    if labelled.any():
                        write_report(report, f"strokes-{pipeline}", f"Real drawings, {pipeline} pipeline",
                                     inputs[pipeline][labelled], labels[labelled], predicted[labelled])
                    accepted = np.flatnonzero(~labelled & ~rejected)
                    rejected_digits = np.flatnonzero(labelled & rejected)
                    answers = [str(d) for d in predicted]
                    report.grid(f"accepted-not-digits-{pipeline}", f"{pipeline}: no digit, read as a digit",
                                inputs[pipeline], accepted, answers)
                    report.grid(f"rejected-digits-{pipeline}", f"{pipeline}: digits called not a digit",
                                inputs[pipeline], rejected_digits,
                                [f"{labels[i]}: {probabilities[i].max():.2f}" for i in range(len(labels))])
            for new, old in LEGACY_PIPELINE_KEYS.items():
                if new in result["strokes_accuracy"]:
                    result["strokes_accuracy"][old] = result["strokes_accuracy"][new]
            for key in ("strokes_accuracy", "strokes_per_class", "agreement", "precision_effect"):
                if not result[key]:
                    del result[key]
            result["strokes_count"] = len(drawings)
            result["strokes_labelled"] = int(labelled.sum())
            result["strokes_blank_skipped"] = len(drawings) - len(kept)
            print(f"({len(kept)} drawings rendered and scored in {time.monotonic() - started:.1f} s"
                  + (f", {len(drawings) - len(kept)} blank ones skipped)" if len(kept) < len(drawings) else ")"))
        if report:
            report.commit()
            print(f"report written to {args.report}")
        if args.json:
            print(json.dumps(result))
        return 0

    return run_interruptibly(work, nothing_written="no report written" if args.report else "nothing written")


if __name__ == "__main__":
    sys.exit(main())
