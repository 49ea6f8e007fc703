"""`EvaluationRecord`: what the window's Evaluation view draws, computed in the trainer's thread.

One evaluation of a split (per-class metrics, the most confused pairs, a gallery of examples sorted
by the network's confidence, and the two-class ROC of a chosen positive and negative class) as
copies, like `RunRecord`. The window asks with an `EvaluationRequest`; `EvaluationCache` answers,
running the network over the split only when its weights changed since the last answer, so
choosing another confusion cell or another pair of classes costs no forward pass.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from nnviz.core.evaluation import (BinaryEvaluation, ClassMetrics, ConfusedPair, Gallery, SplitEvaluation,
                                   evaluate_split, examples_by_confidence, most_confused_pairs)
from nnviz.core.record import display_input, usable_split

GALLERY_LIMIT = 96  # thumbnails sent with a record; the gallery says how many more there are
TOP_PAIRS = 10


@dataclass(frozen=True, slots=True)
class EvaluationRequest:
    """What the Evaluation view shows: a split, the gallery's confusion cell (None: every mistake)
    and the two classes of the ROC (``negative`` None: one class against the rest)."""

    split: str = "val"
    cell: tuple[int, int] | None = None  # (true class, predicted class)
    positive: int = 0
    negative: int | None = 1


@dataclass(frozen=True, slots=True)
class EvaluationRecord:
    request: EvaluationRequest
    split: str  # the split evaluated (``request.split`` unless that one is empty)
    epoch: int  # completed epochs of the network evaluated
    iteration: int
    batch_in_epoch: int  # 0: evaluated at an epoch's end (or before training)
    class_names: tuple[str, ...]
    dataset_kind: str  # "image" | "points"
    evaluation: SplitEvaluation  # labels, predictions, probabilities, confusion matrix, loss
    per_class: tuple[ClassMetrics, ...]
    confused: tuple[ConfusedPair, ...]
    gallery: Gallery  # every example of the cell (or every mistake), most confident first
    gallery_inputs: np.ndarray  # display inputs of the first GALLERY_LIMIT gallery examples
    binary: BinaryEvaluation | None  # None when ``binary_error`` says why not
    binary_error: str
    train_measured: int  # training examples the epoch's train figures are measured on
    restored_epoch: int | None = None  # early stopping gave the network back this epoch's weights

    @property
    def n_examples(self) -> int:
        return int(self.evaluation.labels.size)


class EvaluationCache:
    """Evaluations of the current network per split, reused until the weights change."""

    def __init__(self) -> None:
        self._trainer: weakref.ref | None = None  # an id could be reused by the next run's trainer
        self._key: tuple | None = None
        self._evaluation: SplitEvaluation | None = None

    def evaluate(self, trainer, request: EvaluationRequest) -> EvaluationRecord:
        split = usable_split(trainer.dataset, request.split)
        monitor = trainer.monitor
        # Weights change with every batch, an early-stopping restore and a new trainer.
        key = (split, trainer.iteration, trainer.epoch, monitor.restored_epoch)
        same_run = self._trainer is not None and self._trainer() is trainer
        if not same_run or key != self._key or self._evaluation is None:
            x, y = trainer.dataset.split(split)
            self._evaluation = evaluate_split(trainer.network, trainer.loss, x, y, trainer.dataset.n_classes, split)
            self._trainer, self._key = weakref.ref(trainer), key
            _share_with_trainer(trainer, self._evaluation)
        return build_evaluation_record(trainer, request, split, self._evaluation)


def _share_with_trainer(trainer, evaluation: SplitEvaluation) -> None:
    """The trainer's last evaluation of the split becomes this one, so the confusion-matrix panel
    counts exactly the predictions the gallery shows (a click on a cell finds its examples)."""
    from nnviz.core.trainer import EvalResult  # deferred: the trainer module imports much of the core

    n = evaluation.labels.size
    trainer.last_eval[evaluation.split] = EvalResult(evaluation.split, evaluation.loss, evaluation.accuracy,
                                                     evaluation.correct, int(n), evaluation.predicted.copy())


def build_evaluation_record(trainer, request: EvaluationRequest, split: str,
                            evaluation: SplitEvaluation) -> EvaluationRecord:
    dataset = trainer.dataset
    names = tuple(dataset.class_names)
    k = len(names)
    cell = request.cell if request.cell is not None and all(0 <= c < k for c in request.cell) else None
    true_class, predicted_class = cell if cell is not None else (None, None)
    # A diagonal cell holds the right answers: the gallery then shows them, least sure last.
    gallery = examples_by_confidence(evaluation.probabilities, evaluation.labels, evaluation.predicted,
                                     true_class=true_class, predicted_class=predicted_class,
                                     misclassified_only=cell is None or cell[0] != cell[1])
    shown = gallery.indices[:GALLERY_LIMIT]
    x = dataset.split(split)[0]
    inputs = np.stack([display_input(x[i]) for i in shown]) if shown.size else np.zeros((0,) + x.shape[1:], x.dtype)
    binary, error = None, ""
    try:
        binary = evaluation.binary(request.positive, request.negative)
    except ValueError as exc:  # a class outside the data set, or no examples of one of the two
        error = str(exc)
    return EvaluationRecord(
        request=EvaluationRequest(request.split, cell, request.positive, request.negative), split=split,
        epoch=trainer.epoch, iteration=trainer.iteration,
        batch_in_epoch=trainer.batch_in_epoch, class_names=names, dataset_kind=dataset.kind,
        evaluation=evaluation, per_class=tuple(evaluation.per_class(names)),
        confused=tuple(most_confused_pairs(evaluation.confusion, TOP_PAIRS)), gallery=gallery,
        gallery_inputs=inputs, binary=binary, binary_error=error, train_measured=trainer.monitor.n_measured,
        restored_epoch=trainer.monitor.restored_epoch)
