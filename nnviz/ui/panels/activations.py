"""Activations of every layer for the chosen input: bars for dense layers, image grids for conv
layers, and the output with class names, the true class in green (a wrong prediction in red)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from nnviz.core.layers import ACTIVATIONS
from nnviz.core.record import RunRecord

from nnviz.ui import theme
from nnviz.ui.panels.base import Panel, locked_view
from nnviz.ui.panels.feature_maps import probe_caption, probe_name
from nnviz.ui.panels.mosaic import MosaicView

FIXED_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "step": (0.0, 1.0), "softmax": (0.0, 1.0)}


def layer_kind(name: str) -> str:
    return name.rsplit("_", 1)[0]


def shown_layers(activations: tuple[tuple[str, np.ndarray], ...]) -> list[int]:
    """Hidden layers worth a column: outputs after each activation (and pooling); a dense or conv
    output only when no activation follows it. The last layer is the output column instead."""
    shown = []
    for i, (name, _) in enumerate(activations[:-1]):
        kind = layer_kind(name)
        if kind in ("flatten", "dropout"):
            continue
        if kind in ("dense", "conv2d") and layer_kind(activations[i + 1][0]) in ACTIVATIONS:
            continue
        shown.append(i)
    return shown


class _Bars:
    """A titled bar chart in a GraphicsLayout cell."""

    def __init__(self, layout: pg.GraphicsLayout, col: int, *, bottom: str = "") -> None:
        self.title = theme.title_label("")
        layout.addItem(self.title, row=0, col=col)
        self.plot = layout.addPlot(row=1, col=col)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        theme.style_plot(self.plot, bottom=bottom)
        self.plot.showGrid(y=True, alpha=0.25)
        self.bars = pg.BarGraphItem(x=[0], height=[0], width=0.8, brush=theme.TRAIN_COLOUR, pen=None)
        self.plot.addItem(self.bars)
        self._ticks: tuple = ()
        self._y_range: tuple | None = None
        self._count = -1

    def set_values(self, values: np.ndarray, *, brushes=None, y_range: tuple | None = None,
                   ticks: tuple[str, ...] | None = None) -> None:
        x = np.arange(values.shape[0])
        options = dict(x=x, height=values, width=0.8)
        if brushes is not None:
            options["brushes"] = brushes
        else:
            options["brush"] = theme.TRAIN_COLOUR
        self.bars.setOpts(**options)
        ticks = ticks or ()
        if ticks != self._ticks:
            self._ticks = ticks
            self.plot.getAxis("bottom").setTicks([list(enumerate(ticks))] if ticks else None)
        if y_range != self._y_range:
            self._y_range = y_range
            if y_range is None:
                self.plot.enableAutoRange(axis="y")
            else:
                low, high = y_range
                self.plot.setYRange(min(low, 0.0), high * 1.05 if high > 0 else high, padding=0)
        if values.shape[0] != self._count:  # ranges only when they change: each change redraws the axes
            self._count = values.shape[0]
            self.plot.setXRange(-0.6, values.shape[0] - 0.4, padding=0)
            if not ticks:
                theme.integer_ticks(self.plot.getAxis("bottom"), values.shape[0])


class ActivationsPanel(Panel):
    name = "activations"
    title = "Activations"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.controls.addWidget(QtWidgets.QLabel("Every layer, for the chosen input"))
        self.add_export_button()
        self._signature: tuple = ()
        self._columns: list = []  # (activation index, _Bars | MosaicView)
        self._input = None
        self._output: _Bars | None = None
        self._input_view = None

    def _build(self, snapshot: RunRecord) -> None:
        """Columns for this architecture: input | hidden layers | output (rebuilt when it changes)."""
        layout = self.graphics.ci
        layout.clear()
        self._columns = []
        col = 0
        x = snapshot.probe_input
        if x is not None and x.ndim >= 2:
            title = theme.title_label("input")
            layout.addItem(title, row=0, col=0)
            view = locked_view()
            image = pg.ImageItem()
            image.setColorMap(theme.colormap(theme.INK_MAP, reverse=True))
            view.addItem(image)
            layout.addItem(view, row=1, col=0)
            self._input, self._input_view = (title, image), view
            self._frame_input = True
        else:
            self._input = _Bars(layout, 0, bottom="input feature")
            self._input_view = None
        stretches = [2]
        for index in shown_layers(snapshot.activations):
            col += 1
            values = snapshot.activations[index][1]
            if values.ndim == 3:
                column = MosaicView(layout, 0, col)
            else:
                column = _Bars(layout, col, bottom="unit")
            self._columns.append((index, column))
            stretches.append(4 if values.ndim == 3 else 3)
        col += 1
        self._output = _Bars(layout, col, bottom="class")
        stretches.append(3)
        for i, stretch in enumerate(stretches):
            layout.layout.setColumnStretchFactor(i, stretch)
        # While half built (titles only) the layout was short, and Qt shrank the scene to it: give
        # the rebuilt figure the whole view again.
        layout.setGeometry(self.graphics.range)
        views = [self._input_view or self._input.plot.vb, self._output.plot.vb]
        views += [c.view if isinstance(c, MosaicView) else c.plot.vb for _, c in self._columns]
        self.watch_sizes(*views)  # titles are fitted to their columns' widths

    def show_snapshot(self, snapshot: RunRecord) -> None:
        if not snapshot.activations or snapshot.probabilities is None:
            self.clear()
            return
        signature = tuple((name, a.shape) for name, a in snapshot.activations) + (snapshot.class_names,)
        self.shown_snapshot = snapshot
        if signature != self._signature:
            self._signature = signature
            self._build(snapshot)
        self._draw_input(snapshot)
        for index, column in self._columns:
            name, values = snapshot.activations[index]
            kind = layer_kind(name)
            if isinstance(column, MosaicView):
                size = f"{values.shape[1]}×{values.shape[2]}"
                theme.fit_title(column.title, f"{name}: {values.shape[0]} maps of {size}",
                          f"{name}<br>{values.shape[0]} × {size}", name)
                column.set_images(np.asarray(values, dtype=np.float32), mode="sequential")
            else:
                theme.fit_title(column.title, f"{name}: {values.shape[0]} units", f"{name}<br>{values.shape[0]} units",
                          name)
                column.set_values(np.asarray(values, dtype=np.float32), y_range=FIXED_RANGES.get(kind))
        self._draw_output(snapshot)

    def _draw_input(self, snapshot: RunRecord) -> None:
        x = np.asarray(snapshot.probe_input, dtype=np.float32)
        if isinstance(self._input, _Bars):
            theme.set_text(self._input.title, "input (x1, x2)")
            self._input.set_values(x, ticks=tuple(f"x{i + 1}" for i in range(x.shape[0])))
            return
        title, image = self._input
        theme.fit_title(title, f"input {x.shape[1]}×{x.shape[0]}", f"input<br>{x.shape[1]}×{x.shape[0]}", "input")
        image.setImage(x, levels=(0.0, 1.0), autoLevels=False)
        if self._frame_input:  # once per architecture: later frames keep the view still
            self._frame_input = False
            # The whole image: its own rectangle, not auto-range over whatever the view held.
            self._input_view.setRange(QtCore.QRectF(0, 0, x.shape[1], x.shape[0]), padding=0.02)

    def _draw_output(self, snapshot: RunRecord) -> None:
        values = np.asarray(snapshot.probabilities, dtype=np.float32)
        names = snapshot.class_names
        label, predicted = snapshot.probe_label, snapshot.probe_prediction
        if values.shape[0] == len(names):
            ticks = tuple(theme.column_labels(names))
            guess = theme.WRONG_COLOUR if label >= 0 else theme.TRAIN_COLOUR  # no true class: no "wrong"
            brushes = [theme.TRUE_COLOUR if k == label else guess if k == predicted
                       else theme.NEUTRAL_COLOUR for k in range(len(names))]
        else:  # one output unit for two classes (XOR, perceptron): its value is the class-1 score
            ticks = ("output",)
            brushes = [theme.TRUE_COLOUR if label == predicted else theme.WRONG_COLOUR]
        finite = values[np.isfinite(values)]
        in_unit = finite.size > 0 and finite.min() >= 0 and finite.max() <= 1
        self._output.set_values(values, brushes=brushes, ticks=ticks, y_range=(0.0, 1.0) if in_unit else None)
        total = float(values.sum())
        what = "probabilities" if values.shape[0] > 1 and abs(total - 1) < 1e-3 else "values"
        theme.fit_title(self._output.title, f"output {what} for {probe_name(snapshot)}",
                  f"output {what}<br>for {probe_name(snapshot)}", f"output<br>{probe_name(snapshot)}", "output")
        theme.set_axis_label(self._output.plot, "bottom", probe_caption(snapshot))

    def clear(self) -> None:
        self.graphics.ci.clear()
        self._signature = ()
        self._columns = []
