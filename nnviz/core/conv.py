"""Conv2D and MaxPool2D, vectorised: im2col and one matmul.

The im2col matrix is built tap-major, one contiguous copy per kernel offset, with a row of ones
so one matmul adds the bias (and one gives dW and db). The output is computed channels-last and
returned as an ``(N, C_out, H, W)`` *view*, so no transpose is copied on the way out. Forward and
backward loop over the KH x KW kernel offsets only, never over samples or pixels.
"""

from __future__ import annotations

import math

import numpy as np

from .initializers import initialize
from .layers import Layer, _buffer

PADDINGS = ("same", "valid")


def conv_output_size(size: int, kernel: int, stride: int, padding: str) -> int:
    """Output length along one axis: ceil(n / s) for 'same', floor((n - k) / s) + 1 for 'valid'."""
    if padding == "same":
        return math.ceil(size / stride)
    if padding == "valid":
        if size < kernel:
            raise ValueError(f"kernel {kernel} is larger than the input ({size}) with 'valid' padding")
        return (size - kernel) // stride + 1
    raise ValueError(f"unknown padding {padding!r}; use 'same' or 'valid'")


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding: (before, after), the extra pixel going after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Conv2D(Layer):
    """2-D convolution (cross-correlation, as in every framework).

    Input ``(N, C_in, H, W)``; weights W ``(C_out, C_in, KH, KW)``, bias b ``(C_out,)``;
    output ``(N, C_out, Ho, Wo)``. ``stride`` >= 1, ``padding`` 'same' or 'valid'.
    """

    kind = "conv2d"

    def __init__(self, filters: int, kernel_size: int = 3, stride: int = 1, padding: str = "same",
                 init: str = "he", init_std: float = 0.1) -> None:
        super().__init__()
        if filters < 1 or kernel_size < 1 or stride < 1:
            raise ValueError("filters, kernel_size and stride must be positive")
        if padding not in PADDINGS:
            raise ValueError(f"unknown padding {padding!r}; use 'same' or 'valid'")
        self.filters, self.kernel_size, self.stride, self.padding = int(filters), int(kernel_size), int(stride), padding
        self.init, self.init_std = init, float(init_std)

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 3:
            raise ValueError(f"conv2d expects (channels, height, width) input, got {input_shape}")
        c_in = int(input_shape[0])
        k = self.kernel_size
        shape = (self.filters, c_in, k, k)
        self.params = {
            "W": initialize(self.init, shape, c_in * k * k, self.filters * k * k, rng, dtype, self.init_std),
            "b": np.zeros(self.filters, dtype=dtype),
        }
        self.grads = {key: np.zeros_like(v) for key, v in self.params.items()}
        return super().build(input_shape, rng, dtype)

    def compute_output_shape(self, input_shape):
        _, h, w = input_shape
        k, s = self.kernel_size, self.stride
        return (self.filters, conv_output_size(h, k, s, self.padding), conv_output_size(w, k, s, self.padding))

    def _pads(self, h: int, w: int) -> tuple[tuple[int, int], tuple[int, int]]:
        if self.padding == "valid":
            return (0, 0), (0, 0)
        return same_padding(h, self.kernel_size, self.stride), same_padding(w, self.kernel_size, self.stride)

    def forward(self, x, *, training=False):
        n, c, h, w = x.shape
        k, s, f = self.kernel_size, self.stride, self.filters
        (pt, pb), (pl, pr) = self._pads(h, w)
        _, ho, wo = self.compute_output_shape((c, h, w))
        if pt or pb or pl or pr:
            # Zero border written once per shape; only the interior is copied per batch.
            padded = getattr(self, "_padded", None)
            shape = (n, c, h + pt + pb, w + pl + pr)
            if padded is None or padded.shape != shape or padded.dtype != x.dtype:
                padded = self._padded = np.zeros(shape, dtype=x.dtype)
            padded[:, :, pt:pt + h, pl:pl + w] = x
        else:
            padded = x
        self._padded_shape = (n, c, h + pt + pb, w + pl + pr)
        self._pads_hw = ((pt, pb), (pl, pr))
        # Tap-major im2col, (C*KH*KW + 1, N*Ho*Wo): one contiguous copy per kernel offset (fast,
        # unlike copying windows whose innermost axes are KH x KW), plus a row of ones so that one
        # matmul adds the bias and one matmul gives dW and db together.
        rows = c * k * k
        cols = getattr(self, "_cols", None)
        if cols is None or cols.shape != (rows + 1, n * ho * wo) or cols.dtype != x.dtype:
            cols = self._cols = np.empty((rows + 1, n * ho * wo), dtype=x.dtype)
            cols[rows] = 1
        taps = cols[:rows].reshape(c, k, k, n, ho, wo)
        for i in range(k):
            for j in range(k):
                taps[:, i, j] = padded[:, :, i:i + s * (ho - 1) + 1:s, j:j + s * (wo - 1) + 1:s].transpose(1, 0, 2, 3)
        w_ext = _buffer(self, "_w_ext", (f, rows + 1), x.dtype)
        w_ext[:, :rows] = self.params["W"].reshape(f, rows)
        w_ext[:, rows] = self.params["b"]
        out = _buffer(self, "_out", (n * ho * wo, f), x.dtype)
        np.matmul(cols.T, w_ext.T, out=out)  # (N*Ho*Wo, C_out): channels-last
        return out.reshape(n, ho, wo, f).transpose(0, 3, 1, 2)

    def backward(self, grad_out):
        n, c_out, ho, wo = grad_out.shape
        g = grad_out.transpose(0, 2, 3, 1).reshape(-1, c_out)  # free when grad_out is a view of NHWC
        dwb = self._cols @ g  # (C*KH*KW + 1, C_out); the last row (ones) gives db
        rows = dwb.shape[0] - 1
        self.grads["W"][...] = dwb[:rows].T.reshape(self.params["W"].shape)
        self.grads["b"][...] = dwb[rows]
        if not self.needs_input_grad:
            return grad_out
        k, s = self.kernel_size, self.stride
        c_in = self.params["W"].shape[1]
        dcols = (self.params["W"].reshape(c_out, -1).T @ g.T).reshape(c_in, k, k, n, ho, wo)
        dx = np.zeros(self._padded_shape, dtype=grad_out.dtype)  # (N, C, H', W')
        for i in range(k):  # loop over kernel offsets only; each add is vectorised over N, C, H, W
            for j in range(k):
                dx[:, :, i:i + s * (ho - 1) + 1:s, j:j + s * (wo - 1) + 1:s] += dcols[:, i, j].transpose(1, 0, 2, 3)
        (pt, pb), (pl, pr) = self._pads_hw
        return dx[:, :, pt:dx.shape[2] - pb, pl:dx.shape[3] - pr]

    def spec(self):
        return {"type": self.kind, "filters": self.filters, "kernel_size": self.kernel_size,
                "stride": self.stride, "padding": self.padding, "init": self.init, "init_std": self.init_std}

    def describe(self):
        k = self.kernel_size
        return f"conv2d {self.filters} x {k}x{k}, stride {self.stride}, {self.padding}"


class MaxPool2D(Layer):
    """Non-overlapping max pooling with a ``size`` x ``size`` window (stride = size).

    Odd borders are dropped (floor), as in Keras' 'valid' pooling. The gradient goes to the
    first maximum of each window only: MNIST's saturated strokes make ties common.
    """

    kind = "maxpool2d"

    def __init__(self, size: int = 2) -> None:
        super().__init__()
        if size < 1:
            raise ValueError("pool size must be positive")
        self.size = int(size)

    def compute_output_shape(self, input_shape):
        c, h, w = input_shape
        if h < self.size or w < self.size:
            raise ValueError(f"pool size {self.size} is larger than the input {h}x{w}")
        return (c, h // self.size, w // self.size)

    def _slices(self, x: np.ndarray) -> list[np.ndarray]:
        p = self.size
        ho, wo = x.shape[2] // p, x.shape[3] // p
        return [x[:, :, i:i + p * ho:p, j:j + p * wo:p] for i in range(p) for j in range(p)]

    def forward(self, x, *, training=False):
        parts = self._slices(x)
        # empty_like keeps x's memory order (channels-last when x comes from a conv), so every
        # operation below walks all its operands in the same order.
        out = np.empty_like(parts[0])
        if len(parts) == 1:
            out[...] = parts[0]
        else:
            np.maximum(parts[0], parts[1], out=out)
            for part in parts[2:]:
                np.maximum(out, part, out=out)
        self._x, self._out = x, out
        return out

    def backward(self, grad_out):
        x, out, p = self._x, self._out, self.size
        g = np.empty_like(out)
        np.copyto(g, grad_out)  # into out's memory order, once
        ho, wo = out.shape[2], out.shape[3]
        covered = x.shape[2] == p * ho and x.shape[3] == p * wo
        dx = np.empty_like(x, dtype=grad_out.dtype) if covered else np.zeros_like(x, dtype=grad_out.dtype)
        remaining = np.ones(out.shape, dtype=bool)  # windows whose first maximum is not yet found
        hit = np.empty_like(out, dtype=bool)
        last = p * p - 1
        for index in range(p * p):
            i, j = divmod(index, p)
            np.equal(x[:, :, i:i + p * ho:p, j:j + p * wo:p], out, out=hit)
            hit &= remaining
            if index < last:
                remaining ^= hit  # hit is a subset of remaining
            np.multiply(g, hit, out=dx[:, :, i:i + p * ho:p, j:j + p * wo:p])
        return dx

    def spec(self):
        return {"type": self.kind, "size": self.size}

    def describe(self):
        return f"maxpool {self.size}x{self.size}"
