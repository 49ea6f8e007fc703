"""Evaluation figures: per-class precision/recall/F1 bars and the ROC curve with its operating point.

Both are `Panel`s, so they export like every panel (PNG at 1920 px, SVG) and can sit in the window;
they are driven by `nnviz.core.evaluation` results instead of training snapshots. Headless,
`write_evaluation_pngs` draws them (and the window's confusion-matrix panel) offscreen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from nnviz.core.evaluation import BinaryEvaluation, ClassMetrics, OperatingPoint, SplitEvaluation

from nnviz.ui import theme
from nnviz.ui.panels import ConfusionMatrixPanel, Panel

# Okabe-Ito, as the curves: precision, recall, F1.
METRIC_COLOURS = (("precision", theme.BLUE), ("recall", theme.ORANGE), ("f1", theme.GREEN))
FIGURE_SIZE = (1280, 720)  # the figure's logical size: 16:9, exported 1920 px wide


def _static_plot(panel: Panel, title: str, left: str, bottom: str) -> pg.PlotItem:
    """A plot that does not pan or zoom (a figure for slides), styled like every panel."""
    panel.add_export_button()
    plot = panel.graphics.addPlot()
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    theme.style_plot(plot, title=title, left=left, bottom=bottom)
    return plot


class PerClassMetricsFigure(Panel):
    """Grouped bars: precision, recall and F1 of every class (a missing value draws no bar)."""

    name = "per-class"
    title = "Per-class metrics"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = _static_plot(self, self.title, "score", "class")
        self.plot.showGrid(y=True, alpha=0.25)
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextSize=theme.LABEL_POINT_SIZE)
        self.legend.setColumnCount(len(METRIC_COLOURS))  # one row above the bars, even in a short panel
        self.bars: dict[str, pg.BarGraphItem] = {}
        for key, colour in METRIC_COLOURS:
            bar = pg.BarGraphItem(x=[], height=[], width=0.26, brush=colour, pen=pg.mkPen("w", width=1))
            self.plot.addItem(bar)
            self.legend.addItem(bar, "F1" if key == "f1" else key)
            self.bars[key] = bar

    def show_metrics(self, metrics: Sequence[ClassMetrics], title: str = "") -> None:
        k = len(metrics)
        centres = np.arange(k, dtype=np.float64)
        for offset, (key, _) in zip((-0.28, 0.0, 0.28), METRIC_COLOURS):
            values = np.array([getattr(m, key) for m in metrics], dtype=np.float64)
            shown = np.isfinite(values)
            self.bars[key].setOpts(x=centres[shown] + offset, height=values[shown])
        names = [m.name for m in metrics]
        # One group of bars per class leaves room for names like "Ankle boot" under each.
        labels = names if max((len(n) for n in names), default=0) <= 12 else theme.column_labels(names)
        self.plot.getAxis("bottom").setTicks([[(i, t) for i, t in enumerate(labels)]])
        self.plot.setXRange(-0.6, k - 0.4, padding=0)
        self.plot.setYRange(0.0, 1.12, padding=0)  # room for the legend above the bars
        theme.set_title(self.plot, title or self.title)

    def show_snapshot(self, snapshot) -> None:
        """Driven by `show_metrics`; training snapshots carry no per-class figures."""

    def clear(self) -> None:
        for bar in self.bars.values():
            bar.setOpts(x=[], height=[])


class RocFigure(Panel):
    """The ROC curve (FPR across, TPR up), the chance diagonal and the operating point at a threshold."""

    name = "roc"
    title = "ROC curve"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = _static_plot(self, self.title, "true positive rate TPR = TP / (TP + FN)",
                                 "false positive rate FPR = FP / (FP + TN)")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.03)
        self.legend = self.plot.addLegend(offset=(-10, -10), labelTextSize=theme.LABEL_POINT_SIZE)
        chance = pg.PlotDataItem([0, 1], [0, 1], pen=pg.mkPen(theme.NEUTRAL_COLOUR, width=2,
                                                                style=QtCore.Qt.PenStyle.DashLine))
        self.plot.addItem(chance)
        self.legend.addItem(chance, "chance (AUC 0.5)")
        self.curve = pg.PlotDataItem([], [], pen=pg.mkPen(theme.TRAIN_COLOUR, width=3), antialias=True)
        self.plot.addItem(self.curve)
        self.legend.addItem(self.curve, "ROC")
        self.point = pg.ScatterPlotItem([], [], size=16, brush=theme.WRONG_COLOUR, pen=pg.mkPen("k", width=1.5))
        self.plot.addItem(self.point)
        self.legend.addItem(self.point, "operating point")
        self.point_label = pg.TextItem("", color="k", anchor=(0, 1))
        self.plot.addItem(self.point_label)
        self._names = ("POS", "NEG")

    def show_binary(self, binary: BinaryEvaluation, positive_name: str = "", negative_name: str = "",
                    title: str = "") -> None:
        negative = "rest" if binary.scores.negative is None else str(binary.scores.negative)
        self._names = (positive_name or str(binary.scores.positive), negative_name or negative)
        self.curve.setData(binary.roc.fpr, binary.roc.tpr)
        self.legend.getLabel(self.curve).setText(f"ROC, AUC = {binary.auc:.3f}")
        theme.set_title(self.plot, title or f"{self._names[0]} (positive) vs {self._names[1]} (negative)")
        self.set_operating_point(binary.point)

    def set_operating_point(self, point: OperatingPoint) -> None:
        """Move the marker (a threshold slider calls this with `core.evaluation.operating_point`)."""
        if math.isnan(point.fpr) or math.isnan(point.tpr):
            self.point.setData([], [])
            self.point_label.setText("")
            return
        self.point.setData([point.fpr], [point.tpr])
        self.point_label.setText(f"  threshold {point.threshold:g}: TP {point.tp}, FP {point.fp}, TN {point.tn}, "
                                 f"FN {point.fn}\n  TPR {point.tpr:.3f}, FPR {point.fpr:.3f}")
        # Beside the marker, on the side facing the plot's middle: a point near TPR 1 labels below itself.
        self.point_label.setAnchor((0 if point.fpr < 0.5 else 1, 0 if point.tpr > 0.5 else 1))
        self.point_label.setPos(point.fpr, point.tpr)

    def show_snapshot(self, snapshot) -> None:
        """Driven by `show_binary`."""

    def clear(self) -> None:
        self.curve.setData([], [])
        self.point.setData([], [])
        self.point_label.setText("")


def _lay_out(panel: Panel) -> None:
    """Size a panel offscreen so that its figure (below the controls row) is 16:9."""
    panel.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    panel.resize(*FIGURE_SIZE)
    panel.show()  # lays the panel out; nothing appears on screen
    QtWidgets.QApplication.processEvents()
    extra_width = panel.width() - panel.graphics.width()
    extra_height = panel.height() - panel.graphics.height()
    panel.resize(FIGURE_SIZE[0] + extra_width, FIGURE_SIZE[1] + extra_height)
    QtWidgets.QApplication.processEvents()


def write_evaluation_pngs(folder: Path, evaluation: SplitEvaluation, class_names: Sequence[str], title: str,
                          binary: BinaryEvaluation | None = None, width: int = 1920) -> list[Path]:
    """Write ``per-class.png``, ``confusion.png`` and, for a two-class view, ``roc.png`` into
    ``folder``; returns their paths. Raises ExportError."""
    from nnviz.ui.offscreen import ensure_app  # offscreen without a display

    ensure_app()
    theme.configure_pyqtgraph()
    names = [str(n) for n in class_names]
    per_class = PerClassMetricsFigure()
    per_class.show_metrics(evaluation.per_class(names), f"{title}: precision, recall and F1 per class")
    confusion = ConfusionMatrixPanel()
    # The panel draws what a snapshot says; these are the only fields it reads.
    confusion.show_snapshot(SimpleNamespace(class_names=tuple(names), confusion=evaluation.confusion,
                                            confusion_split=evaluation.split))
    figures: list[Panel] = [per_class, confusion]
    if binary is not None:
        roc = RocFigure()
        pos = names[binary.scores.positive]
        neg = "the rest" if binary.scores.negative is None else names[binary.scores.negative]
        roc.show_binary(binary, pos, neg, f"{title}: {pos} (positive) vs {neg} (negative), "
                                          f"{binary.scores.indices.size:,} examples")
        figures.append(roc)
    written = []
    try:
        for panel in figures:
            _lay_out(panel)
            written.append(panel.export_png(Path(folder) / f"{panel.name}.png", width))
    finally:
        for panel in figures:
            panel.close()
            panel.deleteLater()
    return written
