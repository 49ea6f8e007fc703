"""Backprop x-ray: every number of one small network's forward and backward pass, for one input.

A layer is ``z = W a_prev + b`` then ``a = f(z)``; ``W`` has one row per unit (``W[j][k]`` joins
unit k of the previous layer to unit j), as the lecture slides write it. The backward pass gives,
per layer, ``delta = dE/dz``, ``dW = delta a_prevᵀ`` (W's shape) and ``db = delta``; a central
difference on every weight and bias checks them. Everything is float64 and exact enough to print.

Losses: quadratic ``E = ½ Σ (t − y)²``; cross-entropy ``E = −Σ [t ln y + (1 − t) ln(1 − y)]`` after
a sigmoid output, ``E = −Σ t ln y`` after softmax (both give ``delta = y − t``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np

from nnviz.core.errors import NnvizError

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear", "softmax")
LOSSES = ("quadratic", "cross-entropy")
MAX_LAYERS = 5  # weight layers after the input
MAX_UNITS = 6  # per layer, the input included
DEFAULT_LEARNING_RATE = 0.5
NUMERIC_STEP = 1e-5  # central differences: error ~ step² (truncation) + 1e-16 / step (rounding)
AGREEMENT_RTOL, AGREEMENT_ATOL = 1e-5, 1e-8


class XrayError(NnvizError):
    """A network, input or target the x-ray cannot use; the message names the problem."""


@dataclass(frozen=True)
class XrayLayer:
    """``W``: (units, inputs), ``b``: (units,), float64."""

    W: np.ndarray
    b: np.ndarray
    activation: str


@dataclass(frozen=True)
class XrayNetwork:
    layers: tuple[XrayLayer, ...]

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.layers[0].W.shape[1], *(layer.W.shape[0] for layer in self.layers))

    @property
    def activations(self) -> tuple[str, ...]:
        return tuple(layer.activation for layer in self.layers)

    def with_parameter(self, layer: int, name: str, index: tuple[int, ...], value: float) -> XrayNetwork:
        """A copy with one weight (``name="W"``, index (j, k)) or bias (``"b"``, (j,)) set."""
        array = getattr(self.layers[layer], name).copy()
        array[index] = value
        layers = list(self.layers)
        layers[layer] = replace(layers[layer], **{name: array})
        return XrayNetwork(tuple(layers))

    def with_activations(self, activations: list[str] | tuple[str, ...]) -> XrayNetwork:
        return XrayNetwork(tuple(replace(layer, activation=a) for layer, a in zip(self.layers, activations)))


def make_network(weights: list, biases: list, activations: list[str]) -> XrayNetwork:
    """A checked network from nested lists (or arrays); raises XrayError naming the problem."""
    layers = tuple(XrayLayer(np.array(w, dtype=np.float64, ndmin=2), np.array(b, dtype=np.float64).reshape(-1),
                             a) for w, b, a in zip(weights, biases, activations))
    network = XrayNetwork(layers)
    check_network(network)
    return network


def check_network(network: XrayNetwork) -> None:
    layers = network.layers
    if not 1 <= len(layers) <= MAX_LAYERS:
        raise XrayError(f"the network has {len(layers)} weight layers; the x-ray draws 1 to {MAX_LAYERS}")
    previous = layers[0].W.shape[1]
    for number, layer in enumerate(layers, 1):
        units, inputs = layer.W.shape
        if inputs != previous:
            raise XrayError(f"layer {number}: W has {inputs} columns but the layer before it has {previous} units "
                            "(W needs one row per unit and one column per unit of the previous layer)")
        if layer.b.shape != (units,):
            raise XrayError(f"layer {number}: b has {layer.b.size} values but W has {units} rows (one bias per unit)")
        if layer.activation not in ACTIVATIONS:
            raise XrayError(f"layer {number}: unknown activation {layer.activation!r}; "
                            f"choose one of {', '.join(ACTIVATIONS)}")
        if layer.activation == "softmax" and number != len(layers):
            raise XrayError(f"layer {number}: softmax is for the output layer only")
        if not (np.all(np.isfinite(layer.W)) and np.all(np.isfinite(layer.b))):
            raise XrayError(f"layer {number}: weights and biases must be finite numbers")
        previous = units
    too_big = [n for n in network.sizes if not 1 <= n <= MAX_UNITS]
    if too_big:
        raise XrayError(f"layer sizes {'-'.join(map(str, network.sizes))}: the x-ray draws 1 to {MAX_UNITS} "
                        "units per layer")


def check_example(network: XrayNetwork, inputs: np.ndarray, targets: np.ndarray | None, loss: str) -> None:
    """The input, target and loss fit ``network``; raises XrayError otherwise."""
    if inputs.shape != (network.sizes[0],):
        raise XrayError(f"the input has {inputs.size} values but the network takes {network.sizes[0]}")
    if not np.all(np.isfinite(inputs)):
        raise XrayError("the input must be finite numbers")
    if loss not in LOSSES:
        raise XrayError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if targets is None:
        return
    if targets.shape != (network.sizes[-1],):
        raise XrayError(f"the target has {targets.size} values but the network has {network.sizes[-1]} outputs")
    if not np.all(np.isfinite(targets)):
        raise XrayError("the target must be finite numbers")
    if loss == "cross-entropy":
        output = network.layers[-1].activation
        if output not in ("sigmoid", "softmax"):
            raise XrayError(f"cross-entropy needs a sigmoid or softmax output layer, not {output}")
        if np.any(targets < 0) or np.any(targets > 1):
            raise XrayError("cross-entropy needs targets between 0 and 1")
        if output == "softmax" and abs(float(targets.sum()) - 1.0) > 1e-9:
            raise XrayError("cross-entropy after softmax needs a target that sums to 1 (one-hot or probabilities)")


# --- activations -------------------------------------------------------------------------------
def activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + e^−z), without overflow
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "linear":
        return z.copy()
    if name == "softmax":
        e = np.exp(z - z.max())
        return e / e.sum()
    raise XrayError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


def derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """f'(z) of an elementwise activation (ReLU: 0 at z = 0)."""
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    if name == "relu":
        return (z > 0).astype(np.float64)
    if name == "linear":
        return np.ones_like(z)
    raise XrayError(f"{name} has no elementwise derivative")


def through_activation(name: str, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
    """dE/dz from dE/da: f'(z) ⊙ dE/da, or softmax's Jacobian a ⊙ (g − a·g)."""
    if name == "softmax":
        return a * (grad_a - float(a @ grad_a))
    return derivative(name, z, a) * grad_a


# --- the passes ----------------------------------------------------------------------------------
def forward(network: XrayNetwork, inputs: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(z, a) per layer."""
    values, a = [], np.asarray(inputs, dtype=np.float64)
    for layer in network.layers:
        z = layer.W @ a + layer.b
        a = activate(layer.activation, z)
        values.append((z, a))
    return values


def loss_of(network: XrayNetwork, z_out: np.ndarray, y: np.ndarray, targets: np.ndarray, loss: str) -> float:
    """E for the output layer's z and a; cross-entropy from z (log-sum-exp), so it never takes log 0."""
    if loss == "quadratic":
        return float(0.5 * np.sum((targets - y) ** 2))
    if network.layers[-1].activation == "softmax":
        shifted = z_out - z_out.max()
        log_y = shifted - np.log(np.sum(np.exp(shifted)))
        return float(-np.sum(targets * log_y))
    # −[t ln σ(z) + (1 − t) ln(1 − σ(z))] = t·softplus(−z) + (1 − t)·softplus(z)
    return float(np.sum(targets * np.logaddexp(0.0, -z_out) + (1 - targets) * np.logaddexp(0.0, z_out)))


def network_loss(network: XrayNetwork, inputs: np.ndarray, targets: np.ndarray, loss: str) -> float:
    z, a = forward(network, inputs)[-1]
    return loss_of(network, z, a, targets, loss)


def output_delta(network: XrayNetwork, z: np.ndarray, y: np.ndarray, targets: np.ndarray, loss: str) -> np.ndarray:
    """δ of the output layer: (y − t) ⊙ f'(z) for the quadratic loss, y − t for cross-entropy."""
    if loss == "cross-entropy":
        return y - targets  # sigmoid and softmax outputs both cancel f'(z) (softmax: Σ t = 1)
    return through_activation(network.layers[-1].activation, z, y, y - targets)


def backward(network: XrayNetwork, inputs: np.ndarray, values: list[tuple[np.ndarray, np.ndarray]],
             targets: np.ndarray, loss: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(delta, dW, db) per layer: δ(L) from the loss, δ(l) = (W(l+1)ᵀ δ(l+1)) ⊙ f'(z(l)), dW = δ aᵀ."""
    n = len(network.layers)
    deltas: list[np.ndarray] = [np.empty(0)] * n
    z, y = values[-1]
    deltas[-1] = output_delta(network, z, y, targets, loss)
    for l in range(n - 2, -1, -1):
        z, a = values[l]
        deltas[l] = through_activation(network.layers[l].activation, z, a, network.layers[l + 1].W.T @ deltas[l + 1])
    previous = [np.asarray(inputs, dtype=np.float64)] + [a for _z, a in values[:-1]]
    return [(d, np.outer(d, a_prev), d.copy()) for d, a_prev in zip(deltas, previous)]


def numeric_gradients(network: XrayNetwork, inputs: np.ndarray, targets: np.ndarray, loss: str,
                      step: float = NUMERIC_STEP) -> list[tuple[np.ndarray, np.ndarray]]:
    """(dW, db) per layer by central differences, (E(p + h) − E(p − h)) / 2h, one parameter at a time."""
    result = []
    for l, layer in enumerate(network.layers):
        grads = []
        for name in ("W", "b"):
            array = getattr(layer, name)
            grad = np.zeros_like(array)
            for index in np.ndindex(array.shape):
                value = float(array[index])
                up = network_loss(network.with_parameter(l, name, index, value + step), inputs, targets, loss)
                down = network_loss(network.with_parameter(l, name, index, value - step), inputs, targets, loss)
                grad[index] = (up - down) / (2 * step)
            grads.append(grad)
        result.append((grads[0], grads[1]))
    return result


def agree(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """Where an analytic gradient and its central difference agree (elementwise booleans)."""
    return np.isclose(analytic, numeric, rtol=AGREEMENT_RTOL, atol=AGREEMENT_ATOL)


@dataclass(frozen=True)
class LayerPass:
    """One layer's numbers; the gradient fields are None without a target."""

    z: np.ndarray
    a: np.ndarray
    delta: np.ndarray | None = None
    dW: np.ndarray | None = None
    db: np.ndarray | None = None
    dW_numeric: np.ndarray | None = None
    db_numeric: np.ndarray | None = None


@dataclass(frozen=True)
class XrayPass:
    network: XrayNetwork
    inputs: np.ndarray
    targets: np.ndarray | None
    loss_name: str
    layers: tuple[LayerPass, ...]
    loss: float | None

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1].a

    @property
    def has_gradients(self) -> bool:
        return self.loss is not None

    def all_agree(self) -> bool:
        return self.has_gradients and all(bool(agree(p.dW, p.dW_numeric).all() and agree(p.db, p.db_numeric).all())
                                          for p in self.layers)

    def max_gradient_difference(self) -> float:
        """The largest |analytic − numeric| over every weight and bias."""
        return max(float(np.max(np.abs(np.concatenate([(p.dW - p.dW_numeric).ravel(), p.db - p.db_numeric]))))
                   for p in self.layers)


def xray_pass(network: XrayNetwork, inputs, targets=None, loss: str = "quadratic",
              numeric: bool = True) -> XrayPass:
    """The whole forward pass, and with ``targets`` the loss, backward pass and numeric check."""
    x = np.asarray(inputs, dtype=np.float64).reshape(-1)
    t = None if targets is None else np.asarray(targets, dtype=np.float64).reshape(-1)
    check_example(network, x, t, loss)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow becomes the one-line error below
        return _checked_pass(network, x, t, loss, numeric)


def _checked_pass(network: XrayNetwork, x: np.ndarray, t: np.ndarray | None, loss: str, numeric: bool) -> XrayPass:
    values = forward(network, x)
    for number, (z, _a) in enumerate(values, 1):
        if not np.all(np.isfinite(z)):  # finite weights can still overflow: 1e308 · 2
            raise XrayError(f"layer {number}'s weighted sums overflow to infinity; use smaller weights or inputs")
    if t is None:
        return XrayPass(network, x, None, loss, tuple(LayerPass(z, a) for z, a in values), None)
    error = loss_of(network, *values[-1], t, loss)
    grads = backward(network, x, values, t, loss)
    if not (np.isfinite(error) and all(np.all(np.isfinite(dw)) for _d, dw, _db in grads)):
        raise XrayError("the loss or its gradients overflow to infinity; use smaller weights or inputs")
    checks = numeric_gradients(network, x, t, loss) if numeric else [(None, None)] * len(values)
    layers = tuple(LayerPass(z, a, d, dw, db, nw, nb)
                   for (z, a), (d, dw, db), (nw, nb) in zip(values, grads, checks))
    return XrayPass(network, x, t, loss, layers, error)


def updated(network: XrayNetwork, result: XrayPass, learning_rate: float) -> XrayNetwork:
    """One gradient-descent step: W ← W − η ∂E/∂W, b ← b − η ∂E/∂b."""
    if not result.has_gradients:
        raise XrayError("an update needs a target (the gradients come from the loss)")
    with np.errstate(over="ignore"):
        after = XrayNetwork(tuple(replace(layer, W=layer.W - learning_rate * p.dW, b=layer.b - learning_rate * p.db)
                                  for layer, p in zip(network.layers, result.layers)))
    if not all(np.all(np.isfinite(layer.W)) and np.all(np.isfinite(layer.b)) for layer in after.layers):
        raise XrayError(f"the update with η = {learning_rate:g} overflows to infinity; use a smaller learning rate")
    return after


# --- ready-made networks -------------------------------------------------------------------------
@dataclass(frozen=True)
class XrayPreset:
    name: str
    title: str
    network: XrayNetwork
    inputs: tuple[float, ...]
    targets: tuple[float, ...]
    loss: str = "quadratic"


def _preset(name: str, title: str, layers: list[tuple[list, list, str]], inputs, targets) -> XrayPreset:
    network = make_network([w for w, _b, _a in layers], [b for _w, b, _a in layers], [a for _w, _b, a in layers])
    return XrayPreset(name, title, network, tuple(inputs), tuple(targets))


PRESETS: dict[str, XrayPreset] = {p.name: p for p in [
    # The slides' XOR network: input (1, 1) gives hidden z = (2, 1), output 0.
    _preset("xor", "XOR 2-2-1 ReLU, slides' weights",
            [([[1, 1], [1, 1]], [0, -1], "relu"), ([[1, -2]], [0], "linear")], (1, 1), (0,)),
    # Matt Mazur's step-by-step example: outputs 0.7514, 0.7729 and E = 0.2984.
    _preset("mazur", "2-2-2 sigmoid, Mazur's example",
            [([[.15, .20], [.25, .30]], [.35, .35], "sigmoid"), ([[.40, .45], [.50, .55]], [.60, .60], "sigmoid")],
            (.05, .10), (.01, .99)),
    # The same first layers with one more sigmoid layer: deltas pass through two hidden layers.
    _preset("sigmoid", "2-2-2-2 sigmoid",
            [([[.15, .20], [.25, .30]], [.35, .35], "sigmoid"), ([[.40, .45], [.50, .55]], [.60, .60], "sigmoid"),
             ([[.30, -.50], [-.20, .70]], [.10, -.10], "sigmoid")],
            (.05, .10), (.01, .99)),
]}


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"2-2-2-2"`` (or ``2,2,2,2``) as layer sizes, the input first; raises XrayError."""
    parts = [p.strip() for p in text.replace(",", "-").split("-")]
    if not all(p.isdigit() for p in parts) or len(parts) < 2:
        raise XrayError(f"sizes like 2-2-2-2 (input first), not {text!r}")
    sizes = tuple(int(p) for p in parts)
    if len(sizes) - 1 > MAX_LAYERS or not all(1 <= n <= MAX_UNITS for n in sizes):
        raise XrayError(f"sizes {text!r}: the x-ray draws up to {MAX_LAYERS} layers after the input, "
                        f"1 to {MAX_UNITS} units each")
    return sizes


def random_network(sizes: tuple[int, ...], activations: list[str] | tuple[str, ...], seed: int = 0) -> XrayNetwork:
    """Weights ~ N(0, 1/inputs) and biases ~ N(0, 0.25), rounded to 2 decimals so they can be worked by hand."""
    rng = np.random.default_rng(seed)
    weights = [np.round(rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_out, n_in)), 2) for n_in, n_out in pairwise(sizes)]
    biases = [np.round(rng.normal(0.0, 0.5, n_out), 2) for n_out in sizes[1:]]
    return make_network(weights, biases, list(activations))


def unit_at(sizes: tuple[int, ...], order: int) -> tuple[int, int]:
    """(layer, unit) of the order-th unit the forward pass computes, layer by layer (both from 0)."""
    for layer, n in enumerate(sizes[1:]):
        if order < n:
            return layer, order
        order -= n
    raise IndexError(f"the network has only {sum(sizes[1:])} units")
