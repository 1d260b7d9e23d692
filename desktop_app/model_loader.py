"""Loading models off the UI thread: TensorFlow takes seconds to import."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal

from desktop_app.shown_models import ModelSlot, load_model


class ModelLoader(QObject):
    """Loads models off the UI thread (TensorFlow takes seconds to import) and
    hands the result back on it."""

    loaded = Signal(object, object)  # the session's callback, and the engine or an error message

    def __init__(self, parent: QObject, background: bool):
        super().__init__(parent)
        self.background = background
        self.loaded.connect(lambda done, result: done(result), Qt.ConnectionType.QueuedConnection)

    def load(self, slot: ModelSlot, done) -> None:
        # The shipped Core ML model loads in ~50 ms; TensorFlow takes seconds, and a model the user opens may
        # take up to MODEL_SECONDS to be tried, so those load off the UI thread.
        if not self.background or (slot.engine == "coreml" and not slot.given):
            done(load_model(slot))
            return
        threading.Thread(target=lambda: self.loaded.emit(done, load_model(slot)), name=f"load-{slot.engine}",
                         daemon=True).start()
