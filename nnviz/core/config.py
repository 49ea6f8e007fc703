"""`RunConfig`: every setting of a run, validated, as TOML (or JSON) and back.

A run folder's ``config.toml`` holds enough to rerun it: ``nnviz train --config config.toml``.
"""

from __future__ import annotations

import json
import math
import os
import stat
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from nnviz.core.atomic import atomic_write_bytes
from nnviz.core.errors import ConfigError
from nnviz.core.initializers import INITIALIZERS
from nnviz.core.limits import (MAX_FILTERS, MAX_LAYER_UNITS, MAX_LAYERS, MAX_NESTING, MAX_TEXT_FILE_BYTES, count_problem,
                     nesting_depth)
from nnviz.core.losses import LOSSES
from nnviz.core.optimizers import OPTIMIZERS
from nnviz.core.training_options import LR_DECAY_SYNTAX, parse_lr_schedule

SCHEMA_VERSION = 1
MODEL_KINDS = ("mlp", "cnn", "perceptron")
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
OUTPUT_ACTIVATIONS = ("auto", "sigmoid", "linear", "softmax", "step")


@dataclass(slots=True)
class DataConfig:
    name: str = "mnist"
    train_size: int | None = None  # keep only the first N training examples (classroom runs)
    val_size: int = 10000  # taken from the end of the training file (Nielsen's split)
    test_size: int | None = None
    n_samples: int | None = None  # 2-D toy sets only
    noise: float | None = None  # 2-D toy sets only
    augment_shift: int = 0  # shift training images by up to this many pixels (0 = off)


@dataclass(slots=True)
class ModelConfig:
    kind: str = "mlp"  # mlp | cnn | perceptron
    hidden: list[int] = field(default_factory=lambda: [30])
    activation: str = "sigmoid"  # hidden layers
    output_activation: str = "auto"  # auto: linear logits for cross-entropy, else sigmoid
    loss: str = "quadratic"
    init: str = "normal"
    init_std: float = 1.0
    bias_init: str = "zeros"  # Nielsen's network.py draws biases from N(0, 1) too: "normal"
    output_units: int | None = None  # auto: 1 for the perceptron and 2-class non-softmax nets
    dropout: float = 0.0  # inverted dropout after each hidden layer (and a CNN's flattened maps); 0 = off
    input_dropout: float = 0.0  # inverted dropout on the input pixels (Srivastava et al. use 0.2); 0 = off
    conv_filters: list[int] = field(default_factory=lambda: [16])
    kernel_size: int = 3
    conv_stride: int = 1
    padding: str = "same"
    pool: int = 2  # 0 or 1: no pooling
    layers: list[dict[str, Any]] = field(default_factory=list)  # explicit spec overrides all above
    # Hand-set starting weights by model-file key, e.g. {"layers.0.W": [[1, 1], [1, 1]]} (xor-hand).
    initial_weights: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class OptimizerConfig:
    name: str = "sgd"
    learning_rate: float = 3.0
    momentum: float = 0.0
    weight_decay: float = 0.0  # L2 lambda: lambda * W added to the weights' gradients (biases never decay)
    # "none", "exp:F", "step:N:F" or a bare per-epoch factor (older configs); see training_options.py
    lr_decay: float | str = 1.0


@dataclass(slots=True)
class TrainingConfig:
    batch_size: int = 10
    epochs: int = 30
    iterations: int | None = None  # stop after this many mini-batches instead (two_layer_net.py)
    seed: int = 0
    shuffle: bool = True
    early_stopping: int = 0  # patience in epochs without a lower validation loss; 0 = off
    # Train loss/accuracy are measured at each epoch's end on a fixed random sample of this many
    # training examples (0 = all of them); the running means during the epoch are kept apart.
    train_eval_size: int = 10000


@dataclass(slots=True)
class RunConfig:
    preset: str = "custom"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "RunConfig":
        if not isinstance(raw, dict):
            raise ConfigError("a run configuration must be a table of settings")
        version = raw.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise ConfigError(f"schema_version {version!r} is not supported (this nnviz reads {SCHEMA_VERSION})")
        sections = {"data": DataConfig, "model": ModelConfig, "optimizer": OptimizerConfig,
                    "training": TrainingConfig}
        unknown = set(raw) - set(sections) - {"preset", "schema_version", "logged"}  # logged: nnviz.log's own settings
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        built = {}
        for name, section_cls in sections.items():
            built[name] = _section_from_dict(section_cls, raw.get(name, {}), name)
        preset = raw.get("preset", "custom")
        if not isinstance(preset, str) or len(preset) > 200:
            raise ConfigError(f"preset = {_short(preset)} is invalid: expected a preset name")
        config = cls(preset=preset, **built)
        config.validate()
        return config

    def validate(self) -> "RunConfig":
        """Check ranges and names; raise ConfigError naming the bad field."""
        d, m, o, t = self.data, self.model, self.optimizer, self.training
        _check(m.kind in MODEL_KINDS, "model.kind", m.kind, f"one of {', '.join(MODEL_KINDS)}")
        _check(m.loss in LOSSES, "model.loss", m.loss, f"one of {', '.join(LOSSES)}")
        _check(m.activation in HIDDEN_ACTIVATIONS, "model.activation", m.activation,
               f"one of {', '.join(HIDDEN_ACTIVATIONS)}")
        _check(m.output_activation in OUTPUT_ACTIVATIONS, "model.output_activation", m.output_activation,
               f"one of {', '.join(OUTPUT_ACTIVATIONS)}")
        _check(m.init in INITIALIZERS, "model.init", m.init, f"one of {', '.join(INITIALIZERS)}")
        _check(m.bias_init in INITIALIZERS, "model.bias_init", m.bias_init, f"one of {', '.join(INITIALIZERS)}")
        _check(m.output_units is None or _count_ok(m.output_units, MAX_LAYER_UNITS), "model.output_units",
               m.output_units, f"a whole number from 1 to {MAX_LAYER_UNITS:,}")
        _check(isinstance(m.hidden, list) and len(m.hidden) <= MAX_LAYERS
               and all(_count_ok(h, MAX_LAYER_UNITS) for h in m.hidden), "model.hidden", m.hidden,
               f"whole layer sizes from 1 to {MAX_LAYER_UNITS:,}, e.g. [30] or [100, 30]")
        _check(isinstance(m.conv_filters, list) and 0 < len(m.conv_filters) <= MAX_LAYERS
               and all(_count_ok(f, MAX_FILTERS) for f in m.conv_filters),
               "model.conv_filters", m.conv_filters, f"whole filter counts from 1 to {MAX_FILTERS:,}, e.g. [16]")
        _check(isinstance(m.layers, list) and len(m.layers) <= MAX_LAYERS
               and all(isinstance(spec, dict) for spec in m.layers) and nesting_depth(m.layers) <= 2,
               "model.layers", m.layers, f"a list of at most {MAX_LAYERS} flat tables, one a layer")
        _check(isinstance(m.initial_weights, dict) and nesting_depth(m.initial_weights) <= MAX_NESTING,
               "model.initial_weights", m.initial_weights,
               "a table of weight arrays (lists nested as deep as the array, no deeper)")
        _check(1 <= m.kernel_size <= 31, "model.kernel_size", m.kernel_size, "between 1 and 31")
        _check(m.conv_stride in (1, 2, 3), "model.conv_stride", m.conv_stride, "1, 2 or 3")
        _check(m.padding in ("same", "valid"), "model.padding", m.padding, "'same' or 'valid'")
        _check(0 <= m.pool <= 4, "model.pool", m.pool, "between 0 and 4")
        _check(0.0 <= m.dropout < 1.0, "model.dropout", m.dropout, "in [0, 1)")
        _check(0.0 <= m.input_dropout < 1.0, "model.input_dropout", m.input_dropout, "in [0, 1)")
        _check(_finite_positive(m.init_std), "model.init_std", m.init_std, "a positive number")
        _check(o.name in OPTIMIZERS, "optimizer.name", o.name, f"one of {', '.join(OPTIMIZERS)}")
        _check(_finite_positive(o.learning_rate), "optimizer.learning_rate", o.learning_rate, "a positive number")
        _check(0.0 <= o.momentum < 1.0, "optimizer.momentum", o.momentum, "in [0, 1)")
        _check(_parses(parse_lr_schedule, o.lr_decay), "optimizer.lr_decay", o.lr_decay, LR_DECAY_SYNTAX)
        _check(0.0 <= o.weight_decay < 1.0, "optimizer.weight_decay", o.weight_decay, "in [0, 1)")
        _check(isinstance(t.batch_size, int) and t.batch_size >= 1, "training.batch_size", t.batch_size,
               "a positive integer")
        _check(isinstance(t.epochs, int) and t.epochs >= 1, "training.epochs", t.epochs, "a positive integer")
        _check(t.iterations is None or t.iterations >= 1, "training.iterations", t.iterations,
               "a positive integer")
        _check(isinstance(t.seed, int) and t.seed >= 0, "training.seed", t.seed, "a non-negative integer")
        _check(_whole(t.early_stopping), "training.early_stopping", t.early_stopping,
               "a patience of 1 or more epochs, or 0 for off")
        _check(not t.early_stopping or d.val_size > 0, "training.early_stopping", t.early_stopping,
               "0 without validation data (data.val_size = 0); it watches the validation loss")
        _check(_whole(t.train_eval_size), "training.train_eval_size", t.train_eval_size,
               "a number of examples, or 0 for the whole training set")
        _check(d.train_size is None or d.train_size >= 1, "data.train_size", d.train_size, "a positive integer")
        _check(d.test_size is None or d.test_size >= 1, "data.test_size", d.test_size, "a positive integer")
        _check(0 <= d.augment_shift <= 4, "data.augment_shift", d.augment_shift, "between 0 and 4 pixels")
        _check(d.val_size >= 0, "data.val_size", d.val_size, "zero or more")
        _check(d.noise is None or 0.0 <= d.noise <= 5.0, "data.noise", d.noise, "between 0 and 5")
        _check(d.n_samples is None or 4 <= d.n_samples <= 100000, "data.n_samples", d.n_samples,
               "between 4 and 100000")
        return self

    def with_changes(self, **changes: Any) -> "RunConfig":
        """A copy with dotted-name changes, e.g. ``{"optimizer.learning_rate": 0.1}``."""
        config = RunConfig.from_dict(self.to_dict())
        for dotted, value in changes.items():
            section, _, key = dotted.replace("__", ".").partition(".")
            target = getattr(config, section) if key else config
            name = key or section
            if not hasattr(target, name):
                raise ConfigError(f"unknown setting {dotted!r}")
            setattr(target, name, value)
        return config.validate()

    def to_toml(self) -> str:
        return tomli_w.dumps(_drop_none(self.to_dict()))

    def save(self, path: str | Path) -> None:
        atomic_write_bytes(Path(path), self.to_toml().encode())


def _section_from_dict(section_cls: type, raw: Any, name: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table of settings")
    known = {f.name for f in fields(section_cls)}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"unknown setting(s) in [{name}]: {', '.join(sorted(unknown))}")
    section = section_cls()
    for key, value in raw.items():
        default = getattr(section, key)
        setattr(section, key, _coerce(value, default, f"{name}.{key}"))
    return section


# Fields whose default is None, with the type a set value must have.
_OPTIONAL_TYPES = {"data.train_size": int, "data.test_size": int, "data.n_samples": int, "data.noise": float,
                   "model.output_units": int, "training.iterations": int}


def _coerce(value: Any, default: Any, where: str) -> Any:
    """Accept TOML/JSON values of the field's type (ints for floats; lists as given)."""
    if default is None:
        if value is None:
            return None
        default = _OPTIONAL_TYPES.get(where, object)()
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {_short(value)}")
        return value
    if where == "optimizer.lr_decay" and isinstance(value, str):
        return value  # a schedule's text; checked by validate()
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number, got {_short(value)}")
        return float(value)
    if isinstance(default, int) and default is not None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, got {_short(value)}")
        return value
    if isinstance(default, str) and not isinstance(value, str):
        raise ConfigError(f"{where} must be text, got {_short(value)}")
    if isinstance(default, list) and not isinstance(value, list):
        raise ConfigError(f"{where} must be a list, got {_short(value)}")
    if isinstance(default, dict) and not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table, got {_short(value)}")
    return value


def _check(ok: bool, field_name: str, value: Any, expected: str) -> None:
    if not ok:
        raise ConfigError(f"{field_name} = {_short(value)} is invalid: expected {expected}")


def _count_ok(value: Any, limit: int) -> bool:
    return count_problem(value, limit) is None


def _short(value: Any) -> str:
    """A bad value for a message: hostile ones can be megabytes (or nest a thousand deep)."""
    try:
        text = repr(value)
    except RecursionError:
        text = "a deeply nested value"
    return text if len(text) <= 80 else text[:77] + "..."


def _finite_positive(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def _whole(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _parses(parse: Any, value: Any) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def _drop_none(tree: Any) -> Any:
    """TOML has no null: unset optional fields are left out and read back as None."""
    if isinstance(tree, dict):
        return {k: _drop_none(v) for k, v in tree.items() if v is not None}
    if isinstance(tree, list):
        return [_drop_none(v) for v in tree]
    return tree


def load_config(path: str | Path) -> RunConfig:
    """Read a ``.toml`` (or ``.json``) run configuration; ConfigError on any problem."""
    path = Path(path)
    try:
        text = read_text_file(path, MAX_TEXT_FILE_BYTES)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not text (UTF-8)") from None
    except ValueError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"config file {path} is malformed: {exc}") from None
    except RecursionError:
        raise ConfigError(f"config file {path} nests lists or tables too deeply to be a run configuration") from None
    try:
        return RunConfig.from_dict(raw)
    except ConfigError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None


def read_text_file(path: Path, limit: int) -> str:
    """A small UTF-8 file's text; ValueError when it is not a regular file or longer than ``limit``."""
    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file (a device or pipe?)")
        if info.st_size > limit:
            raise ValueError(f"longer than {limit // (1024 * 1024)} MB, too long to be nnviz's")
        data = handle.read(info.st_size + 1)  # (+1: a file that grew meanwhile is caught below)
    if len(data) > info.st_size:
        raise ValueError("the file changed while it was read")
    return data.decode("utf-8")


__all__ = ["RunConfig", "DataConfig", "ModelConfig", "OptimizerConfig", "TrainingConfig", "load_config",
           "replace"]
