"""Measure a model on MNIST and on real stroke drawings, as the app sees them.

    python scripts/evaluate.py --mnist ../shared/data/mnist.npz \
        --strokes ../shared/data/unipen_digits_sample.jsonl.gz --pipeline both --json

Stroke drawings are drawn by the app's own renderer and passed through the
chosen input pipeline(s), so the figures are what the app does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from model.data import load_mnist  # noqa: E402
from model.engines import DEFAULT_PATHS, ENGINES, engine_for_path, load_engine  # noqa: E402
from model.errors import DataError, ModelFileError  # noqa: E402
from model.evaluation import confusion_matrix, evaluate_inputs, per_class_accuracy, write_report  # noqa: E402
from model.pipelines import PIPELINE_TITLES, PIPELINES, to_model_input  # noqa: E402
from model.strokes import read_drawings  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model file (default: the shipped model for the engine)")
    parser.add_argument("--engine", choices=ENGINES,
                        help="keras (.keras) or coreml (.mlmodel); default: from --model's suffix, else keras")
    parser.add_argument("--mnist", metavar="NPZ", help="mnist.npz: accuracy on its test set")
    parser.add_argument("--strokes", metavar="FILE", help="stroke drawings (.jsonl or .jsonl.gz)")
    parser.add_argument("--pipeline", choices=[*PIPELINES, "both"], default="both")
    parser.add_argument("--report", metavar="DIR", help="write confusion matrices and misclassified grids here")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    if not args.mnist and not args.strokes:
        parser.error("give --mnist NPZ and/or --strokes FILE")
    args.engine = args.engine or (engine_for_path(args.model) if args.model else "keras")
    args.model = args.model or str(DEFAULT_PATHS[args.engine])
    return args


def render_drawings(drawings, pipelines):
    from desktop_app.render import render_strokes

    inputs = {pipeline: np.zeros((len(drawings), 28, 28), np.float32) for pipeline in pipelines}
    for index, drawing in enumerate(drawings):
        bitmap = render_strokes(drawing.strokes)
        for pipeline in pipelines:
            inputs[pipeline][index] = to_model_input(bitmap, pipeline)
    return inputs


def main(argv=None) -> int:
    args = parse_args(argv)
    result: dict = {"model": args.model, "engine": args.engine}
    try:
        engine = load_engine(args.engine, args.model)
        if args.mnist:
            mnist = load_mnist(args.mnist)
            inputs = mnist.x_test.astype(np.float32) / 255.0
            labels = mnist.y_test.astype(np.int64)
            started = time.monotonic()
            predicted = evaluate_inputs(engine, inputs)
            accuracy = float((predicted == labels).mean())
            result["mnist_test_accuracy"] = round(accuracy, 4)
            result["mnist_test_count"] = int(len(labels))
            result["mnist_test_per_class"] = per_class_accuracy(confusion_matrix(labels, predicted))
            print(f"MNIST test: {accuracy:.4f} of {len(labels)} ({time.monotonic() - started:.1f} s)")
            if args.report:
                write_report(Path(args.report), "mnist-test", "MNIST test", inputs, labels, predicted)
        if args.strokes:
            drawings = read_drawings(args.strokes)
            unlabelled = [i for i, d in enumerate(drawings) if d.label is None]
            if unlabelled:
                raise DataError(f"{args.strokes}: drawing {unlabelled[0] + 1} has no 'label' to score against")
            labels = np.array([d.label for d in drawings])
            pipelines = list(PIPELINES) if args.pipeline == "both" else [args.pipeline]
            started = time.monotonic()
            inputs = render_drawings(drawings, pipelines)
            result["strokes_accuracy"], result["strokes_per_class"] = {}, {}
            for pipeline in pipelines:
                predicted = evaluate_inputs(engine, inputs[pipeline])
                accuracy = float((predicted == labels).mean())
                result["strokes_accuracy"][pipeline] = round(accuracy, 4)
                result["strokes_per_class"][pipeline] = per_class_accuracy(confusion_matrix(labels, predicted))
                print(f"strokes, {PIPELINE_TITLES[pipeline]} pipeline: {accuracy:.4f} of {len(labels)}")
                if args.report:
                    write_report(Path(args.report), f"strokes-{pipeline}",
                                 f"Real drawings, {PIPELINE_TITLES[pipeline]}", inputs[pipeline], labels, predicted)
            result["strokes_count"] = len(drawings)
            print(f"({len(drawings)} drawings rendered and scored in {time.monotonic() - started:.1f} s)")
    except (DataError, ModelFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.report:
        print(f"report written to {args.report}")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
