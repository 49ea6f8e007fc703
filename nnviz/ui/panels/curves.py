"""Curves: loss per iteration (raw and smoothed) and per-epoch loss and accuracy, epoch on the x axis."""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from nnviz.core.loss_history import LossHistory, smooth_continue
from nnviz.core.record import RunRecord

from nnviz.ui import theme
from nnviz.ui.panels.base import Panel
from nnviz.ui.panels.curve_data import CurveOverlay, starts_over, tail_continues, tail_x
from nnviz.ui.panels.curve_marks import CurveMarks, overlays_last_x, overlays_top
from nnviz.ui.panels.legend import RowLegend

SPLITS = (("train", theme.TRAIN_COLOUR, "o"), ("val", theme.VAL_COLOUR, "s"), ("test", theme.TEST_COLOUR, "t"))
SPLIT_NAMES = {"train": "train", "val": "validation", "test": "test"}
# Past this many epochs the markers merge into a band: the lines go on alone. pyqtgraph keeps a record
# per marker, which grew the window by about 2 kB an epoch over a long class.
MAX_EPOCH_SYMBOLS = 100
# While a run ends epochs faster than this (nielsen at full speed ends two or three a second), its
# per-epoch figures and marks are redrawn at most this often: an epoch's frame redraws both plots
# and cost three plain frames. Half a second keeps the points at most about an epoch behind the
# loss per batch, which still moves at every frame.
EPOCH_REDRAW_SECONDS = 0.5


def per_epoch_item(plot: pg.PlotItem, **style) -> pg.PlotDataItem:
    """A per-epoch curve: with thousands of epochs it is drawn as each pixel column's lowest and
    highest value (pyqtgraph's "peak" down-sampling), so every spike stays visible."""
    item = plot.plot(**style)
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
    # The markers' style now, not with the first points: the legend draws its sample from it before
    # the first epoch ends (pyqtgraph's default grey otherwise), and is not repainted for new points.
    item.scatter.setPen(style.get("symbolPen"))
    item.scatter.setBrush(style.get("symbolBrush"))
    item.scatter.setSize(style.get("symbolSize", 7))
    return item


def set_epoch_data(item: pg.PlotDataItem, x, y, symbol: str) -> None:
    """``setData``, with the item's markers only while there are at most MAX_EPOCH_SYMBOLS points."""
    wanted = symbol if len(x) <= MAX_EPOCH_SYMBOLS else None
    if item.opts["symbol"] != wanted:
        item.setSymbol(wanted)
    item.setData(x, y)


def epoch_ticks(axis: pg.AxisItem, epochs: float) -> None:
    """Whole epochs on the axis once there are two or more (no "epoch 2.5" for per-epoch values)."""
    if epochs < 2:
        axis.setTickSpacing()  # automatic: fractions of the first epoch
        return
    theme.integer_ticks(axis, epochs)


class CurvesPanel(Panel):
    name = "curves"
    title = "Curves"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.controls.addWidget(QtWidgets.QLabel("Smoothing"))
        self.smoothing = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(90)
        self.smoothing.setFixedWidth(140)
        self.smoothing.setToolTip("Exponential moving average of the iteration loss, as in TensorBoard")
        self.smoothing_label = QtWidgets.QLabel("0.90")
        self.controls.addWidget(self.smoothing)
        self.controls.addWidget(self.smoothing_label)
        self.log_loss = QtWidgets.QCheckBox("log loss axis")
        self.controls.addWidget(self.log_loss)
        self.add_export_button()

        self.loss_plot = self.graphics.addPlot(row=0, col=0)
        self.accuracy_plot = self.graphics.addPlot(row=0, col=1)
        theme.style_plot(self.loss_plot, title="Loss", left="loss", bottom="epoch")
        theme.style_plot(self.accuracy_plot, title="Accuracy", left="accuracy (%)", bottom="epoch")
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMenuEnabled(False)
            # Ranges are set here, in whole epochs, not by auto-range: the axes (and their cached
            # pictures) then change a few times per run instead of at every frame.
            plot.disableAutoRange()
            plot.hideButtons()
        # One legend for both plots, in a row below them: inside a plot it would hide the curves.
        self.legend = RowLegend()
        self.graphics.addItem(self.legend, row=1, col=0, colspan=2)
        self.marks = CurveMarks(self.loss_plot, self.accuracy_plot)  # best epoch, learning-rate changes
        # The raw losses: a line while there are fewer than pixel columns, then one vertical stroke per
        # column from its lowest to its highest loss (the min/max the history keeps), drawn as plain
        # line segments. Stroking the translucent zig-zag through them as one path took 10 ms a frame.
        self.raw = self.loss_plot.plot(skipFiniteCheck=True, antialias=False)
        self.raw.curve.setSegmentedLineMode("on")
        # The legend shows the band as a swatch: a 1-pixel pale line there was all but invisible.
        self._raw_swatch = pg.PlotDataItem(pen=pg.mkPen(theme.RAW_LOSS_COLOUR, width=10))
        self.smoothed = self.loss_plot.plot(pen=pg.mkPen(theme.TRAIN_COLOUR, width=2.5), skipFiniteCheck=True,
                                            antialias=False)
        # Handed one point per pixel column (``_draw_columns``): pyqtgraph need not thin 8,192 of them.
        self._raw_as_band: bool | None = None
        self.epoch_loss: dict[str, pg.PlotDataItem] = {}
        self.epoch_accuracy: dict[str, pg.PlotDataItem] = {}
        for split, colour, symbol in SPLITS:
            style = dict(pen=pg.mkPen(colour, width=2.5, style=QtCore.Qt.PenStyle.DashLine if split == "train"
                                      else QtCore.Qt.PenStyle.SolidLine),
                         symbol=symbol, symbolSize=9, symbolBrush=colour, symbolPen=None, antialias=True)
            self.epoch_loss[split] = per_epoch_item(self.loss_plot, **style)
            self.epoch_accuracy[split] = per_epoch_item(self.accuracy_plot, **style)
            for item in (self.epoch_loss[split], self.epoch_accuracy[split]):
                theme.cache_drawing(item.curve, item.scatter)
        self._epochs_drawn = -1
        self._epochs_drawn_at = 0.0  # time.monotonic() of the last new epoch drawn
        self._last_epochs = None
        self._overlays: list[CurveOverlay] = []
        self._overlay_items: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._overlay_lines: dict[str, pg.PlotDataItem] = {}  # an overlay's per-iteration loss
        self._overlay_smooth: dict[str, tuple[float, int, np.ndarray, tuple]] = {}  # weight, n, smoothed, EMA
        self._overlay_epochs = 0
        self._overlay_colours: dict[str, str] = {}
        self._loss_range: tuple = ()
        self._accuracy_range: tuple = ()
        self._legend_key: tuple = ()
        self._expected: tuple[str, ...] = ()  # the splits a new run will have curves for
        self.history = LossHistory()  # bounded: min/max buckets once a run is long
        self.smoothing.valueChanged.connect(self._smoothing_changed)
        self.log_loss.toggled.connect(self._log_toggled)
        self.clear()

    # --- data --------------------------------------------------------------------------------
    @property
    def n_points(self) -> int:
        """Iteration losses held (what a test compares with the iteration count)."""
        return self.history.n

    def loss_offset_ok(self, snapshot: RunRecord) -> bool:
        """False when a tail does not continue what is held (the caller asks for the whole curve)."""
        return tail_continues(snapshot, self.history.n)

    def show_snapshot(self, snapshot: RunRecord) -> None:
        if starts_over(snapshot, self.history.n):  # a new run, or the whole curve again
            self.clear()
            self.history.n = snapshot.loss_offset  # a long run's oldest losses are no longer kept
        if tail_continues(snapshot, self.history.n):
            self._append(snapshot)
        self._draw_iterations()
        self._draw_epochs(snapshot)

    def _append(self, snapshot: RunRecord) -> None:
        tail = np.asarray(snapshot.train_loss, dtype=np.float32)
        if tail.size == 0:
            return
        self._per_epoch = max(float(snapshot.batches_in_epoch or snapshot.iterations_per_epoch), 1.0)
        self.history.append(tail, tail_x(snapshot, tail.size, self.history.n), self._weight())

    def _weight(self) -> float:
        return self.smoothing.value() / 100.0

    def _smoothing_changed(self, value: int) -> None:
        self.smoothing_label.setText(f"{value / 100:.2f}")
        self.history.resmooth(self._weight())
        self._draw_iterations()
        for overlay in self._overlays:
            self._draw_overlay_iterations(overlay)

    # --- drawing -----------------------------------------------------------------------------
    def _draw_iterations(self) -> None:
        last_x = max(self.history.last_x(), overlays_last_x(self._overlays))  # a twin ahead too
        # Epochs in steps on x (theme.epoch_axis_end) and "nice" steps on y: the axes change a few
        # times per run, not per frame nor per epoch.
        x_max = float(theme.epoch_axis_end(max(last_x, self._overlay_epochs)))
        if x_max <= 1 and last_x < 0.5:  # a young first epoch: zoom to its iterations, or steps are a sliver
            per_epoch = getattr(self, "_per_epoch", 1.0)
            x_max = min(theme.nice_level(max(last_x * 1.2, 10.0 / per_epoch) * per_epoch) / per_epoch, 1.0)
        # Other runs' curves stay inside the view (a twin with a larger loss, a run folder's epochs).
        top = max(self._robust_top(), overlays_top(self._overlays, [v[2] for v in self._overlay_smooth.values()]))
        wanted = (x_max, theme.nice_level(top))
        if wanted != self._loss_range:
            self._loss_range = wanted
            self._apply_loss_range()
        self._draw_columns()

    def _draw_columns(self) -> None:
        """The raw and smoothed losses in the view's pixel columns (see ``__init__``)."""
        (x_start, x_end), columns = self.loss_plot.vb.viewRange()[0], max(int(self.loss_plot.vb.width()), 1)
        self.smoothed.setData(*self.history.column_smooth(x_start, x_end, columns))
        band = self.history.span > 1 or self.history.buckets > columns
        if band != self._raw_as_band:
            self._raw_as_band = band  # separate strokes may be translucent; a joined line's joints not
            self.raw.setPen(pg.mkPen(theme.RAW_LOSS_COLOUR if band else theme.RAW_LOSS_LINE_COLOUR, width=1))
        if not band:
            self.raw.setData(*self.history.raw_curve(), connect="all")
            return
        x, low, high = self.history.column_band(x_start, x_end, columns)
        # Each stroke reaches its neighbour's range, as the line joining the losses would: the band
        # has no gaps, and a column holding a single loss is not a stroke of length zero.
        low[1:], high[1:] = np.fmin(low[1:], high[:-1]), np.fmax(high[1:], low[:-1])
        if self.log_loss.isChecked():  # the strokes' ends must stay finite on a log axis
            low, high = np.maximum(low, 1e-12), np.maximum(high, 1e-12)
        self.raw.setData(np.repeat(x, 2), np.column_stack((low, high)).ravel(), connect="pairs")

    def _robust_top(self) -> float:
        """Where the y axis ends: the 99th percentile of the smoothed loss, with room above. The first
        batches of a run lose far more than the rest, and single batches of 10 scatter widely: scaling
        to either would flatten the trend a class wants to see (the noise band is clipped instead)."""
        _, smooth = self.history.smooth_curve()  # at most 8192 buckets: under a millisecond
        if smooth.size == 0:
            return 1.0
        smooth = smooth[np.isfinite(smooth)]
        if smooth.size < 20:  # a handful of batches: show them all
            raw = self.history.hi[: self.history.buckets]
            raw = raw[np.isfinite(raw)]
            return float(raw.max()) if raw.size else 1.0
        return 1.3 * float(np.percentile(smooth, 99))

    def _apply_loss_range(self) -> None:
        if not self._loss_range:
            return
        x_max, y_max = self._loss_range
        self.loss_plot.setXRange(0, x_max, padding=0.02)
        bottom = self.loss_plot.getAxis("bottom")
        per_epoch = getattr(self, "_per_epoch", 1.0)
        in_iterations = x_max < 1.0  # counted in iterations until half an epoch is done
        bottom.setScale(per_epoch if in_iterations else 1.0)
        theme.set_axis_label(self.loss_plot, "bottom", "iteration" if in_iterations else "epoch")
        epoch_ticks(bottom, x_max * (per_epoch if in_iterations else 1.0))
        if self.log_loss.isChecked():
            self.loss_plot.enableAutoRange(axis="y")
        else:
            self.loss_plot.setYRange(0, y_max, padding=0)

    def _log_toggled(self, on: bool) -> None:
        self.loss_plot.setLogMode(False, on)
        if not on:
            self.loss_plot.disableAutoRange(axis="y")
        self._apply_loss_range()
        self._draw_columns()

    def _draw_epochs(self, snapshot: RunRecord) -> None:
        self._last_epochs = snapshot.epochs
        now = time.monotonic()
        recent = self._epochs_drawn > 0 and now - self._epochs_drawn_at < EPOCH_REDRAW_SECONDS
        if recent and snapshot.run_state == "running":
            return  # drawn with a later frame (a pause, the run's end and a single step draw at once)
        if snapshot.epochs.epoch.size != self._epochs_drawn:
            self._epochs_drawn_at = now
        self._draw_epochs_curves(snapshot.epochs)
        self.marks.show(snapshot.best_epoch, snapshot.lr_changes)

    def _draw_epochs_curves(self, curves) -> None:
        if curves.epoch.size == self._epochs_drawn:
            return  # per-epoch figures change once an epoch: skip re-creating their symbols
        self._epochs_drawn = curves.epoch.size
        present = []
        for split, _, symbol in SPLITS:
            loss = getattr(curves, f"{split}_loss")
            accuracy = getattr(curves, f"{split}_accuracy")
            # A logged run may have a split's accuracy without its loss (or the other way round).
            has_loss = loss.size > 0 and bool(np.isfinite(loss).any())
            has_accuracy = accuracy.size > 0 and bool(np.isfinite(accuracy).any())
            if has_loss or has_accuracy:
                present.append(split)
            set_epoch_data(self.epoch_loss[split], *((curves.epoch, loss) if has_loss else ([], [])), symbol)
            set_epoch_data(self.epoch_accuracy[split], *((curves.epoch, 100.0 * accuracy) if has_accuracy else ([], [])),
                           symbol)
        self._update_legends(tuple(present) if curves.epoch.size else self._expected)
        epochs = theme.epoch_axis_end(max(int(curves.epoch[-1]) if curves.epoch.size else 1, self._overlay_epochs))
        accuracy = np.concatenate([100 * getattr(curves, f"{split}_accuracy") for split in present]
                                  + [100 * o.accuracy for o in self._overlays] + [np.zeros(0)])
        accuracy = accuracy[np.isfinite(accuracy)]
        low = max(0.0, math.floor(float(accuracy.min()) / 10) * 10) if accuracy.size else 0.0
        wanted = (epochs, low)
        if wanted != self._accuracy_range:
            self._accuracy_range = wanted
            self.accuracy_plot.setXRange(0.5 if epochs > 1 else 0.0, epochs + 0.5 if epochs > 1 else 1.5, padding=0)
            self.accuracy_plot.setYRange(low, 100, padding=0.03)
            epoch_ticks(self.accuracy_plot.getAxis("bottom"), max(epochs, 2))
        if not present and not self._overlays:
            self.show_note(self.accuracy_plot, "measured at the end\nof each epoch")
        else:
            self.hide_note()

    def expect_splits(self, split_sizes: dict[str, int]) -> None:
        """List a new run's per-epoch curves (the splits with examples) before its first epoch ends:
        the legend's rows are there from the start, so that epoch's end neither grows the legend,
        moving both plots (a visible jump, and every axis redrawn: a 90 ms frame), nor rebuilds it."""
        self._expected = tuple(split for split, _, _ in SPLITS if split_sizes.get(split, 0) > 0)
        self._update_legends(self._expected)

    def _update_legends(self, present: tuple[str, ...]) -> None:
        """Legends list only the curves that exist (two-layer-net has no validation split)."""
        if present == self._legend_key:
            return
        self._legend_key = present
        self.legend.clear()
        self.legend.addItem(self._raw_swatch, "loss per batch")
        self.legend.addItem(self.smoothed, "smoothed")
        for split in present:
            self.legend.addItem(self.epoch_loss[split], f"{SPLIT_NAMES[split]} (epoch)")
        for overlay in self._overlays:
            self.legend.addItem(self._overlay_items[overlay.label][0], overlay.label)

    # --- other runs over this one --------------------------------------------------------------
    @property
    def overlay_labels(self) -> list[str]:
        return [o.label for o in self._overlays]

    def set_overlays(self, overlays: list[CurveOverlay]) -> None:
        """Draw these runs' per-epoch loss and accuracy (dotted, in their colours); [] removes them.
        Items are kept per label and updated, so a live twin costs one ``setData`` per epoch."""
        self._overlays = list(overlays)
        wanted = {o.label for o in overlays}
        for label in [label for label in self._overlay_items if label not in wanted]:
            loss_item, accuracy_item = self._overlay_items.pop(label)
            self.loss_plot.removeItem(loss_item)
            self.accuracy_plot.removeItem(accuracy_item)
        for overlay in overlays:
            items = self._overlay_items.get(overlay.label)
            if items is not None and self._overlay_colours.get(overlay.label) != overlay.colour:
                for item in items:  # the same run in another colour (the runs ticked before it changed)
                    item.setPen(pg.mkPen(overlay.colour, width=2.5, style=QtCore.Qt.PenStyle.DotLine))
                    item.setSymbolBrush(overlay.colour)
                if overlay.label in self._overlay_lines:
                    self._overlay_lines[overlay.label].setPen(pg.mkPen(overlay.colour, width=1.5))
            self._overlay_colours[overlay.label] = overlay.colour
            if items is None:
                style = dict(pen=pg.mkPen(overlay.colour, width=2.5, style=QtCore.Qt.PenStyle.DotLine),
                             symbol="d", symbolSize=8, symbolBrush=overlay.colour, symbolPen=None, antialias=True)
                items = (per_epoch_item(self.loss_plot, **style), per_epoch_item(self.accuracy_plot, **style))
                self._overlay_items[overlay.label] = items
            set_epoch_data(items[0], overlay.epoch, overlay.loss, "d")
            set_epoch_data(items[1], overlay.epoch, 100.0 * overlay.accuracy, "d")
            self._draw_overlay_iterations(overlay)
        for label in [label for label in self._overlay_lines if label not in wanted]:
            self.loss_plot.removeItem(self._overlay_lines.pop(label))
            self._overlay_smooth.pop(label, None)
        self._overlay_epochs = max([int(o.epoch[-1]) for o in overlays if o.epoch.size] + [0])
        # redraw ranges and legend with the overlays taken into account
        self._legend_key = None
        self._update_legends(tuple(s for s, _, _ in SPLITS if self.epoch_loss[s].xData is not None
                                   and len(self.epoch_loss[s].xData)) or self._expected)
        self._loss_range = ()
        self._draw_iterations()
        if self._last_epochs is not None:
            self._epochs_drawn = -1
            self._draw_epochs_curves(self._last_epochs)

    def _draw_overlay_iterations(self, overlay: CurveOverlay) -> None:
        """The overlay's training loss per iteration, smoothed like this run's, as a thin line."""
        if overlay.iteration_loss is None or overlay.iteration_x is None:
            return
        loss = overlay.iteration_loss
        wanted = self._weight() ** overlay.iteration_span  # the same smoothing per iteration as this run's
        weight, done, smoothed, state = self._overlay_smooth.get(overlay.label, (-1.0, 0, np.zeros(0), (0.0, 0)))
        if weight != wanted or done > loss.shape[0]:  # new smoothing, merged buckets or a new run: start over
            done, smoothed, state = 0, np.zeros(0), (0.0, 0)
        if loss.shape[0] > done:  # smooth only what is new
            tail, state = smooth_continue(loss[done:], wanted, state)
            smoothed = np.concatenate([smoothed, tail])
        self._overlay_smooth[overlay.label] = (wanted, loss.shape[0], smoothed, state)
        line = self._overlay_lines.get(overlay.label)
        if line is None:
            line = self._overlay_lines[overlay.label] = self.loss_plot.plot(
                pen=pg.mkPen(overlay.colour, width=1.5), skipFiniteCheck=True, antialias=False)
            line.setDownsampling(auto=True, method="subsample")  # smoothed: 1 point per pixel is plenty
            line.opts["autoDownsampleFactor"] = 1.0
            line.setClipToView(True)
            line.setZValue(-1)  # under this run's curves
        line.setData(overlay.iteration_x, smoothed)

    def clear(self) -> None:
        self.history.clear()
        self._last_epochs = None
        self._epochs_drawn = -1
        self._loss_range = ()
        self._accuracy_range = ()
        self._raw_as_band = None
        self._draw_columns()  # the history is empty: no raw or smoothed points
        for item in (*self.epoch_loss.values(), *self.epoch_accuracy.values()):
            item.setData([], [])
        self._legend_key = None
        self._update_legends(self._expected)
        self.marks.clear()
