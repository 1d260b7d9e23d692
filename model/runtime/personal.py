"""Teaching the model its user's hand: the personal set (drawings and the digit
each one is) and personalising, the phone's own on-device update run on it.

The personal set is an SQLite database (WAL), a drawing a row: each row is one
JSON line of the shared stroke format with its `label`; a drawing that came
from an image holds the canvas as a base64 PNG under `image` instead of
strokes. SQLite, not a file of ours rewritten whole, because two windows or
processes teach at once: its transactions and locks lose neither's drawings.
Export and import are JSON lines, as before.

Personalising fine-tunes a Core ML model with the update it defines (or the
project's default, model.coreml.update.DEFAULT_RULE), then measures before and
after: on the set itself cross-validated (each drawing graded by a model that
did not learn it) and on a general check of 1,000 MNIST test digits shipped
with the package. A personal model whose general check falls more than
GENERAL_TOLERANCE below the base model's is not used.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import io
import itertools
import json
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.atomic import write_text_atomic
from model.errors import DataError
from model.runtime.engines import to_pixels
from model.runtime.pipelines import NothingDrawn, to_model_input
from model.runtime.strokes import CANVAS_SIZE, Drawing, Stroke, parse_drawing, parse_drawing_text

GENERAL_CHECK = Path(__file__).resolve().parent.parent / "general_check.npz"
GENERAL_TOLERANCE = 0.01  # a point of the general check
FOLDS = 5
# A set the base model reads right, every drawing with at least this top probability, is left untaught:
# measured on 44 pendigits writers (one drawing of each digit taught), updating anyway made 7 writers worse
# (mostly by one error), leaving such sets alone 3, for 40 % of the errors removed instead of 47 %.
ALREADY_SURE = 0.9
FEW_DIGITS = 2  # a set of this many digits or fewer is told to teach the others too, when the guard refuses it
PERSONAL_SET_NAME = "personal-set.sqlite3"
LEGACY_SET_NAME = "personal-set.jsonl"  # the set of versions before the SQLite store
LOCK_SECONDS = 30  # how long a writer waits for another window's write
THREADS = 2  # the machines it runs on have two cores or more
IOS11_LAYERS = {"convolution", "activation", "pooling", "flatten", "innerProduct", "softmax", "batchnorm"}

Render = Callable[..., np.ndarray]  # render(strokes) -> 375x375 uint8


@dataclass
class Example:
    """One taught drawing: strokes on the phone's canvas, or an opened image's canvas."""
    label: int
    strokes: list[Stroke] = field(default_factory=list)
    bitmap: np.ndarray | None = None  # 375x375 uint8

    def to_json(self) -> dict:
        record = Drawing(self.strokes, self.label).to_json()
        if self.bitmap is not None:
            from PIL import Image

            encoded = io.BytesIO()
            Image.fromarray(self.bitmap).save(encoded, "PNG")
            record["image"] = base64.b64encode(encoded.getvalue()).decode("ascii")
        return record

    def canvas(self, render: Render) -> np.ndarray:
        return self.bitmap if self.bitmap is not None else render(self.strokes)


def _example(record: object, where: str) -> Example:
    drawing = parse_drawing(record, where)
    if drawing.label is None:
        raise DataError(f"{where}: no 'label': a taught drawing says which digit it is")
    bitmap = None
    if isinstance(record, dict) and "image" in record:
        from PIL import Image

        try:
            with Image.open(io.BytesIO(base64.b64decode(record["image"], validate=True))) as image:
                bitmap = np.asarray(image.convert("L"), np.uint8).copy()
        except Exception as error:  # base64, PNG and type errors alike
            raise DataError(f"{where}: 'image' is not a base64 PNG ({type(error).__name__})") from None
        if bitmap.shape != (CANVAS_SIZE, CANVAS_SIZE):
            raise DataError(f"{where}: 'image' is {bitmap.shape[1]}x{bitmap.shape[0]}, not the "
                            f"{CANVAS_SIZE}x{CANVAS_SIZE} canvas")
    elif not drawing.strokes:
        raise DataError(f"{where}: holds neither strokes nor an image")
    return Example(drawing.label, drawing.on_phone_canvas(), bitmap)


def read_examples(path: str | os.PathLike) -> list[Example]:
    """Every taught drawing of a personal set (or any labelled stroke file)."""
    from model.runtime.strokes import read_drawings

    def parse(text: str, where: str) -> Example:
        try:
            record = json.loads(text.removeprefix("\ufeff"))
        except (ValueError, RecursionError):  # JSONDecodeError is a ValueError, as is a number too long
            parse_drawing_text(text, where)  # raises the stroke reader's message
            raise
        return _example(record, where)

    return read_drawings(path, parse)


class PersonalSet:
    """The taught drawings, in an SQLite database (`path`) that any number of
    windows and processes share: every change is one transaction, so nothing
    one writes is lost to another, and each sees the others' changes when it
    next reads (`examples`). A drawing that cannot be read is moved to a file
    of its own beside the store, never over an earlier one; the rest stay in use.
    `note` says what loading found, for the user."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.note = ""
        self._examples: list[Example] = []
        self._ids: list[int] = []
        self._version: tuple[int, int] | None = None  # (the database's data_version, our own changes)
        self._changes = 0
        self._connection = self._open()
        self._carry_over(self.path.with_name(LEGACY_SET_NAME))

    # --- the store
    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.OperationalError as error:  # a folder that cannot be written, a locked file
            raise DataError(f"{self.path}: the personal set cannot be opened ({error})") from None
        except sqlite3.DatabaseError as error:  # not a database: kept aside whole, and a new store begun
            aside = unique_aside(self.path, "damaged", self.path.suffix)
            os.replace(self.path, aside)
            for journal in ("-wal", "-shm"):
                Path(f"{self.path}{journal}").unlink(missing_ok=True)
            self._tell(f"{self.path}: not a personal set ({error}); it was kept as {aside.name} and a new "
                       "personal set begun")
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: each change below is its own explicit transaction.
        connection = sqlite3.connect(self.path, timeout=LOCK_SECONDS, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("CREATE TABLE IF NOT EXISTS drawings (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                               "record TEXT NOT NULL)")
            connection.execute("CREATE TABLE IF NOT EXISTS carried_over (name TEXT PRIMARY KEY)")
            connection.execute("SELECT count(*) FROM drawings").fetchone()
        except sqlite3.DatabaseError:
            connection.close()
            raise
        return connection

    def close(self) -> None:
        self._connection.close()

    def _tell(self, message: str) -> None:
        self.note = f"{self.note}; {message}" if self.note else message

    def _carry_over(self, legacy: Path) -> None:
        """The JSON-lines set of earlier versions, once, whole: its damaged lines go aside."""
        if not legacy.is_file():
            return
        with self._transaction() as connection:
            if connection.execute("SELECT 1 FROM carried_over WHERE name = ?", (legacy.name,)).fetchone():
                return
            good, damaged = read_examples_keeping_damage(legacy)
            connection.executemany("INSERT INTO drawings (record) VALUES (?)",
                                   [(json.dumps(e.to_json()),) for e in good])
            connection.execute("INSERT INTO carried_over (name) VALUES (?)", (legacy.name,))
        # Kept, renamed, so that nothing is lost if the new store is ever lost.
        os.replace(legacy, unique_aside(legacy, "carried-over", ".jsonl"))
        if damaged:
            self._set_aside(damaged, legacy)

    def _set_aside(self, damaged: list[tuple[str, str]], source: Path) -> None:
        aside = unique_aside(self.path, "damaged", ".jsonl")
        aside.write_text("".join(line if line.endswith("\n") else line + "\n" for line, _ in damaged),
                         encoding="utf-8")
        first = damaged[0][1]
        self._tell(f"{len(damaged)} damaged drawing{'s' if len(damaged) != 1 else ''} of {source} "
                   f"({first}) kept aside in {aside}; the other drawings are in use")

    @contextlib.contextmanager
    def _transaction(self):
        # IMMEDIATE: take the write lock first, so two writers queue rather than fail halfway.
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            yield self._connection
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")
        self._changes += 1

    # --- reading
    @property
    def examples(self) -> list[Example]:
        """Every taught drawing, as the store holds it now."""
        version = (self._connection.execute("PRAGMA data_version").fetchone()[0], self._changes)
        if version != self._version:
            self._read()
            self._version = (self._connection.execute("PRAGMA data_version").fetchone()[0], self._changes)
        return self._examples

    def _read(self) -> None:
        rows = self._connection.execute("SELECT id, record FROM drawings ORDER BY id").fetchall()
        examples, ids, damaged = [], [], []
        for row_id, text in rows:
            where = f"{self.path}: drawing {row_id}"
            try:
                examples.append(_example(json.loads(text), where))
                ids.append(row_id)
            except (DataError, ValueError, RecursionError, TypeError) as error:
                damaged.append((row_id, text, str(error) if isinstance(error, DataError) else f"{where}: {error}"))
        if damaged:
            self._set_aside([(text, why) for _, text, why in damaged], self.path)
            with self._transaction() as connection:
                connection.executemany("DELETE FROM drawings WHERE id = ?", [(row_id,) for row_id, _, _ in damaged])
        self._examples, self._ids = examples, ids

    def counts(self) -> list[int]:
        examples = self.examples
        return [sum(e.label == digit for e in examples) for digit in range(10)]

    # --- changing
    def add(self, example: Example) -> None:
        self.add_all([example])

    def add_all(self, examples: Sequence[Example]) -> None:
        records = [(json.dumps(e.to_json()),) for e in examples]
        with self._transaction() as connection:
            connection.executemany("INSERT INTO drawings (record) VALUES (?)", records)

    def remove(self, index: int) -> Example:
        """The `index`-th of `examples` as last read (another window may have removed it already)."""
        removed, row_id = self._examples[index], self._ids[index]
        with self._transaction() as connection:
            connection.execute("DELETE FROM drawings WHERE id = ?", (row_id,))
        return removed

    def clear(self) -> list[Example]:
        """Remove the drawings `examples` last showed (not those another window taught since); returns them."""
        removed, ids = list(self._examples), list(self._ids)
        with self._transaction() as connection:
            connection.executemany("DELETE FROM drawings WHERE id = ?", [(row_id,) for row_id in ids])
        return removed

    def export(self, path: str | os.PathLike) -> None:
        write_text_atomic(Path(path), "".join(json.dumps(e.to_json()) + "\n" for e in self.examples))

    def import_file(self, path: str | os.PathLike) -> int:
        added = read_examples(path)
        self.add_all(added)
        return len(added)


def read_examples_keeping_damage(path: Path) -> tuple[list[Example], list[tuple[str, str]]]:
    """The readable drawings of a JSON-lines set, and each damaged line with why."""
    good, damaged = [], []
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error})") from None
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        where = f"{path}:{number}"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            damaged.append((raw.decode("utf-8", "replace"), f"{where}: not UTF-8 text"))
            continue
        if not text.strip():
            continue
        try:
            good.append(_example(json.loads(text.removeprefix("\ufeff")), where))
        except (ValueError, RecursionError) as error:
            why = str(error) if isinstance(error, DataError) else f"{where}: not valid JSON"
            damaged.append((text, why))
    return good, damaged


def unique_aside(path: Path, why: str, suffix: str) -> Path:
    """A new file's name beside `path` that names no existing file: `NAME.why-YYYYMMDD-N.suffix`."""
    stem = path.name.removesuffix(path.suffix)
    for number in itertools.count(1):
        candidate = path.with_name(f"{stem}.{why}-{datetime.date.today():%Y%m%d}-{number}{suffix}")
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return candidate
        except FileExistsError:
            continue
    raise AssertionError("unreachable")


@dataclass
class Personalised:
    base: Path
    taught: int
    set_before: float  # the base model on the personal set
    set_after: float | None  # cross-validated: each drawing graded by a model that did not learn it
    general_before: float | None  # None: nothing to learn, nothing to check
    general_after: float | None
    steps: int
    seconds: float
    spec: object  # the personal model's spec (a coremltools protobuf Model)
    rule: dict
    nothing_to_learn: bool = False  # the base model already reads every drawing right and sure
    digits: tuple[int, ...] = ()  # the digits the set teaches
    misread_as_taught: float | None = None  # of the general check's digits read wrong after, read as one of `digits`

    @property
    def used(self) -> bool:
        return not self.nothing_to_learn and self.general_after >= self.general_before - GENERAL_TOLERANCE

    @property
    def why_not(self) -> str:
        if self.nothing_to_learn:
            return (f"not needed: the model already reads all {self.taught} drawings right, each with a top "
                    f"probability of {ALREADY_SURE:.0%} or more, so there is nothing to learn")
        why = (f"not used: the general check fell from {self.general_before:.1%} to {self.general_after:.1%}, "
               f"more than {GENERAL_TOLERANCE:.0%} below the base model")
        if 0 < len(self.digits) <= FEW_DIGITS:
            # Measured: 8 drawings of one digit, 8 cases of 3 pendigits writers: 7 refused, median fall 2.9 points.
            taught = " and ".join(f"{digit}s" for digit in self.digits)
            why += f": taught only {taught}"
            if self.misread_as_taught:
                why += (f", it reads {self.misread_as_taught:.0%} of the digits it now gets wrong as "
                        f"{taught.replace(' and ', ' or ')}")
            why += ". Teach it a few drawings of your other digits too"
        return why

    def summary(self) -> dict:
        return {"model": str(self.base), "taught": self.taught, "set_accuracy_before": round(self.set_before, 4),
                "set_accuracy_after": _rounded(self.set_after),
                "general_before": _rounded(self.general_before), "general_after": _rounded(self.general_after),
                "misread_as_taught": _rounded(self.misread_as_taught),
                "used": self.used, "nothing_to_learn": self.nothing_to_learn,
                "why_not": None if self.used else self.why_not, "steps": self.steps,
                "seconds": round(self.seconds, 3), "update": self.rule}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def model_inputs(examples: Sequence[Example], pipeline: str, render: Render, where: str = "the personal set"
                 ) -> np.ndarray:
    """(N, 28, 28) uint8: each drawing as the phone hands it to the model."""
    pixels = []
    for index, example in enumerate(examples):
        try:
            pixels.append(to_pixels(to_model_input(example.canvas(render), pipeline)))
        except NothingDrawn:
            raise DataError(f"{where}: drawing {index + 1} has no ink on the canvas") from None
    return np.stack(pixels) if pixels else np.zeros((0, 28, 28), np.uint8)


def general_check() -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(GENERAL_CHECK) as stored:
            return stored["images"], stored["labels"]
    except (OSError, KeyError, ValueError) as error:
        raise DataError(f"{GENERAL_CHECK}: the general check is missing or damaged ({error})") from None


def personalise(base: str | os.PathLike, examples: Sequence[Example], pipeline: str, render: Render,
                progress: Callable[[int, int], None] | None = None, folds: int = FOLDS) -> Personalised:
    """Fine-tune the Core ML model `base` on `examples` with the update it
    defines (or the default), and measure it before and after."""
    from model.coreml.runner import CoreMLModel
    from model.coreml.update import DEFAULT_RULE, Update, UpdateRule

    started = time.monotonic()
    model = CoreMLModel(base)
    rule = UpdateRule.of(model) or DEFAULT_RULE
    fresh = Update(model, rule)  # refuses a model it cannot update, naming the layer, before any work
    if not examples:
        raise DataError("the personal set is empty: teach it some drawings first")
    pixels = model_inputs(examples, pipeline, render)
    labels = np.array([e.label for e in examples])
    folds = min(folds, len(examples)) if len(examples) >= 2 else 0
    # The fixed layers see the same drawings whatever is learned: once.
    features = fresh.features(pixels)
    images, general_labels = general_check()
    known = fresh.forward(features)[0]
    nothing_to_learn = bool(((known.argmax(axis=1) == labels) & (known.max(axis=1) >= ALREADY_SURE)).all())

    def learned(chosen: np.ndarray) -> Update:
        update = Update(model, rule)
        update.fit_features(features[chosen], labels[chosen])
        return update

    def accuracy(of: Update, inputs: np.ndarray, truth: np.ndarray) -> float:
        return float((of.forward(inputs)[0].argmax(axis=1) == truth).mean())

    graded = known.argmax(axis=1) == labels
    if nothing_to_learn:  # nothing changes, so there is nothing to check either
        update, general_before, general_after, misread_as_taught = fresh, None, None, None
        if progress is not None:
            progress(1, 1)
    else:
        # The general check's features, the cross-validation folds and the update are independent: they share
        # the cores (numpy leaves Python's lock while it computes). Progress is told from this thread.
        everything = np.arange(len(examples))
        held_out = [everything % folds == fold for fold in range(folds)]
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            general_parts = [pool.submit(fresh.features, images[half])
                             for half in np.array_split(np.arange(len(images)), 2)]
            final = pool.submit(learned, everything)
            fold_updates = [pool.submit(learned, ~held) for held in held_out]
            parts = [*fold_updates, final, *general_parts]
            for done, _ in enumerate(as_completed(parts), start=1):
                if progress is not None:
                    progress(done, len(parts))
        update = final.result()
        for held, fold_update in zip(held_out, fold_updates, strict=True):
            graded[held] = fold_update.result().forward(features[held])[0].argmax(axis=1) == labels[held]
        general_features = np.concatenate([part.result() for part in general_parts])
        read = update.forward(general_features)[0].argmax(axis=1)
        general_before = accuracy(fresh, general_features, general_labels)
        general_after = float((read == general_labels).mean())
        misread = read[read != general_labels]
        misread_as_taught = float(np.isin(misread, labels).mean()) if len(misread) else 0.0
    spec = update.updated_spec()
    set_after = float(graded.mean()) if folds or nothing_to_learn else None
    return Personalised(Path(base), len(examples), accuracy(fresh, features, labels), set_after, general_before,
                        general_after, update.steps, time.monotonic() - started, spec,
                        {"optimizer": update.rule.optimizer, "learning_rate": update.rule.learning_rate,
                         "batch_size": update.rule.batch_size, "epochs": update.rule.epochs,
                         "momentum": update.rule.momentum, "layers": list(update.rule.layers),
                         "shuffle": update.rule.shuffle}, nothing_to_learn, tuple(sorted(set(labels.tolist()))),
                        misread_as_taught)


def personal_model_bytes(result: Personalised, updatable: bool = False) -> bytes:
    """The .mlmodel of a personal model: the base's contract and "not a digit"
    threshold, its metadata saying where it came from; `updatable` keeps (or
    adds) the update, so the phone can go on learning."""
    from model.coreml.update import DEFAULT_RULE, write_update_rule

    spec = type(result.spec)()
    spec.CopyFrom(result.spec)
    metadata = spec.description.metadata
    metadata.userDefined["personalised_from"] = result.base.name
    metadata.userDefined["personal_drawings"] = str(result.taught)
    metadata.userDefined["personalised_on"] = f"{datetime.date.today():%Y-%m-%d}"
    metadata.shortDescription = (f"{metadata.shortDescription} Personalised on {result.taught} drawings of its "
                                 f"user from {result.base.name}.").strip()
    kind = spec.WhichOneof("Type")
    network = getattr(spec, kind)
    if updatable:
        if not network.HasField("updateParams"):
            write_update_rule(spec, DEFAULT_RULE, tuple(result.rule["layers"]))
        return spec.SerializeToString()
    # The phone's drop-in: no update in it, and iOS 11's specification when its layers allow.
    if network.HasField("updateParams"):
        network.ClearField("updateParams")
        for layer in network.layers:
            layer.isUpdatable = False
            if layer.WhichOneof("layer") == "innerProduct":
                layer.innerProduct.weights.isUpdatable = layer.innerProduct.bias.isUpdatable = False
        del spec.description.trainingInput[:]
        spec.isUpdatable = False
        if all(layer.WhichOneof("layer") in IOS11_LAYERS for layer in network.layers):
            spec.specificationVersion = 1
    return spec.SerializeToString()
