"""Central-difference gradient checks in float64 for every layer and loss (style guide, section 11)."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core.conv import Conv2D, MaxPool2D
from nnviz.core.layers import Dense, Dropout, Flatten, Linear, ReLU, Sigmoid, Softmax, Tanh
from nnviz.core.losses import MeanSquaredError, PerceptronCriterion, QuadraticCost, SoftmaxCrossEntropy

EPS = 1e-6
TOLERANCE = 1e-5


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numeric_gradient(f, array: np.ndarray, indices) -> np.ndarray:
    grads = []
    for index in indices:
        old = array[index]
        array[index] = old + EPS
        plus = f()
        array[index] = old - EPS
        minus = f()
        array[index] = old
        grads.append((plus - minus) / (2 * EPS))
    return np.array(grads)


def sample_indices(shape, rng, count=25):
    flat = rng.choice(int(np.prod(shape)), size=min(count, int(np.prod(shape))), replace=False)
    return [np.unravel_index(i, shape) for i in flat]


def check_layer(layer, x: np.ndarray, rng: np.random.Generator) -> None:
    """Compare backward() with numeric derivatives of sum(forward(x) * R) for x and every parameter."""
    layer.build(x.shape[1:], rng, np.float64)
    layer.astype(np.float64)
    layer.needs_input_grad = True
    out = layer.forward(x, training=True)
    weights = rng.standard_normal(out.shape)

    def objective() -> float:
        return float(np.sum(layer.forward(x, training=True) * weights))

    layer.forward(x, training=True)
    dx = layer.backward(weights.copy())
    analytic_params = {k: g.copy() for k, g in layer.grads.items()}
    idx = sample_indices(x.shape, rng)
    assert relative_error(np.array([dx[i] for i in idx]), numeric_gradient(objective, x, idx)) < TOLERANCE
    for key, param in layer.params.items():
        idx = sample_indices(param.shape, rng)
        numeric = numeric_gradient(objective, param, idx)
        assert relative_error(np.array([analytic_params[key][i] for i in idx]), numeric) < TOLERANCE, key


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_dense(rng):
    check_layer(Dense(7, init="normal"), rng.standard_normal((5, 11)), rng)


@pytest.mark.parametrize("layer_cls", [Sigmoid, Tanh, Linear, Softmax])
def test_smooth_activations(layer_cls, rng):
    check_layer(layer_cls(), rng.standard_normal((4, 6)), rng)


def test_relu_away_from_kink(rng):
    x = rng.standard_normal((4, 9))
    x[np.abs(x) < 0.05] = 0.5  # numeric derivatives are meaningless at the kink
    check_layer(ReLU(), x, rng)


def test_flatten(rng):
    check_layer(Flatten(), rng.standard_normal((3, 2, 4, 5)), rng)


@pytest.mark.parametrize("kernel,stride,padding,channels", [
    (3, 1, "same", 1), (3, 1, "valid", 2), (3, 2, "same", 3), (3, 2, "valid", 1),
    (5, 1, "same", 2), (9, 1, "same", 1), (4, 2, "same", 1), (2, 1, "valid", 3),
])
def test_conv2d(kernel, stride, padding, channels, rng):
    x = rng.standard_normal((2, channels, 11, 10))
    check_layer(Conv2D(3, kernel_size=kernel, stride=stride, padding=padding, init="normal"), x, rng)


@pytest.mark.parametrize("size", [2, 3])
def test_maxpool_without_ties(size, rng):
    x = rng.permutation(2 * 3 * 8 * 7).reshape(2, 3, 8, 7).astype(np.float64) / 10  # distinct values
    check_layer(MaxPool2D(size), x, rng)


def test_maxpool_sends_tied_gradient_to_first_maximum_only():
    pool = MaxPool2D(2)
    pool.build((1, 2, 2), np.random.default_rng(0), np.float64)
    x = np.ones((1, 1, 2, 2))  # a saturated MNIST stroke: all four equal
    pool.forward(x)
    dx = pool.backward(np.array([[[[3.0]]]]))
    assert dx[0, 0].tolist() == [[3.0, 0.0], [0.0, 0.0]]


def test_dropout_gradient_is_its_mask(rng):
    layer = Dropout(0.5)
    layer.build((20,), rng, np.float64)
    x = rng.standard_normal((8, 20))
    out = layer.forward(x, training=True)
    mask = layer._mask
    assert set(np.unique(mask)) <= {0.0, 2.0} and 0 < np.count_nonzero(mask) < mask.size
    np.testing.assert_allclose(out, x * mask)
    g = rng.standard_normal(x.shape)
    np.testing.assert_allclose(layer.backward(g), g * mask)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)  # identity at test time


@pytest.mark.parametrize("loss_cls,outputs", [
    (QuadraticCost, 10), (MeanSquaredError, 10), (SoftmaxCrossEntropy, 10), (QuadraticCost, 1),
    (MeanSquaredError, 1),
])
def test_losses(loss_cls, outputs, rng):
    loss = loss_cls()
    z = rng.standard_normal((6, outputs))
    labels = rng.integers(0, max(outputs, 2), size=6)
    loss.forward(z, labels)
    analytic = loss.backward().copy()
    idx = sample_indices(z.shape, rng, count=30)
    numeric = numeric_gradient(lambda: loss.forward(z, labels), z, idx)
    assert relative_error(np.array([analytic[i] for i in idx]), numeric) < TOLERANCE


def test_quadratic_cost_is_nielsens_formula():
    a = np.array([[0.2, 0.9], [0.6, 0.1]])
    labels = np.array([1, 0])
    expected = (0.5 * ((0.2 - 0) ** 2 + (0.9 - 1) ** 2) + 0.5 * ((0.6 - 1) ** 2 + 0.1 ** 2)) / 2
    assert QuadraticCost().forward(a, labels) == pytest.approx(expected)


def test_cross_entropy_delta_is_y_minus_t():
    z = np.array([[1.0, 2.0, 0.5]])
    loss = SoftmaxCrossEntropy()
    value = loss.forward(z, np.array([1]))
    y = np.exp(z) / np.exp(z).sum()
    assert value == pytest.approx(-np.log(y[0, 1]))
    np.testing.assert_allclose(loss.backward(), y - np.array([[0, 1, 0]]))


def test_cross_entropy_is_stable_for_huge_logits():
    loss = SoftmaxCrossEntropy()
    assert np.isfinite(loss.forward(np.array([[1e4, -1e4, 0.0]], dtype=np.float32), np.array([0])))


def test_perceptron_criterion_gives_the_perceptron_rule():
    # One sample x with label 1 predicted 0: e = 1, so SGD's w - eta * dL/dw = w + eta * x * e.
    x = np.array([[2.0, -1.0]])
    dense = Dense(1, init="zeros")
    dense.build((2,), np.random.default_rng(0), np.float64)
    dense.params["b"][:] = -1.0  # z = -1 -> prediction 0
    loss = PerceptronCriterion()
    z = dense.forward(x)
    assert loss.forward(z, np.array([1])) == 1.0
    dense.backward(loss.backward())
    eta = 0.5
    new_w = dense.params["W"] - eta * dense.grads["W"]
    np.testing.assert_allclose(new_w[:, 0], eta * x[0] * 1)


def first_max_pool_reference(x: np.ndarray, p: int, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Window by window: the maximum, and the gradient sent to its first position in row-major order."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, h // p, w // p))
    dx = np.zeros_like(x)
    for index in np.ndindex(out.shape):
        b, ch, i, j = index
        window = x[b, ch, i * p:(i + 1) * p, j * p:(j + 1) * p]
        first = np.argmax(window)  # np.argmax returns the first maximum in row-major order
        out[index] = window.flat[first]
        dx[b, ch, i * p + first // p, j * p + first % p] = grad[index]
    return out, dx


@pytest.mark.parametrize("size,shape,channels_last", [
    (2, (3, 4, 8, 8), False), (2, (2, 3, 9, 7), True), (3, (2, 2, 9, 10), False), (3, (1, 3, 7, 8), True),
    (1, (2, 2, 3, 3), False), (4, (1, 2, 8, 9), True),
])
def test_maxpool_matches_window_by_window_first_maximum_with_many_ties(size, shape, channels_last, rng):
    x = rng.integers(0, 3, shape).astype(np.float32)  # three values only: ties everywhere
    if channels_last:  # as a conv layer hands it over: an (N, C, H, W) view of NHWC memory
        n, c, h, w = shape
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    pool = MaxPool2D(size)
    pool.build(shape[1:], rng, np.float32)
    out = pool.forward(x)
    grad = rng.standard_normal(out.shape).astype(np.float32)
    expected_out, expected_dx = first_max_pool_reference(x, size, grad)
    np.testing.assert_array_equal(out, expected_out)
    np.testing.assert_array_equal(pool.backward(grad), expected_dx)
