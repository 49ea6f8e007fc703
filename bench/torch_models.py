"""The three benchmark models in PyTorch on the CPU, for ``bench_core.py`` (benchmark-only extra).

``pip install torch`` (a CPU build) is needed to run this file; nnviz itself never imports torch.
Everything matches nnviz's presets: the same layer sizes, losses, optimisers, learning rates and
batch sizes, float32, the same MNIST arrays (from nnviz's loader, via ``torch.from_numpy``), and
the same data pipeline (shuffle once per epoch with ``X[perm]``, then contiguous slices).
``torch.set_num_threads(2)`` (the machine has two cores; ``TORCH_NUM_THREADS`` overrides).

Models (``make_trainer(name)``):

* ``nielsen``       [784, 30, 10] sigmoid, quadratic cost 1/2 |a - y|^2 averaged over the batch,
                    SGD eta 3.0, batch 10; weights and biases N(0, 1).
* ``nielsen-hand``  the same network without autograd: gradients written by hand with in-place
                    ``torch.addmm`` / ``torch.mm(out=)`` (what a careful NumPy port does, in torch).
* ``two-layer-net`` [784, 50, 10] sigmoid + softmax cross-entropy, SGD lr 0.1, batch 100, N(0, 0.01).
* ``cnn``           Conv2d(1, 16, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Linear(3136, 10),
                    softmax cross-entropy, SGD momentum 0.9 lr 0.05, batch 64.

Each training step does what nnviz's ``Trainer.step_batch`` does: forward, loss, backward, update,
and reads back the batch loss and the number of correct predictions (``track=True``; pass
``track=False`` for the bare loop).
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch
from torch import nn

torch.set_num_threads(int(os.environ.get("TORCH_NUM_THREADS", "2")))  # two cores; bench_core may ask for 1

MODELS = ("nielsen", "nielsen-hand", "two-layer-net", "cnn")
BATCH_SIZES = {"nielsen": 10, "nielsen-hand": 10, "two-layer-net": 100, "cnn": 64}


def to_tensor(array: np.ndarray) -> torch.Tensor:
    """nnviz's cached arrays are read-only; torch wants a writable buffer, so copy once, then share."""
    return torch.from_numpy(np.array(array, copy=True))


class TorchTrainer:
    """Mini-batch training with an epoch-wise shuffle and contiguous slices (like nnviz's Trainer)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int = 0, track: bool = True) -> None:
        torch.manual_seed(seed)
        self.x = to_tensor(x)
        self.y = to_tensor(y).long()
        self.n = self.x.shape[0]
        self.batch_size = batch_size
        self.track = track
        self.generator = torch.Generator().manual_seed(seed)
        self.position = 0
        self.loss_sum = 0.0
        self.correct = 0
        self.x_epoch = self.y_epoch = None

    def _start_epoch(self) -> None:
        perm = torch.randperm(self.n, generator=self.generator)
        self.x_epoch, self.y_epoch = self.x[perm], self.y[perm]

    def train_batches(self, n_batches: int) -> int:
        """Train ``n_batches`` mini-batches (crossing epochs as needed); return the samples seen."""
        seen = 0
        for _ in range(n_batches):
            if self.position == 0:
                self._start_epoch()
            start, stop = self.position, min(self.position + self.batch_size, self.n)
            xb, yb = self.x_epoch[start:stop], self.y_epoch[start:stop]
            loss, outputs = self.step(xb, yb)
            if self.track:
                self.loss_sum += loss.item()
                self.correct += int((outputs.argmax(dim=1) == yb).sum())
            seen += stop - start
            self.position = 0 if stop >= self.n else stop
        return seen

    def step(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def predict(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        raise NotImplementedError


class AutogradTrainer(TorchTrainer):
    """nn.Module + loss + torch.optim, with autograd: the usual PyTorch training loop."""

    def __init__(self, model: nn.Module, loss_fn, optimizer: torch.optim.Optimizer, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer

    def step(self, xb, yb):
        outputs = self.model(xb)
        loss = self.loss_fn(outputs, yb)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach(), outputs.detach()

    @torch.inference_mode()
    def predict(self, x, batch_size=1000):
        self.model.eval()
        try:
            return torch.cat([self.model(x[i:i + batch_size]) for i in range(0, x.shape[0], batch_size)])
        finally:
            self.model.train()


def quadratic_cost(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Nielsen's C = 1/2 sum_k (a_k - y_k)^2, averaged over the batch (nnviz's QuadraticCost)."""
    targets = torch.nn.functional.one_hot(labels, outputs.shape[1]).to(outputs.dtype)
    return 0.5 * ((outputs - targets) ** 2).sum() / outputs.shape[0]


def _normal_(module: nn.Module, std: float, normal_bias: bool) -> nn.Module:
    """nnviz's "normal" init: weights N(0, std); biases N(0, std) (Nielsen) or zeros."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=std)
            if normal_bias:
                nn.init.normal_(m.bias, std=std)
            else:
                nn.init.zeros_(m.bias)
    return module


class NielsenHandTrainer(TorchTrainer):
    """[784, 30, 10] sigmoid + quadratic cost with hand-written gradients and in-place updates."""

    def __init__(self, *args, eta: float = 3.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        g = torch.Generator().manual_seed(0)
        self.w1 = torch.randn(784, 30, generator=g)
        self.b1 = torch.randn(30, generator=g)
        self.w2 = torch.randn(30, 10, generator=g)
        self.b2 = torch.randn(10, generator=g)
        self.eta = eta
        self.gw1, self.gw2 = torch.empty_like(self.w1), torch.empty_like(self.w2)
        self.eye = torch.eye(10)
        self.x_flat = self.x.reshape(self.n, -1)

    def _start_epoch(self) -> None:
        perm = torch.randperm(self.n, generator=self.generator)
        self.x_epoch, self.y_epoch = self.x_flat[perm], self.y[perm]

    @torch.no_grad()
    def step(self, xb, yb):
        n = xb.shape[0]
        h = torch.sigmoid(torch.addmm(self.b1, xb, self.w1))
        a = torch.sigmoid(torch.addmm(self.b2, h, self.w2))
        diff = a - self.eye[yb]
        loss = 0.5 * diff.pow(2).sum() / n
        d2 = diff.mul_(a * (1 - a)).div_(n)  # dC/dz2, batch mean folded in
        d1 = torch.mm(d2, self.w2.t()).mul_(h * (1 - h))
        torch.mm(h.t(), d2, out=self.gw2)
        torch.mm(xb.t(), d1, out=self.gw1)
        self.w2.sub_(self.gw2, alpha=self.eta)
        self.b2.sub_(d2.sum(0), alpha=self.eta)
        self.w1.sub_(self.gw1, alpha=self.eta)
        self.b1.sub_(d1.sum(0), alpha=self.eta)
        return loss, a

    @torch.inference_mode()
    def predict(self, x, batch_size=1000):
        x = x.reshape(x.shape[0], -1)
        return torch.sigmoid(torch.sigmoid(x @ self.w1 + self.b1) @ self.w2 + self.b2)


def make_trainer(name: str, x: np.ndarray, y: np.ndarray, *, track: bool = True, seed: int = 0) -> TorchTrainer:
    """A PyTorch trainer of benchmark model ``name`` on ``(N, 1, 28, 28)`` float32 images ``x``."""
    torch.manual_seed(seed)
    batch = BATCH_SIZES[name]
    if name == "nielsen-hand":
        return NielsenHandTrainer(x, y, batch, seed=seed, track=track)
    if name == "nielsen":
        model = _normal_(nn.Sequential(nn.Flatten(), nn.Linear(784, 30), nn.Sigmoid(),
                                       nn.Linear(30, 10), nn.Sigmoid()), std=1.0, normal_bias=True)
        optimizer = torch.optim.SGD(model.parameters(), lr=3.0)
        return AutogradTrainer(model, quadratic_cost, optimizer, x, y, batch, seed=seed, track=track)
    if name == "two-layer-net":
        model = _normal_(nn.Sequential(nn.Flatten(), nn.Linear(784, 50), nn.Sigmoid(), nn.Linear(50, 10)),
                         std=0.01, normal_bias=False)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        return AutogradTrainer(model, nn.CrossEntropyLoss(), optimizer, x, y, batch, seed=seed, track=track)
    if name == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(16 * 14 * 14, 10))
        nn.init.kaiming_normal_(model[0].weight, nonlinearity="relu")
        nn.init.zeros_(model[0].bias)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        return AutogradTrainer(model, nn.CrossEntropyLoss(), optimizer, x, y, batch, seed=seed, track=track)
    raise ValueError(f"unknown model {name!r}; use one of {', '.join(MODELS)}")


def accuracy(trainer: TorchTrainer, x: np.ndarray, y: np.ndarray) -> float:
    outputs = trainer.predict(to_tensor(x))
    return float((outputs.argmax(dim=1) == to_tensor(y).long()).float().mean())


def main() -> None:
    import argparse
    import sys
    from pathlib import Path

    sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
    from nnviz.core.data.loading import load_dataset

    parser = argparse.ArgumentParser(description="Train each PyTorch benchmark model briefly and check it learns.")
    parser.add_argument("--data-dir", default="/work/shared/data")
    parser.add_argument("--samples", type=int, default=50000)
    args = parser.parse_args()
    data = load_dataset("mnist", data_dir=args.data_dir, val_size=10000)
    for name in MODELS:
        trainer = make_trainer(name, data.x_train, data.y_train)
        started = time.perf_counter()
        seen = trainer.train_batches(-(-args.samples // trainer.batch_size))
        seconds = time.perf_counter() - started
        print(f"{name:<14} {seen / seconds:>10,.0f} samples/s  test accuracy "
              f"{accuracy(trainer, data.x_test, data.y_test):.4f}")


if __name__ == "__main__":
    main()
