"""`Trainer`: the stepper that the window, the CLI and the labs all drive.

It owns model, data, optimiser, random generators and history. Callers step it one mini-batch
or one epoch at a time and may change the learning rate, momentum or batch size between steps;
pausing is simply not calling it. A non-finite loss never raises: the trainer goes to the
"diverged" state with a message and ignores further steps.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import numpy as np

from nnviz.core.data.augment import random_shift
from nnviz.core.config import RunConfig
from nnviz.core.data.splits import Dataset
from nnviz.core.dense_stack import DenseStack
from nnviz.core.epoch_monitor import EpochMonitor
from nnviz.core.errors import RunInterrupted
from nnviz.core.history import EpochRecord, History, LearningRateChange
from nnviz.core.losses import make_loss
from nnviz.core.metrics import accuracy, confusion_matrix
from nnviz.core.models import build_network, check_output_size
from nnviz.core.network import Sequential
from nnviz.core.optimizers import make_optimizer
from nnviz.core.run_health import RunHealth, check_run_health
from nnviz.core.training_options import parse_lr_schedule

READY, DIVERGED, FINISHED = "ready", "diverged", "finished"
# A loss this many times its first value (at least 1.0) counts as diverged: sigmoid and ReLU nets
# rarely reach NaN, they blow up to huge finite losses (or saturate) when eta is far too large.
EXPLOSION_FACTOR = 100.0


@dataclass(frozen=True, slots=True)
class BatchResult:
    iteration: int  # iterations done in total, this one included
    epoch: int  # completed epochs
    loss: float
    diverged: bool = False
    epoch_finished: EpochRecord | None = None  # set when this batch ended an epoch


@dataclass(frozen=True, slots=True)
class EvalResult:
    split: str
    loss: float
    accuracy: float
    correct: int
    total: int
    predictions: np.ndarray  # (N,) predicted class per example


class Trainer:
    """Mini-batch training of one network on one data set, one step at a time."""

    def __init__(self, config: RunConfig, dataset: Dataset | None = None, *, data_dir: str | None = None,
                 network: Sequential | None = None) -> None:
        self.config = config.validate()
        if dataset is None:
            from nnviz.core.data.loading import load_dataset  # deferred: loading reads files

            d = config.data
            dataset = load_dataset(d.name, data_dir=data_dir, train_size=d.train_size, val_size=d.val_size,
                                   test_size=d.test_size, seed=config.training.seed, noise=d.noise,
                                   n_samples=d.n_samples)
        self.dataset = dataset
        if dataset.size("train") == 0:
            raise ValueError("the training split is empty")
        init_seq, shuffle_seq, augment_seq = np.random.SeedSequence(config.training.seed).spawn(3)
        # Separate streams: changing the model does not change the batch order (A/B runs).
        self.shuffle_rng = np.random.default_rng(shuffle_seq)
        self.augment_rng = np.random.default_rng(augment_seq)
        self.network = network or build_network(config.model, dataset.input_shape, dataset.n_classes,
                                                 np.random.default_rng(init_seq))
        check_output_size(self.network.output_shape, dataset.n_classes, config.model.loss)
        self.loss = make_loss(config.model.loss)
        # Dense stacks (every MLP preset) train through the fused pass: same numbers, less overhead.
        self._dense_stack = DenseStack(self.network) if DenseStack.supports(self.network) else None
        o = config.optimizer
        self.optimizer = make_optimizer(o.name, o.learning_rate, o.momentum, o.weight_decay)
        self.batch_size = config.training.batch_size
        self.history = History()
        self.state = READY
        self.message = ""
        self.health: RunHealth | None = None  # a run that trains but learns nothing, seen after an epoch
        self.epoch = 0  # completed epochs
        self.iteration = 0
        self.batch_in_epoch = 0
        self._position = 0  # samples consumed in the current epoch
        self._x_train, self._y_train = dataset.split("train")
        self._n_train = int(self._y_train.shape[0])
        t = config.training  # measured train figures, best epoch, early stopping
        self.monitor = EpochMonitor(t.early_stopping, self._n_train, t.train_eval_size, t.seed,
                                    has_validation=dataset.size("val") > 0)
        # Predicted class of every training example of the epoch, by position in its order: a
        # chunk counts its correct answers in one go instead of three NumPy calls per batch.
        self._predicted = np.zeros(self._n_train, dtype=np.int64)
        self._order = np.arange(0)
        self._epoch_loss_sum = 0.0
        self._epoch_correct = 0
        self._epoch_seen = 0
        self._epoch_seconds = 0.0
        self._loss_limit = math.inf  # set from the first batch's loss
        self._seconds_per_batch = 0.0  # measured by step_batches, for step_for
        self.last_eval: dict[str, EvalResult] = {}
        self.stop_flag = None  # a threading.Event set from another thread to abandon an evaluation
        self._confusions: dict[str, tuple[EvalResult, np.ndarray]] = {}  # per split, for its last evaluation

    # --- settings that may change between steps ----------------------------------------------
    @property
    def learning_rate(self) -> float:
        return self.optimizer.learning_rate

    def set_learning_rate(self, value: float) -> None:
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"the learning rate must be a positive number, got {value}")
        if float(value) != self.optimizer.learning_rate:  # kept, so the curves can mark it
            position = self.epoch + self.batch_in_epoch / max(self.batches_in_epoch, 1)
            self.history.lr_changes.append(
                LearningRateChange(self.iteration, position, self.optimizer.learning_rate, float(value)))
        self.optimizer.learning_rate = float(value)

    def set_momentum(self, value: float) -> None:
        if not 0.0 <= value < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {value}")
        self.optimizer.momentum = float(value)

    def set_batch_size(self, value: int) -> None:
        """Takes effect from the next batch; the epoch's shuffled order continues."""
        if int(value) < 1:
            raise ValueError(f"the batch size must be a positive integer, got {value}")
        self.batch_size = int(value)

    def set_epochs(self, epochs: int) -> None:
        """Train for ``epochs`` in total; an explicit count replaces an iteration limit.

        A finished run given more epochs becomes steppable again.
        """
        self.config = self.config.with_changes(**{"training.epochs": int(epochs), "training.iterations": None})
        if self.state == FINISHED and not self.finished:
            self.state = READY

    # --- progress ----------------------------------------------------------------------------
    @property
    def n_train(self) -> int:
        return self._n_train

    @property
    def batches_in_epoch(self) -> int:
        """Batches of the current epoch: those done plus those left at the current batch size."""
        return self.batch_in_epoch + math.ceil((self.n_train - self._position) / self.batch_size)

    @property
    def samples_per_second(self) -> float:
        """Training speed of the epoch under way, else of the last finished epoch."""
        if self.batch_in_epoch and self._epoch_seconds > 0:
            return self._epoch_seen / self._epoch_seconds
        epochs = self.history.epochs
        return epochs[-1].samples_per_second if epochs else 0.0

    @property
    def finished(self) -> bool:
        t = self.config.training
        if self.monitor.stopped_epoch is not None:  # early stopping ended the run
            return True
        return self.epoch >= t.epochs or (t.iterations is not None and self.iteration >= t.iterations)

    # --- stepping ----------------------------------------------------------------------------
    def _start_epoch(self) -> None:
        n = self.n_train
        # A new order each epoch; batches gather their rows (x[order[i:j]]). Copying the whole
        # shuffled training set instead costs 0.1-0.3 s per epoch for MNIST (157 MB, page faults).
        self._order = self.shuffle_rng.permutation(n) if self.config.training.shuffle else np.arange(n)
        self._epoch_loss_sum = 0.0
        self._epoch_correct = 0
        self._epoch_seen = 0
        self._epoch_seconds = 0.0

    def step_batch(self) -> BatchResult:
        """Train on one mini-batch: forward, loss, backward, update."""
        return self.step_batches(1)

    def step_batches(self, count: int) -> BatchResult:
        """Train up to ``count`` mini-batches, stopping early where an epoch or the run ends or
        the loss diverges; returns the result of the last batch trained.

        Equivalent to calling `step_batch` ``count`` times, without its per-call bookkeeping:
        at Nielsen's batch of 10 that bookkeeping costs a tenth of the step, so the CLI and the
        window's worker train in chunks.
        """
        if self.state == DIVERGED or self.finished:
            if self.state != DIVERGED:
                self.state = FINISHED
            return BatchResult(self.iteration, self.epoch, math.nan, diverged=self.state == DIVERGED)
        if count < 1:  # nothing asked, nothing trained
            return BatchResult(self.iteration, self.epoch, math.nan)
        started = time.perf_counter()
        if self._position == 0:
            self._start_epoch()
        n, batch, order = self._n_train, self.batch_size, self._order
        x, y = self._x_train, self._y_train
        network, fused, loss_fn, optimizer = self.network, self._dense_stack, self.loss, self.optimizer
        if fused is None:
            forward, backward = functools.partial(network.forward, training=True), network.backward
        else:
            forward, backward = fused.forward, fused.backward
        params, flat = network.param_list, (network.flat_params, network.flat_grads)
        augment = self.config.data.augment_shift
        iterations = self.config.training.iterations
        first = self.iteration
        last = first + count if iterations is None else min(first + count, iterations)
        losses = self.history.reserve(last - first)
        done = self.history.n_iterations
        offset = done - self.history.start - first  # buffer index of iteration `it`
        predicted = self._predicted
        it, position, loss_sum, loss = first, self._position, 0.0, math.nan
        chunk_start = position
        while it < last:
            stop = min(position + batch, n)
            rows = order[position:stop]
            xb, yb = x.take(rows, axis=0), y.take(rows)  # ndarray.take: the fastest gather of rows
            if augment:
                xb = random_shift(xb, augment, self.augment_rng)
            outputs = forward(xb)
            loss = loss_fn.forward(outputs, yb)
            if not loss <= self._loss_limit:  # also catches NaN
                break
            if it == 0:
                self._loss_limit = EXPLOSION_FACTOR * max(loss, 1.0)
            backward(loss_fn.backward())
            optimizer.step(params, flat)
            loss_fn.predict_labels(outputs, predicted[position:stop])
            losses[offset + it] = loss
            loss_sum += loss * (stop - position)
            it += 1
            position = stop
            if position >= n:
                break
        self.history.n_iterations = done + it - first
        self.batch_in_epoch += it - first
        self.iteration, self._position = it, position
        self._epoch_loss_sum += loss_sum
        self._epoch_correct += int(np.count_nonzero(predicted[chunk_start:position] == y.take(order[chunk_start:position])))
        self._epoch_seen += position - chunk_start
        elapsed = time.perf_counter() - started
        self._epoch_seconds += elapsed
        if it > first:
            self._seconds_per_batch = elapsed / (it - first)
        if not loss <= self._loss_limit:
            return self._diverge(loss)
        record = self._finish_epoch() if position >= n or self.finished else None
        return BatchResult(it, self.epoch, loss, epoch_finished=record)

    def step_for(self, seconds: float) -> BatchResult:
        """Train about ``seconds`` worth of batches (at least one; never past an epoch's end),
        judged from the speed of the previous call: how the CLI and the worker train in chunks
        and still answer within ``seconds``."""
        per_batch = self._seconds_per_batch
        return self.step_batches(max(1, int(seconds / per_batch)) if per_batch > 0 else 1)

    def step_epoch(self) -> EpochRecord | None:
        """Train the rest of the current epoch; returns its record (None if it diverged or ended)."""
        while True:
            result = self.step_batches(self._n_train)
            if result.epoch_finished is not None:
                return result.epoch_finished
            if result.diverged or self.state == FINISHED:
                return None

    def run(self) -> list[EpochRecord]:
        """Train until finished or diverged (headless runs)."""
        while self.state == READY and not self.finished:
            self.step_epoch()
        return self.history.epochs

    def _diverge(self, loss: float) -> BatchResult:
        self.state = DIVERGED
        if math.isfinite(loss):
            what = f"exploded to {loss:.3g} (over {EXPLOSION_FACTOR:g}x its starting value)"
        else:
            what = "became NaN" if math.isnan(loss) else "became infinite"
        self.message = (f"Loss {what} at epoch {self.epoch + 1}, batch {self.batch_in_epoch + 1}: the run "
                        f"diverged and training stopped. Try a smaller learning rate (now {self.learning_rate:g}).")
        return BatchResult(self.iteration, self.epoch, loss, diverged=True)

    def _finish_epoch(self) -> EpochRecord:
        seen = max(self._epoch_seen, 1)
        running_loss, running_accuracy = self._epoch_loss_sum / seen, self._epoch_correct / seen
        record = EpochRecord(
            epoch=self.epoch + 1, iteration=self.iteration,
            train_loss=running_loss, train_accuracy=running_accuracy,
            train_mistakes=self._epoch_seen - self._epoch_correct, seconds=self._epoch_seconds,
            samples_per_second=self._epoch_seen / self._epoch_seconds if self._epoch_seconds > 0 else 0.0,
            learning_rate=self.learning_rate, train_loss_running=running_loss,
            train_accuracy_running=running_accuracy)
        started = time.perf_counter()
        record.train_loss, record.train_accuracy, record.train_measured = self.monitor.measure_train(
            self.network, self.loss, self._x_train, self._y_train, self.check_stop)
        for split in ("val", "test"):
            if self.dataset.size(split):
                result = self.evaluate(split)
                setattr(record, f"{split}_loss", result.loss)
                setattr(record, f"{split}_accuracy", result.accuracy)
                setattr(record, f"{split}_correct", result.correct)
                setattr(record, f"{split}_total", result.total)
        record.eval_seconds = time.perf_counter() - started
        self.history.epochs.append(record)
        schedule = parse_lr_schedule(self.config.optimizer.lr_decay)
        self.optimizer.learning_rate *= schedule.factor_after_epoch(self.epoch + 1)
        self.epoch += 1
        self.health = check_run_health(self)  # on this epoch's evaluation
        self.batch_in_epoch = 0
        self._position = 0
        self.monitor.end_of_epoch(self, record)
        if self.finished:
            self.state = FINISHED
        return record

    # --- evaluation --------------------------------------------------------------------------
    def evaluate(self, split: str) -> EvalResult:
        """Loss and accuracy of the current network on a whole split (no training)."""
        x, y = self.dataset.split(split)
        if y.shape[0] == 0:
            return EvalResult(split, math.nan, math.nan, 0, 0, np.zeros(0, dtype=np.int64))
        # Chunks of 250: a stop flag is seen within a quarter of a (CNN) chunk's time even on a busy machine.
        outputs = self.network.predict(x, batch_size=250, check=self.check_stop)
        loss = self.loss.forward(outputs, y)
        predictions = self.loss.predict_labels(outputs)
        correct = int(np.count_nonzero(predictions == y))
        result = EvalResult(split, loss, accuracy(y, predictions), correct, int(y.shape[0]), predictions)
        self.last_eval[split] = result
        return result

    def check_stop(self) -> None:
        """Between chunks of an evaluation: raise RunInterrupted once ``stop_flag`` is set (the window
        closing must not wait for 20,000 CNN forward passes)."""
        if self.stop_flag is not None and self.stop_flag.is_set():
            raise RunInterrupted("stopped during an evaluation")

    def confusion(self, split: str) -> np.ndarray | None:
        """Confusion matrix of the last evaluation of ``split`` (None before any)."""
        result = self.last_eval.get(split)
        if result is None:
            return None
        cached = self._confusions.get(split)
        if cached is None or cached[0] is not result:  # computed once per evaluation, not per snapshot
            matrix = confusion_matrix(self.dataset.split(split)[1], result.predictions, self.dataset.n_classes)
            self._confusions[split] = cached = (result, matrix)
        return cached[1].copy()

    def predict_labels(self, x: np.ndarray) -> np.ndarray:
        return self.loss.predict_labels(self.network.predict(x))

    def snapshot(self, **options):
        """The `RunRecord` of this moment (array copies); options as for `record.build_record`."""
        from nnviz.core.record import build_record

        return build_record(self, **options)
