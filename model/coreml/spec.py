"""Reading a Core ML file: coremltools' protobuf schema without coremltools'
start-up, the rule's field check, and weights in every storage the spec allows
(float32, float16, linear and lookup-table quantization), checked finite."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from pathlib import Path

import numpy as np

from model.errors import ModelFileError
from model.limits import MODEL_MEGABYTES, check_regular_file

_PROTO_PACKAGE = "_digit_recognizer_coreml_proto"


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
        from model.coreml.mlprogram import package_spec_path

        path = package_spec_path(path)
    check_regular_file(path, MODEL_MEGABYTES, ModelFileError, "a Core ML model file")
    spec = _model_pb2().Model()
    try:
        data = path.read_bytes()
        spec.ParseFromString(data)
    except Exception as error:  # protobuf's DecodeError, or an unreadable file
        raise ModelFileError(f"{path}: not a Core ML model file ({error})") from error
    if not data or spec.specificationVersion == 0:
        raise ModelFileError(f"{path}: not a Core ML model file (no specification version)")
    return spec


def check_fields(message, allowed: set[str], where: str) -> None:
    for field, _ in message.ListFields():
        if field.name not in allowed:
            raise ModelFileError(f"{where}: field {field.name!r} is not supported here, so this model is refused "
                                 "rather than run differently from Core ML")


def pair(values, default: tuple[int, int], where: str, field: str) -> tuple[int, int]:
    values = list(values)
    if not values:
        return default
    if len(values) != 2 or min(values) < 1:
        raise ModelFileError(f"{where}: field {field!r} must hold two positive numbers, got {values}")
    return int(values[0]), int(values[1])


def read_weights(params, count: int, where: str, field: str, channels: int = 1, precision: str = "float32") -> np.ndarray:
    """A WeightParams field as float32 values, checked to hold `count` of them.
    Linear quantization may have one scale per `channels` (rows of the layout)."""
    check_fields(params, {"floatValue", "float16Value", "rawValue", "quantization", "isUpdatable"},
                  f"{where}: {field}")
    if len(params.floatValue):
        values = np.asarray(params.floatValue, np.float32)
    elif len(params.float16Value):
        if len(params.float16Value) % 2:
            raise ModelFileError(f"{where}: field {field!r} has an odd number of float16 bytes")
        values = np.frombuffer(params.float16Value, np.float16).astype(np.float32)
    elif params.HasField("quantization"):
        values = _dequantize(params, count, where, field, channels)
    else:
        values = np.zeros(0, np.float32)
    if values.size != count:
        raise ModelFileError(f"{where}: field {field!r} has {values.size} values, expected {count}")
    if not np.isfinite(values).all():
        raise ModelFileError(f"{where}: field {field!r} holds NaN or infinite weights, so every answer would be "
                             "meaningless")
    if precision == "float16":
        values = to_float16(values)
    return values

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
