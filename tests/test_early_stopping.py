"""Early stopping restores exactly the best epoch's weights; the best epoch is reported with or without it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnviz.core.data.splits import Dataset
from nnviz.core.errors import ConfigError
from nnviz.core.model_io import load_model
from nnviz.core.run_folder import write_run_folder
from nnviz.core.trainer import FINISHED, Trainer

from test_trainer import mlp_config, small_image_dataset


def noisy_dataset() -> Dataset:
    """The quadrant images with 40 % of the training labels scrambled: a net first learns the
    quadrants (validation loss falls), then memorises the noise (validation loss rises)."""
    clean = small_image_dataset(n_train=80, n_val=200, n_test=100, seed=4)
    rng = np.random.default_rng(7)
    y = clean.y_train.copy()
    flip = rng.random(y.size) < 0.4
    y[flip] = rng.integers(0, 4, int(flip.sum()))
    return Dataset("noisy-quadrants", clean.class_names, clean.x_train, y, clean.x_val, clean.y_val,
                   clean.x_test, clean.y_test)


def config(patience: int, epochs: int = 60):
    return mlp_config(**{"model.hidden": [64], "optimizer.learning_rate": 0.1, "training.batch_size": 8,
                         "training.epochs": epochs, "training.early_stopping": patience})


def reference_run(epochs: int) -> tuple[list[np.ndarray], list]:
    """The same run without early stopping, with the weights after every epoch."""
    trainer = Trainer(config(0, epochs), noisy_dataset())
    weights = []
    while not trainer.finished:
        trainer.step_epoch()
        weights.append(trainer.network.flat_params.copy())
    return weights, trainer.history.epochs


def test_early_stopping_restores_exactly_the_best_epochs_weights(tmp_path):
    patience = 3
    trainer = Trainer(config(patience), noisy_dataset())
    trainer.run()
    monitor = trainer.monitor
    assert trainer.state == FINISHED and monitor.stopped_epoch is not None
    assert monitor.stopped_epoch < 60, "the run should overfit and stop before its epoch limit"
    assert monitor.best_epoch > 2  # a minimum after some learning, not the first epoch's luck
    assert trainer.epoch == monitor.stopped_epoch == monitor.best_epoch + patience
    weights, records = reference_run(monitor.stopped_epoch)
    val_losses = [r.val_loss for r in records]
    assert monitor.best_epoch == int(np.argmin(val_losses)) + 1  # the first minimum
    assert min(val_losses[monitor.best_epoch:]) >= val_losses[monitor.best_epoch - 1]
    np.testing.assert_array_equal(trainer.network.flat_params, weights[monitor.best_epoch - 1])
    assert not np.array_equal(trainer.network.flat_params, weights[-1])
    # The panels' last evaluation is of the kept weights too.
    assert trainer.last_eval["val"].loss == pytest.approx(val_losses[monitor.best_epoch - 1])
    assert "epoch" in trainer.message and str(monitor.best_epoch) in trainer.message

    write_run_folder(tmp_path, trainer)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["best_epoch"] == monitor.best_epoch and metrics["stopped_epoch"] == monitor.stopped_epoch
    assert metrics["early_stopped"] is True and metrics["weights_epoch"] == monitor.best_epoch
    best = records[monitor.best_epoch - 1]
    assert metrics["test_accuracy"] == best.test_accuracy and metrics["val_loss"] == pytest.approx(best.val_loss)
    saved = load_model(tmp_path / "model.npz").network
    np.testing.assert_array_equal(saved.flat_params, weights[monitor.best_epoch - 1])


def test_without_early_stopping_the_best_epoch_is_still_reported(tmp_path):
    trainer = Trainer(config(0, epochs=12), noisy_dataset())
    trainer.run()
    assert trainer.epoch == 12 and trainer.monitor.stopped_epoch is None
    write_run_folder(tmp_path, trainer)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    losses = [r.val_loss for r in trainer.history.epochs]
    assert metrics["best_epoch"] == int(np.argmin(losses)) + 1
    assert metrics["stopped_epoch"] == 12 and metrics["early_stopped"] is False and metrics["weights_epoch"] == 12
    assert metrics["early_stopping"] is None


def test_reaching_the_epoch_limit_with_early_stopping_on_still_keeps_the_best_weights():
    patience = 50  # never runs out within 15 epochs
    trainer = Trainer(config(patience, epochs=15), noisy_dataset())
    trainer.run()
    weights, _ = reference_run(15)
    best = trainer.monitor.best_epoch
    assert trainer.monitor.stopped_epoch is None and trainer.epoch == 15
    assert trainer.monitor.restored_epoch == best
    np.testing.assert_array_equal(trainer.network.flat_params, weights[best - 1])


def test_early_stopping_needs_validation_data():
    data = small_image_dataset()
    no_val = Dataset("no-val", data.class_names, data.x_train, data.y_train, data.x_val[:0], data.y_val[:0],
                     data.x_test, data.y_test)
    with pytest.raises(ConfigError, match="early_stopping"):
        Trainer(config(2), no_val)
    Trainer(config(0), no_val)  # without early stopping no validation split is needed
