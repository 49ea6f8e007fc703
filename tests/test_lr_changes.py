"""Learning-rate changes made mid-run and the best epoch: kept in the history, the record and the run
folder, and read back; overlay names say what differs from the run in the window. Qt-free."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from nnviz.core.errors import RunInterrupted
from nnviz.core.history import LearningRateChange
from nnviz.core.live_settings import apply_live_setting
from nnviz.core.presets import preset_config
from nnviz.core.record import build_record
from nnviz.core.run_folder import flatten_settings, load_record, load_run, write_run_folder
from nnviz.core.trainer import Trainer
from nnviz.sweep.compare import differences_from


def toy_trainer(**changes) -> Trainer:
    config = preset_config("xor-mlp").with_changes(**{"data.name": "moons", "training.epochs": 6,
                                                       "training.batch_size": 10, **changes})
    return Trainer(config)


def test_a_changed_learning_rate_is_recorded_where_it_happened_and_survives_the_run_folder(tmp_path):
    trainer = toy_trainer()
    config = trainer.config
    trainer.step_epoch()
    trainer.step_batches(3)
    config = apply_live_setting(trainer, config, "learning_rate", 0.05)
    config = apply_live_setting(trainer, config, "learning_rate", 0.05)  # the same value again: no change
    trainer.step_epoch()
    per_epoch = trainer.history.epochs[0].iteration
    change = LearningRateChange(per_epoch + 3, 1 + 3 / trainer.batches_in_epoch, 0.5, 0.05)
    assert trainer.history.lr_changes == [change]
    assert trainer.learning_rate == 0.05 and trainer.history.epochs[1].learning_rate == 0.05
    record = build_record(trainer)
    assert record.lr_changes == (change,)
    assert record.best_epoch == trainer.monitor.best_epoch
    val_loss = record.epochs.val_loss
    assert record.best_epoch == int(np.argmin(val_loss)) + 1
    folder = write_run_folder(tmp_path / "run", trainer)
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["lr_changes"] == [{"iteration": change.iteration, "epoch": change.epoch, "old": 0.5, "new": 0.05}]
    run = load_run(folder)
    assert run.lr_changes == (change,) and run.best_epoch == record.best_epoch
    again = load_record(folder)
    assert again.lr_changes == (change,) and again.best_epoch == record.best_epoch


def test_a_damaged_change_list_is_skipped_not_fatal(tmp_path):
    trainer = toy_trainer()
    trainer.step_epoch()
    folder = write_run_folder(tmp_path / "run", trainer)
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics["lr_changes"] = [{"iteration": "x"}, 7, {"iteration": 3, "epoch": 0.5, "old": 1, "new": 2}]
    (folder / "metrics.json").write_text(json.dumps(metrics))
    assert load_run(folder).lr_changes == (LearningRateChange(3, 0.5, 1.0, 2.0),)


def test_a_set_stop_flag_abandons_an_evaluation_between_chunks():
    trainer = toy_trainer(**{"data.n_samples": 3000})
    trainer.stop_flag = threading.Event()
    trainer.evaluate("val")  # not set: evaluates
    trainer.stop_flag.set()
    with pytest.raises(RunInterrupted):
        trainer.evaluate("val")


@pytest.mark.parametrize("changes, expected", [
    ({"optimizer.learning_rate": 100.0}, "lr=100.0"),
    ({"training.batch_size": 50, "optimizer.learning_rate": 0.5}, "lr=0.5, batch=50"),
    ({}, "same settings"),
])
def test_overlays_are_named_by_what_differs_from_the_run_in_the_window(changes, expected):
    reference = preset_config("nielsen")
    other = reference.with_changes(**changes) if changes else reference
    assert differences_from(flatten_settings(reference.to_dict()), flatten_settings(other.to_dict())) == expected
