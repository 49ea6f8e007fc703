"""XOR by hand and by training: the slides' 2-2-1 network, its forward table, and a trainer.

Hand-set weights W1 = [[1, 1], [1, 1]], theta1 = [0, -1], W2 = [1, -2], theta2 = 0 with ReLU
hidden units and a linear output give hidden pre-activations [0,-1], [1,0], [1,0], [2,1], ReLU
outputs [0,0], [1,0], [1,0], [2,1] and outputs 0, 1, 1, 0 for the inputs (0,0), (0,1), (1,0), (1,1).
The network is the core's own (`xor-hand` preset); the table comes from its forward taps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.core.models import set_weights
from nnviz.core.network import Sequential
from nnviz.core.presets import preset_config
from nnviz.core.trainer import DIVERGED, Trainer

from nnviz.core.lessons.text_table import format_number, format_table, format_vector

XOR_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_TARGETS = np.array([0, 1, 1, 0], dtype=np.float64)
HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid")
SOLVED_TOLERANCE = 0.05  # every output within 0.05 of its target
PATIENCE = 400  # steps before a start that has not solved XOR counts as stuck


@dataclass(frozen=True)
class XorWeights:
    """A 2-2-1 network: hidden z = x W1 + theta1 (W1 is (inputs, hidden)), output y = h . W2 + theta2."""

    hidden_weights: tuple[tuple[float, float], tuple[float, float]]
    hidden_bias: tuple[float, float]
    output_weights: tuple[float, float]
    output_bias: float

    def state(self) -> dict[str, list]:
        """As the core's model-file keys (``layers.0.W`` ...), for :func:`set_weights`."""
        return {"layers.0.W": [list(r) for r in self.hidden_weights], "layers.0.b": list(self.hidden_bias),
                "layers.2.W": [[w] for w in self.output_weights], "layers.2.b": [self.output_bias]}

    @classmethod
    def from_network(cls, network: Sequential) -> "XorWeights":
        s = network.state_dict()
        w1, b1, w2, b2 = (np.asarray(s[k], dtype=np.float64) for k in
                          ("layers.0.W", "layers.0.b", "layers.2.W", "layers.2.b"))
        return cls(((float(w1[0, 0]), float(w1[0, 1])), (float(w1[1, 0]), float(w1[1, 1]))),
                   (float(b1[0]), float(b1[1])), (float(w2[0, 0]), float(w2[1, 0])), float(b2[0]))


HAND_WEIGHTS = XorWeights(((1.0, 1.0), (1.0, 1.0)), (0.0, -1.0), (1.0, -2.0), 0.0)


@dataclass(frozen=True)
class XorForward:
    """The forward pass for the four inputs, row i = input i."""

    inputs: np.ndarray  # (4, 2)
    pre_activations: np.ndarray  # (4, 2) z = x W1 + theta1
    hidden: np.ndarray  # (4, 2) h = f(z)
    outputs: np.ndarray  # (4,) y = h . W2 + theta2
    targets: np.ndarray  # (4,)
    activation: str

    @property
    def solved(self) -> bool:
        return bool(np.all(np.abs(self.outputs - self.targets) < SOLVED_TOLERANCE))


def xor_config(activation: str = "relu", seed: int = 0, learning_rate: float = 0.1, momentum: float = 0.9):
    """The `xor-hand` preset's 2-2-1 network (linear output, quadratic loss), optionally from random."""
    if activation not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"unknown hidden activation {activation!r}; use one of {', '.join(HIDDEN_ACTIVATIONS)}")
    return preset_config("xor-hand").with_changes(**{
        "model.activation": activation, "model.initial_weights": {}, "model.init": "xavier",
        "optimizer.name": "momentum", "optimizer.learning_rate": learning_rate, "optimizer.momentum": momentum,
        "training.seed": seed, "training.epochs": 1_000_000})


def xor_network(weights: XorWeights = HAND_WEIGHTS, activation: str = "relu") -> Sequential:
    network = Trainer(xor_config(activation)).network
    set_weights(network, weights.state())
    return network.astype(np.float64)  # exact sums for hand-typed weights


def forward_table(weights: XorWeights = HAND_WEIGHTS, activation: str = "relu") -> XorForward:
    return forward_of(xor_network(weights, activation), activation)


def forward_of(network: Sequential, activation: str) -> XorForward:
    """Step the four inputs through ``network`` (dense, activation, dense) using its taps."""
    taps = network.forward_with_taps(XOR_INPUTS.astype(network.dtype))
    pre, hidden, out = (np.asarray(t[1], dtype=np.float64) for t in taps[:3])
    return XorForward(XOR_INPUTS.copy(), pre, hidden, out[:, 0].copy(), XOR_TARGETS.copy(), activation)


class XorTraining:
    """Train the 2-2-1 network from random weights; restart from the next seed when a start is stuck.

    A ReLU 2-2-1 net often gets stuck (a dead hidden unit, or a local minimum where it outputs 2/3
    for three inputs): after ``patience`` steps without solving XOR it starts again from a new
    random draw. ``attempts`` lists (seed, steps, outcome) of every start.
    """

    def __init__(self, activation: str = "relu", seed: int = 0, learning_rate: float = 0.1,
                 momentum: float = 0.9, patience: int = PATIENCE, max_attempts: int = 30) -> None:
        self.activation, self.learning_rate, self.momentum = activation, learning_rate, momentum
        self.patience, self.max_attempts = patience, max_attempts
        self.attempts: list[tuple[int, int, str]] = []
        self.total_steps = 0
        self.solved = False
        self.gave_up = False
        self._start(seed)

    def _start(self, seed: int) -> None:
        self.seed = seed
        self.trainer = Trainer(xor_config(self.activation, seed, self.learning_rate, self.momentum))
        self.steps = 0

    @property
    def done(self) -> bool:
        return self.solved or self.gave_up

    @property
    def loss(self) -> float:
        losses = self.trainer.history.iteration_loss
        return float(losses[-1]) if losses.size else float("nan")

    def forward(self) -> XorForward:
        return forward_of(self.trainer.network, self.activation)

    def weights(self) -> XorWeights:
        return XorWeights.from_network(self.trainer.network)

    def step(self, n_steps: int = 1) -> bool:
        """Train up to ``n_steps`` full-batch steps (all four inputs); True once solved (or given up)."""
        for _ in range(n_steps):
            if self.done:
                break
            result = self.trainer.step_batch()
            self.steps += 1
            self.total_steps += 1
            if self.forward().solved:
                self.solved = True
                self.attempts.append((self.seed, self.steps, "solved"))
            elif result.diverged or self.trainer.state == DIVERGED or self.steps >= self.patience:
                self.attempts.append((self.seed, self.steps, "stuck, restarted"))
                if len(self.attempts) >= self.max_attempts:
                    self.gave_up = True
                else:
                    self._start(self.seed + 1)
        return self.done

    def run(self, max_steps: int = 20_000) -> XorForward:
        self.step(max_steps)
        return self.forward()


def format_forward(forward: XorForward, title: str = "") -> str:
    rows = [[f"({format_number(x[0])}, {format_number(x[1])})", format_vector(z, 3), format_vector(h, 3),
             format_number(float(y), 3), format_number(float(t))]
            for x, z, h, y, t in zip(forward.inputs, forward.pre_activations, forward.hidden,
                                     forward.outputs, forward.targets)]
    name = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}[forward.activation]
    return format_table(["input x", "hidden z = xW1 + θ1", f"{name}(z)", "output y", "target"], rows, title)


def format_weights(weights: XorWeights) -> str:
    w1 = weights.hidden_weights
    return (f"W1 = [{format_vector(w1[0], 3)}, {format_vector(w1[1], 3)}], θ1 = {format_vector(weights.hidden_bias, 3)}, "
            f"W2 = {format_vector(weights.output_weights, 3)}, θ2 = {format_number(weights.output_bias, 3)}")
