"""How much of a user's file the app reads: a device, a pipe or a file larger
than any it opens is refused before a read that could hang the app or fill
its memory (/dev/zero named as a model never ends)."""

from __future__ import annotations

import stat
from pathlib import Path

MODEL_MEGABYTES = 1000  # far more than any model the app runs (the shipped one is under 1 MB)
# One drawing through a model, at most: the shipped one takes a millisecond, a ResNet of 28x28 a few dozen;
# a model that pads or widens its blobs to millions of values would freeze the app at every stroke.
MODEL_SECONDS = 2.0


def check_regular_file(path: Path, megabytes: float, error: type[Exception], what: str) -> None:
    """Raise `error`, naming `path`, if it is a folder, a device or a pipe, or
    holds more than `megabytes`; nothing is read. A missing file is left to
    the read that follows, which names it."""
    try:
        status = path.stat()
    except OSError:
        return
    if stat.S_ISDIR(status.st_mode):
        raise error(f"{path}: is a folder, not {what}")
    if not stat.S_ISREG(status.st_mode):
        raise error(f"{path}: not a regular file (a device, pipe or socket), so it is not read as {what}")
    if status.st_size > megabytes * 1e6:
        raise error(f"{path}: {status.st_size / 1e6:.1f} MB is more than {what} holds (at most "
                    f"{megabytes:,.0f} MB), so it is not read")
