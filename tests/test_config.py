"""RunConfig: TOML round trip, validation that names the bad field, presets as valid configs."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnviz.core.config import RunConfig, load_config
from nnviz.core.errors import ConfigError
from nnviz.core.presets import PRESETS, get_preset


@settings(max_examples=60, deadline=None)
@given(
    lr=st.floats(min_value=1e-6, max_value=1e3, allow_nan=False),
    batch=st.integers(1, 4096),
    hidden=st.lists(st.integers(1, 512), max_size=4),
    activation=st.sampled_from(["sigmoid", "tanh", "relu"]),
    train_size=st.one_of(st.none(), st.integers(1, 60000)),
    seed=st.integers(0, 2**31),
    preset=st.sampled_from(sorted(PRESETS)),
)
def test_toml_round_trip(lr, batch, hidden, activation, train_size, seed, preset):
    config = get_preset(preset).config().with_changes(**{
        "optimizer.learning_rate": lr, "training.batch_size": batch, "model.hidden": hidden,
        "model.activation": activation, "data.train_size": train_size, "training.seed": seed})
    again = RunConfig.from_dict(tomllib.loads(config.to_toml()))
    assert again == config


def test_every_preset_is_a_valid_config():
    for preset in PRESETS.values():
        assert preset.config().preset == preset.name
        assert preset.description


@pytest.mark.parametrize("changes,field", [
    ({"optimizer.learning_rate": 0.0}, "optimizer.learning_rate"),
    ({"optimizer.learning_rate": float("nan")}, "optimizer.learning_rate"),
    ({"training.epochs": 0}, "training.epochs"),
    ({"model.loss": "hinge"}, "model.loss"),
    ({"model.hidden": [30, 0]}, "model.hidden"),
    ({"optimizer.momentum": 1.0}, "optimizer.momentum"),
    ({"data.val_size": -1}, "data.val_size"),
])
def test_invalid_values_name_the_field(changes, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        get_preset("nielsen").config().with_changes(**changes)


def test_load_config_reads_json_too(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"preset": "x", "training": {"epochs": 2}}')
    assert load_config(path).training.epochs == 2


def test_save_is_atomic_and_readable(tmp_path):
    path = tmp_path / "config.toml"
    get_preset("cnn").config().save(path)
    assert load_config(path) == get_preset("cnn").config()
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_atomic_files_get_normal_permissions(tmp_path):
    import os

    path = tmp_path / "config.toml"
    get_preset("nielsen").config().save(path)
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
