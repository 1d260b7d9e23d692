"""The one command that builds the shipped model: what it checks before any
work, and what its records hold."""

import json
import re
import subprocess

import pytest

from model.errors import DataError
from model.recipe.sources import SOURCES, check_source
from tests.conftest import ROOT, run_script


def test_a_missing_download_is_named_with_where_to_get_it(tmp_path):
    for source in SOURCES:
        with pytest.raises(DataError, match=re.escape(f"{tmp_path / source.file}: missing; download ") + ".* from "
                           + re.escape(source.address.split(" ")[0])):
            check_source(tmp_path, source)


def test_a_download_that_is_not_the_published_file_is_refused_by_its_sha256(tmp_path):
    source = SOURCES[1]
    (tmp_path / source.file).write_text("{}")
    with pytest.raises(DataError, match=rf"sha256 [0-9a-f]{{64}}, not the {source.sha256} of the published file"):
        check_source(tmp_path, source)


def test_the_command_checks_every_download_before_any_work(tmp_path, mnist_npz):
    sources = tmp_path / "sources"
    sources.mkdir()
    result = run_script("scripts/build_model.py", "--data", str(mnist_npz), "--sources", str(sources),
                        "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"),
                        "--converted", str(tmp_path / "converted"))
    assert result.returncode == 2
    assert "pen+based+recognition+of+handwritten+digits.zip: missing" in result.stderr
    assert "https://archive.ics.uci.edu/static/public/81/" in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()
    nowhere = run_script("scripts/build_model.py", "--sources", str(tmp_path / "none"), "--out", str(tmp_path / "o"))
    assert nowhere.returncode == 2 and f"--sources {tmp_path / 'none'}: no such folder" in nowhere.stderr


def test_records_name_files_by_their_place_in_the_project_never_by_a_machines_path():
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from build_model import portable_arguments

    assert portable_arguments(["--sources", "/somewhere/else/sources", "--out", "model"]) == \
        ["--sources", "sources", "--out", "model"]
    assert portable_arguments(["--data", str(ROOT / "build" / "mnist.npz")]) == ["--data", "build/mnist.npz"]
    committed = subprocess.run(["git", "ls-files", "*.history.json"], cwd=ROOT, capture_output=True, text=True)
    for name in committed.stdout.split():
        text = (ROOT / name).read_text()
        record = json.loads(text)
        assert "/work/" not in text and "/home/" not in text and "/Users/" not in text, name
        assert record["recipe"]["start_from"] is None or not record["recipe"]["start_from"].startswith("/")
