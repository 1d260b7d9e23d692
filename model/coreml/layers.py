"""One compiler per layer family of NeuralNetwork.proto, in a table the runner
reads (COMPILERS, by the layer's oneof name). A compiler checks the fields its
layer may set (check_fields refuses any other by name), reads its weights, and
returns a function of the layer's input arrays. To add a layer: write its
compiler here, name its fields, test it against numpy, add it to the table.

Arrays have the batch first, then Core ML's shape ([C, H, W] for rank-5
layers)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from model.coreml.array_ops import Convolution, pool, same_padding, softmax
from model.coreml.spec import check_fields, pair
from model.errors import ModelFileError


def convolution_layer(params, where, inputs, read):
    check_fields(params, {"outputChannels", "kernelChannels", "nGroups", "kernelSize", "stride",
                           "dilationFactor", "valid", "same", "hasBias", "weights", "bias"}, where)
    if inputs != 1:
        raise ModelFileError(f"{where}: weights given as a second input are not supported")
    groups = params.nGroups or 1
    kernel_h, kernel_w = pair(params.kernelSize, (3, 3), where, "kernelSize")
    stride_h, stride_w = pair(params.stride, (1, 1), where, "stride")
    dilation_h, dilation_w = pair(params.dilationFactor, (1, 1), where, "dilationFactor")
    out_channels, kernel_channels = int(params.outputChannels), int(params.kernelChannels)
    if out_channels % groups:
        raise ModelFileError(f"{where}: field 'outputChannels' {out_channels} is not divisible by nGroups")
    weights = read(params.weights, out_channels * kernel_channels * kernel_h * kernel_w, where,
                            "weights", out_channels).reshape(out_channels, kernel_channels, kernel_h, kernel_w)
    bias = read(params.bias, out_channels, where, "bias") if params.hasBias else None
    if params.HasField("bias") and not params.hasBias:
        raise ModelFileError(f"{where}: field 'bias' is set but hasBias is false")
    convolve = Convolution(weights, bias, (stride_h, stride_w), (dilation_h, dilation_w), groups)
    padding = padding_of(params, "ConvolutionPaddingType", where, (stride_h, stride_w), convolve.reach)

    def run(x):
        if x.ndim != 4:
            raise ValueError(f"{where}: expects a [C, H, W] input")
        if x.shape[1] != kernel_channels * groups:
            raise ValueError(f"{where}: input has {x.shape[1]} channels, expected {kernel_channels * groups}")
        return convolve(x, padding(x.shape[2], x.shape[3]))

    return run

def padding_of(params, oneof: str, where, stride, reach) -> Callable[[int, int], list[tuple[int, int]]]:
    """(height, width) -> [(top, bottom), (left, right)] as the spec's padding type says."""
    kind = params.WhichOneof(oneof)
    if kind == "same":
        check_fields(params.same, {"asymmetryMode"}, f"{where}: same")
        top_left_heavy = params.same.asymmetryMode == params.same.TOP_LEFT_HEAVY

        return lambda height, width: same_padding(height, width, stride, reach, top_left_heavy)
    if kind in ("valid", None):
        borders = list(params.valid.paddingAmounts.borderAmounts) if kind == "valid" else []
        if kind == "valid":
            check_fields(params.valid, {"paddingAmounts"}, f"{where}: valid")
        if borders and len(borders) != 2:
            raise ModelFileError(f"{where}: field 'paddingAmounts' must have 2 entries [H, W]")
        pads = [(int(b.startEdgeSize), int(b.endEdgeSize)) for b in borders] or [(0, 0), (0, 0)]
        return lambda height, width: pads
    raise ModelFileError(f"{where}: padding {kind!r} is not supported")

def batchnorm_layer(params, where, inputs, read):
    check_fields(params, {"channels", "epsilon", "gamma", "beta", "mean", "variance"}, where)
    channels = int(params.channels)
    gamma, beta, mean, variance = (read(getattr(params, name), channels, where, name)
                                   for name in ("gamma", "beta", "mean", "variance"))
    epsilon = params.epsilon or 1e-5
    factor = (gamma / np.sqrt(variance + epsilon)).reshape(-1, 1, 1)
    shift = (beta - mean * gamma / np.sqrt(variance + epsilon)).reshape(-1, 1, 1)
    return lambda x: x * factor + shift  # over axis -3, the channels

def activation_layer(params, where, inputs, read):
    kind = params.WhichOneof("NonlinearityType")
    inner = getattr(params, kind) if kind else None
    check_fields(params, {kind}, where)
    scalar_fields = {"linear": {"alpha", "beta"}, "leakyReLU": {"alpha"}, "thresholdedReLU": {"alpha"},
                     "scaledTanh": {"alpha", "beta"}, "sigmoidHard": {"alpha", "beta"}, "ELU": {"alpha"},
                     "PReLU": {"alpha"}, "parametricSoftplus": {"alpha", "beta"}}
    if inner is not None:
        check_fields(inner, scalar_fields.get(kind, set()), f"{where}: {kind}")
    if kind == "ReLU":
        return lambda x: np.maximum(x, 0)
    if kind == "linear":
        return lambda x: inner.alpha * x + inner.beta
    if kind == "leakyReLU":
        return lambda x: np.where(x >= 0, x, inner.alpha * x)
    if kind == "thresholdedReLU":
        return lambda x: np.where(x >= inner.alpha, x, 0)
    if kind == "tanh":
        return np.tanh
    if kind == "scaledTanh":
        return lambda x: inner.alpha * np.tanh(inner.beta * x)
    if kind == "sigmoid":
        return lambda x: 1 / (1 + np.exp(-x))
    if kind == "sigmoidHard":
        return lambda x: np.clip(inner.alpha * x + inner.beta, 0, 1)
    if kind == "ELU":
        return lambda x: np.where(x >= 0, x, inner.alpha * (np.exp(np.minimum(x, 0)) - 1))
    if kind == "softsign":
        return lambda x: x / (1 + np.abs(x))
    if kind == "softplus":
        return lambda x: np.logaddexp(0, x)
    if kind in ("PReLU", "parametricSoftplus"):
        def per_channel(field):
            values = getattr(inner, field)
            count = len(values.floatValue) or len(values.float16Value) // 2 or 1
            return read(values, count, where, f"{kind}.{field}").reshape(-1, 1, 1)

        alpha = per_channel("alpha")
        if kind == "PReLU":
            return lambda x: np.where(x >= 0, x, alpha * x)
        beta = per_channel("beta")
        return lambda x: alpha * np.logaddexp(0, beta * x)
    raise ModelFileError(f"{where}: activation {kind!r} is not supported")

def pooling_layer(params, where, inputs, read):
    check_fields(params, {"type", "kernelSize", "stride", "valid", "same", "includeLastPixel",
                           "avgPoolExcludePadding", "globalPooling"}, where)
    if params.type not in (params.MAX, params.AVERAGE):
        raise ModelFileError(f"{where}: field 'type': L2 pooling is not supported")
    maximum = params.type == params.MAX
    exclude_padding = params.avgPoolExcludePadding
    if params.globalPooling:
        return lambda x: (np.max if maximum else np.mean)(x, axis=(-2, -1), keepdims=True)
    kernel = pair(params.kernelSize, (3, 3), where, "kernelSize")
    stride = pair(params.stride, (1, 1), where, "stride")
    padding_type = params.WhichOneof("PoolingPaddingType")
    if padding_type == "includeLastPixel":
        check_fields(params.includeLastPixel, {"paddingAmounts"}, f"{where}: includeLastPixel")
        amounts = [int(a) for a in params.includeLastPixel.paddingAmounts] or [0, 0]
        if len(amounts) != 2:
            raise ModelFileError(f"{where}: field 'paddingAmounts' must have 2 entries [H, W]")

        def padding(height, width):
            """Symmetric padding, then as many windows as it takes to
            reach the last pixel: the last may run past the end (overhang)."""
            pads, overhang = [], []
            for size, k, s, p in ((height, kernel[0], stride[0], amounts[0]),
                                  (width, kernel[1], stride[1], amounts[1])):
                out = -(-(size + 2 * p - k) // s) + 1
                if p > 0 and (out - 1) * s >= size + p:
                    out -= 1
                pads.append((p, p))
                overhang.append((0, max((out - 1) * s + k - size - 2 * p, 0)))
            return pads, overhang
    else:
        plain = padding_of(params, "PoolingPaddingType", where, stride, kernel)

        def padding(height, width):
            return plain(height, width), [(0, 0), (0, 0)]

    def run(x):
        pads, overhang = padding(x.shape[-2], x.shape[-1])
        # An average divides by the pixels a window covers: the image's, the
        # padding's unless avgPoolExcludePadding, never the overhang's.
        return pool(x, kernel, stride, pads, maximum, not exclude_padding, overhang)

    return run

def flatten_layer(params, where, inputs, read):
    check_fields(params, {"mode"}, where)
    channel_last = params.mode == params.CHANNEL_LAST

    def run(x):
        if x.ndim != 4:
            raise ValueError(f"{where}: expects a [C, H, W] input")
        ordered = x.transpose(0, 2, 3, 1) if channel_last else x
        return ordered.reshape(x.shape[0], -1, 1, 1)

    return run

def reshape_layer(params, where, inputs, read):
    check_fields(params, {"targetShape", "mode"}, where)
    target = [int(v) for v in params.targetShape]
    if len(target) == 4:
        if target[0] != 1:
            raise ModelFileError(f"{where}: field 'targetShape' reshapes into {target[0]} sequence steps")
        target = target[1:]
    if len(target) != 3 or min(target) < 1:
        raise ModelFileError(f"{where}: field 'targetShape' must be [C, H, W] or [1, C, H, W], got "
                             f"{list(params.targetShape)}")
    channel_last = params.mode == params.CHANNEL_LAST
    channels, height, width = target

    def run(x):
        if x.ndim != 4:
            raise ValueError(f"{where}: expects a [C, H, W] input")
        flat = (x.transpose(0, 2, 3, 1) if channel_last else x).reshape(x.shape[0], -1)
        if channel_last:
            return flat.reshape(x.shape[0], height, width, channels).transpose(0, 3, 1, 2)
        return flat.reshape(x.shape[0], channels, height, width)

    return run

def permute_layer(params, where, inputs, read):
    check_fields(params, {"axis"}, where)
    axis = [int(a) for a in params.axis] or [0, 1, 2, 3]
    if sorted(axis) != [0, 1, 2, 3] or axis[0] != 0:
        raise ModelFileError(f"{where}: field 'axis' {axis} moves the sequence axis; only [0, ...] permutations "
                             "of channel, height and width are supported")
    return lambda x: x.transpose(0, *axis[1:])

def transpose_layer(params, where, inputs, read):
    check_fields(params, {"axes"}, where)
    axes = [int(a) for a in params.axes]
    if not axes or axes[0] != 0 or sorted(axes) != list(range(len(axes))):
        raise ModelFileError(f"{where}: field 'axes' {axes} moves the batch axis")
    return lambda x: x.transpose(axes)

def reshapeStatic_layer(params, where, inputs, read):
    check_fields(params, {"targetShape"}, where)
    target = [int(v) for v in params.targetShape]
    if not target or target[0] != 1 or min(target) < 1:
        raise ModelFileError(f"{where}: field 'targetShape' {target} must start with the batch of 1")
    return lambda x: x.reshape([x.shape[0], *target[1:]])

def concat_layer(params, where, inputs, read):
    check_fields(params, {"sequenceConcat"}, where)
    if params.sequenceConcat:
        raise ModelFileError(f"{where}: field 'sequenceConcat' is not supported")
    return lambda *xs: np.concatenate(xs, axis=-3)

def concatND_layer(params, where, inputs, read):
    check_fields(params, {"axis"}, where)
    axis = int(params.axis)

    def run(*xs):
        if axis % xs[0].ndim == 0:
            raise ValueError(f"{where}: concatenating along the batch axis is not supported")
        return np.concatenate(xs, axis=axis)

    return run

def _elementwise(params, where, combine):
    """add / multiply: one input combined with alpha, or all inputs with each other."""
    check_fields(params, {"alpha"}, where)
    alpha = params.alpha

    def run(*xs):
        out = combine(xs[0], alpha) if len(xs) == 1 else xs[0]
        for more in xs[1:]:
            out = combine(out, more)
        return out

    return run

def add_layer(params, where, inputs, read):
    return _elementwise(params, where, np.add)

def multiply_layer(params, where, inputs, read):
    return _elementwise(params, where, np.multiply)

def innerProduct_layer(params, where, inputs, read):
    check_fields(params, {"inputChannels", "outputChannels", "hasBias", "weights", "bias"}, where)
    in_channels, out_channels = int(params.inputChannels), int(params.outputChannels)
    matrix = np.ascontiguousarray(read(params.weights, in_channels * out_channels, where, "weights",
                                                out_channels).reshape(out_channels, in_channels).T)
    bias = read(params.bias, out_channels, where, "bias") if params.hasBias else None

    def run(x):
        if x.ndim == 4:  # [C, H, W] -> [C_out, 1, 1]
            flat = x.reshape(x.shape[0], -1)
        else:  # [..., C_in] -> [..., C_out]
            flat = x.reshape(-1, x.shape[-1])
        if flat.shape[1] != in_channels:
            raise ValueError(f"{where}: input has {flat.shape[1]} values, expected {in_channels}")
        out = flat @ matrix
        if bias is not None:
            out += bias
        return out.reshape(x.shape[0], out_channels, 1, 1) if x.ndim == 4 else \
            out.reshape(*x.shape[:-1], out_channels)

    return run

def batchedMatmul_layer(params, where, inputs, read):
    check_fields(params, {"transposeA", "transposeB", "weightMatrixFirstDimension",
                           "weightMatrixSecondDimension", "hasBias", "weights", "bias"}, where)
    if inputs != 1:
        raise ModelFileError(f"{where}: a matmul of two inputs is not supported")
    first, second = int(params.weightMatrixFirstDimension), int(params.weightMatrixSecondDimension)
    # [X1, X2] stored column-major: as rows, it reads [X2, X1].
    weights = np.ascontiguousarray(read(params.weights, first * second, where, "weights")
                                   .reshape(second, first).T)
    bias = read(params.bias, second, where, "bias") if params.hasBias else None

    def run(x):
        out = x @ weights
        return out + bias if bias is not None else out

    return run

def loadConstantND_layer(params, where, inputs, read):
    check_fields(params, {"shape", "data"}, where)
    shape = [int(v) for v in params.shape]
    value = read(params.data, int(np.prod(shape)), where, "data").reshape(shape)
    return lambda: value[None]


def softmax_layer(params, where, inputs, read):
    check_fields(params, set(), where)
    return lambda x: softmax(x, -3 if x.ndim >= 4 else 1)  # over channels


def softmaxND_layer(params, where, inputs, read):
    check_fields(params, {"axis"}, where)
    axis = int(params.axis)

    def run(x):
        if axis % x.ndim == 0:
            raise ValueError(f"{where}: a softmax over the batch axis is not supported")
        return softmax(x, axis)

    return run


COMPILERS: dict[str, Callable] = {
    "convolution": convolution_layer,
    "batchnorm": batchnorm_layer,
    "activation": activation_layer,
    "pooling": pooling_layer,
    "flatten": flatten_layer,
    "reshape": reshape_layer,
    "permute": permute_layer,
    "transpose": transpose_layer,
    "reshapeStatic": reshapeStatic_layer,
    "concat": concat_layer,
    "concatND": concatND_layer,
    "add": add_layer,
    "multiply": multiply_layer,
    "innerProduct": innerProduct_layer,
    "batchedMatmul": batchedMatmul_layer,
    "loadConstantND": loadConstantND_layer,
    "softmax": softmax_layer,
    "softmaxND": softmaxND_layer,
    "loadConstant": loadConstantND_layer,  # the same fields: shape and data
}
