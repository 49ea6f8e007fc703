"""Vanishing and exploding gradients (Qt-free): per-layer error signals shrink on their way back
through sigmoid layers, stay level with ReLU and He weights, and grow with large initial weights."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core.lessons.vanishing import NETWORKS, VanishingGradients, VanishingSettings, vanishing_table


@pytest.fixture(scope="module")
def norms(shared_data_dir):
    settings = VanishingSettings(iterations=40, train_size=1000, test_size=500)
    return settings, VanishingGradients(settings, data_dir=str(shared_data_dir)).run()


def test_large_initial_weights_make_the_gradients_grow_layer_by_layer(norms):
    settings, result = norms
    assert list(result) == ["sigmoid", "relu", "exploding"]
    exploding, sigmoid = result["exploding"], result["sigmoid"]
    assert exploding.bias_norms.shape == (40, 5) and np.isfinite(exploding.bias_norms).all()
    means = exploding.bias_norms.mean(axis=0)
    assert np.all(np.diff(means) < 0)  # every layer further back gets a *stronger* signal
    assert exploding.growth() > 20  # orders of magnitude: ~3x per layer over four layers
    first = exploding.bias_norms[0]  # at the very start, before any update: ~3x per layer
    assert np.all(first[:-1] / first[1:] > 2)
    s_means = sigmoid.bias_norms.mean(axis=0)
    assert np.all(np.diff(s_means) > 0) and sigmoid.growth() < 0.02  # the mirror image: vanishing
    assert exploding.growth() * sigmoid.growth() < 5 and exploding.growth() / sigmoid.growth() > 1000
    assert 0.3 < result["relu"].growth() < 3  # He weights: level
    assert exploding.diverged_at == 0 and not np.isnan(exploding.test_accuracy)
    table = vanishing_table(result, settings)
    assert "ReLU, N(0, 1)" in table and "first / last layer" in table and "η = 0.0001" in table


def test_with_the_others_learning_rate_large_weights_diverge_at_once(shared_data_dir):
    settings = VanishingSettings(iterations=6, train_size=500, test_size=200, networks=("exploding",),
                                 large_init_learning_rate=0.1)
    result = VanishingGradients(settings, data_dir=str(shared_data_dir)).run()["exploding"]
    assert result.diverged_at == 2  # the first update with such gradients blows the loss up
    assert np.isfinite(result.bias_norms[0]).all() and np.isnan(result.bias_norms[1:]).all()
    assert result.growth() > 50 and np.isnan(result.test_accuracy)
    assert "diverged at iteration 2" in vanishing_table({"exploding": result}, settings)


def test_the_networks_differ_only_in_activation_and_initial_weights():
    from nnviz.core.lessons.vanishing import vanishing_config

    settings = VanishingSettings()
    configs = {key: vanishing_config(key, settings) for key in NETWORKS}
    assert configs["exploding"].model.init == "normal" and configs["exploding"].model.init_std == 1.0
    assert configs["exploding"].model.activation == "relu" and configs["relu"].model.init == "he"
    assert configs["exploding"].optimizer.learning_rate == settings.large_init_learning_rate
    assert {c.model.hidden == list(settings.hidden) for c in configs.values()} == {True}
