"""The arithmetic both Core ML runners share, held against loops written from
the definitions (and, for pooling's last partial window, against Caffe's
average pooling, which Core ML's includeLastPixel padding reproduces)."""

import numpy as np
import pytest

from model.coreml.array_ops import Convolution, pool, same_padding, softmax


def convolve_by_loops(x, weights, bias, stride, dilation, groups, pads):
    x = np.pad(x, [(0, 0), (0, 0), *pads])
    out_channels, in_per_group, kh, kw = weights.shape
    per_group = out_channels // groups
    out_h = (x.shape[2] - (kh - 1) * dilation[0] - 1) // stride[0] + 1
    out_w = (x.shape[3] - (kw - 1) * dilation[1] - 1) // stride[1] + 1
    out = np.zeros((x.shape[0], out_channels, out_h, out_w))
    for o in range(out_channels):
        g = o // per_group
        for r in range(out_h):
            for c in range(out_w):
                for i in range(kh):
                    for j in range(kw):
                        pixel = x[:, g * in_per_group:(g + 1) * in_per_group,
                                  r * stride[0] + i * dilation[0], c * stride[1] + j * dilation[1]]
                        out[:, o, r, c] += pixel @ weights[o, :, i, j]
        out[:, o] += bias[o]
    return out


@pytest.mark.parametrize(("stride", "dilation", "groups", "pads"), [
    ((1, 1), (1, 1), 1, [(0, 0), (0, 0)]), ((2, 1), (1, 2), 2, [(1, 0), (2, 1)]), ((1, 2), (2, 1), 4, [(1, 1), (0, 2)])])
def test_convolution_equals_the_definition(stride, dilation, groups, pads):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 9, 8)).astype(np.float32)
    weights = rng.normal(size=(8, 4 // groups, 3, 2)).astype(np.float32)
    bias = rng.normal(size=8).astype(np.float32)
    got = Convolution(weights, bias, stride, dilation, groups)(x, pads)
    assert got == pytest.approx(convolve_by_loops(x, weights, bias, stride, dilation, groups, pads), abs=1e-4)


def caffe_average_pool(x, kernel, stride, pad, out_size):
    """Caffe's PoolingLayer AVE forward (pooling_layer.cpp): the divisor is the
    window clipped to the padded input, padding counted, overhang past it not."""
    height, width = x.shape
    out = np.zeros(out_size)
    for ph in range(out_size[0]):
        for pw in range(out_size[1]):
            hstart, wstart = ph * stride[0] - pad[0], pw * stride[1] - pad[1]
            hend, wend = min(hstart + kernel[0], height + pad[0]), min(wstart + kernel[1], width + pad[1])
            pool_size = (hend - hstart) * (wend - wstart)
            hstart, wstart, hend, wend = max(hstart, 0), max(wstart, 0), min(hend, height), min(wend, width)
            out[ph, pw] = x[hstart:hend, wstart:wend].sum() / pool_size
    return out


def test_an_average_with_padding_and_an_overhanging_last_window_divides_as_caffe_does():
    x = np.arange(1.0, 50.0).reshape(7, 7)
    kernel, stride, pad = (3, 3), (2, 2), (1, 1)
    # includeLastPixel's sizes: ceil((7 + 2 - 3) / 2) + 1 = 4 windows, the last from row 5 past the padding.
    got = pool(x[None, None], kernel, stride, [(1, 1), (1, 1)], maximum=False, count_padding=True,
               overhang=[(0, 1), (0, 1)])[0, 0]
    assert got.shape == (4, 4)
    assert got == pytest.approx(caffe_average_pool(x, kernel, stride, pad, (4, 4)))


def test_max_pooling_ignores_padding():
    x = -np.ones((1, 1, 4, 4))
    assert pool(x, (3, 3), (1, 1), [(1, 1), (1, 1)], maximum=True, count_padding=True).max() == -1


@pytest.mark.parametrize(("size", "stride", "reach", "heavy_start", "expected"), [
    (28, 1, 3, False, (1, 1)), (28, 2, 3, False, (0, 1)), (28, 2, 3, True, (1, 0)), (7, 3, 5, False, (2, 2))])
def test_same_padding_keeps_ceil_size_over_stride_outputs(size, stride, reach, heavy_start, expected):
    pads = same_padding(size, size, (stride, stride), (reach, reach), heavy_start)
    assert pads[0] == expected
    assert (size + sum(pads[0]) - reach) // stride + 1 == -(-size // stride)


def test_softmax_is_stable_and_sums_to_one():
    x = np.array([[1000.0, 1000.0, -1000.0]])
    assert softmax(x, 1)[0] == pytest.approx([0.5, 0.5, 0.0])
