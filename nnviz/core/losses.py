"""Losses: ``forward(outputs, labels) -> batch mean`` and ``backward() -> dL/d outputs``.

Targets are integer class labels ``(N,)``. With K > 1 outputs they are one-hot encoded; with a
single output unit the label itself (0 or 1) is the target, as in XOR and the perceptron.
"""

from __future__ import annotations

import functools
from typing import ClassVar

import numpy as np

from nnviz.core.layers import _buffer, softmax


def targets_like(outputs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Float targets with the shape of ``outputs``: one-hot rows, or the labels as a column."""
    n, k = outputs.shape
    if k == 1:
        return labels.astype(outputs.dtype).reshape(n, 1)
    t = np.zeros((n, k), dtype=outputs.dtype)
    t[np.arange(n), labels] = 1
    return t


def difference_to_targets(outputs: np.ndarray, labels: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``outputs - targets`` (into ``out`` if given).

    One-hot rows are gathered from a cached identity matrix with ``ndarray.take``: two NumPy calls
    and no ``np.*`` function wrappers, which matters at Nielsen's batch of 10.
    """
    n, k = outputs.shape
    if k == 1:
        targets = labels.astype(outputs.dtype).reshape(n, 1)
    else:
        targets = _identity(k, outputs.dtype).take(labels, axis=0)
    return np.subtract(outputs, targets, out=out)


def _labels_into(labels: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    if out is None:
        return labels
    out[...] = labels
    return out


@functools.lru_cache(maxsize=16)
def _identity(k: int, dtype: np.dtype) -> np.ndarray:
    eye = np.eye(k, dtype=dtype)
    eye.flags.writeable = False
    return eye


class Loss:
    name: ClassVar[str] = "loss"
    # The output activation the network needs in front of this loss ("linear" = raw scores).
    title: ClassVar[str] = ""

    def forward(self, outputs: np.ndarray, labels: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def predict_labels(self, outputs: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Class index per row (into ``out`` if given): arg-max, or output >= 0.5 for a single unit."""
        if outputs.shape[1] == 1:
            return _labels_into((outputs[:, 0] >= 0.5).astype(np.int64), out)
        return outputs.argmax(axis=1, out=out)

    def output_values(self, outputs: np.ndarray) -> np.ndarray:
        """What the network "says" per class, for display (probabilities where they exist)."""
        return outputs


class QuadraticCost(Loss):
    """Nielsen's quadratic cost C = 1/2 * sum_k (a_k - y_k)^2, averaged over the batch."""

    name = "quadratic"
    title = "quadratic cost ½Σ(a−y)²"

    def forward(self, outputs, labels):
        self._diff = difference_to_targets(outputs, labels, _buffer(self, "_diff_buffer", outputs.shape, outputs.dtype))
        return float(np.vdot(self._diff, self._diff)) / (2 * outputs.shape[0])

    def backward(self):
        grad = self._diff
        grad *= 1.0 / grad.shape[0]  # _diff is ours and no longer needed
        return grad


class MeanSquaredError(Loss):
    """Mean of (a - y)^2 over the batch and the outputs (Keras' "mse")."""

    name = "mse"
    title = "mean squared error"

    def forward(self, outputs, labels):
        self._diff = difference_to_targets(outputs, labels)
        d = self._diff.ravel()
        return float(np.dot(d, d)) / d.size

    def backward(self):
        return self._diff * self._diff.dtype.type(2.0 / self._diff.size)


class SoftmaxCrossEntropy(Loss):
    """Softmax fused with cross-entropy on logits: E = -mean log softmax(z)[t]; delta = y - t."""

    name = "cross-entropy"
    title = "softmax cross-entropy −Σ t log y"

    def forward(self, outputs, labels):
        n = outputs.shape[0]
        shifted = outputs - outputs.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(shifted).sum(axis=1))
        rows = np.arange(n)
        loss = float(np.mean(log_norm - shifted[rows, labels]))
        probs = np.exp(shifted - log_norm[:, None])
        probs[rows, labels] -= 1
        probs /= probs.dtype.type(n)
        self._grad = probs
        return loss

    def backward(self):
        return self._grad

    def output_values(self, outputs):
        return softmax(outputs)


class PerceptronCriterion(Loss):
    """The perceptron rule as a loss on z = w.x + b: predict step(z), error e = y - step(z).

    Its "gradient" -e makes SGD apply w <- w + eta * x * e (with batch size 1, exactly the
    classic rule; with larger batches, the average of the per-sample updates). The reported
    loss is the fraction of the batch misclassified.
    """

    name = "perceptron"
    title = "perceptron rule e = y − ŷ"

    def forward(self, outputs, labels):
        predicted = (outputs >= 0).astype(outputs.dtype)
        error = labels.astype(outputs.dtype).reshape(predicted.shape) - predicted
        self._grad = -error / outputs.dtype.type(outputs.shape[0])
        return float(np.mean(error != 0))

    def backward(self):
        return self._grad

    def predict_labels(self, outputs, out=None):
        return _labels_into((outputs[:, 0] >= 0).astype(np.int64), out)

    def output_values(self, outputs):
        return (outputs >= 0).astype(outputs.dtype)


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (QuadraticCost, MeanSquaredError, SoftmaxCrossEntropy, PerceptronCriterion)
}


def make_loss(name: str) -> Loss:
    try:
        return LOSSES[name]()
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; use one of {', '.join(LOSSES)}") from None
