"""Conv2D and MaxPool2D, vectorised: im2col via sliding_window_view and one matmul.

Inside the convolution the data are channels-last ``(N, H, W, C)`` so that im2col rows are
contiguous; the layer returns an ``(N, C_out, H, W)`` *view* of that buffer, so no transpose is
copied on the way out. The backward pass loops over the KH x KW kernel offsets only.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .initializers import initialize
from .layers import Layer

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


def im2col(x_nhwc: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """Columns ``(N*Ho*Wo, C*KH*KW)`` of an already padded channels-last batch."""
    windows = sliding_window_view(x_nhwc, (kh, kw), axis=(1, 2))  # (N, H', W', C, KH, KW), a view
    if stride > 1:
        windows = windows[:, ::stride, ::stride]
    n, ho, wo = windows.shape[:3]
    return windows.reshape(n * ho * wo, -1)  # the one copy


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
        k, s = self.kernel_size, self.stride
        ph, pw = self._pads(h, w)
        x_nhwc = x.transpose(0, 2, 3, 1)
        if ph != (0, 0) or pw != (0, 0):
            x_nhwc = np.pad(x_nhwc, ((0, 0), ph, pw, (0, 0)))
        self._padded_shape = x_nhwc.shape
        self._pads_hw = (ph, pw)
        cols = im2col(x_nhwc, k, k, s)
        self._cols = cols
        w_mat = self.params["W"].reshape(self.filters, -1)
        out = cols @ w_mat.T
        out += self.params["b"]
        _, ho, wo = self.compute_output_shape((c, h, w))
        return out.reshape(n, ho, wo, self.filters).transpose(0, 3, 1, 2)

    def backward(self, grad_out):
        n, c_out, ho, wo = grad_out.shape
        g = grad_out.transpose(0, 2, 3, 1).reshape(-1, c_out)  # free when grad_out is a view of NHWC
        self.grads["W"][...] = (g.T @ self._cols).reshape(self.params["W"].shape)
        np.add.reduce(g, axis=0, out=self.grads["b"])
        if not self.needs_input_grad:
            return grad_out
        k, s = self.kernel_size, self.stride
        c_in = self.params["W"].shape[1]
        dcols = (g @ self.params["W"].reshape(c_out, -1)).reshape(n, ho, wo, c_in, k, k)
        dx = np.zeros(self._padded_shape, dtype=grad_out.dtype)
        for i in range(k):  # loop over kernel offsets only; each add is vectorised over N, H, W, C
            for j in range(k):
                dx[:, i:i + s * (ho - 1) + 1:s, j:j + s * (wo - 1) + 1:s, :] += dcols[..., i, j]
        (pt, pb), (pl, pr) = self._pads_hw
        dx = dx[:, pt:dx.shape[1] - pb, pl:dx.shape[2] - pr, :]
        return dx.transpose(0, 3, 1, 2)

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
        out = parts[0].copy()
        for part in parts[1:]:
            np.maximum(out, part, out=out)
        self._x, self._out = x, out
        return out

    def backward(self, grad_out):
        x, out, p = self._x, self._out, self.size
        dx = np.zeros_like(x, dtype=grad_out.dtype)  # keeps the conv's channels-last layout
        taken = np.zeros(out.shape, dtype=bool)
        ho, wo = out.shape[2], out.shape[3]
        for i in range(p):
            for j in range(p):
                part = x[:, :, i:i + p * ho:p, j:j + p * wo:p]
                first = (part == out) & ~taken
                taken |= first
                dx[:, :, i:i + p * ho:p, j:j + p * wo:p] = grad_out * first
        return dx

    def spec(self):
        return {"type": self.kind, "size": self.size}

    def describe(self):
        return f"maxpool {self.size}x{self.size}"
