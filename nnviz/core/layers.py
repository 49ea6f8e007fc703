"""Dense, Flatten, Dropout and the activation layers (convolution lives in conv.py).

Every layer follows the protocol of the style guide: ``forward(x, training=...)`` caches what
``backward(grad_out)`` needs; ``backward`` fills ``self.grads`` (overwriting) and returns dL/dx.
Layers never divide by the batch size (the loss does). Shapes: dense ``(N, features)``,
images ``(N, C, H, W)``. Layers compute in the dtype of their input and parameters.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnviz.core.initializers import initialize
from nnviz.core.limits import MAX_LAYER_UNITS, count_problem, product


def _buffer(layer: "Layer", attribute: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A per-layer output buffer reused while the batch shape stays the same.

    Saves an allocation per layer and batch (about 10 % at Nielsen's batch of 10). Callers that keep
    an output beyond the next forward pass must copy it (snapshots do).
    """
    buffer = getattr(layer, attribute, None)
    if buffer is None or buffer.shape != shape or buffer.dtype != dtype:
        buffer = np.empty(shape, dtype=dtype)
        setattr(layer, attribute, buffer)
    return buffer


def _buffer_like(layer: "Layer", attribute: str, like: np.ndarray) -> np.ndarray:
    """Like `_buffer`, with the memory order of ``like`` (a conv's batch-innermost layout carries through)."""
    buffer = getattr(layer, attribute, None)
    if buffer is None or buffer.shape != like.shape or buffer.dtype != like.dtype or buffer.strides != like.strides:
        buffer = np.empty_like(like)
        setattr(layer, attribute, buffer)
    return buffer


class Layer:
    """Base class: a layer without parameters that passes shapes through."""

    kind: ClassVar[str] = "layer"
    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]

    def __init__(self) -> None:
        self.params = {}
        self.grads = {}
        self.name = self.kind
        # The first trainable layer skips dL/dx: nobody needs the gradient of the input pixels.
        self.needs_input_grad = True

    def build(self, input_shape: tuple[int, ...], rng: np.random.Generator, dtype: np.dtype) -> tuple[int, ...]:
        """Create parameters for ``input_shape`` (without batch axis); return the output shape."""
        self.input_shape = tuple(input_shape)
        self.output_shape = self.compute_output_shape(self.input_shape)
        return self.output_shape

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return input_shape

    def parameter_count(self, input_shape: tuple[int, ...]) -> int:
        """How many parameters `build` would allocate for ``input_shape`` (checked before it does)."""
        return 0

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def spec(self) -> dict[str, Any]:
        """JSON-able description from which `build_layer` recreates this layer."""
        return {"type": self.kind}

    def astype(self, dtype: np.dtype) -> None:
        for key in self.params:
            self.params[key] = self.params[key].astype(dtype)
            self.grads[key] = np.zeros_like(self.params[key])

    @property
    def n_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def describe(self) -> str:
        return self.kind


class Dense(Layer):
    """Fully connected: ``y = x @ W + b`` with W ``(n_in, n_out)``, b ``(n_out,)``."""

    kind = "dense"

    def __init__(self, units: int, init: str = "xavier", init_std: float = 1.0, bias_init: str = "zeros") -> None:
        super().__init__()
        problem = count_problem(units, MAX_LAYER_UNITS)
        if problem:
            raise ValueError(f"a dense layer's units: {problem}")
        self.units = int(units)
        self.init = init
        self.init_std = float(init_std)
        self.bias_init = bias_init

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 1:
            raise ValueError(f"dense layer expects flat input, got shape {input_shape}; add a flatten layer first")
        n_in = int(input_shape[0])
        self.params = {
            "W": initialize(self.init, (n_in, self.units), n_in, self.units, rng, dtype, self.init_std),
            "b": initialize(self.bias_init, (self.units,), n_in, self.units, rng, dtype, self.init_std),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        return super().build(input_shape, rng, dtype)

    def compute_output_shape(self, input_shape):
        return (self.units,)

    def parameter_count(self, input_shape):
        return (product(input_shape) + 1) * self.units

    def forward(self, x, *, training=False):
        self._x = x
        out = _buffer(self, "_out", (x.shape[0], self.units), x.dtype)
        np.matmul(x, self.params["W"], out=out)
        out += self.params["b"]
        return out

    def backward(self, grad_out):
        x = self._x
        np.matmul(x.T, grad_out, out=self.grads["W"])
        np.add.reduce(grad_out, axis=0, out=self.grads["b"])  # np.sum adds ~4 us of wrapper
        if not self.needs_input_grad:
            return grad_out  # unused by the caller; avoids a (N, n_in) matmul
        dx = _buffer(self, "_dx", x.shape, grad_out.dtype)
        return np.matmul(grad_out, self.params["W"].T, out=dx)

    def spec(self):
        return {"type": self.kind, "units": self.units, "init": self.init, "init_std": self.init_std,
                "bias_init": self.bias_init}

    def describe(self):
        return f"dense {self.input_shape[0]} -> {self.units}"


class Flatten(Layer):
    """``(N, C, H, W)`` -> ``(N, C*H*W)`` in C, H, W order."""

    kind = "flatten"

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, *, training=False):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out):
        return grad_out.reshape(self._shape)

    def describe(self):
        return f"flatten {'x'.join(map(str, self.input_shape))} -> {self.output_shape[0]}"


class Dropout(Layer):
    """Inverted dropout: drops a fraction ``rate`` of units while training, identity otherwise."""

    kind = "dropout"

    def __init__(self, rate: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)

    def build(self, input_shape, rng, dtype):
        self._rng = rng  # shares the network's generator so a seed fixes the masks too
        return super().build(input_shape, rng, dtype)

    def forward(self, x, *, training=False):
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        keep = 1.0 - self.rate
        self._mask = (self._rng.random(x.shape, dtype=np.float32) < keep).astype(x.dtype) / x.dtype.type(keep)
        return x * self._mask

    def backward(self, grad_out):
        return grad_out if self._mask is None else grad_out * self._mask

    def spec(self):
        return {"type": self.kind, "rate": self.rate}

    def describe(self):
        return f"dropout {self.rate:g}"


class Activation(Layer):
    """Element-wise activation; caches its output (or input) for the derivative."""

    def describe(self):
        return self.kind


# Element-wise kernels shared by the activation layers and the fused dense path (dense_stack.py),
# so both compute bit-identical values. forward(z, out) writes a = f(z); backward(z, a, grad, out)
# writes dL/dz = grad * f'(z), from z or a, whichever the derivative needs.
def sigmoid_forward(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    # SciPy's expit is the logistic function in one pass of C (1 / (1 + exp(-z)) in NumPy takes
    # five calls: 7 % of a Nielsen step). z is floored first, at -30 in float32 (sigmoid(-30) =
    # 9e-14): from z < -87 on, outputs and every product after them would be subnormal floats,
    # which slow a CPU down 10-100-fold (a lecture's "far too large eta" run would crawl).
    np.maximum(z, -30.0 if z.dtype.itemsize < 8 else -700.0, out=out)
    return (_EXPIT or _load_expit())(out, out=out)


_EXPIT = None


def _load_expit():
    """scipy.special, imported when a sigmoid layer is first built: it takes a third of a second,
    which networks without one need not pay."""
    global _EXPIT
    from scipy.special import expit

    _EXPIT = expit
    return expit


def sigmoid_backward(z: np.ndarray, a: np.ndarray, grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.subtract(1, a, out=out)
    out *= a
    out *= grad
    return out


def tanh_forward(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.tanh(z, out=out)


def tanh_backward(z: np.ndarray, a: np.ndarray, grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.multiply(a, a, out=out)
    np.subtract(1, out, out=out)
    out *= grad
    return out


def relu_forward(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0, out=out)


def relu_backward(z: np.ndarray, a: np.ndarray, grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.multiply(grad, z > 0, out=out)


class _KernelActivation(Activation):
    """An activation computed by a forward/backward kernel pair into reused buffers (in the
    memory order of its input, so a conv's layout carries through)."""

    forward_kernel: ClassVar = None
    backward_kernel: ClassVar = None

    def forward(self, x, *, training=False):
        self._x = x
        self._y = self.forward_kernel(x, _buffer_like(self, "_out", x))
        return self._y

    def backward(self, grad_out):
        return self.backward_kernel(self._x, self._y, grad_out, _buffer_like(self, "_grad", self._y))


class Sigmoid(_KernelActivation):
    kind = "sigmoid"
    forward_kernel = staticmethod(sigmoid_forward)
    backward_kernel = staticmethod(sigmoid_backward)

    def build(self, input_shape, rng, dtype):
        _EXPIT or _load_expit()  # now, not inside the first epoch's timing
        return super().build(input_shape, rng, dtype)


class Tanh(_KernelActivation):
    kind = "tanh"
    forward_kernel = staticmethod(tanh_forward)
    backward_kernel = staticmethod(tanh_backward)


class ReLU(_KernelActivation):
    kind = "relu"
    forward_kernel = staticmethod(relu_forward)
    backward_kernel = staticmethod(relu_backward)


class Step(Activation):
    """Heaviside step (the perceptron's output): 1 where x >= 0, else 0.

    Its true derivative is 0 almost everywhere, so backward passes the gradient straight
    through; the perceptron rule (see losses.PerceptronCriterion) is defined on the input z.
    """

    kind = "step"

    def forward(self, x, *, training=False):
        return (x >= 0).astype(x.dtype)

    def backward(self, grad_out):
        return grad_out


class Linear(Activation):
    """Identity output (e.g. the hand-set XOR network's linear output unit)."""

    kind = "linear"

    def forward(self, x, *, training=False):
        return x

    def backward(self, grad_out):
        return grad_out


class Softmax(Activation):
    """Row-wise softmax (max-shifted). Training uses the fused loss; this layer is for display."""

    kind = "softmax"

    def forward(self, x, *, training=False):
        self._y = softmax(x)
        return self._y

    def backward(self, grad_out):
        y = self._y
        return y * (grad_out - np.sum(grad_out * y, axis=1, keepdims=True))


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(N, K)`` scores, shifted by the row maximum for stability."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.kind: cls for cls in (Sigmoid, Tanh, ReLU, Step, Linear, Softmax)
}

# Functions on plain arrays, used by the activation explorer and tests.
ACTIVATION_FUNCTIONS = {
    "step": lambda z: (z >= 0).astype(np.float64),
    "sigmoid": lambda z: 1 / (1 + np.exp(-np.clip(z, -700, 700))),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "linear": lambda z: z,
}
