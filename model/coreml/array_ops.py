"""The numpy operations both Core ML runners share (NeuralNetwork layers and ML
Program ops mean the same arithmetic): convolution, pooling, "same" padding and
softmax, on (batch, channels, height, width) arrays."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Pads = list[tuple[int, int]]  # [(top, bottom), (left, right)]


def same_padding(height: int, width: int, stride: tuple[int, int], reach: tuple[int, int],
                 heavy_start: bool) -> Pads:
    """Padding that keeps ceil(size / stride) outputs; an odd total puts the
    extra pixel at the end (Core ML's BOTTOM_RIGHT_HEAVY, MIL's "same") or at
    the start (TOP_LEFT_HEAVY, "same_lower")."""
    pads = []
    for size, s, k in ((height, stride[0], reach[0]), (width, stride[1], reach[1])):
        total = max((-(-size // s) - 1) * s + k - size, 0)
        small = total // 2
        pads.append((total - small, small) if heavy_start else (small, total - small))
    return pads


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


class Convolution:
    """A grouped, strided, dilated 2-D convolution with weights
    (out, in / groups, kernel height, kernel width), as an im2col matmul."""

    def __init__(self, weights: np.ndarray, bias: np.ndarray | None, stride: tuple[int, int],
                 dilation: tuple[int, int], groups: int):
        out_channels, self.in_per_group, self.kernel_h, self.kernel_w = weights.shape
        self.per_group = out_channels // groups
        self.bias, self.stride, self.dilation = bias, stride, dilation
        self.reach = ((self.kernel_h - 1) * dilation[0] + 1, (self.kernel_w - 1) * dilation[1] + 1)
        # Per group, rows ordered (kernel row, kernel column, channel) to match the columns below.
        self.matrices = [np.ascontiguousarray(weights[g * self.per_group:(g + 1) * self.per_group]
                                              .transpose(2, 3, 1, 0).reshape(-1, self.per_group))
                         for g in range(groups)]

    def __call__(self, x: np.ndarray, pads: Pads) -> np.ndarray:
        (stride_h, stride_w), (dilation_h, dilation_w) = self.stride, self.dilation
        pixels = x.transpose(0, 2, 3, 1)  # channels-last: each column block is a plain copy
        if any(p for pair in pads for p in pair):
            pixels = np.pad(pixels, [(0, 0), *pads, (0, 0)])
        batch, height, width, _ = pixels.shape
        out_h = (height - self.reach[0]) // stride_h + 1
        out_w = (width - self.reach[1]) // stride_w + 1
        results = []
        for g, matrix in enumerate(self.matrices):
            part = pixels[..., g * self.in_per_group:(g + 1) * self.in_per_group]
            # The columns are kernel-sized shifted slices side by side: no 6-D gather.
            columns = np.concatenate(
                [part[:, i * dilation_h:i * dilation_h + stride_h * (out_h - 1) + 1:stride_h,
                      j * dilation_w:j * dilation_w + stride_w * (out_w - 1) + 1:stride_w]
                 for i in range(self.kernel_h) for j in range(self.kernel_w)], axis=3)
            results.append(columns.reshape(batch * out_h * out_w, -1) @ matrix)
        out = results[0] if len(results) == 1 else np.concatenate(results, axis=1)
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(batch, out_h, out_w, -1).transpose(0, 3, 1, 2)


def pool(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], pads: Pads, maximum: bool,
         count_padding: bool, overhang: Pads = ((0, 0), (0, 0))) -> np.ndarray:
    """Max or average pooling over the last two axes. `pads` is padding that an
    average counts if `count_padding`; `overhang` is room past the end for a
    last partial window (never counted)."""
    whole = [(a + c, b + d) for (a, b), (c, d) in zip(pads, overhang, strict=True)]
    if kernel == stride and not any(p for pair in whole for p in pair):
        # Non-overlapping tiles and no padding: a reshape, several times faster.
        height, width = x.shape[-2] // kernel[0], x.shape[-1] // kernel[1]
        tiles = x[..., :height * kernel[0], :width * kernel[1]].reshape(
            *x.shape[:-2], height, kernel[0], width, kernel[1])
        return tiles.max(axis=(-3, -1)) if maximum else tiles.mean(axis=(-3, -1))
    lead = [(0, 0)] * (x.ndim - 2)
    padded = np.pad(x, lead + whole, constant_values=-np.inf if maximum else 0.0)
    windows = sliding_window_view(padded, kernel, axis=(-2, -1))[..., ::stride[0], ::stride[1], :, :]
    if maximum:
        return windows.max(axis=(-2, -1))
    counted = np.pad(np.ones(x.shape[-2:], np.float32), pads, constant_values=1.0 if count_padding else 0.0)
    counted = np.pad(counted, overhang)
    counts = sliding_window_view(counted, kernel)[::stride[0], ::stride[1]].sum(axis=(-2, -1))
    return windows.sum(axis=(-2, -1)) / np.maximum(counts, 1)
