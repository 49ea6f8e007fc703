"""Weight initialisers: every one draws from the caller's seeded generator in the given dtype."""

from __future__ import annotations

import numpy as np

INITIALIZERS = ("normal", "truncated-normal", "xavier", "he", "zeros")


def initialize(
    name: str,
    shape: tuple[int, ...],
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: np.dtype = np.float32,
    std: float = 1.0,
) -> np.ndarray:
    """Return a new array of ``shape`` drawn by initialiser ``name``.

    ``normal``: N(0, std^2) (Nielsen's network.py uses std 1 for weights and biases);
    ``truncated-normal``: N(0, std^2) redrawn beyond 2 std (TensorFlow's tutorials, std 0.1);
    ``xavier``: Glorot uniform, limit sqrt(6 / (fan_in + fan_out));
    ``he``: N(0, 2 / fan_in), for ReLU layers; ``zeros``.
    """
    if name == "normal":
        values = rng.standard_normal(shape, dtype=np.float64) * std
    elif name == "truncated-normal":
        values = rng.standard_normal(shape, dtype=np.float64)
        outside = np.abs(values) > 2.0
        while outside.any():  # redraw only the tail: converges in a few rounds
            values[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(values) > 2.0
        values *= std
    elif name == "xavier":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        values = rng.uniform(-limit, limit, shape)
    elif name == "he":
        values = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
    elif name == "zeros":
        values = np.zeros(shape)
    else:
        raise ValueError(f"unknown initialiser {name!r}; use one of {', '.join(INITIALIZERS)}")
    return values.astype(dtype)
