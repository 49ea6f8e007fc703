"""A run that trains but learns nothing is said, not hidden: stuck at chance with saturated
outputs (η = 1000 on nielsen; η = 30 with cross-entropy), and dead output units (a class never
predicted, its sigmoid saturated)."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core.presets import preset_config
from nnviz.core.record import build_record
from nnviz.core.run_health import DEAD_OUTPUTS, STUCK, chance_limit, diagnose
from nnviz.core.trainer import Trainer

K = 10


def healthy_outputs(n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, K, n)
    values = rng.uniform(0.0, 0.2, (n, K))
    values[np.arange(n), labels] = rng.uniform(0.6, 0.99, n)
    return values, labels


def test_chance_limit():
    assert chance_limit(10) == pytest.approx(0.15) and chance_limit(2) == pytest.approx(0.55)


def test_a_healthy_run_says_nothing():
    values, labels = healthy_outputs()
    assert diagnose(values, values.argmax(1), labels, accuracy=0.9, n_classes=K, epoch=1) is None


def test_saturated_outputs_at_chance_are_stuck_and_suggest_the_presets_rate():
    values = np.zeros((1000, K))  # every sigmoid at 0: σ'(z) = 0 everywhere
    labels = np.arange(1000) % K
    health = diagnose(values, np.zeros(1000, np.int64), labels, accuracy=0.098, n_classes=K, epoch=1,
                      learning_rate=1000.0, preset_learning_rate=3.0)
    assert health.kind == STUCK and health.suggested_learning_rate == 3.0
    assert "stuck at chance" in health.message and "learning rate 1000" in health.message
    assert "try 3." in health.message
    # Chance-level accuracy with outputs that still move is early training, not a stuck run.
    assert diagnose(np.full((1000, K), 0.5), np.zeros(1000, np.int64), labels, accuracy=0.1, n_classes=K,
                    epoch=1) is None


def test_a_cross_entropy_run_answering_one_class_with_certainty_is_stuck():
    """Softmax probabilities of 0 or 1 at chance: the output error a − y is large, not vanishing, so
    the message names what did stop (the hidden units) and the one answer given to every input."""
    values = np.zeros((1000, K))
    values[:, 7] = 1.0
    labels = np.arange(1000) % K
    health = diagnose(values, np.full(1000, 7), labels, accuracy=0.1, n_classes=K, epoch=2, sigmoid_outputs=False,
                      learning_rate=30.0, preset_learning_rate=3.0, cross_entropy=True)
    assert health.kind == STUCK and health.suggested_learning_rate == 3.0
    assert "100% of the output probabilities at 0 or 1, answering class 7 for 100% of the inputs" in health.message
    assert "hidden units saturated or dead" in health.message and "σ'(z)" not in health.message
    assert health.message.endswith("The learning rate 30 is probably far too large: try 3.")
    # Spread answers name no class; probabilities that still move are no stuck run.
    spread = diagnose(values, labels, labels[::-1], accuracy=0.1, n_classes=K, epoch=2, sigmoid_outputs=False,
                      cross_entropy=True)
    assert spread.kind == STUCK and "answering" not in spread.message
    assert diagnose(np.full((1000, K), 0.1), labels, labels, accuracy=0.1, n_classes=K, epoch=1,
                    sigmoid_outputs=False, cross_entropy=True) is None


def test_a_never_predicted_saturated_unit_is_named_with_its_empty_column():
    values, labels = healthy_outputs()
    values[:, 7] = 1e-4  # unit 7's weighted input far below 0 for every input
    predictions = values.argmax(1)
    health = diagnose(values, predictions, labels, accuracy=float(np.mean(predictions == labels)),
                      n_classes=K, epoch=3)
    assert health.kind == DEAD_OUTPUTS and health.dead_outputs == (7,)
    assert health.message.startswith("output unit 7 is never predicted: saturated")
    assert "empty column 7" in health.message and "σ'(z) ≈ 0" in health.message


def test_fashion_class_names_and_almost_never_predicted_units():
    values, labels = healthy_outputs()
    values[:, 2] = 1e-4
    values[:, 4] = 1e-4
    predictions = values.argmax(1)
    predictions[:3] = 2  # a few wrong guesses land on the dead unit when every output is small
    names = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot")
    health = diagnose(values, predictions, labels, accuracy=0.8, n_classes=K, epoch=1, class_names=names)
    assert health.dead_outputs == (2, 4)
    assert "output units 2 (Pullover) and 4 (Coat) are (almost) never predicted: saturated" in health.message


@pytest.fixture
def small_nielsen(shared_data_dir):
    def make(**changes) -> Trainer:
        config = preset_config("nielsen").with_changes(**{"data.train_size": 2000, "data.val_size": 1000,
                                                          "training.epochs": 2, **changes})
        return Trainer(config, data_dir=str(shared_data_dir))
    return make


def test_the_trainer_finds_a_stuck_run_after_an_epoch_and_the_record_carries_it(small_nielsen):
    trainer = small_nielsen(**{"optimizer.learning_rate": 1000.0})
    trainer.step_batch()
    assert trainer.health is None  # judged after an epoch's evaluation only
    trainer.step_epoch()
    assert trainer.health is not None and trainer.health.kind == STUCK and trainer.health.epoch == 1
    assert build_record(trainer).health == trainer.health


def test_the_trainer_finds_a_stuck_cross_entropy_run(small_nielsen):
    """`--loss cross-entropy --lr 30`: its hidden sigmoids saturate and every input gets one class."""
    trainer = small_nielsen(**{"model.loss": "cross-entropy", "optimizer.learning_rate": 30.0})
    trainer.step_epoch()
    trainer.step_epoch()
    health = trainer.health
    assert health is not None and health.kind == STUCK, trainer.last_eval["val"].accuracy
    assert "output probabilities at 0 or 1" in health.message and health.suggested_learning_rate == 3.0
    healthy = small_nielsen(**{"model.loss": "cross-entropy", "optimizer.learning_rate": 0.5})
    healthy.step_epoch()
    assert healthy.health is None and healthy.last_eval["val"].accuracy > 0.5


def test_the_trainer_names_a_dead_output_unit(small_nielsen):
    trainer = small_nielsen()
    output = trainer.network.layers[-2]  # the last Dense, before its sigmoid
    output.params["b"][7] = -40.0  # saturated for every input: quadratic cost cannot revive it
    trainer.step_epoch()
    health = trainer.health
    assert health is not None and health.kind == DEAD_OUTPUTS and health.dead_outputs == (7,)
    assert "output unit 7 is never predicted: saturated" in health.message
    assert trainer.confusion("val")[:, 7].sum() == 0  # the empty column the message names


def test_a_healthy_small_run_has_no_hint(small_nielsen):
    trainer = small_nielsen()
    trainer.step_epoch()
    assert trainer.health is None


def test_cli_ends_a_stuck_run_with_a_clear_hint_and_exit_0(tmp_path, capsys, shared_data_dir):
    from nnviz.cli import main

    code = main(["train", "--preset", "nielsen", "--lr", "1000", "--epochs", "2", "--train-size", "2000",
                 "--data-dir", str(shared_data_dir), "--out", str(tmp_path / "run")])
    captured = capsys.readouterr()
    assert code == 0
    assert "Finished: test accuracy" in captured.out
    last = captured.err.strip().splitlines()[-1]
    assert last.startswith("nnviz: warning: the run is stuck at chance")
    assert "The learning rate 1000 is probably far too large: try 3." in last
