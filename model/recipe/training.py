"""The training recipe, top to bottom: the pools (model.recipe.pools), the
network's fit epoch by epoch (model.recipe.epochs) with a checkpoint after each,
the checks a model must pass before it is saved, and its measures
(model.recipe.held_out).

The same recipe, seed and machine give the same weights: every random choice
is seeded (TensorFlow's CPU kernels then give the same sums run after run), and
each epoch's mix depends only on the seed and the epoch's number, so a run
resumed from its checkpoint goes on as the unbroken run would.

`render` (the app's one stroke renderer) is passed in, so this module never
imports Qt.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import keras
import numpy as np

from model.atomic import atomic_path, write_text_atomic
from model.contract import NOT_A_DIGIT_KEYS
from model.errors import TrainingError
from model.recipe.epochs import epoch, epoch_sizes, mnist_soft_labels, targets
from model.recipe.held_out import held_out_figures
from model.recipe.pools import Pools, read_doodles, training_pools
from model.recipe.recipe import Recipe

# Keras compiles a training step with XLA unless told not to (jit_compile="auto"); on these 2-core CPUs XLA's
# convolutions took twice as long a step as TensorFlow's own kernels (343 against 151 ms a step of 128).
JIT_COMPILE = False
PROGRESS_SECONDS = 60  # how often a long fit says how far it is
EPOCH_CHECK = 2000  # MNIST test digits each epoch's validation reads


def make_deterministic(seed: int) -> None:
    # Seeds are all it takes on the CPU: TensorFlow's kernels there give the same sums run after run (a test
    # trains twice and compares the weights). Its op-determinism switch costs a seventh of the speed here.
    keras.utils.set_random_seed(seed)


def cosine_schedule(initial_rate: float, total_steps: int) -> keras.optimizers.schedules.LearningRateSchedule:
    return keras.optimizers.schedules.CosineDecay(initial_rate, decay_steps=max(total_steps, 1), alpha=0.01)


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True
            self.model.non_finite_loss = True


class Progress(keras.callbacks.Callback):
    """Every PROGRESS_SECONDS: where the fit is, how fast, and about how long is left of the whole run."""

    def __init__(self, log: Callable[[str], None], where: str, steps_left: int, started: float):
        super().__init__()
        self.log, self.where, self.steps_left = log, where, steps_left
        self.started = started
        self.last = time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        now = time.monotonic()
        if now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        done = batch + 1
        per_step = (now - self.started) / done
        left = (self.steps_left - done) * per_step
        self.log(f"  {self.where}, step {done}/{self.params.get('steps')}: {per_step * 1000:.0f} ms a step, "
                 f"about {left / 60:.0f} min left")


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


def new_network(recipe: Recipe, log: Callable[[str], None]) -> keras.Model:
    from model.recipe.network import build_model

    if not recipe.start_from:
        return build_model(recipe.network)
    from model.runtime.keras_model import load_keras_model

    model = keras.Model.from_config(build_model(recipe.network).get_config())
    try:
        model.set_weights(load_keras_model(recipe.start_from).get_weights())
    except ValueError as error:
        raise TrainingError(f"{recipe.start_from}: not a {recipe.network} network ({error})") from None
    log(f"fine-tuning {recipe.start_from}")
    return model


class Checkpoints:
    """A member's network, optimizer and history after each epoch, so a stopped run goes on where it stopped.
    Kept under the cache, by the recipe and its data; removed when the run has saved its model."""

    def __init__(self, folder: Path):
        self.folder = folder

    def paths(self, member: int) -> tuple[Path, Path]:
        return self.folder / f"member{member + 1}.keras", self.folder / f"member{member + 1}.json"

    def load(self, member: int, log: Callable[[str], None]) -> tuple[keras.Model, dict] | None:
        network, state = self.paths(member)
        if not (network.exists() and state.exists()):
            return None
        try:
            progress = json.loads(state.read_text())
            model = keras.saving.load_model(network)
        except (OSError, ValueError, KeyError) as error:
            log(f"{network}: checkpoint unreadable ({error}); starting the member afresh")
            return None
        log(f"member {member + 1}: resuming after epoch {progress['epochs_done']} from {network}")
        return model, progress

    def save(self, member: int, model: keras.Model, progress: dict) -> None:
        network, state = self.paths(member)
        with atomic_path(network) as temporary:
            model.save(temporary)
        write_text_atomic(state, json.dumps(progress))

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def train_member(member: int, mnist_images: np.ndarray, mnist_labels: np.ndarray, pools: Pools, mnist,
                 recipe: Recipe, checkpoints: Checkpoints, log: Callable[[str], None]) -> tuple[keras.Model, dict]:
    """One network of the ensemble: its own initial weights and epoch mixes."""
    seed = recipe.seed + 1000 * member
    make_deterministic(seed)
    sizes = epoch_sizes(recipe, len(mnist_images), pools)
    steps = math.ceil(sizes.total / recipe.batch_size)
    resumed = checkpoints.load(member, log)
    if resumed is None:
        model = new_network(recipe, log)
        model.compile(optimizer=keras.optimizers.Adam(cosine_schedule(recipe.learning_rate, recipe.epochs * steps)),
                      loss="categorical_crossentropy", metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
                      jit_compile=JIT_COMPILE)
        progress = {"epochs_done": 0, "history": {}, "seconds": 0.0}
    else:
        model, progress = resumed
    log(f"member {member + 1}/{recipe.members}: {recipe.epochs} epochs of {steps} batches of {recipe.batch_size} "
        f"({sizes})")
    # Each epoch's curve on a fifth of MNIST's test set: the whole set is measured once, when training ends.
    test = (mnist.x_test[:EPOCH_CHECK].astype(np.float32)[..., None] / 255.0,
            targets(mnist.y_test[:EPOCH_CHECK].astype(np.int64)))
    for number in range(progress["epochs_done"], recipe.epochs):
        started = time.monotonic()
        reseed_dropout(model, [recipe.seed, member, number])
        # The epoch's mix from its own seed: the same whether the run was resumed or not.
        images, epoch_targets = epoch(mnist_images, mnist_labels, pools, sizes, recipe.shrink_shares,
                                      np.random.default_rng([recipe.seed, member, number]))
        where = f"member {member + 1}, epoch {number + 1}/{recipe.epochs}"
        fit = model.fit(images, epoch_targets, batch_size=recipe.batch_size, epochs=number + 1, initial_epoch=number,
                        shuffle=False, validation_data=test, verbose=0,
                        callbacks=[StopOnNonFiniteLoss(),
                                   Progress(log, where, (recipe.epochs - number) * steps, started)])
        seconds = time.monotonic() - started
        for key, values in fit.history.items():
            progress["history"].setdefault(key, []).extend(float(v) for v in values)
        progress["epochs_done"], progress["seconds"] = number + 1, progress["seconds"] + seconds
        check_finite(model, [progress["history"]])  # a diverged member fails the run now
        if number + 1 < recipe.epochs:
            checkpoints.save(member, model, progress)
        left = (recipe.epochs - number - 1) * seconds * (recipe.members - member)
        log(f"{where}: {seconds:.0f} s ({sizes.total / seconds:.0f} drawings a second), loss "
            f"{progress['history']['loss'][-1]:.4f}, {EPOCH_CHECK} MNIST test digits "
            f"{progress['history']['val_accuracy'][-1]:.4f}; "
            f"about {left / 60:.0f} min left")
    return model, progress


def reseed_dropout(model: keras.Model, seed: list[int]) -> None:
    """Each dropout layer's random state from the epoch's seed: a checkpoint does not keep it, and a resumed
    run must drop what the unbroken run drops."""
    for index, layer in enumerate(model.layers):
        generator = getattr(layer, "seed_generator", None)
        if generator is not None:
            start = int(np.random.default_rng([*seed, index]).integers(2**31))
            generator.state.assign(np.array([start, 0], dtype=generator.state.dtype))


def train(mnist, recipe: Recipe, out: Path, render, workers: int, cache: Path,
          log: Callable[[str], None] = print, record: dict | None = None) -> dict:
    """The whole recipe; writes `out`, `out.history.json` and `out.curves.png`
    only if the model is sound. Returns the history record (`record` adds to it)."""
    from model.recipe.network import ensemble

    train_images, train_labels = mnist.x_train, mnist.y_train.astype(np.int64)
    if recipe.limit:
        train_images, train_labels = train_images[: recipe.limit], train_labels[: recipe.limit]
    log(f"MNIST: {len(train_images)} training and {len(mnist.x_test)} test images")
    # Read before any drawing, so that a wrong file is refused at once.
    doodles = read_doodles(recipe.doodles) if recipe.doodles else None
    pools = training_pools(train_images, train_labels, recipe, render, workers, cache, log, doodles)
    mnist_labels = mnist_soft_labels(train_images, train_labels)  # the same for every member
    key = hashlib.sha256(json.dumps(asdict(recipe), sort_keys=True).encode() + train_images.tobytes()).hexdigest()
    checkpoints = Checkpoints(cache / "checkpoints" / key[:16])
    members, histories, seconds, drawings = [], [], 0.0, 0
    for member in range(recipe.members):
        network, progress = train_member(member, train_images.astype(np.float32) / 255.0, mnist_labels, pools,
                                         mnist, recipe, checkpoints, log)
        members.append(network)
        histories.append(progress["history"])
        seconds += progress["seconds"]
        drawings += epoch_sizes(recipe, len(train_images), pools).total * recipe.epochs
    log(f"trained in {seconds:.0f} s ({drawings / seconds:.0f} drawings a second)")
    # With --members N the networks' logits are averaged in one model; runs 3
    # and 6 found no gain on held-out data for twice the cost, so the default is one.
    record = {**(record or {}), "recipe": portable(recipe), "histories": histories,
              "train_seconds": round(seconds, 1), "drawings_per_second": round(drawings / seconds)}
    result = finish(ensemble(members), mnist, recipe, out, render, workers, log, record)
    checkpoints.remove()
    return result


def portable(recipe: Recipe) -> dict:
    """The recipe as its record keeps it: files by their path in the project, or else by their name alone,
    never by a machine's absolute path."""

    def name(path: str | None) -> str | None:
        if path is None:
            return None
        try:
            return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            return Path(path).name

    recorded = asdict(recipe)
    recorded["handwriting"] = [name(path) for path in recipe.handwriting]
    for key in ("held_out_handwriting", "doodles", "start_from"):
        recorded[key] = name(recorded[key])
    return recorded


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
                  {"merged_from": [Path(path).name for path in member_paths],
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
        f"that are no digit; the phone's under each shrink: {held_out['phone_shrinks']}")
    record = {**record, "mnist_test_accuracy": round(test_accuracy, 4), **thresholds, "held_out": held_out}
    save_without_optimizer(model, out)
    write_text_atomic(history_path(out), json.dumps(record, indent=2) + "\n")
    save_curves(record["histories"], out.with_suffix(".curves.png"))
    return record
