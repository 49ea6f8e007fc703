"""Gradient descent step by step, as on the slides, and its pitfalls.

1-D: y = x^2 - 6x + 10 from x = 6 (y = 10); the forward difference with dx = 0.01 gives 6.01,
the analytic derivative 2x - 6 gives 6. 2-D: z = x^2 + y^2 - 6x + 10 from (6, -2) (z = 14)
with eta = 0.01: grad (6, -4) -> (5.94, -1.96), grad (5.88, -3.92) -> (5.8812, -1.9208), ...
Every surface takes points as arrays ``(..., dims)`` and returns values ``(...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnviz.core.lessons.text_table import format_number, format_table

DX = 0.01
START_1D = 6.0
START_2D = (6.0, -2.0)
ETA_2D = 0.01
ETA_1D = 0.1
DIVERGED_ABOVE = 1e6  # a path is cut once a coordinate leaves this range


@dataclass(frozen=True)
class Surface:
    """An error function E over 1 or 2 parameters, with its gradient and a plotting window."""

    name: str
    formula: str  # plain text, e.g. "z = x² + y² − 6x + 10"
    dims: int
    value: Callable[[np.ndarray], np.ndarray]
    gradient: Callable[[np.ndarray], np.ndarray]
    x_range: tuple[float, float]
    y_range: tuple[float, float] = (0.0, 0.0)  # 2-D surfaces only


def _parabola(p: np.ndarray) -> np.ndarray:
    x = np.asarray(p, dtype=np.float64)[..., 0]
    return x * x - 6 * x + 10


def _parabola_gradient(p: np.ndarray) -> np.ndarray:
    return 2 * np.asarray(p, dtype=np.float64) - 6


def _bowl(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    x, y = p[..., 0], p[..., 1]
    return x * x + y * y - 6 * x + 10


def _bowl_gradient(p: np.ndarray) -> np.ndarray:
    x, y = np.asarray(p, dtype=np.float64)
    return np.array([2 * x - 6, 2 * y])


def _two_minima(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    x, y = p[..., 0], p[..., 1]
    return x ** 4 / 4 - 2 * x * x + 0.5 * x + y * y + 6


def _two_minima_gradient(p: np.ndarray) -> np.ndarray:
    x, y = np.asarray(p, dtype=np.float64)
    return np.array([x ** 3 - 4 * x + 0.5, 2 * y])


def _valley(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    x, y = p[..., 0], p[..., 1]
    return 0.01 * x * x + y * y


def _valley_gradient(p: np.ndarray) -> np.ndarray:
    x, y = np.asarray(p, dtype=np.float64)
    return np.array([0.02 * x, 2 * y])


SURFACES: dict[str, Surface] = {s.name: s for s in [
    Surface("parabola", "y = x² − 6x + 10", 1, _parabola, _parabola_gradient, (-1.0, 7.0)),
    Surface("bowl", "z = x² + y² − 6x + 10", 2, _bowl, _bowl_gradient, (-1.0, 7.0), (-4.0, 4.0)),
    Surface("two-minima", "z = x⁴/4 − 2x² + x/2 + y² + 6", 2, _two_minima, _two_minima_gradient,
            (-3.0, 3.0), (-2.0, 2.0)),
    Surface("valley", "z = 0.01x² + y²  (a long, narrow valley)", 2, _valley, _valley_gradient,
            (-11.0, 3.0), (-2.5, 2.5)),
]}


# --- the slides' numbers -------------------------------------------------------------------------
def parabola(x: float) -> float:
    """y = x^2 - 6x + 10."""
    return x * x - 6 * x + 10


def parabola_slope(x: float) -> float:
    """The analytic derivative y' = 2x - 6."""
    return 2 * x - 6


def numeric_derivative(f: Callable[[float], float], x: float, dx: float = DX) -> float:
    """The slides' forward difference (f(x + dx) - f(x)) / dx (6.01 for the parabola at 6)."""
    return (f(x + dx) - f(x)) / dx


def tangent_line(x0: float, xs: np.ndarray) -> np.ndarray:
    """The tangent to the parabola at x0, evaluated at ``xs``."""
    return parabola(x0) + parabola_slope(x0) * (np.asarray(xs, dtype=np.float64) - x0)


@dataclass(frozen=True)
class Round:
    """One round of 2-D gradient descent: at (x, y) the gradient is (gx, gy); step to the next point."""

    index: int
    x: float
    y: float
    z: float
    grad_x: float
    grad_y: float
    next_x: float
    next_y: float


def gradient_rounds(start: tuple[float, float] = START_2D, eta: float = ETA_2D, n_rounds: int = 6) -> list[Round]:
    """The slides' table of rounds on the bowl (values rounded to 10 decimals against float noise)."""
    rounds = []
    x, y = start
    for i in range(1, n_rounds + 1):
        gx, gy = (round(float(v), 10) for v in _bowl_gradient(np.array([x, y])))
        nx, ny = round(x - eta * gx, 10), round(y - eta * gy, 10)
        rounds.append(Round(i, x, y, round(float(_bowl(np.array([x, y]))), 10), gx, gy, nx, ny))
        x, y = nx, ny
    return rounds


def descend(surface: Surface, start: float | tuple[float, ...], eta: float, n_steps: int,
            momentum: float = 0.0) -> np.ndarray:
    """Gradient descent (optionally with momentum v <- mu v - eta grad; p <- p + v).

    Returns the visited points ``(k + 1, dims)``; the path stops early once it leaves the
    range +-1e6 (divergence), so ``k <= n_steps``.
    """
    p = np.atleast_1d(np.asarray(start, dtype=np.float64)).copy()
    if p.shape != (surface.dims,):
        raise ValueError(f"{surface.name} needs a start with {surface.dims} coordinate(s), got {start!r}")
    velocity = np.zeros_like(p)
    points = [p.copy()]
    for _ in range(n_steps):
        velocity = momentum * velocity - eta * surface.gradient(p)
        p = p + velocity
        points.append(p.copy())
        if not np.all(np.abs(p) < DIVERGED_ABOVE):
            break
    return np.array(points)


# --- pitfalls ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PathSpec:
    label: str
    start: tuple[float, ...]
    eta: float
    momentum: float = 0.0


@dataclass(frozen=True)
class Pitfall:
    name: str
    title: str  # the button's text
    explanation: str  # one or two sentences shown beside the picture
    surface: str
    paths: tuple[PathSpec, ...]
    n_steps: int


PITFALLS: dict[str, Pitfall] = {p.name: p for p in [
    Pitfall("crawl", "Too small: crawls",
            "η = 0.01: each step only removes 2 % of the distance to the minimum (x − 3 shrinks by "
            "1 − 2η = 0.98); after 40 steps x is still far from 3.",
            "parabola", (PathSpec("η = 0.01", (6.0,), 0.01),), 40),
    Pitfall("oscillate", "Too large: oscillates",
            "η = 0.9: every step jumps across the valley (x − 3 is multiplied by 1 − 2η = −0.8); "
            "it still converges, zig-zagging.",
            "parabola", (PathSpec("η = 0.9", (6.0,), 0.9),), 40),
    Pitfall("diverge", "Far too large: diverges",
            "η = 1.05: each jump lands further out than the last (factor −1.1): the error grows "
            "without bound.",
            "parabola", (PathSpec("η = 1.05", (6.0,), 1.05),), 12),
    Pitfall("two-minima", "Two minima: start matters",
            "Two starts only 0.6 apart roll into different valleys: the right one is only a local "
            "minimum, and gradient descent cannot see the deeper one.",
            "two-minima", (PathSpec("start (−0.3, 1.5)", (-0.3, 1.5), 0.05),
                           PathSpec("start (0.3, 1.5)", (0.3, 1.5), 0.05)), 60),
    Pitfall("momentum", "Momentum off / on",
            "A long narrow valley: plain gradient descent (η = 0.9) zig-zags between the steep walls "
            "and crawls along the flat floor; with momentum 0.8 the steps along the floor add up and it "
            "arrives much sooner.",
            "valley", (PathSpec("momentum off", (-10.0, 1.5), 0.9, 0.0),
                       PathSpec("momentum 0.8", (-10.0, 1.5), 0.9, 0.8)), 60),
]}


@dataclass(frozen=True)
class PitfallPath:
    label: str
    points: np.ndarray  # (k + 1, dims)
    values: np.ndarray  # (k + 1,) error along the path
    diverged: bool


def pitfall_paths(name: str) -> list[PitfallPath]:
    pitfall = PITFALLS[name]
    surface = SURFACES[pitfall.surface]
    out = []
    for spec in pitfall.paths:
        points = descend(surface, spec.start, spec.eta, pitfall.n_steps, spec.momentum)
        values = surface.value(points)
        # gradient descent only gets worse overall when the steps overshoot further each time
        diverged = len(points) < pitfall.n_steps + 1 or float(values[-1]) > float(values[0])
        out.append(PitfallPath(spec.label, points, values, diverged))
    return out


def surface_grid(surface: Surface, resolution: int = 120) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Values of a 2-D surface on a (resolution, resolution) grid, rows = y; and (x0, x1, y0, y1)."""
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    return surface.value(grid), (x0, x1, y0, y1)


# --- printed tables ------------------------------------------------------------------------------
def derivative_table(x: float = START_1D, dx: float = DX) -> str:
    rows = [["y(x)", parabola(x)], [f"numeric (y(x + {format_number(dx)}) − y(x)) / {format_number(dx)}",
                                    numeric_derivative(parabola, x, dx)],
            ["analytic 2x − 6", parabola_slope(x)]]
    return format_table(["1-D: y = x² − 6x + 10 at x = " + format_number(x), "value"], rows)


def rounds_table(rounds: list[Round]) -> str:
    rows = [[r.index, f"({format_number(r.x)}, {format_number(r.y)})", r.z,
             f"({format_number(r.grad_x)}, {format_number(r.grad_y)})",
             f"({format_number(r.next_x)}, {format_number(r.next_y)})"] for r in rounds]
    return format_table(["round", "point (x, y)", "z", "∇z", "next point"], rows,
                        title=f"2-D: z = x² + y² − 6x + 10 from {START_2D}, η = {ETA_2D}")


def pitfalls_table() -> str:
    rows = []
    for name, pitfall in PITFALLS.items():
        for path in pitfall_paths(name):
            end = ", ".join(format_number(v, 3) for v in path.points[-1])
            rows.append([pitfall.title, path.label, len(path.points) - 1, f"({end})",
                         "diverged" if path.diverged else format_number(float(path.values[-1]), 4)])
    return format_table(["pitfall", "path", "steps", "last point", "error there"], rows)
