"""Conv2D and MaxPool2D, vectorised: im2col and one matmul.

The im2col matrix is built tap-major, one contiguous copy per kernel offset, with a row of ones
so one matmul adds the bias (and one gives dW and db). The batch is the innermost axis inside the
layer; the output is returned as an ``(N, C_out, H, W)`` *view* of ``(H, W, N, C_out)`` memory, so
no transpose is copied on the way out. Forward and
backward loop over the KH x KW kernel offsets only, never over samples or pixels.
"""

from __future__ import annotations

import math

import numpy as np

from nnviz.core.initializers import initialize
from nnviz.core.layers import Layer, _buffer
from nnviz.core.limits import MAX_FILTERS, MAX_KERNEL_SIZE, count_problem

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
        for label, value, limit in (("filters", filters, MAX_FILTERS), ("kernel_size", kernel_size, MAX_KERNEL_SIZE),
                                    ("stride", stride, MAX_KERNEL_SIZE)):
            problem = count_problem(value, limit)
            if problem:
                raise ValueError(f"a conv2d layer's {label}: {problem}")
        if padding not in PADDINGS:
            raise ValueError(f"unknown padding {padding!r}; use 'same' or 'valid'")
        self.filters, self.kernel_size, self.stride, self.padding = int(filters), int(kernel_size), int(stride), padding
        self.init, self.init_std = init, float(init_std)

    def parameter_count(self, input_shape):
        channels = int(input_shape[0]) if len(input_shape) == 3 else 1
        return self.filters * (channels * self.kernel_size ** 2 + 1)

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
        # Inside the layer the batch is the innermost axis: (C, H, W, N) in, (Ho, Wo, N, C_out) out.
        # Every im2col copy then moves runs of W x N floats, and the element-wise layers after the
        # conv (ReLU, pooling) see runs of N x C_out floats even on strided slices: with channels
        # innermost those runs were 16 floats long and max-pooling cost 45 % of the step.
        xt = x.transpose(1, 2, 3, 0)
        if pt or pb or pl or pr:
            # Zero border written once per shape; only the interior is copied per batch.
            shape = (c, h + pt + pb, w + pl + pr, n)
            padded = getattr(self, "_padded", None)
            if padded is None or padded.shape != shape or padded.dtype != x.dtype:
                padded = self._padded = np.zeros(shape, dtype=x.dtype)
            padded[:, pt:pt + h, pl:pl + w, :] = xt
        else:
            padded = xt
        self._padded_shape = (c, h + pt + pb, w + pl + pr, n)
        self._pads_hw = ((pt, pb), (pl, pr))
        # Tap-major im2col, (C*KH*KW + 1, Ho*Wo*N): one contiguous copy per kernel offset, plus a
        # row of ones so that one matmul adds the bias and one matmul gives dW and db together.
        rows = c * k * k
        cols = getattr(self, "_cols", None)
        if cols is None or cols.shape != (rows + 1, n * ho * wo) or cols.dtype != x.dtype:
            cols = self._cols = np.empty((rows + 1, n * ho * wo), dtype=x.dtype)
            cols[rows] = 1
        taps = cols[:rows].reshape(c, k, k, ho, wo, n)
        for i in range(k):
            for j in range(k):
                taps[:, i, j] = padded[:, i:i + s * (ho - 1) + 1:s, j:j + s * (wo - 1) + 1:s, :]
        w_ext = _buffer(self, "_w_ext", (f, rows + 1), x.dtype)
        w_ext[:, :rows] = self.params["W"].reshape(f, rows)
        w_ext[:, rows] = self.params["b"]
        out = _buffer(self, "_out", (n * ho * wo, f), x.dtype)
        np.matmul(cols.T, w_ext.T, out=out)  # (Ho*Wo*N, C_out)
        return out.reshape(ho, wo, n, f).transpose(2, 3, 0, 1)  # an (N, C_out, Ho, Wo) view

    def backward(self, grad_out):
        n, c_out, ho, wo = grad_out.shape
        g = grad_out.transpose(2, 3, 0, 1).reshape(-1, c_out)  # free when grad_out has the output's layout
        dwb = self._cols @ g  # (C*KH*KW + 1, C_out); the last row (ones) gives db
        rows = dwb.shape[0] - 1
        self.grads["W"][...] = dwb[:rows].T.reshape(self.params["W"].shape)
        self.grads["b"][...] = dwb[rows]
        if not self.needs_input_grad:
            return grad_out
        k, s = self.kernel_size, self.stride
        c_in = self.params["W"].shape[1]
        dcols = (self.params["W"].reshape(c_out, -1).T @ g.T).reshape(c_in, k, k, ho, wo, n)
        dx = np.zeros(self._padded_shape, dtype=grad_out.dtype)  # (C, H', W', N)
        for i in range(k):  # loop over kernel offsets only; each add is vectorised over C, H, W, N
            for j in range(k):
                dx[:, i:i + s * (ho - 1) + 1:s, j:j + s * (wo - 1) + 1:s, :] += dcols[:, i, j]
        (pt, pb), (pl, pr) = self._pads_hw
        return dx[:, pt:dx.shape[1] - pb, pl:dx.shape[2] - pr, :].transpose(3, 0, 1, 2)

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
        problem = count_problem(size, MAX_KERNEL_SIZE)
        if problem:
            raise ValueError(f"pool size: {problem}")
        self.size = int(size)

    def compute_output_shape(self, input_shape):
        c, h, w = input_shape
        if h < self.size or w < self.size:
            raise ValueError(f"pool size {self.size} is larger than the input {h}x{w}")
        return (c, h // self.size, w // self.size)

    def forward(self, x, *, training=False):
        # Two passes of 1-D pooling, along W then along H, each keeping the index of its first
        # maximum: together that is the first maximum of each window in row-major order, found
        # with 2 (p - 1) maxima and comparisons. The backward pass then needs only 4 products at
        # p = 2, instead of masking the four window slices one after the other (15 calls, 45 % of
        # the small CNN's step). Slices keep x's memory order (batch innermost after a conv).
        p = self.size
        ho, wo = x.shape[2] // p, x.shape[3] // p
        self._input = x
        x = x[:, :, :ho * p, :wo * p]  # odd borders are dropped
        along_w, self._w_index = _pool_axis([x[:, :, :, j::p] for j in range(p)])
        out, self._h_index = _pool_axis([along_w[:, :, i::p, :] for i in range(p)])
        self._along_w, self._out = along_w, out
        return out

    def backward(self, grad_out):
        p, x = self.size, self._input
        ho, wo = grad_out.shape[2], grad_out.shape[3]
        covered = x.shape[2] == p * ho and x.shape[3] == p * wo
        dx = np.empty_like(x, dtype=grad_out.dtype) if covered else np.zeros_like(x, dtype=grad_out.dtype)
        inner = dx[:, :, :p * ho, :p * wo]
        if grad_out.strides != self._out.strides or grad_out.dtype != self._out.dtype:
            # Into the memory order of the forward pass (a Flatten hands back C order): one copy,
            # then every product below walks all its operands in the same order.
            g = np.empty_like(self._out, dtype=grad_out.dtype)
            np.copyto(g, grad_out)
            grad_out = g
        d_along_w = np.empty_like(self._along_w, dtype=grad_out.dtype)
        _unpool_axis(grad_out, self._h_index, [d_along_w[:, :, i::p, :] for i in range(p)])
        _unpool_axis(d_along_w, self._w_index, [inner[:, :, :, j::p] for j in range(p)])
        return dx

    def spec(self):
        return {"type": self.kind, "size": self.size}

    def describe(self):
        return f"maxpool {self.size}x{self.size}"


def _pool_axis(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Element-wise maximum of ``parts`` and the index of the first part holding it (uint8)."""
    if len(parts) == 1:
        return parts[0].copy(), np.zeros(parts[0].shape, dtype=np.uint8)
    best = np.maximum(parts[0], parts[1])
    index = np.greater(parts[1], parts[0]).view(np.uint8)  # ties stay with the earlier part
    for k in range(2, len(parts)):
        later = np.greater(parts[k], best)
        np.copyto(index, k, where=later)
        np.maximum(best, parts[k], out=best)
    return best, index


def _unpool_axis(grad: np.ndarray, index: np.ndarray, targets: list[np.ndarray]) -> None:
    """Send ``grad`` to the part that won (``index``); the others get 0."""
    if len(targets) == 1:
        np.copyto(targets[0], grad)
        return
    if len(targets) == 2:
        np.multiply(grad, index.view(np.bool_), out=targets[1])
        np.subtract(grad, targets[1], out=targets[0])
        return
    for k, target in enumerate(targets):
        np.multiply(grad, index == k, out=target)
