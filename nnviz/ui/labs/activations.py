"""The activation explorer: step, sigmoid, tanh and ReLU with their derivatives; softmax of scores set
with sliders; logistic curves for several w and b; a bump built from two shifted logistics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.lessons.activations import (DERIVATIVE_FORMULAS, FORMULAS, FUNCTIONS, SOFTMAX_EXAMPLE, activation,
                                            activation_table, derivative, logistic, logistic_bump, softmax,
                                            softmax_table)
from nnviz.core.lessons.text_table import format_table

from nnviz.ui.labs.base import LabWidget
from nnviz.ui.labs.controls import (ValueSlider, button_row, figure_label, fit_plot_title, heading, legend, plot_widget,
                                    push_button)
from nnviz.ui import theme

FUNCTION_COLOUR = theme.BLUE
DERIVATIVE_COLOUR = theme.VERMILLION
OVERLAY_COLOURS = (theme.ORANGE, theme.SKY_BLUE, theme.GREEN, theme.PURPLE, theme.GREY_40, theme.YELLOW)
INITIAL_W = (0.5, 1.0, 2.0, 5.0)
Z = np.linspace(-4, 4, 801)
X = np.linspace(-8, 8, 801)


class ActivationsLab(LabWidget):
    name = "activations"
    title = "Activation explorer"

    def __init__(self, parent: QtWidgets.QWidget | None = None, data_dir: str | None = None) -> None:
        super().__init__(parent, data_dir)
        self.overlays: list[tuple[float, float]] = [(w, 0.0) for w in INITIAL_W]
        self._build_figure()
        self._build_controls()
        self.finish_controls()
        self.timer = self.make_timer(60, self.step)
        self.update_all()

    # --- figure ------------------------------------------------------------------------------
    def _build_figure(self) -> None:
        grid = QtWidgets.QGridLayout(self.figure)
        grid.setContentsMargins(6, 6, 6, 6)
        self.function_plots = {}
        for column, name in enumerate(FUNCTIONS):
            caption = figure_label(f"<center>{html_formula(FORMULAS[name])}<br><span style='color:{DERIVATIVE_COLOUR}'>"
                                   f"f' : {html_formula(DERIVATIVE_FORMULAS[name])}</span></center>", 13)
            grid.addWidget(caption, 0, column)
            widget = plot_widget("", "", "z")
            plot = widget.getPlotItem()
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setRange(xRange=(-4, 4), yRange=(-1.15, 1.6 if name != "relu" else 4.1), padding=0.02)
            if column == 0:
                legend(plot, offset=(8, 8))
            plot.plot(Z, activation(name, Z), pen=pg.mkPen(FUNCTION_COLOUR, width=3.5), name="f(z)",
                      connect="finite" if name != "step" else "all")
            plot.plot(Z, derivative(name, Z), pen=pg.mkPen(DERIVATIVE_COLOUR, width=3, style=QtCore.Qt.PenStyle.DashLine),
                      name="f'(z)")
            self.function_plots[name] = widget
            grid.addWidget(widget, 1, column)
        self.softmax_plot = plot_widget("", "", "")
        fit_plot_title(self.softmax_plot.getPlotItem(), "Softmax: e<sup>zⱼ</sup> / Σₖ e<sup>zₖ</sup>", "Softmax")
        plot = self.softmax_plot.getPlotItem()
        legend(plot, offset=(-8, 8))
        self.score_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=theme.GREY_30, pen=pg.mkPen("k"), name="score z")
        self.prob_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=FUNCTION_COLOUR, pen=pg.mkPen("k"),
                                         name="softmax")
        plot.addItem(self.score_bars)
        plot.addItem(self.prob_bars)
        self.prob_labels = []
        self.logistic_plot = plot_widget("", "", "x")
        fit_plot_title(self.logistic_plot.getPlotItem(), "How do w and b change f(x) = 1 / (1 + e<sup>−(b + w x)</sup>)?",
                       "f(x) = 1 / (1 + e<sup>−(b + w x)</sup>)", "f(x) = σ(w x + b)")
        plot = self.logistic_plot.getPlotItem()
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setRange(xRange=(-8, 8), yRange=(-0.05, 1.05), padding=0.02)
        self.logistic_legend = legend(plot, offset=(8, 8))
        self.overlay_items: list[pg.PlotDataItem] = []
        self.current_logistic = plot.plot(pen=pg.mkPen("k", width=4))
        self.bump_plot = plot_widget("", "", "x")
        fit_plot_title(self.bump_plot.getPlotItem(), "A bump from two logistics", "Bump from two σ", "Bump")
        plot = self.bump_plot.getPlotItem()
        plot.showGrid(x=True, y=True, alpha=0.25)
        self.bump_legend = legend(plot, offset=(8, -8), size="11pt")
        dash = QtCore.Qt.PenStyle.DashLine
        self.bump_parts = [plot.plot(pen=pg.mkPen(c, width=2.5, style=dash), name=n)
                           for c, n in ((theme.ORANGE, BUMP_NAMES[0][0]), (theme.SKY_BLUE, BUMP_NAMES[1][0]))]
        plot.getViewBox().sigResized.connect(lambda _box: self._fit_bump_legend())
        self.bump_total = plot.plot(pen=pg.mkPen("k", width=4), name="sum")
        bottom = QtWidgets.QHBoxLayout()  # softmax and bump get more than a quarter: their labels need it
        bottom.addWidget(self.softmax_plot, 3)
        bottom.addWidget(self.logistic_plot, 4)
        bottom.addWidget(self.bump_plot, 3)
        grid.addLayout(bottom, 2, 0, 1, 4)
        grid.setRowStretch(1, 1)
        grid.setRowStretch(2, 1)
        for column in range(4):
            grid.setColumnStretch(column, 1)

    # --- controls ----------------------------------------------------------------------------
    def _build_controls(self) -> None:
        c = self.controls
        c.addWidget(heading("Softmax scores"))
        self.scores = []
        for i, value in enumerate(SOFTMAX_EXAMPLE):
            slider = ValueSlider(f"z{i + 1}", -5.0, 5.0, value, steps=100, decimals=2)
            slider.value_changed.connect(lambda _v: self.update_softmax())
            c.addWidget(slider)
            self.scores.append(slider)
        c.addWidget(heading("Logistic curve (thick black)"))
        self.w = ValueSlider("w", -10.0, 10.0, 1.0, steps=80, decimals=2, tooltip="weight: steepness")
        self.b = ValueSlider("b", -10.0, 10.0, 0.0, steps=80, decimals=2, tooltip="bias: shifts the curve by −b/w")
        for slider in (self.w, self.b):
            slider.value_changed.connect(lambda _v: self.update_logistic())
            c.addWidget(slider)
        self.sweep_button = push_button("Sweep w ▶", self.toggle_sweep, "animate w from −10 to 10")
        self.sweep_button.setCheckable(True)
        c.addWidget(button_row(push_button("Keep curve", self.keep_curve, "overlay the current curve"),
                               push_button("Clear", self.clear_overlays), self.sweep_button))
        c.addWidget(heading("Bump from two logistics"))
        self.steepness = ValueSlider("w", 1.0, 40.0, 10.0, steps=78, decimals=1, tooltip="steepness of both")
        self.shift1 = ValueSlider("s₁", -6.0, 6.0, -2.0, steps=48, decimals=2, tooltip="where σ₁ steps up")
        self.shift2 = ValueSlider("s₂", -6.0, 6.0, 2.0, steps=48, decimals=2, tooltip="where σ₂ steps up")
        for slider in (self.steepness, self.shift1, self.shift2):
            slider.value_changed.connect(lambda _v: self.update_bump())
            c.addWidget(slider)
        form = QtWidgets.QFormLayout()
        self.out1 = QtWidgets.QDoubleSpinBox(decimals=2, minimum=-5, maximum=5, singleStep=0.25, value=1.0)
        self.out2 = QtWidgets.QDoubleSpinBox(decimals=2, minimum=-5, maximum=5, singleStep=0.25, value=-1.0)
        form.addRow("output weight a₁", self.out1)
        form.addRow("output weight a₂", self.out2)
        for spin in (self.out1, self.out2):
            spin.valueChanged.connect(lambda _v: self.update_bump())
        c.addLayout(form)

    # --- actions -----------------------------------------------------------------------------
    def step(self) -> None:
        """One frame of the w sweep: w grows by 0.25, wrapping from 10 to −10."""
        value = self.w.value() + 0.25
        self.w.set_value(-10.0 if value > 10.0 else value)

    def toggle_sweep(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.sweep_button.setChecked(False)
        else:
            self.timer.start()
            self.sweep_button.setChecked(True)

    def keep_curve(self) -> None:
        self.overlays.append((self.w.value(), self.b.value()))
        self.overlays = self.overlays[-len(OVERLAY_COLOURS):]
        self.update_logistic()

    def clear_overlays(self) -> None:
        self.overlays = []
        self.update_logistic()

    def update_all(self) -> None:
        self.update_softmax()
        self.update_logistic()
        self.update_bump()

    def update_softmax(self) -> None:
        scores = np.array([s.value() for s in self.scores])
        probabilities = softmax(scores)
        index = np.arange(1, scores.size + 1)
        self.score_bars.setOpts(x=index - 0.2, height=scores, width=0.38)
        self.prob_bars.setOpts(x=index + 0.2, height=probabilities, width=0.38)
        plot = self.softmax_plot.getPlotItem()
        while len(self.prob_labels) < scores.size:
            label = pg.TextItem(color="k", anchor=(0.5, 1.0))
            label.setFont(_font(11))  # three side by side fit a 200-pixel plot
            label.textItem.document().setDocumentMargin(1)
            plot.addItem(label)
            self.prob_labels.append(label)
        for i, label in enumerate(self.prob_labels):
            label.setText(f"{probabilities[i]:.3f}")
            label.setPos(index[i] + 0.2, probabilities[i] + 0.05)
        low = min(0.0, float(scores.min())) - 0.3
        high = max(1.0, float(scores.max())) + 0.6
        plot.setRange(xRange=(0.4, scores.size + 0.75), yRange=(low, high), padding=0)  # room for the last label
        plot.getAxis("bottom").setTicks([[(i, f"z{i}") for i in index]])

    def update_logistic(self) -> None:
        plot = self.logistic_plot.getPlotItem()
        for item in self.overlay_items:
            plot.removeItem(item)
        self.logistic_legend.clear()
        self.overlay_items = []
        for (w, b), colour in zip(self.overlays, OVERLAY_COLOURS):
            item = plot.plot(X, logistic(X, w, b), pen=pg.mkPen(colour, width=2.5))
            self.overlay_items.append(item)
            self.logistic_legend.addItem(item, f"w = {w:g}, b = {b:g}")
        w, b = self.w.value(), self.b.value()
        self.current_logistic.setData(X, logistic(X, w, b))
        self.logistic_legend.addItem(self.current_logistic, f"<b>w = {w:g}, b = {b:g}</b>")

    def _fit_bump_legend(self) -> None:
        """The parts' full formulas in the legend, or "part 1/2" when the plot is too narrow for them
        (presentation mode on a 1024-pixel projector)."""
        labels = [label for _sample, label in self.bump_legend.items[:2]]
        if len(labels) < 2:
            return
        metrics = QtGui.QFontMetricsF(_font(11))
        # the legend as it is, with its widest text swapped for the longest formula, beside its offset
        shown = max(label.item.boundingRect().width() for label in labels)
        needed = (self.bump_legend.boundingRect().width() - shown + 12
                  + max(metrics.horizontalAdvance(names[0]) for names in BUMP_NAMES))
        long = needed <= self.bump_plot.getPlotItem().getViewBox().width()
        for label, names in zip(labels, BUMP_NAMES):
            theme.set_text(label, names[0] if long else names[1])

    def update_bump(self) -> None:
        w = self.steepness.value()
        shifts = (self.shift1.value(), self.shift2.value())
        weights = (self.out1.value(), self.out2.value())
        parts, total = logistic_bump(X, w, shifts, weights)
        for item, part, a in zip(self.bump_parts, parts, weights):
            item.setData(X, a * part)
        self.bump_total.setData(X, total)
        low = min(0.0, float(total.min()), *(min(0.0, a) for a in weights)) - 0.1
        high = max(1.0, float(total.max()), *weights) + 0.15
        self.bump_plot.getPlotItem().setRange(xRange=(-8, 8), yRange=(low, high), padding=0)


def html_formula(text: str) -> str:
    """e^−z written as a superscript for the plot titles."""
    return text.replace("e^−z", "e<sup>−z</sup>")


BUMP_NAMES = (("a₁σ(w(x−s₁))", "part 1"), ("a₂σ(w(x−s₂))", "part 2"))  # legend: full, or when narrow


def _font(point_size: int):
    from PySide6 import QtGui

    font = QtGui.QFont()
    font.setPointSize(point_size)
    return font


WIDGET = ActivationsLab


def headless(out_dir: Path, data_dir: str | None = None) -> list[Path]:
    from nnviz.ui.offscreen import ensure_app, show_for_export, write_figure

    ensure_app()
    lab = ActivationsLab(data_dir=data_dir)
    show_for_export(lab, 1600, 900)
    try:
        return [write_figure(lab, out_dir, "activations")]
    finally:
        lab.shutdown()
        lab.close()


def tables(data_dir: str | None = None) -> str:
    xs = [-2.0, -1.0, 0.0, 1.0, 2.0]
    rows = [[f"w = {w:g}, b = 0"] + [float(v) for v in logistic(np.array(xs), w, 0.0)] for w in INITIAL_W]
    logistic_text = format_table(["f(x) = 1/(1 + e^-(b + wx))"] + [f"x = {x:g}" for x in xs], rows,
                                 title="Logistic curves for several w")
    _, bump = logistic_bump(np.array(xs + [3.0]), 10.0, (-2.0, 2.0), (1.0, -1.0))
    bump_text = format_table(["x"] + [f"{x:g}" for x in xs + [3.0]],
                             [["σ(10(x + 2)) − σ(10(x − 2))"] + [float(v) for v in bump]],
                             title="A bump from two shifted logistics")
    return "\n\n".join([activation_table(), softmax_table(), logistic_text, bump_text])
