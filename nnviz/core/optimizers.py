"""Optimisers that update parameter arrays in place, so network and optimiser share them.

``learning_rate`` and ``momentum`` are plain attributes: a change applies from the next step.
Per-parameter state is keyed like the model file (``"layers.0.W"``).

L2 weight decay (``weight_decay`` = lambda) adds the gradient of lambda/2 * |W|^2, i.e. lambda * W,
to the gradient of every weight array (dense and convolution weights: the arrays with more than one
axis); biases never decay, as usual (they do not make the function more complex). Adam gets the
same coupled L2 term in its gradient, not AdamW's decoupled decay. The reported loss is the data
loss only, without the penalty.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

ParamList = list[tuple[str, np.ndarray, np.ndarray]]  # (key, parameter, gradient)
# The same parameters and gradients as two flat arrays whose pieces the ParamList's arrays view
# (see Sequential._pack_parameters); optional, for updates in one call.
FlatParams = tuple[np.ndarray, np.ndarray]


class Optimizer:
    name: ClassVar[str] = "optimizer"

    def __init__(self, learning_rate: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        self.learning_rate = float(learning_rate)
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)  # L2 regularisation strength lambda
        self.state: dict[str, np.ndarray] = {}
        self._buffers: dict[str, np.ndarray] = {}
        self._flat_step: np.ndarray | None = None
        self.t = 0

    def step(self, params: ParamList, flat: FlatParams | None = None) -> None:
        raise NotImplementedError

    def _scratch(self, key: str, p: np.ndarray) -> np.ndarray:
        # Preallocated per parameter: an update allocates nothing (matters at batch 10).
        buffer = self._buffers.get(key)
        if buffer is None or buffer.shape != p.shape or buffer.dtype != p.dtype:
            buffer = self._buffers[key] = np.empty_like(p)
        return buffer

    def _gradient(self, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        # L2 penalty lambda/2 * |W|^2 on weights only (biases are not regularised).
        if self.weight_decay and p.ndim > 1:
            return g + p.dtype.type(self.weight_decay) * p
        return g

    def state_dict(self) -> dict[str, np.ndarray]:
        out = {f"optimizer.{k}": v.copy() for k, v in self.state.items()}
        out["optimizer.t"] = np.array(self.t)
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.t = int(state.get("optimizer.t", 0))
        self.state = {k.removeprefix("optimizer."): np.array(v) for k, v in state.items() if k != "optimizer.t"}


class SGD(Optimizer):
    """Gradient descent: p <- p - eta * g; with momentum mu > 0: v <- mu * v - eta * g; p <- p + v.

    Momentum can be switched on or off between steps (the velocity starts from zero).
    """

    name = "sgd"

    def step(self, params, flat=None):
        lr, mu = self.learning_rate, self.momentum
        if flat is not None and not mu and not self.weight_decay:
            p, g = flat
            step = self._flat_step
            if step is None or step.shape != p.shape or step.dtype != p.dtype:
                step = self._flat_step = np.empty_like(p)
            np.multiply(g, lr, out=step)  # a Python float: NumPy computes in p's dtype
            p -= step
            self.t += 1
            return
        for key, p, g in params:
            g = self._gradient(p, g)
            if mu:
                v = self.state.get(key)
                if v is None:
                    v = self.state[key] = np.zeros_like(p)
                v *= p.dtype.type(mu)
                v -= p.dtype.type(lr) * g
                p += v
            else:
                step = self._scratch(key, p)
                np.multiply(g, p.dtype.type(lr), out=step)
                p -= step
        self.t += 1


class Momentum(SGD):
    """SGD with momentum 0.9 unless another value is given."""

    name = "momentum"

    def __init__(self, learning_rate: float, momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        super().__init__(learning_rate, momentum=momentum, weight_decay=weight_decay)


class Adam(Optimizer):
    """Adam (Kingma & Ba) with the usual beta1 = 0.9, beta2 = 0.999, eps = 1e-8."""

    name = "adam"
    beta1, beta2, eps = 0.9, 0.999, 1e-8

    def step(self, params, flat=None):
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        scale = self.learning_rate * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for key, p, g in params:
            g = self._gradient(p, g)
            m = self.state.setdefault(key + ".m", np.zeros_like(p))
            v = self.state.setdefault(key + ".v", np.zeros_like(p))
            m += (1 - b1) * (g - m)
            v += (1 - b2) * (g * g - v)
            p -= p.dtype.type(scale) * m / (np.sqrt(v) + p.dtype.type(self.eps))


OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Momentum, Adam)}


def make_optimizer(name: str, learning_rate: float, momentum: float | None = None,
                   weight_decay: float = 0.0) -> Optimizer:
    """Build optimiser ``name``; ``momentum=None`` keeps its default (0.9 for "momentum", else 0)."""
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        raise ValueError(f"unknown optimiser {name!r}; use one of {', '.join(OPTIMIZERS)}") from None
    if momentum is None:
        return cls(learning_rate, weight_decay=weight_decay)
    return cls(learning_rate, momentum=momentum, weight_decay=weight_decay)
