"""Two-dimensional toy data sets for the first lectures, generated from a seed.

Every set has two classes, float32 points ``(N, 2)`` and int64 labels ``(N,)``, and is fully
determined by ``(name, n_samples, noise, seed)`` through ``np.random.default_rng(seed)``.
``noise`` is the standard deviation of Gaussian jitter in the set's own units, except for
``diabetes`` where it blurs the class boundary (see :func:`_make_diabetes`).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from nnviz.core.data.splits import Dataset
from nnviz.core.errors import DatasetError

TOY_DATASETS: dict[str, str] = {
    "xor": "the 4 corners of the unit square labelled XOR (not linearly separable)",
    "xor-cloud": "noisy clouds around the 4 corners of the unit square, labelled XOR",
    "blobs": "two Gaussian blobs, linearly separable with a margin",
    "circles": "a small circle inside a large one",
    "moons": "two interleaving half-moons",
    "spiral": "two interleaved spirals (hard)",
    "diabetes": "synthetic patients: sugar intake vs exercise, diabetes yes/no",
}

# (n_samples, noise) a classroom demo starts with.
TOY_DEFAULTS: dict[str, tuple[int, float]] = {
    "xor": (4, 0.0),
    "xor-cloud": (200, 0.15),
    "blobs": (200, 0.4),
    "circles": (300, 0.08),
    "moons": (300, 0.15),
    "spiral": (400, 0.04),
    "diabetes": (300, 0.3),
}

DIABETES_FEATURES = ["sugar intake (g/day)", "exercise (h/week)"]
DIABETES_CLASSES = ["no diabetes", "diabetes"]

MIN_SAMPLES = 8  # enough for every split to get at least one point
MAX_SAMPLES = 1_000_000


def _class_sizes(n_samples: int) -> tuple[int, int]:
    """Balanced classes: class 0 gets the odd point out."""
    return n_samples - n_samples // 2, n_samples // 2


def _make_xor(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return x, np.array([0, 1, 1, 0])


def _make_xor_cloud(rng: np.random.Generator, n_samples: int, noise: float):
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    corner = np.arange(n_samples) % 4  # equal-sized clouds (±1)
    x = corners[corner] + rng.normal(0.0, noise, size=(n_samples, 2))
    return x, np.array([0, 1, 1, 0])[corner]


def _make_blobs(rng: np.random.Generator, n_samples: int, noise: float):
    # Centres (-1,-1) and (1,1) lie sqrt(2) from the line x1 + x2 = 0. Clipping each offset
    # to length 1 keeps every point at least sqrt(2) - 1 ≈ 0.41 from it, whatever the noise.
    n0, n1 = _class_sizes(n_samples)
    y = np.repeat([0, 1], [n0, n1])
    centres = np.where(y[:, None] == 0, -1.0, 1.0)
    offsets = rng.normal(0.0, noise, size=(n_samples, 2))
    lengths = np.linalg.norm(offsets, axis=1, keepdims=True)
    offsets *= np.minimum(1.0, 1.0 / np.maximum(lengths, 1e-12))
    return centres + offsets, y


def _make_circles(rng: np.random.Generator, n_samples: int, noise: float):
    # As scikit-learn's make_circles: outer circle (radius 1) is class 0, inner (0.5) class 1.
    n0, n1 = _class_sizes(n_samples)
    y = np.repeat([0, 1], [n0, n1])
    angle = rng.uniform(0.0, 2 * math.pi, size=n_samples)
    radius = np.where(y == 0, 1.0, 0.5)
    x = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return x + rng.normal(0.0, noise, size=x.shape), y


def _make_moons(rng: np.random.Generator, n_samples: int, noise: float):
    # As scikit-learn's make_moons: upper moon class 0, lower moon shifted right, class 1.
    n0, n1 = _class_sizes(n_samples)
    y = np.repeat([0, 1], [n0, n1])
    t = rng.uniform(0.0, math.pi, size=n_samples)
    x = np.where(
        (y == 0)[:, None],
        np.column_stack([np.cos(t), np.sin(t)]),
        np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)]),
    )
    return x + rng.normal(0.0, noise, size=x.shape), y


def _make_spiral(rng: np.random.Generator, n_samples: int, noise: float):
    # Two arms, 1.5 turns each, the second rotated by half a turn; radius grows to 1.
    n0, n1 = _class_sizes(n_samples)
    y = np.repeat([0, 1], [n0, n1])
    t = rng.uniform(0.0, 1.0, size=n_samples)
    radius = 0.1 + 0.9 * t
    angle = 3 * math.pi * t + math.pi * y
    x = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return x + rng.normal(0.0, noise, size=x.shape), y


def _make_diabetes(rng: np.random.Generator, n_samples: int, noise: float):
    """Made-up patients (not medical data): the risk rises with sugar, falls with exercise.

    P(diabetes) = sigmoid(z / noise) with z = (sugar - 85) / 25 - (exercise - 3.5) / 2, so
    the best boundary is the line z = 0; noise -> 0 makes the classes linearly separable,
    the default 0.3 leaves ~10% of patients on the "wrong" side.
    """
    sugar = np.clip(rng.normal(85.0, 28.0, size=n_samples), 20.0, 150.0)
    exercise = np.clip(rng.gamma(2.0, 1.8, size=n_samples), 0.0, 10.0)
    z = (sugar - 85.0) / 25.0 - (exercise - 3.5) / 2.0
    if noise > 0:
        probability = 1.0 / (1.0 + np.exp(-z / noise))
        y = (rng.uniform(size=n_samples) < probability).astype(np.int64)
    else:
        y = (z > 0).astype(np.int64)
    return np.column_stack([sugar, exercise]), y


_GENERATORS: dict[str, Callable[[np.random.Generator, int, float], tuple[np.ndarray, np.ndarray]]] = {
    "xor": _make_xor,
    "xor-cloud": _make_xor_cloud,
    "blobs": _make_blobs,
    "circles": _make_circles,
    "moons": _make_moons,
    "spiral": _make_spiral,
    "diabetes": _make_diabetes,
}


def _check_name(name: str) -> None:
    if name not in TOY_DATASETS:
        raise DatasetError(f"unknown toy data set {name!r}; known: {', '.join(TOY_DATASETS)}")


def _resolve_settings(name: str, n_samples: int | None, noise: float | None) -> tuple[int, float]:
    default_samples, default_noise = TOY_DEFAULTS[name]
    n_samples = default_samples if n_samples is None else n_samples
    noise = default_noise if noise is None else noise
    if name != "xor":  # xor is always its 4 points
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
            raise DatasetError(f"n_samples must be a whole number, got {n_samples!r}")
        if not MIN_SAMPLES <= n_samples <= MAX_SAMPLES:
            raise DatasetError(
                f"n_samples for {name!r} must be between {MIN_SAMPLES} and {MAX_SAMPLES}, "
                f"got {n_samples}"
            )
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating, np.integer)):
        raise DatasetError(f"noise must be a number, got {noise!r}")
    if not (math.isfinite(noise) and noise >= 0):
        raise DatasetError(f"noise must be a finite number >= 0, got {noise}")
    return int(n_samples), float(noise)


def make_toy(
    name: str, *, n_samples: int | None = None, noise: float | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Generate toy set ``name``: float32 ``(N, 2)`` points and int64 ``(N,)`` labels.

    ``n_samples`` and ``noise`` default to the set's classroom values (``TOY_DEFAULTS``).
    Points come in shuffled order, except ``xor``: exactly (0,0)->0, (0,1)->1, (1,0)->1,
    (1,1)->0 in that order, whatever ``n_samples``.
    """
    _check_name(name)
    n_samples, noise = _resolve_settings(name, n_samples, noise)
    rng = np.random.default_rng(seed)
    x, y = _GENERATORS[name](rng, n_samples, noise)
    if name != "xor":
        order = rng.permutation(len(y))  # mix the classes so any prefix is balanced-ish
        x, y = x[order], y[order]
    return np.ascontiguousarray(x, dtype=np.float32), np.asarray(y, dtype=np.int64)


def load_toy_dataset(
    name: str,
    *,
    n_samples: int | None = None,
    noise: float | None = None,
    seed: int = 0,
    test_fraction: float = 0.25,
    val_fraction: float = 0.15,
) -> Dataset:
    """Generate toy set ``name`` as a ``Dataset`` of kind ``"points"``.

    The shuffled points are split train / val / test, with ``val_fraction`` (15%) and
    ``test_fraction`` (25%) of them in the last two; train keeps the rest (60%). ``xor``
    has only 4 points, so all three splits are those same 4 points (separate copies).
    """
    _check_name(name)
    x, y = make_toy(name, n_samples=n_samples, noise=noise, seed=seed)
    class_names = DIABETES_CLASSES if name == "diabetes" else ["0", "1"]
    feature_names = DIABETES_FEATURES if name == "diabetes" else ["x1", "x2"]
    if name == "xor":
        return Dataset(
            name=name, class_names=list(class_names),
            x_train=x, y_train=y, x_val=x.copy(), y_val=y.copy(),
            x_test=x.copy(), y_test=y.copy(),
            kind="points", feature_names=list(feature_names),
        )
    for label, fraction in (("test_fraction", test_fraction), ("val_fraction", val_fraction)):
        if not (isinstance(fraction, (int, float)) and 0 < fraction < 1):
            raise DatasetError(f"{label} must be between 0 and 1 (exclusive), got {fraction!r}")
    if test_fraction + val_fraction >= 1:
        raise DatasetError(
            f"test_fraction + val_fraction must leave points for training, "
            f"got {test_fraction} + {val_fraction}"
        )
    n = len(y)
    n_test = max(1, round(n * test_fraction))
    n_val = max(1, round(n * val_fraction))
    n_train = n - n_test - n_val
    if n_train < 1:
        raise DatasetError(f"{n} points are too few to split; use more n_samples")
    val_end = n_train + n_val
    return Dataset(
        name=name,
        class_names=list(class_names),
        x_train=x[:n_train], y_train=y[:n_train],
        x_val=x[n_train:val_end], y_val=y[n_train:val_end],
        x_test=x[val_end:], y_test=y[val_end:],
        kind="points",
        feature_names=list(feature_names),
    )
