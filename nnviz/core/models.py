"""Turn a `ModelConfig` (hidden sizes, activation, loss, conv settings) into a layer spec and network."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnviz.core.config import ModelConfig
from nnviz.core.errors import ConfigError
from nnviz.core.network import Sequential


def output_units(model: ModelConfig, n_classes: int) -> int:
    """1 unit for the perceptron and for 2-class nets without softmax (XOR), else one per class."""
    if model.output_units is not None:
        return model.output_units
    if model.kind == "perceptron":
        return 1
    if n_classes == 2 and model.loss != "cross-entropy":
        return 1
    return n_classes


def output_activation(model: ModelConfig) -> str:
    """Cross-entropy and the perceptron rule work on raw scores; the others on sigmoid outputs."""
    if model.output_activation != "auto":
        return model.output_activation
    if model.loss in ("cross-entropy", "perceptron"):
        return "linear"
    return "sigmoid"


def layer_specs(model: ModelConfig, input_shape: tuple[int, ...], n_classes: int) -> list[dict[str, Any]]:
    """The explicit layer list for ``model`` on inputs of ``input_shape``."""
    if model.layers:
        return [dict(spec) for spec in model.layers]
    if model.loss == "cross-entropy" and output_activation(model) not in ("linear", "softmax"):
        raise ConfigError("cross-entropy needs a linear (logit) output; set model.output_activation = 'auto'")
    init = {"init": model.init, "init_std": model.init_std}
    specs: list[dict[str, Any]] = []
    if model.input_dropout:  # on the raw inputs, before any layer (element-wise on any shape)
        specs.append({"type": "dropout", "rate": model.input_dropout})
    if model.kind == "cnn":
        if len(input_shape) != 3:
            raise ConfigError("a cnn model needs image data; pick an image data set or an mlp model")
        for filters in model.conv_filters:
            specs.append({"type": "conv2d", "filters": filters, "kernel_size": model.kernel_size,
                          "stride": model.conv_stride, "padding": model.padding, **init})
            specs.append({"type": model.activation})
            if model.pool > 1:
                specs.append({"type": "maxpool2d", "size": model.pool})
    if model.dropout and (model.kind == "perceptron" or (model.kind == "mlp" and not model.hidden)):
        raise ConfigError(f"model.dropout = {model.dropout:g} needs a hidden layer whose units it can drop; "
                          "this model has none (give it hidden layers or set the dropout to 0)")
    if len(input_shape) > 1 or model.kind == "cnn":
        specs.append({"type": "flatten"})
    if model.dropout and model.kind == "cnn":  # the feature maps feeding the dense head
        specs.append({"type": "dropout", "rate": model.dropout})
    if model.kind != "perceptron":
        for units in model.hidden:
            specs.append({"type": "dense", "units": units, "bias_init": model.bias_init, **init})
            specs.append({"type": model.activation})
            if model.dropout:
                specs.append({"type": "dropout", "rate": model.dropout})
    specs.append({"type": "dense", "units": output_units(model, n_classes), "bias_init": model.bias_init, **init})
    activation = output_activation(model)
    if activation != "linear" and not (activation == "softmax" and model.loss == "cross-entropy"):
        specs.append({"type": activation})
    return specs


def check_output_size(output_shape: tuple[int, ...], n_classes: int, loss: str) -> None:
    """Refuse a network whose output cannot name the data's classes: one output per class, or a
    single output for two classes (XOR, the perceptron) unless the loss is softmax cross-entropy."""
    if len(output_shape) == 1:
        units = output_shape[0]
        if units == n_classes or (units == 1 and n_classes == 2 and loss != "cross-entropy"):
            return
        raise ConfigError(f"the network has {units} output units but the data set has {n_classes} classes; "
                          f"set model.output_units (or the last layer's units) to {n_classes}")
    raise ConfigError(f"the network's output has shape {output_shape}, but it must be one value per class "
                      f"({n_classes}); end the layers with a flatten and a dense layer")


def build_network(model: ModelConfig, input_shape: tuple[int, ...], n_classes: int,
                  rng: np.random.Generator, dtype: np.dtype = np.float32) -> Sequential:
    """Build and initialise the network, then apply any hand-set weights."""
    specs = layer_specs(model, input_shape, n_classes)
    try:
        network = Sequential(specs, input_shape, rng=rng, dtype=dtype)
    except ValueError as exc:
        raise ConfigError(f"cannot build the model: {exc}") from None
    check_output_size(network.output_shape, n_classes, model.loss)
    if model.initial_weights:
        set_weights(network, model.initial_weights)
    return network


def set_weights(network: Sequential, weights: dict[str, Any]) -> None:
    """Overwrite parameters by key (``"layers.0.W"``) with nested lists; shapes must match."""
    state = network.state_dict()
    for key, value in weights.items():
        if key not in state:
            raise ConfigError(f"initial weight {key!r} does not exist; the model has {', '.join(state)}")
        array = np.asarray(value, dtype=network.dtype)
        if array.shape != state[key].shape:
            raise ConfigError(f"initial weight {key!r} has shape {array.shape}, the model needs {state[key].shape}")
        state[key][...] = array
