"""The stepper: determinism, stepping, live changes, divergence, snapshots, lecture outcomes."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core.data.splits import Dataset
from nnviz.core.presets import PRESETS, preset_config
from nnviz.core.record import RunRecord
from nnviz.core.data.toy import load_toy_dataset
from nnviz.core.trainer import DIVERGED, FINISHED, Trainer


def small_image_dataset(n_train=120, n_val=40, n_test=40, seed=0) -> Dataset:
    """Random 'images' whose class is set by which quadrant is brightest: learnable, tiny."""
    rng = np.random.default_rng(seed)

    def make(n):
        x = rng.random((n, 1, 8, 8), dtype=np.float32) * 0.2
        y = rng.integers(0, 4, n)
        for q in range(4):
            rows = y == q
            x[rows, 0, (q // 2) * 4:(q // 2) * 4 + 4, (q % 2) * 4:(q % 2) * 4 + 4] += 0.8
        return x, y.astype(np.int64)

    (xt, yt), (xv, yv), (xs, ys) = make(n_train), make(n_val), make(n_test)
    return Dataset("quadrants", ["a", "b", "c", "d"], xt, yt, xv, yv, xs, ys)


def mlp_config(**changes):
    base = preset_config("mlp-3layer").with_changes(**{"model.hidden": [16], "training.batch_size": 16,
                                                       "training.epochs": 3})
    return base.with_changes(**changes) if changes else base


def test_same_seed_gives_identical_histories():
    runs = []
    for _ in range(2):
        trainer = Trainer(mlp_config(), small_image_dataset())
        trainer.run()
        runs.append(trainer)
    a, b = runs
    np.testing.assert_array_equal(a.history.iteration_loss, b.history.iteration_loss)
    assert [r.val_accuracy for r in a.history.epochs] == [r.val_accuracy for r in b.history.epochs]
    for (_, pa, _), (_, pb, _) in zip(a.network.param_list, b.network.param_list):
        np.testing.assert_array_equal(pa, pb)
    other = Trainer(mlp_config(**{"training.seed": 1}), small_image_dataset())
    other.run()
    assert not np.array_equal(other.history.iteration_loss, a.history.iteration_loss)


def test_step_epoch_equals_its_step_batch_calls():
    by_epoch = Trainer(mlp_config(), small_image_dataset())
    by_batch = Trainer(mlp_config(), small_image_dataset())
    record = by_epoch.step_epoch()
    results = [by_batch.step_batch() for _ in range(by_batch.batches_in_epoch)]
    assert results[-1].epoch_finished is not None and all(r.epoch_finished is None for r in results[:-1])
    assert record.iteration == by_batch.iteration == 8  # ceil(120 / 16)
    np.testing.assert_array_equal(by_epoch.history.iteration_loss, by_batch.history.iteration_loss)
    assert by_epoch.epoch == by_batch.epoch == 1


def test_step_batch_moves_the_iteration_by_one():
    trainer = Trainer(mlp_config(), small_image_dataset())
    trainer.step_batch()
    trainer.step_batch()
    assert (trainer.iteration, trainer.batch_in_epoch, trainer.batches_in_epoch) == (2, 2, 8)
    assert trainer.history.iteration_loss.shape == (2,)


def test_learning_rate_change_acts_on_the_next_batch():
    a = Trainer(mlp_config(), small_image_dataset())
    b = Trainer(mlp_config(), small_image_dataset())
    a.step_batch(), b.step_batch()
    b.set_learning_rate(0.5)
    before = b.network.param_list[0][1].copy()
    a.step_batch(), b.step_batch()
    w_a, w_b = a.network.param_list[0][1], b.network.param_list[0][1]
    assert not np.allclose(w_a, w_b)
    # b's second update is 5x a's (0.5 vs 0.1), both from the same weights and batch.
    step_a = w_a - before
    np.testing.assert_allclose(w_b - before, 5 * step_a, rtol=1e-3, atol=1e-6)
    assert b.history.epochs == [] and b.learning_rate == 0.5


def test_momentum_and_batch_size_change_between_steps():
    trainer = Trainer(mlp_config(), small_image_dataset())
    trainer.step_batch()
    trainer.set_momentum(0.9)
    trainer.set_batch_size(40)
    trainer.step_batch()
    assert trainer.optimizer.momentum == 0.9
    assert trainer.batches_in_epoch == 2 + 2  # 16 + 40 done, 64 left in batches of 40
    with pytest.raises(ValueError):
        trainer.set_learning_rate(-1.0)


def test_iteration_limit_finishes_the_run():
    trainer = Trainer(mlp_config(**{"training.iterations": 10, "training.epochs": 50}), small_image_dataset())
    trainer.run()
    assert trainer.iteration == 10 and trainer.state == FINISHED
    assert trainer.step_batch().iteration == 10  # stepping a finished run does nothing


def test_a_huge_learning_rate_ends_in_the_diverged_state():
    trainer = Trainer(mlp_config(**{"optimizer.learning_rate": 1000.0}), small_image_dataset())
    records = trainer.run()
    assert trainer.state == DIVERGED
    assert "smaller learning rate" in trainer.message and "diverged" in trainer.message
    assert trainer.iteration < 8 and records == []
    assert trainer.step_batch().diverged  # further steps are ignored, no exception
    assert all(np.all(np.isfinite(p)) for _, p, _ in trainer.network.param_list)


def test_nan_loss_ends_in_the_diverged_state():
    data = small_image_dataset()
    data.x_train = data.x_train.copy()
    data.x_train[0, 0, 0, 0] = np.nan
    trainer = Trainer(mlp_config(**{"training.shuffle": False}), data)
    trainer.step_batch()
    assert trainer.state == DIVERGED and "NaN" in trainer.message


def test_perceptron_converges_on_blobs_and_never_on_xor():
    blobs = Trainer(preset_config("perceptron-blobs"))
    blobs.run()
    mistakes = [r.train_mistakes for r in blobs.history.epochs]
    assert mistakes[-1] == 0 and blobs.history.epochs[-1].train_accuracy == 1.0
    xor = Trainer(preset_config("perceptron-xor"))
    xor.run()
    assert all(r.train_mistakes > 0 for r in xor.history.epochs)
    assert xor.evaluate("test").accuracy < 1.0


def test_xor_mlp_learns_xor_from_random_weights():
    trainer = Trainer(preset_config("xor-mlp"))
    trainer.run()
    x, _ = trainer.dataset.split("train")
    outputs = trainer.network.predict(x)[:, 0]
    assert np.round(outputs).tolist() == [0, 1, 1, 0]


def test_snapshot_holds_copies_in_display_layout():
    trainer = Trainer(preset_config("cnn").with_changes(**{"training.batch_size": 16}), small_image_dataset())
    trainer.step_epoch()
    snap = trainer.snapshot(probe_index=3, probe_split="test", confusion_split="val")
    assert isinstance(snap, RunRecord)
    assert snap.first_layer_kind == "conv2d" and snap.filter_images.shape == (16, 3, 3)
    assert snap.probe_input.shape == (8, 8) and snap.probe_label == trainer.dataset.y_test[3]
    names = [name for name, _ in snap.activations]
    assert names[:3] == ["conv2d_1", "relu_1", "maxpool2d_1"]
    assert dict(snap.activations)["relu_1"].shape == (16, 8, 8)
    assert snap.probabilities.shape == (4,) and snap.probabilities.sum() == pytest.approx(1, abs=1e-5)
    assert snap.confusion.sum() == trainer.dataset.size("val")
    assert snap.train_loss.shape == (trainer.iteration,)
    assert snap.epochs.val_accuracy.shape == (1,)
    before = snap.first_layer_weights.copy()
    trainer.step_batch()
    np.testing.assert_array_equal(snap.first_layer_weights, before)  # not a view of live weights
    assert not np.shares_memory(snap.train_loss, trainer.history.iteration_loss)


def test_dense_first_layer_filters_are_input_images():
    trainer = Trainer(mlp_config(), small_image_dataset())
    snap = trainer.snapshot()
    assert snap.first_layer_kind == "dense" and snap.filter_images.shape == (16, 8, 8)
    np.testing.assert_array_equal(snap.filter_images[2].ravel(), trainer.network.layers[1].params["W"][:, 2])
    assert snap.confusion is None  # nothing evaluated yet


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_runs_a_few_batches(name, shared_data_dir):
    from nnviz.core.data.loading import dataset_status

    config = preset_config(name)
    if dataset_status(config.data.name, str(shared_data_dir)) is None:
        pytest.skip(f"{config.data.name} is not available offline here")
    if config.data.name not in ("xor", "xor-cloud", "blobs", "circles", "moons", "spiral", "diabetes"):
        config = config.with_changes(**{"data.train_size": 256, "data.val_size": 10000, "data.test_size": 500})
    trainer = Trainer(config, data_dir=str(shared_data_dir))
    for _ in range(3):
        trainer.step_batch()
    assert trainer.iteration >= 1 and np.isfinite(trainer.history.iteration_loss).all()
    trainer.snapshot(probe_index=0)


def test_one_nielsen_epoch_on_real_mnist_reaches_90_percent(shared_data_dir):
    trainer = Trainer(preset_config("nielsen"), data_dir=str(shared_data_dir))
    record = trainer.step_epoch()
    assert record.test_total == 10000 and record.val_total == 10000
    assert record.test_accuracy >= 0.90, record


def test_toy_dataset_split_shapes():
    data = load_toy_dataset("moons", seed=1)
    assert data.kind == "points" and data.input_shape == (2,)
    trainer = Trainer(preset_config("xor-mlp").with_changes(**{"data.name": "moons"}), data)
    trainer.step_epoch()
    assert trainer.epoch == 1


def test_learning_rate_decays_after_every_epoch():
    trainer = Trainer(mlp_config(**{"optimizer.lr_decay": 0.5}), small_image_dataset())
    trainer.step_epoch()
    trainer.step_epoch()
    assert trainer.learning_rate == pytest.approx(0.1 * 0.25)
    assert [r.learning_rate for r in trainer.history.epochs] == pytest.approx([0.1, 0.05])


def test_random_shift_moves_each_image_within_the_limit():
    from nnviz.core.data.augment import random_shift

    images = np.zeros((50, 1, 9, 9), dtype=np.float32)
    images[:, 0, 4, 4] = 1.0  # one bright pixel in the centre
    shifted = random_shift(images, 2, np.random.default_rng(0))
    assert shifted.shape == images.shape and shifted.dtype == np.float32
    rows, cols = np.nonzero(shifted[:, 0].sum(axis=2))[1], np.nonzero(shifted[:, 0].sum(axis=1))[1]
    assert set(rows) <= {2, 3, 4, 5, 6} and set(cols) <= {2, 3, 4, 5, 6}
    assert len(set(zip(rows, cols))) > 5  # different shifts for different samples
    assert np.all(shifted.reshape(50, -1).sum(axis=1) == 1)  # nothing lost or duplicated


def test_more_epochs_make_a_finished_run_steppable_again():
    trainer = Trainer(mlp_config(**{"training.epochs": 1}), small_image_dataset())
    trainer.run()
    assert trainer.state == FINISHED
    trainer.set_epochs(2)
    assert trainer.state == "ready" and trainer.step_epoch() is not None and trainer.epoch == 2
    assert trainer.state == FINISHED
