"""Every layer kind and option the Core ML runner accepts, each held against
numpy written here from the weights put into a model built with coremltools'
own NeuralNetworkBuilder; and every refusal, by its message.

Each test model is: image -> the layers under test -> flatten -> inner
product (10) -> softmax, a valid digit classifier the runner must accept."""

import numpy as np
import pytest
from coremltools.models import datatypes
from coremltools.models.neural_network import NeuralNetworkBuilder

from model.coreml.runner import CoreMLModel
from model.errors import ModelFileError

rng = np.random.default_rng(7)
PIXELS = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
SCALE = 1 / 255.0


def builder(channels: int = 1, nd: bool = False) -> NeuralNetworkBuilder:
    return NeuralNetworkBuilder([("image", datatypes.Array(channels, 28, 28))],
                                [("output1", datatypes.Array(10))], mode="classifier",
                                disable_rank5_shape_mapping=nd)


def finish(made: NeuralNetworkBuilder, last: str, size: int, tmp_path, color: str = "GRAYSCALE",
           head: bool = True, **preprocessing):
    """Flatten, 10 outputs, softmax; the phone's image input; saved and loaded."""
    if head:
        made.add_flatten("head_flatten", 0, last, "head_flat")
        made.add_inner_product("head", rng.normal(0, 0.1, (10, size)).astype(np.float32), None, size, 10, False,
                               "head_flat", "logits")
        made.add_softmax("softmax", "logits", "output1")
    made.set_class_labels([str(d) for d in range(10)], "classLabel", "output1")
    made.set_pre_processing_parameters(image_input_names=["image"], image_scale=preprocessing.pop("scale", SCALE),
                                       **preprocessing)
    spec = made.spec
    image = spec.description.input[0].type.imageType
    image.width, image.height = 28, 28
    image.colorSpace = getattr(image, color)
    path = tmp_path / "model.mlmodel"
    path.write_bytes(spec.SerializeToString())
    return path


def image(channels: int = 1) -> np.ndarray:
    return np.repeat(PIXELS[:, None].astype(np.float64) * SCALE, channels, axis=1)


# --- independent numpy truth
def conv_truth(x, weights, bias, stride=(1, 1), dilation=(1, 1), pads=((0, 0), (0, 0)), groups=1):
    x = np.pad(x, [(0, 0), (0, 0), *pads])
    out_c, in_per_group, kh, kw = weights.shape
    reach_h, reach_w = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    out_h, out_w = (x.shape[2] - reach_h) // stride[0] + 1, (x.shape[3] - reach_w) // stride[1] + 1
    out = np.zeros((x.shape[0], out_c, out_h, out_w))
    per_group = out_c // groups
    for o in range(out_c):
        g = o // per_group
        for i in range(out_h):
            for j in range(out_w):
                patch = x[:, g * in_per_group:(g + 1) * in_per_group,
                          i * stride[0]:i * stride[0] + reach_h:dilation[0],
                          j * stride[1]:j * stride[1] + reach_w:dilation[1]]
                out[:, o, i, j] = (patch * weights[o]).sum(axis=(1, 2, 3)) + (bias[o] if bias is not None else 0)
    return out


def pool_truth(x, kernel, stride, pads, maximum, count_padding, overhang=((0, 0), (0, 0))):
    height, width = x.shape[2:]
    (top, bottom), (left, right) = pads
    out_h = (height + top + bottom + overhang[0][1] - kernel[0]) // stride[0] + 1
    out_w = (width + left + right + overhang[1][1] - kernel[1]) // stride[1] + 1
    out = np.zeros((*x.shape[:2], out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            r0, c0 = i * stride[0] - top, j * stride[1] - left
            rows = range(max(r0, 0), min(r0 + kernel[0], height))
            cols = range(max(c0, 0), min(c0 + kernel[1], width))
            window = x[:, :, rows.start:rows.stop, cols.start:cols.stop]
            if maximum:  # padding never wins a maximum
                out[:, :, i, j] = window.max(axis=(2, 3))
            else:
                # Padding cells inside the padded image count unless excluded; overhang never does.
                r_lo, r_hi = max(r0, -top), min(r0 + kernel[0], height + bottom)
                c_lo, c_hi = max(c0, -left), min(c0 + kernel[1], width + right)
                area = (r_hi - r_lo) * (c_hi - c_lo) if count_padding else len(rows) * len(cols)
                out[:, :, i, j] = window.sum(axis=(2, 3)) / area
    return out


def check(path, layer, truth, tolerance=1e-4):
    model = CoreMLModel(path)
    got = model.blobs(PIXELS)[layer]
    assert got.shape == truth.shape
    assert np.abs(got - truth).max() <= tolerance
    probabilities = model.probabilities(PIXELS)
    assert probabilities.shape == (3, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    return model


# --- convolution
@pytest.mark.parametrize(("stride", "dilation", "pads"), [((1, 1), (1, 1), (0, 0, 0, 0)), ((2, 2), (1, 1), (0, 0, 0, 0)),
                                                         ((1, 2), (2, 1), (0, 0, 0, 0)), ((1, 1), (1, 1), (1, 2, 0, 3))])
def test_convolution_valid_with_stride_dilation_and_padding_amounts(tmp_path, stride, dilation, pads):
    weights = rng.normal(0, 0.5, (4, 1, 3, 3)).astype(np.float32)
    bias = rng.normal(0, 0.1, 4).astype(np.float32)
    made = builder()
    made.add_convolution("conv", 1, 4, 3, 3, stride[0], stride[1], "valid", 1, weights.transpose(2, 3, 1, 0), bias,
                         True, input_name="image", output_name="conv", dilation_factors=list(dilation),
                         padding_top=pads[0], padding_bottom=pads[1], padding_left=pads[2], padding_right=pads[3])
    truth = conv_truth(image(), weights, bias, stride, dilation, ((pads[0], pads[1]), (pads[2], pads[3])))
    check(finish(made, "conv", truth[0].size, tmp_path), "conv", truth)


@pytest.mark.parametrize("mode", ["BOTTOM_RIGHT_HEAVY", "TOP_LEFT_HEAVY"])
def test_convolution_same_in_both_asymmetry_modes(tmp_path, mode):
    weights = rng.normal(0, 0.5, (2, 1, 4, 4)).astype(np.float32)  # an even kernel pads unevenly
    made = builder()
    made.add_convolution("conv", 1, 2, 4, 4, 1, 1, "same", 1, weights.transpose(2, 3, 1, 0), None, False,
                         input_name="image", output_name="conv", same_padding_asymmetry_mode=mode)
    pads = ((1, 2), (1, 2)) if mode == "BOTTOM_RIGHT_HEAVY" else ((2, 1), (2, 1))
    truth = conv_truth(image(), weights, None, pads=pads)
    check(finish(made, "conv", truth[0].size, tmp_path), "conv", truth)


def test_grouped_convolution(tmp_path):
    first = rng.normal(0, 0.5, (4, 1, 3, 3)).astype(np.float32)
    grouped = rng.normal(0, 0.5, (6, 2, 3, 3)).astype(np.float32)
    made = builder()
    made.add_convolution("conv1", 1, 4, 3, 3, 1, 1, "valid", 1, first.transpose(2, 3, 1, 0), None, False,
                         input_name="image", output_name="conv1")
    made.add_convolution("conv2", 2, 6, 3, 3, 1, 1, "valid", 2, grouped.transpose(2, 3, 1, 0), None, False,
                         input_name="conv1", output_name="conv2")
    truth = conv_truth(conv_truth(image(), first, None), grouped, None, groups=2)
    check(finish(made, "conv2", truth[0].size, tmp_path), "conv2", truth)


def test_batchnorm(tmp_path):
    gamma, beta = rng.normal(1, 0.2, 1).astype(np.float32), rng.normal(0, 0.2, 1).astype(np.float32)
    mean, variance = rng.normal(0.3, 0.1, 1).astype(np.float32), rng.uniform(0.5, 2, 1).astype(np.float32)
    made = builder()
    made.add_batchnorm("bn", 1, gamma, beta, mean, variance, "image", "bn", epsilon=1e-3)
    truth = gamma * (image() - mean) / np.sqrt(variance + 1e-3) + beta
    check(finish(made, "bn", 784, tmp_path), "bn", truth)


ACTIVATIONS = {
    "RELU": (None, lambda x: np.maximum(x, 0)),
    "LINEAR": ([2.0, -0.5], lambda x: 2.0 * x - 0.5),
    "LEAKYRELU": ([0.1], lambda x: np.where(x >= 0, x, 0.1 * x)),
    "THRESHOLDEDRELU": (0.3, lambda x: np.where(x >= 0.3, x, 0)),
    "TANH": (None, np.tanh),
    "SCALED_TANH": ([1.5, 0.7], lambda x: 1.5 * np.tanh(0.7 * x)),
    "SIGMOID": (None, lambda x: 1 / (1 + np.exp(-x))),
    "SIGMOID_HARD": ([0.2, 0.5], lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    "ELU": (0.8, lambda x: np.where(x >= 0, x, 0.8 * (np.exp(x) - 1))),
    "SOFTSIGN": (None, lambda x: x / (1 + np.abs(x))),
    "SOFTPLUS": (None, lambda x: np.log1p(np.exp(x))),
    "PRELU": (np.array([0.25]), lambda x: np.where(x >= 0, x, 0.25 * x)),
    "PARAMETRICSOFTPLUS": ([np.array([1.5]), np.array([0.5])], lambda x: 1.5 * np.log1p(np.exp(0.5 * x))),
}


@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_every_activation(tmp_path, kind):
    params, function = ACTIVATIONS[kind]
    made = builder()
    made.add_activation("shift", "LINEAR", "image", "shifted", params=[4.0, -2.0])  # inputs from -2 to 2
    made.add_activation("act", kind, "shifted", "act", params=params)
    truth = function(4.0 * image() - 2.0)
    check(finish(made, "act", 784, tmp_path), "act", truth)


# --- pooling
@pytest.mark.parametrize(("kind", "padding", "exclude"), [("MAX", "VALID", True), ("AVERAGE", "VALID", True),
                                                         ("MAX", "SAME", True), ("AVERAGE", "SAME", True),
                                                         ("AVERAGE", "SAME", False)])
def test_pooling_valid_and_same(tmp_path, kind, padding, exclude):
    made = builder()
    made.add_pooling("pool", 3, 3, 2, 2, kind, padding, "image", "pool", exclude_pad_area=exclude)
    pads = ((0, 1), (0, 1)) if padding == "SAME" else ((0, 0), (0, 0))  # 28 -> 14 with a 3x3 window
    truth = pool_truth(image(), (3, 3), (2, 2), pads, kind == "MAX", count_padding=not exclude)
    check(finish(made, "pool", truth[0].size, tmp_path), "pool", truth)


@pytest.mark.parametrize("kind", ["MAX", "AVERAGE"])
def test_pooling_in_non_overlapping_tiles(tmp_path, kind):
    made = builder()
    made.add_pooling("pool", 3, 3, 3, 3, kind, "VALID", "image", "pool")  # 28 -> 9, the last row left out
    truth = pool_truth(image(), (3, 3), (3, 3), ((0, 0), (0, 0)), kind == "MAX", True)
    assert truth.shape[2:] == (9, 9)
    check(finish(made, "pool", truth[0].size, tmp_path), "pool", truth)


@pytest.mark.parametrize("exclude", [True, False])
def test_average_pooling_over_explicit_padding_counts_it_unless_told_not_to(tmp_path, exclude):
    made = builder()
    made.add_pooling("pool", 3, 3, 1, 1, "AVERAGE", "VALID", "image", "pool", exclude_pad_area=exclude,
                     padding_top=1, padding_bottom=1, padding_left=1, padding_right=1)
    truth = pool_truth(image(), (3, 3), (1, 1), ((1, 1), (1, 1)), False, count_padding=not exclude)
    check(finish(made, "pool", truth[0].size, tmp_path), "pool", truth)


@pytest.mark.parametrize("kind", ["MAX", "AVERAGE"])
def test_include_last_pixel_pooling(tmp_path, kind):
    made = builder()
    made.add_pooling("pool", 3, 3, 2, 2, kind, "INCLUDE_LAST_PIXEL", "image", "pool")
    # 28 with a 3x3 window every 2: ceil(25 / 2) + 1 = 14 windows, the last one running past the end.
    truth = pool_truth(image(), (3, 3), (2, 2), ((0, 0), (0, 0)), kind == "MAX", count_padding=True,
                       overhang=((0, 1), (0, 1)))
    assert truth.shape[2:] == (14, 14)
    check(finish(made, "pool", truth[0].size, tmp_path), "pool", truth)


def test_global_pooling(tmp_path):
    made = builder()
    made.add_pooling("pool", 1, 1, 1, 1, "AVERAGE", "VALID", "image", "pool", is_global=True)
    truth = image().mean(axis=(2, 3), keepdims=True)
    check(finish(made, "pool", 1, tmp_path), "pool", truth)


def test_a_pooling_layer_without_a_written_stride_uses_the_specs_default_of_one(tmp_path):
    made = builder()
    made.add_pooling("pool", 2, 2, 2, 2, "MAX", "VALID", "image", "pool")
    made.spec.neuralNetworkClassifier.layers[0].pooling.ClearField("stride")
    truth = pool_truth(image(), (2, 2), (1, 1), ((0, 0), (0, 0)), True, True)
    assert truth.shape[2:] == (27, 27)
    check(finish(made, "pool", truth[0].size, tmp_path), "pool", truth)


# --- reshaping
def two_channels(made):
    weights = rng.normal(0, 0.5, (2, 1, 3, 3)).astype(np.float32)
    made.add_convolution("conv", 1, 2, 3, 3, 1, 1, "valid", 1, weights.transpose(2, 3, 1, 0), None, False,
                         input_name="image", output_name="conv")
    return conv_truth(image(), weights, None)  # (N, 2, 26, 26)


@pytest.mark.parametrize("mode", [0, 1])
def test_flatten_in_both_orders(tmp_path, mode):
    made = builder()
    x = two_channels(made)
    made.add_flatten("flat", mode, "conv", "flat")
    ordered = x if mode == 0 else x.transpose(0, 2, 3, 1)
    check(finish(made, "flat", x[0].size, tmp_path), "flat", ordered.reshape(3, -1, 1, 1))


@pytest.mark.parametrize("mode", [0, 1])
def test_old_style_reshape_in_both_orders(tmp_path, mode):
    made = builder()
    x = two_channels(made)  # 2 x 26 x 26
    made.add_reshape("reshape", "conv", "reshape", (4, 13, 26), mode)
    if mode == 0:
        truth = x.reshape(3, 4, 13, 26)
    else:
        truth = x.transpose(0, 2, 3, 1).reshape(3, 13, 26, 4).transpose(0, 3, 1, 2)
    check(finish(made, "reshape", x[0].size, tmp_path), "reshape", truth)


def test_permute(tmp_path):
    made = builder()
    x = two_channels(made)
    made.add_permute("permute", (0, 2, 3, 1), "conv", "permute")  # [C, H, W] -> [H, W, C]
    check(finish(made, "permute", x[0].size, tmp_path), "permute", x.transpose(0, 2, 3, 1))


def test_concat_along_channels_and_elementwise_add_and_multiply(tmp_path):
    made = builder()
    x = two_channels(made)
    made.add_elementwise("concat", ["conv", "conv"], "concat", "CONCAT")
    made.add_elementwise("sum", ["concat", "concat"], "sum", "ADD")
    made.add_elementwise("plus", ["sum"], "plus", "ADD", alpha=0.5)
    made.add_elementwise("product", ["plus", "concat"], "product", "MULTIPLY")
    made.add_elementwise("scaled", ["product"], "scaled", "MULTIPLY", alpha=-2.0)
    concat = np.concatenate([x, x], axis=1)
    truth = -2.0 * ((concat + concat + 0.5) * concat)
    check(finish(made, "scaled", truth[0].size, tmp_path), "scaled", truth)


def test_inner_product(tmp_path):
    weights = rng.normal(0, 0.05, (16, 784)).astype(np.float32)
    bias = rng.normal(0, 0.1, 16).astype(np.float32)
    made = builder()
    made.add_flatten("flat", 0, "image", "flat")
    made.add_inner_product("dense", weights, bias, 784, 16, True, "flat", "dense")
    truth = (image().reshape(3, 784) @ weights.T + bias).reshape(3, 16, 1, 1)
    check(finish(made, "dense", 16, tmp_path), "dense", truth)


def test_the_n_dimensional_layers_a_tensorflow_conversion_writes(tmp_path):
    """transpose, reshapeStatic, batchedMatmul, concatND, softmaxND (specification 4)."""
    weights = rng.normal(0, 0.05, (784, 10)).astype(np.float32)
    bias = rng.normal(0, 0.1, 10).astype(np.float32)
    made = builder(nd=True)
    made.add_transpose("nhwc", [0, 2, 3, 1], "image", "nhwc")
    made.add_reshape_static("flat", "nhwc", "flat", [1, 784])
    made.add_concat_nd("twice", ["flat", "flat"], "twice", axis=-1)
    made.add_batched_mat_mul("matmul", ["flat"], "matmul", weight_matrix_rows=784, weight_matrix_columns=10,
                             W=weights, bias=bias)
    made.add_softmax_nd("softmax", "matmul", "output1", axis=-1)
    path = finish(made, None, 0, tmp_path, head=False)
    model = CoreMLModel(path)
    flat = image().transpose(0, 2, 3, 1).reshape(3, 784)
    logits = flat @ weights + bias
    truth = np.exp(logits - logits.max(axis=1, keepdims=True))
    truth /= truth.sum(axis=1, keepdims=True)
    blobs = model.blobs(PIXELS)
    assert np.abs(blobs["twice"] - np.concatenate([flat, flat], axis=1)).max() <= 1e-6
    assert np.abs(model.probabilities(PIXELS) - truth).max() <= 1e-5


# --- inputs and preprocessing
def test_an_rgb_model_sees_the_gray_drawing_in_every_channel_with_per_channel_bias(tmp_path):
    made = builder(channels=3)
    made.add_activation("same", "LINEAR", "image", "seen", params=[1.0, 0.0])
    path = finish(made, "seen", 3 * 784, tmp_path, color="RGB", red_bias=-0.1, green_bias=0.2, blue_bias=0.3)
    truth = image(3) + np.array([-0.1, 0.2, 0.3]).reshape(1, 3, 1, 1)
    check(path, "seen", truth)


def test_a_bgr_model_gets_its_biases_in_blue_green_red_order(tmp_path):
    made = builder(channels=3)
    made.add_activation("same", "LINEAR", "image", "seen", params=[1.0, 0.0])
    path = finish(made, "seen", 3 * 784, tmp_path, color="BGR", red_bias=-0.1, green_bias=0.2, blue_bias=0.3,
                  is_bgr=True)
    truth = image(3) + np.array([0.3, 0.2, -0.1]).reshape(1, 3, 1, 1)
    check(path, "seen", truth)


def test_a_mean_image_is_subtracted(tmp_path):
    mean = rng.uniform(0, 255, 784).astype(np.float32)
    made = builder()
    made.add_activation("same", "LINEAR", "image", "seen", params=[1.0, 0.0])
    path = finish(made, "seen", 784, tmp_path)
    from model.coreml.spec import _model_pb2

    spec = _model_pb2().Model()
    spec.ParseFromString(path.read_bytes())
    preprocessing = spec.neuralNetworkClassifier.preprocessing[0]
    preprocessing.ClearField("scaler")
    preprocessing.meanImage.meanImage.extend(mean)
    path.write_bytes(spec.SerializeToString())
    truth = PIXELS[:, None].astype(np.float64) - mean.reshape(1, 1, 28, 28)
    check(path, "seen", truth, tolerance=1e-3)


# --- weights
def dense_model(tmp_path, weights):
    made = builder()
    made.add_flatten("flat", 0, "image", "flat")
    made.add_inner_product("dense", weights, None, 784, 16, False, "flat", "dense")
    return made


def test_float16_weights(tmp_path):
    weights = rng.normal(0, 0.05, (16, 784)).astype(np.float32)
    made = dense_model(tmp_path, weights)
    params = made.spec.neuralNetworkClassifier.layers[1].innerProduct.weights
    params.ClearField("floatValue")
    params.float16Value = weights.astype(np.float16).tobytes()
    truth = (image().reshape(3, 784) @ weights.astype(np.float16).astype(np.float64).T).reshape(3, 16, 1, 1)
    check(finish(made, "dense", 16, tmp_path), "dense", truth)


@pytest.mark.parametrize(("bits", "mode"), [(8, "_linear_quantization"), (4, "_linear_quantization"),
                                           (8, "_lookup_table_quantization_linear"),
                                           (3, "_lookup_table_quantization_linear")])
def test_quantized_weights_read_as_coremltools_dequantizes_them(tmp_path, bits, mode):
    from coremltools.models.neural_network.quantization_utils import _dequantize_wp, _quantize_wp_field

    weights = rng.normal(0, 0.05, (16, 784)).astype(np.float32)
    made = dense_model(tmp_path, weights)
    params = made.spec.neuralNetworkClassifier.layers[1].innerProduct.weights
    _quantize_wp_field(params, bits, mode, shape=(16, 784))
    path = finish(made, "dense", 16, tmp_path)
    assert params.HasField("quantization")
    reference = type(params)()
    reference.CopyFrom(params)
    _dequantize_wp(reference, (16, 784))
    dequantized = np.asarray(reference.floatValue, np.float64).reshape(16, 784)
    truth = (image().reshape(3, 784) @ dequantized.T).reshape(3, 16, 1, 1)
    check(path, "dense", truth)


def test_float16_precision_rounds_like_the_neural_engine(tmp_path):
    from model.runtime.paths import DEFAULT_COREML_MODEL

    exact = CoreMLModel(DEFAULT_COREML_MODEL)
    phone = CoreMLModel(DEFAULT_COREML_MODEL, precision="float16")
    a, b = exact.probabilities(PIXELS), phone.probabilities(PIXELS)
    assert 0 < np.abs(a - b).max() < 0.05  # moved, but only by rounding


# --- refusals, each by file, layer and field
def refused(tmp_path, edit, pattern):
    made = builder()
    made.add_pooling("pool", 2, 2, 2, 2, "MAX", "VALID", "image", "pool")
    path = finish(made, "pool", 196, tmp_path)
    from model.coreml.spec import _model_pb2

    spec = _model_pb2().Model()
    spec.ParseFromString(path.read_bytes())
    edit(spec)
    path.write_bytes(spec.SerializeToString())
    with pytest.raises(ModelFileError, match=pattern) as caught:
        CoreMLModel(path)
    assert str(path) in str(caught.value)


def layers(spec):
    return spec.neuralNetworkClassifier.layers


def test_l2_pooling_is_refused(tmp_path):
    refused(tmp_path, lambda s: setattr(layers(s)[0].pooling, "type", 2),
            r"layer 'pool' \(pooling\): field 'type': L2 pooling")


def test_a_field_the_runner_does_not_read_is_refused_by_name(tmp_path):
    def edit(spec):
        layers(spec)[2].innerProduct.int8DynamicQuantize = True

    refused(tmp_path, edit, r"layer 'head' \(innerProduct\): field 'int8DynamicQuantize' is not supported")


def test_deconvolution_is_refused(tmp_path):
    def edit(spec):
        layer = layers(spec)[0]
        layer.name = "deconv"
        layer.convolution.isDeconvolution = True
        layer.convolution.outputChannels = 1
        layer.convolution.kernelChannels = 1

    refused(tmp_path, edit, r"layer 'deconv' \(convolution\): field 'isDeconvolution' is not supported")


def test_short_weights_are_refused(tmp_path):
    def edit(spec):
        del layers(spec)[2].innerProduct.weights.floatValue[5:]

    refused(tmp_path, edit, r"layer 'head' \(innerProduct\): field 'weights' has 5 values, expected 1960")


def test_a_missing_blob_is_refused(tmp_path):
    def edit(spec):
        layers(spec)[2].input[0] = "nowhere"

    refused(tmp_path, edit, "reads 'nowhere', which nothing produces")


def test_a_network_without_layers_is_refused(tmp_path):
    refused(tmp_path, lambda s: s.neuralNetworkClassifier.ClearField("layers"), "the network has no layers")


def test_an_input_that_is_not_28_by_28_is_refused(tmp_path):
    def edit(spec):
        spec.description.input[0].type.imageType.width = 32
        spec.description.input[0].type.imageType.height = 32

    refused(tmp_path, edit, "input 'image' is a 32x32 image; the phone app hands the model 28x28")


def test_a_permute_that_moves_the_sequence_axis_is_refused(tmp_path):
    def edit(spec):
        layer = layers(spec)[0]
        layer.ClearField("pooling")
        layer.permute.axis.extend([1, 0, 2, 3])

    refused(tmp_path, edit, r"field 'axis' \[1, 0, 2, 3\] moves the sequence axis")


def test_a_plain_network_whose_output_is_not_a_softmax_is_refused(tmp_path):
    def edit(spec):
        network = spec.neuralNetworkClassifier
        spec.neuralNetwork.layers.extend(network.layers[:-1])
        spec.description.ClearField("predictedFeatureName")
        spec.description.ClearField("predictedProbabilitiesName")
        del spec.description.output[:]
        spec.description.output.add(name="logits").type.multiArrayType.shape.append(10)

    refused(tmp_path, edit, "output 'logits' is not produced by a softmax")


def test_an_ml_program_package_is_named_not_sent_to_keras(tmp_path):
    from model.runtime.engines import engine_for_path

    package = tmp_path / "model.mlpackage"
    package.mkdir()
    assert engine_for_path(package) == "coreml"
    with pytest.raises(ModelFileError, match=str(package)):
        CoreMLModel(package)
