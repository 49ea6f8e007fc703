"""Activation functions and their derivatives, softmax, and logistic curves (the activation explorer)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnviz.core.layers import ACTIVATION_FUNCTIONS
from nnviz.core.layers import softmax as softmax_rows

from nnviz.core.lessons.text_table import format_table

FUNCTIONS = ("step", "sigmoid", "tanh", "relu")
FORMULAS = {
    "step": "step(z) = 1 if z ≥ 0 else 0",
    "sigmoid": "σ(z) = 1 / (1 + e^−z)",
    "tanh": "tanh(z)",
    "relu": "ReLU(z) = max(0, z)",
}
DERIVATIVE_FORMULAS = {
    "step": "0 (undefined at 0)",
    "sigmoid": "σ'(z) = σ(z)(1 − σ(z))",
    "tanh": "tanh'(z) = 1 − tanh²(z)",
    "relu": "1 if z > 0 else 0",
}
SOFTMAX_EXAMPLE = (2.0, 1.0, 0.1)  # the textbook scores: softmax -> 0.659, 0.242, 0.099


def activation(name: str, z: np.ndarray | float) -> np.ndarray:
    """f(z) for one of :data:`FUNCTIONS` (the core's own definitions)."""
    if name not in FUNCTIONS:
        raise ValueError(f"unknown activation {name!r}; use one of {', '.join(FUNCTIONS)}")
    return ACTIVATION_FUNCTIONS[name](np.asarray(z, dtype=np.float64))


def derivative(name: str, z: np.ndarray | float) -> np.ndarray:
    """f'(z); the step's derivative is drawn as 0 everywhere (it is undefined at 0)."""
    z = np.asarray(z, dtype=np.float64)
    if name == "step":
        return np.zeros_like(z)
    if name == "sigmoid":
        s = activation("sigmoid", z)
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0).astype(np.float64)
    raise ValueError(f"unknown activation {name!r}; use one of {', '.join(FUNCTIONS)}")


def softmax(scores: Sequence[float]) -> np.ndarray:
    """e^z_j / sum_k e^z_k of a score vector (shifted by its maximum: no overflow)."""
    return softmax_rows(np.asarray(scores, dtype=np.float64)[None, :])[0]


def logistic(x: np.ndarray | float, w: float, b: float) -> np.ndarray:
    """f(x) = 1 / (1 + exp(-(b + w x)))."""
    return ACTIVATION_FUNCTIONS["sigmoid"](b + w * np.asarray(x, dtype=np.float64))


def logistic_bump(x: np.ndarray, steepness: float, shifts: Sequence[float],
                  output_weights: Sequence[float]) -> tuple[list[np.ndarray], np.ndarray]:
    """Shifted logistics sigma(w (x - s_i)) and their weighted sum sum_i a_i sigma(w (x - s_i)).

    With a steep w, shifts s1 < s2 and output weights (+1, -1) the sum is a bump between s1 and s2
    ("combinations are highly flexible and nonlinear").
    """
    parts = [logistic(x, steepness, -steepness * s) for s in shifts]
    total = sum(a * p for a, p in zip(output_weights, parts))
    return parts, np.asarray(total, dtype=np.float64)


def activation_table(points: Sequence[float] = (-2.0, -1.0, 0.0, 1.0, 2.0)) -> str:
    rows = []
    for name in FUNCTIONS:
        rows.append([f"{name}(z)"] + [float(v) for v in activation(name, np.array(points))])
        rows.append([f"{name}'(z)"] + [float(v) for v in derivative(name, np.array(points))])
    return format_table(["z"] + [f"{p:g}" for p in points], rows, title="Activations and their derivatives")


def softmax_table(scores: Sequence[float] = SOFTMAX_EXAMPLE) -> str:
    probabilities = softmax(scores)
    rows = [[f"z{i + 1}", float(s), float(p)] for i, (s, p) in enumerate(zip(scores, probabilities))]
    rows.append(["sum", float(np.sum(scores)), float(probabilities.sum())])
    return format_table(["", "score z", "softmax"], rows, title="Softmax of a score vector")
