"""The x-ray's numbers as text tables (rounded as the slides round) and as JSON (unrounded)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from nnviz.core.atomic import atomic_write_bytes
from nnviz.core.errors import ExportError

from .text_table import format_table
from .xray import DEFAULT_LEARNING_RATE, PRESETS, XrayNetwork, XrayPass, agree, updated, xray_pass

LOSS_FORMULAS = {"quadratic": "E = ½ Σ (t − y)²",
                 "cross-entropy": "E = −Σ t ln y (+ (1 − t) ln(1 − y) for sigmoid)"}


def slide_number(value: float) -> str:
    """2 decimals as the slides round; a small non-zero value keeps 2 significant digits instead of showing 0
    (below 1e-9 it is central-difference noise and shows as 0.00), and so does a huge one."""
    value = float(value)
    if 1e-9 <= abs(value) < 0.005 or abs(value) >= 1e6:  # 1e300 as 1e+300, not 301 digits
        return f"{value:.2g}"
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def slide_vector(values) -> str:
    return "(" + ", ".join(slide_number(v) for v in values) + ")"


def describe_network(network: XrayNetwork) -> str:
    return f"{'-'.join(map(str, network.sizes))} ({', '.join(network.activations)})"


def format_xray(result: XrayPass, learning_rate: float | None = None) -> str:
    """Every layer's z and a, the loss, δ, the gradients beside their numeric check, and one update step."""
    network = result.network
    lines = [f"Backprop x-ray: {describe_network(network)}, input {slide_vector(result.inputs)}"
             + (f", target {slide_vector(result.targets)}" if result.targets is not None else ""), ""]
    rows = [[str(l), str(j + 1), network.layers[l - 1].activation, slide_number(p.z[j]), slide_number(p.a[j])]
            for l, p in enumerate(result.layers, 1) for j in range(p.z.size)]
    lines.append(format_table(["layer", "unit", "f", "z = Σ w·a + b", "a = f(z)"], rows, "Forward pass"))
    lines.append(f"output y = {slide_vector(result.output)}")
    if not result.has_gradients:
        lines.append("(no target given: no loss and no gradients; add --target)")
        return "\n".join(lines)
    lines.append(f"loss ({result.loss_name}, {LOSS_FORMULAS[result.loss_name]}) = {slide_number(result.loss)}")
    rows = [[str(l), str(j + 1), slide_number(p.delta[j]), slide_number(p.db_numeric[j]),
             "yes" if agree(p.db[j], p.db_numeric[j]) else "NO"]
            for l, p in enumerate(result.layers, 1) for j in range(p.delta.size)]
    lines += ["", format_table(["layer", "unit", "δ = ∂E/∂z = ∂E/∂b", "numeric ∂E/∂b", "agree"], rows,
                               "Backward pass: δ(L) from the loss, δ(l) = (W(l+1)ᵀ δ(l+1)) ⊙ f'(z(l))")]
    rows = []
    for l, (layer, p) in enumerate(zip(network.layers, result.layers), 1):
        for (j, k), w in np.ndenumerate(layer.W):
            rows.append([str(l), f"w[{j + 1},{k + 1}]", slide_number(w), slide_number(p.dW[j, k]),
                         slide_number(p.dW_numeric[j, k]), "yes" if agree(p.dW[j, k], p.dW_numeric[j, k]) else "NO"])
    lines += ["", format_table(["layer", "weight", "w", "∂E/∂w = δ_j a_k", "numeric", "agree"], rows,
                               "Weight gradients (w[j,k] joins unit k of the layer before to unit j)")]
    lines.append(f"largest |analytic − numeric| = {result.max_gradient_difference():.1e}: "
                 + ("every gradient agrees with its central difference" if result.all_agree()
                    else "SOME GRADIENTS DISAGREE (a ReLU exactly at z = 0 has no derivative there)"))
    if learning_rate is not None:
        after = xray_pass(updated(network, result, learning_rate), result.inputs, result.targets,
                          result.loss_name, numeric=False)
        rows = []
        for l, (old, new) in enumerate(zip(network.layers, after.network.layers), 1):
            rows += [[str(l), f"w[{j + 1},{k + 1}]", slide_number(w), slide_number(new.W[j, k])]
                     for (j, k), w in np.ndenumerate(old.W)]
            rows += [[str(l), f"b[{j + 1}]", slide_number(b), slide_number(new.b[j])] for j, b in enumerate(old.b)]
        title = f"Update W ← W − η ∂E/∂W, b ← b − η ∂E/∂b with η = {learning_rate:g}"
        change = (f"loss {slide_number(result.loss)} → {slide_number(after.loss)}, "
                  f"output {slide_vector(result.output)} → {slide_vector(after.output)}")
        lines += ["", format_table(["layer", "parameter", "before", "after"], rows, title), change]
    return "\n".join(lines)


def _list(array: np.ndarray | None):
    return None if array is None else (np.asarray(array, dtype=np.float64) + 0.0).tolist()  # + 0.0: no "-0.0"


def _compact_json(data: dict) -> str:
    """Indented JSON with each list of numbers on one line, so a weight matrix reads row by row."""
    text = json.dumps(data, indent=2, allow_nan=True)
    return re.sub(r"\[\s*([-+0-9.eE,\sNaInfity]*?)\s*\]", lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)


def xray_json(result: XrayPass, learning_rate: float | None = None) -> dict:
    """Every number unrounded: ``{"layers": [{"z", "a", "delta", "dW", "db", ...}], "loss", "output", ...}``.

    Without a target, ``loss`` is null and the layers have no gradient keys.
    """
    layers = []
    for layer, p in zip(result.network.layers, result.layers):
        entry = {"activation": layer.activation, "W": _list(layer.W), "b": _list(layer.b),
                 "z": _list(p.z), "a": _list(p.a)}
        if result.has_gradients:
            entry.update(delta=_list(p.delta), dW=_list(p.dW), db=_list(p.db),
                         dW_numeric=_list(p.dW_numeric), db_numeric=_list(p.db_numeric))
        layers.append(entry)
    data = {"sizes": list(result.network.sizes), "input": _list(result.inputs), "target": _list(result.targets),
            "loss_function": result.loss_name, "layers": layers, "loss": result.loss, "output": _list(result.output)}
    if result.has_gradients:
        data["gradient_check"] = {"max_abs_difference": result.max_gradient_difference(),
                                  "all_agree": result.all_agree()}
        if learning_rate is not None:
            after = xray_pass(updated(result.network, result, learning_rate), result.inputs, result.targets,
                              result.loss_name, numeric=False)
            data["update"] = {"learning_rate": learning_rate, "loss": after.loss, "output": _list(after.output),
                              "layers": [{"W": _list(l.W), "b": _list(l.b)} for l in after.network.layers]}
    return data


def write_xray_json(result: XrayPass, path: str | Path, learning_rate: float | None = None) -> Path:
    """Write :func:`xray_json` atomically; raises ExportError when the place is not writable."""
    path = Path(path)
    text = _compact_json(xray_json(result, learning_rate)) + "\n"
    if not path.parent.is_dir():
        raise ExportError(f"Could not write {path}: the folder {path.parent} does not exist")
    try:
        atomic_write_bytes(path, text.encode("utf-8"))
    except OSError as exc:
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}") from None
    return path


def preset_tables(learning_rate: float = DEFAULT_LEARNING_RATE) -> str:
    """Every preset's x-ray, for `nnviz lab xray` without a weights file."""
    parts = []
    for preset in PRESETS.values():
        result = xray_pass(preset.network, preset.inputs, preset.targets, preset.loss)
        parts.append(f"=== {preset.title} ===\n{format_xray(result, learning_rate)}")
    return "\n\n".join(parts)
