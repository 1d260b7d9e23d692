"""The shipped model's figures, guarded so they cannot silently fall.

Floors are what was measured for the shipped .mlmodel (README, Accuracy) less
a small margin for numerical noise across platforms. The Keras model is held
to the same answers by tests/test_coreml_export.py."""

import numpy as np
import pytest

from desktop_app.render import render_strokes
from model.recipe.evaluation import probabilities_of
from model.runtime.engines import load_engine, not_a_digit_below
from model.runtime.pipelines import to_model_input
from model.runtime.verdict import not_a_digit_mask

MNIST_TEST_FLOOR = 0.995  # the target; measured 0.9951
# Measured for the shipped .mlmodel, run 26 (scripts/evaluate.py --json), each pipeline at its own threshold.
STROKES_MEASURED = {"phone": 0.9845, "centred": 0.9869}
DIGITS_CALLED_NOT_A_DIGIT = {"phone": 0.0106, "centred": 0.0124}  # on the shared sample
NOT_DIGITS_CAUGHT = {"phone": 0.9775, "centred": 0.9890}  # generated, seed 2026 (kinds 4: looped ascenders)
# Stroke-font letters of the half runs 5 and 6 never drew (make_not_digits.py --kind held-out-letters); trained on
# from run 7, so a check that they stay caught.
HELD_OUT_LETTERS_CAUGHT = {"phone": 0.9880, "centred": 0.9940}
# Real letters by the sample's writers (unipen_letters_sample.jsonl.gz), measured only.
REAL_LETTERS_CAUGHT = {"phone": 0.9267, "centred": 0.9397}
MARGIN = 0.005


@pytest.fixture(scope="module")
def core_ml():
    return load_engine("coreml")


def inputs_of(drawings, pipeline):
    return np.stack([to_model_input(render_strokes(d.on_phone_canvas()), pipeline) for d in drawings])


def called_not_a_digit(core_ml, drawings, pipeline):
    """Which drawings the model calls no digit, by the threshold of the pipeline that made its inputs."""
    probabilities = probabilities_of(core_ml, inputs_of(drawings, pipeline))
    return not_a_digit_mask(probabilities, not_a_digit_below(core_ml, pipeline))


def test_the_shipped_mlmodel_meets_the_mnist_test_target(mnist, core_ml):
    predicted = probabilities_of(core_ml, mnist.x_test.astype(np.float32) / 255).argmax(axis=1)
    assert (predicted == mnist.y_test).mean() >= MNIST_TEST_FLOOR


@pytest.mark.parametrize("pipeline", ["phone", "centred"])
def test_real_drawings_accuracy_does_not_fall(drawings, core_ml, pipeline):
    labels = np.array([d.label for d in drawings])
    predicted = probabilities_of(core_ml, inputs_of(drawings, pipeline)).argmax(axis=1)
    assert (predicted == labels).mean() >= STROKES_MEASURED[pipeline] - MARGIN


@pytest.mark.parametrize("pipeline", ["phone", "centred"])
def test_few_real_digits_are_called_not_a_digit(drawings, core_ml, pipeline):
    rejected = called_not_a_digit(core_ml, drawings, pipeline)
    assert rejected.mean() <= DIGITS_CALLED_NOT_A_DIGIT[pipeline] + MARGIN


@pytest.fixture(scope="module")
def not_digits():
    from model.recipe.synthesis import not_digit_drawings
    from model.runtime.strokes import Drawing

    return [Drawing(strokes) for strokes in not_digit_drawings(2000, seed=2026)]  # as make_not_digits.py writes


@pytest.mark.parametrize("pipeline", ["phone", "centred"])
def test_drawings_that_are_no_digit_are_called_so(not_digits, core_ml, pipeline):
    caught = called_not_a_digit(core_ml, not_digits, pipeline)
    assert caught.mean() >= NOT_DIGITS_CAUGHT[pipeline] - 2 * MARGIN


@pytest.fixture(scope="module")
def held_out_letters():
    from model.recipe.synthesis import held_out_letter_drawings
    from model.runtime.strokes import Drawing

    return [Drawing(strokes) for strokes in held_out_letter_drawings(2000, seed=2026)]


@pytest.mark.parametrize("pipeline", ["phone", "centred"])
def test_real_handwritten_letters_are_called_not_a_digit(core_ml, pipeline):
    from model.runtime.strokes import read_drawings
    from tests.conftest import shared_file

    letters = read_drawings(shared_file("unipen_letters_sample.jsonl.gz"))
    caught = called_not_a_digit(core_ml, letters, pipeline)
    assert caught.mean() >= REAL_LETTERS_CAUGHT[pipeline] - 2 * MARGIN


@pytest.mark.parametrize("pipeline", ["phone", "centred"])
def test_stroke_font_letters_are_called_not_a_digit(held_out_letters, core_ml, pipeline):
    caught = called_not_a_digit(core_ml, held_out_letters, pipeline)
    assert caught.mean() >= HELD_OUT_LETTERS_CAUGHT[pipeline] - 2 * MARGIN
