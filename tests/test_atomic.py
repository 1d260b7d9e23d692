import os

import pytest

from model.atomic import atomic_path, write_text_atomic


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "model.keras"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_a_finished_write_replaces_the_file_with_ordinary_permissions(tmp_path):
    target = tmp_path / "notes.json"
    write_text_atomic(target, "{}")
    assert target.read_text() == "{}"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_temporary_left_by_a_killed_writer_is_removed_on_the_next_write(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    leftover = tmp_path / f".model.{dead}.abc123.keras"
    leftover.write_text("half a model")
    write_text_atomic(tmp_path / "model.keras", "whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]
