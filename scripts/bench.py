"""Measure what users feel: launch time, prediction latency, UI stalls.

    python scripts/bench.py --json

Launch is the whole process `python -m desktop_app --open D --screenshot S`,
timed alternately with a bare `python -c "import tensorflow"` in the same
environment. Prediction is canvas bitmap -> pipeline -> model -> probabilities
on real drawings. All figures are medians (p50) unless named p95 or max.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import model  # noqa: F401  (process-wide settings, before numpy loads)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
import numpy as np  # noqa: E402  (after the settings above)

from model.runtime.cli import positive_int  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_STROKES = ROOT.parent / "shared" / "data" / "unipen_digits_sample.jsonl.gz"


def percentile(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def timed_process(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=300)
    return time.perf_counter() - started


def bench_launch(drawing: Path, runs: int) -> dict:
    shot = drawing.with_name("bench.png")  # in the caller's temporary folder, removed with it
    app = [sys.executable, "-m", "desktop_app", "--open", str(drawing), "--screenshot", str(shot)]
    tensorflow = [sys.executable, "-c", "import tensorflow"]
    timed_process(app)  # warm the file cache for both, once
    timed_process(tensorflow)
    launches, imports = [], []
    for run in range(runs):
        launches.append(timed_process(app))
        imports.append(timed_process(tensorflow))
        print(f"  launch {run + 1}/{runs}: app {launches[-1]:.2f} s, import tensorflow {imports[-1]:.2f} s",
              flush=True)
    ratios = [a / t for a, t in zip(launches, imports, strict=True)]
    return {"launch_s": round(statistics.median(launches), 3),
            "import_tensorflow_s": round(statistics.median(imports), 3),
            "launch_ratio": round(statistics.median(ratios), 3)}


def bench_personalise(drawings, runs: int = 3) -> dict:
    """Teaching 50 drawings: the update alone, and personalising as the app does
    it (cross-validation and the general check included)."""
    from desktop_app.render import render_strokes
    from model.coreml.runner import CoreMLModel
    from model.coreml.update import DEFAULT_RULE, Update
    from model.runtime.paths import DEFAULT_COREML_MODEL
    from model.runtime.personal import Example, model_inputs, personalise

    examples = [Example(d.label, d.on_phone_canvas()) for d in drawings if d.label is not None][:50]
    base = CoreMLModel(DEFAULT_COREML_MODEL)
    pixels, labels = model_inputs(examples, "phone", render_strokes), np.array([e.label for e in examples])
    # Timed with something to learn (a set the model already reads right and sure is left alone, faster).
    examples[0] = Example((examples[0].label + 1) % 10, examples[0].strokes)
    labels[0] = examples[0].label
    updates, whole = [], []
    for _ in range(runs):
        started = time.perf_counter()
        Update(base, DEFAULT_RULE).fit(pixels, labels)
        updates.append(time.perf_counter() - started)
        result = personalise(DEFAULT_COREML_MODEL, examples, "phone", render_strokes)
        assert result.steps > 0, "the timed set must have something to learn"
        whole.append(result.seconds)
    return {"personalise_drawings": len(examples), "update_s": round(statistics.median(updates), 3),
            "personalise_s": round(statistics.median(whole), 3)}


def bench_predictions(bitmaps: list[np.ndarray]) -> dict:
    from model.runtime.engines import ENGINES, load_engine, predict_bitmap
    from model.runtime.pipelines import PIPELINES, to_model_input

    results, forward = {}, {}
    inputs = [to_model_input(b, "phone") for b in bitmaps]
    # Core ML first: once TensorFlow is loaded its spinning thread pools slow
    # everything else in the process, and the app's default path never loads it.
    for engine_name in ENGINES:
        engine = load_engine(engine_name)
        for pipeline in PIPELINES:
            for bitmap in bitmaps[:20]:  # warm up
                predict_bitmap(engine, bitmap, pipeline)
            times = []
            for bitmap in bitmaps:
                started = time.perf_counter()
                predict_bitmap(engine, bitmap, pipeline)
                times.append((time.perf_counter() - started) * 1000)
            results[f"{engine_name}/{pipeline}"] = {"p50": round(percentile(times, 50), 3),
                                                    "p95": round(percentile(times, 95), 3)}
            print(f"  predict {engine_name}/{pipeline}: p50 {results[f'{engine_name}/{pipeline}']['p50']:.2f} ms",
                  flush=True)
        times = []
        for model_input in inputs:
            started = time.perf_counter()
            engine.probabilities(model_input)
            times.append((time.perf_counter() - started) * 1000)
        forward[engine_name] = round(percentile(times, 50), 3)
    return {"predict_ms": results, "forward_ms": forward}


def eight_digit_numbers(drawings, count: int = 30) -> list:
    """`count` 8-digit numbers of one writer's digits each, as strokes on the number canvas (fewer only if few
    writers have eight digits)."""
    from model.errors import DataError
    from model.recipe.number_drawings import build_numbers, settable
    from model.runtime.numbers import on_number_canvas
    from model.runtime.strokes import parse_number_text

    rng, eight, settled = np.random.default_rng(8), [], [d for d in drawings if settable(d)]
    for _ in range(20):
        try:
            records = build_numbers(settled, count * 4, rng)
        except DataError:  # no writer with two digits
            break
        numbers = [parse_number_text(json.dumps(record), "bench") for record in records]
        eight += [on_number_canvas(n) for n in numbers if n.label is not None and len(n.label) == 8]
        if len(eight) >= count:
            break
    return eight[:count]


def bench_numbers(eight: list) -> dict:
    """Reading an 8-digit number of one writer's digits, splitting included, as the number mode does on a
    fresh canvas (nothing remembered from an earlier reading), through each pipeline."""
    from desktop_app.render import render_strokes
    from model.runtime.engines import load_engine, predict_bitmaps
    from model.runtime.numbers import read_number
    from model.runtime.pipelines import PIPELINES

    engine = load_engine("coreml")
    by_pipeline = {}
    for pipeline in PIPELINES:
        def read(digits, pipeline=pipeline):
            return predict_bitmaps(engine, [render_strokes(d) for d in digits], pipeline)

        read_number(eight[0], read)  # the first call loads what numpy and Qt load once
        times = []
        for strokes in eight:
            started = time.perf_counter()
            read_number(strokes, read)
            times.append((time.perf_counter() - started) * 1000)
        print(f"  8-digit number, {pipeline}: p50 {percentile(times, 50):.1f} ms over {len(times)}", flush=True)
        by_pipeline[pipeline] = {"p50": round(percentile(times, 50), 2), "p95": round(percentile(times, 95), 2)}
    default = by_pipeline["phone"]  # the app's default, as everywhere in this file
    return {"number_8_digits_ms_p50": default["p50"], "number_8_digits_ms_p95": default["p95"],
            "number_8_digits_ms": by_pipeline, "numbers_timed": len(eight)}


def write(app, canvas, strokes, to_widget=lambda point: point, lifts: list[float] | None = None) -> list[float]:
    """Send `strokes` (canvas units) to `canvas` as a fast pen's mouse events: how long the UI thread is busy
    with each event, in ms (including any reading it triggers); those of the pen's lifts are added to `lifts`."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    blocks = []
    for stroke in strokes:
        for index, point in enumerate([*stroke, None]):
            at = QPointF(*to_widget(stroke[-1] if point is None else point))
            if point is None:
                event = QMouseEvent(QEvent.Type.MouseButtonRelease, at, at, left, none, Qt.KeyboardModifier.NoModifier)
            else:
                kind = QEvent.Type.MouseButtonPress if index == 0 else QEvent.Type.MouseMove
                event = QMouseEvent(kind, at, at, left if index == 0 else none, left, Qt.KeyboardModifier.NoModifier)
            started = time.perf_counter()
            QApplication.sendEvent(canvas, event)
            app.processEvents()
            blocks.append((time.perf_counter() - started) * 1000)
            if point is None and lifts is not None:
                lifts.append(blocks[-1])
            if point is not None:
                time.sleep(0.004)  # a fast pen: 250 points a second
    return blocks


def bench_ui(drawings, numbers) -> dict:
    """Fast strokes through a real window: the longest the UI thread is busy with one mouse event (including
    any live reading it triggers), on the digit screen and writing 8-digit numbers in the number mode, where the
    number is read again each time the pen lifts."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop_app.main_window import MainWindow
    from model.runtime.numbers import NUMBER_CANVAS

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:  # the app's defaults, and the user's settings left alone
        window = MainWindow(settings=QSettings(str(Path(folder) / "bench.ini"), QSettings.Format.IniFormat),
                            data_dir=Path(folder) / "data")
        window.show()
        window.canvas.resize(375, 375)
        app.processEvents()
        predictions = []
        window.predicted.connect(lambda: predictions.append(time.perf_counter()))
        blocks, stroke_seconds, live_updates = [], 0.0, 0
        for drawing in drawings:
            window.clear()
            started, count_before = time.perf_counter(), len(predictions)
            blocks += write(app, window.canvas, drawing.strokes)
            live_updates += len(predictions) - count_before
            stroke_seconds += time.perf_counter() - started
        window.number_action.trigger()
        canvas = window.number_screen.canvas
        for _ in range(30):  # the window widens and lays out anew for the mode: not part of writing
            app.processEvents()
            time.sleep(0.01)
        rect = canvas.canvas_rect()
        scale = rect.width() / NUMBER_CANVAS[0]
        number_blocks, lifts = [], []
        for strokes in numbers:
            window.clear()
            number_blocks += write(app, canvas, strokes,
                                   lambda p: (rect.x() + p[0] * scale, rect.y() + p[1] * scale), lifts)
        window.close()
    return {"ui_block_ms_max": round(max(blocks), 2), "ui_block_ms_p50": round(percentile(blocks, 50), 3),
            "live_predictions_per_s": round(live_updates / stroke_seconds, 1),
            "number_ui_block_ms_max": round(max(number_blocks), 2),
            "number_ui_block_ms_p50": round(percentile(number_blocks, 50), 3),
            "number_pen_lift_ms_p50": round(percentile(lifts, 50), 2), "number_pen_lift_ms_max": round(max(lifts), 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strokes", default=str(DEFAULT_STROKES), help="real drawings to predict")
    parser.add_argument("--drawings", type=positive_int, default=300,
                        help="how many drawings to time predictions on")
    parser.add_argument("--launches", type=positive_int, default=7, help="launch / import tensorflow pairs")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)

    from desktop_app.render import render_strokes
    from model.errors import DataError
    from model.runtime.strokes import read_drawings

    try:
        every = read_drawings(args.strokes)
        drawings = every[: args.drawings]
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from model.runtime.pipelines import is_blank

    # Time what the app predicts: a drawing with no ink on the canvas is no prediction.
    rendered = [(d, render_strokes(d.on_phone_canvas())) for d in drawings]
    drawings = [d for d, bitmap in rendered if not is_blank(bitmap)]
    bitmaps = [bitmap for _, bitmap in rendered if not is_blank(bitmap)]
    blank = len(rendered) - len(bitmaps)
    if blank:
        print(f"{args.strokes}: {blank} drawing(s) with no ink on the canvas skipped", flush=True)
    if not bitmaps:
        print(f"error: {args.strokes}: no drawing has ink on the canvas; nothing to time", file=sys.stderr)
        return 2

    eight = eight_digit_numbers(every)
    if not eight:
        print(f"error: {args.strokes}: no writer with eight labelled digits to build a number from", file=sys.stderr)
        return 2

    print("launch (whole process) vs bare `import tensorflow`:", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        drawing_file = Path(folder) / "drawing.json"
        drawing_file.write_text(json.dumps(drawings[0].to_json()))
        launch = bench_launch(drawing_file, args.launches)
    print("UI thread while drawing fast strokes:", flush=True)
    ui = bench_ui(drawings[:40], eight[:10])
    print(f"  longest block {ui['ui_block_ms_max']} ms; writing 8-digit numbers {ui['number_ui_block_ms_max']} ms, "
          f"a pen lift reading the number p50 {ui['number_pen_lift_ms_p50']} ms", flush=True)
    print("predictions:", flush=True)
    predictions = bench_predictions(bitmaps)
    print("personalising 50 drawings:", flush=True)
    personal = bench_personalise(drawings)
    print("reading numbers:", flush=True)
    numbers = bench_numbers(eight)

    default = predictions["predict_ms"]["coreml/phone"]
    result = {"predict_ms_p50": default["p50"], "predict_ms_p95": default["p95"],
              "forward_ms_p50": predictions["forward_ms"]["coreml"], **launch, **ui,
              "predict_ms": predictions["predict_ms"], "forward_ms_p50_by_engine": predictions["forward_ms"],
              "default_engine": "coreml", "default_pipeline": "phone", "drawings": len(bitmaps),
              "drawings_blank_skipped": blank, **personal, **numbers}
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    from model.runtime.cli import run_interruptibly

    sys.exit(run_interruptibly(main, nothing_written="nothing written"))
