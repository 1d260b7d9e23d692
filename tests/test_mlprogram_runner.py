"""ML Programs (.mlpackage): built here with coremltools' MIL builder and held
against numpy written from the same weights; float16 programs round as the
phone does; what is not implemented is refused by operation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.coreml.runner import CoreMLModel
from model.errors import ModelFileError
from tests.fuzz import FUZZ, mutated_bytes, read_or_refused

rng = np.random.default_rng(3)
PIXELS = rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8)
CONV = rng.normal(0, 0.3, (4, 1, 3, 3)).astype(np.float32)
CONV_BIAS = rng.normal(0, 0.1, 4).astype(np.float32)
DENSE = rng.normal(0, 0.05, (10, 4 * 13 * 13)).astype(np.float32)
DENSE_BIAS = rng.normal(0, 0.1, 10).astype(np.float32)


def build_package(path, precision, extra_op=None, classes=tuple(str(d) for d in range(10)), softmax=True):
    import coremltools as ct
    from coremltools.converters.mil import Builder as mb

    @mb.program(input_specs=[mb.TensorSpec(shape=(1, 1, 28, 28))])
    def program(image):
        x = mb.mul(x=image, y=np.float32(1 / 255.0))
        x = mb.conv(x=x, weight=CONV, bias=CONV_BIAS, pad_type="valid", strides=[1, 1], dilations=[1, 1], groups=1)
        x = mb.relu(x=x) if extra_op is None else extra_op(x)
        x = mb.max_pool(x=x, kernel_sizes=[2, 2], strides=[2, 2], pad_type="valid")
        x = mb.transpose(x=x, perm=[0, 2, 3, 1])
        x = mb.reshape(x=x, shape=[1, 4 * 13 * 13])
        if not softmax:
            return mb.linear(x=x, weight=DENSE, bias=DENSE_BIAS, name="probabilities")
        x = mb.linear(x=x, weight=DENSE, bias=DENSE_BIAS)
        return mb.softmax(x=x, axis=-1, name="probabilities")

    model = ct.convert(program, convert_to="mlprogram", compute_precision=precision,
                       inputs=[ct.ImageType(name="image", shape=(1, 1, 28, 28),
                                            color_layout=ct.colorlayout.GRAYSCALE)],
                       classifier_config=ct.ClassifierConfig(list(classes)),
                       minimum_deployment_target=ct.target.iOS15)
    model.save(str(path))
    return path


def truth(pixels, float16=False):
    round16 = (lambda a: a.astype(np.float16).astype(np.float64)) if float16 else (lambda a: a)
    x = round16(pixels[:, None].astype(np.float64) / 255.0)
    weight, bias = round16(CONV.astype(np.float64)), round16(CONV_BIAS.astype(np.float64))
    conv = np.zeros((len(x), 4, 26, 26))
    for o in range(4):
        for i in range(3):
            for j in range(3):
                conv[:, o] += weight[o, 0, i, j] * x[:, 0, i:i + 26, j:j + 26]
        conv[:, o] += bias[o]
    x = round16(np.maximum(round16(conv), 0))
    x = x.reshape(len(x), 4, 13, 2, 13, 2).max(axis=(3, 5))
    x = x.transpose(0, 2, 3, 1).reshape(len(x), -1)
    logits = round16(x @ round16(DENSE.astype(np.float64)).T + round16(DENSE_BIAS.astype(np.float64)))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    import coremltools as ct

    folder = tmp_path_factory.mktemp("programs")
    return {"float32": build_package(folder / "fp32.mlpackage", ct.precision.FLOAT32),
            "float16": build_package(folder / "fp16.mlpackage", ct.precision.FLOAT16)}


def test_a_float32_program_agrees_with_numpy(packages):
    model = CoreMLModel(packages["float32"])
    assert model.kind == "mlProgram" and model.labels == [str(d) for d in range(10)]
    assert np.abs(model.probabilities(PIXELS) - truth(PIXELS)).max() <= 1e-5


def test_a_float16_program_rounds_where_the_program_casts(packages):
    got = CoreMLModel(packages["float16"]).probabilities(PIXELS)
    exact = truth(PIXELS)
    assert np.abs(got - truth(PIXELS, float16=True)).max() <= 2e-3
    assert np.abs(got - exact).max() > 1e-6  # it is not computed in float32
    assert np.array_equal(got.astype(np.float16).astype(np.float32), got)  # the output is float16


def test_the_app_runs_a_package_like_a_model_file(packages):
    from model.runtime.engines import engine_for_path, load_engine

    assert engine_for_path(packages["float32"]) == "coreml"
    engine = load_engine("coreml", packages["float32"])
    assert engine.probabilities(PIXELS[0] / 255.0).shape == (10,)


def test_an_operation_the_runner_lacks_is_refused_by_name(tmp_path):
    import coremltools as ct
    from coremltools.converters.mil import Builder as mb

    path = build_package(tmp_path / "gelu.mlpackage", ct.precision.FLOAT32, extra_op=lambda x: mb.gelu(x=x))
    with pytest.raises(ModelFileError, match=r"\(gelu\): operation 'gelu' is not supported"):
        CoreMLModel(path)


def test_a_program_that_lists_its_classes_backwards_is_read_by_its_labels(tmp_path):
    import coremltools as ct

    path = build_package(tmp_path / "backwards.mlpackage", ct.precision.FLOAT32, classes=[str(d) for d in range(9, -1, -1)])
    assert np.abs(CoreMLModel(path).probabilities(PIXELS) - truth(PIXELS)[:, ::-1]).max() <= 1e-5


def test_a_program_whose_answer_is_no_softmax_is_refused(tmp_path):
    import coremltools as ct

    path = build_package(tmp_path / "logits.mlpackage", ct.precision.FLOAT32, softmax=False)
    with pytest.raises(ModelFileError, match="logits.mlpackage: 'probabilities' is not produced by a softmax"):
        CoreMLModel(path)


def test_a_package_without_its_weights_is_refused(tmp_path, packages):
    import shutil

    broken = tmp_path / "broken.mlpackage"
    shutil.copytree(packages["float32"], broken)
    for weights in broken.rglob("weight.bin"):
        weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ModelFileError, match=str(broken)):
        CoreMLModel(broken)


def test_a_folder_that_is_no_package_is_named(tmp_path):
    folder = tmp_path / "empty.mlpackage"
    folder.mkdir()
    with pytest.raises(ModelFileError, match="not a Core ML package"):
        CoreMLModel(folder)


@FUZZ
@given(st.data())
def test_a_package_with_a_file_mutated_is_run_or_refused_by_name(packages, tmp_path_factory, data):
    import shutil

    from model.coreml.runner import CoreMLModel

    package = tmp_path_factory.mktemp("fuzz") / "mutated.mlpackage"
    shutil.copytree(packages["float32"], package)
    files = sorted(p for p in package.rglob("*") if p.is_file())
    target = data.draw(st.sampled_from(files))
    target.write_bytes(data.draw(mutated_bytes(target.read_bytes())))
    model = read_or_refused(CoreMLModel, package, ModelFileError)
    if model is not None:
        probabilities = model.probabilities(np.zeros((28, 28), np.uint8))
        assert probabilities.shape == (10,) and np.isfinite(probabilities).all()
