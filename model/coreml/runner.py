"""Run a Core ML model with numpy, on any platform, as the phone would.

Core ML itself only exists on Apple platforms. This evaluates the same file the
phone runs, layer by layer, including the image preprocessing, so the desktop
shows what the phone would answer. It reads the file with coremltools' protobuf
schema, loaded privately so that TensorFlow (which `import coremltools` pulls
in, 3-4 s) stays off the app's start path.

The rule: never a silently different answer. Every field of every layer, input
and preprocessing step is either implemented as NeuralNetwork.proto defines it
(coremltools' builders and tests are the reference) or the model is refused
with a message naming the file, the layer and the field. `check_fields` makes
this mechanical: a layer's parameters may only set the fields its compiler
reads (model.coreml.layers), anything else set is refused by name; a weight
that is NaN or infinite refuses the model too.

Tensors are numpy arrays whose first axis is the batch (the phone's drawings
stacked); the rest is Core ML's shape: [C, H, W] for rank-5 layers
(specification <= 3, Seq = 1), the full shape without its leading 1 for
N-dimensional layers. ML Programs are run by `model.coreml.mlprogram`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from model.contract import CLASS_LABELS, NOT_A_DIGIT_KEYS
from model.coreml.layers import COMPILERS
from model.coreml.spec import check_fields, read_spec, read_weights, to_float16
from model.errors import ModelFileError
from model.limits import MODEL_SECONDS

MODEL_SIZE = (28, 28)  # what the phone app hands the model
# Images run through the layers at a time: a few drawings' activations stay in one core's L2 cache, which
# made 2,000 MNIST digits three times and an 8-digit number's reading 5 % faster than one pass of them all.
CHUNK = 4


class CoreMLModel:
    """A loaded Core ML model: `probabilities(pixels)` runs it on uint8 28x28 images.

    precision="float16" rounds weights and every layer's output to float16, as
    a phone's Neural Engine and GPU store them; "float32" is the CPU's answer."""

    def __init__(self, path: str | os.PathLike, precision: str = "float32"):
        if precision not in ("float32", "float16"):
            raise ValueError(f"precision must be float32 or float16, not {precision!r}")
        self.path = Path(path)
        self.precision = precision
        self._load()
        self._probe()

    def _probe(self) -> None:
        """Run the loaded model once: a model that cannot run, answers NaN, or takes
        seconds for one drawing is refused now by name, not when the user draws."""
        started = time.monotonic()
        try:
            result = self.probabilities(np.zeros(MODEL_SIZE, np.uint8))
        except ModelFileError:
            raise
        except Exception as error:  # shapes that do not fit, arithmetic that cannot be done
            raise ModelFileError(f"{self.path}: cannot run ({type(error).__name__}: {error})") from error
        seconds = time.monotonic() - started
        if seconds > MODEL_SECONDS:
            raise ModelFileError(f"{self.path}: one drawing takes {seconds:.1f} s through this model (at most "
                                 f"{MODEL_SECONDS:g} s; the shipped model takes a millisecond), so it is not run")
        if not np.isfinite(result).all():
            raise ModelFileError(f"{self.path}: answers NaN or infinity for a blank image")

    def _load(self) -> None:
        precision = self.precision
        spec = read_spec(self.path)
        self.spec = spec
        self.specification_version = spec.specificationVersion
        kind = spec.WhichOneof("Type")
        self.kind = kind
        self._read_description(kind)
        if kind == "mlProgram":
            from model.coreml.mlprogram import MLProgram

            self._program = MLProgram(self.path, spec, self.input_name, self.output_blob, precision)
            self._layers = []
            # An ML Program scales its input itself (a `mul` the converter writes).
            self.scale, self.bias, self.mean_image = 1.0, np.zeros((1, 1, 1), np.float32), None
            if self._program.classes is not None:
                self.labels = self._program.classes
            self._read_class_order("the classify operation's 'classes'")
            return
        if kind not in ("neuralNetworkClassifier", "neuralNetwork"):
            raise ModelFileError(f"{self.path}: a {kind} model; only neural network and ML Program models "
                                 "can run here")
        self._program = None
        network = getattr(spec, kind)
        check_fields(network, {"layers", "preprocessing", "arrayInputShapeMapping", "imageInputShapeMapping",
                                "updateParams", "stringClassLabels", "int64ClassLabels", "labelProbabilityLayerName"},
                      f"{self.path}: {kind}")
        if not len(network.layers):
            raise ModelFileError(f"{self.path}: the network has no layers")
        self._read_classes(network, kind)
        self._read_class_order(f"field '{network.WhichOneof('ClassLabels') or 'stringClassLabels'}'"
                               if kind == "neuralNetworkClassifier" else "its output")
        self._read_preprocessing(network)
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
        check_fields(image_type, {"width", "height", "colorSpace", "imageSizeRange", "enumeratedSizes"}, where)
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
        self.not_a_digit_below, self.not_a_digit_below_centred = (
            self._threshold(description.metadata.userDefined, key) for key in NOT_A_DIGIT_KEYS.values())
        self.labels = [str(i) for i in range(10)]

    def _threshold(self, user_defined, key: str) -> float | None:
        if key not in user_defined:
            return None
        text = user_defined[key]
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not 0.0 <= value <= 1.0:
            raise ModelFileError(f"{self.path}: metadata {key!r} is {text!r}, expected a probability from 0 to 1")
        return value

    def _read_classes(self, network, kind: str) -> None:
        if kind == "neuralNetworkClassifier":
            which = network.WhichOneof("ClassLabels")
            vector = getattr(network, which).vector if which else []
            self.labels = [str(v) for v in vector]
            if network.labelProbabilityLayerName:
                self.output_blob = network.labelProbabilityLayerName
        # Core ML hands on whatever the layer computes, so without a softmax the bars and the threshold would lie.
        producers = [layer for layer in network.layers if self.output_blob in layer.output]
        if not producers or producers[-1].WhichOneof("layer") not in ("softmax", "softmaxND"):
            raise ModelFileError(f"{self.path}: output {self.output_blob!r} is not produced by a softmax, so "
                                 "it is not a set of probabilities")

    def _read_class_order(self, field: str) -> None:
        """Where each digit's probability is in the output. The phone shows the label Core ML picks, not
        the position, so a model that lists its classes in another order is read by its labels."""
        if len(self.labels) != 10:
            raise ModelFileError(f"{self.path}: {field} lists {len(self.labels)} class labels; a digit model has 10")
        if sorted(self.labels) != CLASS_LABELS:
            raise ModelFileError(f"{self.path}: {field} lists the classes {self.labels}; a digit model's are the "
                                 "digits 0 to 9")
        self.class_index = np.array([self.labels.index(digit) for digit in CLASS_LABELS])

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
                check_fields(scaler, {"channelScale", "grayBias", "redBias", "greenBias", "blueBias"}, where)
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
        build = COMPILERS.get(kind)
        if build is None:
            raise ModelFileError(f"{self.path}: layer {layer.name!r} has type {kind!r}, which is not supported")
        check_fields(layer, {"name", "input", "output", "inputTensor", "outputTensor", "isUpdatable", kind}, where)
        if len(layer.output) != 1:
            raise ModelFileError(f"{where}: {len(layer.output)} outputs; one is supported")
        run = build(getattr(layer, kind), where, len(layer.input), self.layer_weights)
        if self.precision == "float16":
            full = run
            run = lambda *xs, full=full: to_float16(full(*xs))  # noqa: E731
        return list(layer.input), layer.output[0], run

    def layer_weights(self, params, count: int, where: str, field: str, channels: int = 1) -> np.ndarray:
        return read_weights(params, count, where, field, channels, self.precision)

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
        run = self._program.run if self._program is not None else \
            (lambda part: self._run_layers(part)[self.output_blob])
        parts = [image[start:start + CHUNK] for start in range(0, len(image), CHUNK)]
        result = np.concatenate([np.asarray(run(part), np.float32).reshape(len(part), -1) for part in parts])
        if result.shape[1] != len(self.labels):
            raise ModelFileError(f"{self.path}: output {self.output_blob!r} has {result.shape[1]} values for "
                                 f"{len(self.labels)} classes")
        result = result[:, self.class_index]
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
        top = CLASS_LABELS[int(np.argmax(probabilities))]
        return {self.label_name or "classLabel": top,
                self.probabilities_name: {label: float(p) for label, p in zip(CLASS_LABELS, probabilities,
                                                                              strict=True)}}
