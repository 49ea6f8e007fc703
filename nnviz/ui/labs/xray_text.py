"""The x-ray figure's header and explanation for the current step (rich text; no Qt here)."""

from __future__ import annotations

from nnviz.core.lessons.xray import XrayPass
from nnviz.ui import theme

from .xray_explain import (check_summary_html, delta_html, gradient_check_html, loss_html, softmax_waiting_html,
                           weighted_sum_html)

LOSS_FORMULAS = {"quadratic": "E = ½Σ(t − y)²", "cross-entropy": "cross-entropy E"}
LEGEND = (f"<span style='color:{theme.GREY_70}'>In each circle z and a = f(z); below it b and δ = ∂E/∂z; on each "
          "connection w and, after the backward step, ∂E/∂w (✓: the numeric gradient agrees).</span>")
START = ("<b>Forward step ▶</b> computes one unit at a time: z = Σ<sub>k</sub> w<sub>k</sub>·a<sub>k</sub> + b, then "
         "a = f(z). &nbsp;<b>◀ Backward step</b> then goes back one layer at a time.<br>" + LEGEND)


def number_text(value: float) -> str:
    """The shortest text that reads back as the same float: 0.05, 1, 1e-05."""
    text = repr(float(value))
    return text.removesuffix(".0")


def vector_text(values) -> str:
    return ", ".join(number_text(v) for v in values)


def shown_vector(values) -> str:
    """For the figure: a real minus sign."""
    return "(" + vector_text(values).replace("-", "−") + ")"


def header_html(result: XrayPass, error: str, forward_done: bool, loss_history: list[float], learning_rate: float,
                note: str) -> str:
    """Title, network, example, and the loss once the forward pass is complete (with its history of updates)."""
    sizes = "-".join(map(str, result.network.sizes))
    target = "" if result.targets is None else f" · t = {shown_vector(result.targets)}"
    line = (f"<span style='font-size:14pt'><b>Backprop x-ray</b></span> &nbsp;{sizes} network · "
            f"x = {shown_vector(result.inputs)}{target}")
    if error:
        return line + f"<br><span style='color:{theme.BAD_TEXT}'>{error}: forward pass only.</span>"
    if result.targets is None:
        return line + "<br>No target: forward pass only."
    formula = LOSS_FORMULAS[result.loss_name]
    loss = f"<b>{formula} = {result.loss:#.4g}</b>" if forward_done else f"{formula} = ? (finish the forward pass)"
    if len(loss_history) > 1:  # the history replaces the note on where the weights came from
        steps = len(loss_history) - 1
        loss += (f" &nbsp; after {steps} update{'s' if steps > 1 else ''} (η = {learning_rate:g}): "
                 + " → ".join(f"{v:#.4g}" for v in loss_history[-5:]))
        note = ""
    note = f" &nbsp;<span style='color:{theme.GREY_70}'>({note})</span>" if note else ""
    return line + f"<br>{loss}{note}"


def detail_html(result: XrayPass, backward_shown: int, current: tuple[int, int] | None, forward_done: bool) -> str:
    """The formulas of the last step: a unit's weighted sum, or a layer's δ and its gradient check."""
    if backward_shown:
        layer = len(result.layers) - backward_shown
        text = delta_html(result, layer) + gradient_check_html(result, layer)
        if layer == 0:
            text += check_summary_html(result) + " Update applies W ← W − η ∂E/∂W."
        return text
    if current is None:
        return START
    layer, unit = current
    softmax = result.network.layers[layer].activation == "softmax"
    last_of_layer = unit == result.network.sizes[layer + 1] - 1
    text = weighted_sum_html(result, layer, unit, with_activation=not softmax or last_of_layer)
    if softmax and not last_of_layer:
        text += softmax_waiting_html(layer)
    if forward_done and result.has_gradients:
        text += "<br>" + loss_html(result) + " &nbsp; ◀ Backward step goes on."
    return text + "<br><br>" + LEGEND
