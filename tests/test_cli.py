"""What every command-line tool shares: option types, the old pipeline names
(accepted at parsing only), output checks and the exit codes."""

import argparse
import signal

import pytest

from model.errors import DataError
from model.runtime.cli import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    add_pipeline_option,
    check_input_files,
    check_writable_file,
    keras_file,
    positive_float,
    positive_int,
    run_interruptibly,
)


def parse(*argv, both=False):
    parser = argparse.ArgumentParser()
    add_pipeline_option(parser, both=both)
    return parser.parse_args(argv)


@pytest.mark.parametrize(("given", "meant"), [("ios", "phone"), ("mnist", "centred"), ("phone", "phone"),
                                              ("centred", "centred")])
def test_old_pipeline_names_are_mapped_when_parsed(given, meant):
    assert parse("--pipeline", given).pipeline == meant


def test_both_is_a_pipeline_choice_only_where_asked():
    assert parse("--pipeline", "both", both=True).pipeline == "both"
    with pytest.raises(SystemExit):
        parse("--pipeline", "both")


@pytest.mark.parametrize("text", ["0", "-3", "2.5", "nan", "many"])
def test_positive_int_refuses_what_is_not_a_count(text):
    with pytest.raises(argparse.ArgumentTypeError, match=f"'{text}' is not a whole number"):
        positive_int(text)


@pytest.mark.parametrize("text", ["0", "-1", "inf", "nan"])
def test_positive_float_refuses_zero_negative_and_non_finite(text):
    with pytest.raises(argparse.ArgumentTypeError):
        positive_float(text)


@pytest.mark.parametrize("text", ["model.h5", "model.mlmodel", "model.keras.tmp", "model"])
def test_a_model_to_write_must_be_a_keras_file(text):
    with pytest.raises(argparse.ArgumentTypeError, match="must end in .keras"):
        keras_file(text)
    assert keras_file("build/model.keras") == "build/model.keras"


def test_a_missing_input_file_exits_with_one_line_naming_its_option(tmp_path, capsys):
    there = tmp_path / "there.jsonl"
    there.write_text("")
    check_input_files([("--doodles", str(there)), ("--start-from", None)])  # given and present, or not given
    with pytest.raises(SystemExit) as exit_:
        check_input_files([("--doodles", str(there)), ("--members", str(tmp_path / "gone.keras"))])
    assert exit_.value.code == EXIT_ERROR
    assert capsys.readouterr().err == f"error: --members {tmp_path / 'gone.keras'}: no such file\n"


def test_an_input_that_is_a_device_or_folder_is_called_not_a_regular_file(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        check_input_files([("--start-from", "/dev/zero")])
    assert exit_.value.code == EXIT_ERROR
    assert capsys.readouterr().err == "error: --start-from /dev/zero: not a regular file\n"


def test_an_output_that_is_a_folder_exits_with_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        check_writable_file(tmp_path, "--out")
    assert exit_.value.code == EXIT_ERROR
    assert capsys.readouterr().err.strip() == f"error: --out {tmp_path}: is a folder; give a file name"


def test_a_known_error_is_one_line_and_exit_2(capsys):
    def work():
        raise DataError("f.jsonl:3: 'label' must be a digit 0-9, got 12")

    assert run_interruptibly(work, "nothing written") == EXIT_ERROR
    assert capsys.readouterr().err == "error: f.jsonl:3: 'label' must be a digit 0-9, got 12\n"


def test_ctrl_c_and_sigterm_say_what_was_not_written(capsys):
    def interrupted():
        raise KeyboardInterrupt

    def terminated():
        signal.raise_signal(signal.SIGTERM)

    assert run_interruptibly(interrupted, "out.keras not written") == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "interrupted; out.keras not written\n"
    assert run_interruptibly(terminated, "out.keras not written") == EXIT_TERMINATED
    assert capsys.readouterr().err == "terminated; out.keras not written\n"
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_every_tools_help_reads_as_sentences():
    """Each choice's meaning is joined to the next with "; ", never with ".;"."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    tools = [["-m", "desktop_app"], *(["scripts/" + path.name] for path in sorted((root / "scripts").glob("*.py")))]
    for tool in tools:
        shown = subprocess.run([sys.executable, *tool, "--help"], cwd=root, capture_output=True, text=True,
                               env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "COLUMNS": "400"})
        assert shown.returncode == 0, (tool, shown.stderr)
        assert ".;" not in shown.stdout and "usage:" in shown.stdout, tool
