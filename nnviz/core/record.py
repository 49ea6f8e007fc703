"""`RunRecord`: a run's state at one moment, typed, as copies, already in display layout.

It is the one thing that flows out of training: the trainer's thread builds it between steps and
the window's panels, the PNG export and the run folder's readers all take it. Every field is a
copy, never a view of live parameters, so training goes on while it is drawn. Optional parts are
typed fields that are ``None`` when a run has nothing to show there (no probe, no 2-D data).
Cheap by design: the probe is one input and the confusion matrix comes from the last evaluation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnviz.core.conv import Conv2D
from nnviz.core.history import LearningRateChange
from nnviz.core.layers import ACTIVATIONS, Dense
from nnviz.core.run_health import RunHealth

GRID_SIZE = 80  # decision-boundary grid for 2-D data: 6,400 points, well under a millisecond


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
class LayerOutput:
    """One layer's output for the probe input, and where it stands among ``activations``."""

    name: str
    values: np.ndarray
    position: int


@dataclass(frozen=True, slots=True)
class DecisionGrid:
    """2-D data only: the network's "class 1" score over a grid of the input plane, the training
    points and the first layer's lines w . x + b = 0."""

    scores: np.ndarray  # (GRID_SIZE, GRID_SIZE) float32, rows = y
    extent: tuple[float, float, float, float]  # x0, x1, y0, y1
    points: np.ndarray  # (n, 2) training inputs
    labels: np.ndarray  # (n,) their classes
    feature_names: tuple[str, str]
    first_layer_bias: np.ndarray | None


@dataclass(frozen=True, slots=True)
class RunRecord:
    state: str  # the trainer's: ready | diverged | finished
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
    train_loss: np.ndarray  # (iterations - loss_offset,) float32, loss per mini-batch from loss_offset on
    epochs: EpochCurves
    first_layer_kind: str  # "dense", "conv2d" or "" (no weights)
    first_layer_weights: np.ndarray  # dense (n_in, n_out); conv (C_out, C_in, KH, KW)
    filter_images: np.ndarray  # (n, H, W) or (n, H, W, 3): one image per unit / kernel
    class_names: tuple[str, ...]
    model_kind: str = ""  # "perceptron", "mlp", "cnn", ...
    loss_offset: int = 0  # index of train_loss[0] in the whole run (a tail appends to what was sent)
    losses_kept_from: int = 0  # the oldest iteration loss still kept: an offset here is the whole curve
    run_state: str = ""  # what the window's worker is doing: running, paused, stopped, ...
    wall_samples_per_second: float = 0.0  # measured by the worker, drawing included
    probe_split: str = "test"
    probe_split_size: int = 0
    probe_index: int = -1
    probe_input: np.ndarray | None = None  # (H, W), (H, W, 3) or (features,)
    probe_label: int = -1
    probe_prediction: int = -1
    activations: tuple[tuple[str, np.ndarray], ...] = ()  # layer name -> output for the probe
    probabilities: np.ndarray | None = None  # (K,) output values for the probe
    first_layer_output: LayerOutput | None = None  # feature maps (conv) / activations (dense)
    weighted_inputs: np.ndarray | None = None  # dense on images: w_j * x per unit, (n, H, W)
    confusion_split: str = ""
    confusion: np.ndarray | None = None  # (K, K) int64, rows = true class
    decision: DecisionGrid | None = None
    health: RunHealth | None = None  # stuck at chance or dead output units, seen after an epoch
    best_epoch: int | None = None  # the epoch of the lowest validation loss so far (None: no validation yet)
    lr_changes: tuple[LearningRateChange, ...] = ()  # learning rates changed by hand mid-run


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


def build_record(trainer, *, probe_index: int | None = None, probe_split: str = "test",
                 confusion_split: str | None = "val", loss_offset: int = 0, include_loss_curve: bool = True,
                 run_state: str = "", wall_samples_per_second: float = 0.0,
                 probe_image: np.ndarray | None = None, probe_source: str = "drawn") -> RunRecord:
    """The record of ``trainer`` now. ``probe_index`` selects an input of ``probe_split`` whose
    activations are traced (one forward pass of one example); None skips the probe. A
    ``probe_image`` (the network's input shape, e.g. a drawn digit) is traced instead, with
    ``probe_split`` = ``probe_source`` and no true class (label and index -1). With
    ``loss_offset`` > 0 only the iteration losses from that index on are copied (the curves append
    them), so a long run does not copy its whole loss curve 20 times a second; a long run holds only
    its newest losses, so an offset before ``history.start`` gets those it still has."""
    history = trainer.history
    dataset = trainer.dataset
    probe_split = usable_split(dataset, probe_split)
    confusion_split = usable_split(dataset, confusion_split) if confusion_split else None
    curves = EpochCurves(**{name: history.epoch_column(name) for name in
                            ("train_loss", "val_loss", "val_accuracy", "test_loss", "test_accuracy")},
                         epoch=history.epoch_column("epoch"),
                         train_accuracy=history.epoch_column("train_accuracy"))
    network = trainer.network
    first = network.first_trainable_layer()
    kind = first.kind if first is not None else ""
    weights = first.params["W"].copy() if first is not None else np.zeros((0, 0), dtype=np.float32)
    images = filter_images(first, network.input_shape) if first is not None else np.zeros((0, 1, 1))
    loss_offset, losses = history.losses_since(loss_offset)
    train_loss = losses.copy() if include_loss_curve else np.zeros(0, np.float32)
    if probe_image is not None:
        probe = _probe(trainer, -1, probe_source, images, custom=probe_image)
    else:
        probe = _probe(trainer, probe_index, probe_split, images) if probe_index is not None else {}
    confusion = trainer.confusion(confusion_split) if confusion_split else None
    ipe = trainer.n_train / trainer.batch_size
    return RunRecord(
        state=trainer.state, message=trainer.message, epoch=trainer.epoch, iteration=trainer.iteration,
        batch_in_epoch=trainer.batch_in_epoch, batches_in_epoch=trainer.batches_in_epoch,
        iterations_per_epoch=float(math.ceil(ipe)), learning_rate=trainer.learning_rate,
        momentum=trainer.optimizer.momentum, batch_size=trainer.batch_size,
        samples_per_second=trainer.samples_per_second, train_loss=train_loss, epochs=curves,
        first_layer_kind=kind, first_layer_weights=weights, filter_images=images,
        class_names=tuple(dataset.class_names), model_kind=trainer.config.model.kind, loss_offset=loss_offset,
        losses_kept_from=history.start, run_state=run_state or trainer.state,
        wall_samples_per_second=wall_samples_per_second,
        probe_split_size=dataset.size(probe_split), confusion_split=confusion_split or "", confusion=confusion,
        decision=_decision_grid(trainer) if dataset.kind == "points" else None,
        health=getattr(trainer, "health", None), best_epoch=trainer.monitor.best_epoch,
        lr_changes=tuple(history.lr_changes), **probe)


def usable_split(dataset, split: str) -> str:
    """``split`` if it has examples, else the first of test / val / train that has."""
    if dataset.size(split):
        return split
    return next((s for s in ("test", "val", "train") if dataset.size(s)), split)


def _probe(trainer, probe_index: int, split: str, images: np.ndarray, custom: np.ndarray | None = None) -> dict:
    """The probe input's activations, output, and the first layer's view of it."""
    network = trainer.network
    if custom is not None:  # an input from outside the data set: no index, no true class
        index, sample = -1, np.asarray(custom, dtype=network.dtype)[None]
        y = np.array([-1])
    else:
        x, y = trainer.dataset.split(split)
        index = int(probe_index) % x.shape[0]
        sample = x[index:index + 1]
    taps = network.forward_with_taps(sample)
    outputs = taps[-1][1]
    activations = tuple((name, np.array(out[0])) for name, out in taps)
    probe_input = display_input(sample[0])
    probe = dict(probe_split=split, probe_index=index, probe_input=probe_input, probe_label=int(y[index]),
                 probe_prediction=int(trainer.loss.predict_labels(outputs)[0]), activations=activations,
                 probabilities=np.array(trainer.loss.output_values(outputs)[0]))
    first = network.first_trainable_layer()
    if first is None:
        return probe
    layers = network.layers
    position = layers.index(first)
    # The first layer's activations when an activation layer follows it, else its raw output.
    after = position + 1 if position + 1 < len(layers) and layers[position + 1].kind in ACTIVATIONS else position
    name, output = activations[after]
    probe["first_layer_output"] = LayerOutput(name, output, after)
    if first.kind == "dense" and probe_input.ndim >= 2:
        pixels = np.asarray(probe_input, dtype=np.float32)
        if pixels.ndim == images.ndim - 1 and pixels.shape == images.shape[1:]:
            probe["weighted_inputs"] = images * pixels[None]
    return probe


def _decision_grid(trainer) -> DecisionGrid:
    x, y = trainer.dataset.split("train")
    low, high = x.min(axis=0), x.max(axis=0)
    margin = np.maximum((high - low) * 0.15, 0.25)
    low, high = low - margin, high + margin
    gx = np.linspace(low[0], high[0], GRID_SIZE, dtype=np.float32)
    gy = np.linspace(low[1], high[1], GRID_SIZE, dtype=np.float32)
    mesh = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    values = trainer.loss.output_values(trainer.network.predict(mesh))
    score = values[:, 1] if values.shape[1] > 1 else values[:, 0]  # "class 1" score
    first = trainer.network.first_trainable_layer()
    bias = first.params["b"].copy() if first is not None and "b" in first.params else None
    names = tuple(trainer.dataset.feature_names or ("x1", "x2"))
    return DecisionGrid(np.asarray(score, dtype=np.float32).reshape(GRID_SIZE, GRID_SIZE),
                        (float(low[0]), float(high[0]), float(low[1]), float(high[1])), x.copy(), y.copy(),
                        (names[0], names[1]), bias)
