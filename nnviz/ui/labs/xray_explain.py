"""The x-ray's formulas with the numbers filled in, as rich text for the figure (no Qt here).

Numbers on the figure keep 3 significant digits (0.593, 0.0822, 4.4e−4): enough to redo a step by
hand and short enough to fit beside a connection.
"""

from __future__ import annotations

import numpy as np

from nnviz.core.lessons.xray import XrayPass, agree, derivative
from nnviz.ui import theme

SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
SYMBOLS = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "linear": "id", "softmax": "softmax"}
OK_COLOUR, BAD_COLOUR, DELTA_COLOUR = theme.OK_TEXT, theme.BAD_TEXT, theme.DELTA_TEXT


def short(value: float) -> str:
    """3 significant digits with a real minus sign; tiny values as 4.4e−4; noise below 1e-12 as 0."""
    value = float(value)
    if not np.isfinite(value):
        return str(value)
    if abs(value) < 1e-12:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e5:  # 1e300 typed as a weight stays 1.0e300, not 301 digits
        mantissa, exponent = f"{value:.1e}".split("e")
        text = f"{mantissa}e{int(exponent)}"
    elif abs(value) >= 1000:
        text = f"{value:.0f}"
    else:
        text = f"{value:.3g}"
    return text.replace("-", "−")


def factor(value: float) -> str:
    """A number inside a product: a negative one in parentheses, 0.4·(−0.0381)."""
    text = short(value)
    return f"({text})" if text.startswith("−") else text


def sub(n: int) -> str:
    return str(n).translate(SUB)


def sup(layer: int) -> str:
    return f"({layer})".translate(SUP)


def unit_name(letter: str, layer: int, unit: int) -> str:
    """z₁⁽²⁾: unit and layer counted from 1; layer 0 is the input x."""
    return f"{letter}{sub(unit + 1)}{sup(layer)}"


def previous_activations(result: XrayPass, layer: int) -> np.ndarray:
    return result.inputs if layer == 0 else result.layers[layer - 1].a


def weighted_sum_html(result: XrayPass, layer: int, unit: int, with_activation: bool = True) -> str:
    """z = w₁·a₁ + w₂·a₂ + b written out with the numbers, then a = f(z)."""
    net = result.network.layers[layer]
    a_prev = previous_activations(result, layer)
    source = "x" if layer == 0 else "a"
    symbols = " + ".join(f"w{sub(unit + 1)}{sub(k + 1)}·{source}{sub(k + 1)}" for k in range(a_prev.size))
    numbers = " + ".join(f"{factor(net.W[unit, k])}·{factor(a_prev[k])}" for k in range(a_prev.size))
    z, a = result.layers[layer].z[unit], result.layers[layer].a[unit]
    text = (f"<b>{unit_name('z', layer + 1, unit)}</b> = {symbols} + b{sub(unit + 1)}<br>"
            f"&nbsp;&nbsp;&nbsp;&nbsp;= {numbers} + {factor(net.b[unit])} = <b>{short(z)}</b>")
    if not with_activation:
        return text
    if net.activation == "softmax":
        return text + (f"<br><b>{unit_name('a', layer + 1, unit)}</b> = e<sup>z{sub(unit + 1)}</sup> / Σ<sub>k</sub> "
                       f"e<sup>z<sub>k</sub></sup> = <b>{short(a)}</b>")
    if net.activation == "linear":
        return text + f"<br><b>{unit_name('a', layer + 1, unit)}</b> = z (linear) = <b>{short(a)}</b>"
    return text + f"<br><b>{unit_name('a', layer + 1, unit)}</b> = {SYMBOLS[net.activation]}({short(z)}) = <b>{short(a)}</b>"


def softmax_waiting_html(layer: int) -> str:
    return f"<br>a{sup(layer + 1)} = softmax(z{sup(layer + 1)}) needs every z of the layer: it follows with the last one."


def loss_html(result: XrayPass) -> str:
    y, t = result.output, result.targets
    if result.loss_name == "quadratic":
        terms = " + ".join(f"({short(ti)} − {short(yi)})²" for yi, ti in zip(y, t))
        return f"<b>E</b> = ½ Σ (t − y)² = ½[{terms}] = <b>{short(result.loss)}</b>"
    if result.network.layers[-1].activation == "softmax":
        terms = " + ".join(f"{factor(ti)}·ln {short(yi)}" for yi, ti in zip(y, t) if ti != 0)
        return f"<b>E</b> = −Σ t ln y = −[{terms or '0'}] = <b>{short(result.loss)}</b>"
    return f"<b>E</b> = −Σ [t ln y + (1 − t) ln(1 − y)] = <b>{short(result.loss)}</b>"


def delta_html(result: XrayPass, layer: int) -> str:
    """δ of one layer, each unit's formula with its numbers."""
    n = len(result.layers)
    net, p = result.network.layers[layer], result.layers[layer]
    name = SYMBOLS[net.activation]
    lines = []
    if layer == n - 1:
        t = result.targets
        if result.loss_name == "cross-entropy":
            lines.append(f"<b>Output layer</b>, cross-entropy after {name}: f′ cancels, <b>δ = a − t</b>")
            lines += [f"δ{sub(j + 1)} = {short(p.a[j])} − {factor(t[j])} = <b>{short(p.delta[j])}</b>"
                      for j in range(p.a.size)]
        elif net.activation == "softmax":
            s = float(p.a @ (p.a - t))
            lines.append(f"<b>Output layer</b>, quadratic loss after softmax: δ<sub>j</sub> = a<sub>j</sub>·((a<sub>j</sub> − "
                         f"t<sub>j</sub>) − s), s = Σ a<sub>k</sub>(a<sub>k</sub> − t<sub>k</sub>) = {short(s)}")
            lines += [f"δ{sub(j + 1)} = {short(p.a[j])}·({short(p.a[j] - t[j])} − {factor(s)}) = "
                      f"<b>{short(p.delta[j])}</b>" for j in range(p.a.size)]
        else:
            lines.append(f"<b>Output layer</b>: <b>δ = (a − t) ⊙ {name}′(z)</b>")
            fp = derivative(net.activation, p.z, p.a)
            lines += [f"δ{sub(j + 1)} = ({short(p.a[j])} − {factor(t[j])})·{factor(fp[j])} = <b>{short(p.delta[j])}</b>"
                      for j in range(p.a.size)]
    else:
        after = result.network.layers[layer + 1].W
        d_next = result.layers[layer + 1].delta
        fp = derivative(net.activation, p.z, p.a)
        lines.append(f"<b>Layer {layer + 1}</b>: <b>δ{sup(layer + 1)} = (W{sup(layer + 2)}ᵀ δ{sup(layer + 2)}) ⊙ "
                     f"{name}′(z{sup(layer + 1)})</b>")
        for j in range(p.a.size):
            back = " + ".join(f"{factor(after[i, j])}·{factor(d_next[i])}" for i in range(d_next.size))
            lines.append(f"δ{sub(j + 1)} = ({back})·{factor(fp[j])} = <b>{short(p.delta[j])}</b>")
    lines.append("∂E/∂w<sub>jk</sub> = δ<sub>j</sub>·a<sub>k</sub>, &nbsp; ∂E/∂b<sub>j</sub> = δ<sub>j</sub>")
    return "<br>".join(lines)


def mark(ok: bool) -> str:
    return f"<span style='color:{OK_COLOUR}'>✓</span>" if ok else f"<span style='color:{BAD_COLOUR}'>✗</span>"


def gradient_check_html(result: XrayPass, layer: int, point_size: int = 11) -> str:
    """A table: one row per unit, one column per incoming weight and the bias; analytic over numeric."""
    p = result.layers[layer]
    n_in = p.dW.shape[1]
    source = "x" if layer == 0 else "a"
    compact = n_in > 3 or p.dW.shape[0] > 3  # a big layer: no "num" and no "(from x₁)", so 7 columns fit
    # a big layer's 7 columns fit the 1024 px window's figure (~650 px) one point smaller, with narrower padding
    pad, point_size = ("1px 4px", point_size - 1) if compact else ("2px 8px", point_size)
    head = "".join(f"<th style='padding:{pad}; background:{theme.TABLE_HEADER_FILL}'>∂E/∂w<sub>j{k + 1}</sub>"
                   + (f" (from {source}{sub(k + 1)})" if n_in <= 3 else "") + "</th>" for k in range(n_in))
    head = f"<tr><th style='padding:{pad}; background:{theme.TABLE_HEADER_FILL}'></th>{head}" \
           f"<th style='padding:{pad}; background:{theme.TABLE_HEADER_FILL}'>∂E/∂b<sub>j</sub></th></tr>"
    rows = []
    for j in range(p.dW.shape[0]):
        pairs = [(p.dW[j, k], p.dW_numeric[j, k]) for k in range(n_in)] + [(p.db[j], p.db_numeric[j])]
        if compact:
            cells = "".join(f"<td align='center' style='padding:{pad}'><b>{short(a)}</b>&nbsp;{mark(bool(agree(a, n)))}"
                            f"<br><span style='color:{theme.GREY_70}'>{short(n)}</span></td>" for a, n in pairs)
        else:
            cells = "".join(f"<td align='center' style='padding:2px 8px'><b>{short(a)}</b><br><span style='color:{theme.GREY_70}'>"
                            f"num {short(n)}</span> {mark(bool(agree(a, n)))}</td>" for a, n in pairs)
        rows.append(f"<tr><td style='padding:{pad}'>unit&nbsp;{j + 1}</td>{cells}</tr>")
    note = (f"<br><span style='color:{theme.GREY_70}'>In each cell ∂E/∂w = δ<sub>j</sub>·a<sub>k</sub> in bold, its central "
            "difference in grey below it; ✓: they agree.</span>" if compact else "")
    return (f"<table cellspacing='0' cellpadding='2' border='1' style='border-color:{theme.GREY_40}; font-size:{point_size}pt'>"
            f"{head}{''.join(rows)}</table>{note}")


def check_summary_html(result: XrayPass) -> str:
    worst = result.max_gradient_difference()
    if result.all_agree():
        return (f"<span style='color:{OK_COLOUR}'>Every gradient agrees with its central difference "
                f"(largest |analytic − numeric| = {worst:.0e}).</span>")
    kinks = any(layer.activation == "relu" and np.any(np.abs(p.z) < 1e-5)
                for layer, p in zip(result.network.layers, result.layers))
    return (f"<span style='color:{BAD_COLOUR}'>Some gradients disagree with their central difference "
            f"(largest difference {worst:.1e})" + (": a ReLU sits exactly at its kink z = 0, where it has no "
                                                   "derivative." if kinks else ".") + "</span>")
