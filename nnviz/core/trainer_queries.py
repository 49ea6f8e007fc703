"""Questions the window asks a trainer besides its record (Qt-free, answered in the thread that
owns the trainer): the architecture of a new run, a confusion cell's examples, the next
misclassified input. Everything returned is a copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.core.config import RunConfig
from nnviz.core.network import LayerCount
from nnviz.core import record


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
    train_measured: int = 0  # training examples the epoch's train figures are measured on


def run_info(trainer) -> RunInfo:
    dataset = trainer.dataset
    return RunInfo(
        config=trainer.config, dataset_name=dataset.name, dataset_kind=dataset.kind,
        class_names=tuple(dataset.class_names),
        split_sizes={s: dataset.size(s) for s in ("train", "val", "test")},
        input_shape=dataset.input_shape, layers=tuple(trainer.network.layer_counts()),
        n_params=trainer.network.n_params, train_measured=trainer.monitor.n_measured)


def usable_split(trainer, split: str) -> str:
    """``split`` if it has examples, else the first of test / val / train that has."""
    return record.usable_split(trainer.dataset, split)


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
