"""Evaluation a lecturer can trust: per-class precision, recall and F1, the most confused pairs,
misclassified examples sorted by the network's confidence, and the two-class view of the slides
(TP/FP/TN/FN, TPR = TP/(TP+FN), FPR = FP/(FP+TN), the ROC curve, its AUC and an operating point).

Conventions: confusion matrices have the true class in rows and the predicted class in columns
(metrics.confusion_matrix). A ratio with nothing to divide by is NaN (``null`` in JSON): the
precision of a class that is never predicted, the recall of a class with no examples; a panel shows
it as "–". F1 is 0 where precision and recall are both 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .metrics import confusion_matrix


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def _json_number(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


# --- per class -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClassMetrics:
    class_index: int
    name: str
    precision: float  # TP / (TP + FP): of the examples predicted as this class, the right ones
    recall: float  # TP / (TP + FN): of this class's examples, the ones found
    f1: float  # harmonic mean of precision and recall
    support: int  # examples of this class (its confusion row's sum)

    def to_dict(self) -> dict[str, Any]:
        return {"class": self.class_index, "name": self.name, "precision": _json_number(self.precision),
                "recall": _json_number(self.recall), "f1": _json_number(self.f1), "support": self.support}


def per_class_metrics(confusion: np.ndarray, class_names: Sequence[str] | None = None) -> list[ClassMetrics]:
    """Precision, recall, F1 and support of every class from a ``(K, K)`` confusion matrix."""
    confusion = np.asarray(confusion, dtype=np.int64)
    k = confusion.shape[0]
    if confusion.shape != (k, k):
        raise ValueError(f"a confusion matrix must be square, got shape {confusion.shape}")
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    tp = np.diag(confusion)
    support = confusion.sum(axis=1)
    precision = _ratio(tp, confusion.sum(axis=0))
    recall = _ratio(tp, support)
    with np.errstate(invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    f1 = np.where(np.isnan(precision) | np.isnan(recall), np.nan, f1)
    return [ClassMetrics(i, names[i], float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
            for i in range(k)]


def macro_average(metrics: Sequence[ClassMetrics]) -> dict[str, float]:
    """Unweighted means of precision, recall and F1 over the classes where each is defined."""
    def mean(values: list[float]) -> float:
        defined = [v for v in values if not math.isnan(v)]
        return float(np.mean(defined)) if defined else math.nan

    return {"precision": mean([m.precision for m in metrics]), "recall": mean([m.recall for m in metrics]),
            "f1": mean([m.f1 for m in metrics])}


@dataclass(frozen=True, slots=True)
class ConfusedPair:
    true_class: int
    predicted_class: int
    count: int
    fraction: float  # of the true class's examples

    def to_dict(self) -> dict[str, Any]:
        return {"true": self.true_class, "predicted": self.predicted_class, "count": self.count,
                "fraction": _json_number(self.fraction)}


def most_confused_pairs(confusion: np.ndarray, top: int = 10) -> list[ConfusedPair]:
    """The largest off-diagonal cells, largest first (ties: by true, then predicted class)."""
    confusion = np.asarray(confusion, dtype=np.int64)
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    rows, cols = np.nonzero(off)
    counts = off[rows, cols]
    order = np.lexsort((cols, rows, -counts))[:top]
    support = confusion.sum(axis=1)
    return [ConfusedPair(int(rows[i]), int(cols[i]), int(counts[i]), float(counts[i] / support[rows[i]]))
            for i in order]


# --- the network's outputs as probabilities ----------------------------------------------------
def class_probabilities(values: np.ndarray) -> np.ndarray:
    """``(N, K)`` rows summing to 1 from what a loss's ``output_values`` returns.

    Softmax outputs pass unchanged. Sigmoid outputs (Nielsen's quadratic-cost nets) are not
    probabilities; normalising each row keeps their order and makes p(A) / (p(A) + p(B)) the same
    ratio. A single output unit (two-class nets) is read as p(class 1).
    """
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"expected outputs of shape (N, K), got {values.shape}")
    if values.shape[1] == 1:
        p = np.clip(values[:, 0], 0.0, 1.0)
        return np.stack([1.0 - p, p], axis=1).astype(np.float32)
    clipped = np.maximum(values, 0.0).astype(np.float64)
    totals = clipped.sum(axis=1, keepdims=True)
    k = values.shape[1]
    out = np.divide(clipped, totals, out=np.full(clipped.shape, 1.0 / k), where=totals > 0)
    return out.astype(np.float32)


# --- the gallery -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Gallery:
    """Examples of a split, most confident first: ``indices`` into the split, and per example its
    true class, the predicted class and the probability the network gave that prediction."""

    indices: np.ndarray
    true_classes: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray

    def __len__(self) -> int:
        return int(self.indices.size)


def examples_by_confidence(probabilities: np.ndarray, labels: np.ndarray, predicted: np.ndarray | None = None, *,
                           true_class: int | None = None, predicted_class: int | None = None,
                           misclassified_only: bool = True) -> Gallery:
    """Examples sorted by the network's confidence in its prediction, highest first (ties: by index).

    ``true_class`` / ``predicted_class`` select one confusion-matrix cell (a click on it);
    ``predicted`` defaults to the arg-max of ``probabilities`` (pass the loss's own labels where
    they differ, e.g. the perceptron's step).
    """
    probabilities = np.asarray(probabilities)
    labels = np.asarray(labels, dtype=np.int64)
    if predicted is None:
        predicted = probabilities.argmax(axis=1)
    predicted = np.asarray(predicted, dtype=np.int64)
    keep = predicted != labels if misclassified_only else np.ones(labels.shape, dtype=bool)
    if true_class is not None:
        keep &= labels == true_class
    if predicted_class is not None:
        keep &= predicted == predicted_class
    indices = np.flatnonzero(keep)
    confidence = probabilities[indices, predicted[indices]].astype(np.float64)
    order = np.lexsort((indices, -confidence))
    indices = indices[order]
    return Gallery(indices, labels[indices], predicted[indices], confidence[order])


def misclassified_by_confidence(probabilities: np.ndarray, labels: np.ndarray, predicted: np.ndarray | None = None,
                                **cell: int | None) -> Gallery:
    """The mistakes, the most confidently wrong first (see `examples_by_confidence`)."""
    return examples_by_confidence(probabilities, labels, predicted, misclassified_only=True, **cell)


# --- two classes -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BinaryScores:
    """The examples of classes POS and NEG only: their indices in the split, score
    p(POS) / (p(POS) + p(NEG)) and whether each truly is POS. ``negative`` None: one-vs-rest, every
    example, scored p(POS)."""

    positive: int
    negative: int | None
    indices: np.ndarray
    scores: np.ndarray
    is_positive: np.ndarray


def binary_scores(probabilities: np.ndarray, labels: np.ndarray, positive: int,
                  negative: int | None) -> BinaryScores:
    """Score the examples of ``positive`` and ``negative`` (0.5 where both probabilities are 0);
    ``negative`` None scores every example by p(positive) (one class against the rest)."""
    k = probabilities.shape[1]
    for name, value in (("positive", positive), ("negative", negative)):
        if value is not None and not 0 <= value < k:
            raise ValueError(f"the {name} class {value} does not exist: classes are 0 to {k - 1}")
    if positive == negative:
        raise ValueError("the positive and the negative class must differ")
    labels = np.asarray(labels, dtype=np.int64)
    if negative is None:
        scores = probabilities[:, positive].astype(np.float64)
        return BinaryScores(positive, None, np.arange(labels.size), scores, labels == positive)
    indices = np.flatnonzero((labels == positive) | (labels == negative))
    p_pos = probabilities[indices, positive].astype(np.float64)
    total = p_pos + probabilities[indices, negative]
    scores = np.divide(p_pos, total, out=np.full(indices.shape, 0.5), where=total > 0)
    return BinaryScores(positive, negative, indices, scores, labels[indices] == positive)


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """Counts at one threshold: an example is called positive when its score >= threshold."""

    threshold: float
    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def tpr(self) -> float:  # recall, sensitivity
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def fpr(self) -> float:  # 1 - specificity
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else math.nan

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def accuracy(self) -> float:
        total = self.tp + self.fp + self.tn + self.fn
        return (self.tp + self.tn) / total if total else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn,
                "tpr": _json_number(self.tpr), "fpr": _json_number(self.fpr)}


def operating_point(scores: np.ndarray, is_positive: np.ndarray, threshold: float) -> OperatingPoint:
    """TP, FP, TN, FN when scores >= ``threshold`` are called positive."""
    called = np.asarray(scores) >= threshold
    truth = np.asarray(is_positive, dtype=bool)
    tp = int(np.count_nonzero(called & truth))
    fp = int(np.count_nonzero(called & ~truth))
    return OperatingPoint(float(threshold), tp, fp, int(np.count_nonzero(~truth)) - fp,
                          int(np.count_nonzero(truth)) - tp)


@dataclass(frozen=True, slots=True)
class RocCurve:
    """``fpr`` and ``tpr`` from (0, 0) to (1, 1); point i (i >= 1) is the operating point at
    threshold ``thresholds[i]``, one point per distinct score (tied scores move together, so ties
    give a diagonal step). ``thresholds[0]`` is +inf: nothing called positive."""

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray

    @property
    def auc(self) -> float:
        return trapezoid_area(self.fpr, self.tpr)

    def points(self) -> list[list[float]]:
        return [[float(f), float(t)] for f, t in zip(self.fpr, self.tpr)]


def roc_curve(scores: np.ndarray, is_positive: np.ndarray) -> RocCurve:
    """The ROC curve of scores for a two-class problem; ValueError without both classes."""
    scores = np.asarray(scores, dtype=np.float64)
    truth = np.asarray(is_positive, dtype=bool)
    n_pos = int(np.count_nonzero(truth))
    n_neg = truth.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"a ROC curve needs examples of both classes (here {n_pos} positive, {n_neg} negative)")
    order = np.argsort(-scores, kind="stable")
    ranked, ranked_truth = scores[order], truth[order]
    # The last position of each run of equal scores: all tied examples cross the threshold together.
    ends = np.flatnonzero(np.r_[ranked[1:] != ranked[:-1], True])
    tp = np.cumsum(ranked_truth)[ends]
    fp = (ends + 1) - tp
    fpr = np.r_[0.0, fp / n_neg]
    tpr = np.r_[0.0, tp / n_pos]
    return RocCurve(fpr, tpr, np.r_[np.inf, ranked[ends]])


def trapezoid_area(x: np.ndarray, y: np.ndarray) -> float:
    """Area under the polyline through (x, y) by the trapezoid rule."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


@dataclass(frozen=True, slots=True)
class BinaryEvaluation:
    scores: BinaryScores
    roc: RocCurve
    point: OperatingPoint

    @property
    def auc(self) -> float:
        return self.roc.auc

    def to_dict(self) -> dict[str, Any]:
        negative = self.scores.negative
        return {"positive": self.scores.positive, "negative": "rest" if negative is None else negative,
                "examples": int(self.scores.indices.size), **self.point.to_dict(),
                "auc": _json_number(self.auc), "roc": self.roc.points()}


def evaluate_binary(probabilities: np.ndarray, labels: np.ndarray, positive: int, negative: int | None,
                    threshold: float = 0.5) -> BinaryEvaluation:
    """Scores, ROC curve, AUC and the operating point at ``threshold`` for POS vs NEG."""
    scores = binary_scores(probabilities, labels, positive, negative)
    return BinaryEvaluation(scores, roc_curve(scores.scores, scores.is_positive),
                            operating_point(scores.scores, scores.is_positive, threshold))


# --- a whole split -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SplitEvaluation:
    """A network's answers on one split: what the Evaluation view and ``nnviz evaluate`` show."""

    split: str
    labels: np.ndarray  # (N,) true classes
    predicted: np.ndarray  # (N,) the loss's predicted classes
    probabilities: np.ndarray  # (N, K) float32, rows sum to 1
    confusion: np.ndarray  # (K, K) int64, rows = true class
    loss: float

    @property
    def accuracy(self) -> float:
        n = self.labels.size
        return float(np.trace(self.confusion) / n) if n else math.nan

    @property
    def correct(self) -> int:
        return int(np.trace(self.confusion))

    def per_class(self, class_names: Sequence[str] | None = None) -> list[ClassMetrics]:
        return per_class_metrics(self.confusion, class_names)

    def misclassified(self, **cell: int | None) -> Gallery:
        return misclassified_by_confidence(self.probabilities, self.labels, self.predicted, **cell)

    def binary(self, positive: int, negative: int | None, threshold: float = 0.5) -> BinaryEvaluation:
        return evaluate_binary(self.probabilities, self.labels, positive, negative, threshold)


def evaluate_split(network, loss, x: np.ndarray, y: np.ndarray, n_classes: int, split: str = "test") -> SplitEvaluation:
    """Run ``network`` (inference mode) over a split; ``loss`` is an nnviz Loss (for its outputs)."""
    outputs = network.predict(x)
    value = loss.forward(outputs, y) if y.size else math.nan
    predicted = loss.predict_labels(outputs).astype(np.int64)
    probabilities = class_probabilities(loss.output_values(outputs))
    return SplitEvaluation(split, np.asarray(y, dtype=np.int64), predicted, probabilities,
                           confusion_matrix(y, predicted, n_classes), float(value))
