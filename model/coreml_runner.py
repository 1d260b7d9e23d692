"""Run a Core ML `.mlmodel` (NeuralNetwork spec) with numpy, on any platform.

Core ML itself only exists on Apple platforms. This evaluates the same file the
phone runs, layer by layer, including the image preprocessing, so the desktop
shows what the phone would answer. It reads the file with coremltools' protobuf
schema, loaded privately so that TensorFlow (which `import coremltools` pulls
in, 3-4 s) stays off the app's start path.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from model.errors import ModelFileError

_PROTO_PACKAGE = "_digit_recognizer_coreml_proto"
NOT_A_DIGIT_KEY = "not_a_digit_below"  # user-defined metadata written by coreml_export


def _model_pb2():
    """coremltools' generated Model_pb2, without running coremltools/__init__."""
    if "coremltools" in sys.modules:
        from coremltools.proto import Model_pb2

        return Model_pb2
    if _PROTO_PACKAGE not in sys.modules:
        spec = importlib.util.find_spec("coremltools")
        if spec is None or not spec.submodule_search_locations:
            raise ModelFileError("coremltools is not installed: it is needed to read .mlmodel files")
        package = types.ModuleType(_PROTO_PACKAGE)
        package.__path__ = [os.path.join(list(spec.submodule_search_locations)[0], "proto")]
        sys.modules[_PROTO_PACKAGE] = package
    return importlib.import_module(f"{_PROTO_PACKAGE}.Model_pb2")


def _weights(params, name: str, what: str) -> np.ndarray:
    if len(params.floatValue):
        return np.asarray(params.floatValue, dtype=np.float32)
    if len(params.float16Value):
        return np.frombuffer(params.float16Value, dtype=np.float16).astype(np.float32)
    if len(params.rawValue) or params.HasField("quantization"):
        raise ModelFileError(f"layer {name!r}: quantized {what} weights are not supported")
    return np.zeros(0, np.float32)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


class CoreMLModel:
    """A loaded `.mlmodel`: `probabilities(pixels)` runs it on uint8 28x28 images."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.exists():
            raise ModelFileError(f"{self.path}: no such Core ML model file")
        spec = _model_pb2().Model()
        try:
            data = self.path.read_bytes()
            spec.ParseFromString(data)
        except Exception as error:  # protobuf's DecodeError, or a directory
            raise ModelFileError(f"{self.path}: not a Core ML model file ({error})") from error
        if not data or spec.specificationVersion == 0:
            raise ModelFileError(f"{self.path}: not a Core ML model file (no specification version)")
        self.spec = spec
        self.specification_version = spec.specificationVersion
        kind = spec.WhichOneof("Type")
        if kind == "mlProgram":
            raise ModelFileError(f"{self.path}: an ML Program; only NeuralNetwork models can run here")
        if kind not in ("neuralNetworkClassifier", "neuralNetwork"):
            raise ModelFileError(f"{self.path}: a {kind} model, expected a neural network classifier")
        network = getattr(spec, kind)
        self._read_interface(network, kind)
        self._layers = [self._compile(layer) for layer in network.layers]

    def _read_interface(self, network, kind: str) -> None:
        description = self.spec.description
        if len(description.input) != 1:
            raise ModelFileError(f"{self.path}: expected one input, found {len(description.input)}")
        feature = description.input[0]
        self.input_name = feature.name
        if feature.type.WhichOneof("Type") != "imageType":
            raise ModelFileError(f"{self.path}: input {feature.name!r} is not an image")
        image_type = feature.type.imageType
        self.input_size = (image_type.height, image_type.width)
        if image_type.colorSpace != image_type.GRAYSCALE:
            raise ModelFileError(f"{self.path}: input {feature.name!r} is not a grayscale image")
        self.scale, self.bias = 1.0, 0.0
        for preprocessing in network.preprocessing:
            if preprocessing.WhichOneof("preprocessor") == "scaler":
                self.scale = preprocessing.scaler.channelScale or 1.0
                self.bias = preprocessing.scaler.grayBias
        if kind == "neuralNetworkClassifier":
            if network.WhichOneof("ClassLabels") == "int64ClassLabels":
                self.labels = [str(v) for v in network.int64ClassLabels.vector]
            else:
                self.labels = list(network.stringClassLabels.vector)
        else:
            self.labels = [str(i) for i in range(10)]
        self.probabilities_name = description.predictedProbabilitiesName or description.output[0].name
        self.label_name = description.predictedFeatureName
        self.output_blob = (network.labelProbabilityLayerName if kind == "neuralNetworkClassifier"
                            and network.labelProbabilityLayerName else network.layers[-1].output[0])
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

    # Each compiled layer: (input names, output name, function of the input arrays).
    def _compile(self, layer):
        kind = layer.WhichOneof("layer")
        build = getattr(self, f"_layer_{kind}", None)
        if build is None:
            raise ModelFileError(f"{self.path}: layer {layer.name!r} has type {kind!r}, which is not supported")
        return list(layer.input), layer.output[0], build(getattr(layer, kind), layer.name)

    def _layer_convolution(self, params, name):
        groups = params.nGroups or 1
        if groups != 1 or params.isDeconvolution:
            raise ModelFileError(f"{self.path}: layer {name!r}: grouped or transposed convolution is not supported")
        kernel_h, kernel_w = params.kernelSize or (3, 3)
        stride_h, stride_w = params.stride or (1, 1)
        dilation = tuple(params.dilationFactor or (1, 1))
        if dilation != (1, 1):
            raise ModelFileError(f"{self.path}: layer {name!r}: dilated convolution is not supported")
        weights = _weights(params.weights, name, "convolution").reshape(
            params.outputChannels, params.kernelChannels, kernel_h, kernel_w)
        # Rows ordered (kernel row, kernel column, channel) to match the columns below.
        matrix = np.ascontiguousarray(weights.transpose(2, 3, 1, 0).reshape(-1, params.outputChannels))
        bias = _weights(params.bias, name, "bias") if params.hasBias else None
        same = params.WhichOneof("ConvolutionPaddingType") == "same"
        if not same:
            borders = params.valid.paddingAmounts.borderAmounts
            pads = [(b.startEdgeSize, b.endEdgeSize) for b in borders] or [(0, 0), (0, 0)]

        def run(x):
            if same:
                pad_h = max((-(-x.shape[2] // stride_h) - 1) * stride_h + kernel_h - x.shape[2], 0)
                pad_w = max((-(-x.shape[3] // stride_w) - 1) * stride_w + kernel_w - x.shape[3], 0)
                padding = [(pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)]
            else:
                padding = pads
            # Work channels-last: the columns are 9 shifted slices side by side, a
            # few plain copies instead of gathering a 6-D strided window view.
            pixels = x.transpose(0, 2, 3, 1)
            if any(p for pair in padding for p in pair):
                pixels = np.pad(pixels, [(0, 0), *padding, (0, 0)])
            batch, height, width, _ = pixels.shape
            out_h, out_w = (height - kernel_h) // stride_h + 1, (width - kernel_w) // stride_w + 1
            columns = np.concatenate(
                [pixels[:, i:i + stride_h * (out_h - 1) + 1:stride_h, j:j + stride_w * (out_w - 1) + 1:stride_w]
                 for i in range(kernel_h) for j in range(kernel_w)], axis=3)
            out = columns.reshape(batch * out_h * out_w, -1) @ matrix
            if bias is not None:
                out += bias
            return out.reshape(batch, out_h, out_w, -1).transpose(0, 3, 1, 2)

        return run

    def _layer_activation(self, params, name):
        kind = params.WhichOneof("NonlinearityType")
        if kind == "ReLU":
            return lambda x: np.maximum(x, 0)
        if kind == "linear":
            alpha, beta = params.linear.alpha, params.linear.beta
            return lambda x: alpha * x + beta
        if kind == "sigmoid":
            return lambda x: 1 / (1 + np.exp(-x))
        if kind == "tanh":
            return np.tanh
        if kind == "leakyReLU":
            alpha = params.leakyReLU.alpha
            return lambda x: np.where(x > 0, x, alpha * x)
        raise ModelFileError(f"{self.path}: layer {name!r}: activation {kind!r} is not supported")

    def _layer_pooling(self, params, name):
        kernel_h, kernel_w = params.kernelSize or (2, 2)
        stride_h, stride_w = params.stride or (kernel_h, kernel_w)
        padding = params.WhichOneof("PoolingPaddingType")
        if padding == "valid" and any(b.startEdgeSize or b.endEdgeSize
                                      for b in params.valid.paddingAmounts.borderAmounts):
            raise ModelFileError(f"{self.path}: layer {name!r}: padded pooling is not supported")
        if padding == "same":
            raise ModelFileError(f"{self.path}: layer {name!r}: 'same' pooling is not supported")
        reduce = {0: np.max, 1: np.mean}.get(params.type)
        if reduce is None:
            raise ModelFileError(f"{self.path}: layer {name!r}: L2 pooling is not supported")

        def run(x):
            if params.globalPooling:
                return reduce(x, axis=(2, 3), keepdims=True)
            if padding == "includeLastPixel":
                # Core ML's default: a partial last window is still pooled.
                extra_h = (-(x.shape[2] - kernel_h) % stride_h) if x.shape[2] > kernel_h else 0
                extra_w = (-(x.shape[3] - kernel_w) % stride_w) if x.shape[3] > kernel_w else 0
                if extra_h or extra_w:
                    fill = -np.inf if params.type == 0 else np.nan
                    x = np.pad(x, [(0, 0), (0, 0), (0, extra_h), (0, extra_w)], constant_values=fill)
                    reducer = np.nanmax if params.type == 0 else np.nanmean
                    windows = sliding_window_view(x, (kernel_h, kernel_w), axis=(2, 3))
                    return reducer(windows[:, :, ::stride_h, ::stride_w], axis=(4, 5))
            if (kernel_h, kernel_w) == (stride_h, stride_w):  # non-overlapping tiles: a reshape
                batch, channels, height, width = x.shape
                out_h, out_w = height // kernel_h, width // kernel_w
                tiles = x[:, :, :out_h * kernel_h, :out_w * kernel_w].reshape(
                    batch, channels, out_h, kernel_h, out_w, kernel_w)
                return reduce(tiles, axis=(3, 5))
            windows = sliding_window_view(x, (kernel_h, kernel_w), axis=(2, 3))
            return reduce(windows[:, :, ::stride_h, ::stride_w], axis=(4, 5))

        return run

    def _layer_transpose(self, params, name):
        axes = list(params.axes)
        return lambda x: x.transpose(axes)

    def _layer_reshapeStatic(self, params, name):
        target = list(params.targetShape)

        def run(x):
            # The spec's shapes carry a batch of 1; here the batch is whatever came in.
            return x.reshape([x.shape[0], *target[1:]]) if target and target[0] == 1 else x.reshape(target)

        return run

    def _layer_flatten(self, params, name):
        if params.mode == 0:  # CHANNEL_FIRST
            return lambda x: x.reshape(x.shape[0], -1)
        return lambda x: x.transpose(0, 2, 3, 1).reshape(x.shape[0], -1)

    def _layer_batchedMatmul(self, params, name):
        if not params.hasBias and not len(params.weights.floatValue) and not len(params.weights.float16Value):
            raise ModelFileError(f"{self.path}: layer {name!r}: a matmul of two inputs is not supported")
        # Stored as [out, in], the transpose of the [in, out] matrix it applies.
        weights = np.ascontiguousarray(_weights(params.weights, name, "matmul").reshape(
            params.weightMatrixSecondDimension, params.weightMatrixFirstDimension).T)
        bias = _weights(params.bias, name, "bias") if params.hasBias else None

        def run(x):
            out = x @ weights
            return out + bias if bias is not None else out

        return run

    def _layer_innerProduct(self, params, name):
        weights = _weights(params.weights, name, "inner product").reshape(
            params.outputChannels, params.inputChannels)
        matrix = np.ascontiguousarray(weights.T)
        bias = _weights(params.bias, name, "bias") if params.hasBias else None

        def run(x):
            out = x.reshape(-1, params.inputChannels) @ matrix
            if bias is not None:
                out += bias
            return out.reshape(*x.shape[:-1], params.outputChannels) if x.shape[-1] == params.inputChannels \
                else out

        return run

    def _layer_loadConstantND(self, params, name):
        value = _weights(params.data, name, "constant").reshape(list(params.shape))
        return lambda: value

    _layer_loadConstant = _layer_loadConstantND  # same fields: data and shape

    def _layer_multiply(self, params, name):
        alpha = params.alpha

        def run(*inputs):
            out = inputs[0] * (inputs[1] if len(inputs) > 1 else alpha)
            for more in inputs[2:]:
                out = out * more
            return out

        return run

    def _layer_add(self, params, name):
        alpha = params.alpha

        def run(*inputs):
            out = inputs[0] + (inputs[1] if len(inputs) > 1 else alpha)
            for more in inputs[2:]:
                out = out + more
            return out

        return run

    def _layer_softmaxND(self, params, name):
        return lambda x: _softmax(x, params.axis)

    def _layer_softmax(self, params, name):
        return lambda x: _softmax(x, 1)  # over channels

    def probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes) for uint8 images (N, H, W) or (H, W):
        what Vision hands the model, preprocessed as the spec says."""
        pixels = np.asarray(pixels)
        single = pixels.ndim == 2
        batch = pixels[None] if single else pixels
        if batch.shape[1:] != self.input_size:
            raise ValueError(f"{self.path}: input must be {self.input_size[0]}x{self.input_size[1]}, "
                             f"got {batch.shape[1:]}")
        blobs = {self.input_name: (batch[:, None].astype(np.float32) * np.float32(self.scale)
                                   + np.float32(self.bias))}
        for inputs, output, run in self._layers:
            blobs[output] = run(*(blobs[name] for name in inputs))
        result = blobs[self.output_blob].reshape(len(batch), -1).astype(np.float32)
        return result[0] if single else result

    def predict(self, pixels: np.ndarray) -> dict:
        """The outputs the phone's generated model class returns, by name."""
        probabilities = self.probabilities(pixels)
        top = self.labels[int(np.argmax(probabilities))]
        return {self.label_name: top,
                self.probabilities_name: {label: float(p) for label, p in zip(self.labels, probabilities, strict=True)}}
