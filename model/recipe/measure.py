"""What `scripts/evaluate.py` reports: a model on MNIST's test set and on stroke
drawings, drawn by the app's renderer and passed through the app's pipelines,
so the figures are what the app does. Accuracy is the phone's answer (the top
class) over labelled drawings; "not_a_digit" is the share of all drawings the
model's threshold calls no digit; "confidently_wrong" the share of labelled
drawings read wrong with a top probability of CONFIDENT or more; with a second
model, "agreement" is the share both give the same top class."""

from __future__ import annotations

import json
import re
import time
from argparse import Namespace
from collections.abc import Callable
from pathlib import Path

import numpy as np

from model.atomic import write_text_atomic
from model.errors import DataError
from model.recipe.data import load_mnist
from model.recipe.evaluation import ReportSet, confusion_matrix, per_class_accuracy, probabilities_of, write_report
from model.runtime.cli import LEGACY_PIPELINE_NAMES
from model.runtime.engines import load_engine, not_a_digit_below
from model.runtime.pipelines import DEFAULT_SHRINK, SHRINKS, is_blank, to_model_input
from model.runtime.strokes import OFF_CANVAS, parse_drawing_record, read_drawings
from model.runtime.verdict import judge, not_a_digit_mask

CONFIDENT = 0.9


def answer_of(digit: int, verdict: str, probabilities) -> dict:
    """One reading as --answers writes it: the phone's classLabel, the desktop's verdict, the ten probabilities."""
    return {"classLabel": str(digit), "verdict": verdict, "probabilities": [round(float(p), 6) for p in probabilities]}


def render_drawings(drawings, pipelines, where: str, skip_blank: bool, render, shrinks=(DEFAULT_SHRINK,)):
    """Model inputs per pipeline for every drawing with ink, and the indices kept. The phone pipeline's
    inputs are made by the first of `shrinks`; the others' are under "phone/SHRINK" (when the phone
    pipeline is measured)."""
    keys = [*pipelines, *(f"phone/{shrink}" for shrink in shrinks[1:] if "phone" in pipelines)]
    inputs = {key: [] for key in keys}
    kept = []
    for index, drawing in enumerate(drawings):
        bitmap = render(drawing.on_phone_canvas())
        if is_blank(bitmap):
            if not skip_blank:
                why = f" ({OFF_CANVAS})" if drawing.off_canvas else ""
                raise DataError(f"{where}:{drawing.line}: nothing drawn on the canvas{why} "
                                "(use --skip-blank to skip such drawings)")
            continue
        kept.append(index)
        for key in keys:
            pipeline, _, shrink = key.partition("/")
            inputs[key].append(to_model_input(bitmap, pipeline, shrink or shrinks[0]))
    return {p: np.array(v, np.float32).reshape(-1, 28, 28) for p, v in inputs.items()}, kept


def measure(args: Namespace, render: Callable, log: Callable[[str], None] = print) -> dict:
    """The figures for evaluate.py's options (`args`), as one JSON-ready dict."""
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
        log(f"MNIST test: {accuracy:.4f} of {len(labels)} ({time.monotonic() - started:.1f} s)")
        if report:
            write_report(report, "mnist-test", "MNIST test", inputs, labels, predicted)
    if args.strokes:
        drawings = read_drawings(args.strokes)
        started = time.monotonic()
        # --shrink all: the phone pipeline's figures by the default shrink, and each other shrink beside them.
        shrinks = list(SHRINKS) if args.shrink == "all" else [args.shrink]
        result["shrink"] = shrinks[0]
        inputs, kept = render_drawings(drawings, args.pipelines, args.strokes, args.skip_blank, render, shrinks)
        labels = np.array([-1 if drawings[i].label is None else drawings[i].label for i in kept])
        labelled = labels >= 0
        for key in ("strokes_accuracy", "strokes_per_class", "confidently_wrong", "not_a_digit", "agreement",
                    "precision_effect"):
            result[key] = {}
        per_drawing = [{"line": drawings[i].line, "label": drawings[i].label} for i in kept]
        for pipeline in args.pipelines:
            probabilities = probabilities_of(engine, inputs[pipeline])
            predicted = probabilities.argmax(axis=1)
            rejected = not_a_digit_mask(probabilities, not_a_digit_below(engine, pipeline))
            if args.answers:  # a verdict per drawing only when they are written
                for answer, row in zip(per_drawing, probabilities, strict=True):
                    verdict = judge(row, not_a_digit_below(engine, pipeline))
                    answer[pipeline] = answer_of(verdict.digit, verdict.kind, row)
                    if pipeline == "phone":
                        answer[pipeline]["shrink"] = shrinks[0]
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
                wrong = (predicted != labels) & (probabilities.max(axis=1) >= CONFIDENT)
                result["confidently_wrong"][pipeline] = round(float(wrong[labelled].mean()), 4)
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
            log(line)
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
        if len(shrinks) > 1 and "phone" in args.pipelines:
            result["phone_shrinks"] = shrink_figures(engine, inputs, shrinks, labels, labelled, log)
        if args.answers:
            write_text_atomic(Path(args.answers), "".join(json.dumps(answer) + "\n" for answer in per_drawing))
            log(f"wrote {args.answers}: the answers for {len(per_drawing):,} drawings")
        for old, new in LEGACY_PIPELINE_NAMES.items():  # the pre-2.0 keys, until version 3.0
            if new in result["strokes_accuracy"]:
                result["strokes_accuracy"][old] = result["strokes_accuracy"][new]
        for key in ("strokes_accuracy", "strokes_per_class", "confidently_wrong", "agreement", "precision_effect"):
            if not result[key]:
                del result[key]
        result["strokes_count"] = len(drawings)
        result["strokes_labelled"] = int(labelled.sum())
        result["strokes_blank_skipped"] = len(drawings) - len(kept)
        log(f"({len(kept)} drawings rendered and scored in {time.monotonic() - started:.1f} s"
              + (f", {len(drawings) - len(kept)} blank ones skipped)" if len(kept) < len(drawings) else ")"))
    if report:
        report.commit()
        log(f"report written to {args.report}")
    return result


def shrink_figures(engine, inputs: dict, shrinks: list[str], labels: np.ndarray, labelled: np.ndarray,
                   log: Callable[[str], None]) -> dict:
    """The phone pipeline under each shrink: accuracy, confident errors, "not a digit", and how often its
    answer is the default shrink's."""
    threshold = not_a_digit_below(engine, "phone")
    default = probabilities_of(engine, inputs["phone"]).argmax(axis=1)
    figures = {}
    for shrink in shrinks:
        probabilities = probabilities_of(engine, inputs["phone" if shrink == shrinks[0] else f"phone/{shrink}"])
        predicted = probabilities.argmax(axis=1)
        figure = {"not_a_digit": round(float(not_a_digit_mask(probabilities, threshold).mean()), 4) if len(predicted)
                  else None, "agreement_with_default": round(float((predicted == default).mean()), 4)
                  if len(predicted) else None}
        if labelled.any():
            figure["accuracy"] = round(float((predicted[labelled] == labels[labelled]).mean()), 4)
            wrong = (predicted != labels) & (probabilities.max(axis=1) >= CONFIDENT)
            figure["confidently_wrong"] = round(float(wrong[labelled].mean()), 4)
        figures[shrink] = figure
        log(f"phone pipeline, {shrink} shrink: " + ", ".join(f"{key} {value}" for key, value in figure.items()))
    return figures


def personalise_writers(base: str, drawings, pipeline: str, render: Callable, mnist_npz: str | None = None,
                        taught_per_digit: int = 1, log: Callable[[str], None] = print) -> dict:
    """Issue 21's check: for each writer, personalise `base` on the first
    `taught_per_digit` drawings of each digit (as scripts/personalise.py does)
    and read the writer's other drawings before and after; with `mnist_npz`,
    the MNIST test set through each personal model."""
    import tempfile

    from model.coreml.runner import CoreMLModel
    from model.coreml.update import DEFAULT_RULE, Update, UpdateRule
    from model.runtime.personal import Example, model_inputs, personal_model_bytes, personalise

    by_writer: dict[str, list] = {}
    for drawing in drawings:
        if drawing.label is not None:
            by_writer.setdefault(drawing.writer or "", []).append(drawing)
    base_model = CoreMLModel(base)
    rule = UpdateRule.of(base_model) or DEFAULT_RULE
    head = Update(base_model, rule)
    mnist_features = mnist_labels = None
    if mnist_npz:
        mnist = load_mnist(mnist_npz, option="--mnist")
        mnist_features, mnist_labels = head.features(mnist.x_test), mnist.y_test.astype(np.int64)
    writers, seconds = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for name, own in sorted(by_writer.items()):
            taught, rest, counts = [], [], [0] * 10
            for drawing in own:
                chosen = counts[drawing.label] < taught_per_digit
                counts[drawing.label] += chosen
                (taught if chosen else rest).append(drawing)
            if not rest:
                continue
            examples = [Example(d.label, d.on_phone_canvas()) for d in taught]
            result = personalise(base, examples, pipeline, render)
            seconds.append(result.seconds)
            personal_path = Path(scratch) / "personal.mlmodel"
            personal_path.write_bytes(personal_model_bytes(result) if result.used else Path(base).read_bytes())
            personal = Update(CoreMLModel(personal_path), rule)
            rest_features = head.features(model_inputs([Example(d.label, d.on_phone_canvas()) for d in rest],
                                                       pipeline, render, name))
            truth = np.array([d.label for d in rest])
            before = int((head.forward(rest_features)[0].argmax(axis=1) != truth).sum())
            after = int((personal.forward(rest_features)[0].argmax(axis=1) != truth).sum())
            summary = result.summary()
            record = {"writer": name, "taught": len(taught), "measured": len(rest), "errors_before": before,
                      "errors_after": after, **{key: summary[key] for key in ("used", "nothing_to_learn",
                                                                             "general_before", "general_after")}}
            if mnist_features is not None:
                record["mnist_test_accuracy"] = round(float(
                    (personal.forward(mnist_features)[0].argmax(axis=1) == mnist_labels).mean()), 4)
            writers.append(record)
            log(f"{name}: {before} -> {after} errors of {len(rest)}"
                + (f", MNIST {record['mnist_test_accuracy']:.4f}" if mnist_features is not None else ""))
    before = sum(w["errors_before"] for w in writers)
    after = sum(w["errors_after"] for w in writers)
    summary = {"model": base, "pipeline": pipeline, "writers": len(writers),
               "measured": sum(w["measured"] for w in writers), "errors_before": before, "errors_after": after,
               "errors_removed": round(1 - after / before, 4) if before else None,
               "writers_worse": sum(w["errors_after"] > w["errors_before"] for w in writers),
               "writers_better": sum(w["errors_after"] < w["errors_before"] for w in writers),
               "writers_nothing_to_learn": sum(w["nothing_to_learn"] for w in writers),
               "personalise_s_median": round(float(np.median(seconds)), 3) if seconds else None,
               "per_writer": writers}
    if mnist_features is not None and writers:
        scores = [w["mnist_test_accuracy"] for w in writers]
        summary["mnist_test_accuracy_mean"] = round(float(np.mean(scores)), 4)
        summary["mnist_test_accuracy_worst"] = min(scores)
    return summary


def read_number_file(path: str) -> list[tuple]:
    """(drawing, stroke counts of its digits or None, gaps or None) for each number of a file."""
    def parse(text: str, where: str) -> tuple:
        drawing, record = parse_drawing_record(text, where, number=True)
        counts = record.get("digits")
        if counts is not None and (not isinstance(counts, list) or not all(isinstance(c, int) and c > 0
                                                                           for c in counts)
                                   or sum(counts) != len(drawing.strokes)):
            raise DataError(f"{where}: 'digits' must list how many strokes each digit has, "
                            f"{len(drawing.strokes)} in all")
        gaps = record.get("gaps")
        return drawing, counts, gaps if isinstance(gaps, list) else None

    return read_drawings(path, parse)


def image_label(path: str) -> int | None:
    """An image's label from its file name: one digit first, then no other ("7.png", "7-iphone8.png")."""
    match = re.match(r"(\d)(?!\d)", Path(path).name)
    return int(match.group(1)) if match else None


def measure_images(args: Namespace, log: Callable[[str], None] = print) -> dict:
    """evaluate.py --images: each picture read as the app opens it (a phone screenshot's canvas alone, any
    other picture for its ink), through each pipeline; accuracy over those labelled by their file name."""
    from model.runtime.engines import predict_bitmap
    from model.runtime.images import read_image

    engine = load_engine(args.engine, args.model, args.precision)
    shrink = DEFAULT_SHRINK if args.shrink == "all" else args.shrink
    result: dict = {"model": args.model, "engine": args.engine, "precision": args.precision, "shrink": shrink}
    answers = []
    for path in args.images:
        canvas, note = read_image(path)
        answer = {"image": path, "label": image_label(path), "phone_screenshot": bool(note)}
        for pipeline in args.pipelines:
            prediction = predict_bitmap(engine, canvas, pipeline, shrink)
            answer[pipeline] = answer_of(prediction.digit, prediction.verdict.kind, prediction.probabilities)
        log(f"{path}: {'its phone canvas' if note else 'its ink'}, read " + ", ".join(
            f"{answer[p]['classLabel']} ({answer[p]['verdict']}, {p})" for p in args.pipelines))
        answers.append(answer)
    labelled = [a for a in answers if a["label"] is not None]
    result["images_count"], result["images_labelled"] = len(answers), len(labelled)
    result["phone_screenshots"] = sum(a["phone_screenshot"] for a in answers)
    if labelled:
        result["images_accuracy"] = {p: round(sum(a[p]["classLabel"] == str(a["label"]) for a in labelled)
                                              / len(labelled), 4) for p in args.pipelines}
    if args.answers:
        write_text_atomic(Path(args.answers), "".join(json.dumps(answer) + "\n" for answer in answers))
        log(f"wrote {args.answers}: the answers for {len(answers):,} images")
    return result


def measure_numbers(args: Namespace, render: Callable, log: Callable[[str], None] = print) -> dict:
    """evaluate.py --numbers: how the number mode splits and reads each number, through each pipeline."""
    from model.runtime.engines import predict_bitmaps
    from model.runtime.numbers import on_number_canvas, read_number

    engine = load_engine(args.engine, args.model, args.precision)
    numbers = read_number_file(args.numbers)
    shrink = DEFAULT_SHRINK if args.shrink == "all" else args.shrink
    result: dict = {"model": args.model, "engine": args.engine, "precision": args.precision, "shrink": shrink,
                    "numbers_count": len(numbers), "numbers_labelled": sum(d.label is not None for d, _, _ in numbers)}
    answers = [{"line": drawing.line, "label": drawing.label} for drawing, _, _ in numbers]
    for pipeline in args.pipelines:
        started = time.monotonic()
        tally = NumberTally()
        for (drawing, counts, gaps), answer in zip(numbers, answers, strict=True):
            reading = read_number(on_number_canvas(drawing), lambda digits, pipeline=pipeline: predict_bitmaps(
                engine, [render(d) for d in digits], pipeline, shrink))
            tally.add(drawing, counts, gaps, reading)
            answer[pipeline] = {"number": reading.text, "verdict": reading.kind, "verdict_text": reading.verdict_text,
                                "marks": [{"strokes": list(reading.drawn(index)), **answer_of(p.digit, p.verdict.kind,
                                                                                               p.probabilities)}
                                          for index, p in enumerate(reading.predictions)]}
        figures = tally.figures()
        for key, value in figures.items():
            result.setdefault(key, {})[pipeline] = value
        log(f"{args.numbers}, {pipeline} pipeline: " + ", ".join(
            f"{key} {value}" for key, value in figures.items() if not isinstance(value, dict))
            + f" ({time.monotonic() - started:.1f} s)")
    if args.answers:
        write_text_atomic(Path(args.answers), "".join(json.dumps(answer) + "\n" for answer in answers))
        log(f"wrote {args.answers}: the answers for {len(answers):,} numbers")
    return result


class NumberTally:
    """Splitting and reading, counted number by number."""

    def __init__(self):
        self.counts: dict[str, list[int]] = {}  # figure: [right, of]

    def count(self, figure: str, right: int, of: int = 1) -> None:
        tally = self.counts.setdefault(figure, [0, 0])
        tally[0] += right
        tally[1] += of

    def add(self, drawing, counts, gaps, reading) -> None:
        from model.runtime.verdict import DIGIT, NOT_A_DIGIT, UNSURE

        self.count("not_sure", reading.kind == UNSURE)
        self.count("not_a_digit", reading.kind == NOT_A_DIGIT)
        if drawing.label is None:  # a number with a mark that is no digit among its digits
            self.count("unlabelled_read_surely_as_a_number", reading.kind == DIGIT)
            return
        self.count("number_read_right", reading.text == drawing.label)
        self.count("number_read_surely_but_wrong", reading.kind == DIGIT and reading.text != drawing.label)
        self.count(f"number_read_right_{len(drawing.label)}_digits", reading.text == drawing.label)
        if counts is None:
            return
        starts = np.cumsum([0, *counts])
        truth = [tuple(range(starts[i], starts[i + 1])) for i in range(len(counts))]
        marks = {reading.drawn(index): p.digit for index, p in enumerate(reading.predictions) if reading.whole(index)}
        split = [strokes in marks for strokes in truth]
        read = [strokes in marks and marks[strokes] == int(digit)
                for strokes, digit in zip(truth, drawing.label, strict=True)]
        self.count("digits_split_right", sum(split), len(truth))
        self.count("digits_read_right", sum(read), len(truth))
        if gaps is not None and all(gap > 0 for gap in gaps):
            self.count("digits_split_right_none_touching", sum(split), len(truth))

    def figures(self) -> dict:
        shares = {figure: round(right / of, 4) for figure, (right, of) in sorted(self.counts.items()) if of}
        by_length = {key.split("_")[3]: value for key, value in shares.items() if key.endswith("_digits")}
        shares = {key: value for key, value in shares.items() if not key.endswith("_digits")}
        return {**shares, "number_read_right_by_length": by_length,
                "counted": {figure: of for figure, (_, of) in sorted(self.counts.items())
                            if not figure.endswith("_digits")}}
