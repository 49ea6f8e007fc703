"""The Evaluation view's record (Qt-free): what the worker sends, the reuse of one forward pass per
network state, and a preset chosen on the lecturer's data set."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core.evaluation_record import GALLERY_LIMIT, EvaluationCache, EvaluationRequest
from nnviz.core.presets import config_for_preset, preset_config
from nnviz.core.trainer import Trainer


@pytest.fixture
def trainer():
    config = preset_config("xor-mlp").with_changes(**{"data.name": "moons", "data.n_samples": 400,
                                                      "training.epochs": 3})
    trainer = Trainer(config)
    trainer.step_epoch()
    return trainer


def test_the_record_is_the_splits_evaluation_and_the_gallery_is_sorted(trainer):
    record = EvaluationCache().evaluate(trainer, EvaluationRequest("test", None, 1, 0))
    e = record.evaluation
    x, y = trainer.dataset.split("test")
    assert record.split == "test" and record.epoch == 1 and record.batch_in_epoch == 0
    assert e.confusion.sum(axis=1).tolist() == np.bincount(y, minlength=2).tolist()  # rows: the class counts
    assert np.array_equal(e.predicted, trainer.predict_labels(x))
    wrong = np.flatnonzero(e.predicted != y)
    assert sorted(record.gallery.indices.tolist()) == wrong.tolist()
    assert np.all(np.diff(record.gallery.confidence) <= 0)
    assert record.gallery_inputs.shape == (min(wrong.size, GALLERY_LIMIT), 2)
    assert np.array_equal(record.gallery_inputs[0], x[record.gallery.indices[0]])
    # The two classes of a toy set: every example scored, TPR from the counts.
    assert record.binary.scores.indices.size == y.size
    assert record.binary.point.tpr == record.binary.point.tp / (record.binary.point.tp + record.binary.point.fn)
    assert record.train_measured == trainer.monitor.n_measured
    # The confusion-matrix panel counts the same predictions.
    assert np.array_equal(trainer.confusion("test"), e.confusion)


def test_a_cell_and_another_pair_reuse_the_forward_pass_until_the_weights_change(trainer, monkeypatch):
    cache = EvaluationCache()
    first = cache.evaluate(trainer, EvaluationRequest("val"))
    passes = []
    original = trainer.network.predict
    monkeypatch.setattr(trainer.network, "predict", lambda x, *a, **k: passes.append(1) or original(x, *a, **k))
    cell = cache.evaluate(trainer, EvaluationRequest("val", (0, 0), 0, 1))
    assert not passes and cell.evaluation is first.evaluation
    assert len(cell.gallery) == first.evaluation.confusion[0, 0]  # a diagonal cell: its right answers
    trainer.step_batch()
    after = cache.evaluate(trainer, EvaluationRequest("val"))
    assert passes == [1] and after.iteration == first.iteration + 1 and after.batch_in_epoch == 1


def test_a_pair_without_examples_says_why_instead_of_failing(trainer):
    record = EvaluationCache().evaluate(trainer, EvaluationRequest("val", None, 1, 1))
    assert record.binary is None and "must differ" in record.binary_error


def test_after_early_stopping_the_record_says_whose_weights_it_evaluates():
    config = preset_config("xor-mlp").with_changes(**{
        "data.name": "moons", "data.n_samples": 400, "training.epochs": 60, "training.early_stopping": 2,
        "optimizer.learning_rate": 2.0})
    trainer = Trainer(config)
    trainer.run()
    record = EvaluationCache().evaluate(trainer, EvaluationRequest("val"))
    assert trainer.monitor.stopped_epoch is not None  # this run does stop early (measured: after epoch 8)
    assert record.restored_epoch == trainer.monitor.best_epoch < record.epoch


@pytest.mark.parametrize(("preset", "chosen", "expected"), [
    ("nielsen", "fashion-mnist", "fashion-mnist"),  # an MNIST demo on the lecturer's 28x28, 10-class set
    ("cnn", "kmnist", "kmnist"),
    ("nielsen", "mnist-c/fog", "mnist-c/fog"),
    ("nielsen", "cifar10", "mnist"),  # 32x32 colour: the network does not fit
    ("nielsen", "xor", "mnist"),
    ("nielsen", None, "mnist"),
    ("overfit", "mnist", "fashion-mnist"),  # names its data set
    ("xor-mlp", "moons", "xor"),
])
def test_a_preset_keeps_the_chosen_data_set_only_where_its_network_fits(preset, chosen, expected):
    config = config_for_preset(preset, chosen)
    assert config.data.name == expected
    assert config.preset == preset and config.model == preset_config(preset).model
