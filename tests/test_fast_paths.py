"""The speed paths give the same numbers as the plain layer-by-layer ones.

- `DenseStack` (the fused pass for MLPs) is bit-identical to `Sequential.forward` / `backward`;
- the flat-array SGD update equals the per-array one;
- `Trainer.step_batches(k)` equals k calls of `step_batch()`, across epoch ends and limits.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core.dense_stack import DenseStack
from nnviz.core.history import History
from nnviz.core.network import Sequential
from nnviz.core.optimizers import make_optimizer
from nnviz.core.presets import preset_config
from nnviz.core.trainer import DIVERGED, FINISHED, Trainer

from test_trainer import small_image_dataset


def mlp(activation: str, loss: str, output_activation: str | None = None, **changes):
    model = {"model.hidden": [12, 7], "model.activation": activation, "model.loss": loss,
             "training.batch_size": 10, "training.epochs": 2, "optimizer.learning_rate": 0.5}
    if output_activation:
        model["model.output_activation"] = output_activation
    model.update(changes)
    return preset_config("mlp-3layer").with_changes(**model)


def layer_by_layer(trainer: Trainer) -> Trainer:
    trainer._dense_stack = None  # force Sequential.forward / backward
    return trainer


@pytest.mark.parametrize("activation,loss,output", [
    ("sigmoid", "quadratic", "sigmoid"),  # Nielsen's network
    ("relu", "cross-entropy", None),
    ("tanh", "mse", "sigmoid"),
    ("sigmoid", "cross-entropy", None),
])
def test_dense_stack_training_is_bit_identical_to_the_layer_path(activation, loss, output):
    config = mlp(activation, loss, output)
    fused = Trainer(config, small_image_dataset())
    plain = layer_by_layer(Trainer(config, small_image_dataset()))
    assert fused._dense_stack is not None
    fused.run()
    plain.run()
    np.testing.assert_array_equal(fused.history.iteration_loss, plain.history.iteration_loss)
    for (key, a, ga), (_, b, gb) in zip(fused.network.param_list, plain.network.param_list):
        np.testing.assert_array_equal(a, b, err_msg=key)
        np.testing.assert_array_equal(ga, gb, err_msg=key)  # the gradients are left in place too
    assert fused.history.epochs[-1].val_accuracy == plain.history.epochs[-1].val_accuracy


def test_dense_stack_forward_matches_the_network_in_training_mode():
    trainer = Trainer(mlp("sigmoid", "quadratic", "sigmoid"), small_image_dataset())
    x = trainer.dataset.x_train[:13]
    expected = trainer.network.forward(x, training=True).copy()
    np.testing.assert_array_equal(trainer._dense_stack.forward(x), expected)


def test_dense_stack_only_takes_dense_stacks():
    conv = Sequential([{"type": "conv2d", "filters": 2}, {"type": "relu"}, {"type": "flatten"},
                       {"type": "dense", "units": 3}], (1, 6, 6))
    dropout = Sequential([{"type": "flatten"}, {"type": "dense", "units": 4}, {"type": "dropout", "rate": 0.5},
                          {"type": "dense", "units": 3}], (1, 6, 6))
    mlp_net = Sequential([{"type": "flatten"}, {"type": "dense", "units": 4}, {"type": "sigmoid"},
                          {"type": "dense", "units": 3}, {"type": "linear"}], (1, 6, 6))
    assert not DenseStack.supports(conv) and not DenseStack.supports(dropout)
    assert DenseStack.supports(mlp_net)
    with pytest.raises(ValueError, match="dense layers"):
        DenseStack(conv)
    cnn_trainer = Trainer(preset_config("cnn").with_changes(**{"training.epochs": 1}), small_image_dataset())
    assert cnn_trainer._dense_stack is None


def test_parameters_live_in_one_flat_array():
    net = Sequential([{"type": "dense", "units": 5}, {"type": "sigmoid"}, {"type": "dense", "units": 2}], (3,))
    assert net.flat_params.size == net.n_params == 3 * 5 + 5 + 5 * 2 + 2
    for _, p, g in net.param_list:
        assert np.shares_memory(p, net.flat_params) and np.shares_memory(g, net.flat_grads)
    net.layers[0].params["W"][0, 0] = 42.0
    assert 42.0 in net.flat_params
    net.astype(np.float64)  # repacked: still views, now float64
    assert net.flat_params.dtype == np.float64
    assert all(np.shares_memory(p, net.flat_params) for _, p, _ in net.param_list)


def test_flat_sgd_update_equals_the_per_array_update():
    def network():
        net = Sequential([{"type": "dense", "units": 6}, {"type": "tanh"}, {"type": "dense", "units": 3}], (4,),
                         rng=np.random.default_rng(3))
        net.flat_grads[...] = np.random.default_rng(4).standard_normal(net.flat_grads.size)
        return net

    flat_net, plain_net = network(), network()
    make_optimizer("sgd", 0.3).step(flat_net.param_list, (flat_net.flat_params, flat_net.flat_grads))
    make_optimizer("sgd", 0.3).step(plain_net.param_list)
    np.testing.assert_array_equal(flat_net.flat_params, plain_net.flat_params)
    # Weight decay and momentum take the per-array path even when the flat arrays are offered.
    decayed, reference = network(), network()
    make_optimizer("sgd", 0.3, weight_decay=0.1).step(decayed.param_list, (decayed.flat_params, decayed.flat_grads))
    make_optimizer("sgd", 0.3, weight_decay=0.1).step(reference.param_list)
    np.testing.assert_array_equal(decayed.flat_params, reference.flat_params)
    assert not np.array_equal(decayed.flat_params, flat_net.flat_params)


@pytest.mark.parametrize("chunk", [1, 3, 7, 100])
def test_step_batches_equals_repeated_step_batch(chunk):
    config = mlp("sigmoid", "quadratic", "sigmoid", **{"training.epochs": 3, "training.batch_size": 16})
    chunked, single = Trainer(config, small_image_dataset()), Trainer(config, small_image_dataset())
    records = []
    while not chunked.finished:
        result = chunked.step_batches(chunk)
        assert result.iteration == chunked.iteration
        if result.epoch_finished:
            records.append(result.epoch_finished)
    while not single.finished:
        single.step_batch()
    assert chunked.state == single.state == FINISHED
    assert chunked.iteration == single.iteration == 3 * 8  # ceil(120 / 16) batches per epoch
    assert [r.epoch for r in records] == [1, 2, 3]  # a chunk stops at the end of its epoch
    np.testing.assert_array_equal(chunked.history.iteration_loss, single.history.iteration_loss)
    for a, b in zip(chunked.history.epochs, single.history.epochs):
        assert (a.train_loss, a.train_accuracy, a.val_accuracy) == (b.train_loss, b.train_accuracy, b.val_accuracy)


def test_step_batches_of_nothing_trains_nothing():
    trainer = Trainer(mlp("sigmoid", "quadratic", "sigmoid"), small_image_dataset())
    result = trainer.step_batches(0)
    assert trainer.iteration == 0 and trainer.state == "ready" and not result.diverged
    assert trainer.step_batches(2).iteration == 2


def test_step_batches_stops_at_an_iteration_limit_and_on_divergence():
    limited = Trainer(mlp("relu", "cross-entropy", **{"training.iterations": 5, "training.epochs": 10}),
                      small_image_dataset())
    result = limited.step_batches(50)
    assert result.iteration == limited.iteration == 5 and limited.state == FINISHED
    assert limited.history.n_iterations == 5 and result.epoch_finished is not None
    diverging = Trainer(mlp("relu", "cross-entropy", **{"optimizer.learning_rate": 1e6}), small_image_dataset())
    result = diverging.step_batches(100)
    assert result.diverged and diverging.state == DIVERGED
    assert diverging.history.n_iterations == diverging.iteration < 12  # the diverging batch is not recorded
    assert "diverged" in diverging.message


def test_history_reserve_keeps_what_is_recorded():
    history = History()
    for value in range(5):
        history.add_iteration_loss(float(value))
    buffer = history.reserve(5000)
    assert buffer.shape[0] >= 5005
    buffer[5:8] = [5.0, 6.0, 7.0]
    history.n_iterations = 8
    np.testing.assert_array_equal(history.iteration_loss, np.arange(8, dtype=np.float32))


def test_step_for_trains_chunks_sized_by_the_measured_speed():
    trainer = Trainer(mlp("sigmoid", "quadratic", "sigmoid", **{"training.batch_size": 4}), small_image_dataset())
    assert trainer.step_for(10.0).iteration == 1  # no speed known yet: one batch
    trainer.step_for(0.0)
    assert trainer.iteration == 2  # at least one batch, however short the time asked for
    result = trainer.step_for(10.0)  # ten seconds' worth: the rest of the epoch, not beyond
    assert trainer.iteration == 30 and result.epoch_finished is not None and result.epoch_finished.epoch == 1
