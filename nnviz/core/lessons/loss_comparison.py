"""Quadratic cost vs cross-entropy: the same network, data, seed and learning rate, side by side.

Both nets are Nielsen's [784, 30, 10] with sigmoid hidden units and N(0, 1) weights and biases
(the `nielsen` preset); they differ only in the output and the cost:

- quadratic: sigmoid outputs a = sigma(z), E = 1/2 sum (a - t)^2, output delta = (a - t) * sigma'(z);
- cross-entropy: softmax outputs y, E = -sum t log y, output delta = y - t.

The two networks start from identical weights (same seed, same layer shapes) and see the same
mini-batches in the same order. Besides test accuracy, the runner records the mean size of the
output-layer delta over a fixed probe batch: with a saturated wrong output sigma'(z) ~ 0 makes the
quadratic delta (and so learning) small, which is the slides' reason cross-entropy learns faster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from nnviz.core.data.splits import Dataset
from nnviz.core.layers import softmax
from nnviz.core.presets import preset_config
from nnviz.core.trainer import Trainer

from nnviz.core.lessons.text_table import format_table

LOSS_NAMES = ("quadratic", "cross-entropy")
LOSS_TEXT = {
    "quadratic": ("Quadratic (SSE)", "E = ½ Σₖ (aₖ − tₖ)²,  a = σ(z)", "δ = (a − t) ⊙ σ'(z)"),
    "cross-entropy": ("Cross-entropy", "E = −Σₖ tₖ log yₖ,  y = softmax(z)", "δ = y − t"),
}
PROBE_SIZE = 500  # training examples on which the output deltas are measured
DELTA_EVERY = 20  # iterations between delta measurements


@dataclass(frozen=True)
class LossSettings:
    hidden: tuple[int, ...] = (30,)
    learning_rate: float = 0.5
    batch_size: int = 10
    epochs: int = 2
    train_size: int = 5000
    test_size: int = 10000
    evaluations_per_epoch: int = 4
    seed: int = 0


@dataclass(frozen=True)
class LossCurve:
    """One network's curves so far (copies)."""

    loss: str
    eval_epochs: np.ndarray  # fractional epochs of the test evaluations (0 = before training)
    test_accuracy: np.ndarray
    delta_epochs: np.ndarray
    output_delta: np.ndarray  # mean over the probe batch of |delta| (L2 norm over the 10 outputs)
    iteration_loss: np.ndarray
    seconds: float  # training time so far

    @property
    def final_accuracy(self) -> float:
        return float(self.test_accuracy[-1]) if self.test_accuracy.size else float("nan")


def load_comparison_data(settings: LossSettings, data_dir: str | None = None) -> Dataset:
    from nnviz.core.data.loading import load_dataset

    return load_dataset("mnist", data_dir=data_dir, train_size=settings.train_size, val_size=10000,
                        test_size=settings.test_size)


def output_delta(trainer: Trainer, x: np.ndarray, labels: np.ndarray) -> float:
    """Mean |delta| of the output layer (dE/dz per example, before averaging over a batch)."""
    out = trainer.network.predict(x).astype(np.float64)
    t = np.zeros_like(out)
    t[np.arange(len(labels)), labels] = 1
    if trainer.config.model.loss == "cross-entropy":
        delta = softmax(out) - t  # the network outputs logits z
    else:
        delta = (out - t) * out * (1 - out)  # out = sigma(z), sigma'(z) = a (1 - a)
    return float(np.linalg.norm(delta, axis=1).mean())


class LossComparison:
    """Two trainers stepped in turn, one mini-batch each per :meth:`step`."""

    def __init__(self, settings: LossSettings = LossSettings(), data_dir: str | None = None,
                 dataset: Dataset | None = None) -> None:
        self.settings = s = settings
        self.dataset = dataset if dataset is not None else load_comparison_data(s, data_dir)
        base = preset_config("nielsen").with_changes(**{
            "model.hidden": list(s.hidden), "optimizer.learning_rate": s.learning_rate,
            "training.batch_size": s.batch_size, "training.epochs": s.epochs, "training.seed": s.seed})
        self.trainers = {name: Trainer(base.with_changes(**{"model.loss": name}), self.dataset)
                         for name in LOSS_NAMES}
        x, y = self.dataset.split("train")
        self._probe = (x[:PROBE_SIZE], y[:PROBE_SIZE])
        first = self.trainers["quadratic"]
        self.iterations_per_epoch = first.batches_in_epoch
        self.total_iterations = self.iterations_per_epoch * s.epochs
        every = max(1, self.iterations_per_epoch // max(1, s.evaluations_per_epoch))
        self._eval_at = set(range(every, self.total_iterations + 1, every)) | {self.total_iterations}
        self._records = {name: {"eval": [], "delta": [], "seconds": 0.0} for name in LOSS_NAMES}
        for name in LOSS_NAMES:
            self._measure(name, evaluate=True)

    @property
    def iteration(self) -> int:
        return self.trainers["quadratic"].iteration

    @property
    def finished(self) -> bool:
        return all(t.finished or t.state == "diverged" for t in self.trainers.values())

    @property
    def progress(self) -> float:
        return min(1.0, self.iteration / max(1, self.total_iterations))

    def _measure(self, name: str, evaluate: bool) -> None:
        trainer, record = self.trainers[name], self._records[name]
        epoch = trainer.iteration / self.iterations_per_epoch
        record["delta"].append((epoch, output_delta(trainer, *self._probe)))
        if evaluate:
            record["eval"].append((epoch, trainer.evaluate("test").accuracy))

    def step(self) -> bool:
        """One mini-batch for each network; returns True when both are done."""
        for name, trainer in self.trainers.items():
            if trainer.finished or trainer.state == "diverged":
                continue
            started = time.perf_counter()
            trainer.step_batch()
            self._records[name]["seconds"] += time.perf_counter() - started
            i = trainer.iteration
            if i in self._eval_at or i % DELTA_EVERY == 0:
                self._measure(name, evaluate=i in self._eval_at)
        return self.finished

    def run(self) -> tuple[LossCurve, LossCurve]:
        while not self.step():
            pass
        return self.curves()

    def snapshot(self) -> tuple[LossCurve, LossCurve]:
        return self.curves()

    def curves(self) -> tuple[LossCurve, LossCurve]:
        out = []
        for name in LOSS_NAMES:
            record = self._records[name]
            evals = np.array(record["eval"], dtype=np.float64).reshape(-1, 2)
            deltas = np.array(record["delta"], dtype=np.float64).reshape(-1, 2)
            out.append(LossCurve(name, evals[:, 0], evals[:, 1], deltas[:, 0], deltas[:, 1],
                                 self.trainers[name].history.iteration_loss.copy(), record["seconds"]))
        return out[0], out[1]


def comparison_table(curves: tuple[LossCurve, LossCurve], settings: LossSettings) -> str:
    quadratic, cross_entropy = curves
    rows = []
    for i, epoch in enumerate(quadratic.eval_epochs):
        rows.append([round(float(epoch), 2), float(quadratic.test_accuracy[i]),
                     float(cross_entropy.test_accuracy[i]) if i < cross_entropy.test_accuracy.size else "-"])
    title = (f"Test accuracy: [784, {', '.join(map(str, settings.hidden))}, 10] sigmoid, η = {settings.learning_rate}, "
             f"batch {settings.batch_size}, {settings.train_size:,} training images, seed {settings.seed}")
    table = format_table(["epoch", "quadratic", "cross-entropy"], rows, title=title)
    deltas = format_table(["", "quadratic", "cross-entropy"], [
        ["mean |δ| at start", float(quadratic.output_delta[0]), float(cross_entropy.output_delta[0])],
        ["mean |δ| at end", float(quadratic.output_delta[-1]), float(cross_entropy.output_delta[-1])],
    ], title="Output-layer delta, mean over 500 training images")
    return table + "\n\n" + deltas
