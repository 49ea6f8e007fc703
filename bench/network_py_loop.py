"""Baseline: a per-sample training loop in the style of Nielsen's network.py (written for nnviz's bench).

Mini-batch SGD where backpropagation runs once *per sample* inside each mini-batch, on column
vectors ``(n, 1)`` with ``np.dot``, sigmoid neurons (sigma'(z) recomputed from z) and the quadratic
cost, weights and biases drawn from N(0, 1): the structure of Nielsen's ``network.py`` (chapter 1 of
"Neural Networks and Deep Learning"), re-written here, not copied.

Precision, as in his code: parameters, one-hot targets and all arithmetic are **float64**; the
input pixels are float32 columns, as his ``mnist_loader`` hands them over (the pickled MNIST is
float32), so every first-layer ``np.dot`` upcasts them. ``--inputs float64`` gives pure float64
(about 10-15 % faster), ``--dtype float32`` float32 parameters, for comparison.

This is the baseline of ``bench_core.py`` (nielsen: nnviz's vectorised core must be >= 7x faster).

Run alone::

    python bench/network_py_loop.py [--samples 50000] [--inputs float32] [--dtype float64] [--check]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """Recomputed from z, as network.py does (it keeps the zs for exactly this)."""
    s = sigmoid(z)
    return s * (1 - s)


class LoopNetwork:
    """A fully connected sigmoid network trained one sample at a time (network.py style)."""

    def __init__(self, sizes: list[int], seed: int = 0, dtype=np.float64) -> None:
        self.sizes = list(sizes)
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(seed)
        # One (n_out, 1) bias column and one (n_out, n_in) weight matrix per layer, N(0, 1).
        self.biases = [rng.standard_normal((n, 1)).astype(self.dtype) for n in sizes[1:]]
        self.weights = [rng.standard_normal((n_out, n_in)).astype(self.dtype)
                        for n_in, n_out in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a: np.ndarray) -> np.ndarray:
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def backprop(self, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of the quadratic cost 1/2 |a - y|^2 for ONE sample (column vectors)."""
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        grad_b = [None] * len(self.biases)
        grad_w = [None] * len(self.weights)
        delta = (activations[-1] - y) * sigmoid_prime(zs[-1])  # dC/da * sigma'(z)
        grad_b[-1] = delta
        grad_w[-1] = np.dot(delta, activations[-2].T)
        for layer in range(2, len(self.sizes)):
            delta = np.dot(self.weights[-layer + 1].T, delta) * sigmoid_prime(zs[-layer])
            grad_b[-layer] = delta
            grad_w[-layer] = np.dot(delta, activations[-layer - 1].T)
        return grad_b, grad_w

    def update_mini_batch(self, batch: list[tuple[np.ndarray, np.ndarray]], eta: float) -> None:
        """Sum the per-sample gradients of the mini-batch, then one gradient step."""
        sum_b = [np.zeros(b.shape, dtype=self.dtype) for b in self.biases]
        sum_w = [np.zeros(w.shape, dtype=self.dtype) for w in self.weights]
        for x, y in batch:
            grad_b, grad_w = self.backprop(x, y)
            sum_b = [s + g for s, g in zip(sum_b, grad_b)]
            sum_w = [s + g for s, g in zip(sum_w, grad_w)]
        scale = eta / len(batch)
        self.weights = [w - scale * g for w, g in zip(self.weights, sum_w)]
        self.biases = [b - scale * g for b, g in zip(self.biases, sum_b)]

    def train_epoch(self, data: list[tuple[np.ndarray, np.ndarray]], batch_size: int, eta: float,
                    rng: np.random.Generator) -> None:
        """One epoch: shuffle the list of (x, y) pairs, cut it into mini-batches, update on each."""
        order = rng.permutation(len(data))
        shuffled = [data[i] for i in order]
        for start in range(0, len(shuffled), batch_size):
            self.update_mini_batch(shuffled[start:start + batch_size], eta)

    def accuracy(self, x_columns: np.ndarray, labels: np.ndarray) -> float:
        """Fraction of ``(N, n_in, 1)`` inputs whose arg-max output equals the label (per sample too)."""
        correct = sum(int(np.argmax(self.feedforward(x)) == y) for x, y in zip(x_columns, labels))
        return correct / len(labels)


def to_training_pairs(x: np.ndarray, y: np.ndarray, n_classes: int = 10, input_dtype=np.float32,
                      target_dtype=np.float64) -> list[tuple[np.ndarray, np.ndarray]]:
    """network.py's data format: a list of ((784, 1) input column, (10, 1) one-hot column) pairs.

    His loader gives float32 pixels and float64 one-hot targets (``np.zeros((10, 1))``).
    """
    columns = np.ascontiguousarray(x.reshape(x.shape[0], -1, 1), dtype=input_dtype)
    eye = np.eye(n_classes, dtype=target_dtype)
    return [(columns[i], eye[int(label)].reshape(n_classes, 1)) for i, label in enumerate(y)]


def load_mnist(data_dir: str | None = None, val_size: int = 10000):
    """Nielsen's split through nnviz's own loader: 50k train, 10k validation, 10k test."""
    from nnviz.core.data.loading import load_dataset

    return load_dataset("mnist", data_dir=data_dir, val_size=val_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50000, help="training samples (one epoch of 50k by default)")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64", help="parameters and targets")
    parser.add_argument("--inputs", choices=("float32", "float64"), default="float32", help="input pixels")
    parser.add_argument("--data-dir", default="/work/shared/data")
    parser.add_argument("--check", action="store_true", help="print test accuracy after the epoch")
    args = parser.parse_args()
    data = load_mnist(args.data_dir)
    dtype = np.dtype(args.dtype)
    pairs = to_training_pairs(data.x_train[:args.samples], data.y_train[:args.samples],
                              input_dtype=np.dtype(args.inputs), target_dtype=dtype)
    net = LoopNetwork([784, 30, 10], seed=0, dtype=dtype)
    started = time.perf_counter()
    net.train_epoch(pairs, batch_size=10, eta=3.0, rng=np.random.default_rng(0))
    seconds = time.perf_counter() - started
    print(f"per-sample loop ({dtype} parameters, {args.inputs} inputs): {len(pairs)} samples in {seconds:.2f} s = {len(pairs) / seconds:,.0f} samples/s")
    if args.check:
        x_test = data.x_test.reshape(data.x_test.shape[0], -1, 1).astype(args.inputs)
        print(f"test accuracy after one epoch: {net.accuracy(x_test, data.y_test):.4f}")


if __name__ == "__main__":
    main()
