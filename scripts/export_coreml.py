"""Export a trained .keras model as the Core ML model the phone runs.

    python scripts/export_coreml.py --model build/keras_mnist_cnn.keras --out build/keras_mnist_cnn.mlmodel

By default a specification version 1 .mlmodel (iOS 11+, a drop-in for the
phone app), with the "not a digit" threshold training recorded beside the
model stored in its metadata.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.contract import NOT_A_DIGIT_KEYS
from model.errors import ModelFileError
from model.runtime.cli import check_writable_file, run_interruptibly
from model.runtime.paths import DEFAULT_COREML_MODEL, DEFAULT_KERAS_MODEL


def probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability from 0 to 1")
    return value


def main(argv=None) -> int:
    from model.coreml.export import Metadata

    defaults = Metadata()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(DEFAULT_KERAS_MODEL), help="trained .keras model")
    parser.add_argument("--out", default=str(DEFAULT_COREML_MODEL), help=".mlmodel (or .mlpackage) to write")
    parser.add_argument("--format", choices=("neuralnetwork", "mlprogram"), default="neuralnetwork",
                        help="neuralnetwork: .mlmodel, specification 1, iOS 11+ (default); "
                             "mlprogram: .mlpackage, iOS 15+")
    parser.add_argument("--updatable", action="store_true",
                        help="let an app fine-tune the dense layers on device (MLUpdateTask; iOS 13+)")
    parser.add_argument("--not-a-digit-below", type=probability,
                        help="threshold to store, for every pipeline (default: those training recorded beside "
                        "--model, the phone pipeline's and the centred one's)")
    parser.add_argument("--author", default=defaults.author)
    parser.add_argument("--license", default=defaults.license)
    parser.add_argument("--version", default=defaults.version, help="model version shown in Xcode")
    parser.add_argument("--description", default=defaults.short_description)
    args = parser.parse_args(argv)
    if args.updatable and args.format != "neuralnetwork":
        parser.error("--updatable needs --format neuralnetwork")
    out = Path(args.out)
    expected = ".mlpackage" if args.format == "mlprogram" else ".mlmodel"
    if out.suffix != expected:
        parser.error(f"--out {out}: a {args.format} model is saved as {expected}")
    check_writable_file(out, "--out", megabytes=10)

    def work() -> int:
        from model.coreml.export import export

        metadata = Metadata(args.author, args.license, args.version, args.description)
        from model.runtime.keras_model import load_keras_model, recorded_threshold

        if args.not_a_digit_below is not None:
            thresholds = {"phone": args.not_a_digit_below}
        else:
            recorded = {pipeline: recorded_threshold(args.model, pipeline) for pipeline in NOT_A_DIGIT_KEYS}
            thresholds = {pipeline: value for pipeline, value in recorded.items() if value is not None}
        keras_model = load_keras_model(args.model)
        try:
            export(keras_model, out, metadata, args.format, thresholds, args.updatable)
        except ModelFileError as error:  # a part of the network that cannot be exported: named with its file
            raise ModelFileError(f"{args.model}: {error}") from None
        print(f"wrote {out}")
        return 0

    return run_interruptibly(work, nothing_written=f"{out} not written")


if __name__ == "__main__":
    sys.exit(main())
