"""Write the general check personalising measures a personal model on: the first
100 test digits of each class of MNIST (1,000 digits, CC BY-SA 3.0), shipped
with the package as model/general_check.npz.

    python scripts/make_general_check.py --mnist ../shared/data/mnist.npz
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import model  # noqa: F401  (process-wide settings, before numpy loads)
from model.runtime.cli import check_writable_file, positive_int, run_interruptibly

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "model" / "general_check.npz"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist", help="local mnist.npz (default: $MNIST_NPZ, else the Keras download)")
    parser.add_argument("--per-digit", type=positive_int, default=100)
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    args = parser.parse_args(argv)
    out = Path(args.out)
    check_writable_file(out, "--out")

    def work() -> int:
        import numpy as np

        from model.atomic import atomic_path
        from model.recipe.data import load_mnist

        mnist = load_mnist(args.mnist, option="--mnist")
        chosen = np.sort(np.concatenate([np.flatnonzero(mnist.y_test == digit)[:args.per_digit]
                                         for digit in range(10)]))
        with atomic_path(out) as temporary:
            with open(temporary, "wb") as handle:
                np.savez_compressed(handle, images=mnist.x_test[chosen], labels=mnist.y_test[chosen].astype(np.int64),
                                    indices=chosen)
        print(f"wrote {out}: {len(chosen)} MNIST test digits")
        return 0

    return run_interruptibly(work, nothing_written=f"{out} not written")


if __name__ == "__main__":
    sys.exit(main())
