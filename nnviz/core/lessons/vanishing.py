"""Vanishing and exploding gradients: a deep sigmoid network, the same depth with ReLU, and ReLU
started from large weights, on MNIST.

All networks are [784, 30, 30, 30, 30, 10] (five weight layers) with a softmax cross-entropy
output, trained by plain SGD on the same mini-batches. Sigmoid layers start from Glorot (Xavier)
weights, ReLU layers from He weights, each the usual choice for its activation; the third network
("exploding") is ReLU with weights drawn from N(0, 1), Nielsen's network.py default: for 30 inputs
per unit that is ~3.9 times He's s.d. sqrt(2/30), so on its way back the error signal is multiplied
by about sqrt(30/2) x 1 / 1.25 ~ 3 at every layer instead of ~1. Its gradients are so large that
the others' eta = 0.1 blows its loss up on the second batch (training diverges: the slides'
"exploding gradients"); it trains with its own, smaller eta so its gradients can be watched. After every
mini-batch the size of each layer's error signal is recorded as the norm of its bias gradient,
||dE/db|| (the batch-mean delta, Nielsen's "speed of learning" of a layer), together with the
norm of its weight gradient ||dE/dW||. With sigmoid units the signal shrinks at every layer on
its way back ("error signals get diluted as you go backward"); with ReLU it does not; with large
weights it grows at every layer.
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
class NetworkChoice:
    """One of the compared networks: its hidden activation and weight initialisation."""

    title: str
    short: str  # a table column's header
    activation: str
    init: str
    large_init: bool = False  # weights N(0, large_init_std^2), trained with large_init_learning_rate


NETWORKS = {"sigmoid": NetworkChoice("sigmoid (Xavier init)", "sigmoid (Xavier)", "sigmoid", "xavier"),
            "relu": NetworkChoice("ReLU (He init)", "ReLU (He)", "relu", "he"),
            "exploding": NetworkChoice("ReLU, large init N(0, 1)", "ReLU, N(0, 1)", "relu", "normal", large_init=True)}


@dataclass(frozen=True)
class VanishingSettings:
    hidden: tuple[int, ...] = (30, 30, 30, 30)
    iterations: int = 300
    batch_size: int = 10
    learning_rate: float = 0.1
    train_size: int = 5000
    test_size: int = 2000
    seed: int = 0
    networks: tuple[str, ...] = ("sigmoid", "relu", "exploding")
    large_init_std: float = 1.0
    large_init_learning_rate: float = 0.0001  # 0.1 diverges on the second batch; 0.001 lets ReLUs die off


@dataclass(frozen=True)
class GradientNorms:
    """Per-layer gradient norms of one network, one row per iteration (copies)."""

    activation: str  # the network's key in NETWORKS: "sigmoid", "relu" or "exploding"
    layer_names: tuple[str, ...]  # "layer 1 (784→30)" ... first layer first
    bias_norms: np.ndarray  # (iterations, layers) ||dE/db||
    weight_norms: np.ndarray  # (iterations, layers) ||dE/dW||
    test_accuracy: float  # after the last iteration (NaN until measured)
    diverged_at: int = 0  # the iteration whose loss blew up (0: none); the norms are NaN from there

    @property
    def title(self) -> str:
        return NETWORKS[self.activation].title if self.activation in NETWORKS else self.activation

    def growth(self) -> float:
        """Mean ||dE/db|| of layer 1 over the output layer's: < 1 vanishing, > 1 exploding."""
        means = np.nanmean(self.bias_norms, axis=0) if np.isfinite(self.bias_norms).any() else None
        return float(means[0] / means[-1]) if means is not None and means[-1] > 0 else float("nan")

    @property
    def iterations(self) -> np.ndarray:
        return np.arange(1, self.bias_norms.shape[0] + 1)


def load_vanishing_data(settings: VanishingSettings, data_dir: str | None = None) -> Dataset:
    from nnviz.core.data.loading import load_dataset

    return load_dataset("mnist", data_dir=data_dir, train_size=settings.train_size, val_size=10000,
                        test_size=settings.test_size)


def vanishing_config(network: str, settings: VanishingSettings) -> RunConfig:
    """The run config of network ``network`` (a key of NETWORKS; "sigmoid" and "relu" are also activations)."""
    s, choice = settings, NETWORKS[network]
    return RunConfig().with_changes(**{
        "preset": f"vanishing-{network}", "data.name": "mnist", "model.hidden": list(s.hidden),
        "model.activation": choice.activation, "model.init": choice.init, "model.loss": "cross-entropy",
        "model.init_std": s.large_init_std if choice.large_init else 1.0, "optimizer.name": "sgd",
        "optimizer.learning_rate": s.large_init_learning_rate if choice.large_init else s.learning_rate,
        "training.batch_size": s.batch_size, "training.iterations": s.iterations, "training.epochs": 1000,
        "training.seed": s.seed})


class VanishingGradients:
    """The networks of ``settings.networks`` stepped in turn; :meth:`norms` returns what was recorded."""

    def __init__(self, settings: VanishingSettings = VanishingSettings(), data_dir: str | None = None,
                 dataset: Dataset | None = None) -> None:
        self.settings = settings
        self.dataset = dataset if dataset is not None else load_vanishing_data(settings, data_dir)
        self.trainers = {a: Trainer(vanishing_config(a, settings), self.dataset) for a in settings.networks}
        self._dense = {a: [layer for layer in t.network.layers if isinstance(layer, Dense)]
                       for a, t in self.trainers.items()}
        self._norms: dict[str, list[tuple[list[float], list[float]]]] = {a: [] for a in settings.networks}
        self._accuracy = {a: float("nan") for a in settings.networks}
        self._diverged_at = {a: 0 for a in settings.networks}

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
                self._diverged_at[activation] = self._diverged_at[activation] or len(self._norms[activation]) + 1
                nan = [float("nan")] * len(layers)
                self._norms[activation].append((nan, nan))
                continue
            self._norms[activation].append(([float(np.linalg.norm(d.grads["b"])) for d in layers],
                                            [float(np.linalg.norm(d.grads["W"])) for d in layers]))
        if self.finished:
            for activation, trainer in self.trainers.items():
                if not self._diverged_at[activation]:
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
            out[activation] = GradientNorms(activation, names, bias, weight, self._accuracy[activation],
                                            self._diverged_at[activation])
        return out


def vanishing_table(norms: dict[str, GradientNorms], settings: VanishingSettings) -> str:
    shown = [norms[k] for k in NETWORKS if k in norms]
    names = shown[0].layer_names
    rows = [[name] + [float(np.nanmean(n.bias_norms[:, i])) for n in shown] for i, name in enumerate(names)]
    rows.append(["first / last layer"] + [n.growth() for n in shown])
    rows.append(["test accuracy after training"] + [n.test_accuracy for n in shown])
    sizes = ", ".join(map(str, settings.hidden))
    etas = f"η = {settings.learning_rate}"
    if "exploding" in norms:
        diverged = norms["exploding"].diverged_at
        etas += (f" (large init N(0, {settings.large_init_std:g}²): η = {settings.large_init_learning_rate}"
                 + (f", diverged at iteration {diverged}" if diverged else "") + ")")
    headers = [NETWORKS[n.activation].short for n in shown]
    return format_table(["mean ||dE/db|| per layer", *headers], rows,
                        title=f"Vanishing and exploding gradients: [784, {sizes}, 10], {settings.iterations} "
                              f"iterations of batch {settings.batch_size}, {etas}, "
                              f"MNIST ({settings.train_size:,} images)")
