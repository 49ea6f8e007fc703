"""The one data path: the trainer's record is what panels draw, what the run folder gives back and
what the live-settings table changes (Qt-free)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

from nnviz.core.errors import ConfigError
from nnviz.core.live_settings import LIVE_SETTINGS, apply_live_setting
from nnviz.core.presets import preset_config
from nnviz.core.record import DecisionGrid, RunRecord, build_record
from nnviz.core.run_folder import load_record, write_run_folder
from nnviz.core.trainer import Trainer


def xor_trainer(epochs: int = 3) -> Trainer:
    trainer = Trainer(preset_config("xor-mlp").with_changes(**{"training.epochs": epochs}))
    trainer.run()
    return trainer


def test_the_record_is_typed_with_no_string_keyed_extras():
    names = {f.name for f in dataclasses.fields(RunRecord)}
    assert "extras" not in names
    record = build_record(xor_trainer(1), probe_index=0, run_state="paused", wall_samples_per_second=12.5)
    assert record.run_state == "paused" and record.wall_samples_per_second == 12.5
    assert isinstance(record.decision, DecisionGrid) and record.decision.scores.shape == (80, 80)
    assert record.decision.points.shape[1] == 2 and record.decision.labels.shape[0] == record.decision.points.shape[0]
    assert record.first_layer_output is not None and record.first_layer_output.values.ndim == 1
    assert record.probe_split_size > 0 and record.model_kind == "mlp"


def test_a_loss_tail_starts_where_the_offset_says():
    trainer = xor_trainer(6)
    whole = build_record(trainer).train_loss
    half = whole.size // 2
    tail = build_record(trainer, loss_offset=half)
    assert half > 0 and tail.loss_offset == half and np.array_equal(tail.train_loss, whole[half:])


def test_the_run_folder_gives_back_the_record_the_panels_drew(tmp_path):
    trainer = xor_trainer(4)
    drawn = build_record(trainer)
    write_run_folder(tmp_path / "run", trainer)
    read = load_record(tmp_path / "run")
    for field in dataclasses.fields(drawn.epochs):
        np.testing.assert_array_equal(getattr(read.epochs, field.name), getattr(drawn.epochs, field.name),
                                      err_msg=field.name)
    np.testing.assert_array_equal(read.first_layer_weights, drawn.first_layer_weights)
    np.testing.assert_array_equal(read.filter_images, drawn.filter_images)
    assert read.state == drawn.state == "finished" and read.epoch == drawn.epoch == 4
    assert read.learning_rate == drawn.learning_rate and read.batch_size == drawn.batch_size


@pytest.mark.parametrize("name,text,expected", [
    ("learning_rate", "0.5", 0.5), ("learning_rate", " 3 ", 3.0), ("batch_size", 20.0, 20), ("epochs", "7", 7),
    ("momentum", 0.9, 0.9),
])
def test_live_values_are_parsed_by_the_table(name, text, expected):
    value = LIVE_SETTINGS[name].parse(text)
    assert value == expected and type(value) is LIVE_SETTINGS[name].kind


@pytest.mark.parametrize("name,text", [
    ("learning_rate", ""), ("learning_rate", "abc"), ("learning_rate", "-1"), ("learning_rate", "inf"),
    ("batch_size", "2.5"), ("batch_size", "0"), ("momentum", "1.5"), ("epochs", "nan"),
])
def test_an_empty_or_invalid_live_value_never_reaches_the_trainer(name, text):
    trainer = Trainer(preset_config("xor-mlp"))
    before = (trainer.learning_rate, trainer.batch_size, trainer.optimizer.momentum)
    with pytest.raises(ConfigError) as info:
        apply_live_setting(trainer, trainer.config, name, text)
    assert "\n" not in str(info.value)
    assert (trainer.learning_rate, trainer.batch_size, trainer.optimizer.momentum) == before


def test_a_live_change_reaches_the_trainer_and_the_config_together():
    trainer = Trainer(preset_config("xor-mlp"))
    config = apply_live_setting(trainer, trainer.config, "learning_rate", 0.25)
    assert trainer.learning_rate == 0.25 and config.optimizer.learning_rate == 0.25
    config = apply_live_setting(trainer, config, "batch_size", 3)
    assert trainer.batch_size == 3 and config.training.batch_size == 3
    config = apply_live_setting(trainer, config, "epochs", 12)
    assert config.training.epochs == 12 and config.training.iterations is None
    with pytest.raises(ConfigError, match="cannot change while training"):
        apply_live_setting(trainer, config, "hidden", 5)


def test_the_floors_hold():
    """import-linter's contracts in pyproject.toml: core and the sweep launcher never import Qt, the
    window or the CLI; panels never import the worker or the trainer."""
    result = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                             "lint_imports_command()"], capture_output=True, text=True)
    assert "0 broken" in result.stdout, result.stdout[-2000:]
    assert result.returncode == 0
