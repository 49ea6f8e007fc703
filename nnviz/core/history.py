"""Training history: loss per iteration and one record per epoch."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np


@dataclass(slots=True)
class EpochRecord:
    """Figures at the end of one epoch.

    ``train_loss`` / ``train_accuracy`` are measured after the epoch, with its final weights and
    dropout off, on ``train_measured`` training examples (a fixed sample, or all of them). The
    means over the epoch's batches while the weights changed (what Keras reports) are kept as
    ``train_loss_running`` / ``train_accuracy_running``; where nothing was measured
    (``train_measured`` = 0) both pairs hold the running means.
    """

    epoch: int
    iteration: int
    train_loss: float
    train_accuracy: float
    val_loss: float = math.nan
    val_accuracy: float = math.nan
    val_correct: int = 0
    val_total: int = 0
    test_loss: float = math.nan
    test_accuracy: float = math.nan
    test_correct: int = 0
    test_total: int = 0
    train_mistakes: int = 0  # misclassified training samples seen during the epoch (perceptron)
    seconds: float = 0.0  # training time of this epoch, evaluation excluded
    eval_seconds: float = 0.0
    samples_per_second: float = 0.0
    learning_rate: float = 0.0
    train_loss_running: float = math.nan
    train_accuracy_running: float = math.nan
    train_measured: int = 0  # training examples behind train_loss / train_accuracy (0: running means)

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


EPOCH_FIELDS = tuple(f.name for f in fields(EpochRecord))


@dataclass(frozen=True, slots=True)
class LearningRateChange:
    """A learning rate changed by hand mid-run (not by a schedule): where, and from what to what."""

    iteration: int  # iterations done when the new rate took over
    epoch: float  # the same moment in epochs (3.25: a quarter into the fourth epoch), the curves' x
    old: float
    new: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(slots=True)
class History:
    """Grows during training; ``iteration_loss`` is a preallocated buffer doubled when full."""

    _loss: np.ndarray = field(default_factory=lambda: np.zeros(1024, dtype=np.float32))
    n_iterations: int = 0
    epochs: list[EpochRecord] = field(default_factory=list)
    lr_changes: list[LearningRateChange] = field(default_factory=list)  # changes made by hand, in order

    def add_iteration_loss(self, value: float) -> None:
        self.reserve(1)[self.n_iterations] = value
        self.n_iterations += 1

    def reserve(self, count: int) -> np.ndarray:
        """The loss buffer, grown so that ``count`` more iterations fit (the trainer writes into it
        directly and then advances ``n_iterations``)."""
        needed = self.n_iterations + count
        if needed > self._loss.shape[0]:
            grown = np.zeros(max(needed, 2 * self._loss.shape[0]), dtype=self._loss.dtype)
            grown[: self.n_iterations] = self._loss[: self.n_iterations]
            self._loss = grown
        return self._loss

    @property
    def iteration_loss(self) -> np.ndarray:
        """A view of the losses so far (copy it before handing it to another thread)."""
        return self._loss[: self.n_iterations]

    def epoch_column(self, name: str) -> np.ndarray:
        return np.array([getattr(record, name) for record in self.epochs], dtype=np.float64)

    @property
    def total_seconds(self) -> float:
        return float(sum(r.seconds + r.eval_seconds for r in self.epochs))
