"""python -m desktop_app [--open FILE] [--number] [--screenshot OUT.png] [--engine coreml|keras] [--pipeline ...]"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import model  # noqa: F401  (process-wide settings, before numpy loads)


def parse_args(argv=None):
    from desktop_app.file_actions import SCREENSHOT_FORMATS
    from model.runtime.cli import add_pipeline_option, add_shrink_option
    from model.runtime.engines import ENGINES, PRECISIONS, engine_help

    parser = argparse.ArgumentParser(prog="python -m desktop_app", description="Draw a digit; see what the model "
                                     "(and the phone) thinks it is.")
    parser.add_argument("--open", metavar="FILE", help="a saved drawing (.json strokes) or any image")
    parser.add_argument("--number", action="store_true",
                        help="start in the number mode (View ▸ Number), where a drawing of a number opens")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="predict, save a picture of the whole window (.png, .jpg or .bmp) and exit "
                             "(no display needed)")
    parser.add_argument("--engine", choices=ENGINES, help=engine_help())
    add_pipeline_option(parser)
    add_shrink_option(parser)
    parser.add_argument("--compare", action="store_true", help="run both engines and flag disagreements")
    parser.add_argument("--compare-model", metavar="PATH", help="show a second model file beside the chosen one")
    parser.add_argument("--precision", choices=PRECISIONS, default="float32",
                        help="float16: run Core ML models as a phone's Neural Engine and GPU do")
    parser.add_argument("--coreml-model", metavar="PATH", help="the .mlmodel to run (default: the shipped one)")
    parser.add_argument("--keras-model", metavar="PATH", help="the .keras model (default: the shipped one)")
    args = parser.parse_args(argv)
    if args.screenshot and Path(args.screenshot).suffix.lower() not in SCREENSHOT_FORMATS:
        parser.error(f"--screenshot {args.screenshot}: unknown image type; use one of "
                     f"{', '.join(SCREENSHOT_FORMATS)}")
    # A model the chosen engine does not show is loaded only when picked; what is wrong with its file is said now.
    # (--compare-model is loaded at start, and says so then.)
    for option, path in (("--coreml-model", args.coreml_model), ("--keras-model", args.keras_model)):
        if path and not Path(path).exists():
            parser.error(f"{option} {path}: no such file")
    if args.keras_model:
        from model.errors import ModelFileError
        from model.runtime.keras_model import check_keras_file

        try:
            check_keras_file(Path(args.keras_model))
        except ModelFileError as error:
            parser.error(f"--keras-model {error}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.screenshot and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no screen

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop_app.main_window import APP_NAME
    from model.runtime.cli import check_writable_file

    if args.screenshot:
        check_writable_file(Path(args.screenshot), "--screenshot")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    # A screenshot is for documents and demos: the same whoever runs it, and it changes no one's settings or
    # personal set. Its settings live in memory (a file, even a scratch one, is written again when Qt tidies up
    # after the scratch folder is gone), its personal set in a scratch folder removed on the way out.
    scratch = tempfile.TemporaryDirectory(prefix="digit-recognizer-screenshot-") if args.screenshot else None
    try:
        return show(args, app, MemorySettings() if scratch else QSettings(),
                    Path(scratch.name) if scratch else None)
    finally:
        if scratch is not None:
            scratch.cleanup()


def show(args, app, settings, data_dir: Path | None) -> int:
    from desktop_app.file_actions import save_screenshot
    from desktop_app.main_window import MainWindow
    from model.errors import ModelFileError

    paths = {name: path for name, path in (("coreml", args.coreml_model), ("keras", args.keras_model)) if path}
    # A screenshot waits for every model it shows, so it loads them in the foreground.
    window = MainWindow(engine=args.engine, pipeline=args.pipeline, model_paths=paths,
                        load_in_background=not args.screenshot, settings=settings, data_dir=data_dir,
                        shrink=args.shrink)
    session = window.session
    if args.number:
        window.show_number_mode(True)
    if args.precision != "float32":
        session.models.set_precision(args.precision)
    if args.compare:
        session.models.set_compare_engines(True)
    if args.compare_model:
        try:
            session.models.compare_with_model(args.compare_model)
        except ModelFileError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    # A model named on the command line (or any model, for a screenshot) that
    # cannot run is an error, not a picture of one.
    given = [slot for slot in session.models.shown_slots() if slot.state == "error" and (slot.given or args.screenshot)]
    for slot in given:
        print(f"error: {slot.error}", file=sys.stderr)
    if given:
        return 2
    window.show()
    if args.open and not window.files.open_file(args.open) and args.screenshot:
        print(f"error: {window.statusBar().currentMessage()}", file=sys.stderr)
        return 2
    if args.screenshot:
        window.predict()
        app.processEvents()
        window.show_whole_side_panel()
        app.processEvents()
        try:
            save_screenshot(window, Path(args.screenshot))
        except OSError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        finally:
            window.teaching.set.close()
        shown = window.number_screen if window.number_mode else window
        print(f"wrote {args.screenshot}: {shown.result_label.text()} — {shown.verdict_label.text()}")
        return 0
    return app.exec()


class MemorySettings:
    """QSettings' value / setValue, kept in memory only."""

    def __init__(self):
        self.values: dict[str, object] = {}

    def value(self, key: str, default=None, type=None):  # noqa: A002 (QSettings' name)
        return self.values.get(key, default)

    def setValue(self, key: str, value) -> None:  # noqa: N802 (QSettings' name)
        self.values[key] = value


if __name__ == "__main__":
    sys.exit(main())
