"""The status bar in the lectures' vocabulary: epoch, batch within the epoch, samples per second,
state, an epoch progress bar and the latest validation (or test) accuracy."""

from __future__ import annotations

import math

from PySide6 import QtWidgets

from nnviz.core.record import RunRecord

STATE_WORDS = {"empty": "no run", "loading": "loading…", "ready": "ready", "running": "running",
               "paused": "paused", "diverged": "diverged", "finished": "finished", "stopped": "stopped"}


def status_text(snapshot: RunRecord, state: str, total_epochs: int) -> str:
    """E.g. "Epoch 3 / 30 · batch 312 / 5,000 · 61,000 samples/s · running"."""
    epoch = snapshot.epoch if state == "finished" or snapshot.batch_in_epoch == 0 and snapshot.epoch else \
        snapshot.epoch + 1
    epoch = max(epoch, 1)
    batch = snapshot.batches_in_epoch if state == "finished" or (snapshot.batch_in_epoch == 0 and snapshot.epoch) \
        else snapshot.batch_in_epoch
    speed = snapshot.wall_samples_per_second or snapshot.samples_per_second
    parts = [f"Epoch {epoch} / {total_epochs}", f"batch {batch:,} / {snapshot.batches_in_epoch:,}",
             f"iteration {snapshot.iteration:,}"]
    if state == "running" and speed > 0:
        parts.append(f"{speed:,.0f} samples/s")
    parts.append(STATE_WORDS.get(state, state))
    return " · ".join(parts)


def accuracy_text(snapshot: RunRecord) -> str:
    curves = snapshot.epochs
    for split, label in (("val", "validation"), ("test", "test"), ("train", "train")):
        values = getattr(curves, f"{split}_accuracy")
        if values.size and math.isfinite(values[-1]):
            return f"{label} accuracy {values[-1]:.1%} after epoch {int(curves.epoch[-1])}"
    return ""


class RunStatusBar(QtWidgets.QStatusBar):
    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_label = QtWidgets.QLabel("no run")
        # It wraps onto a second line rather than widening the window past a projector's screen.
        self.run_label.setWordWrap(True)
        self.run_label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.run_label.setMinimumWidth(200)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setFixedWidth(220)
        self.progress.setFormat("epoch %p%")
        self.progress.setToolTip("Progress through the current epoch")
        self.accuracy_label = QtWidgets.QLabel()
        self.accuracy_label.setWordWrap(True)  # "· train measured on …" made it wider than a projector
        self.accuracy_label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                                          QtWidgets.QSizePolicy.Policy.Preferred)
        self.accuracy_label.setMinimumWidth(200)
        self.addPermanentWidget(self.run_label, 1)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.accuracy_label, 1)
        self.total_epochs = 1
        self.train_measured = 0  # training examples the epoch's train figures are measured on (0: unknown)
        self.state = "empty"

    def show_snapshot(self, snapshot: RunRecord) -> None:
        self.state = snapshot.run_state or self.state
        self.run_label.setText(status_text(snapshot, self.state, self.total_epochs))
        done = snapshot.batch_in_epoch if snapshot.batch_in_epoch or not snapshot.epoch else snapshot.batches_in_epoch
        self.progress.setRange(0, max(snapshot.batches_in_epoch, 1))
        self.progress.setValue(done if self.state != "finished" else snapshot.batches_in_epoch)
        text = accuracy_text(snapshot)
        if text and self.train_measured:
            text += f" · train measured on {self.train_measured:,} examples"
        self.accuracy_label.setText(text)
        self.accuracy_label.setToolTip(
            f"The train loss and accuracy of each epoch are measured at the epoch's end (dropout off) on "
            f"{self.train_measured:,} training examples; the running mean over the batches is the per-batch curve"
            if self.train_measured else "")

    def show_state(self, state: str) -> None:
        """A state change before the next snapshot arrives (e.g. loading)."""
        self.state = state
        if state in ("loading", "empty"):
            self.run_label.setText(STATE_WORDS[state])
