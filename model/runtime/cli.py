"""What every command-line tool shares: option types with one-line errors,
output checks before long work, and one clear line on an error or interruption."""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from model.errors import DataError, ModelFileError, TrainingError
from model.runtime.pipelines import DEFAULT_SHRINK, PIPELINE_HELP, PIPELINES, SHRINK_HELP, SHRINKS

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


def _number(kind, text: str, test: Callable[[float], bool], what: str):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if not (math.isfinite(value) and test(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return value


def positive_int(text: str) -> int:
    return _number(int, text, lambda v: v > 0, "a whole number of at least 1")


def non_negative_int(text: str) -> int:
    return _number(int, text, lambda v: v >= 0, "a whole number of at least 0")


def positive_float(text: str) -> float:
    return _number(float, text, lambda v: v > 0, "a positive finite number")


def keras_file(text: str) -> str:
    """A .keras model file to write (training and merging save nothing else)."""
    if not text.endswith(".keras"):
        raise argparse.ArgumentTypeError(f"{text!r}: the model file must end in .keras")
    return text


# The pipelines' names before version 2.0: accepted here, on the command line
# only, and mapped at once; they go in version 3.0.
LEGACY_PIPELINE_NAMES = {"ios": "phone", "mnist": "centred"}


def choices_help(helps: dict[str, str]) -> str:
    """Each choice and what it means, on one line of an option's help: "name: meaning; name: meaning"."""
    return "; ".join(f"{name}: {text.rstrip('.')}" for name, text in helps.items())


def add_pipeline_option(parser: argparse.ArgumentParser, both: bool = False, **keywords) -> None:
    """--pipeline, its choices and help from the pipelines' registry."""
    choices = [*PIPELINES, "both"] if both else list(PIPELINES)
    text = choices_help({name: PIPELINE_HELP[name] for name in PIPELINES})
    legacy = ", ".join(LEGACY_PIPELINE_NAMES)
    parser.add_argument("--pipeline", choices=choices, type=lambda name: LEGACY_PIPELINE_NAMES.get(name, name),
                        help=f"{text}{'; both: each in turn' if both else ''} ({legacy} are the old names)",
                        **keywords)


def add_shrink_option(parser: argparse.ArgumentParser, every: bool = False, **keywords) -> None:
    """--shrink: how the phone pipeline shrinks the canvas (`every`: "all" too)."""
    text = choices_help({name: SHRINK_HELP[name] for name in SHRINKS})
    parser.add_argument("--shrink", choices=[*SHRINKS, "all"] if every else list(SHRINKS),
                        help=f"how the phone pipeline shrinks the canvas to 28x28 (Core Graphics does not say how the "
                             f"phone does; {DEFAULT_SHRINK} is assumed): {text}"
                             f"{'; all: the figures by ' + DEFAULT_SHRINK + ', and each shrink beside them' if every else ''}",
                        **keywords)


class OutputError(Exception):
    """An output path cannot be written."""


def fail(message: str, code: int = EXIT_ERROR) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _check_folder(folder: Path, option: str, megabytes: float) -> None:
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{option} {folder}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {folder}: {existing} is not writable")
    free = shutil.disk_usage(existing).free / 1e6
    if free < megabytes:
        raise OutputError(f"{option} {folder}: only {free:.0f} MB free, need about {megabytes:.0f} MB")
    if existing == folder:
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as error:
            raise OutputError(f"{option} {folder}: cannot write there ({error.strerror})") from error


def check_split_files(folder: str, source: str, megabytes: float,
                      parts: tuple[str, ...] = ("train", "test")) -> dict[str, Path]:
    """The stroke files a converter writes, FOLDER/SOURCE-PART.jsonl.gz by part
    (by default the train and test splits), each checked now as --out."""
    outs = {part: Path(folder) / f"{source}-{part}.jsonl.gz" for part in parts}
    for out in outs.values():
        check_writable_file(out, "--out", megabytes)
    return outs


def check_writable_file(path: Path, option: str, megabytes: float = 1) -> None:
    """Exit with one line now, before any work, if `path` cannot be written
    (a .mlpackage is a folder that is replaced whole)."""
    try:
        if path.is_dir() and path.suffix != ".mlpackage":
            raise OutputError(f"{option} {path}: is a folder; give a file name")
        if path.exists() and not os.access(path, os.W_OK) and not os.access(path.parent, os.W_OK):
            raise OutputError(f"{option} {path}: cannot be replaced (no write permission)")
        _check_folder(path.parent if str(path.parent) else Path("."), option, megabytes)
    except OutputError as error:
        sys.exit(fail(str(error)))


def check_input_files(named: list[tuple[str, str | None]]) -> None:
    """Exit with one line now, before any work, if a file an option names
    (option, path; None when not given) is not there."""
    for option, path in named:
        if path and not Path(path).is_file():
            sys.exit(fail(f"{option} {path}: {'not a regular file' if Path(path).exists() else 'no such file'}"))


def check_writable_folder(path: Path, option: str, megabytes: float = 1) -> None:
    try:
        if path.exists() and not path.is_dir():
            raise OutputError(f"{option} {path}: is a file, not a folder")
        _check_folder(path, option, megabytes)
    except OutputError as error:
        sys.exit(fail(str(error)))


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the same clean-up runs."""


def _terminate(signum, frame):
    raise Terminated()


def run_interruptibly(work: Callable[[], int], nothing_written: str) -> int:
    """Run a tool's work: a known error is one line and exit 2; Ctrl-C (130) and
    SIGTERM (143) are one line saying what was (not) written."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return work()
    except Terminated:
        print(f"terminated; {nothing_written}", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print(f"interrupted; {nothing_written}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (DataError, ModelFileError, TrainingError, OutputError) as error:
        return fail(f"{error}; {nothing_written}" if isinstance(error, TrainingError) else str(error))
    except OSError as error:
        return fail(f"{error.filename or ''}: {error.strerror or error}")
