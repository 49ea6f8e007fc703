"""`Sequential`: a stack of layers built from a JSON-able spec, with parameter counts and taps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nnviz.core.conv import Conv2D, MaxPool2D
from nnviz.core.layers import ACTIVATIONS, Dense, Dropout, Flatten, Layer
from nnviz.core.limits import MAX_DATA_BYTES, MAX_LAYERS, MAX_PARAMETERS, count_problem

LAYER_TYPES: dict[str, type[Layer]] = {
    "dense": Dense, "conv2d": Conv2D, "maxpool2d": MaxPool2D, "flatten": Flatten, "dropout": Dropout,
    **ACTIVATIONS,
}


def build_layer(spec: dict[str, Any]) -> Layer:
    """Create an (unbuilt) layer from ``{"type": ..., **arguments}``."""
    if not isinstance(spec, dict) or "type" not in spec:
        raise ValueError(f"a layer spec must be a table with a 'type', got {spec!r}")
    kind = spec["type"]
    cls = LAYER_TYPES.get(kind)
    if cls is None:
        raise ValueError(f"unknown layer type {kind!r}; use one of {', '.join(LAYER_TYPES)}")
    arguments = {k: v for k, v in spec.items() if k != "type"}
    try:
        return cls(**arguments)
    except TypeError as exc:
        raise ValueError(f"bad arguments for layer {kind!r}: {exc}") from None


@dataclass(frozen=True, slots=True)
class LayerCount:
    """One row of the parameter table (the lectures' "neurons, weights, biases")."""

    name: str
    description: str
    output_shape: tuple[int, ...]
    neurons: int
    weights: int
    biases: int
    macs: int  # multiply-accumulates per sample

    @property
    def total(self) -> int:
        return self.weights + self.biases


class Sequential:
    """Layers applied in order to inputs of ``input_shape`` (without the batch axis)."""

    def __init__(self, layer_specs: list[dict[str, Any]], input_shape: tuple[int, ...],
                 rng: np.random.Generator | None = None, dtype: np.dtype = np.float32) -> None:
        if not isinstance(layer_specs, (list, tuple)) or len(layer_specs) > MAX_LAYERS:
            raise ValueError(f"expected a list of at most {MAX_LAYERS} layers")
        if not input_shape or any(count_problem(d, MAX_DATA_BYTES) for d in input_shape):
            raise ValueError(f"the input shape {tuple(input_shape)} needs positive whole sizes "
                             "(0x0 images or an empty input cannot be trained)")
        self.layer_specs = [dict(s) for s in layer_specs]
        self.input_shape = tuple(int(d) for d in input_shape)
        self.dtype = np.dtype(dtype)
        rng = rng if rng is not None else np.random.default_rng(0)
        self.layers = [build_layer(spec) for spec in self.layer_specs]
        shape = self.input_shape
        counts: dict[str, int] = {}
        first_trainable = True
        total = 0
        for index, layer in enumerate(self.layers):
            total += layer.parameter_count(shape)  # before build allocates them
            if total > MAX_PARAMETERS:
                raise ValueError(f"the network would have more than {MAX_PARAMETERS:,} parameters "
                                 f"(reached at layer {index}, {layer.kind}); nnviz is for small networks")
            counts[layer.kind] = counts.get(layer.kind, 0) + 1
            layer.name = f"{layer.kind}_{counts[layer.kind]}"
            shape = layer.build(shape, rng, self.dtype)
            if layer.params:
                layer.needs_input_grad = not first_trainable
                first_trainable = False
            elif first_trainable:
                layer.needs_input_grad = False
        self.output_shape = shape
        self._refresh_param_list()

    def _refresh_param_list(self) -> None:
        self._pack_parameters()
        self.param_list = [
            (f"layers.{i}.{key}", layer.params[key], layer.grads[key])
            for i, layer in enumerate(self.layers) for key in layer.params
        ]

    def _pack_parameters(self) -> None:
        """Move every parameter (and gradient) into one flat array, leaving views in the layers.

        Plain SGD then updates the whole network in two NumPy calls instead of two per array,
        which matters at Nielsen's batch of 10, where per-call overhead dominates the step.
        """
        arrays = [(layer, key) for layer in self.layers for key in layer.params]
        total = sum(layer.params[key].size for layer, key in arrays)
        self.flat_params = np.empty(total, dtype=self.dtype)
        self.flat_grads = np.zeros(total, dtype=self.dtype)
        start = 0
        for layer, key in arrays:
            p = layer.params[key]
            stop = start + p.size
            view = self.flat_params[start:stop].reshape(p.shape)
            view[...] = p
            layer.params[key] = view
            layer.grads[key] = self.flat_grads[start:stop].reshape(p.shape)
            start = stop

    # --- computation -------------------------------------------------------------------------
    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, grad: np.ndarray) -> None:
        for layer in reversed(self.layers):
            if not layer.needs_input_grad and not layer.params:
                break  # layers before the first trainable one need no gradient
            grad = layer.backward(grad)

    def forward_with_taps(self, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """Every layer's output for ``x`` (inference mode), in order: ``[(name, output), ...]``."""
        taps = []
        for layer in self.layers:
            x = layer.forward(x, training=False)
            taps.append((layer.name, x))
        return taps

    def predict(self, x: np.ndarray, batch_size: int = 1000, check=None) -> np.ndarray:
        """Outputs for a whole split in chunks, to bound the memory of conv layers. ``check`` (if
        given) is called before each chunk: it may raise to abandon a long evaluation."""
        if x.shape[0] == 0:
            return np.zeros((0,) + self.output_shape, dtype=self.dtype)
        out = np.empty((x.shape[0],) + self.output_shape, dtype=self.dtype)
        for i in range(0, x.shape[0], batch_size):
            if check is not None:
                check()
            out[i:i + batch_size] = self.forward(x[i:i + batch_size])  # layers reuse their buffers
        return out

    # --- parameters --------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        return {key: p for key, p, _ in self.param_list}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        for key, p, _ in self.param_list:
            p[...] = state[key]

    def astype(self, dtype: np.dtype) -> "Sequential":
        """Convert every parameter (for float64 gradient checks)."""
        self.dtype = np.dtype(dtype)
        for layer in self.layers:
            layer.astype(self.dtype)
        self._refresh_param_list()
        return self

    def first_trainable_layer(self) -> Layer | None:
        return next((layer for layer in self.layers if layer.params), None)

    def layer_counts(self) -> list[LayerCount]:
        rows = []
        for layer in self.layers:
            w = layer.params.get("W")
            b = layer.params.get("b")
            out_size = int(np.prod(layer.output_shape))
            if isinstance(layer, Dense):
                macs = w.size
            elif isinstance(layer, Conv2D):
                macs = w.size * int(np.prod(layer.output_shape[1:]))
            else:
                macs = 0
            rows.append(LayerCount(
                name=layer.name, description=layer.describe(), output_shape=layer.output_shape,
                neurons=out_size if layer.params else 0, weights=0 if w is None else int(w.size),
                biases=0 if b is None else int(b.size), macs=int(macs)))
        return rows

    @property
    def n_params(self) -> int:
        return sum(layer.n_params for layer in self.layers)

    def summary(self) -> str:
        """A table of layers with their output shapes and parameter counts, and the total."""
        lines = [f"{'layer':<14}{'what':<34}{'output':<14}{'params':>10}"]
        for row in self.layer_counts():
            shape = "x".join(map(str, row.output_shape))
            lines.append(f"{row.name:<14}{row.description:<34}{shape:<14}{row.total:>10,}")
        lines.append(f"{'total':<62}{self.n_params:>10,}")
        return "\n".join(lines)
