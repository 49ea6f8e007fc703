"""Vanishing gradients: a deep sigmoid network vs the same depth with ReLU, on MNIST.

Both networks are [784, 30, 30, 30, 30, 10] (five weight layers) with a softmax cross-entropy
output, trained by plain SGD on the same mini-batches. Sigmoid layers start from Glorot (Xavier)
weights, ReLU layers from He weights, each the usual choice for its activation. After every
mini-batch the size of each layer's error signal is recorded as the norm of its bias gradient,
||dE/db|| (the batch-mean delta, Nielsen's "speed of learning" of a layer), together with the
norm of its weight gradient ||dE/dW||. With sigmoid units the signal shrinks at every layer on
its way back ("error signals get diluted as you go backward"); with ReLU it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.core.config import RunConfig
from nnviz.core.data.splits import Dataset
from nnviz.core.layers import Dense
from nnviz.core.trainer import Trainer

from nnviz.core.lessons.text_table import format_table

ACTIVATION_INIT = {"sigmoid": "xavier", "relu": "he"}


@dataclass(frozen=True)
class VanishingSettings:
    hidden: tuple[int, ...] = (30, 30, 30, 30)
    iterations: int = 300
    batch_size: int = 10
    learning_rate: float = 0.1
    train_size: int = 5000
    test_size: int = 2000
    seed: int = 0


@dataclass(frozen=True)
class GradientNorms:
    """Per-layer gradient norms of one network, one row per iteration (copies)."""

    activation: str
    layer_names: tuple[str, ...]  # "layer 1 (784→30)" ... first layer first
    bias_norms: np.ndarray  # (iterations, layers) ||dE/db||
    weight_norms: np.ndarray  # (iterations, layers) ||dE/dW||
    test_accuracy: float  # after the last iteration (NaN until measured)

    @property
    def iterations(self) -> np.ndarray:
        return np.arange(1, self.bias_norms.shape[0] + 1)


def load_vanishing_data(settings: VanishingSettings, data_dir: str | None = None) -> Dataset:
    from nnviz.core.data.loading import load_dataset

    return load_dataset("mnist", data_dir=data_dir, train_size=settings.train_size, val_size=10000,
                        test_size=settings.test_size)


def vanishing_config(activation: str, settings: VanishingSettings) -> RunConfig:
    s = settings
    return RunConfig().with_changes(**{
        "preset": f"vanishing-{activation}", "data.name": "mnist", "model.hidden": list(s.hidden),
        "model.activation": activation, "model.init": ACTIVATION_INIT[activation], "model.loss": "cross-entropy",
        "optimizer.name": "sgd", "optimizer.learning_rate": s.learning_rate, "training.batch_size": s.batch_size,
        "training.iterations": s.iterations, "training.epochs": 1000, "training.seed": s.seed})


class VanishingGradients:
    """A sigmoid and a ReLU network stepped in turn; :meth:`norms` returns what was recorded."""

    def __init__(self, settings: VanishingSettings = VanishingSettings(), data_dir: str | None = None,
                 dataset: Dataset | None = None) -> None:
        self.settings = settings
        self.dataset = dataset if dataset is not None else load_vanishing_data(settings, data_dir)
        self.trainers = {a: Trainer(vanishing_config(a, settings), self.dataset) for a in ACTIVATION_INIT}
        self._dense = {a: [layer for layer in t.network.layers if isinstance(layer, Dense)]
                       for a, t in self.trainers.items()}
        self._norms: dict[str, list[tuple[list[float], list[float]]]] = {a: [] for a in ACTIVATION_INIT}
        self._accuracy = {a: float("nan") for a in ACTIVATION_INIT}

    @property
    def iteration(self) -> int:
        return min(len(v) for v in self._norms.values())

    @property
    def finished(self) -> bool:
        return self.iteration >= self.settings.iterations

    @property
    def progress(self) -> float:
        return min(1.0, self.iteration / self.settings.iterations)

    def step(self) -> bool:
        """One mini-batch for each network; True once both have done their iterations."""
        if self.finished:
            return True
        for activation, trainer in self.trainers.items():
            result = trainer.step_batch()
            layers = self._dense[activation]
            if result.diverged:
                nan = [float("nan")] * len(layers)
                self._norms[activation].append((nan, nan))
                continue
            self._norms[activation].append(([float(np.linalg.norm(d.grads["b"])) for d in layers],
                                            [float(np.linalg.norm(d.grads["W"])) for d in layers]))
        if self.finished:
            for activation, trainer in self.trainers.items():
                self._accuracy[activation] = trainer.evaluate("test").accuracy
        return self.finished

    def run(self) -> dict[str, GradientNorms]:
        while not self.step():
            pass
        return self.norms()

    def snapshot(self) -> dict[str, GradientNorms]:
        return self.norms()

    def norms(self) -> dict[str, GradientNorms]:
        out = {}
        for activation, records in self._norms.items():
            layers = self._dense[activation]
            names = tuple(f"layer {i + 1} ({d.params['W'].shape[0]}→{d.params['W'].shape[1]})"
                          for i, d in enumerate(layers))
            bias = np.array([r[0] for r in records], dtype=np.float64).reshape(-1, len(layers))
            weight = np.array([r[1] for r in records], dtype=np.float64).reshape(-1, len(layers))
            out[activation] = GradientNorms(activation, names, bias, weight, self._accuracy[activation])
        return out


def vanishing_table(norms: dict[str, GradientNorms], settings: VanishingSettings) -> str:
    sigmoid, relu = norms["sigmoid"], norms["relu"]
    rows = [[name, float(np.nanmean(sigmoid.bias_norms[:, i])), float(np.nanmean(relu.bias_norms[:, i]))]
            for i, name in enumerate(sigmoid.layer_names)]
    rows.append(["first / last layer", float(np.nanmean(sigmoid.bias_norms[:, 0]) / np.nanmean(sigmoid.bias_norms[:, -1])),
                 float(np.nanmean(relu.bias_norms[:, 0]) / np.nanmean(relu.bias_norms[:, -1]))])
    rows.append(["test accuracy after training", sigmoid.test_accuracy, relu.test_accuracy])
    sizes = ", ".join(map(str, settings.hidden))
    return format_table(["mean ||dE/db|| per layer", "sigmoid (Xavier)", "ReLU (He)"], rows,
                        title=f"Vanishing gradients: [784, {sizes}, 10], {settings.iterations} iterations of batch "
                              f"{settings.batch_size}, η = {settings.learning_rate}, MNIST ({settings.train_size:,} images)")
