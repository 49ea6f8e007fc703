"""Input plane for 2-D data: the network's output over the plane, the decision boundary (output
0.5), the training points and each first-layer unit's line w · x + b = 0 (the perceptron's line)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.record import RunRecord

from nnviz.ui import theme
from nnviz.ui.panels.base import Panel

CLASS_COLOURS = (theme.BLUE, theme.VERMILLION)


class _BoundaryCurve(pg.IsocurveItem):
    """pyqtgraph's isocurve, without the hooks that ``extendToEdge`` draws where a curve leaves the grid."""

    def generatePath(self) -> None:  # noqa: N802 (pyqtgraph override)
        if self.data is None:
            self.path = None
            return
        lines = pg.functions.isocurve(self.data.T, self.level, connected=True, extendToEdge=False)
        self.path = QtGui.QPainterPath()
        for line in lines:
            self.path.moveTo(*line[0])
            for point in line[1:]:
                self.path.lineTo(*point)


def plane_colormap() -> pg.ColorMap:
    """Pale blue (class 0) through white (undecided) to pale orange (class 1)."""
    return pg.ColorMap([0.0, 0.5, 1.0], [(170, 205, 235), (255, 255, 255), (245, 200, 160)])


class DecisionBoundaryPanel(Panel):
    name = "decision-boundary"
    title = "Input plane"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.show_lines = QtWidgets.QCheckBox("first-layer lines w·x + b = 0")
        self.show_lines.setChecked(True)
        self.controls.addWidget(self.show_lines)
        self.add_export_button()
        self.plot = self.graphics.addPlot()
        self.plot.setMenuEnabled(False)
        theme.style_plot(self.plot, title="Input plane", left="x2", bottom="x1")
        self.background = pg.ImageItem()
        self.background.setColorMap(plane_colormap())
        self.plot.addItem(self.background)
        self.boundary = _BoundaryCurve(level=0.5, pen=pg.mkPen("k", width=3), axisOrder="row-major")
        self.boundary.setParentItem(self.background)  # drawn in the grid's pixel coordinates
        self.boundary.setPos(0.5, 0.5)  # isocurve points are pixel centres
        self.points = [self.plot.plot(pen=None, symbol=symbol, symbolSize=12, symbolBrush=colour,
                                      symbolPen=pg.mkPen("k", width=1), name=f"class {i}")
                       for i, (colour, symbol) in enumerate(zip(CLASS_COLOURS, ("o", "t")))]
        self.lines: list[pg.InfiniteLine] = []
        self.legend = self.plot.addLegend(offset=(10, 10), labelTextSize="12pt")
        self._extent: tuple | None = None
        self._perceptron = False
        self._axis_names: tuple = ()
        self.show_lines.toggled.connect(lambda on: [line.setVisible(on) for line in self.lines])

    def show_snapshot(self, snapshot: RunRecord) -> None:
        decision = snapshot.decision
        if decision is None:
            self.clear()
            self.show_note(self.plot, "The input plane is drawn for 2-D data sets\n(perceptron and XOR presets)")
            return
        self.hide_note()
        grid = decision.scores
        x0, x1, y0, y1 = decision.extent
        self.background.setImage(grid, levels=(0.0, 1.0), autoLevels=False)
        self.background.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        # A perceptron's output is a step: its one line w·x + b = 0 is the exact boundary, and the
        # isocurve of the step image would only be a staircase beside it.
        self._perceptron = snapshot.model_kind == "perceptron"
        self.boundary.setData(None if self._perceptron else grid)
        x, y = decision.points, decision.labels
        for label, item in enumerate(self.points):
            chosen = x[y == label]
            item.setData(chosen[:, 0], chosen[:, 1])
        self._update_names(snapshot)
        self._draw_lines(snapshot.first_layer_weights, decision.first_layer_bias)
        if decision.extent != self._extent:
            self._extent = decision.extent
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        theme.set_title(self.plot, "Input plane: output of the network, boundary at 0.5")

    def _update_names(self, snapshot: RunRecord) -> None:
        names = (snapshot.decision.feature_names if snapshot.decision else ("x1", "x2"), snapshot.class_names)
        if names == self._axis_names:
            return
        self._axis_names = names
        features, classes = names
        self.plot.setLabel("bottom", features[0], **{"font-size": theme.LABEL_POINT_SIZE})
        self.plot.setLabel("left", features[1], **{"font-size": theme.LABEL_POINT_SIZE})
        self.legend.clear()
        for item, name in zip(self.points, classes):
            self.legend.addItem(item, f"class {name}" if len(name) < 3 else name)

    def _draw_lines(self, weights: np.ndarray, bias: np.ndarray | None) -> None:
        """One line per first-layer unit where its weighted input is 0: w1 x1 + w2 x2 + b = 0."""
        if weights.ndim != 2 or weights.shape[0] != 2 or bias is None:
            return
        n = weights.shape[1]
        pen = pg.mkPen("k", width=3) if self._perceptron else \
            pg.mkPen(theme.GREY_70, width=1.5, style=QtCore.Qt.PenStyle.DashLine)
        while len(self.lines) < n:
            line = pg.InfiniteLine(pen=pg.mkPen(theme.GREY_70, width=1.5, style=QtCore.Qt.PenStyle.DashLine),
                                   movable=False)
            self.plot.addItem(line, ignoreBounds=True)
            self.lines.append(line)
        for j, line in enumerate(self.lines):
            line.setPen(pen)
            w = weights[:, j].astype(np.float64) if j < n else np.zeros(2)
            norm2 = float(w @ w)
            visible = j < n and norm2 > 1e-12 and self.show_lines.isChecked()
            line.setVisible(visible)
            if visible:
                point = -float(bias[j]) * w / norm2  # the point of the line closest to the origin
                line.setPos(pg.Point(point[0], point[1]))
                line.setAngle(math.degrees(math.atan2(w[1], w[0])) + 90.0)

    def clear(self) -> None:
        self.background.clear()
        self.boundary.setData(None)
        for item in self.points:
            item.setData([], [])
        for line in self.lines:
            line.setVisible(False)
