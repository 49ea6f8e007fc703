"""The `Dataset` every trainer and panel consumes: three splits plus how to show them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SPLITS = ("train", "val", "test")


@dataclass(slots=True)
class Dataset:
    """Train / validation / test arrays of one data set.

    Images are ``(N, C, H, W)`` float32 in [0, 1]; 2-D points are ``(N, 2)`` float32.
    Labels are ``(N,)`` int64 class indices. A split may be empty (0 rows) when a
    preset trains on the whole training file (e.g. ``two-layer-net`` on 60k).
    """

    name: str
    class_names: list[str]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    kind: str = "image"  # "image" or "points"
    feature_names: list[str] = field(default_factory=list)  # axis labels for 2-D sets

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.x_train.shape[1:])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(x, y)`` of ``"train"``, ``"val"`` or ``"test"``."""
        if name == "train":
            return self.x_train, self.y_train
        if name == "val":
            return self.x_val, self.y_val
        if name == "test":
            return self.x_test, self.y_test
        raise ValueError(f"unknown split {name!r}; use one of {', '.join(SPLITS)}")

    def size(self, name: str) -> int:
        return int(self.split(name)[1].shape[0])
