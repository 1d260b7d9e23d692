"""The training recipe, top to bottom: the phone-like training set (cached and
seeded), the per-epoch mix, the model's fit, the checks a model must pass
before it is saved, and the "not a digit" threshold.

`render` (the app's one stroke renderer) is passed in, so this module never
imports Qt.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np

from model.atomic import atomic_path, write_text_atomic
from model.contract import NOT_A_DIGIT_KEYS
from model.errors import TrainingError
from model.recipe import synthesis
from model.recipe.not_digits import VERSION as NOT_DIGITS_VERSION
from model.recipe.recipe import Recipe
from model.runtime.pipelines import PIPELINES

NO_DIGIT_LABEL = 10  # the label of drawings that are no digit: their target is 0.1 for each digit
# Drawings that are honestly two digits: their targets split between them.
SOFT_TARGETS = {synthesis.ONE_OR_SEVEN: {1: 0.6, 7: 0.4}, synthesis.SEVEN_OR_ONE: {7: 0.6, 1: 0.4}}
# Each pipeline's threshold calls this share of held-out phone-like digits "not
# a digit" (the product allows 2 % of real digits); the phone runs the phone's.
DIGITS_REJECTED = 0.02


@dataclass
class TrainingSet:
    """Phone-like inputs of both pipelines with their labels (NO_DIGIT_LABEL for
    drawings that are no digit)."""
    images: np.ndarray  # (N, 28, 28) float32 in [0, 1]
    labels: np.ndarray  # (N,) int64
    handwritten: np.ndarray | None = None  # (N,) bool: drawn by people (real digits, real doodles), not generated

    def __post_init__(self):
        if self.handwritten is None:
            self.handwritten = np.zeros(len(self.labels), bool)


def cached_synthesis(cache: Path, name: str, expected: int, make: Callable[[], dict[str, np.ndarray]],
                     log: Callable[[str], None]) -> dict[str, np.ndarray]:
    """`make()` once, then from `cache/name`; a cache file that is damaged,
    unreadable, or not `expected` drawings of each pipeline is made again, with a note."""
    cache_file = cache / name
    if cache_file.exists():
        try:
            with np.load(cache_file) as stored:
                inputs = {key: stored[key] for key in stored.files if key in (*PIPELINES, "labels")}
            images = [inputs.get(pipeline) for pipeline in PIPELINES]
            if all(a is not None and a.shape == (expected, 28, 28) and a.dtype == np.float32 for a in images) and all(
                    len(a) == expected for a in inputs.values()):
                log(f"cached in {cache_file}")
                return inputs
            log(f"{cache_file}: not {expected} drawings of each pipeline (another run's?); drawing again")
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            log(f"{cache_file}: damaged or unreadable ({error}); drawing again")
    inputs = make()
    with atomic_path(cache_file) as temporary:
        np.savez(temporary, **inputs)
    return inputs


def phone_like_training_set(images: np.ndarray, labels: np.ndarray, recipe: Recipe, render, workers: int,
                            cache: Path, log: Callable[[str], None] = print,
                            doodles: list | None = None) -> TrainingSet:
    """`synthetic_copies` hand-drawn placements of every MNIST image and
    `not_digits` drawings that are no digit (and one placement of each real
    doodle, strokes from read_doodles), each through both pipelines."""
    key = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()[:12]
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        log(f"  drawn {done}/{total} ({time.monotonic() - started:.0f} s)")

    parts: list[tuple[np.ndarray, np.ndarray, bool]] = []  # images, labels, drawn from real handwriting

    def add_copies(title: str, copies: int, cache_name: str, first_seed: int, source, source_labels,
                   handwritten: bool) -> None:
        """`copies` placements of every drawing of `source` (MNIST images or real strokes)."""
        for copy in range(copies):
            log(f"{title}, copy {copy + 1}/{copies}:")
            seed = first_seed + copy * len(source)
            inputs = cached_synthesis(
                cache, cache_name.format(copy=copy), len(source),
                lambda seed=seed: synthesis.synthesize_parallel(source, source_labels, seed, render,
                                                                workers=workers, progress=progress), log)
            parts.extend((inputs[pipeline], inputs["labels"], handwritten) for pipeline in PIPELINES)

    version = f"seed{recipe.seed}-v{synthesis.VERSION}"
    add_copies("phone-like digits", recipe.synthetic_copies, f"digits-{key}-copy{{copy}}-{version}.npz",
               recipe.seed * 1_000_003, images, labels, False)
    for source, path in enumerate(recipe.handwriting if recipe.handwriting_copies else ()):
        from model.runtime.strokes import read_drawings

        drawings = [d for d in read_drawings(path) if d.label is not None]
        strokes = [d.on_phone_canvas() for d in drawings]
        real_labels = np.array([d.label for d in drawings], np.int64)
        real_key = hashlib.sha256(json.dumps([strokes, real_labels.tolist()]).encode()).hexdigest()[:12]
        add_copies(f"real handwriting ({len(drawings)} digits of {path})", recipe.handwriting_copies,
                   f"handwriting-{real_key}-copy{{copy}}-{version}.npz",
                   recipe.seed * 1_000_003 + 555_000_000 + source * 10_000_000, strokes, real_labels, True)
    if doodles:
        no_digit = np.full(len(doodles), NO_DIGIT_LABEL, np.int64)
        doodles_key = hashlib.sha256(json.dumps(doodles).encode()).hexdigest()[:12]
        add_copies(f"real doodles ({len(doodles)})", 1, f"doodles-{doodles_key}-copy{{copy}}-{version}.npz",
                   recipe.seed * 1_000_003 + 777_000_000, doodles, no_digit, True)
    if recipe.not_digits:
        log(f"drawings that are no digit ({recipe.not_digits}):")
        seed = recipe.seed * 1_000_003 + 999_983_000
        inputs = cached_synthesis(
            cache, f"not-digits-{recipe.not_digits}-{version}-kinds{NOT_DIGITS_VERSION}.npz", recipe.not_digits,
            lambda: synthesis.synthesize_parallel(None, None, seed, render, workers=workers,
                                                  count=recipe.not_digits, progress=progress), log)
        no_digit = np.full(recipe.not_digits, NO_DIGIT_LABEL, np.int64)
        parts.extend((inputs[pipeline], no_digit, False) for pipeline in PIPELINES)
    if not parts:
        return TrainingSet(np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64))
    return TrainingSet(np.concatenate([images for images, _, _ in parts]),
                       np.concatenate([labels for _, labels, _ in parts]).astype(np.int64),
                       np.concatenate([np.full(len(labels), real) for _, labels, real in parts]))


def read_doodles(path: str) -> list[list]:
    """The strokes of real drawings that are no digit, on the phone canvas; a
    file with a labelled drawing (a digit) is refused."""
    from model.runtime.strokes import read_drawings

    doodles = read_drawings(path)
    labelled = next((d for d in doodles if d.label is not None), None)
    if labelled is not None:
        raise TrainingError(f"{path}:{labelled.line}: labelled {labelled.label}, but doodles are drawings that "
                            "are no digit")
    return [d.on_phone_canvas() for d in doodles]


def random_shift(images: np.ndarray, rng: np.random.Generator, max_shift: int = 2) -> np.ndarray:
    """Shift each 28x28 image by up to max_shift pixels, filling with black."""
    padded = np.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    size = images.shape[1]
    offsets = rng.integers(0, 2 * max_shift + 1, size=(len(images), 2))
    shifted = np.empty_like(images)
    for (dy, dx) in {tuple(o) for o in offsets}:
        chosen = np.flatnonzero((offsets[:, 0] == dy) & (offsets[:, 1] == dx))
        shifted[chosen] = padded[chosen, dy:dy + size, dx:dx + size]
    return shifted


def mnist_soft_labels(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """MNIST's labels, with its sevens as narrow at the top as a flagged one
    (synthesis.ONE_TOP_WIDTH) labelled SEVEN_OR_ONE."""
    soft = np.asarray(labels, np.int64).copy()
    for index in np.flatnonzero(soft == 7):
        soft[index] = synthesis.measured_label(synthesis.BARLESS_SEVEN, images[index] / 255.0)
    return soft


def targets(labels: np.ndarray) -> np.ndarray:
    """One-hot for a digit; 0.1 for each digit for a drawing that is no digit;
    split between two digits for an ambiguous one (SOFT_TARGETS)."""
    result = np.zeros((len(labels), 10), np.float32)
    digits = labels < NO_DIGIT_LABEL
    result[np.flatnonzero(digits), labels[digits]] = 1.0
    result[labels == NO_DIGIT_LABEL] = 0.1
    for label, split in SOFT_TARGETS.items():
        for digit, share in split.items():
            result[labels == label, digit] = share
    return result


class MixedEpochs(keras.utils.PyDataset):
    """Each epoch: every MNIST image (randomly shifted a little), plus phone-like
    digits, real digits, generated drawings that are no digit and real doodles,
    drawn at random from their pools."""

    def __init__(self, mnist_images, mnist_labels, phone_like: TrainingSet, batch_size: int, seed: int,
                 digits_per_epoch: int, not_digits_per_epoch: int, handwriting_per_epoch: int = 0,
                 doodles_per_epoch: int = 0):
        super().__init__()
        self.mnist_images, self.mnist_labels = mnist_images, mnist_labels
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed)
        is_digit = phone_like.labels != NO_DIGIT_LABEL
        self.digit_pool = np.flatnonzero(is_digit & ~phone_like.handwritten)
        self.handwriting_pool = np.flatnonzero(is_digit & phone_like.handwritten)
        self.not_digit_pool = np.flatnonzero(~is_digit & ~phone_like.handwritten)
        self.doodle_pool = np.flatnonzero(~is_digit & phone_like.handwritten)
        self.phone_like = phone_like
        self.digits_per_epoch = min(len(self.digit_pool), digits_per_epoch)
        self.handwriting_per_epoch = min(len(self.handwriting_pool), handwriting_per_epoch)
        self.not_digits_per_epoch = min(len(self.not_digit_pool), not_digits_per_epoch)
        self.doodles_per_epoch = min(len(self.doodle_pool), doodles_per_epoch)
        self.on_epoch_end()

    def on_epoch_end(self) -> None:
        chosen = np.concatenate([self.rng.choice(self.digit_pool, self.digits_per_epoch, replace=False),
                                 self.rng.choice(self.handwriting_pool, self.handwriting_per_epoch, replace=False),
                                 self.rng.choice(self.not_digit_pool, self.not_digits_per_epoch, replace=False),
                                 self.rng.choice(self.doodle_pool, self.doodles_per_epoch, replace=False)])
        images = np.concatenate([random_shift(self.mnist_images, self.rng), self.phone_like.images[chosen]])
        labels = np.concatenate([self.mnist_labels, self.phone_like.labels[chosen]])
        order = self.rng.permutation(len(images))
        self.images, self.targets = images[order, ..., None], targets(labels[order])

    def __len__(self) -> int:
        return math.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, index: int):
        batch = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.images[batch], self.targets[batch]


def cosine_schedule(initial_rate: float, total_steps: int) -> keras.optimizers.schedules.LearningRateSchedule:
    return keras.optimizers.schedules.CosineDecay(initial_rate, decay_steps=max(total_steps, 1), alpha=0.01)


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True
            self.model.non_finite_loss = True


def check_finite(model: keras.Model, histories: list[dict]) -> None:
    """Raise TrainingError if training diverged: a non-finite loss or weight."""
    if getattr(model, "non_finite_loss", False) or not all(
            math.isfinite(v) for history in histories for v in history.get("loss", [math.nan])):
        raise TrainingError("the training loss became non-finite (NaN or infinity); lower --learning-rate")
    for weight in model.weights:
        if not np.isfinite(np.asarray(weight)).all():
            raise TrainingError(f"weight {weight.path} holds NaN or infinity")


def check_sound(model: keras.Model, histories: list[dict], test_accuracy: float, recipe: Recipe) -> None:
    """Raise TrainingError unless the model may replace a good one."""
    check_finite(model, histories)
    if not test_accuracy >= recipe.min_accuracy:
        raise TrainingError(f"MNIST test accuracy {test_accuracy:.4f} is below --min-accuracy "
                            f"{recipe.min_accuracy}")


def top_probabilities(model: keras.Model, inputs: np.ndarray) -> np.ndarray:
    return model.predict(inputs[..., None], batch_size=500, verbose=0).max(axis=1)


HELD_OUT_NOT_DIGITS = 2000


def held_out_figures(model: keras.Model, mnist, recipe: Recipe, render, workers: int) -> dict:
    """Figures on drawings the model never trained on, all generated here:
    phone-like drawings of MNIST's test digits and drawings that are no digit
    (other seeds than training's). The "not a digit" threshold is chosen on them."""
    # A quick run (--limit N) measures on fewer: the first min(N, 1,000) test digits and half as many no-digits.
    measured = min(recipe.limit, 1000) if recipe.limit else len(mnist.x_test)
    test_images, test_labels = mnist.x_test[:measured], mnist.y_test[:measured]
    digits = synthesis.synthesize_parallel(test_images, test_labels, recipe.seed + 77, render, workers=workers)
    not_digits = synthesis.synthesize_parallel(None, None, recipe.seed + 78, render, workers=workers,
                                               count=measured // 2 if recipe.limit else HELD_OUT_NOT_DIGITS)
    probabilities = {p: model.predict(digits[p][..., None], batch_size=500, verbose=0) for p in PIPELINES}
    # Each pipeline's threshold by the same rule on its own inputs: one pipeline's is too low for the other's.
    thresholds = {p: not_a_digit_threshold(probabilities[p].max(axis=1)) for p in PIPELINES}
    labels = test_labels.astype(np.int64)
    caught = {p: round(float((top_probabilities(model, not_digits[p]) < thresholds[p]).mean()), 4) for p in PIPELINES}
    figures = {"digits_accuracy": {p: round(float((probabilities[p].argmax(1) == labels).mean()), 4)
                                   for p in PIPELINES},
               **{NOT_A_DIGIT_KEYS[p]: thresholds[p] for p in PIPELINES}, "not_digits_caught": caught}
    if recipe.held_out_handwriting:
        figures["handwriting_accuracy"] = held_out_handwriting_accuracy(model, recipe.held_out_handwriting, render)
    return figures


def held_out_handwriting_accuracy(model: keras.Model, path: str, render) -> dict[str, float]:
    """Accuracy on real digits by writers training never saw, drawn as they
    were written (no placement), through each pipeline."""
    from model.runtime.pipelines import to_model_input
    from model.runtime.strokes import read_drawings

    drawings = [d for d in read_drawings(path) if d.label is not None]
    labels = np.array([d.label for d in drawings])
    bitmaps = [render(d.on_phone_canvas()) for d in drawings]
    return {p: round(float((model.predict(np.stack([to_model_input(b, p) for b in bitmaps])[..., None],
                                          batch_size=500, verbose=0).argmax(1) == labels).mean()), 4)
            for p in PIPELINES}


def not_a_digit_threshold(digit_top_probabilities: np.ndarray) -> float:
    """The top probability below which a drawing is "not a digit": it calls
    DIGITS_REJECTED of the held-out phone-like digits (through one pipeline) so."""
    return round(float(np.quantile(digit_top_probabilities, DIGITS_REJECTED)), 4)


def train_member(member: int, train_images, train_labels, phone_like: TrainingSet, test_images, test_labels,
                 recipe: Recipe, log: Callable[[str], None]) -> tuple[keras.Model, dict]:
    """One network of the ensemble: its own initial weights and epoch mixes."""
    from model.recipe.network import build_model

    seed = recipe.seed + 1000 * member
    keras.utils.set_random_seed(seed)
    training_data = MixedEpochs(train_images.astype(np.float32) / 255.0, train_labels, phone_like,
                                recipe.batch_size, seed,
                                digits_per_epoch=round(recipe.phone_ratio * len(train_images)),
                                not_digits_per_epoch=round(recipe.not_digit_ratio * len(train_images)),
                                handwriting_per_epoch=round(recipe.handwriting_ratio * len(train_images)),
                                doodles_per_epoch=round(recipe.doodle_ratio * len(train_images)))
    if recipe.start_from:
        from model.runtime.keras_model import load_keras_model

        model = keras.Model.from_config(build_model(recipe.network).get_config())
        try:
            model.set_weights(load_keras_model(recipe.start_from).get_weights())
        except ValueError as error:
            raise TrainingError(f"{recipe.start_from}: not a {recipe.network} network ({error})") from None
        log(f"member {member + 1}: fine-tuning {recipe.start_from}")
    else:
        model = build_model(recipe.network)
    schedule = cosine_schedule(recipe.learning_rate, recipe.epochs * len(training_data))
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="categorical_crossentropy",
                  metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])
    log(f"member {member + 1}/{recipe.members}: training {recipe.epochs} epochs of {len(training_data)} batches")
    fit = model.fit(training_data, epochs=recipe.epochs, callbacks=[StopOnNonFiniteLoss()],
                    validation_data=(test_images[..., None], targets(test_labels)), verbose=2)
    return model, {key: [float(v) for v in values] for key, values in fit.history.items()}


def train(mnist, recipe: Recipe, out: Path, render, workers: int, cache: Path,
          log: Callable[[str], None] = print) -> dict:
    """The whole recipe; writes `out`, `out.history.json` and `out.curves.png`
    only if the model is sound. Returns the history record."""
    from model.recipe.network import ensemble

    train_images, train_labels = mnist.x_train, mnist.y_train.astype(np.int64)
    if recipe.limit:
        train_images, train_labels = train_images[: recipe.limit], train_labels[: recipe.limit]
    test_images = mnist.x_test.astype(np.float32) / 255.0
    test_labels = mnist.y_test.astype(np.int64)
    log(f"MNIST: {len(train_images)} training and {len(test_images)} test images")
    # Read before any drawing, so that a wrong file is refused at once.
    doodles = read_doodles(recipe.doodles) if recipe.doodles else None
    phone_like = phone_like_training_set(train_images, train_labels, recipe, render, workers, cache, log, doodles)
    mnist_labels = mnist_soft_labels(train_images, train_labels)  # the same for every member
    started = time.monotonic()
    members, histories = [], []
    for member in range(recipe.members):
        network, history = train_member(member, train_images, mnist_labels, phone_like, test_images, test_labels,
                                        recipe, log)
        check_finite(network, [history])  # a diverged member fails the run now, not after the others
        members.append(network)
        histories.append(history)
    train_seconds = time.monotonic() - started
    log(f"trained in {train_seconds:.0f} s")
    # With --members N the networks' logits are averaged in one model; runs 3
    # and 6 found no gain on held-out data for twice the cost, so the default is one.
    return finish(ensemble(members), mnist, recipe, out, render, workers, log,
                  {"recipe": asdict(recipe), "histories": histories, "train_seconds": round(train_seconds, 1)})


def merge(data: str | None, member_paths: list[Path], out: Path, render, workers: int,
          held_out_handwriting: str | None = None, limit: int | None = None,
          log: Callable[[str], None] = print) -> dict:
    """Trained networks of one architecture, each with its own line of
    fine-tuning, merged into one network that averages their logits; measured
    and recorded like a trained model (its own "not a digit" threshold).
    Writes `out`, `out.history.json` and `out.curves.png` only if it is sound.
    The members are read before MNIST (`data`: a local mnist.npz, or None for
    the Keras download), so a wrong member is refused at once."""
    from model.recipe.data import load_mnist
    from model.recipe.network import ensemble
    from model.runtime.keras_model import history_path, load_keras_model

    members, records = [], []
    for path in member_paths:
        members.append(load_keras_model(path))
        try:
            records.append(json.loads(history_path(path).read_text()))
        except (OSError, ValueError) as error:
            raise TrainingError(f"{history_path(path)}: no readable training record beside {path} ({error})") from None
        log(f"member {len(members)}: {path}")
    try:
        model = ensemble(members)
    except ValueError as error:
        raise TrainingError(f"{', '.join(map(str, member_paths))}: cannot be merged ({error})") from None
    mnist = load_mnist(data)
    # The held-out drawings are those of a default run (its seed), as every trained model's are.
    recipe = Recipe(held_out_handwriting=held_out_handwriting, limit=limit)
    histories = [history for record in records for history in record.get("histories", [])]
    return finish(model, mnist, recipe, out, render, workers, log,
                  {"merged_from": [str(path) for path in member_paths],
                   "member_recipes": [record.get("recipe") for record in records], "histories": histories})


def finish(model: keras.Model, mnist, recipe: Recipe, out: Path, render, workers: int,
           log: Callable[[str], None], record: dict) -> dict:
    """Check, measure and save a trained (or merged) model with its record."""
    from model.recipe.evaluation import save_curves
    from model.recipe.network import save_without_optimizer
    from model.runtime.keras_model import history_path

    test_images = mnist.x_test.astype(np.float32) / 255.0
    test_labels = mnist.y_test.astype(np.int64)
    predicted = model.predict(test_images[..., None], batch_size=500, verbose=0)
    test_accuracy = float((predicted.argmax(axis=1) == test_labels).mean()) if np.isfinite(predicted).all() else 0.0
    log(f"MNIST test accuracy: {test_accuracy:.4f}")
    check_sound(model, record["histories"], test_accuracy, recipe)

    held_out = held_out_figures(model, mnist, recipe, render, workers)
    thresholds = {key: held_out[key] for key in NOT_A_DIGIT_KEYS.values()}
    log(f"held-out phone-like digits: {held_out['digits_accuracy']}; not a digit below a top probability of "
        f"{thresholds} (phone, centred), which catches {held_out['not_digits_caught']} of held-out drawings "
        "that are no digit")
    record = {**record, "mnist_test_accuracy": round(test_accuracy, 4), **thresholds, "held_out": held_out}
    save_without_optimizer(model, out)
    write_text_atomic(history_path(out), json.dumps(record, indent=2) + "\n")
    save_curves(record["histories"], out.with_suffix(".curves.png"))
    return record
