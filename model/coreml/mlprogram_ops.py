"""One compiler per ML Program operation, in a table the program reads
(OPERATIONS, by the operation's type). A compiler's docstring names the inputs
it implements (any other input refuses the model by name); it returns the
function of the run-time tensors and their names. `program` gives the
operation's constant arguments and variables."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from model.coreml.array_ops import Convolution, pool, same_padding, softmax
from model.errors import ModelFileError


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


def mul_op(program, operation, where):
    """inputs: x y"""
    return (lambda x, y: x * y), [program._tensor(operation, "x"), program._tensor(operation, "y")]

def add_op(program, operation, where):
    """inputs: x y"""
    return (lambda x, y: x + y), [program._tensor(operation, "x"), program._tensor(operation, "y")]

def sub_op(program, operation, where):
    """inputs: x y"""
    return (lambda x, y: x - y), [program._tensor(operation, "x"), program._tensor(operation, "y")]

def real_div_op(program, operation, where):
    """inputs: x y"""
    return (lambda x, y: x / y), [program._tensor(operation, "x"), program._tensor(operation, "y")]

def cast_op(program, operation, where):
    """inputs: x dtype"""
    dtype = program._argument(operation, "dtype", where)
    if dtype not in ("fp16", "fp32"):
        raise ModelFileError(f"{where}: input 'dtype' {dtype!r} is not supported")
    return (lambda x: x), [program._tensor(operation, "x")]  # the output's float16 type rounds it

def conv_op(program, operation, where):
    """inputs: x weight bias strides pad_type pad dilations groups"""
    weight = np.asarray(program._argument(operation, "weight", where), np.float32)
    bias = program._argument(operation, "bias", where, required=False)
    bias = None if bias is None else np.asarray(bias, np.float32)
    strides = tuple(int(v) for v in program._argument(operation, "strides", where))
    dilations = tuple(int(v) for v in program._argument(operation, "dilations", where))
    groups = int(program._argument(operation, "groups", where))
    pad_type = program._argument(operation, "pad_type", where)
    pad = [int(v) for v in program._argument(operation, "pad", where)] if "pad" in operation.inputs else [0] * 4
    convolve = Convolution(weight, bias, strides, dilations, groups)
    padding = _padding(pad_type, pad, strides, convolve.reach, where)

    def run(x):
        return convolve(x, padding(*x.shape[2:]))

    return run, [program._tensor(operation, "x")]

def _pool(program, operation, where, maximum: bool):
    kernel = tuple(int(v) for v in program._argument(operation, "kernel_sizes", where))
    strides = tuple(int(v) for v in program._argument(operation, "strides", where))
    pad_type = program._argument(operation, "pad_type", where)
    pad = [int(v) for v in program._argument(operation, "pad", where)] if "pad" in operation.inputs else [0] * 4
    if "ceil_mode" in operation.inputs and bool(program._argument(operation, "ceil_mode", where)):
        raise ModelFileError(f"{where}: input 'ceil_mode' true is not supported")
    exclude = bool(program._argument(operation, "exclude_padding_from_average", where, required=False))
    if len(kernel) != 2:
        raise ModelFileError(f"{where}: only 2-D pooling is supported")
    padding = _padding(pad_type, pad, strides, kernel, where)

    def run(x):
        return pool(x, kernel, strides, padding(*x.shape[2:]), maximum, count_padding=not exclude)

    return run, [program._tensor(operation, "x")]

def max_pool_op(program, operation, where):
    """inputs: x kernel_sizes strides pad_type pad ceil_mode"""
    return _pool(program, operation, where, True)

def avg_pool_op(program, operation, where):
    """inputs: x kernel_sizes strides pad_type pad ceil_mode exclude_padding_from_average"""
    return _pool(program, operation, where, False)

def batch_norm_op(program, operation, where):
    """inputs: x mean variance gamma beta epsilon"""
    mean, variance = (np.asarray(program._argument(operation, n, where), np.float32) for n in ("mean", "variance"))
    gamma = program._argument(operation, "gamma", where, required=False)
    beta = program._argument(operation, "beta", where, required=False)
    gamma = np.ones_like(mean) if gamma is None else np.asarray(gamma, np.float32)
    beta = np.zeros_like(mean) if beta is None else np.asarray(beta, np.float32)
    epsilon = float(program._argument(operation, "epsilon", where, required=False) or 1e-5)
    factor = gamma / np.sqrt(variance + epsilon)
    shift = beta - mean * factor

    def run(x):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return x * factor.reshape(shape) + shift.reshape(shape)

    return run, [program._tensor(operation, "x")]

def _activation(program, operation, function):
    return function, [program._tensor(operation, "x")]

def relu_op(program, operation, where):
    """inputs: x"""
    return _activation(program, operation, lambda x: np.maximum(x, 0))

def relu6_op(program, operation, where):
    """inputs: x"""
    return _activation(program, operation, lambda x: np.clip(x, 0, 6))

def sigmoid_op(program, operation, where):
    """inputs: x"""
    return _activation(program, operation, lambda x: 1 / (1 + np.exp(-x)))

def tanh_op(program, operation, where):
    """inputs: x"""
    return _activation(program, operation, np.tanh)

def softplus_op(program, operation, where):
    """inputs: x"""
    return _activation(program, operation, lambda x: np.logaddexp(0, x))

def softsign_op(program, operation, where):
    """inputs: x"""
    return _activation(program, operation, lambda x: x / (1 + np.abs(x)))

def silu_op(program, operation, where):
    """inputs: x"""
    return _activation(program, operation, lambda x: x / (1 + np.exp(-x)))

def elu_op(program, operation, where):
    """inputs: x alpha"""
    alpha = float(program._argument(operation, "alpha", where, required=False) or 1.0)
    return _activation(program, operation, lambda x: np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1)))

def leaky_relu_op(program, operation, where):
    """inputs: x alpha"""
    alpha = float(program._argument(operation, "alpha", where, required=False) or 0.01)
    return _activation(program, operation, lambda x: np.where(x >= 0, x, alpha * x))

def linear_op(program, operation, where):
    """inputs: x weight bias"""
    weight = np.asarray(program._argument(operation, "weight", where), np.float32)
    bias = program._argument(operation, "bias", where, required=False)
    matrix = np.ascontiguousarray(weight.T)

    def run(x):
        out = x @ matrix
        return out + np.asarray(bias, np.float32) if bias is not None else out

    return run, [program._tensor(operation, "x")]

def matmul_op(program, operation, where):
    """inputs: x y transpose_x transpose_y"""
    transpose_x = bool(program._argument(operation, "transpose_x", where, required=False))
    transpose_y = bool(program._argument(operation, "transpose_y", where, required=False))
    y_name = program._tensor(operation, "y")
    if y_name not in program.constants:
        raise ModelFileError(f"{where}: input 'y' must be a constant (weights) here")
    y = np.asarray(program.constants[y_name], np.float32)
    y = y.T if transpose_y else y

    def run(x):
        return (np.swapaxes(x, -1, -2) if transpose_x else x) @ y

    return run, [program._tensor(operation, "x")]

def reshape_op(program, operation, where):
    """inputs: x shape"""
    shape = [int(v) for v in np.atleast_1d(program._argument(operation, "shape", where))]
    if not shape or shape[0] != 1:
        raise ModelFileError(f"{where}: input 'shape' {shape} must keep the batch of 1 first")
    return (lambda x: x.reshape(x.shape[0], *shape[1:])), [program._tensor(operation, "x")]

def transpose_op(program, operation, where):
    """inputs: x perm"""
    perm = [int(v) for v in np.atleast_1d(program._argument(operation, "perm", where))]
    if perm[0] != 0:
        raise ModelFileError(f"{where}: input 'perm' {perm} moves the batch axis")
    return (lambda x: x.transpose(perm)), [program._tensor(operation, "x")]

def concat_op(program, operation, where):
    """inputs: values axis interleave"""
    axis = int(program._argument(operation, "axis", where))
    if bool(program._argument(operation, "interleave", where, required=False)):
        raise ModelFileError(f"{where}: input 'interleave' true is not supported")
    if axis == 0:
        raise ModelFileError(f"{where}: concatenating along the batch axis is not supported")
    return (lambda *xs: np.concatenate(xs, axis=axis)), program._variables(operation, "values")

def softmax_op(program, operation, where):
    """inputs: x axis"""
    axis = int(program._argument(operation, "axis", where, required=False) or -1)

    return (lambda x: softmax(x, axis)), [program._tensor(operation, "x")]

def reduce_mean_op(program, operation, where):
    """inputs: x axes keep_dims"""
    axes = tuple(int(v) for v in np.atleast_1d(program._argument(operation, "axes", where)))
    keep = bool(program._argument(operation, "keep_dims", where, required=False))
    if 0 in axes:
        raise ModelFileError(f"{where}: reducing over the batch axis is not supported")
    return (lambda x: x.mean(axis=axes, keepdims=keep)), [program._tensor(operation, "x")]

def classify_op(program, operation, where):
    """inputs: probabilities classes"""
    program.classes = [str(c) for c in np.atleast_1d(program._argument(operation, "classes", where))]
    probabilities = program._tensor(operation, "probabilities")
    program.probabilities_variable = probabilities
    return (lambda p: p), [probabilities]

# --- running


OPERATIONS: dict[str, Callable] = {
    "mul": mul_op,
    "add": add_op,
    "sub": sub_op,
    "real_div": real_div_op,
    "cast": cast_op,
    "conv": conv_op,
    "max_pool": max_pool_op,
    "avg_pool": avg_pool_op,
    "batch_norm": batch_norm_op,
    "relu": relu_op,
    "relu6": relu6_op,
    "sigmoid": sigmoid_op,
    "tanh": tanh_op,
    "softplus": softplus_op,
    "softsign": softsign_op,
    "silu": silu_op,
    "elu": elu_op,
    "leaky_relu": leaky_relu_op,
    "linear": linear_op,
    "matmul": matmul_op,
    "reshape": reshape_op,
    "transpose": transpose_op,
    "concat": concat_op,
    "softmax": softmax_op,
    "reduce_mean": reduce_mean_op,
    "classify": classify_op,
}
