"""Run a Core ML ML Program (.mlpackage, or an .mlmodel holding an mlProgram)
with numpy, for the operations an image classifier of this size uses.

The same rule as the NeuralNetwork runner: an operation, or an input of an
operation, that is not implemented here as the MIL op set defines it refuses
the model by file, operation and name. Weights are read from the package's
weight file (MIL blob storage: a 64-byte header, then per blob a 64-byte
metadata record and its data). A tensor the program types float16 is rounded
to float16 after the operation that makes it, as the phone computes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from model.coreml.mlprogram_ops import OPERATIONS
from model.errors import ModelFileError
from model.limits import MODEL_MEGABYTES, check_regular_file

BLOB_SENTINEL = 0xDEADBEEF
BLOB_TYPES = {1: np.float16, 2: np.float32, 3: np.uint8, 4: np.int8, 14: np.int32}
# MIL DataType numbers (MIL.proto) -> numpy
MIL_TYPES = {1: np.bool_, 10: np.float16, 11: np.float32, 12: np.float64, 21: np.int8, 22: np.int16,
             23: np.int32, 24: np.int64, 31: np.uint8, 32: np.uint16, 33: np.uint32}
FLOAT16 = 10


def package_spec_path(package: Path) -> Path:
    """The model file a .mlpackage's manifest names as its root."""
    manifest_path = package / "Manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
        root = manifest["itemInfoEntries"][manifest["rootModelIdentifier"]]["path"]
    except FileNotFoundError:
        raise ModelFileError(f"{package}: not a Core ML package (no Manifest.json)") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelFileError(f"{package}: Manifest.json does not name the model ({error})") from None
    path = package / "Data" / root
    if not path.is_file():
        raise ModelFileError(f"{package}: the model file {root} named by Manifest.json is missing")
    return path


class BlobFile:
    def __init__(self, path: Path, where: str):
        check_regular_file(path, 2 * MODEL_MEGABYTES, ModelFileError, "a weight file")
        try:
            self.data = path.read_bytes()
        except OSError as error:
            raise ModelFileError(f"{where}: weight file {path} cannot be read ({error.strerror})") from None
        self.path, self.where = path, where

    def read(self, offset: int, dtype, shape: tuple[int, ...]) -> np.ndarray:
        where = f"{self.where}: weights at offset {offset} in {self.path.name}"
        if offset + 64 > len(self.data):
            raise ModelFileError(f"{where}: past the end of the file")
        sentinel, blob_type, size, data_offset = np.frombuffer(self.data, "<u4", 2, offset).tolist() + \
            np.frombuffer(self.data, "<u8", 2, offset + 8).tolist()
        if sentinel != BLOB_SENTINEL:
            raise ModelFileError(f"{where}: not a blob record (damaged weight file)")
        if blob_type not in BLOB_TYPES or np.dtype(BLOB_TYPES[blob_type]) != np.dtype(dtype):
            raise ModelFileError(f"{where}: blob type {blob_type} does not match the tensor's {np.dtype(dtype)}")
        count = int(np.prod(shape))
        if size != count * np.dtype(dtype).itemsize or data_offset + size > len(self.data):
            raise ModelFileError(f"{where}: holds {size} bytes, expected {count} values")
        return np.frombuffer(self.data, dtype, count, data_offset).reshape(shape)


class MLProgram:
    """The `main` function of an ML Program, compiled to numpy steps."""

    def __init__(self, path: Path, spec, input_name: str, output_name: str, precision: str):
        self.path = Path(path)
        self.precision = precision
        program = spec.mlProgram
        if "main" not in program.functions:
            raise ModelFileError(f"{self.path}: the ML Program has no main function")
        function = program.functions["main"]
        block = function.block_specializations[function.opset]
        self.input_name = input_name
        self.output_name = output_name
        self.weights_dir = self.path / "Data" / "com.apple.CoreML" / "weights" if self.path.is_dir() else \
            self.path.parent / "weights"
        self._blobs: dict[str, BlobFile] = {}
        self.constants: dict[str, np.ndarray] = {}
        self.steps = []
        self.classes: list[str] | None = None
        self._producers: dict[str, tuple[str, list[str]]] = {}
        for operation in block.operations:
            self._compile(operation)
        self._check_probabilities()

    def _check_probabilities(self) -> None:
        """The answer must come from a softmax, or the bars and the threshold would lie."""
        name = getattr(self, "probabilities_variable", self.output_name)
        kind, inputs = self._producers.get(name, (None, []))
        while kind == "cast" and inputs:  # a float16 program hands its softmax out as float32
            kind, inputs = self._producers.get(inputs[0], (None, []))
        if kind != "softmax":
            raise ModelFileError(f"{self.path}: {name!r} is not produced by a softmax, so it is not a set of "
                                 "probabilities")

    # --- values
    def _where(self, operation) -> str:
        name = operation.outputs[0].name if len(operation.outputs) else "?"
        return f"{self.path}: operation {name!r} ({operation.type})"

    def _value(self, value, where: str):
        kind = value.WhichOneof("value")
        tensor_type = value.type.tensorType
        dtype = MIL_TYPES.get(tensor_type.dataType)
        shape = tuple(int(d.constant.size) for d in tensor_type.dimensions)
        if kind == "blobFileValue":
            file_name = value.blobFileValue.fileName.replace("@model_path/weights/", "")
            if dtype is None:
                raise ModelFileError(f"{where}: weights of data type {tensor_type.dataType} are not supported")
            if file_name not in self._blobs:
                self._blobs[file_name] = BlobFile(self.weights_dir / file_name, str(self.path))
            return self._blobs[file_name].read(int(value.blobFileValue.offset), dtype, shape)
        if kind == "immediateValue":
            immediate = value.immediateValue
            which = immediate.WhichOneof("value")
            if which == "list":
                return [self._value(item, where) for item in immediate.list.values]
            if which != "tensor":
                raise ModelFileError(f"{where}: a {which} constant is not supported")
            tensor = immediate.tensor
            field = tensor.WhichOneof("value")
            if field == "strings":
                values = list(tensor.strings.values)
                return values[0] if not shape and len(values) == 1 else values
            if field == "bytes":
                array = np.frombuffer(tensor.bytes.values, dtype)
            else:
                array = np.asarray(list(getattr(tensor, field).values), dtype)
            return array.reshape(shape) if shape else (array.reshape(()) if array.size == 1 else array)
        raise ModelFileError(f"{where}: a value of kind {kind!r} is not supported")

    def _argument(self, operation, name: str, where: str, required: bool = True):
        """A compile-time constant argument, or None if it is absent and optional."""
        if name not in operation.inputs:
            if required:
                raise ModelFileError(f"{where}: input {name!r} is missing")
            return None
        bindings = operation.inputs[name].arguments
        values = []
        for binding in bindings:
            if binding.WhichOneof("binding") == "value":
                values.append(self._value(binding.value, where))
            elif binding.name in self.constants:
                values.append(self.constants[binding.name])
            else:
                raise ModelFileError(f"{where}: input {name!r} must be a constant here")
        return values[0] if len(values) == 1 else values

    def _variables(self, operation, name: str) -> list[str]:
        return [binding.name for binding in operation.inputs[name].arguments]

    # --- operations
    def _compile(self, operation) -> None:
        where = self._where(operation)
        kind = operation.type
        if kind == "const":
            unexpected = set(operation.attributes) - {"val", "name"}
            if unexpected:
                raise ModelFileError(f"{where}: attribute {sorted(unexpected)[0]!r} is not supported")
            value = self._value(operation.attributes["val"], where)
            if isinstance(value, np.ndarray) and value.dtype.kind == "f" and not np.isfinite(value).all():
                raise ModelFileError(f"{where}: holds NaN or infinite weights, so every answer would be "
                                     "meaningless")
            self.constants[operation.outputs[0].name] = value
            return
        build = OPERATIONS.get(kind)
        if build is None:
            raise ModelFileError(f"{where}: operation {kind!r} is not supported")
        allowed = build.__doc__.split(":", 1)[1].split()
        for name in operation.inputs:
            if name not in allowed:
                raise ModelFileError(f"{where}: input {name!r} is not supported, so this model is refused rather "
                                     "than run differently from Core ML")
        run, tensor_inputs = build(self, operation, where)
        outputs = [output.name for output in operation.outputs]
        for output in outputs:
            self._producers[output] = (kind, tensor_inputs)
        float16 = [output.type.tensorType.dataType == FLOAT16 for output in operation.outputs]
        self.steps.append((run, tensor_inputs, outputs, float16))

    def _tensor(self, operation, name):
        """A run-time input: a variable (or a constant, looked up as one)."""
        (variable,) = self._variables(operation, name)
        return variable

    def run(self, image: np.ndarray) -> np.ndarray:
        values = dict(self.constants)
        values[self.input_name] = image
        float16_everywhere = self.precision == "float16"
        for run, inputs, outputs, float16 in self.steps:
            result = run(*(np.asarray(values[name], np.float32) for name in inputs))
            for name, rounded in zip(outputs, float16, strict=False):
                values[name] = result.astype(np.float16).astype(np.float32) if rounded or float16_everywhere \
                    else result
        name = getattr(self, "probabilities_variable", self.output_name)
        if name not in values:
            raise ModelFileError(f"{self.path}: nothing in the program produces {name!r}")
        return values[name]
