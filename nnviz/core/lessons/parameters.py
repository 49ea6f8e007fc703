"""The parameter counter: neurons, weights, biases and multiply-accumulates of any architecture.

Counts come from the core's own `Sequential.layer_counts()`, so they are the numbers of the network
nnviz would actually train. Architectures are typed as layer sizes ("3-5-4-5-2", "784,30,10"),
as a preset name ("cnn", "nielsen") or as one of the reference CNNs below ("lenet5", "lenet-caffe").

LeNet-5 and the slides' "about 431k weights, 2.3M MACs": the classic LeNet-5 (LeCun et al. 1998,
here on 28x28 MNIST with 'same' padding in the first convolution) has 61,470 weights + 236 biases
and 416,520 MACs. The 431k / 2.3M figures are those of the table in Sze et al., "Efficient Processing
of Deep Neural Networks" (2017), which counts Caffe's LeNet example: conv 20 5x5 -> pool -> conv 50
5x5 -> pool -> dense 500 -> dense 10 (430,500 weights, 2,293,000 MACs). Both are offered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnviz.core.errors import ConfigError
from nnviz.core.layers import ACTIVATIONS
from nnviz.core.network import LayerCount, Sequential

from nnviz.core.lessons.text_table import format_number, format_table

MNIST_SHAPE = (1, 28, 28)

LENET5_LAYERS: list[dict[str, Any]] = [
    {"type": "conv2d", "filters": 6, "kernel_size": 5, "padding": "same"}, {"type": "tanh"},
    {"type": "maxpool2d", "size": 2},
    {"type": "conv2d", "filters": 16, "kernel_size": 5, "padding": "valid"}, {"type": "tanh"},
    {"type": "maxpool2d", "size": 2},
    {"type": "flatten"},
    {"type": "dense", "units": 120}, {"type": "tanh"},
    {"type": "dense", "units": 84}, {"type": "tanh"},
    {"type": "dense", "units": 10},
]

LENET_CAFFE_LAYERS: list[dict[str, Any]] = [
    {"type": "conv2d", "filters": 20, "kernel_size": 5, "padding": "valid"},
    {"type": "maxpool2d", "size": 2},
    {"type": "conv2d", "filters": 50, "kernel_size": 5, "padding": "valid"},
    {"type": "maxpool2d", "size": 2},
    {"type": "flatten"},
    {"type": "dense", "units": 500}, {"type": "relu"},
    {"type": "dense", "units": 10},
]

REFERENCE_NETWORKS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "lenet5": ("LeNet-5 (LeCun 1998): conv 6@5x5 same, pool, conv 16@5x5, pool, 120, 84, 10", LENET5_LAYERS),
    "lenet-caffe": ("Caffe's LeNet (Sze et al. 2017 table): conv 20@5x5, pool, conv 50@5x5, pool, 500, 10",
                    LENET_CAFFE_LAYERS),
}

# What the slides print, and what a lecturer should know about it.
SLIDE_NOTES: dict[str, list[str]] = {
    "3-5-4-5-2": ["Slide: 16 neurons, 65 weights, 16 biases, \"82 learnable parameters\".",
                  "slide says 82; 65 + 16 = 81"],
    "784-30-10": ["Slide: 30·784 + 10·30 + 30 + 10 = 23,860."],
    "lenet5": ["Slide's table: LeNet-5 ≈ 431k weights, 2.3M MACs.",
               "This classic LeNet-5 has 61,470 weights (61,706 parameters) and 416,520 MACs: the "
               "slide's figures belong to Caffe's larger LeNet (20 and 50 filters, 500 hidden units) "
               "— type lenet-caffe to see 430,500 weights and 2,293,000 MACs."],
    "lenet-caffe": ["Slide's table: LeNet-5 ≈ 431k weights, 2.3M MACs — this network gives 430,500 "
                    "weights and 2,293,000 MACs (conv layers 25,500 weights and 1.89M MACs, dense 405,000).",
                    "Sze et al. count weights only (biases excluded), as here."],
}
EXAMPLES = ("3-5-4-5-2", "784-30-10", "nielsen", "cnn", "lenet5", "lenet-caffe")


@dataclass(frozen=True)
class ArchitectureCount:
    key: str  # normalised: "3-5-4-5-2", "lenet5", "cnn"
    title: str
    input_shape: tuple[int, ...]
    rows: list[LayerCount]
    notes: list[str] = field(default_factory=list)
    sizes: tuple[int, ...] = ()  # layer sizes of a fully connected network, else ()

    @property
    def trainable_rows(self) -> list[LayerCount]:
        return [r for r in self.rows if r.weights or r.biases]

    @property
    def neurons(self) -> int:
        return sum(r.neurons for r in self.rows)

    @property
    def weights(self) -> int:
        return sum(r.weights for r in self.rows)

    @property
    def biases(self) -> int:
        return sum(r.biases for r in self.rows)

    @property
    def total(self) -> int:
        return self.weights + self.biases

    @property
    def macs(self) -> int:
        return sum(r.macs for r in self.rows)


def parse_sizes(text: str) -> tuple[int, ...] | None:
    """``"3-5-4-5-2"``, ``"784, 30, 10"`` or ``"784 30 10"`` -> sizes; None if it is not a size list."""
    parts = [p for p in re.split(r"[\s,\-x×]+", text.strip()) if p]
    if not parts or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def fully_connected_specs(sizes: tuple[int, ...], activation: str = "sigmoid") -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    for units in sizes[1:]:
        specs += [{"type": "dense", "units": units}, {"type": activation}]
    return specs


def count_architecture(text: str) -> ArchitectureCount:
    """Count an architecture typed by a lecturer; ConfigError with a readable message otherwise."""
    key = text.strip().lower()
    if not key:
        raise ConfigError("type an architecture: layer sizes such as 3-5-4-5-2, or a preset name such as cnn")
    sizes = parse_sizes(key)
    if sizes is not None:
        if len(sizes) < 2:
            raise ConfigError(f"{text!r}: give at least an input and an output size, e.g. 3-5-4-5-2")
        if any(s < 1 for s in sizes):
            raise ConfigError(f"{text!r}: layer sizes must be positive")
        if sum(a * b for a, b in zip(sizes, sizes[1:])) > 2_000_000_000:
            raise ConfigError(f"{text!r} is too large to count here")
        key = "-".join(map(str, sizes))
        network = Sequential(fully_connected_specs(sizes), (sizes[0],), rng=np.random.default_rng(0))
        return ArchitectureCount(key, f"fully connected {key}", (sizes[0],), network.layer_counts(),
                                 list(SLIDE_NOTES.get(key, [])), sizes)
    if key in ("lenet", "lenet-5"):
        key = "lenet5"
    if key in REFERENCE_NETWORKS:
        title, specs = REFERENCE_NETWORKS[key]
        network = Sequential(specs, MNIST_SHAPE, rng=np.random.default_rng(0))
        return ArchitectureCount(key, title, MNIST_SHAPE, network.layer_counts(), list(SLIDE_NOTES.get(key, [])))
    return _count_preset(key, text)


def _count_preset(key: str, text: str) -> ArchitectureCount:
    from nnviz.core.data.loading import IMAGE_DATASETS
    from nnviz.core.models import build_network
    from nnviz.core.presets import PRESETS
    from nnviz.core.data.toy import TOY_DATASETS

    if key not in PRESETS:
        names = ", ".join([*PRESETS, *REFERENCE_NETWORKS])
        raise ConfigError(f"{text!r} is not an architecture: type layer sizes such as 3-5-4-5-2 or one of: {names}")
    config = PRESETS[key].config()
    data = config.data.name
    if data in IMAGE_DATASETS:
        input_shape, n_classes = MNIST_SHAPE, len(IMAGE_DATASETS[data].class_names)
    elif data in TOY_DATASETS:
        input_shape, n_classes = (2,), 2
    else:  # a preset on a data set this counter does not know
        raise ConfigError(f"preset {key!r} uses data set {data!r}, whose input shape is unknown here")
    network = build_network(config.model, input_shape, n_classes, np.random.default_rng(0))
    notes = ["Slide: 30·784 + 10·30 + 30 + 10 = 23,860."] if key == "nielsen" else []
    return ArchitectureCount(key, f"preset {key}: {PRESETS[key].description}", input_shape,
                             network.layer_counts(), notes)


def shown_rows(count: ArchitectureCount) -> list[LayerCount]:
    """The rows worth a line: activation layers (no parameters, same shape) are left out."""
    return [r for r in count.rows if r.description not in ACTIVATIONS]


def format_counts(count: ArchitectureCount) -> str:
    rows = [[r.name, r.description, "x".join(map(str, r.output_shape)), r.neurons, r.weights, r.biases,
             r.total, r.macs] for r in shown_rows(count)]
    rows.append(["total", "", "", count.neurons, count.weights, count.biases, count.total, count.macs])
    table = format_table(["layer", "what", "output", "neurons", "weights", "biases", "total", "MACs"], rows,
                         title=count.title)
    summary = (f"{format_number(count.neurons)} neurons, {format_number(count.weights)} weights, "
               f"{format_number(count.biases)} biases: {format_number(count.total)} learnable parameters; "
               f"{format_number(count.macs)} multiply-accumulates per sample")
    return "\n".join([table, summary, *[f"note: {n}" for n in count.notes]])
