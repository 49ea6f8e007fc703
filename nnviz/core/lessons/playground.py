"""The 2-D classification playground: a perceptron or an MLP on a toy set, and what to draw of it.

Inputs are standardised (mean 0, standard deviation 1 on the training points) before they reach
the network, so diabetes' grams and hours train as easily as the unit square; every picture is
drawn in the data's own units. The trainer is the core's `Trainer`, driven one sample (perceptron)
or one mini-batch (MLP) at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from nnviz.core.config import RunConfig
from nnviz.core.data.splits import Dataset
from nnviz.core.layers import ACTIVATIONS, Dense
from nnviz.core.presets import preset_config
from nnviz.core.data.toy import TOY_DEFAULTS, load_toy_dataset
from nnviz.core.trainer import Trainer

from nnviz.core.lessons.text_table import format_table

MODES = ("perceptron", "mlp")
PLAYGROUND_DATASETS = ("blobs", "xor", "xor-cloud", "circles", "moons", "spiral", "diabetes")
GRID = 100  # heat-map resolution
THUMB = 28  # neuron thumbnail resolution


@dataclass(frozen=True)
class PlaygroundSettings:
    mode: str = "mlp"
    dataset: str = "moons"
    noise: float | None = None  # None: the data set's classroom default
    n_samples: int | None = None
    test_fraction: float = 0.25
    hidden: tuple[int, ...] = (8, 8)
    activation: str = "tanh"
    learning_rate: float = 0.3
    weight_decay: float = 0.0
    momentum: float = 0.9
    batch_size: int = 10
    seed: int = 0

    def changed(self, **changes) -> "PlaygroundSettings":
        return replace(self, **changes)


@dataclass(frozen=True)
class Standardizer:
    mean: np.ndarray  # (2,)
    scale: np.ndarray  # (2,)

    def apply(self, x: np.ndarray) -> np.ndarray:
        return ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale).astype(np.float32)

    def raw_line(self, w: np.ndarray, b: float) -> tuple[np.ndarray, float]:
        """w . (x - m) / s + b = 0 written as w' . x + b' = 0 in the data's units."""
        w_raw = np.asarray(w, dtype=np.float64) / self.scale
        return w_raw, float(b - w_raw @ self.mean)


@dataclass(frozen=True)
class PlaneView:
    """Everything the playground draws, as copies (built between steps)."""

    extent: tuple[float, float, float, float]  # x0, x1, y0, y1 in data units
    output: np.ndarray  # (GRID, GRID), rows = y: P(class 1) (MLP) or the perceptron's 0/1 decision
    layer_sizes: tuple[int, ...]  # (2, hidden..., outputs)
    weights: list[np.ndarray]  # per dense layer (n_in, n_out)
    biases: list[np.ndarray]
    neuron_maps: list[np.ndarray]  # per dense layer (units, THUMB, THUMB), rows = y, in [0, 1]
    line: tuple[np.ndarray, float] | None  # perceptron: w', b' of its line in data units
    iteration_loss: np.ndarray
    mistakes_per_epoch: np.ndarray  # misclassified training samples in each finished epoch
    epoch: int
    iteration: int
    train_accuracy: float
    test_accuracy: float
    converged: bool  # perceptron: an epoch without a mistake


def playground_config(settings: PlaygroundSettings) -> RunConfig:
    s = settings
    if s.mode == "perceptron":
        base = preset_config("perceptron-blobs")
        return base.with_changes(**{"data.name": s.dataset, "optimizer.learning_rate": s.learning_rate,
                                    "training.seed": s.seed, "training.epochs": 100_000, "training.shuffle": True})
    if s.mode != "mlp":
        raise ValueError(f"unknown mode {s.mode!r}; use one of {', '.join(MODES)}")
    return preset_config("xor-mlp").with_changes(**{
        "data.name": s.dataset, "model.hidden": list(s.hidden), "model.activation": s.activation,
        "optimizer.learning_rate": s.learning_rate, "optimizer.weight_decay": s.weight_decay,
        "optimizer.name": "sgd", "optimizer.momentum": s.momentum, "training.batch_size": s.batch_size,
        "training.seed": s.seed, "training.epochs": 100_000})


def playground_data(settings: PlaygroundSettings) -> Dataset:
    """The toy set with a train / test split only (the validation share goes to training)."""
    s = settings
    n_samples = s.n_samples if s.n_samples is not None else TOY_DEFAULTS[s.dataset][0]
    data = load_toy_dataset(s.dataset, n_samples=n_samples, noise=s.noise, seed=s.seed,
                            test_fraction=s.test_fraction, val_fraction=0.05)
    if s.dataset == "xor":
        return data
    empty_x, empty_y = data.x_val[:0], data.y_val[:0]
    return replace(data, x_train=np.concatenate([data.x_train, data.x_val]),
                   y_train=np.concatenate([data.y_train, data.y_val]), x_val=empty_x, y_val=empty_y)


class PlaygroundRun:
    """One network on one toy set; step it and ask for a :class:`PlaneView`."""

    def __init__(self, settings: PlaygroundSettings = PlaygroundSettings()) -> None:
        self.settings = settings
        self.raw = playground_data(settings)
        x_train = self.raw.x_train.astype(np.float64)
        scale = x_train.std(axis=0)
        self.standardizer = Standardizer(x_train.mean(axis=0), np.where(scale > 1e-9, scale, 1.0))
        st = self.standardizer.apply
        self.dataset = replace(self.raw, x_train=st(self.raw.x_train), x_val=st(self.raw.x_val),
                               x_test=st(self.raw.x_test))
        self.trainer = Trainer(playground_config(settings), self.dataset)
        points = np.concatenate([self.raw.x_train, self.raw.x_test])
        low, high = points.min(axis=0), points.max(axis=0)
        pad = 0.12 * np.maximum(high - low, 1e-6)
        self.extent = (float(low[0] - pad[0]), float(high[0] + pad[0]), float(low[1] - pad[1]), float(high[1] + pad[1]))
        self._grids = {n: self._grid(n) for n in (GRID, THUMB)}

    def _grid(self, resolution: int) -> np.ndarray:
        x0, x1, y0, y1 = self.extent
        xs, ys = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
        return self.standardizer.apply(np.column_stack([xs.ravel(), ys.ravel()]))

    @property
    def is_perceptron(self) -> bool:
        return self.settings.mode == "perceptron"

    def step(self, n_steps: int = 1) -> None:
        """``n_steps`` samples (perceptron) or mini-batches (MLP)."""
        for _ in range(n_steps):
            if self.trainer.step_batch().diverged:
                break

    def step_epoch(self) -> None:
        self.trainer.step_epoch()

    def set_learning_rate(self, value: float) -> None:
        self.trainer.set_learning_rate(value)

    def set_weight_decay(self, value: float) -> None:
        self.trainer.optimizer.weight_decay = float(value)

    def view(self) -> PlaneView:
        network, loss = self.trainer.network, self.trainer.loss
        out = loss.output_values(network.predict(self._grids[GRID]))[:, -1]
        dense_index = [i for i, layer in enumerate(network.layers) if isinstance(layer, Dense)]
        taps = network.forward_with_taps(self._grids[THUMB])
        maps = []
        for i in dense_index:  # the unit's output: after its activation when one follows
            if i + 1 < len(taps) and network.layers[i + 1].kind in ACTIVATIONS:
                values, kind = taps[i + 1][1], network.layers[i + 1].kind
            elif self.is_perceptron:  # the perceptron's output is step(z)
                values, kind = loss.output_values(taps[i][1]), "step"
            else:
                values, kind = taps[i][1], "linear"
            maps.append(_unit_range(values.astype(np.float64), kind).T.reshape(-1, THUMB, THUMB))
        weights = [network.layers[i].params["W"].astype(np.float64) for i in dense_index]
        biases = [network.layers[i].params["b"].astype(np.float64) for i in dense_index]
        line = self.standardizer.raw_line(weights[0][:, 0], float(biases[0][0])) if self.is_perceptron else None
        history = self.trainer.history
        mistakes = history.epoch_column("train_mistakes").astype(np.int64)
        return PlaneView(
            extent=self.extent, output=out.reshape(GRID, GRID).astype(np.float64),
            layer_sizes=(2, *(w.shape[1] for w in weights)), weights=weights, biases=biases,
            neuron_maps=maps, line=line, iteration_loss=history.iteration_loss.copy(),
            mistakes_per_epoch=mistakes, epoch=self.trainer.epoch, iteration=self.trainer.iteration,
            train_accuracy=self._accuracy("train"), test_accuracy=self._accuracy("test"),
            converged=bool(mistakes.size and (mistakes == 0).any()))

    def _accuracy(self, split: str) -> float:
        x, y = self.dataset.split(split)
        if y.size == 0:
            return float("nan")
        return float(np.mean(self.trainer.predict_labels(x) == y))


def _unit_range(values: np.ndarray, kind: str) -> np.ndarray:
    """Map a unit's outputs into [0, 1] for a thumbnail: sigmoid and step as they are, tanh from
    [-1, 1], anything else (ReLU, linear) by its range over the plane."""
    if kind in ("sigmoid", "step"):
        return np.clip(values, 0, 1)
    if kind == "tanh":
        return (values + 1) / 2
    low, high = values.min(axis=0), values.max(axis=0)
    return (values - low) / np.where(high - low > 1e-9, high - low, 1.0)


def perceptron_mistakes(dataset: str, epochs: int = 10, seed: int = 0) -> list[int]:
    """Misclassified training samples per epoch of the perceptron rule (0 once converged)."""
    run = PlaygroundRun(PlaygroundSettings(mode="perceptron", dataset=dataset, learning_rate=1.0, seed=seed))
    for _ in range(epochs):
        run.step_epoch()
    return [int(m) for m in run.view().mistakes_per_epoch]


def perceptron_table(epochs: int = 10) -> str:
    rows = [[name] + perceptron_mistakes(name, epochs) for name in ("blobs", "xor")]
    return format_table(["data set"] + [f"ep {i + 1}" for i in range(epochs)], rows,
                        title="Perceptron rule: misclassified training samples per epoch")


def mlp_table(settings: PlaygroundSettings = PlaygroundSettings(), epochs: int = 60) -> str:
    run = PlaygroundRun(settings)
    rows = []
    for epoch in range(1, epochs + 1):
        run.step_epoch()
        if epoch in (1, 5, 10, 20, 40, epochs):
            view = run.view()
            rows.append([epoch, float(run.trainer.history.epochs[-1].train_loss), view.train_accuracy,
                         view.test_accuracy])
    hidden = "-".join(map(str, settings.hidden))
    return format_table(["epoch", "train loss", "train accuracy", "test accuracy"], rows,
                        title=f"MLP 2-{hidden}-1 ({settings.activation}) on {settings.dataset}, "
                              f"η = {settings.learning_rate}, momentum {settings.momentum}")
