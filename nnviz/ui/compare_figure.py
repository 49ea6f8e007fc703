"""The comparison figure: every run's per-epoch curve in one plot, drawn offscreen with pyqtgraph.

Made for slides: 1920 x 1080 pixels, white background, fonts of 22 px and more, Okabe-Ito colours
(safe for the common colour-vision deficiencies) with a different marker per run, so curves stay
apart in greyscale too, and the legend beside the plot, where it hides no curve.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path


from nnviz.sweep.compare import common_description, common_settings, is_accuracy, metric_title
from nnviz.core.run_folder import RunData
from nnviz.ui import theme
from nnviz.ui.figure_export import export_scene_png
from nnviz.ui.offscreen import ensure_app

# Okabe & Ito (2008), most contrasting on white first; yellow last (faint on white).
OKABE_ITO = theme.OKABE_ITO
SYMBOLS = ("o", "s", "t", "d", "star", "t1", "p", "h")
DASHES = (None, [6, 3], [2, 3], [8, 3, 2, 3])  # after the 8 colours, vary the line too

WIDTH, HEIGHT = 1920, 1080
TICK_PX, LABEL_PX, TITLE_PX, SUBTITLE_PX, LEGEND_PX = 22, 26, 30, 22, 24


def run_pen(index: int, width: float = 3.0):
    import pyqtgraph as pg
    from PySide6 import QtCore

    colour = OKABE_ITO[index % len(OKABE_ITO)]
    pen = pg.mkPen(colour, width=width)
    dash = DASHES[(index // len(OKABE_ITO)) % len(DASHES)]
    if dash:
        pen.setStyle(QtCore.Qt.PenStyle.CustomDashLine)
        pen.setDashPattern(dash)
    return pen


def run_colour(index: int) -> str:
    return OKABE_ITO[index % len(OKABE_ITO)]


def run_symbol(index: int) -> str:
    return SYMBOLS[index % len(SYMBOLS)]


class CompareFigure:
    """A plot of one metric per epoch for several runs, with the legend in a column to its right."""

    def __init__(self, runs: Sequence[RunData], metric: str, title: str | None = None) -> None:
        ensure_app()
        import pyqtgraph as pg
        from PySide6 import QtCore, QtGui

        self.runs = list(runs)
        self.metric = metric
        self.widget = pg.GraphicsLayoutWidget()
        self.widget.setBackground("w")
        self.widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.widget.resize(WIDTH, HEIGHT)
        layout = self.widget.ci
        layout.setContentsMargins(20, 20, 30, 20)
        heading = title if title is not None else self._default_title()
        self.title = layout.addLabel(heading, row=0, col=0, colspan=2, size=f"{TITLE_PX}px", color="k")
        self.subtitle = layout.addLabel(common_settings(self.runs), row=1, col=0, colspan=2, size=f"{SUBTITLE_PX}px",
                                        color=theme.GREY_90)
        self.plot: pg.PlotItem = layout.addPlot(row=2, col=0)
        self.legend = pg.LegendItem(labelTextSize=f"{LEGEND_PX}px", labelTextColor="k", verSpacing=6)
        self.legend.setParentItem(None)
        self.legend_box = layout.addLayout(row=2, col=1)
        self.legend_box.addItem(self.legend, row=0, col=0)
        self.legend_box.layout.setRowStretchFactor(1, 1)
        self.legend_box.nextRow()
        layout.layout.setColumnStretchFactor(0, 1)
        self._style_axes(QtGui)
        self.curves = []
        for index, run in enumerate(self.runs):
            self.curves.append(self._add_run(index, run))
        self._fit_legend_column()
        self._set_ranges()
        self._mark_chance_level()

    # --- drawing -----------------------------------------------------------------------------
    def _default_title(self) -> str:
        what = metric_title(self.metric)
        common = common_description(self.runs)
        return f"{what[0].upper()}{what[1:]} per epoch" + (f": {common}" if common else "")

    def _style_axes(self, QtGui) -> None:
        font = QtGui.QFont()
        font.setPixelSize(TICK_PX)
        unit = " (%)" if is_accuracy(self.metric) else ""
        labels = {"bottom": "epoch", "left": metric_title(self.metric) + unit}
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setTickFont(font)
            axis.setTextPen("k")
            axis.setPen("k")
            axis.setLabel(labels[name], **{"font-size": f"{LABEL_PX}px", "color": theme.BLACK})
            axis.setStyle(tickTextOffset=8, maxTickLevel=1)  # major and minor ticks, no finer grid
        self.plot.getAxis("left").setWidth(110)
        self.plot.getAxis("bottom").setHeight(80)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()

    def _add_run(self, index: int, run: RunData):
        import pyqtgraph as pg

        epochs, values = run.curve(self.metric)
        if is_accuracy(self.metric):
            values = values * 100.0
        colour = run_colour(index)
        curve = pg.PlotDataItem(epochs, values, pen=run_pen(index), symbol=run_symbol(index), symbolSize=12,
                                symbolBrush=colour, symbolPen=pg.mkPen("w", width=1), antialias=True)
        self.plot.addItem(curve)
        self.legend.addItem(curve, self.legend_text(run))
        return curve

    def _fit_legend_column(self) -> None:
        """The legend column is as wide as the legend, the plot takes the rest."""
        self.legend.updateSize()
        width = self.legend.layout.preferredWidth() + 30
        self.widget.ci.layout.setColumnFixedWidth(1, width)

    def legend_text(self, run: RunData) -> str:
        label = run.label or run.name
        final = run.final(self.metric)
        if run.state == "diverged":
            where = f"after epoch {run.n_epochs}" if run.n_epochs else "in epoch 1"
            return f"{label}: diverged {where}"
        if not math.isfinite(final):
            return f"{label}: no {metric_title(self.metric)}"
        shown = f"{final * 100:.1f} %" if is_accuracy(self.metric) else f"{final:.3g}"
        return f"{label}: {shown}"

    def _set_ranges(self) -> None:
        last_epoch = max((run.n_epochs for run in self.runs), default=1)
        last_epoch = max(last_epoch, 1)
        self.plot.setXRange(1 if last_epoch > 1 else 0.5, last_epoch + (0 if last_epoch > 1 else 0.5), padding=0.03)
        if last_epoch <= 12:
            self.plot.getAxis("bottom").setTickSpacing(1, 1)
        elif last_epoch <= 40:
            self.plot.getAxis("bottom").setTickSpacing(5, 1)
        if is_accuracy(self.metric):
            values = [v * 100 for run in self.runs for v in run.curve(self.metric)[1]]
            low = min(values, default=0.0)
            self.plot.setYRange(max(0.0, math.floor(low / 10) * 10), 100.0, padding=0.02)

    def _mark_chance_level(self) -> None:
        """A dashed line at the accuracy of guessing (10 % for ten classes): where stuck runs sit."""
        import pyqtgraph as pg
        from PySide6 import QtCore, QtGui

        n_classes = {_class_count(run.config.data.name) for run in self.runs}
        if not is_accuracy(self.metric) or len(n_classes) != 1 or None in n_classes:
            return
        level = 100.0 / n_classes.pop()
        line = pg.InfiniteLine(level, angle=0, pen=pg.mkPen(theme.GREY_70, width=2, style=QtCore.Qt.PenStyle.DashLine))
        line.setZValue(-10)  # under the curves
        self.plot.addItem(line, ignoreBounds=True)
        note = pg.TextItem(f"chance ({level:g} %)", color=theme.GREY_90, anchor=(0, 1))
        font = QtGui.QFont()
        font.setPixelSize(LEGEND_PX - 4)
        note.setFont(font)
        note.setPos(self.plot.getViewBox().viewRange()[0][0], level)
        self.plot.addItem(note, ignoreBounds=True)

    # --- reading back ------------------------------------------------------------------------
    def legend_labels(self) -> list[str]:
        """The texts shown in the legend, in order (read from the legend itself)."""
        return [label.text for _, label in self.legend.items]

    # --- export ------------------------------------------------------------------------------
    def export_png(self, path: str | Path, width: int = WIDTH) -> Path:
        from PySide6 import QtWidgets

        self.widget.show()  # not on screen (WA_DontShowOnScreen); lays the scene out
        QtWidgets.QApplication.processEvents()
        return export_scene_png(self.widget.scene(), path, width)

    def close(self) -> None:
        self.widget.close()
        self.widget.deleteLater()


def _class_count(data_name: str) -> int | None:
    from nnviz.core.data.loading import IMAGE_DATASETS
    from nnviz.core.data.toy import TOY_DATASETS

    if data_name in IMAGE_DATASETS:
        return len(IMAGE_DATASETS[data_name].class_names)
    return 2 if data_name in TOY_DATASETS else None


def write_compare_png(runs: Sequence[RunData], metric: str, path: str | Path, title: str | None = None) -> list[str]:
    """Draw and save the comparison figure; returns the legend's texts."""
    figure = CompareFigure(runs, metric, title)
    try:
        figure.export_png(path)
        return figure.legend_labels()
    finally:
        figure.close()
