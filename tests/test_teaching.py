"""Teaching without Qt: the personal model goes where the user says, never over its base."""

import shutil

import pytest

from desktop_app.render import render_canvas
from desktop_app.session import Session
from desktop_app.teaching import Teaching
from model.errors import ModelFileError
from model.runtime.paths import DEFAULT_COREML_MODEL


def test_the_personal_model_is_exported_anywhere_but_over_its_base_model(tmp_path):
    base = tmp_path / "base.mlmodel"
    shutil.copyfile(DEFAULT_COREML_MODEL, base)
    personal = tmp_path / "personal.mlmodel"
    shutil.copyfile(DEFAULT_COREML_MODEL, personal)  # stands in for a personalised one: export copies its spec
    teaching = Teaching(Session(render_canvas, model_paths={"coreml": base}), tmp_path / "set.jsonl", personal)
    teaching.export_model(tmp_path / "phone.mlmodel")
    assert (tmp_path / "phone.mlmodel").stat().st_size > 100_000
    with pytest.raises(ModelFileError, match="is the base model the app runs"):
        teaching.export_model(tmp_path / "." / "base.mlmodel")
    assert base.read_bytes() == DEFAULT_COREML_MODEL.read_bytes()
