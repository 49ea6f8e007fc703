"""Marks on the Curves panel: the best epoch (lowest validation loss) on both plots, with or without
early stopping, and every learning rate changed by hand mid-run ("η 3→0.5") on the loss plot.
Also the loss a set of overlays reaches, so the panel's range keeps another run's curve in view."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from nnviz.core.history import LearningRateChange
from nnviz.ui import theme


def _line(text_position: float) -> pg.InfiniteLine:
    pen = pg.mkPen(theme.MARK_COLOUR, width=1.5, style=QtCore.Qt.PenStyle.DashLine)
    line = pg.InfiniteLine(angle=90, movable=False, pen=pen, label="",
                           labelOpts=dict(position=text_position, color=theme.GREY_90, anchors=[(0, 0), (0, 0)],
                                          fill=(255, 255, 255, 200)))
    line.setZValue(5)  # above the curves, so the text is readable
    font = line.label.textItem.font()
    font.setPointSize(theme.TICK_POINT_SIZE)
    line.label.setFont(font)
    # Kept as pixmaps: the line and its text lie over the loss curve, which is repainted at every
    # frame; drawing the text afresh each time cost about 1 ms a frame.
    theme.cache_drawing(line, line.label)
    return line


def _rate(value: float) -> str:
    return f"{value:g}"


class CurveMarks:
    """The best-epoch lines (one per plot) and the learning-rate lines, updated only when they change."""

    def __init__(self, loss_plot: pg.PlotItem, accuracy_plot: pg.PlotItem) -> None:
        self.loss_plot = loss_plot
        self.best_lines = (_line(0.97), _line(0.97))
        for plot, line in zip((loss_plot, accuracy_plot), self.best_lines):
            plot.addItem(line, ignoreBounds=True)
            line.setVisible(False)
        self.best_epoch: int | None = None
        self.lr_lines: list[pg.InfiniteLine] = []
        self._lr_key: tuple = ()

    def show(self, best_epoch: int | None, changes: Sequence[LearningRateChange]) -> None:
        if best_epoch != self.best_epoch:
            self.best_epoch = best_epoch
            for line in self.best_lines:
                line.setVisible(best_epoch is not None)
                if best_epoch is not None:
                    line.setValue(best_epoch)
                    line.label.setFormat(f"best epoch {best_epoch}")
        key = tuple((c.epoch, c.old, c.new) for c in changes)
        if key != self._lr_key:
            self._lr_key = key
            for line in self.lr_lines:
                self.loss_plot.removeItem(line)
            self.lr_lines = []
            for i, change in enumerate(changes):
                line = _line(0.82 - 0.1 * (i % 3))  # staggered: changes close together stay readable
                line.setPen(pg.mkPen(theme.VERMILLION, width=1.5, style=QtCore.Qt.PenStyle.DotLine))
                line.setValue(change.epoch)
                line.label.setFormat(f"η {_rate(change.old)}→{_rate(change.new)}")
                self.loss_plot.addItem(line, ignoreBounds=True)
                self.lr_lines.append(line)
        self.keep_texts_inside()

    def keep_texts_inside(self) -> None:
        """Text right of its line, or left of it in the right half of the plot (else it is cut off)."""
        for line in (*self.best_lines, *self.lr_lines):
            view = line.getViewBox()
            if view is None or not line.isVisible():
                continue
            x0, x1 = view.viewRange()[0]
            anchor = (1, 0) if line.value() > (x0 + x1) / 2 else (0, 0)
            if line.label.anchors[0] != anchor:
                line.label.anchors = [anchor, anchor]
                line.label.updatePosition()

    def texts(self) -> list[str]:
        """What the visible marks say (tests read it as a person reads the plot)."""
        lines = [line for line in (*self.best_lines, *self.lr_lines) if line.isVisible()]
        return [line.label.toPlainText() for line in lines]

    def clear(self) -> None:
        self.show(None, ())


def overlays_top(overlays, smoothed) -> float:
    """The highest loss the overlays draw: their per-epoch points and (``smoothed``, their
    per-iteration losses as drawn) the 99th percentile with room above, as the panel scales its own."""
    tops = [0.0]
    for overlay in overlays:
        loss = np.asarray(overlay.loss, dtype=np.float64)
        loss = loss[np.isfinite(loss)]
        if loss.size:
            tops.append(float(loss.max()))
    for values in smoothed:
        values = values[:: max(1, values.shape[0] // 20000)]  # a strided sample: every frame, under a millisecond
        values = values[np.isfinite(values)]
        if values.size:
            tops.append(1.3 * float(np.percentile(values, 99)) if values.size >= 20 else float(values.max()))
    return max(tops)


def overlays_last_x(overlays) -> float:
    """The furthest x (in epochs) an overlay's per-iteration loss reaches (a twin running ahead)."""
    ends = [float(o.iteration_x[-1]) for o in overlays if o.iteration_x is not None and o.iteration_x.size]
    return max(ends, default=0.0)
