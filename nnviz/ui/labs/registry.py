"""The labs by name. Each lab module defines:

- ``WIDGET``: a `QWidget` subclass, constructed as ``WIDGET(parent=None, data_dir=None)``, with its own
  controls, stepping and an "Export PNG" button; the export itself is the method
  ``widget.export_png(path, width=1920) -> Path``, and ``widget.shutdown()`` stops its timers/threads;
- ``headless(out_dir: Path, data_dir: str | None = None) -> list[Path]``: writes the lab's figures as
  PNG (Qt offscreen when there is no display);
- ``tables(data_dir: str | None = None) -> str``: the lab's numbers as text tables.

Modules are imported only when a lab is used, so listing the labs never imports Qt.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from nnviz.core.errors import NnvizError


@dataclass(frozen=True)
class LabInfo:
    name: str
    title: str
    description: str  # one line
    module: str  # dotted module path


LABS: dict[str, LabInfo] = {lab.name: lab for lab in [
    LabInfo("playground", "2-D playground",
            "perceptron and MLP on 2-D toy data: decision boundary, network graph, loss or mistakes per epoch",
            "nnviz.ui.labs.playground"),
    LabInfo("xor", "XOR by hand",
            "the slides' hand-set 2-2-1 ReLU network stepped through its forward pass, then trained from random",
            "nnviz.ui.labs.xor"),
    LabInfo("activations", "Activation explorer",
            "step, sigmoid, tanh, ReLU and derivatives; softmax; logistic curves for w and b; a bump from two logistics",
            "nnviz.ui.labs.activations"),
    LabInfo("gradient-descent", "Gradient descent",
            "1-D and 2-D descent step by step with the slides' numbers, pitfalls, vanishing and exploding "
            "gradients on MNIST",
            "nnviz.ui.labs.gradient_descent"),
    LabInfo("losses", "Loss functions",
            "quadratic vs cross-entropy on the same MNIST network, curves overlaid, with formulas and output deltas",
            "nnviz.ui.labs.losses"),
    LabInfo("parameters", "Parameter counter",
            "neurons, weights, biases and multiply-accumulates per layer of any architecture (3-5-4-5-2, lenet5, cnn)",
            "nnviz.ui.labs.parameters"),
    LabInfo("convolution", "Convolution explainer",
            "a hand-set or learned filter slid over a digit, the feature map and its max pooling",
            "nnviz.ui.labs.convolution"),
    LabInfo("xray", "Backprop x-ray",
            "every z, a, δ and ∂E/∂w of a small network for one input, checked against numeric gradients",
            "nnviz.ui.labs.xray"),
]}


class UnknownLabError(NnvizError):
    """A lab name that does not exist, or whose module is not installed."""


def get_lab(name: str) -> LabInfo:
    try:
        return LABS[name]
    except KeyError:
        raise UnknownLabError(f"unknown lab {name!r}; choose one of: {', '.join(LABS)}") from None


def load_lab(name: str) -> ModuleType:
    """Import lab ``name``'s module (lazily) and return it."""
    info = get_lab(name)
    try:
        return importlib.import_module(info.module)
    except ModuleNotFoundError as exc:
        if exc.name == info.module:
            raise UnknownLabError(f"the {name!r} lab is not installed ({info.module} is missing)") from None
        raise
