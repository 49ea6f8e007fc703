"""Grids of settings: ``--grid lr=0.001,1.0 --grid batch=10,50`` becomes one `SweepRun` per combination.

Keys are short names (``lr``, ``batch``, ``hidden``, ``layers``, ...) or any dotted `RunConfig` field
(``optimizer.weight_decay``). Values are separated by commas, so a two-layer ``hidden`` value is
written with ``x``: ``hidden=30,100x30``. ``layers=N`` means N hidden layers, each as wide as the
first hidden layer (Nielsen's 30 unless ``hidden`` says otherwise).

A run's folder name lists the keys that vary, in grid order, with the values as typed:
``lr=1.0_batch=10``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Callable

from nnviz.core.config import RunConfig
from nnviz.core.errors import ConfigError

LAYERS_KEY = "layers"


def parse_hidden(text: str) -> list[int]:
    """``30`` -> [30]; ``100x30`` -> [100, 30]; ``none`` or ``0`` -> [] (no hidden layer)."""
    cleaned = text.strip().lower()
    if cleaned in ("none", "0", ""):
        return []
    try:
        sizes = [int(part) for part in cleaned.split("x")]
    except ValueError:
        raise ConfigError(f"hidden sizes look like 30 or 100x30, got {text!r}") from None
    if any(size < 1 for size in sizes):
        raise ConfigError(f"hidden layer sizes must be positive, got {text!r}")
    return sizes


def format_hidden(sizes: list[int]) -> str:
    return "x".join(str(size) for size in sizes) if sizes else "none"


def _parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"expected a whole number, got {text!r}") from None


def _parse_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"expected a number, got {text!r}") from None


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise ConfigError(f"expected true or false, got {text!r}")


def _parse_layers(text: str) -> int:
    value = _parse_int(text)
    if value < 0:
        raise ConfigError(f"layers is a number of hidden layers (0 or more), got {text!r}")
    return value


@dataclass(frozen=True, slots=True)
class GridKey:
    name: str  # the short name, used in folder names and legends
    setting: str  # dotted RunConfig field ("layers" is special: it repeats the first hidden size)
    parse: Callable[[str], Any]
    help: str


GRID_KEYS: dict[str, GridKey] = {key.name: key for key in [
    GridKey("lr", "optimizer.learning_rate", _parse_float, "learning rate eta, e.g. lr=0.001,1.0,100"),
    GridKey("batch", "training.batch_size", _parse_int, "mini-batch size, e.g. batch=10,50,100"),
    GridKey("hidden", "model.hidden", parse_hidden, "hidden sizes, x between layers: hidden=15,30,100x30"),
    GridKey(LAYERS_KEY, LAYERS_KEY, _parse_layers, "number of hidden layers of the first hidden size: layers=1,2,5"),
    GridKey("momentum", "optimizer.momentum", _parse_float, "momentum mu, e.g. momentum=0,0.9"),
    GridKey("optimizer", "optimizer.name", str, "sgd, momentum, adam"),
    GridKey("activation", "model.activation", str, "hidden activation: sigmoid, tanh, relu"),
    GridKey("loss", "model.loss", str, "quadratic, cross-entropy"),
    GridKey("init", "model.init", str, "weight initialiser, e.g. normal, xavier, he"),
    GridKey("weight_decay", "optimizer.weight_decay", _parse_float, "L2 weight decay"),
    GridKey("dropout", "model.dropout", _parse_float, "dropout rate"),
    GridKey("seed", "training.seed", _parse_int, "random seed, e.g. seed=0,1,2"),
    GridKey("epochs", "training.epochs", _parse_int, "epochs, e.g. epochs=5,30"),
    GridKey("data", "data.name", str, "data set, e.g. data=mnist,fashion-mnist"),
    GridKey("train_size", "data.train_size", _parse_int, "first N training examples"),
]}
_ALIASES = {"learning_rate": "lr", "eta": "lr", "batch_size": "batch", "depth": LAYERS_KEY,
            "train-size": "train_size", "weight-decay": "weight_decay"}
# Dotted setting -> short name, for legends and tables.
SHORT_NAMES = {key.setting: key.name for key in GRID_KEYS.values() if key.setting != LAYERS_KEY}


def resolve_key(name: str, base: RunConfig) -> GridKey:
    """The `GridKey` of a short name, alias or dotted RunConfig field."""
    name = name.strip()
    short = _ALIASES.get(name, name)
    if short in GRID_KEYS:
        return GRID_KEYS[short]
    if short in SHORT_NAMES:  # a dotted name that has a short one
        return GRID_KEYS[SHORT_NAMES[short]]
    section, _, field_name = short.partition(".")
    tree = base.to_dict()
    if field_name and isinstance(tree.get(section), dict) and field_name in tree[section]:
        current = tree[section][field_name]
        parse: Callable[[str], Any] = str
        if isinstance(current, bool):
            parse = _parse_bool
        elif isinstance(current, int):
            parse = _parse_int
        elif isinstance(current, float):
            parse = _parse_float
        elif isinstance(current, list):
            parse = parse_hidden
        elif current is None:
            parse = _parse_optional_number
        return GridKey(short, short, parse, "")
    known = ", ".join(GRID_KEYS)
    raise ConfigError(f"unknown grid key {name!r}; use one of: {known}, or a setting such as "
                      "optimizer.weight_decay")


def _parse_optional_number(text: str) -> int | float | None:
    if text.strip().lower() in ("none", ""):
        return None
    try:
        return int(text)
    except ValueError:
        return _parse_float(text)


@dataclass(frozen=True, slots=True)
class GridAxis:
    """One ``--grid`` option: a key and its values, as typed."""

    key: GridKey
    values: tuple[str, ...]


def parse_assignment(text: str) -> tuple[str, str]:
    name, sep, values = text.partition("=")
    if not sep or not name.strip():
        raise ConfigError(f"expected KEY=VALUE[,VALUE...], e.g. lr=0.1,1.0, got {text!r}")
    return name.strip(), values


def parse_axis(text: str, base: RunConfig) -> GridAxis:
    """``"lr=0.001,1.0"`` -> GridAxis; every value is parsed now, so typos fail before any run."""
    name, values_text = parse_assignment(text)
    key = resolve_key(name, base)
    values = tuple(v.strip() for v in values_text.split(","))
    if not values or any(not v for v in values):
        raise ConfigError(f"--grid {text!r}: give values separated by commas, e.g. {key.name}=1,2")
    parsed = []
    for value in values:
        try:
            parsed.append(key.parse(value))
        except ConfigError as exc:
            raise ConfigError(f"--grid {key.name}: {exc}") from None
    repeated = [v for i, v in enumerate(values) if parsed[i] in parsed[:i]]
    if repeated:
        raise ConfigError(f"--grid {key.name} lists the same value twice ({repeated[0]})")
    return GridAxis(key, values)


def merge_axes(axes: list[GridAxis]) -> list[GridAxis]:
    """Later axes with the same key replace earlier ones (a user's --grid overrides a preset's)."""
    merged: dict[str, GridAxis] = {}
    for axis in axes:
        merged.pop(axis.key.name, None)
        merged[axis.key.name] = axis
    return list(merged.values())


def changes_for(choices: list[tuple[GridKey, str]], base: RunConfig) -> dict[str, Any]:
    """Dotted config changes for a list of (key, value text); ``layers`` applies after ``hidden``."""
    changes: dict[str, Any] = {}
    layers: int | None = None
    for key, text in choices:
        value = key.parse(text)
        if key.setting == LAYERS_KEY:
            layers = value
            continue
        changes[key.setting] = value
        if key.setting == "training.epochs":
            changes["training.iterations"] = None  # an explicit epoch count wins over iterations
    if layers is not None:
        hidden = changes.get("model.hidden", base.model.hidden)
        width = hidden[0] if hidden else 30
        changes["model.hidden"] = [width] * layers
    return changes


@dataclass(frozen=True, slots=True)
class SweepRun:
    """One combination: its folder name, the choices that make it, and its full config."""

    name: str
    choices: tuple[tuple[str, str], ...]  # (short key, value as typed)
    config: RunConfig


_UNSAFE = re.compile(r"[^A-Za-z0-9._+=-]")


def folder_part(key: str, value: str) -> str:
    return f"{key}={_UNSAFE.sub('-', value)}"


def plan_runs(base: RunConfig, axes: list[GridAxis]) -> list[SweepRun]:
    """Every combination of the axes (first axis varies slowest), each a validated config."""
    if not axes:
        raise ConfigError("nothing to sweep: give --grid KEY=V1,V2 (or a sweep preset such as tweak-lr)")
    varying = [axis for axis in axes if len(axis.values) > 1] or axes
    runs: list[SweepRun] = []
    names: set[str] = set()
    for combination in itertools.product(*(axis.values for axis in axes)):
        pairs = list(zip((axis.key for axis in axes), combination))
        name = "_".join(folder_part(key.name, value) for key, value in pairs if any(key is a.key for a in varying))
        try:
            config = base.with_changes(**changes_for(pairs, base))
        except ConfigError as exc:
            raise ConfigError(f"run {name}: {exc}") from None
        if name in names:
            raise ConfigError(f"two runs would share the folder {name!r}; write the values differently")
        names.add(name)
        runs.append(SweepRun(name, tuple((key.name, value) for key, value in pairs), config))
    return runs


def grid_help() -> str:
    return "; ".join(f"{key.name}: {key.help}" for key in GRID_KEYS.values())
