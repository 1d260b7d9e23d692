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

from model.array_ops import Convolution, pool, same_padding, softmax
from model.errors import ModelFileError

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


def _padding(pad_type: str, pad: list[int], strides, reach, where: str):
    """(height, width) -> [(top, bottom), (left, right)] for a MIL pad_type."""
    if pad_type == "valid":
        return lambda height, width: [(0, 0), (0, 0)]
    if pad_type == "custom":
        if len(pad) != 4:
            raise ModelFileError(f"{where}: input 'pad' must have 4 entries")
        return lambda height, width: [(pad[0], pad[1]), (pad[2], pad[3])]
    if pad_type in ("same", "same_lower"):
        return lambda height, width: same_padding(height, width, strides, reach, pad_type == "same_lower")
    raise ModelFileError(f"{where}: input 'pad_type' {pad_type!r} is not supported")


class BlobFile:
    def __init__(self, path: Path, where: str):
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
        for operation in block.operations:
            self._compile(operation)

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
            self.constants[operation.outputs[0].name] = self._value(operation.attributes["val"], where)
            return
        build = getattr(self, f"_op_{kind}", None)
        if build is None:
            raise ModelFileError(f"{where}: operation {kind!r} is not supported")
        allowed = build.__doc__.split(":", 1)[1].split()
        for name in operation.inputs:
            if name not in allowed:
                raise ModelFileError(f"{where}: input {name!r} is not supported, so this model is refused rather "
                                     "than run differently from Core ML")
        run, tensor_inputs = build(operation, where)
        outputs = [output.name for output in operation.outputs]
        float16 = [output.type.tensorType.dataType == FLOAT16 for output in operation.outputs]
        self.steps.append((run, tensor_inputs, outputs, float16))

    def _tensor(self, operation, name):
        """A run-time input: a variable (or a constant, looked up as one)."""
        (variable,) = self._variables(operation, name)
        return variable

    def _op_mul(self, operation, where):
        """inputs: x y"""
        return (lambda x, y: x * y), [self._tensor(operation, "x"), self._tensor(operation, "y")]

    def _op_add(self, operation, where):
        """inputs: x y"""
        return (lambda x, y: x + y), [self._tensor(operation, "x"), self._tensor(operation, "y")]

    def _op_sub(self, operation, where):
        """inputs: x y"""
        return (lambda x, y: x - y), [self._tensor(operation, "x"), self._tensor(operation, "y")]

    def _op_real_div(self, operation, where):
        """inputs: x y"""
        return (lambda x, y: x / y), [self._tensor(operation, "x"), self._tensor(operation, "y")]

    def _op_cast(self, operation, where):
        """inputs: x dtype"""
        dtype = self._argument(operation, "dtype", where)
        if dtype not in ("fp16", "fp32"):
            raise ModelFileError(f"{where}: input 'dtype' {dtype!r} is not supported")
        return (lambda x: x), [self._tensor(operation, "x")]  # the output's float16 type rounds it

    def _op_conv(self, operation, where):
        """inputs: x weight bias strides pad_type pad dilations groups"""
        weight = np.asarray(self._argument(operation, "weight", where), np.float32)
        bias = self._argument(operation, "bias", where, required=False)
        bias = None if bias is None else np.asarray(bias, np.float32)
        strides = tuple(int(v) for v in self._argument(operation, "strides", where))
        dilations = tuple(int(v) for v in self._argument(operation, "dilations", where))
        groups = int(self._argument(operation, "groups", where))
        pad_type = self._argument(operation, "pad_type", where)
        pad = [int(v) for v in self._argument(operation, "pad", where)] if "pad" in operation.inputs else [0] * 4
        convolve = Convolution(weight, bias, strides, dilations, groups)
        padding = _padding(pad_type, pad, strides, convolve.reach, where)

        def run(x):
            return convolve(x, padding(*x.shape[2:]))

        return run, [self._tensor(operation, "x")]

    def _pool(self, operation, where, maximum: bool):
        kernel = tuple(int(v) for v in self._argument(operation, "kernel_sizes", where))
        strides = tuple(int(v) for v in self._argument(operation, "strides", where))
        pad_type = self._argument(operation, "pad_type", where)
        pad = [int(v) for v in self._argument(operation, "pad", where)] if "pad" in operation.inputs else [0] * 4
        if "ceil_mode" in operation.inputs and bool(self._argument(operation, "ceil_mode", where)):
            raise ModelFileError(f"{where}: input 'ceil_mode' true is not supported")
        exclude = bool(self._argument(operation, "exclude_padding_from_average", where, required=False))
        if len(kernel) != 2:
            raise ModelFileError(f"{where}: only 2-D pooling is supported")
        padding = _padding(pad_type, pad, strides, kernel, where)

        def run(x):
            return pool(x, kernel, strides, padding(*x.shape[2:]), maximum, count_padding=not exclude)

        return run, [self._tensor(operation, "x")]

    def _op_max_pool(self, operation, where):
        """inputs: x kernel_sizes strides pad_type pad ceil_mode"""
        return self._pool(operation, where, True)

    def _op_avg_pool(self, operation, where):
        """inputs: x kernel_sizes strides pad_type pad ceil_mode exclude_padding_from_average"""
        return self._pool(operation, where, False)

    def _op_batch_norm(self, operation, where):
        """inputs: x mean variance gamma beta epsilon"""
        mean, variance = (np.asarray(self._argument(operation, n, where), np.float32) for n in ("mean", "variance"))
        gamma = self._argument(operation, "gamma", where, required=False)
        beta = self._argument(operation, "beta", where, required=False)
        gamma = np.ones_like(mean) if gamma is None else np.asarray(gamma, np.float32)
        beta = np.zeros_like(mean) if beta is None else np.asarray(beta, np.float32)
        epsilon = float(self._argument(operation, "epsilon", where, required=False) or 1e-5)
        factor = gamma / np.sqrt(variance + epsilon)
        shift = beta - mean * factor

        def run(x):
            shape = (1, -1) + (1,) * (x.ndim - 2)
            return x * factor.reshape(shape) + shift.reshape(shape)

        return run, [self._tensor(operation, "x")]

    def _activation(self, operation, function):
        return function, [self._tensor(operation, "x")]

    def _op_relu(self, operation, where):
        """inputs: x"""
        return self._activation(operation, lambda x: np.maximum(x, 0))

    def _op_relu6(self, operation, where):
        """inputs: x"""
        return self._activation(operation, lambda x: np.clip(x, 0, 6))

    def _op_sigmoid(self, operation, where):
        """inputs: x"""
        return self._activation(operation, lambda x: 1 / (1 + np.exp(-x)))

    def _op_tanh(self, operation, where):
        """inputs: x"""
        return self._activation(operation, np.tanh)

    def _op_softplus(self, operation, where):
        """inputs: x"""
        return self._activation(operation, lambda x: np.logaddexp(0, x))

    def _op_softsign(self, operation, where):
        """inputs: x"""
        return self._activation(operation, lambda x: x / (1 + np.abs(x)))

    def _op_silu(self, operation, where):
        """inputs: x"""
        return self._activation(operation, lambda x: x / (1 + np.exp(-x)))

    def _op_elu(self, operation, where):
        """inputs: x alpha"""
        alpha = float(self._argument(operation, "alpha", where, required=False) or 1.0)
        return self._activation(operation, lambda x: np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1)))

    def _op_leaky_relu(self, operation, where):
        """inputs: x alpha"""
        alpha = float(self._argument(operation, "alpha", where, required=False) or 0.01)
        return self._activation(operation, lambda x: np.where(x >= 0, x, alpha * x))

    def _op_linear(self, operation, where):
        """inputs: x weight bias"""
        weight = np.asarray(self._argument(operation, "weight", where), np.float32)
        bias = self._argument(operation, "bias", where, required=False)
        matrix = np.ascontiguousarray(weight.T)

        def run(x):
            out = x @ matrix
            return out + np.asarray(bias, np.float32) if bias is not None else out

        return run, [self._tensor(operation, "x")]

    def _op_matmul(self, operation, where):
        """inputs: x y transpose_x transpose_y"""
        transpose_x = bool(self._argument(operation, "transpose_x", where, required=False))
        transpose_y = bool(self._argument(operation, "transpose_y", where, required=False))
        y_name = self._tensor(operation, "y")
        if y_name not in self.constants:
            raise ModelFileError(f"{where}: input 'y' must be a constant (weights) here")
        y = np.asarray(self.constants[y_name], np.float32)
        y = y.T if transpose_y else y

        def run(x):
            return (np.swapaxes(x, -1, -2) if transpose_x else x) @ y

        return run, [self._tensor(operation, "x")]

    def _op_reshape(self, operation, where):
        """inputs: x shape"""
        shape = [int(v) for v in np.atleast_1d(self._argument(operation, "shape", where))]
        if not shape or shape[0] != 1:
            raise ModelFileError(f"{where}: input 'shape' {shape} must keep the batch of 1 first")
        return (lambda x: x.reshape(x.shape[0], *shape[1:])), [self._tensor(operation, "x")]

    def _op_transpose(self, operation, where):
        """inputs: x perm"""
        perm = [int(v) for v in np.atleast_1d(self._argument(operation, "perm", where))]
        if perm[0] != 0:
            raise ModelFileError(f"{where}: input 'perm' {perm} moves the batch axis")
        return (lambda x: x.transpose(perm)), [self._tensor(operation, "x")]

    def _op_concat(self, operation, where):
        """inputs: values axis interleave"""
        axis = int(self._argument(operation, "axis", where))
        if bool(self._argument(operation, "interleave", where, required=False)):
            raise ModelFileError(f"{where}: input 'interleave' true is not supported")
        if axis == 0:
            raise ModelFileError(f"{where}: concatenating along the batch axis is not supported")
        return (lambda *xs: np.concatenate(xs, axis=axis)), self._variables(operation, "values")

    def _op_softmax(self, operation, where):
        """inputs: x axis"""
        axis = int(self._argument(operation, "axis", where, required=False) or -1)

        return (lambda x: softmax(x, axis)), [self._tensor(operation, "x")]

    def _op_reduce_mean(self, operation, where):
        """inputs: x axes keep_dims"""
        axes = tuple(int(v) for v in np.atleast_1d(self._argument(operation, "axes", where)))
        keep = bool(self._argument(operation, "keep_dims", where, required=False))
        if 0 in axes:
            raise ModelFileError(f"{where}: reducing over the batch axis is not supported")
        return (lambda x: x.mean(axis=axes, keepdims=keep)), [self._tensor(operation, "x")]

    def _op_classify(self, operation, where):
        """inputs: probabilities classes"""
        self.classes = [str(c) for c in np.atleast_1d(self._argument(operation, "classes", where))]
        probabilities = self._tensor(operation, "probabilities")
        self.probabilities_variable = probabilities
        return (lambda p: p), [probabilities]

    # --- running
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
