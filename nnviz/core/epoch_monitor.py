"""What the trainer checks at each epoch's end besides validation and test: honest train figures,
the best epoch and early stopping.

- **Measured train figures.** The mean over an epoch's batches mixes many different weights (and
  dropout masks), so it lags behind validation early on. After each epoch the network is
  evaluated, dropout off, on a fixed random sample of the training set (``training.train_eval_size``
  examples, all of them if the set is smaller or the size is 0); the sample stays the same all run
  so the curve does not jitter with the draw.
- **Best epoch.** The epoch with the lowest validation loss (the first, on ties), with or without
  early stopping.
- **Early stopping** (``training.early_stopping`` = patience P > 0): training stops once P epochs
  in a row have not lowered the validation loss below its minimum so far, and the network gets
  back the weights of that minimum's epoch. When the run reaches its epoch limit first, the best
  weights are restored too, so with early stopping on the final network is always the best
  epoch's ("STOP when validation loss reaches its minimum").
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ConfigError
from .history import EpochRecord

CHUNK = 1000  # examples per forward pass when measuring: bounds the memory of conv layers
_SAMPLE_STREAM = 3  # child of the run's SeedSequence; the trainer uses children 0-2


def train_sample_indices(n_train: int, size: int, seed: int) -> np.ndarray | None:
    """Sorted indices of the fixed training sample, or None for the whole training set."""
    if size <= 0 or size >= n_train:
        return None
    stream = np.random.SeedSequence(seed).spawn(_SAMPLE_STREAM + 1)[_SAMPLE_STREAM]
    return np.sort(np.random.default_rng(stream).choice(n_train, size=size, replace=False))


class EpochMonitor:
    """Train-sample measurement, best-epoch tracking and early stopping for one `Trainer`.

    A panel reads ``best_epoch``, ``stopped_epoch`` (None unless early stopping ended the run) and
    ``restored_epoch`` (the epoch whose weights the network holds after a restore, else None).
    """

    def __init__(self, patience: int, n_train: int, sample_size: int, seed: int, has_validation: bool) -> None:
        if patience and not has_validation:
            raise ConfigError("training.early_stopping needs validation data, and this run has none: "
                              "set data.val_size above 0 or turn early stopping off")
        self.patience = int(patience)
        self.train_sample = train_sample_indices(n_train, sample_size, seed)
        self.n_measured = n_train if self.train_sample is None else int(self.train_sample.size)
        self.best_epoch: int | None = None
        self.best_val_loss = math.inf
        self.stopped_epoch: int | None = None
        self.restored_epoch: int | None = None
        self._best_params: np.ndarray | None = None

    def measure_train(self, network, loss, x: np.ndarray, y: np.ndarray, check=None) -> tuple[float, float, int]:
        """Loss, accuracy and example count of the current weights on the training sample; ``check``
        is called before each chunk (it may raise RunInterrupted)."""
        rows = self.train_sample
        n = self.n_measured
        total_loss, correct = 0.0, 0
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            if check is not None:
                check()
            if rows is None:
                xb, yb = x[start:stop], y[start:stop]
            else:
                xb, yb = x.take(rows[start:stop], axis=0), y.take(rows[start:stop])
            outputs = network.forward(xb, training=False)
            total_loss += loss.forward(outputs, yb) * (stop - start)  # losses are batch means
            correct += int(np.count_nonzero(loss.predict_labels(outputs) == yb))
        return total_loss / max(n, 1), correct / max(n, 1), n

    def end_of_epoch(self, trainer, record: EpochRecord) -> None:
        """Track the validation-loss minimum; stop and restore its weights when patience runs out.

        Called after the trainer has counted the epoch, so ``trainer.finished`` is up to date.
        """
        if record.val_total and record.val_loss < self.best_val_loss:  # NaN never counts as better
            self.best_val_loss, self.best_epoch = record.val_loss, record.epoch
            if self.patience:
                self._best_params = trainer.network.flat_params.copy()  # one array: every parameter
        elif self.patience and self.best_epoch is not None and record.epoch - self.best_epoch >= self.patience:
            self.stopped_epoch = record.epoch
        if self.patience and self._best_params is not None and (self.stopped_epoch or trainer.finished):
            self._restore_best(trainer, record.epoch)

    def _restore_best(self, trainer, last_epoch: int) -> None:
        self.restored_epoch = self.best_epoch
        if self.best_epoch == last_epoch:
            return  # the network already holds these weights
        trainer.network.flat_params[...] = self._best_params
        for split in ("val", "test"):  # the panels' confusion matrices then show the kept weights
            if trainer.dataset.size(split):
                trainer.evaluate(split)
        why = (f"the validation loss has not improved for {self.patience} epochs"
               if self.stopped_epoch else "the run reached its last epoch")
        trainer.message = (f"Early stopping: {why}; stopped after epoch {last_epoch} and restored the weights "
                           f"of epoch {self.best_epoch} (validation loss {self.best_val_loss:.4f}, its minimum).")

    def weights_record(self, epochs: list[EpochRecord]) -> EpochRecord | None:
        """The record of the epoch whose weights the network holds now (the last one unless restored)."""
        if not epochs:
            return None
        if self.restored_epoch is not None:
            return epochs[self.restored_epoch - 1]
        return epochs[-1]
