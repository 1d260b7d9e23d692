"""What a training run is made of: the options `scripts/train.py` takes and
`.history.json` records. Kept free of TensorFlow so `train.py --help` and the
checks of its options answer at once."""

from __future__ import annotations

from dataclasses import dataclass, field

NETWORK_NAMES = ("mnist_cnn", "vgg4")  # model.recipe.network.NETWORKS builds each
DEFAULT_NETWORK = "vgg4"
# How often the phone pipeline's input is made by each shrink (model.runtime.pipelines.SHRINKS). Core Graphics'
# default interpolation is undocumented: the unfiltered shrinks, which lose the most, are seen the most.
SHRINK_SHARES = {"area": 0.15, "bilinear-antialiased": 0.15, "bilinear": 0.35, "nearest": 0.35}


@dataclass
class Recipe:
    network: str = DEFAULT_NETWORK  # one of NETWORK_NAMES
    members: int = 1  # networks trained from different seeds, saved as one model averaging them
    epochs: int = 12  # of each member: the whole recipe within 90 minutes on a 2-core machine
    batch_size: int = 128
    learning_rate: float = 2e-3
    seed: int = 1
    limit: int | None = None  # train on the first N MNIST images only (quick runs)
    synthetic_copies: int = 3  # phone-like drawings of each MNIST image
    phone_ratio: float = 1.5  # phone-like inputs per epoch, as a multiple of the MNIST images
    not_digits: int = 60000  # drawings that are no digit in the pool (0: none)
    not_digit_ratio: float = 1.0  # of them per epoch, as a multiple of the MNIST images
    handwriting: tuple[str, ...] = ()  # real digits (stroke files) by writers outside UNIPEN: pendigits-train, uji-train
    handwriting_copies: int = 4  # hand-drawn placements of each real digit
    handwriting_ratio: float = 0.4  # of them per epoch, as a multiple of the MNIST images
    held_out_handwriting: str | None = None  # real digits by other writers, measured only (pendigits-test)
    doodles: str | None = None  # real doodles that are no digit (stroke file), e.g. quickdraw-train
    doodle_ratio: float = 0.35  # of them per epoch (one placement each), as a multiple of the MNIST images
    shrink_shares: dict[str, float] = field(default_factory=lambda: dict(SHRINK_SHARES))
    min_accuracy: float = 0.5  # on the held-out MNIST test set, or nothing is saved
    start_from: str | None = None  # a trained .keras of the same network: fine-tune it instead of starting afresh
