"""What the app will read of a user's file is decided before reading it."""

from pathlib import Path

import pytest

from model.limits import check_regular_file


def test_a_device_is_refused_by_name_without_being_read():
    with pytest.raises(ValueError, match=r"^/dev/zero: not a regular file .* not read as a model$"):
        check_regular_file(Path("/dev/zero"), 1, ValueError, "a model")


def test_a_folder_is_called_a_folder(tmp_path):
    with pytest.raises(ValueError, match=f"{tmp_path}: is a folder, not a model"):
        check_regular_file(tmp_path, 1, ValueError, "a model")


def test_a_file_larger_than_the_limit_is_refused_with_its_size(tmp_path):
    large = tmp_path / "large.bin"
    with large.open("wb") as file:
        file.truncate(2_500_000)  # sparse: nothing written
    with pytest.raises(ValueError, match=r"large\.bin: 2\.5 MB is more than a model holds \(at most 1 MB\)"):
        check_regular_file(large, 1, ValueError, "a model")


def test_a_regular_file_within_the_limit_and_a_missing_one_pass(tmp_path):
    small = tmp_path / "small.bin"
    small.write_bytes(b"x" * 1000)
    check_regular_file(small, 1, ValueError, "a model")
    check_regular_file(tmp_path / "missing.bin", 1, ValueError, "a model")  # the read that follows names it
