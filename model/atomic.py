"""Write files so that a crash or Ctrl-C never leaves a half-written one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(destination: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `destination` (same suffix, as some writers
    insist on one); it replaces `destination` only if the block succeeds."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(destination)
    handle, name = tempfile.mkstemp(prefix=f".{destination.stem}.{os.getpid()}.", suffix=destination.suffix,
                                    dir=destination.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        if temporary.is_file():
            os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; be like an ordinary file
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)


def remove_stale_temporaries(destination: Path) -> None:
    """Temporaries left by a writer that was killed (SIGKILL cannot be caught):
    their names carry the writer's process id, and that process is gone."""
    for leftover in destination.parent.glob(f".{destination.stem}.*{destination.suffix}"):
        parts = leftover.name[len(destination.stem) + 2:].split(".", 1)
        if parts[0].isdigit() and not _alive(int(parts[0])):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_bytes_atomic(destination: str | os.PathLike, data: bytes) -> None:
    with atomic_path(destination) as temporary:
        temporary.write_bytes(data)


def write_text_atomic(destination: str | os.PathLike, text: str) -> None:
    write_bytes_atomic(destination, text.encode("utf-8"))
