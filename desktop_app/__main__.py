"""python -m desktop_app [--open DRAWING] [--screenshot OUT.png] [--engine coreml|keras] [--pipeline ios|mnist]"""

from __future__ import annotations

import argparse
import os
import sys

# Small matmuls run slower with BLAS threads; set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_args(argv=None):
    from model.engines import ENGINES
    from model.pipelines import PIPELINES

    parser = argparse.ArgumentParser(prog="python -m desktop_app", description="Draw a digit; see what the model "
                                     "(and the phone) thinks it is.")
    parser.add_argument("--open", metavar="FILE", help="a saved drawing (.json strokes) or any image")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="predict, save a PNG of the whole window and exit (no display needed)")
    parser.add_argument("--engine", choices=ENGINES, default="coreml",
                        help="coreml: the phone's .mlmodel, run here (default); keras: the .keras model")
    parser.add_argument("--pipeline", choices=PIPELINES, default="ios",
                        help="ios: the phone's whole-canvas shrink (default); mnist: MNIST-style centring")
    parser.add_argument("--compare", action="store_true", help="run both engines and flag disagreements")
    parser.add_argument("--coreml-model", metavar="PATH", help="the .mlmodel to run (default: the shipped one)")
    parser.add_argument("--keras-model", metavar="PATH", help="the .keras model (default: the shipped one)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.screenshot and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no screen

    from PySide6.QtWidgets import QApplication

    from desktop_app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("DigitRecognizer")
    paths = {name: path for name, path in (("coreml", args.coreml_model), ("keras", args.keras_model)) if path}
    # A screenshot waits for every engine it shows, so it loads them in the foreground.
    window = MainWindow(engine=args.engine, pipeline=args.pipeline, model_paths=paths,
                        load_in_background=not args.screenshot)
    if args.compare:
        window.compare_box.setChecked(True)
    window.show()
    if args.open:
        if not window.open_file(args.open):
            if args.screenshot:
                print(f"error: {window.status_label.text()}", file=sys.stderr)
                return 2
    if args.screenshot:
        window.predict()
        app.processEvents()
        if not window.grab().save(args.screenshot, "PNG"):
            print(f"error: {args.screenshot}: could not write the screenshot", file=sys.stderr)
            return 2
        print(f"wrote {args.screenshot}: {window.result_label.text()}")
        return 0
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
