"""Make the app's two sample digits (a 5 and a 4) from MNIST training images,
enlarged and softened like the phone's samples.

    python scripts/make_samples.py --data ../shared/data/mnist.npz
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageFilter

from model.atomic import atomic_path
from model.errors import DataError
from model.recipe.data import load_mnist
from model.runtime.cli import positive_int

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "desktop_app" / "samples"
# (file, MNIST training index): not the phone's images 0 and 2.
CHOICES = (("five.png", 138), ("four.png", 58))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="local mnist.npz (default: $MNIST_NPZ, else the Keras download)")
    parser.add_argument("--size", type=positive_int, default=140)
    args = parser.parse_args(argv)
    try:
        mnist = load_mnist(args.data)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for file_name, index in CHOICES:
        image = Image.fromarray(mnist.x_train[index]).resize((args.size, args.size), Image.Resampling.BICUBIC)
        image = image.filter(ImageFilter.GaussianBlur(args.size / 70))
        with atomic_path(SAMPLES_DIR / file_name) as temporary:
            image.save(temporary, format="PNG")
        print(f"wrote {SAMPLES_DIR / file_name} (MNIST training image {index}, a {mnist.y_train[index]})")
    return 0


if __name__ == "__main__":
    from model.runtime.cli import run_interruptibly

    sys.exit(run_interruptibly(main, nothing_written="the samples already written are whole"))
