"""The lectures' numbers from the labs' Qt-free lessons: gradient descent, XOR, activations, parameters."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nnviz.core.errors import ConfigError
from nnviz.core.lessons import activations as act
from nnviz.core.lessons import gradient_descent as gd
from nnviz.core.lessons.parameters import count_architecture, format_counts
from nnviz.core.lessons.text_table import format_number
from nnviz.core.lessons.xor import HAND_WEIGHTS, XorTraining, XorWeights, format_forward, forward_table, xor_network


# --- gradient descent --------------------------------------------------------------------------
def test_one_dimensional_derivatives_of_the_slide():
    assert gd.parabola(6.0) == 10
    numeric = gd.numeric_derivative(gd.parabola, 6.0, 0.01)
    assert numeric == pytest.approx(6.01, abs=1e-9) and format_number(numeric) == "6.01"
    assert gd.parabola_slope(6.0) == 6
    assert "6.01" in gd.derivative_table() and "10" in gd.derivative_table()


def test_two_dimensional_rounds_of_the_slide():
    rounds = gd.gradient_rounds((6.0, -2.0), 0.01, 3)
    first, second = rounds[0], rounds[1]
    assert (first.x, first.y, first.z) == (6.0, -2.0, 14.0)
    assert (first.grad_x, first.grad_y) == (6.0, -4.0)
    assert (first.next_x, first.next_y) == (5.94, -1.96)
    assert (second.grad_x, second.grad_y) == (5.88, -3.92)
    # 5.94 - 0.01 * 5.88 = 5.8812 (not 5.8824: that would use the gradient at x = 5.88)
    assert (second.next_x, second.next_y) == (5.8812, -1.9208)
    table = gd.rounds_table(rounds)
    assert "(6, -4)" in table and "(5.94, -1.96)" in table and "(5.8812, -1.9208)" in table


def test_descend_matches_the_rounds_and_momentum_formula():
    path = gd.descend(gd.SURFACES["bowl"], (6.0, -2.0), 0.01, 2)
    np.testing.assert_allclose(path[1:], [[5.94, -1.96], [5.8812, -1.9208]])
    one_d = gd.descend(gd.SURFACES["parabola"], 6.0, 0.1, 1)
    assert one_d[1, 0] == pytest.approx(6 - 0.1 * 6)
    with_momentum = gd.descend(gd.SURFACES["parabola"], 6.0, 0.1, 2, momentum=0.5)
    v1 = -0.6
    v2 = 0.5 * v1 - 0.1 * gd.parabola_slope(5.4)
    assert with_momentum[2, 0] == pytest.approx(5.4 + v2)


def test_pitfalls_show_what_they_claim():
    crawl, = gd.pitfall_paths("crawl")
    assert abs(crawl.points[-1, 0] - 3) > 1 and not crawl.diverged  # still far from the minimum at 3
    oscillate, = gd.pitfall_paths("oscillate")
    sides = np.sign(oscillate.points[:6, 0] - 3)
    assert np.all(sides[1:] != sides[:-1]) and abs(oscillate.points[-1, 0] - 3) < 0.01
    diverge, = gd.pitfall_paths("diverge")
    assert diverge.diverged and np.all(np.diff(np.abs(diverge.points[:, 0] - 3)) > 0)
    left, right = gd.pitfall_paths("two-minima")
    assert left.points[-1, 0] == pytest.approx(-2.06, abs=0.01)
    assert right.points[-1, 0] == pytest.approx(1.93, abs=0.01)
    assert left.values[-1] < right.values[-1]  # the right valley is only a local minimum
    plain, momentum = gd.pitfall_paths("momentum")
    assert momentum.values[-1] < 0.01 * plain.values[-1]
    assert np.any(np.diff(np.sign(plain.points[:10, 1])) != 0)  # plain descent zig-zags across the valley


# --- XOR ---------------------------------------------------------------------------------------
def test_xor_by_hand_gives_the_slides_table():
    forward = forward_table(HAND_WEIGHTS, "relu")
    np.testing.assert_array_equal(forward.pre_activations, [[0, -1], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal(forward.hidden, [[0, 0], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal(forward.outputs, [0, 1, 1, 0])
    assert forward.solved
    text = format_forward(forward)
    for row in ("(0, 0)   [0, -1]", "[1, 0]", "[2, 1]"):
        assert row in text


def test_xor_weights_round_trip_through_the_core_network():
    assert XorWeights.from_network(xor_network(HAND_WEIGHTS)) == HAND_WEIGHTS
    edited = XorWeights(((1.0, 1.0), (1.0, 1.0)), (0.0, -1.0), (1.0, -1.0), 0.0)
    assert not forward_table(edited).solved  # (1, 1) now gives 1


def test_xor_training_from_random_finds_a_solution():
    training = XorTraining("relu", seed=0)
    forward = training.run()
    assert training.solved and forward.solved
    assert training.attempts[-1][2] == "solved"
    assert np.all(np.abs(forward.outputs - [0, 1, 1, 0]) < 0.05)


# --- activations -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_derivatives_match_central_differences(name):
    z = np.array([-2.5, -1.0, -0.3, 0.4, 1.0, 2.5])  # away from ReLU's kink
    h = 1e-6
    numeric = (act.activation(name, z + h) - act.activation(name, z - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(name, z), numeric, rtol=1e-6, atol=1e-9)


def test_activation_values_and_softmax_example():
    assert act.activation("sigmoid", 0.0) == 0.5 and act.derivative("sigmoid", 0.0) == 0.25
    np.testing.assert_array_equal(act.activation("step", np.array([-1.0, 0.0, 2.0])), [0, 1, 1])
    np.testing.assert_array_equal(act.activation("relu", np.array([-1.0, 0.0, 2.0])), [0, 0, 2])
    p = act.softmax(act.SOFTMAX_EXAMPLE)
    np.testing.assert_allclose(p, [0.659, 0.242, 0.099], atol=5e-4)
    assert p.sum() == pytest.approx(1.0)
    assert act.softmax([1000.0, 1000.0]).tolist() == [0.5, 0.5]  # no overflow


def test_logistic_and_bump():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(act.logistic(x, 2.0, 1.0), 1 / (1 + np.exp(-(1.0 + 2.0 * x))), rtol=1e-12)
    parts, total = act.logistic_bump(np.array([-5.0, 0.0, 5.0]), 10.0, (-2.0, 2.0), (1.0, -1.0))
    np.testing.assert_allclose(total, [0, 1, 0], atol=1e-6)
    assert len(parts) == 2


# --- parameter counter -------------------------------------------------------------------------
def test_parameter_counts_of_the_slides():
    small = count_architecture("3-5-4-5-2")
    assert (small.neurons, small.weights, small.biases, small.total) == (16, 65, 16, 81)
    assert "slide says 82; 65 + 16 = 81" in small.notes
    assert count_architecture("784-30-10").total == 23860
    assert count_architecture("784, 30, 10").key == "784-30-10"
    assert count_architecture("nielsen").total == 23860
    assert "23,860 learnable parameters" in format_counts(count_architecture("784-30-10"))


def test_lenet_counts_and_the_slides_431k():
    classic = count_architecture("lenet5")
    assert (classic.weights, classic.biases, classic.total, classic.macs) == (61470, 236, 61706, 416520)
    assert [r.output_shape for r in classic.rows if r.description.startswith("conv")] == [(6, 28, 28), (16, 10, 10)]
    caffe = count_architecture("lenet-caffe")
    assert (caffe.weights, caffe.macs) == (430500, 2293000)  # the slides' "about 431k weights, 2.3M MACs"
    assert any("431k" in note for note in classic.notes)


def test_cnn_preset_and_bad_architectures():
    cnn = count_architecture("cnn")
    assert cnn.total == 16 * 9 + 16 + 16 * 14 * 14 * 10 + 10
    for text in ("", "7", "3-0-2", "no-such-net"):
        with pytest.raises(ConfigError):
            count_architecture(text)


def test_lessons_do_not_import_qt():
    code = ("import sys, importlib, pkgutil, nnviz.core.lessons as lessons\n"
            "for m in pkgutil.iter_modules(lessons.__path__):\n"
            "    importlib.import_module('nnviz.core.lessons.' + m.name)\n"
            "import nnviz.ui.labs.registry\n"
            "assert 'PySide6' not in sys.modules, [k for k in sys.modules if 'PySide' in k]\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
