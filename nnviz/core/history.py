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


KEEP_ITERATIONS = 1 << 20  # iteration losses kept in memory (4 MB); see History


@dataclass(slots=True)
class History:
    """Grows during training: one record per epoch, and the loss of every iteration.

    Only the newest iteration losses are kept (between half of ``keep`` and ``keep`` of them once
    a run is long): nielsen at full speed makes about 20 million in a 90-minute class, which would
    be 80 MB. Whoever needs all of them takes each new stretch as it comes (the window's curves
    bucket it, the run folder appends it to its CSV); ``start`` says which iteration is the
    oldest still held.
    """

    _loss: np.ndarray = field(default_factory=lambda: np.zeros(1024, dtype=np.float32))
    n_iterations: int = 0  # iterations done in all
    epochs: list[EpochRecord] = field(default_factory=list)
    lr_changes: list[LearningRateChange] = field(default_factory=list)  # changes made by hand, in order
    start: int = 0  # the iteration whose loss is ``_loss[0]``
    keep: int = KEEP_ITERATIONS

    def add_iteration_loss(self, value: float) -> None:
        self.reserve(1)[self.n_iterations - self.start] = value
        self.n_iterations += 1

    def reserve(self, count: int) -> np.ndarray:
        """The loss buffer, with room for ``count`` more iterations at index ``n_iterations - start``
        (the trainer writes into it directly and then advances ``n_iterations``). When the buffer
        would outgrow ``keep``, the older half is dropped (and ``start`` moves on)."""
        held = self.n_iterations - self.start
        size = self._loss.shape[0]
        if held + count <= min(size, max(self.keep, count)):
            return self._loss
        kept = held if held + count <= self.keep else min(held, max(self.keep // 2 - count, 0))
        new_size = max(min(2 * size, self.keep), kept + count)
        if new_size == size:
            self._loss[:kept] = self._loss[held - kept: held]  # NumPy copies overlapping ranges safely
        else:
            grown = np.zeros(new_size, dtype=self._loss.dtype)
            grown[:kept] = self._loss[held - kept: held]
            self._loss = grown
        self.start += held - kept
        return self._loss

    @property
    def iteration_loss(self) -> np.ndarray:
        """A view of the losses held (every one unless the run is long; copy it before handing it
        to another thread)."""
        return self._loss[: self.n_iterations - self.start]

    def losses_since(self, iteration: int) -> tuple[int, np.ndarray]:
        """The losses from ``iteration`` on (a view), and where they really begin: at ``start``
        if the ones asked for are no longer held."""
        first = min(max(int(iteration), self.start), self.n_iterations)
        return first, self._loss[first - self.start: self.n_iterations - self.start]

    def restore_losses(self, losses: np.ndarray, n_iterations: int) -> None:
        """Set the losses of a resumed run: ``losses`` are its last ones, up to ``n_iterations``."""
        losses = np.asarray(losses, dtype=np.float32)[-self.keep // 2:]
        self._loss = np.zeros(max(1024, 2 * losses.shape[0]), dtype=np.float32)
        self._loss[: losses.shape[0]] = losses
        self.n_iterations, self.start = int(n_iterations), int(n_iterations) - losses.shape[0]

    def epoch_column(self, name: str) -> np.ndarray:
        return np.array([getattr(record, name) for record in self.epochs], dtype=np.float64)

    @property
    def total_seconds(self) -> float:
        return float(sum(r.seconds + r.eval_seconds for r in self.epochs))
