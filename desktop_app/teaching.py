"""Teaching the app its user's hand, with no Qt: what is on the canvas joins the
personal set as the digit the user meant, personalising runs the phone's update
on that set, and a personal model that passes the general check is shown."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from desktop_app.session import Session
from model.atomic import atomic_path
from model.errors import DataError, ModelFileError
from model.runtime.personal import Example, Personalised, PersonalSet, personal_model_bytes, personalise


class Teaching:
    def __init__(self, session: Session, set_path: str | os.PathLike, model_path: str | os.PathLike):
        self.session = session
        self.set = PersonalSet(set_path)
        self.model_path = Path(model_path)
        self.last: Personalised | None = None
        if self.model_path.exists():
            self.session.models.set_personal(self.model_path, personal_title(self.model_path), use=False)

    def teach(self, digit: int) -> str:
        """What is on the canvas is `digit`: it joins the personal set. Returns what to tell the user."""
        document = self.session.document
        if document.is_empty():
            raise DataError("nothing drawn to teach: draw the digit first")
        content = document.content
        if content.background is None:
            example = Example(digit, strokes=document.live_strokes())
        else:  # an opened image, maybe drawn on: the canvas as the phone holds it
            example = Example(digit, bitmap=self.session.bitmap())
        self.set.add(example)
        return (f"Taught: this is a {digit} ({self.set.counts()[digit]} taught as {digit}, "
                f"{len(self.set.examples)} in all)")

    def personalise(self, progress: Callable[[int, int], None] | None = None,
                    examples: list[Example] | None = None) -> Personalised:
        """Fine-tune the base Core ML model on the personal set, or on `examples` read from it before (off the
        UI thread, pass them: the set's store is read on the thread that owns it)."""
        base = self.session.models.base_path("coreml")
        return personalise(base, self.set.examples if examples is None else examples, self.session.pipeline,
                           lambda strokes: self.session.render(strokes, None), progress)

    def adopt(self, result: Personalised) -> str:
        """Show the personal model if it passed the general check; says what happened."""
        self.last = result
        if not result.used:
            return f"The personal model is {result.why_not}. The base model stays."
        with atomic_path(self.model_path) as temporary:
            temporary.write_bytes(personal_model_bytes(result))
        self.session.models.set_personal(self.model_path, personal_title(self.model_path))
        return f"Now running the personal model, taught {result.taught} drawings."

    def export_model(self, path: str | os.PathLike, updatable: bool = False) -> None:
        """The personal model as the phone's drop-in .mlmodel (or its updatable variant)."""
        from model.coreml.spec import read_spec
        from model.coreml.update import DEFAULT_RULE, default_layers, write_update_rule

        if not self.model_path.exists():
            raise ModelFileError("there is no personal model yet: personalise first")
        if Path(path).resolve() == self.session.models.base_path("coreml").resolve():
            raise ModelFileError(f"{path}: is the base model the app runs and personalises from; export the "
                                 "personal model elsewhere, so the base model stays")
        spec = read_spec(self.model_path)
        if updatable:
            write_update_rule(spec, DEFAULT_RULE, default_layers(spec))
        with atomic_path(Path(path)) as temporary:
            temporary.write_bytes(spec.SerializeToString())


def personal_title(path: Path) -> str:
    """"Personal model, taught N drawings", from the model file's metadata."""
    from model.coreml.spec import read_spec

    try:
        taught = read_spec(path).description.metadata.userDefined.get("personal_drawings", "?")
    except ModelFileError:
        taught = "?"
    return f"Personal model, taught {taught} drawings"
