"""`TrainingSnapshot`: what a UI may show, as copies, already in display layout.

Built in the training thread between steps; a panel only draws it. Everything is a copy, never a
view of live parameters, so the trainer can go on while the GUI draws. Cheap by design: the
probe is one input, the confusion matrix comes from the last evaluation (no extra pass).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .conv import Conv2D
from .layers import Dense


@dataclass(frozen=True, slots=True)
class EpochCurves:
    """Per-epoch figures, one entry per completed epoch (NaN where a split is empty)."""

    epoch: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray


@dataclass(frozen=True, slots=True)
class TrainingSnapshot:
    state: str  # ready | diverged | finished (the worker adds running / paused)
    message: str
    epoch: int  # completed epochs
    iteration: int  # total mini-batches
    batch_in_epoch: int
    batches_in_epoch: int
    iterations_per_epoch: float  # for plotting iteration losses against epochs
    learning_rate: float
    momentum: float
    batch_size: int
    samples_per_second: float
    train_loss: np.ndarray  # (iterations,) float32, loss per mini-batch
    epochs: EpochCurves
    first_layer_kind: str  # "dense", "conv2d" or "" (no weights)
    first_layer_weights: np.ndarray  # dense (n_in, n_out); conv (C_out, C_in, KH, KW)
    filter_images: np.ndarray  # (n, H, W) or (n, H, W, 3): one image per unit / kernel
    class_names: tuple[str, ...]
    probe_split: str = "test"
    probe_index: int = -1
    probe_input: np.ndarray | None = None  # (H, W), (H, W, 3) or (features,)
    probe_label: int = -1
    probe_prediction: int = -1
    activations: tuple[tuple[str, np.ndarray], ...] = ()  # layer name -> output for the probe
    probabilities: np.ndarray | None = None  # (K,) output values for the probe
    confusion_split: str = ""
    confusion: np.ndarray | None = None  # (K, K) int64, rows = true class
    extras: dict = field(default_factory=dict)


def filter_images(layer, input_shape: tuple[int, ...]) -> np.ndarray:
    """One display image per first-layer unit: dense rows reshaped to the input image, conv kernels."""
    if isinstance(layer, Conv2D):
        w = layer.params["W"]  # (C_out, C_in, KH, KW)
        if w.shape[1] == 3:
            return np.ascontiguousarray(w.transpose(0, 2, 3, 1))  # RGB kernels
        return w[:, 0].copy() if w.shape[1] == 1 else w.mean(axis=1)
    if isinstance(layer, Dense):
        w = layer.params["W"]  # (n_in, n_out)
        if len(input_shape) == 3:
            c, h, width = input_shape
            images = w.T.reshape(-1, c, h, width)
            return np.ascontiguousarray(images.transpose(0, 2, 3, 1)) if c == 3 else images[:, 0].copy()
        return w.T.reshape(w.shape[1], 1, -1).copy()  # 2-D points: one row per unit
    return np.zeros((0, 1, 1), dtype=np.float32)


def display_input(x: np.ndarray) -> np.ndarray:
    """(C, H, W) image -> (H, W) or (H, W, 3); vectors stay as they are."""
    if x.ndim == 3:
        return x[0].copy() if x.shape[0] == 1 else np.ascontiguousarray(x.transpose(1, 2, 0))
    return x.copy()


def build_snapshot(trainer, *, probe_index: int | None = None, probe_split: str = "test",
                   confusion_split: str | None = "val", include_loss_curve: bool = True) -> TrainingSnapshot:
    """Collect a snapshot of ``trainer``. ``probe_index`` selects an input of ``probe_split`` whose
    activations are traced (one forward pass of one example); None skips the probe."""
    history = trainer.history
    curves = EpochCurves(**{name: history.epoch_column(name) for name in
                            ("train_loss", "val_loss", "val_accuracy", "test_loss", "test_accuracy")},
                         epoch=history.epoch_column("epoch"),
                         train_accuracy=history.epoch_column("train_accuracy"))
    network = trainer.network
    first = network.first_trainable_layer()
    kind = first.kind if first is not None else ""
    weights = first.params["W"].copy() if first is not None else np.zeros((0, 0), dtype=np.float32)
    images = filter_images(first, network.input_shape) if first is not None else np.zeros((0, 1, 1))
    dataset = trainer.dataset
    probe = {}
    if probe_index is not None:
        if dataset.size(probe_split) == 0:
            probe_split = "train"
        x, y = dataset.split(probe_split)
        index = int(probe_index) % x.shape[0]
        sample = x[index:index + 1]
        taps = network.forward_with_taps(sample)
        outputs = taps[-1][1]
        probe = dict(probe_split=probe_split, probe_index=index, probe_input=display_input(sample[0]),
                     probe_label=int(y[index]), probe_prediction=int(trainer.loss.predict_labels(outputs)[0]),
                     activations=tuple((name, np.array(out[0])) for name, out in taps),
                     probabilities=np.array(trainer.loss.output_values(outputs)[0]))
    confusion = trainer.confusion(confusion_split) if confusion_split else None
    ipe = trainer.n_train / trainer.batch_size
    return TrainingSnapshot(
        state=trainer.state, message=trainer.message, epoch=trainer.epoch, iteration=trainer.iteration,
        batch_in_epoch=trainer.batch_in_epoch, batches_in_epoch=trainer.batches_in_epoch,
        iterations_per_epoch=float(math.ceil(ipe)), learning_rate=trainer.learning_rate,
        momentum=trainer.optimizer.momentum, batch_size=trainer.batch_size, samples_per_second=trainer.samples_per_second,
        train_loss=history.iteration_loss.copy() if include_loss_curve else np.zeros(0, np.float32),
        epochs=curves, first_layer_kind=kind, first_layer_weights=weights, filter_images=images,
        class_names=tuple(dataset.class_names), confusion_split=confusion_split or "",
        confusion=confusion, **probe)

