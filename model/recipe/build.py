"""The shipped model from random weights, in one run: the real sources
converted from their downloads, the pools drawn, the network trained, the
.mlmodel exported and both measured on what training never saw, with a record
of how it was made."""

from __future__ import annotations

import json
import subprocess
from argparse import Namespace
from collections.abc import Callable
from pathlib import Path

from model.atomic import write_text_atomic
from model.recipe.recipe import Recipe
from model.recipe.sources import SOURCE_BY_NAME, SOURCES, check_source, convert

KERAS_NAME = "keras_mnist_cnn.keras"
COREML_NAME = "keras_mnist_cnn.mlmodel"


def shipped_recipe(converted: dict[str, dict[str, Path]], trial: dict | None = None) -> Recipe:
    """The recipe of the shipped model: the defaults, with every real source at hand (`trial`: options of a
    quick trial of the command)."""
    handwriting = tuple(str(converted[name]["train"]) for name in ("pendigits", "uji") if name in converted)
    measured = next((str(converted[name]["test"]) for name in ("pendigits", "uji") if name in converted), None)
    doodles = str(converted["quickdraw"]["train"]) if "quickdraw" in converted else None
    return Recipe(handwriting=handwriting, held_out_handwriting=measured, doodles=doodles,
                  **{key: value for key, value in (trial or {}).items() if value is not None})


def commit() -> str:
    """The commit the code was built from, and whether it had changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (" with uncommitted changes" if dirty else "")


def check_sources(folder: Path, without: list[str]) -> dict[str, Path]:
    """Every source's download, checked before any work (those left out by --without aside)."""
    return {source.name: check_source(folder, source) for source in SOURCES if source.name not in without}


def build(args: Namespace, command: str, render, log: Callable[[str], None] = print) -> dict:
    from model.coreml.export import Metadata, export
    from model.recipe.data import load_mnist
    from model.recipe.training import train
    from model.runtime.keras_model import history_path, load_keras_model, recorded_threshold

    downloads = check_sources(Path(args.sources), args.without)
    mnist = load_mnist(args.data)
    converted = {name: convert(path, SOURCE_BY_NAME[name], Path(args.converted), log, args.workers)
                 for name, path in downloads.items()}
    recipe = shipped_recipe(converted, {key: getattr(args, key, None)
                                        for key in ("limit", "epochs", "synthetic_copies", "not_digits")})
    out = Path(args.out) / KERAS_NAME
    record = {"command": command, "commit": commit(),
              "sources": {name: {"file": path.name, "sha256": SOURCE_BY_NAME[name].sha256}
                          for name, path in downloads.items()},
              "left_out": list(args.without)}
    train(mnist, recipe, out, render, args.workers, Path(args.cache), log, record)
    mlmodel = Path(args.out) / COREML_NAME
    thresholds = {pipeline: recorded_threshold(out, pipeline) for pipeline in ("phone", "centred")}
    export(load_keras_model(out), mlmodel, Metadata(), "neuralnetwork", thresholds)
    log(f"wrote {mlmodel}")
    measured = measure_model(mlmodel, converted, args.measure, render, log)
    record = json.loads(history_path(out).read_text())
    record["measured"] = measured
    write_text_atomic(history_path(out), json.dumps(record, indent=2) + "\n")
    return record


def measure_model(mlmodel: Path, converted: dict[str, dict[str, Path]], extra: list[str], render,
                  log: Callable[[str], None]) -> dict:
    """The .mlmodel on every measuring file: each source's test split and any --measure files, through both
    pipelines and the phone's every shrink."""
    from model.recipe.measure import measure

    files = [paths["test"] for paths in converted.values()] + [Path(path) for path in extra]
    figures = {}
    for path in files:
        args = Namespace(model=str(mlmodel), engine="coreml", compare_model=None, compare_engine=None,
                         precision="float32", mnist=None, strokes=str(path), pipelines=["phone", "centred"],
                         skip_blank=True, report=None, answers=None, shrink="all")
        result = measure(args, render, log)
        figures[path.name] = {key: result[key] for key in ("strokes_accuracy", "confidently_wrong", "not_a_digit",
                                                           "phone_shrinks", "strokes_count") if key in result}
    return figures
