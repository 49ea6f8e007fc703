"""The labs' training lessons: the playground's perceptron and MLP, and the two MNIST comparisons."""

from __future__ import annotations

import numpy as np


from nnviz.core.lessons.loss_comparison import LossComparison, LossSettings, comparison_table
from nnviz.core.lessons.playground import (GRID, THUMB, PlaygroundRun, PlaygroundSettings, Standardizer,
                                           perceptron_mistakes)
from nnviz.core.lessons.vanishing import VanishingGradients, VanishingSettings, vanishing_table


def test_perceptron_converges_on_blobs_and_never_on_xor():
    blobs = perceptron_mistakes("blobs", epochs=10)
    assert 0 in blobs and all(m == 0 for m in blobs[blobs.index(0):])  # once separated, it stays
    xor = perceptron_mistakes("xor", epochs=30)
    assert min(xor) >= 1  # XOR is not linearly separable


def test_perceptron_steps_one_sample_and_draws_its_line_in_data_units():
    run = PlaygroundRun(PlaygroundSettings(mode="perceptron", dataset="diabetes", learning_rate=1.0))
    for _ in range(5):
        run.step(1)
    assert run.trainer.iteration == 5 and run.trainer.batch_size == 1
    view = run.view()
    w, b = view.line
    x_raw = run.raw.x_train[:20].astype(np.float64)
    z_standard = run.standardizer.apply(x_raw) @ view.weights[0][:, 0] + view.biases[0][0]
    np.testing.assert_allclose(x_raw @ w + b, z_standard, rtol=1e-4, atol=1e-4)
    assert view.output.shape == (GRID, GRID) and set(np.unique(view.output)) <= {0.0, 1.0}


def test_mlp_learns_moons_and_reports_every_neuron():
    settings = PlaygroundSettings(hidden=(6, 4), dataset="moons", noise=0.15)
    run = PlaygroundRun(settings)
    for _ in range(40):
        run.step_epoch()
    view = run.view()
    assert view.test_accuracy > 0.9
    assert view.layer_sizes == (2, 6, 4, 1)
    assert [m.shape for m in view.neuron_maps] == [(6, THUMB, THUMB), (4, THUMB, THUMB), (1, THUMB, THUMB)]
    assert all(0 <= m.min() and m.max() <= 1 for m in view.neuron_maps)
    run.set_learning_rate(0.05)
    assert run.trainer.learning_rate == 0.05


def test_standardizer_round_trip():
    s = Standardizer(np.array([85.0, 3.5]), np.array([28.0, 2.0]))
    np.testing.assert_allclose(s.apply(np.array([[85.0, 3.5], [113.0, 5.5]])), [[0, 0], [1, 1]])


def test_loss_comparison_on_mnist(shared_data_dir):
    settings = LossSettings(train_size=1000, test_size=1000, epochs=1, evaluations_per_epoch=2)
    comparison = LossComparison(settings, data_dir=str(shared_data_dir))
    q, ce = (t.network.state_dict() for t in comparison.trainers.values())
    for key in q:  # same starting weights: only the cost differs
        np.testing.assert_array_equal(q[key], ce[key])
    quadratic, cross_entropy = comparison.run()
    assert comparison.finished and comparison.iteration == 100
    assert quadratic.eval_epochs.tolist() == [0.0, 0.5, 1.0] == cross_entropy.eval_epochs.tolist()
    assert cross_entropy.final_accuracy > quadratic.final_accuracy  # the slides' claim, at the same eta
    assert cross_entropy.output_delta[0] > quadratic.output_delta[0]
    assert "cross-entropy" in comparison_table((quadratic, cross_entropy), settings)


def test_vanishing_gradients_on_mnist(shared_data_dir):
    settings = VanishingSettings(iterations=40, train_size=1000, test_size=500)
    norms = VanishingGradients(settings, data_dir=str(shared_data_dir)).run()
    sigmoid, relu = norms["sigmoid"], norms["relu"]
    assert sigmoid.bias_norms.shape == (40, 5) == relu.bias_norms.shape
    s_means, r_means = sigmoid.bias_norms.mean(axis=0), relu.bias_norms.mean(axis=0)
    assert np.all(np.diff(s_means) > 0)  # every layer further back gets a weaker signal
    assert s_means[0] / s_means[-1] < 0.02
    assert r_means[0] / r_means[-1] > 0.3
    assert not np.isnan(sigmoid.test_accuracy)
    assert "first / last layer" in vanishing_table(norms, settings)
