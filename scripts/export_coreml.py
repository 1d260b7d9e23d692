"""Export a trained .keras model as the Core ML model the phone runs.

    python scripts/export_coreml.py --model model/keras_mnist_cnn.keras --out model/keras_mnist_cnn.mlmodel
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.errors import ModelFileError  # noqa: E402
from model.paths import DEFAULT_COREML_MODEL, DEFAULT_KERAS_MODEL  # noqa: E402


def main(argv=None) -> int:
    from model.coreml_export import Metadata, export

    defaults = Metadata()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(DEFAULT_KERAS_MODEL), help="trained .keras model")
    parser.add_argument("--out", default=str(DEFAULT_COREML_MODEL), help=".mlmodel (or .mlpackage) to write")
    parser.add_argument("--format", choices=("neuralnetwork", "mlprogram"), default="neuralnetwork",
                        help="neuralnetwork: .mlmodel for iOS 13+ (default); mlprogram: .mlpackage for iOS 15+")
    parser.add_argument("--author", default=defaults.author)
    parser.add_argument("--license", default=defaults.license)
    parser.add_argument("--version", default=defaults.version, help="model version shown in Xcode")
    parser.add_argument("--description", default=defaults.short_description)
    args = parser.parse_args(argv)
    metadata = Metadata(args.author, args.license, args.version, args.description)
    try:
        out = export(args.model, args.out, metadata, args.format)
    except ModelFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
