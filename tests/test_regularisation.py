"""Dropout, L2 weight decay, learning-rate schedules, momentum for every preset, truncated-normal
initialisation and the honest (measured) train figures."""

from __future__ import annotations

import argparse
import math

import numpy as np
import pytest

from nnviz.cli import build_parser, main
from nnviz.cli.train import config_from_args
from nnviz.core.config import RunConfig, load_config
from nnviz.core.errors import ConfigError
from nnviz.core.initializers import initialize
from nnviz.core.layers import Dropout
from nnviz.core.losses import SoftmaxCrossEntropy
from nnviz.core.models import layer_specs
from nnviz.core.network import Sequential
from nnviz.core.optimizers import make_optimizer
from nnviz.core.presets import PRESETS, preset_config
from nnviz.core.trainer import Trainer
from nnviz.core.training_options import LearningRateSchedule, optimizer_changes, parse_lr_schedule

from test_gradients import numeric_gradient, relative_error, sample_indices
from test_trainer import mlp_config, small_image_dataset


# --- dropout -------------------------------------------------------------------------------------
def test_dropout_gradient_matches_central_differences_for_a_fixed_mask():
    rng = np.random.default_rng(5)
    layer = Dropout(0.4)
    layer.build((12,), rng, np.float64)
    x = rng.standard_normal((6, 12))
    weights = rng.standard_normal((6, 12))

    def objective() -> float:  # the same mask on every call: a fresh generator with the same seed
        layer._rng = np.random.default_rng(99)
        return float(np.sum(layer.forward(x, training=True) * weights))

    objective()
    dx = layer.backward(weights.copy())
    idx = sample_indices(x.shape, rng, count=40)
    assert relative_error(np.array([dx[i] for i in idx]), numeric_gradient(objective, x, idx)) < 1e-5


def test_inverted_dropout_keeps_the_expected_activation_and_is_off_at_evaluation():
    layer = Dropout(0.3)
    layer.build((1000,), np.random.default_rng(0), np.float32)
    x = np.ones((200, 1000), dtype=np.float32)
    out = layer.forward(x, training=True)
    kept = np.count_nonzero(out) / out.size
    assert abs(kept - 0.7) < 0.01
    assert abs(float(out.mean()) - 1.0) < 0.01  # scaled by 1 / 0.7 while training: no rescaling needed later
    np.testing.assert_array_equal(layer.forward(x, training=False), x)


def test_network_gradient_with_dropout_and_weight_decay_matches_central_differences():
    """d/dW of [cross-entropy + lambda/2 |W|^2] with a fixed dropout mask equals what SGD applies."""
    rng = np.random.default_rng(3)
    net = Sequential([{"type": "dense", "units": 9, "init": "normal", "init_std": 0.5}, {"type": "tanh"},
                      {"type": "dropout", "rate": 0.5}, {"type": "dense", "units": 4, "init": "normal",
                                                                "init_std": 0.5}], (5,), rng=rng)
    net.astype(np.float64)
    dropout = net.layers[2]
    x = rng.standard_normal((7, 5))
    labels = rng.integers(0, 4, 7)
    loss = SoftmaxCrossEntropy()
    lam = 0.05

    def objective() -> float:
        dropout._rng = np.random.default_rng(11)
        penalty = sum(0.5 * lam * float(np.sum(p * p)) for key, p, _ in net.param_list if key.endswith(".W"))
        return loss.forward(net.forward(x, training=True), labels) + penalty

    objective()
    net.backward(loss.backward())
    lr = 0.1
    before = {key: p.copy() for key, p, _ in net.param_list}
    expected_steps = {}
    for key, p, _ in net.param_list:
        idx = sample_indices(p.shape, rng, count=15)
        expected_steps[key] = (idx, numeric_gradient(objective, p, idx))
    make_optimizer("sgd", lr, weight_decay=lam).step(net.param_list)
    for key, p, _ in net.param_list:
        idx, numeric = expected_steps[key]
        applied = np.array([(before[key][i] - p[i]) / lr for i in idx])  # the gradient SGD used
        assert relative_error(applied, numeric) < 1e-5, key


def test_weight_decay_leaves_biases_alone():
    net = Sequential([{"type": "dense", "units": 3}], (2,), rng=np.random.default_rng(0))
    net.layers[0].params["b"][:] = 1.0
    net.flat_grads[:] = 0.0
    make_optimizer("sgd", 0.5, weight_decay=0.1).step(net.param_list)
    np.testing.assert_array_equal(net.layers[0].params["b"], 1.0)
    assert not np.array_equal(net.layers[0].params["W"], Sequential([{"type": "dense", "units": 3}], (2,),
                                                                   rng=np.random.default_rng(0)).layers[0].params["W"])


def test_weight_decay_applies_to_convolution_weights_too():
    net = Sequential([{"type": "conv2d", "filters": 2, "kernel_size": 3}, {"type": "flatten"},
                      {"type": "dense", "units": 3}], (1, 5, 5), rng=np.random.default_rng(1))
    net.flat_grads[:] = np.random.default_rng(2).standard_normal(net.flat_grads.size)
    before = {key: p.copy() for key, p, _ in net.param_list}
    grads = {key: g.copy() for key, _, g in net.param_list}
    make_optimizer("sgd", 0.5, weight_decay=0.1).step(net.param_list)
    for key, p, _ in net.param_list:
        decay = 0.1 * before[key] if key.endswith(".W") else 0.0
        np.testing.assert_allclose(p, before[key] - 0.5 * (grads[key] + decay), rtol=1e-6, err_msg=key)


def test_dropout_goes_after_hidden_layers_and_a_cnns_features_and_needs_a_hidden_layer():
    mlp = preset_config("mlp-3layer").with_changes(**{"model.dropout": 0.5, "model.hidden": [20, 10]}).model
    kinds = [s["type"] for s in layer_specs(mlp, (1, 8, 8), 4)]
    assert kinds == ["flatten", "dense", "relu", "dropout", "dense", "relu", "dropout", "dense"]
    cnn = preset_config("cnn").with_changes(**{"model.dropout": 0.25}).model
    kinds = [s["type"] for s in layer_specs(cnn, (1, 8, 8), 4)]
    assert kinds[-3:] == ["flatten", "dropout", "dense"]
    with_inputs = preset_config("mlp-3layer").with_changes(**{"model.input_dropout": 0.2}).model
    assert layer_specs(with_inputs, (1, 8, 8), 4)[0] == {"type": "dropout", "rate": 0.2}
    trainer = Trainer(mlp_config(**{"model.input_dropout": 0.2}), small_image_dataset())
    assert trainer.network.layers[0].kind == "dropout" and not trainer.network.layers[0].needs_input_grad
    trainer.step_epoch()  # trains through the layer path; nothing asks for the inputs' gradient
    flat = preset_config("keras-dense").with_changes(**{"model.dropout": 0.5}).model
    with pytest.raises(ConfigError, match="hidden layer"):
        layer_specs(flat, (1, 8, 8), 4)
    for bad in (-0.1, 1.0, math.nan):
        with pytest.raises(ConfigError, match="model.dropout"):
            mlp_config(**{"model.dropout": bad})
        with pytest.raises(ConfigError, match="model.input_dropout"):
            mlp_config(**{"model.input_dropout": bad})


def test_dropout_training_falls_back_to_the_layer_path_and_is_reproducible():
    config = mlp_config(**{"model.dropout": 0.5})
    a, b = Trainer(config, small_image_dataset()), Trainer(config, small_image_dataset())
    assert a._dense_stack is None
    a.run()
    b.run()
    np.testing.assert_array_equal(a.network.flat_params, b.network.flat_params)
    no_dropout = Trainer(mlp_config(), small_image_dataset())
    no_dropout.run()
    assert not np.array_equal(a.network.flat_params, no_dropout.network.flat_params)


# --- learning-rate schedules ---------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("none", LearningRateSchedule()), (1.0, LearningRateSchedule()), (0.8, LearningRateSchedule("exp", 0.8)),
    ("exp:0.95", LearningRateSchedule("exp", 0.95)), ("step:10:0.5", LearningRateSchedule("step", 0.5, 10)),
    ("0.9", LearningRateSchedule("exp", 0.9)), (" STEP:3:0.1 ", LearningRateSchedule("step", 0.1, 3)),
])
def test_lr_schedule_syntax(text, expected):
    assert parse_lr_schedule(text) == expected
    assert parse_lr_schedule(str(expected)) == expected  # its text reads back


@pytest.mark.parametrize("bad", ["exp", "exp:0", "exp:1.5", "step:0:0.5", "step:2", "step:x:0.5", "cosine:3",
                                 "exp:nan", -0.5, True, [0.5]])
def test_bad_lr_schedules_are_refused_with_the_field_name(bad):
    with pytest.raises(ValueError):
        parse_lr_schedule(bad)
    with pytest.raises(ConfigError, match="optimizer.lr_decay"):
        mlp_config(**{"optimizer.lr_decay": bad})


@pytest.mark.parametrize("schedule,rates", [
    ("step:2:0.5", [0.1, 0.1, 0.05, 0.05, 0.025]),
    ("exp:0.5", [0.1, 0.05, 0.025, 0.0125, 0.00625]),
    ("none", [0.1] * 5),
])
def test_trainer_follows_the_schedule(schedule, rates):
    trainer = Trainer(mlp_config(**{"optimizer.lr_decay": schedule, "training.epochs": 5}), small_image_dataset())
    trainer.run()
    assert [r.learning_rate for r in trainer.history.epochs] == pytest.approx(rates)
    expected = LearningRateSchedule()
    parsed = parse_lr_schedule(schedule)
    assert [parsed.rate_in_epoch(0.1, e) for e in range(1, 6)] == pytest.approx(rates)
    assert expected.rate_in_epoch(0.1, 3) == 0.1


# --- config round trip and the command line ------------------------------------------------------
def test_new_settings_survive_toml_and_old_configs_still_load(tmp_path):
    config = mlp_config(**{"optimizer.lr_decay": "step:10:0.5", "optimizer.weight_decay": 1e-4,
                           "model.dropout": 0.3, "model.input_dropout": 0.2, "model.init": "truncated-normal",
                           "model.init_std": 0.1,
                           "training.early_stopping": 4, "training.train_eval_size": 500})
    config.save(tmp_path / "config.toml")
    assert load_config(tmp_path / "config.toml") == config
    old = config.to_dict()
    for section, key in (("training", "early_stopping"), ("training", "train_eval_size")):
        del old[section][key]
    old["optimizer"]["lr_decay"] = 0.8  # older files store the per-epoch factor as a number
    restored = RunConfig.from_dict(old)
    assert restored.training.early_stopping == 0 and restored.training.train_eval_size == 10000
    assert parse_lr_schedule(restored.optimizer.lr_decay) == LearningRateSchedule("exp", 0.8)


def test_early_stopping_without_validation_data_is_refused_early():
    with pytest.raises(ConfigError, match="training.early_stopping"):
        preset_config("two-layer-net").with_changes(**{"training.early_stopping": 3})  # trains on all 60k


@pytest.mark.parametrize("field,bad", [("training.early_stopping", -1), ("training.early_stopping", 1.5),
                                       ("training.train_eval_size", -5), ("optimizer.weight_decay", -0.1),
                                       ("optimizer.weight_decay", math.inf)])
def test_bad_values_name_their_field(field, bad):
    with pytest.raises(ConfigError, match=field):
        mlp_config(**{field: bad})


def parse_train(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["train", *argv])


def test_train_options_reach_the_config():
    config = config_from_args(parse_train("--preset", "mlp-3layer", "--dropout", "0.2", "--weight-decay", "0.001",
                                          "--lr-decay", "step:5:0.5", "--init", "truncated-normal", "--init-std",
                                          "0.1", "--early-stopping", "3", "--train-eval-size", "2000"))
    assert config.model.dropout == 0.2 and config.optimizer.weight_decay == 0.001
    assert config.optimizer.lr_decay == "step:5:0.5" and config.model.init == "truncated-normal"
    assert config.model.init_std == 0.1 and config.training.early_stopping == 3
    assert config.training.train_eval_size == 2000


def test_help_shows_the_schedule_syntax_and_defaults(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for phrase in ("step:N:F", "exp:F", "--early-stopping PATIENCE", "0 = off", "default 10000", "truncated-normal"):
        assert phrase in text


@pytest.mark.parametrize("argv,message", [
    (["--lr-decay", "sometimes"], "lr_decay"), (["--dropout", "1.2"], "dropout"),
    (["--early-stopping", "-2"], "early_stopping"), (["--optimizer", "adam", "--momentum", "0.9"], "Adam"),
    (["--momentum", "1.0"], "momentum"), (["--init", "uniform"], "invalid choice"),
])
def test_bad_training_options_exit_2_with_one_line(argv, message, capsys):
    assert main(["train", "--preset", "mlp-3layer", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("optimizer,momentum,expected_mu", [
    ("momentum", None, 0.9), ("momentum", 0.5, 0.5), ("sgd", 0.8, 0.8), ("sgd", None, 0.0), ("adam", None, 0.0),
])
def test_optimizer_and_momentum_work_for_every_preset(name, optimizer, momentum, expected_mu):
    argv = ["--preset", name, "--optimizer", optimizer] + ([] if momentum is None else ["--momentum", str(momentum)])
    config = config_from_args(parse_train(*argv))
    assert config.optimizer.name == optimizer and config.optimizer.momentum == expected_mu
    built = make_optimizer(config.optimizer.name, config.optimizer.learning_rate, config.optimizer.momentum)
    assert type(built).name == optimizer and built.momentum == expected_mu
    if expected_mu:  # momentum keeps a velocity per parameter once it has stepped
        net = Sequential([{"type": "dense", "units": 2}], (3,), rng=np.random.default_rng(0))
        net.flat_grads[:] = 1.0
        built.step(net.param_list, (net.flat_params, net.flat_grads))
        assert set(built.state) == {"layers.0.W", "layers.0.b"}


def test_momentum_alone_keeps_a_presets_optimizer():
    assert optimizer_changes("sgd", 0.0, None, 0.9) == {"optimizer.momentum": 0.9}
    assert optimizer_changes("momentum", 0.9, None, None) == {}
    assert optimizer_changes("momentum", 0.95, "momentum", None)["optimizer.momentum"] == 0.95
    with pytest.raises(ValueError, match="Adam"):
        optimizer_changes("adam", 0.0, None, 0.5)


# --- truncated-normal initialisation -------------------------------------------------------------
def test_truncated_normal_stays_within_two_standard_deviations():
    values = initialize("truncated-normal", (400, 300), 400, 300, np.random.default_rng(0), np.float32, std=0.1)
    assert values.dtype == np.float32 and np.abs(values).max() <= 0.2 + 1e-7
    # N(0, 1) cut at +-2 has standard deviation 0.880 (scaled by std here)
    assert abs(float(values.std()) - 0.0880) < 0.002 and abs(float(values.mean())) < 0.002
    config = config_from_args(parse_train("--preset", "nielsen", "--init", "truncated-normal", "--init-std", "0.1"))
    trainer = Trainer(config.with_changes(**{"training.epochs": 1}), small_image_dataset())
    assert np.abs(trainer.network.layers[1].params["W"]).max() <= 0.2 + 1e-7


# --- honest train figures ------------------------------------------------------------------------
def test_train_figures_are_measured_after_the_epoch_and_the_running_means_kept():
    trainer = Trainer(mlp_config(**{"training.train_eval_size": 50}), small_image_dataset())
    record = trainer.step_epoch()
    assert record.train_measured == 50
    sample = trainer.monitor.train_sample
    x, y = trainer.dataset.split("train")
    outputs = trainer.network.predict(x[sample])
    assert record.train_accuracy == pytest.approx(float(np.mean(trainer.loss.predict_labels(outputs) == y[sample])))
    assert record.train_loss == pytest.approx(trainer.loss.forward(outputs, y[sample]), rel=1e-5)
    assert record.train_loss_running != record.train_loss  # the running mean is a different figure
    assert 0.0 <= record.train_accuracy_running <= 1.0
    second = trainer.step_epoch()
    np.testing.assert_array_equal(trainer.monitor.train_sample, sample)  # the same sample every epoch
    assert second.train_measured == 50


def test_a_small_training_set_is_measured_whole_and_training_is_unchanged_by_measuring():
    measured = Trainer(mlp_config(**{"training.train_eval_size": 0}), small_image_dataset())
    assert measured.monitor.train_sample is None and measured.monitor.n_measured == 120
    sampled = Trainer(mlp_config(**{"training.train_eval_size": 30}), small_image_dataset())
    measured.run()
    sampled.run()
    np.testing.assert_array_equal(measured.network.flat_params, sampled.network.flat_params)
    assert [r.train_loss_running for r in measured.history.epochs] == \
        [r.train_loss_running for r in sampled.history.epochs]
    assert measured.history.epochs[-1].train_measured == 120
