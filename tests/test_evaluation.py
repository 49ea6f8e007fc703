"""Per-class metrics, confused pairs, the gallery order and the two-class view (ROC, AUC, counts)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from nnviz.core.evaluation import (binary_scores, class_probabilities, evaluate_binary, evaluate_split,
                                   examples_by_confidence, macro_average, misclassified_by_confidence,
                                   most_confused_pairs, operating_point, per_class_metrics, roc_curve,
                                   trapezoid_area)
from nnviz.core.trainer import Trainer

from test_trainer import mlp_config, small_image_dataset


def pair_counting_auc(scores, is_positive) -> float:
    """AUC as the chance that a random positive outscores a random negative (ties count half)."""
    pos = [s for s, p in zip(scores, is_positive) if p]
    neg = [s for s, p in zip(scores, is_positive) if not p]
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


# --- per class ----------------------------------------------------------------------------------
def test_per_class_metrics_from_a_confusion_matrix():
    confusion = np.array([[5, 1, 0],    # cat: 6 examples
                          [2, 3, 1],    # dog: 6
                          [0, 0, 4]])   # rabbit: 4
    metrics = per_class_metrics(confusion, ["cat", "dog", "rabbit"])
    cat, dog, rabbit = metrics
    assert cat.precision == pytest.approx(5 / 7) and cat.recall == pytest.approx(5 / 6)
    assert dog.precision == pytest.approx(3 / 4) and dog.recall == pytest.approx(3 / 6)
    assert rabbit.precision == pytest.approx(4 / 5) and rabbit.recall == 1.0
    for m in metrics:
        assert m.f1 == pytest.approx(2 * m.precision * m.recall / (m.precision + m.recall))
    assert [m.support for m in metrics] == confusion.sum(axis=1).tolist()
    assert cat.to_dict() == {"class": 0, "name": "cat", "precision": pytest.approx(5 / 7),
                             "recall": pytest.approx(5 / 6), "f1": pytest.approx(cat.f1), "support": 6}
    assert macro_average(metrics)["recall"] == pytest.approx((5 / 6 + 3 / 6 + 1) / 3)


def test_undefined_ratios_are_nan_and_null_in_json():
    confusion = np.array([[3, 0, 0], [2, 0, 0], [0, 0, 0]])  # class 1 never predicted, class 2 absent
    _, never_predicted, absent = per_class_metrics(confusion)
    assert math.isnan(never_predicted.precision) and never_predicted.recall == 0.0
    assert math.isnan(never_predicted.f1) and never_predicted.to_dict()["precision"] is None
    assert math.isnan(absent.recall) and absent.support == 0


def test_most_confused_pairs_are_the_largest_off_diagonal_cells():
    confusion = np.array([[50, 3, 9], [3, 40, 1], [0, 7, 30]])
    pairs = most_confused_pairs(confusion, top=3)
    assert [(p.true_class, p.predicted_class, p.count) for p in pairs] == [(0, 2, 9), (2, 1, 7), (0, 1, 3)]
    assert pairs[0].fraction == pytest.approx(9 / 62)
    assert len(most_confused_pairs(np.diag([4, 5]))) == 0


# --- the gallery ----------------------------------------------------------------------------------
def test_gallery_lists_mistakes_most_confident_first_with_ties_by_index():
    probabilities = np.array([[0.9, 0.1], [0.3, 0.7], [0.2, 0.8], [0.6, 0.4], [0.2, 0.8], [0.45, 0.55]])
    labels = np.array([0, 0, 0, 1, 0, 0])
    gallery = misclassified_by_confidence(probabilities, labels)
    assert gallery.indices.tolist() == [2, 4, 1, 3, 5]  # 0.8, 0.8 (tie: by index), 0.7, 0.6, 0.55
    assert gallery.confidence.tolist() == pytest.approx([0.8, 0.8, 0.7, 0.6, 0.55])
    assert np.all(np.diff(gallery.confidence) <= 0)
    assert np.all(gallery.predicted != gallery.true_classes)
    cell = misclassified_by_confidence(probabilities, labels, true_class=1, predicted_class=0)
    assert cell.indices.tolist() == [3]
    correct = examples_by_confidence(probabilities, labels, misclassified_only=False, true_class=0,
                                     predicted_class=0)
    assert correct.indices.tolist() == [0]


def test_gallery_of_a_trained_network_matches_its_confusion_matrix():
    trainer = Trainer(mlp_config(**{"training.epochs": 1, "model.hidden": [4]}), small_image_dataset(seed=2))
    trainer.run()
    x, y = trainer.dataset.split("test")
    evaluation = evaluate_split(trainer.network, trainer.loss, x, y, 4)
    assert evaluation.confusion.sum(axis=1).tolist() == np.bincount(y, minlength=4).tolist()  # rows = classes
    assert evaluation.accuracy == pytest.approx(trainer.evaluate("test").accuracy)
    np.testing.assert_allclose(evaluation.probabilities.sum(axis=1), 1.0, rtol=1e-5)
    gallery = evaluation.misclassified()
    assert len(gallery) == evaluation.labels.size - evaluation.correct
    for true_class, predicted in itertools.product(range(4), range(4)):
        if true_class != predicted:
            cell = evaluation.misclassified(true_class=true_class, predicted_class=predicted)
            assert len(cell) == evaluation.confusion[true_class, predicted]


def test_class_probabilities_for_softmax_sigmoid_and_single_unit_outputs():
    np.testing.assert_allclose(class_probabilities(np.array([[0.2, 0.8]])), [[0.2, 0.8]])
    sigmoid_outputs = np.array([[0.9, 0.3, 0.3], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(class_probabilities(sigmoid_outputs), [[0.6, 0.2, 0.2], [1 / 3, 1 / 3, 1 / 3]],
                               rtol=1e-6)
    np.testing.assert_allclose(class_probabilities(np.array([[0.75], [1.3]])), [[0.25, 0.75], [0.0, 1.0]])


# --- two classes --------------------------------------------------------------------------------
# Fawcett's "An introduction to ROC analysis" style example: 10 scores, 6 positive.
SCORES = [0.9, 0.8, 0.7, 0.6, 0.55, 0.54, 0.53, 0.52, 0.51, 0.505]
TRUTH = [1, 1, 0, 1, 1, 1, 0, 0, 1, 0]


def test_auc_of_a_hand_made_score_list():
    roc = roc_curve(np.array(SCORES), np.array(TRUTH, dtype=bool))
    # By hand: of the 6 x 4 positive-negative pairs, 18 put the positive higher.
    assert roc.auc == pytest.approx(18 / 24) == pytest.approx(pair_counting_auc(SCORES, TRUTH))
    assert roc.points()[0] == [0.0, 0.0] and roc.points()[-1] == [1.0, 1.0]
    assert np.all(np.diff(roc.fpr) >= 0) and np.all(np.diff(roc.tpr) >= 0)
    assert len(roc.points()) == len(SCORES) + 1  # distinct scores: one point each


@pytest.mark.parametrize("scores,truth", [
    ([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0]),         # all tied: the diagonal, AUC 0.5
    ([0.8, 0.8, 0.3], [1, 0, 0]),                  # a tie across the classes: a diagonal step
    ([0.9, 0.7, 0.7, 0.7, 0.2, 0.2], [1, 1, 0, 1, 0, 1]),
])
def test_ties_move_together_and_count_half(scores, truth):
    roc = roc_curve(np.array(scores), np.array(truth, dtype=bool))
    assert len(roc.fpr) == len(set(scores)) + 1
    assert roc.auc == pytest.approx(pair_counting_auc(scores, truth))
    if len(set(scores)) == 1:
        assert roc.points() == [[0.0, 0.0], [1.0, 1.0]]


def test_every_roc_point_is_the_operating_point_at_its_threshold():
    rng = np.random.default_rng(0)
    truth = rng.random(300) < 0.4
    scores = np.round(np.clip(rng.normal(0.35 + 0.3 * truth, 0.2), 0, 1), 2)  # rounded: many ties
    roc = roc_curve(scores, truth)
    for threshold, fpr, tpr in zip(roc.thresholds[1:], roc.fpr[1:], roc.tpr[1:]):
        point = operating_point(scores, truth, threshold)
        assert (point.fpr, point.tpr) == pytest.approx((fpr, tpr))
    assert roc.auc == pytest.approx(pair_counting_auc(scores.tolist(), truth.tolist()))
    assert trapezoid_area([0, 1], [0, 1]) == 0.5


def test_tpr_and_fpr_follow_from_the_counts():
    scores = np.array(SCORES)
    truth = np.array(TRUTH, dtype=bool)
    for threshold in (0.0, 0.52, 0.545, 0.6, 0.95):
        point = operating_point(scores, truth, threshold)
        assert point.tp + point.fn == truth.sum() and point.fp + point.tn == (~truth).sum()
        assert point.tp == np.count_nonzero((scores >= threshold) & truth)
        assert point.tpr == pytest.approx(point.tp / (point.tp + point.fn))
        assert point.fpr == pytest.approx(point.fp / (point.fp + point.tn))
    point = operating_point(scores, truth, 0.545)  # called positive: 0.9, 0.8, 0.7, 0.6, 0.55
    assert (point.tp, point.fp, point.tn, point.fn) == (4, 1, 3, 2)
    assert point.to_dict()["tpr"] == pytest.approx(4 / 6) and point.to_dict()["fpr"] == pytest.approx(1 / 4)


def test_binary_view_uses_only_the_two_classes_and_scores_their_ratio():
    probabilities = np.array([[0.6, 0.2, 0.2], [0.1, 0.1, 0.8], [0.2, 0.6, 0.2], [0.3, 0.1, 0.6]])
    labels = np.array([0, 2, 1, 2])
    scores = binary_scores(probabilities, labels, positive=2, negative=0)
    assert scores.indices.tolist() == [0, 1, 3]
    assert scores.scores.tolist() == pytest.approx([0.2 / 0.8, 0.8 / 0.9, 0.6 / 0.9])
    assert scores.is_positive.tolist() == [False, True, True]
    result = evaluate_binary(probabilities, labels, 2, 0, threshold=0.5)
    assert (result.point.tp, result.point.fp, result.point.tn, result.point.fn) == (2, 0, 1, 0)
    assert result.auc == 1.0 and result.to_dict()["roc"][0] == [0.0, 0.0]
    rest = evaluate_binary(probabilities, labels, 2, None)  # one class against all the others
    assert rest.scores.indices.tolist() == [0, 1, 2, 3] and rest.scores.scores.tolist() == pytest.approx(
        probabilities[:, 2].tolist())
    assert rest.point.tp + rest.point.fn == 2 and rest.to_dict()["negative"] == "rest"
    with pytest.raises(ValueError, match="does not exist"):
        binary_scores(probabilities, labels, 3, 0)
    with pytest.raises(ValueError, match="differ"):
        binary_scores(probabilities, labels, 1, 1)
    with pytest.raises(ValueError, match="both classes"):
        roc_curve(np.array([0.3, 0.4]), np.array([True, True]))


def test_evaluation_and_training_options_do_not_import_qt():
    import subprocess
    import sys

    code = ("import sys\n"
            "import nnviz.core.evaluation, nnviz.core.epoch_monitor, nnviz.core.training_options\n"
            "import nnviz.cli.evaluate, nnviz.cli\n"
            "assert 'PySide6' not in sys.modules, [k for k in sys.modules if 'PySide' in k]\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
