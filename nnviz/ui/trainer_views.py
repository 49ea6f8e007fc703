"""What the panels need from a trainer, computed in the thread that owns it (Qt-free).

The worker and the headless exporter both call :func:`panel_snapshot`, so the window and the
PNGs written by ``nnviz train --png`` show the same thing. Everything returned is a copy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from nnviz.core.config import RunConfig
from nnviz.core.layers import ACTIVATIONS
from nnviz.core.network import LayerCount
from nnviz.core.snapshot import TrainingSnapshot, display_input

GRID_SIZE = 80  # decision-boundary grid for 2-D data: 6,400 points, well under a millisecond


@dataclass(frozen=True, slots=True)
class RunInfo:
    """A freshly built run, for the control panel's architecture table."""

    config: RunConfig
    dataset_name: str
    dataset_kind: str  # "image" | "points"
    class_names: tuple[str, ...]
    split_sizes: dict[str, int]
    input_shape: tuple[int, ...]
    layers: tuple[LayerCount, ...]
    n_params: int


@dataclass(frozen=True, slots=True)
class CellExamples:
    """The examples of one confusion-matrix cell."""

    split: str
    true_class: int
    predicted_class: int
    class_names: tuple[str, ...]
    indices: np.ndarray  # (n,) indices into the split
    inputs: np.ndarray  # (n, H, W), (n, H, W, 3) or (n, 2) points
    total: int  # examples in the cell (inputs holds at most the limit)


def run_info(trainer) -> RunInfo:
    dataset = trainer.dataset
    return RunInfo(
        config=trainer.config, dataset_name=dataset.name, dataset_kind=dataset.kind,
        class_names=tuple(dataset.class_names),
        split_sizes={s: dataset.size(s) for s in ("train", "val", "test")},
        input_shape=dataset.input_shape, layers=tuple(trainer.network.layer_counts()),
        n_params=trainer.network.n_params)


def usable_split(trainer, split: str) -> str:
    """``split`` if it has examples, else the first of test / val / train that has."""
    if trainer.dataset.size(split):
        return split
    return next(s for s in ("test", "val", "train") if trainer.dataset.size(s))


def panel_snapshot(trainer, *, probe_index: int = 0, probe_split: str = "test", confusion_split: str = "val",
                   loss_offset: int = 0) -> TrainingSnapshot:
    """``trainer.snapshot`` plus the panels' extras. With ``loss_offset`` > 0 the snapshot carries
    only the iteration losses from that index on (the curves panel appends them), so a long run
    does not copy its whole loss curve 20 times a second."""
    probe_split = usable_split(trainer, probe_split)
    confusion_split = usable_split(trainer, confusion_split)
    losses = trainer.history.iteration_loss
    loss_offset = min(max(loss_offset, 0), losses.shape[0])
    snapshot = trainer.snapshot(probe_index=probe_index, probe_split=probe_split,
                                confusion_split=confusion_split, include_loss_curve=loss_offset == 0)
    if loss_offset:
        snapshot = dataclasses.replace(snapshot, train_loss=losses[loss_offset:].copy())
    extras = snapshot.extras
    extras["loss_offset"] = loss_offset
    extras["probe_split_size"] = trainer.dataset.size(probe_split)
    extras["model_kind"] = trainer.config.model.kind
    _add_first_layer_views(trainer, snapshot)
    if trainer.dataset.kind == "points":
        _add_decision_grid(trainer, extras)
    return snapshot


def _add_first_layer_views(trainer, snapshot: TrainingSnapshot) -> None:
    """Feature maps (conv) or weighted inputs w_j * x (dense) of the first layer for the probe."""
    extras = snapshot.extras
    layers = trainer.network.layers
    first = trainer.network.first_trainable_layer()
    if first is None or not snapshot.activations:
        return
    position = layers.index(first)
    names = [name for name, _ in snapshot.activations]
    after = position + 1 if position + 1 < len(layers) and layers[position + 1].kind in ACTIVATIONS \
        else position
    name, output = snapshot.activations[after]
    extras["first_layer_output"] = (name, output)
    extras["first_layer_output_position"] = names.index(name)
    if first.kind == "dense" and snapshot.probe_input is not None and snapshot.probe_input.ndim >= 2:
        x = np.asarray(snapshot.probe_input, dtype=np.float32)
        images = snapshot.filter_images
        if x.ndim == images.ndim - 1 and x.shape == images.shape[1:]:
            extras["weighted_inputs"] = images * x[None]


def _add_decision_grid(trainer, extras: dict) -> None:
    """Network output over a grid of the input plane, the training points and the first layer's
    lines w . x + b = 0 (for the perceptron, its decision boundary)."""
    x, y = trainer.dataset.split("train")
    low, high = x.min(axis=0), x.max(axis=0)
    margin = np.maximum((high - low) * 0.15, 0.25)
    low, high = low - margin, high + margin
    gx = np.linspace(low[0], high[0], GRID_SIZE, dtype=np.float32)
    gy = np.linspace(low[1], high[1], GRID_SIZE, dtype=np.float32)
    mesh = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    values = trainer.loss.output_values(trainer.network.predict(mesh))
    score = values[:, 1] if values.shape[1] > 1 else values[:, 0]  # "class 1" score
    extras["grid"] = np.asarray(score, dtype=np.float32).reshape(GRID_SIZE, GRID_SIZE)  # rows = y
    extras["grid_extent"] = (float(low[0]), float(high[0]), float(low[1]), float(high[1]))
    extras["points"] = (x.copy(), y.copy())
    extras["feature_names"] = tuple(trainer.dataset.feature_names or ("x1", "x2"))
    first = trainer.network.first_trainable_layer()
    if first is not None and "b" in first.params:
        extras["first_layer_bias"] = first.params["b"].copy()


def cell_examples(trainer, split: str, true_class: int, predicted_class: int, limit: int = 64) -> CellExamples:
    """Examples whose label is ``true_class`` and last-evaluated prediction ``predicted_class``."""
    split = usable_split(trainer, split)
    x, y = trainer.dataset.split(split)
    result = trainer.last_eval.get(split)
    if result is None:
        result = trainer.evaluate(split)
    hits = np.flatnonzero((y == true_class) & (result.predictions == predicted_class))
    shown = hits[:limit]
    inputs = np.stack([display_input(x[i]) for i in shown]) if shown.size else np.zeros((0,) + x.shape[1:])
    return CellExamples(split, true_class, predicted_class, tuple(trainer.dataset.class_names), shown,
                        inputs, int(hits.size))


def next_misclassified(trainer, split: str, after: int, chunk: int = 500) -> int | None:
    """The next index after ``after`` (wrapping round) that the current network gets wrong."""
    split = usable_split(trainer, split)
    x, y = trainer.dataset.split(split)
    n = y.shape[0]
    order = (np.arange(n) + after + 1) % n
    for start in range(0, n, chunk):
        indices = order[start:start + chunk]
        wrong = np.flatnonzero(trainer.predict_labels(x[indices]) != y[indices])
        if wrong.size:
            return int(indices[wrong[0]])
    return None
