"""Where the shipped model files live."""

from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parent.parent
DEFAULT_KERAS_MODEL = MODEL_DIR / "keras_mnist_cnn.keras"
DEFAULT_COREML_MODEL = MODEL_DIR / "keras_mnist_cnn.mlmodel"
