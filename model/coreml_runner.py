"""Run a Core ML model with numpy, on any platform, as the phone would.

Core ML itself only exists on Apple platforms. This evaluates the same file the
phone runs, layer by layer, including the image preprocessing, so the desktop
shows what the phone would answer. It reads the file with coremltools' protobuf
schema, loaded privately so that TensorFlow (which `import coremltools` pulls
in, 3-4 s) stays off the app's start path.

The rule: never a silently different answer. Every field of every layer, input
and preprocessing step is either implemented as NeuralNetwork.proto defines it
(coremltools' builders and tests are the reference) or the model is refused
with a message naming the file, the layer and the field. `_check_fields` makes
this mechanical: a layer's parameters may only set the fields its compiler
reads; anything else set is refused by name.

Tensors are numpy arrays whose first axis is the batch (the phone's drawings
stacked); the rest is Core ML's shape: [C, H, W] for rank-5 layers
(specification <= 3, Seq = 1), the full shape without its leading 1 for
N-dimensional layers. ML Programs are run by `model.mlprogram_runner`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np

from model.array_ops import Convolution, pool, same_padding, softmax
from model.errors import ModelFileError

_PROTO_PACKAGE = "_digit_recognizer_coreml_proto"
NOT_A_DIGIT_KEY = "not_a_digit_below"  # user-defined metadata written by coreml_export
MODEL_SIZE = (28, 28)  # what the phone app hands the model


def _proto(name: str):
    """One of coremltools' generated *_pb2 modules, without running coremltools/__init__."""
    if "coremltools" in sys.modules:
        return importlib.import_module(f"coremltools.proto.{name}")
    if _PROTO_PACKAGE not in sys.modules:
        spec = importlib.util.find_spec("coremltools")
        if spec is None or not spec.submodule_search_locations:
            raise ModelFileError("coremltools is not installed: it is needed to read Core ML model files")
        package = types.ModuleType(_PROTO_PACKAGE)
        package.__path__ = [os.path.join(list(spec.submodule_search_locations)[0], "proto")]
        sys.modules[_PROTO_PACKAGE] = package
    return importlib.import_module(f"{_PROTO_PACKAGE}.{name}")


def _model_pb2():
    return _proto("Model_pb2")


def to_float16(x: np.ndarray) -> np.ndarray:
    """Round to float16 and back, as the Neural Engine and GPU store numbers."""
    return np.asarray(x, np.float32).astype(np.float16).astype(np.float32)


def read_spec(path: Path):
    """The Model message of a .mlmodel file, or of a .mlpackage's model file."""
    if not path.exists():
        raise ModelFileError(f"{path}: no such Core ML model file")
    if path.is_dir():
        from model.mlprogram_runner import package_spec_path

        path = package_spec_path(path)
    spec = _model_pb2().Model()
    try:
        data = path.read_bytes()
        spec.ParseFromString(data)
    except Exception as error:  # protobuf's DecodeError, or an unreadable file
        raise ModelFileError(f"{path}: not a Core ML model file ({error})") from error
    if not data or spec.specificationVersion == 0:
        raise ModelFileError(f"{path}: not a Core ML model file (no specification version)")
    return spec


def _check_fields(message, allowed: set[str], where: str) -> None:
    for field, _ in message.ListFields():
        if field.name not in allowed:
            raise ModelFileError(f"{where}: field {field.name!r} is not supported here, so this model is refused "
                                 "rather than run differently from Core ML")


def _pair(values, default: tuple[int, int], where: str, field: str) -> tuple[int, int]:
    values = list(values)
    if not values:
        return default
    if len(values) != 2 or min(values) < 1:
        raise ModelFileError(f"{where}: field {field!r} must hold two positive numbers, got {values}")
    return int(values[0]), int(values[1])


class CoreMLModel:
    """A loaded Core ML model: `probabilities(pixels)` runs it on uint8 28x28 images.

    precision="float16" rounds weights and every layer's output to float16, as
    a phone's Neural Engine and GPU store them; "float32" is the CPU's answer."""

    def __init__(self, path: str | os.PathLike, precision: str = "float32"):
        if precision not in ("float32", "float16"):
            raise ValueError(f"precision must be float32 or float16, not {precision!r}")
        self.path = Path(path)
        self.precision = precision
        spec = read_spec(self.path)
        self.spec = spec
        self.specification_version = spec.specificationVersion
        kind = spec.WhichOneof("Type")
        self.kind = kind
        self._read_description(kind)
        if kind == "mlProgram":
            from model.mlprogram_runner import MLProgram

            self._program = MLProgram(self.path, spec, self.input_name, self.output_blob, precision)
            self._layers = []
            # An ML Program scales its input itself (a `mul` the converter writes).
            self.scale, self.bias, self.mean_image = 1.0, np.zeros((1, 1, 1), np.float32), None
            if self._program.classes is not None:
                self.labels = self._program.classes
            if len(self.labels) != 10:
                raise ModelFileError(f"{self.path}: {len(self.labels)} class labels; a digit model has 10")
            return
        if kind not in ("neuralNetworkClassifier", "neuralNetwork"):
            raise ModelFileError(f"{self.path}: a {kind} model; only neural network and ML Program models "
                                 "can run here")
        self._program = None
        network = getattr(spec, kind)
        _check_fields(network, {"layers", "preprocessing", "arrayInputShapeMapping", "imageInputShapeMapping",
                                "updateParams", "stringClassLabels", "int64ClassLabels", "labelProbabilityLayerName"},
                      f"{self.path}: {kind}")
        self._read_classes(network, kind)
        self._read_preprocessing(network)
        if not len(network.layers):
            raise ModelFileError(f"{self.path}: the network has no layers")
        self._layers = [self._compile(layer) for layer in network.layers]
        produced = {self.input_name} | {output for _, output, _ in self._layers}
        for inputs, _, _ in self._layers:
            for name in inputs:
                if name not in produced:
                    raise ModelFileError(f"{self.path}: a layer reads {name!r}, which nothing produces")
        if self.output_blob not in produced:
            raise ModelFileError(f"{self.path}: no layer produces the output {self.output_blob!r}")

    # --- the interface: one image in, probabilities out
    def _read_description(self, kind: str) -> None:
        description = self.spec.description
        if len(description.input) != 1:
            raise ModelFileError(f"{self.path}: expected one input, found {len(description.input)}")
        feature = description.input[0]
        self.input_name = feature.name
        where = f"{self.path}: input {feature.name!r}"
        if feature.type.WhichOneof("Type") != "imageType":
            raise ModelFileError(f"{where} is not an image")
        image_type = feature.type.imageType
        _check_fields(image_type, {"width", "height", "colorSpace", "imageSizeRange", "enumeratedSizes"}, where)
        self.input_size = (int(image_type.height), int(image_type.width))
        if self.input_size != MODEL_SIZE:
            raise ModelFileError(f"{where} is a {image_type.width}x{image_type.height} image; the phone app "
                                 f"hands the model {MODEL_SIZE[1]}x{MODEL_SIZE[0]}")
        spaces = {image_type.GRAYSCALE: "gray", image_type.RGB: "rgb", image_type.BGR: "bgr"}
        if image_type.colorSpace not in spaces:
            raise ModelFileError(f"{where}: field 'colorSpace' {image_type.colorSpace} is not supported")
        self.color = spaces[image_type.colorSpace]
        self.probabilities_name = description.predictedProbabilitiesName or description.output[0].name
        self.label_name = description.predictedFeatureName or None
        self.output_blob = self.probabilities_name
        self.metadata = description.metadata
        self.not_a_digit_below = None
        if NOT_A_DIGIT_KEY in description.metadata.userDefined:
            text = description.metadata.userDefined[NOT_A_DIGIT_KEY]
            try:
                self.not_a_digit_below = float(text)
            except ValueError:
                self.not_a_digit_below = float("nan")
            if not 0.0 <= self.not_a_digit_below <= 1.0:
                raise ModelFileError(f"{self.path}: metadata {NOT_A_DIGIT_KEY!r} is {text!r}, "
                                     "expected a probability from 0 to 1")
        self.labels = [str(i) for i in range(10)]

    def _read_classes(self, network, kind: str) -> None:
        if kind == "neuralNetworkClassifier":
            which = network.WhichOneof("ClassLabels")
            vector = getattr(network, which).vector if which else []
            self.labels = [str(v) for v in vector]
            if network.labelProbabilityLayerName:
                self.output_blob = network.labelProbabilityLayerName
        else:
            # A plain network: its output must be probabilities, or the bars would lie.
            last = network.layers[-1] if len(network.layers) else None
            if last is None or last.WhichOneof("layer") not in ("softmax", "softmaxND") \
                    or self.output_blob not in last.output:
                raise ModelFileError(f"{self.path}: output {self.output_blob!r} is not produced by a softmax, so "
                                     "it is not a set of probabilities")
        if len(self.labels) != 10:
            raise ModelFileError(f"{self.path}: {len(self.labels)} class labels; a digit model has 10")

    def _read_preprocessing(self, network) -> None:
        channels = 1 if self.color == "gray" else 3
        self.scale = 1.0
        self.bias = np.zeros((channels, 1, 1), np.float32)
        self.mean_image = None
        seen = 0
        for preprocessing in network.preprocessing:
            where = f"{self.path}: preprocessing of {preprocessing.featureName or self.input_name!r}"
            if preprocessing.featureName not in ("", self.input_name):
                raise ModelFileError(f"{where}: field 'featureName' names no input")
            seen += 1
            if seen > 1:
                raise ModelFileError(f"{where}: more than one preprocessing step is not supported")
            kind = preprocessing.WhichOneof("preprocessor")
            if kind == "scaler":
                scaler = preprocessing.scaler
                _check_fields(scaler, {"channelScale", "grayBias", "redBias", "greenBias", "blueBias"}, where)
                self.scale = scaler.channelScale or 1.0
                biases = {"gray": [scaler.grayBias], "rgb": [scaler.redBias, scaler.greenBias, scaler.blueBias],
                          "bgr": [scaler.blueBias, scaler.greenBias, scaler.redBias]}[self.color]
                self.bias = np.array(biases, np.float32).reshape(channels, 1, 1)
            elif kind == "meanImage":
                mean = np.asarray(preprocessing.meanImage.meanImage, np.float32)
                if mean.size != channels * self.input_size[0] * self.input_size[1]:
                    raise ModelFileError(f"{where}: field 'meanImage' has {mean.size} values, expected "
                                         f"{channels}x{self.input_size[0]}x{self.input_size[1]}")
                self.mean_image = mean.reshape(channels, *self.input_size)
            else:
                raise ModelFileError(f"{where}: an empty preprocessing step")

    # --- layers. Each compiled layer: (input names, output name, function of the input arrays).
    def _compile(self, layer):
        kind = layer.WhichOneof("layer")
        where = f"{self.path}: layer {layer.name!r} ({kind})"
        build = getattr(self, f"_layer_{kind}", None)
        if build is None:
            raise ModelFileError(f"{self.path}: layer {layer.name!r} has type {kind!r}, which is not supported")
        _check_fields(layer, {"name", "input", "output", "inputTensor", "outputTensor", "isUpdatable", kind}, where)
        if len(layer.output) != 1:
            raise ModelFileError(f"{where}: {len(layer.output)} outputs; one is supported")
        run = build(getattr(layer, kind), where, len(layer.input))
        if self.precision == "float16":
            full = run
            run = lambda *xs, full=full: to_float16(full(*xs))  # noqa: E731
        return list(layer.input), layer.output[0], run

    def _weights(self, params, count: int, where: str, field: str, channels: int = 1) -> np.ndarray:
        """A WeightParams field as float32 values, checked to hold `count` of them.
        Linear quantization may have one scale per `channels` (rows of the layout)."""
        _check_fields(params, {"floatValue", "float16Value", "rawValue", "quantization", "isUpdatable"},
                      f"{where}: {field}")
        if len(params.floatValue):
            values = np.asarray(params.floatValue, np.float32)
        elif len(params.float16Value):
            if len(params.float16Value) % 2:
                raise ModelFileError(f"{where}: field {field!r} has an odd number of float16 bytes")
            values = np.frombuffer(params.float16Value, np.float16).astype(np.float32)
        elif params.HasField("quantization"):
            values = self._dequantize(params, count, where, field, channels)
        else:
            values = np.zeros(0, np.float32)
        if values.size != count:
            raise ModelFileError(f"{where}: field {field!r} has {values.size} values, expected {count}")
        if self.precision == "float16":
            values = to_float16(values)
        return values

    @staticmethod
    def _dequantize(params, count: int, where: str, field: str, channels: int) -> np.ndarray:
        quantization = params.quantization
        bits = quantization.numberOfBits
        if not 1 <= bits <= 8:
            raise ModelFileError(f"{where}: field {field!r}: {bits}-bit quantization is not supported")
        raw = np.frombuffer(params.rawValue, np.uint8)
        if raw.size * 8 < count * bits:
            raise ModelFileError(f"{where}: field {field!r} holds {raw.size} bytes, too few for {count} "
                                 f"{bits}-bit values")
        if bits == 8:
            codes = raw[:count].astype(np.int64)
        else:  # packed most significant bit first, as coremltools packs them
            codes = np.unpackbits(raw)[:count * bits].reshape(count, bits).astype(np.int64) \
                @ (1 << np.arange(bits - 1, -1, -1))
        kind = quantization.WhichOneof("QuantizationType")
        if kind == "linearQuantization":
            scale = np.asarray(quantization.linearQuantization.scale, np.float32)
            bias = np.asarray(quantization.linearQuantization.bias, np.float32)
            if scale.size not in (1, channels) or bias.size not in (0, 1, channels):
                raise ModelFileError(f"{where}: field {field!r}: linear quantization has {scale.size} scales and "
                                     f"{bias.size} biases; expected 1 or {channels}")
            rows = codes.reshape(channels if scale.size > 1 or bias.size > 1 else 1, -1).astype(np.float32)
            bias = bias if bias.size else np.zeros(1, np.float32)
            return (rows * scale.reshape(-1, 1) + bias.reshape(-1, 1)).ravel()
        if kind == "lookupTableQuantization":
            table = np.asarray(quantization.lookupTableQuantization.floatValue, np.float32)
            if table.size != 2 ** bits:
                raise ModelFileError(f"{where}: field {field!r}: a {bits}-bit lookup table needs {2 ** bits} "
                                     f"entries, has {table.size}")
            return table[codes]
        raise ModelFileError(f"{where}: field {field!r}: quantized without a quantization type")

    def _layer_convolution(self, params, where, inputs):
        _check_fields(params, {"outputChannels", "kernelChannels", "nGroups", "kernelSize", "stride",
                               "dilationFactor", "valid", "same", "hasBias", "weights", "bias"}, where)
        if inputs != 1:
            raise ModelFileError(f"{where}: weights given as a second input are not supported")
        groups = params.nGroups or 1
        kernel_h, kernel_w = _pair(params.kernelSize, (3, 3), where, "kernelSize")
        stride_h, stride_w = _pair(params.stride, (1, 1), where, "stride")
        dilation_h, dilation_w = _pair(params.dilationFactor, (1, 1), where, "dilationFactor")
        out_channels, kernel_channels = int(params.outputChannels), int(params.kernelChannels)
        if out_channels % groups:
            raise ModelFileError(f"{where}: field 'outputChannels' {out_channels} is not divisible by nGroups")
        weights = self._weights(params.weights, out_channels * kernel_channels * kernel_h * kernel_w, where,
                                "weights", out_channels).reshape(out_channels, kernel_channels, kernel_h, kernel_w)
        bias = self._weights(params.bias, out_channels, where, "bias") if params.hasBias else None
        if params.HasField("bias") and not params.hasBias:
            raise ModelFileError(f"{where}: field 'bias' is set but hasBias is false")
        convolve = Convolution(weights, bias, (stride_h, stride_w), (dilation_h, dilation_w), groups)
        padding = self._padding(params, "ConvolutionPaddingType", where, (stride_h, stride_w), convolve.reach)

        def run(x):
            if x.ndim != 4:
                raise ValueError(f"{where}: expects a [C, H, W] input")
            if x.shape[1] != kernel_channels * groups:
                raise ValueError(f"{where}: input has {x.shape[1]} channels, expected {kernel_channels * groups}")
            return convolve(x, padding(x.shape[2], x.shape[3]))

        return run

    @staticmethod
    def _padding(params, oneof: str, where, stride, reach) -> Callable[[int, int], list[tuple[int, int]]]:
        """(height, width) -> [(top, bottom), (left, right)] as the spec's padding type says."""
        kind = params.WhichOneof(oneof)
        if kind == "same":
            _check_fields(params.same, {"asymmetryMode"}, f"{where}: same")
            top_left_heavy = params.same.asymmetryMode == params.same.TOP_LEFT_HEAVY

            return lambda height, width: same_padding(height, width, stride, reach, top_left_heavy)
        if kind in ("valid", None):
            borders = list(params.valid.paddingAmounts.borderAmounts) if kind == "valid" else []
            if kind == "valid":
                _check_fields(params.valid, {"paddingAmounts"}, f"{where}: valid")
            if borders and len(borders) != 2:
                raise ModelFileError(f"{where}: field 'paddingAmounts' must have 2 entries [H, W]")
            pads = [(int(b.startEdgeSize), int(b.endEdgeSize)) for b in borders] or [(0, 0), (0, 0)]
            return lambda height, width: pads
        raise ModelFileError(f"{where}: padding {kind!r} is not supported")

    def _layer_batchnorm(self, params, where, inputs):
        _check_fields(params, {"channels", "epsilon", "gamma", "beta", "mean", "variance"}, where)
        channels = int(params.channels)
        gamma, beta, mean, variance = (self._weights(getattr(params, name), channels, where, name)
                                       for name in ("gamma", "beta", "mean", "variance"))
        epsilon = params.epsilon or 1e-5
        factor = (gamma / np.sqrt(variance + epsilon)).reshape(-1, 1, 1)
        shift = (beta - mean * gamma / np.sqrt(variance + epsilon)).reshape(-1, 1, 1)
        return lambda x: x * factor + shift  # over axis -3, the channels

    def _layer_activation(self, params, where, inputs):
        kind = params.WhichOneof("NonlinearityType")
        inner = getattr(params, kind) if kind else None
        _check_fields(params, {kind}, where)
        scalar_fields = {"linear": {"alpha", "beta"}, "leakyReLU": {"alpha"}, "thresholdedReLU": {"alpha"},
                         "scaledTanh": {"alpha", "beta"}, "sigmoidHard": {"alpha", "beta"}, "ELU": {"alpha"},
                         "PReLU": {"alpha"}, "parametricSoftplus": {"alpha", "beta"}}
        if inner is not None:
            _check_fields(inner, scalar_fields.get(kind, set()), f"{where}: {kind}")
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
                weights = getattr(inner, field)
                count = len(weights.floatValue) or len(weights.float16Value) // 2 or 1
                return self._weights(weights, count, where, f"{kind}.{field}").reshape(-1, 1, 1)

            alpha = per_channel("alpha")
            if kind == "PReLU":
                return lambda x: np.where(x >= 0, x, alpha * x)
            beta = per_channel("beta")
            return lambda x: alpha * np.logaddexp(0, beta * x)
        raise ModelFileError(f"{where}: activation {kind!r} is not supported")

    def _layer_pooling(self, params, where, inputs):
        _check_fields(params, {"type", "kernelSize", "stride", "valid", "same", "includeLastPixel",
                               "avgPoolExcludePadding", "globalPooling"}, where)
        if params.type not in (params.MAX, params.AVERAGE):
            raise ModelFileError(f"{where}: field 'type': L2 pooling is not supported")
        maximum = params.type == params.MAX
        exclude_padding = params.avgPoolExcludePadding
        if params.globalPooling:
            return lambda x: (np.max if maximum else np.mean)(x, axis=(-2, -1), keepdims=True)
        kernel = _pair(params.kernelSize, (3, 3), where, "kernelSize")
        stride = _pair(params.stride, (1, 1), where, "stride")
        padding_type = params.WhichOneof("PoolingPaddingType")
        if padding_type == "includeLastPixel":
            _check_fields(params.includeLastPixel, {"paddingAmounts"}, f"{where}: includeLastPixel")
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
            plain = self._padding(params, "PoolingPaddingType", where, stride, kernel)

            def padding(height, width):
                return plain(height, width), [(0, 0), (0, 0)]

        def run(x):
            pads, overhang = padding(x.shape[-2], x.shape[-1])
            # An average divides by the pixels a window covers: the image's, the
            # padding's unless avgPoolExcludePadding, never the overhang's.
            return pool(x, kernel, stride, pads, maximum, not exclude_padding, overhang)

        return run

    def _layer_flatten(self, params, where, inputs):
        _check_fields(params, {"mode"}, where)
        channel_last = params.mode == params.CHANNEL_LAST

        def run(x):
            if x.ndim != 4:
                raise ValueError(f"{where}: expects a [C, H, W] input")
            ordered = x.transpose(0, 2, 3, 1) if channel_last else x
            return ordered.reshape(x.shape[0], -1, 1, 1)

        return run

    def _layer_reshape(self, params, where, inputs):
        _check_fields(params, {"targetShape", "mode"}, where)
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

    def _layer_permute(self, params, where, inputs):
        _check_fields(params, {"axis"}, where)
        axis = [int(a) for a in params.axis] or [0, 1, 2, 3]
        if sorted(axis) != [0, 1, 2, 3] or axis[0] != 0:
            raise ModelFileError(f"{where}: field 'axis' {axis} moves the sequence axis; only [0, ...] permutations "
                                 "of channel, height and width are supported")
        return lambda x: x.transpose(0, *axis[1:])

    def _layer_transpose(self, params, where, inputs):
        _check_fields(params, {"axes"}, where)
        axes = [int(a) for a in params.axes]
        if not axes or axes[0] != 0 or sorted(axes) != list(range(len(axes))):
            raise ModelFileError(f"{where}: field 'axes' {axes} moves the batch axis")
        return lambda x: x.transpose(axes)

    def _layer_reshapeStatic(self, params, where, inputs):
        _check_fields(params, {"targetShape"}, where)
        target = [int(v) for v in params.targetShape]
        if not target or target[0] != 1 or min(target) < 1:
            raise ModelFileError(f"{where}: field 'targetShape' {target} must start with the batch of 1")
        return lambda x: x.reshape([x.shape[0], *target[1:]])

    def _layer_concat(self, params, where, inputs):
        _check_fields(params, {"sequenceConcat"}, where)
        if params.sequenceConcat:
            raise ModelFileError(f"{where}: field 'sequenceConcat' is not supported")
        return lambda *xs: np.concatenate(xs, axis=-3)

    def _layer_concatND(self, params, where, inputs):
        _check_fields(params, {"axis"}, where)
        axis = int(params.axis)

        def run(*xs):
            if axis % xs[0].ndim == 0:
                raise ValueError(f"{where}: concatenating along the batch axis is not supported")
            return np.concatenate(xs, axis=axis)

        return run

    def _elementwise(self, params, where, combine):
        """add / multiply: one input combined with alpha, or all inputs with each other."""
        _check_fields(params, {"alpha"}, where)
        alpha = params.alpha

        def run(*xs):
            out = combine(xs[0], alpha) if len(xs) == 1 else xs[0]
            for more in xs[1:]:
                out = combine(out, more)
            return out

        return run

    def _layer_add(self, params, where, inputs):
        return self._elementwise(params, where, np.add)

    def _layer_multiply(self, params, where, inputs):
        return self._elementwise(params, where, np.multiply)

    def _layer_innerProduct(self, params, where, inputs):
        _check_fields(params, {"inputChannels", "outputChannels", "hasBias", "weights", "bias"}, where)
        in_channels, out_channels = int(params.inputChannels), int(params.outputChannels)
        matrix = np.ascontiguousarray(self._weights(params.weights, in_channels * out_channels, where, "weights",
                                                    out_channels).reshape(out_channels, in_channels).T)
        bias = self._weights(params.bias, out_channels, where, "bias") if params.hasBias else None

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

    def _layer_batchedMatmul(self, params, where, inputs):
        _check_fields(params, {"transposeA", "transposeB", "weightMatrixFirstDimension",
                               "weightMatrixSecondDimension", "hasBias", "weights", "bias"}, where)
        if inputs != 1:
            raise ModelFileError(f"{where}: a matmul of two inputs is not supported")
        first, second = int(params.weightMatrixFirstDimension), int(params.weightMatrixSecondDimension)
        # [X1, X2] stored column-major: as rows, it reads [X2, X1].
        weights = np.ascontiguousarray(self._weights(params.weights, first * second, where, "weights")
                                       .reshape(second, first).T)
        bias = self._weights(params.bias, second, where, "bias") if params.hasBias else None

        def run(x):
            out = x @ weights
            return out + bias if bias is not None else out

        return run

    def _layer_loadConstantND(self, params, where, inputs):
        _check_fields(params, {"shape", "data"}, where)
        shape = [int(v) for v in params.shape]
        value = self._weights(params.data, int(np.prod(shape)), where, "data").reshape(shape)
        return lambda: value[None]

    _layer_loadConstant = _layer_loadConstantND  # same fields: shape and data

    def _layer_softmax(self, params, where, inputs):
        _check_fields(params, set(), where)
        return lambda x: softmax(x, -3 if x.ndim >= 4 else 1)  # over channels

    def _layer_softmaxND(self, params, where, inputs):
        _check_fields(params, {"axis"}, where)
        axis = int(params.axis)

        def run(x):
            if axis % x.ndim == 0:
                raise ValueError(f"{where}: a softmax over the batch axis is not supported")
            return softmax(x, axis)

        return run

    # --- running
    def _image(self, pixels: np.ndarray) -> np.ndarray:
        """(N, C, H, W) float32: the phone's gray drawing as the model's input
        (R = G = B for a color model), preprocessed as the spec says."""
        channels = 1 if self.color == "gray" else 3
        image = np.repeat(pixels[:, None].astype(np.float32), channels, axis=1)
        if self.mean_image is not None:
            image = image - self.mean_image
        return image * np.float32(self.scale) + self.bias

    def probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """Class probabilities (N, 10) for uint8 images (N, 28, 28) or (10,) for one."""
        pixels = np.asarray(pixels)
        single = pixels.ndim == 2
        batch = pixels[None] if single else pixels
        if batch.shape[1:] != self.input_size:
            raise ValueError(f"{self.path}: input must be {self.input_size[0]}x{self.input_size[1]}, "
                             f"got {batch.shape[1:]}")
        image = self._image(batch)
        if self.precision == "float16":
            image = to_float16(image)
        if self._program is not None:
            result = self._program.run(image)
        else:
            result = self._run_layers(image)[self.output_blob]
        result = np.asarray(result, np.float32).reshape(len(batch), -1)
        if result.shape[1] != len(self.labels):
            raise ModelFileError(f"{self.path}: output {self.output_blob!r} has {result.shape[1]} values for "
                                 f"{len(self.labels)} classes")
        return result[0] if single else result

    def _run_layers(self, image: np.ndarray) -> dict[str, np.ndarray]:
        blobs = {self.input_name: image}
        for inputs, output, run in self._layers:
            blobs[output] = run(*(blobs[name] for name in inputs))
        return blobs

    def blobs(self, pixels: np.ndarray) -> dict[str, np.ndarray]:
        """Every layer's output, by name, for uint8 images (N, 28, 28): what a
        test holds against an independent computation."""
        return self._run_layers(self._image(np.asarray(pixels)))

    def predict(self, pixels: np.ndarray) -> dict:
        """The outputs the phone's generated model class returns, by name."""
        probabilities = self.probabilities(pixels)
        top = self.labels[int(np.argmax(probabilities))]
        return {self.label_name or "classLabel": top,
                self.probabilities_name: {label: float(p) for label, p in zip(self.labels, probabilities,
                                                                              strict=True)}}
