"""The Qt-free core: pipelines, engines, data, training and export.

The process-wide settings live here, once, because they only work if set
before numpy or TensorFlow load, and every entry point imports `model` first.
"""

import os

# One BLAS thread: the model's small matrices run faster without thread hand-off.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# TensorFlow's C++ start-up chatter hides the messages that matter.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
