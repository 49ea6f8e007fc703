"""The x-ray's weights file (TOML) and number lists typed on the command line or in the lab.

```toml
activation = "sigmoid"          # default for every layer; a [[layers]] table may set its own
[[layers]]                      # one table per layer, input side first
W = [[1, 1], [1, 1]]            # one row per unit: z_j = sum_k W[j][k] * a_k + b_j
b = [0, -1]
activation = "relu"
```

Every problem becomes one XrayError line naming the file and what to fix. The file's size and
bracket depth are checked before parsing: the networks are tiny, so a large or deeply nested file
is a mistake, and a parser should not spend memory or recursion on it.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np

from .xray import ACTIVATIONS, MAX_LAYERS, MAX_UNITS, XrayError, XrayNetwork, make_network

MAX_FILE_BYTES = 64 * 1024  # a 5-layer 6-unit network with comments fits in ~2 KB
MAX_DEPTH = 6  # brackets: inline tables of arrays of arrays at most
TOP_KEYS = ("activation", "layers")
LAYER_KEYS = ("W", "b", "activation")


def read_weights_file(path: str | Path) -> XrayNetwork:
    """The network in a weights file; raises XrayError (one line) for anything wrong with it."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise XrayError(f"{path} is not a file")
        if size > MAX_FILE_BYTES:
            raise XrayError(f"{path}: {size:,} bytes is far too large for a weights file "
                            f"(at most {MAX_FILE_BYTES // 1024} KB)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise XrayError(f"weights file {path} not found") from None
    except OSError as exc:
        raise XrayError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise XrayError(f"{path} is not a UTF-8 text (TOML) file") from None
    return network_from_toml(text, str(path))


def network_from_toml(text: str, source: str = "weights file") -> XrayNetwork:
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise XrayError(f"{source}: too large for a weights file (at most {MAX_FILE_BYTES // 1024} KB)")
    depth = bracket_depth(text)
    if depth > MAX_DEPTH:
        raise XrayError(f"{source}: brackets nested {depth} deep; a weights file needs at most 4 "
                        "(layers = [{W = [[...]]}])")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise XrayError(f"{source} is not valid TOML: {exc}") from None
    except RecursionError:
        raise XrayError(f"{source}: nested too deeply to be a weights file") from None
    return network_from_dict(data, source)


def bracket_depth(text: str) -> int:
    """The deepest nesting of [ ] and { } outside strings and comments (a scan, not a parse)."""
    depth = deepest = 0
    quote, i, n = "", 0, len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\" and quote[0] == '"':
                i += 1
            elif text.startswith(quote, i):
                i += len(quote) - 1
                quote = ""
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            i += len(quote) - 1
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return deepest


def network_from_dict(data: dict, source: str = "weights file") -> XrayNetwork:
    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        raise XrayError(f"{source}: unknown key {unknown[0]!r}; a weights file has {', '.join(TOP_KEYS)} "
                        "and [[layers]] tables with W, b, activation")
    default = data.get("activation", "sigmoid")
    if not isinstance(default, str):
        raise XrayError(f"{source}: activation must be a name in quotes, e.g. \"sigmoid\"")
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers or not all(isinstance(t, dict) for t in layers):
        raise XrayError(f"{source}: no [[layers]] tables; give one per layer, each with W = [[...]] and b = [...]")
    if len(layers) > MAX_LAYERS:
        raise XrayError(f"{source}: {len(layers)} layers; the x-ray draws at most {MAX_LAYERS}")
    weights, biases, activations = [], [], []
    for number, table in enumerate(layers, 1):
        where = f"{source}, layer {number}"
        unknown = sorted(set(table) - set(LAYER_KEYS))
        if unknown:
            raise XrayError(f"{where}: unknown key {unknown[0]!r}; a layer has {', '.join(LAYER_KEYS)}")
        for key in ("W", "b"):
            if key not in table:
                raise XrayError(f"{where}: {key} is missing")
        weights.append(_matrix(table["W"], f"{where}: W"))
        biases.append(_vector(table["b"], f"{where}: b"))
        activation = table.get("activation", default)
        if activation not in ACTIVATIONS:
            raise XrayError(f"{where}: unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        activations.append(activation)
    try:
        return make_network(weights, biases, activations)
    except XrayError as exc:
        raise XrayError(f"{source}: {exc}") from None


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise XrayError(f"{what} holds {value!r}, not a number")
    number = float(value)
    if not math.isfinite(number):
        raise XrayError(f"{what} holds {value!r}; weights and biases must be finite")
    return number


def _vector(value: object, what: str) -> list[float]:
    if not isinstance(value, list) or not value:
        raise XrayError(f"{what} must be a list of numbers like [0, -1]")
    if len(value) > MAX_UNITS:
        raise XrayError(f"{what} has {len(value)} values; the x-ray draws at most {MAX_UNITS} units per layer")
    return [_number(v, what) for v in value]


def _matrix(value: object, what: str) -> list[list[float]]:
    if not isinstance(value, list) or not value or not all(isinstance(row, list) for row in value):
        raise XrayError(f"{what} must be a list of rows like [[1, 1], [1, 1]] (one row per unit)")
    rows = [_vector(row, what) for row in value]
    if len(rows) > MAX_UNITS:
        raise XrayError(f"{what} has {len(rows)} rows; the x-ray draws at most {MAX_UNITS} units per layer")
    if len({len(row) for row in rows}) > 1:
        raise XrayError(f"{what}: rows of different lengths {[len(r) for r in rows]}")
    return rows


def parse_numbers(text: str, what: str = "input") -> np.ndarray:
    """``"1,-1"`` or ``"0.05 0.10"`` as a float64 vector; raises XrayError."""
    parts = [p for p in text.replace(",", " ").split()]
    if not parts:
        raise XrayError(f"the {what} is empty; give numbers like 1,-1")
    if len(parts) > MAX_UNITS:
        raise XrayError(f"the {what} has {len(parts)} values; the x-ray draws at most {MAX_UNITS}")
    try:
        values = np.array([float(p) for p in parts], dtype=np.float64)
    except ValueError:
        raise XrayError(f"the {what} {text!r} is not a list of numbers like 1,-1") from None
    if not np.all(np.isfinite(values)):
        raise XrayError(f"the {what} {text!r} must hold finite numbers")
    return values


def fit_length(values, n: int) -> np.ndarray:
    """The first n values, padded with zeros: after a new size the input keeps what still fits."""
    values = [float(v) for v in values][:n]
    return np.array(values + [0.0] * (n - len(values)), dtype=np.float64)


def network_to_toml(network: XrayNetwork) -> str:
    """The weights file for ``network`` (``repr`` keeps every digit, so it reads back exactly)."""
    lines = ["# nnviz backprop x-ray weights: one [[layers]] table per layer, input side first",
             "# z_j = sum_k W[j][k] * a_k + b_j"]
    for layer in network.layers:
        rows = ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in layer.W)
        lines += ["", "[[layers]]", f"W = [{rows}]", "b = [" + ", ".join(repr(float(v)) for v in layer.b) + "]",
                  f'activation = "{layer.activation}"']
    return "\n".join(lines) + "\n"
