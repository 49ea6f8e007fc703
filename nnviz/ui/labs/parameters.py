"""The parameter counter: type an architecture, see neurons, weights, biases and multiply-accumulates
per layer beside what the slides print (3-5-4-5-2, 784-30-10, LeNet-5)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui, QtWidgets

from nnviz.core.errors import NnvizError
from nnviz.core.lessons.parameters import EXAMPLES, ArchitectureCount, count_architecture, format_counts, shown_rows
from nnviz.core.lessons.text_table import format_number

from nnviz.ui.labs.base import LabWidget
from nnviz.ui.labs.controls import (ValueSlider, figure_label, fit_plot_title, heading, html_table, legend, plot_widget,
                                    push_button)
from nnviz.ui import theme

MAX_DRAWN_UNITS = 16  # fully connected nets up to this width are drawn neuron by neuron


class ParametersLab(LabWidget):
    name = "parameters"
    title = "Parameter counter"

    def __init__(self, parent: QtWidgets.QWidget | None = None, data_dir: str | None = None) -> None:
        super().__init__(parent, data_dir)
        self.count: ArchitectureCount | None = None
        self._build_figure()
        self._build_controls()
        self.finish_controls()
        self.set_architecture(EXAMPLES[0])

    def _build_figure(self) -> None:
        grid = QtWidgets.QGridLayout(self.figure)
        grid.setContentsMargins(8, 8, 8, 8)
        self.header = figure_label()
        self.table = figure_label()
        self.notes = figure_label()
        self.diagram = plot_widget("", "", "")
        plot = self.diagram.getPlotItem()
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.getViewBox().sigResized.connect(lambda _box: self._fit_layer_labels())
        self.bars = plot_widget("", "% of total", "")
        self.bars.getPlotItem().getViewBox().sigResized.connect(lambda _box: self._fit_bar_names())
        fit_plot_title(self.bars.getPlotItem(), "Share of the network's work and memory", "Share of work and memory",
                       "Shares")
        self.bar_legend = legend(self.bars.getPlotItem(), offset=(-8, 8))
        self.weight_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=theme.BLUE, name="weights + biases")
        self.mac_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=theme.ORANGE, name="multiply-accumulates")
        self.bars.addItem(self.weight_bars)
        self.bars.addItem(self.mac_bars)
        grid.addWidget(self.header, 0, 0, 1, 2)
        grid.addWidget(self.table, 1, 0, 1, 2)
        grid.addWidget(self.notes, 2, 0, 1, 2)
        grid.addWidget(self.diagram, 3, 0)
        grid.addWidget(self.bars, 3, 1)
        grid.setRowStretch(3, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

    def _build_controls(self) -> None:
        c = self.controls
        c.addWidget(heading("Architecture"))
        self.entry = QtWidgets.QLineEdit()
        self.entry.setToolTip("layer sizes (3-5-4-5-2, 784,30,10) or a name: nielsen, cnn, lenet5, lenet-caffe, ...")
        self.entry.returnPressed.connect(lambda: self.set_architecture(self.entry.text()))
        c.addWidget(self.entry)
        c.addWidget(push_button("Count", lambda: self.set_architecture(self.entry.text())))
        c.addWidget(heading("The slides' examples"))
        for example in EXAMPLES:
            c.addWidget(push_button(example, lambda _c=False, e=example: self.set_architecture(e)))
        c.addWidget(push_button("Next example ▶", self.step))
        c.addWidget(heading("Hidden width"))
        self.width_slider = ValueSlider("units", 1, 300, 30, steps=299, decimals=0,
                                        tooltip="the size of every hidden layer of a fully connected network")
        self.width_slider.value_changed.connect(self._width_changed)
        c.addWidget(self.width_slider)

    # --- actions -----------------------------------------------------------------------------
    def set_architecture(self, text: str) -> bool:
        try:
            count = count_architecture(text)
        except NnvizError as exc:
            self.show_status(f"<span style='color:{theme.ERROR_TEXT}'>{exc}</span>")
            return False
        self.show_status("")
        self.count = count
        self.entry.setText(count.key)
        fully_connected = len(count.sizes) > 2
        self.width_slider.setEnabled(fully_connected)
        if fully_connected:
            self.width_slider.blockSignals(True)
            self.width_slider.set_value(max(count.sizes[1:-1]))
            self.width_slider.blockSignals(False)
        self.redraw()
        return True

    def step(self) -> None:
        """Show the next of the slides' examples."""
        key = self.count.key if self.count else ""
        index = EXAMPLES.index(key) + 1 if key in EXAMPLES else 0
        self.set_architecture(EXAMPLES[index % len(EXAMPLES)])

    def _width_changed(self, value: float) -> None:
        if self.count is None or len(self.count.sizes) <= 2:
            return
        sizes = self.count.sizes
        units = int(round(value))
        self.set_architecture("-".join(map(str, [sizes[0], *([units] * (len(sizes) - 2)), sizes[-1]])))

    # --- drawing -----------------------------------------------------------------------------
    def redraw(self) -> None:
        count = self.count
        fmt = format_number
        self.header.setText(
            f"<span style='font-size:16pt'><b>{count.title}</b></span><br>"
            f"<span style='font-size:15pt'><b>{fmt(count.neurons)}</b> neurons, <b>{fmt(count.weights)}</b> weights, "
            f"<b>{fmt(count.biases)}</b> biases: <b>{fmt(count.total)}</b> learnable parameters; "
            f"<b>{fmt(count.macs)}</b> multiply-accumulates per sample</span>")
        rows = [[r.name, r.description.replace("->", "→"), "×".join(map(str, r.output_shape)), fmt(r.neurons), fmt(r.weights),
                 fmt(r.biases), fmt(r.total), fmt(r.macs)] for r in shown_rows(count)]
        rows.append(["<b>total</b>", "", "", f"<b>{fmt(count.neurons)}</b>", f"<b>{fmt(count.weights)}</b>",
                     f"<b>{fmt(count.biases)}</b>", f"<b>{fmt(count.total)}</b>", f"<b>{fmt(count.macs)}</b>"])
        self.table.setText(html_table(["layer", "what", "output", "neurons", "weights", "biases", "total", "MACs"],
                                      rows, point_size=12))
        notes = "".join(f"<li>{note}</li>" for note in count.notes)
        self.notes.setText(f"<div style='background:{theme.HIGHLIGHT}'><ul style='margin:4px'>{notes}</ul></div>"
                           if notes else "")
        self._draw_diagram(count)
        self._draw_bars(count)

    def _draw_diagram(self, count: ArchitectureCount) -> None:
        plot = self.diagram.getPlotItem()
        plot.clear()
        sizes = count.sizes
        if not sizes:
            fit_plot_title(plot, "Layers and their output shapes", "Layers")
            self._draw_blocks(plot, count)
            return
        drawn = [min(n, MAX_DRAWN_UNITS) for n in sizes]
        cut = any(n > MAX_DRAWN_UNITS for n in sizes)
        name = '-'.join(map(str, sizes))
        fit_plot_title(plot, f"{name}: " + ("⋮ = neurons not drawn" if cut else "every line is one weight"), name)
        columns = []
        self.layer_labels: list[pg.TextItem] = []
        for i, (n, shown) in enumerate(zip(sizes, drawn)):
            ys = (np.arange(shown) - (shown - 1) / 2) * 0.6
            columns.append(np.column_stack([np.full(shown, float(i)), ys]))
        segments = []
        for (left, n_left), (right, n_right) in zip(zip(columns, sizes), zip(columns[1:], sizes[1:])):
            for a in _real_nodes(left, n_left):
                for b in _real_nodes(right, n_right):
                    segments += [a, b]
        if segments:
            points = np.array(segments)
            alpha = 150 if len(segments) < 400 else 40
            plot.plot(points[:, 0], points[:, 1], connect="pairs", pen=pg.mkPen((120, 120, 120, alpha), width=1.2))
        bottom = -(max(drawn) - 1) * 0.3
        for i, (column, n) in enumerate(zip(columns, sizes)):
            colour = theme.GREY_30 if i == 0 else (theme.ORANGE if i == len(columns) - 1 else theme.BLUE)
            nodes = _real_nodes(column, n)
            plot.plot(nodes[:, 0], nodes[:, 1], pen=None, symbol="o", symbolSize=22 if max(drawn) < 12 else 14,
                      symbolBrush=colour, symbolPen=pg.mkPen("k", width=1.5))
            if n > MAX_DRAWN_UNITS:  # the skipped neurons: a vertical ellipsis in place of the middle one
                dots = pg.TextItem("⋮", color="k", anchor=(0.5, 0.5))
                dots.setFont(_font(20))
                plot.addItem(dots)
                dots.setPos(float(i), float(column[len(column) // 2, 1]))
            label = "input" if i == 0 else ("output" if i == len(columns) - 1 else f"hidden {i}")
            short = "in" if i == 0 else ("out" if i == len(columns) - 1 else f"h{i}")
            text = pg.TextItem(f"{label}\n{n:,}", color="k", anchor=(0.5, 0))
            text.setFont(_font(12))
            text.variants = (f"{label}\n{n:,}", f"{short}\n{n:,}")
            plot.addItem(text)
            text.setPos(float(i), bottom - 0.4)
            self.layer_labels.append(text)
        self.diagram_range = (bottom - 0.4, -bottom + 0.5)  # the labels' top, the top unit's top
        plot.setRange(xRange=(-0.5, len(sizes) - 0.5), yRange=(bottom - 1.4, -bottom + 0.5), padding=0)
        self._fit_layer_labels()

    def _fit_layer_labels(self) -> None:
        """"hidden 1" under each column, or "h1" when the columns are too close for it (1024 pixels)."""
        labels = getattr(self, "layer_labels", [])
        if not labels:
            return
        metrics = QtGui.QFontMetricsF(labels[0].textItem.font())
        room = self.diagram.getPlotItem().getViewBox().width() / len(labels) - 12
        for text in labels:
            wide = max(metrics.horizontalAdvance(line) for line in text.variants[0].split("\n"))
            theme.set_text(text, text.variants[0] if wide <= room else text.variants[1])
        # Room under the units for the two lines of each label, whatever the plot's height: the data
        # range below the labels' top is the share of the height the text needs.
        box = self.diagram.getPlotItem().getViewBox()
        label_top, top = self.diagram_range
        share = (2 * metrics.height() + 8) / max(box.height(), 1.0)
        if share < 0.8:
            low = min(label_top - 1.0, (label_top - share * top) / (1 - share))
            box.setRange(xRange=(-0.5, len(labels) - 0.5), yRange=(low, top), padding=0)

    def _draw_blocks(self, plot: pg.PlotItem, count: ArchitectureCount) -> None:
        rows = shown_rows(count)
        for i, row in enumerate(rows):
            colour = theme.BLUE if row.total else theme.GREY_30
            bar = pg.BarGraphItem(x0=[0], y=[-i], width=[1.0], height=[0.7], brush=colour, pen=pg.mkPen("k"))
            plot.addItem(bar)
            text = pg.TextItem(f"{row.description.replace('->', '→')}:  {'×'.join(map(str, row.output_shape))}",
                               color="w" if row.total else "k", anchor=(0, 0.5))
            text.setFont(_font(11))
            plot.addItem(text)
            text.setPos(0.02, -i)
        plot.setRange(xRange=(0, 1), yRange=(-max(len(rows), 8) + 0.4, 0.6), padding=0.02)

    def _draw_bars(self, count: ArchitectureCount) -> None:
        rows = [r for r in shown_rows(count) if r.total or r.macs]
        x = np.arange(1, len(rows) + 1)
        total, macs = max(count.total, 1), max(count.macs, 1)
        self.weight_bars.setOpts(x=x - 0.2, height=[100 * r.total / total for r in rows], width=0.38)
        self.mac_bars.setOpts(x=x + 0.2, height=[100 * r.macs / macs for r in rows], width=0.38)
        plot = self.bars.getPlotItem()
        self.bar_names = [r.name for r in rows]
        self._fit_bar_names()
        plot.setRange(xRange=(0.4, len(rows) + 0.6), yRange=(0, 110), padding=0)

    def _fit_bar_names(self) -> None:
        """Layer names under the bars, shortened ("dense_1" → "d1") when they would run into each other."""
        names = getattr(self, "bar_names", [])
        if not names:
            return
        axis = self.bars.getPlotItem().getAxis("bottom")
        metrics = QtGui.QFontMetricsF(axis.style["tickFont"] or axis.font())
        room = self.bars.getPlotItem().getViewBox().width() / (len(names) + 0.2) - 8
        if max(metrics.horizontalAdvance(name) for name in names) > room:
            names = [re.sub(r"^([A-Za-z])[A-Za-z0-9]*?_(\d+)$", r"\1\2", name) for name in names]
        ticks = [[(float(i), name) for i, name in enumerate(names, start=1)]]
        if getattr(self, "_bar_ticks", None) != ticks:  # a new tick list re-lays out the axis
            self._bar_ticks = ticks
            axis.setTicks(ticks)


def _real_nodes(column: np.ndarray, n_units: int) -> np.ndarray:
    """The drawn neurons of a column; in a cut column the middle place holds "⋮" instead."""
    if n_units <= len(column):
        return column
    return np.delete(column, len(column) // 2, axis=0)


def _font(point_size: int):
    from PySide6 import QtGui

    font = QtGui.QFont()
    font.setPointSize(point_size)
    return font


WIDGET = ParametersLab


def headless(out_dir: Path, data_dir: str | None = None) -> list[Path]:
    """3-5-4-5-2, 784-30-10 and both LeNets."""
    from nnviz.ui.offscreen import ensure_app, show_for_export, write_figure

    ensure_app()
    lab = ParametersLab(data_dir=data_dir)
    show_for_export(lab)
    paths = []
    try:
        for key in ("3-5-4-5-2", "784-30-10", "lenet5", "lenet-caffe"):
            lab.set_architecture(key)
            paths.append(write_figure(lab, out_dir, f"parameters-{key}"))
    finally:
        lab.shutdown()
        lab.close()
    return paths


def tables(data_dir: str | None = None) -> str:
    return "\n\n".join(format_counts(count_architecture(key)) for key in EXAMPLES)
