"""Accuracy and the confusion matrix."""

from __future__ import annotations

import numpy as np


def confusion_matrix(true_labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """``(K, K)`` int64 counts; row = true class, column = predicted class."""
    index = true_labels.astype(np.int64) * n_classes + predicted.astype(np.int64)
    return np.bincount(index, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def accuracy(true_labels: np.ndarray, predicted: np.ndarray) -> float:
    if true_labels.size == 0:
        return float("nan")
    return float(np.mean(true_labels == predicted))


def normalize_rows(confusion: np.ndarray) -> np.ndarray:
    """Each row divided by its total (recall per class); empty rows stay 0."""
    totals = confusion.sum(axis=1, keepdims=True)
    return np.divide(confusion, totals, out=np.zeros(confusion.shape, dtype=np.float64), where=totals > 0)
