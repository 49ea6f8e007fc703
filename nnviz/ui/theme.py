"""Colours, fonts and colour maps shared by the window and the headless exporter.

Plots use a light theme (white background, black text): it reads best on a projector and the
exported PNGs drop straight into slides. Sizes are chosen for the back row of a lecture hall.
"""

from __future__ import annotations

import math
import re
import types

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

TICK_POINT_SIZE = 11
LABEL_POINT_SIZE = "12pt"
TITLE_POINT_SIZE = "13pt"
UI_POINT_SIZE = 11

# The palette: every colour the window, the labs and the exported figures use. Okabe & Ito (2008):
# distinguishable with the common colour-vision deficiencies; yellow last (faint on white).
BLUE, VERMILLION, GREEN, PURPLE = "#0072B2", "#D55E00", "#009E73", "#CC79A7"
ORANGE, SKY_BLUE, BLACK, YELLOW = "#E69F00", "#56B4E9", "#000000", "#F0E442"
OKABE_ITO = (BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY_BLUE, BLACK, YELLOW)
GREY_90, GREY_80, GREY_70, GREY_60 = "#333333", "#444444", "#555555", "#666666"  # text and outlines
GREY_50, GREY_40, GREY_30 = "#777777", "#999999", "#BBBBBB"
HIGHLIGHT = "#fff3c4"  # pale yellow behind the step being explained

TRAIN_COLOUR = BLUE
VAL_COLOUR = ORANGE
TEST_COLOUR = GREEN
RAW_LOSS_COLOUR = (86, 180, 233, 60)  # light sky blue: the noise band behind the smoothed curve
# The same on white, opaque: a translucent line costs the raster engine three times as much to stroke.
RAW_LOSS_LINE_COLOUR = tuple(round(255 + (c - 255) * RAW_LOSS_COLOUR[3] / 255) for c in RAW_LOSS_COLOUR[:3])
MARK_COLOUR = GREY_70  # best-epoch and learning-rate marks on the curves
TRUE_COLOUR = GREEN
WRONG_COLOUR = VERMILLION
NEUTRAL_COLOUR = "#8c8c8c"
GAP_COLOUR = "#c8c8c8"  # between tiles of a mosaic: distinct from the white of a zero weight

# Text and fills beside the plots: the labs' verdicts, notes and tables, the notice bars, run states.
OK_TEXT = "#007a55"  # a verdict that holds: XOR solved, converged, gradients agree
ERROR_TEXT = "#bb0000"  # a refused value, a failed verdict
BAD_TEXT = "#c00000"  # the x-ray's numbers that disagree
DELTA_TEXT = "#a0004a"  # the x-ray's δ = ∂E/∂z
TABLE_HEADER_FILL, TABLE_BORDER, BOX_BORDER = "#e8e8e8", "#888888", "#cccccc"
STEP_FILL, BACKWARD_FILL, INPUT_FILL = "#ffe48a", "#fbd3e0", "#eef3f8"  # x-ray: current step, backward, input
HEALTH_FILL, DATA_FILL, DIVERGED_FILL = "#fff4d6", "#dcecf8", "#fde2d4"  # notice bars, each with its edge colour
RUN_STATE_COLOURS = {"running": "#2e7d32", "finished": "#1565c0", "stalled": "#c62828", "interrupted": "#ef6c00",
                     "diverged": "#c62828", "missing": "#c62828", "waiting": "#757575"}  # nnviz watch


def run_state_colour(state: str) -> str:
    """The colour ``nnviz watch`` writes a run's state in (black for a state it does not know)."""
    return RUN_STATE_COLOURS.get(state, BLACK)


def overlay_colour(index: int) -> str:
    """Colour of the ``index``-th other run drawn over this one (ticked runs, then the A/B twin): from
    the palette in force, never this run's train / validation / test colours; sky blue (the raw
    loss band) and yellow (faint on white) last."""
    taken = {TRAIN_COLOUR, VAL_COLOUR, TEST_COLOUR}
    late = [SKY_BLUE, YELLOW]
    free = [c for c in OKABE_ITO if c not in taken and c not in late] + [c for c in late if c not in taken]
    return free[index % len(free)]


DIVERGING_MAP = "CET-D1"  # blue - white - red, symmetric around 0 (weights)
SEQUENTIAL_MAP = "viridis"  # activations >= 0 (as in matplotlib)
INK_MAP = "CET-L1"  # grey ramp, reversed: inputs drawn as dark ink on white paper


BASE_SIZES = (TICK_POINT_SIZE, 12, 13, UI_POINT_SIZE)  # tick, label, title, widgets (points)
scale = 1.0  # 1.0 normally; presentation mode makes every text larger from the back row


def set_scale(factor: float) -> None:
    """Scale every font size the panels ask for from now on (presentation mode)."""
    global scale, TICK_POINT_SIZE, LABEL_POINT_SIZE, TITLE_POINT_SIZE, UI_POINT_SIZE
    scale = factor
    tick, label, title, ui = BASE_SIZES
    TICK_POINT_SIZE = round(tick * factor)
    LABEL_POINT_SIZE = f"{round(label * factor)}pt"
    TITLE_POINT_SIZE = f"{round(title * factor)}pt"
    UI_POINT_SIZE = round(ui * factor)


def configure_pyqtgraph() -> None:
    """Global pyqtgraph options; call once after the QApplication exists."""
    # Antialiasing is switched on per item (the loss curves, the boundary): on everything it
    # costs more drawing time than the GIL can spare while the worker trains.
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=False, background="w", foreground="k")


def colormap(name: str, *, reverse: bool = False) -> pg.ColorMap:
    """A fresh copy: pyqtgraph hands out one shared object per name, and reverse() changes it in place."""
    shared = pg.colormap.get(name)  # read from its file once, then cached by pyqtgraph
    positions, colours = shared.getStops()
    cmap = pg.ColorMap(positions.copy(), colours.copy())
    if reverse:
        cmap.reverse()
    return cmap


def confusion_colormap() -> pg.ColorMap:
    """White (0) to dark blue, like matplotlib's "Blues": empty cells stay white."""
    return pg.ColorMap([0.0, 0.5, 1.0], [(255, 255, 255), (107, 174, 214), (8, 48, 107)])


def tick_font() -> QtGui.QFont:
    font = QtGui.QFont()
    font.setPointSize(TICK_POINT_SIZE)
    return font


def style_plot(plot: pg.PlotItem, *, title: str = "", left: str = "", bottom: str = "") -> None:
    """Readable ticks, labels and title on a plot."""
    relax_width(plot.titleLabel)
    if title:
        plot.setTitle(title, size=TITLE_POINT_SIZE)
    for name, text in (("left", left), ("bottom", bottom)):
        axis = plot.getAxis(name)
        style_axis(axis)
        if text:
            axis.setLabel(text, **{"font-size": LABEL_POINT_SIZE})


def style_axis(axis: pg.AxisItem) -> None:
    axis.setTickFont(tick_font())
    axis.setTextPen("k")
    axis.enableAutoSIPrefix(False)  # "epoch (x0.001)" would puzzle a class
    # Axes (ticks, labels, grid) change only with their range: keep them as a pixmap instead of
    # replaying their drawing at every frame.
    axis.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)


def cache_drawing(*items) -> None:
    """Keep rarely changing items (legends, per-epoch curves, cell labels) as pixmaps: a fast-changing
    curve beneath them then costs one blit each, not a redraw of their text and symbols."""
    for item in items:
        item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)


def _relaxed_update_min(label: pg.LabelItem) -> None:
    """pyqtgraph's LabelItem.updateMin, except the text's width is not a minimum width."""
    bounds = label.itemRect()
    label.setMinimumWidth(0)
    label.setMinimumHeight(bounds.height())
    label._sizeHint = {
        QtCore.Qt.SizeHint.MinimumSize: (0, bounds.height()),
        QtCore.Qt.SizeHint.PreferredSize: (bounds.width(), bounds.height()),
        QtCore.Qt.SizeHint.MaximumSize: (-1, -1),
        QtCore.Qt.SizeHint.MinimumDescent: (0, 0),
    }
    label.updateGeometry()


def relax_width(label: pg.LabelItem) -> pg.LabelItem:
    """A long title must not make its panel wider than its dock (it would be clipped, whole
    plots with it): let the title shrink instead."""
    label.updateMin = types.MethodType(_relaxed_update_min, label)
    label.updateMin()
    return label


def title_label(text: str = "") -> pg.LabelItem:
    label = relax_width(pg.LabelItem(text, size=TITLE_POINT_SIZE, color="k"))
    # Only as tall as its text: spare height goes to the pictures, not to the gap under a title.
    label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Maximum)
    return label


def set_text(item, text: str) -> None:
    """``item.setText`` only when the text changes: pyqtgraph re-lays out HTML on every call."""
    if getattr(item, "_nnviz_text", None) != text:
        item._nnviz_text = text
        item.setText(text)


def set_title(plot: pg.PlotItem, text: str | None) -> None:
    if getattr(plot, "_nnviz_title", "") != text:
        plot._nnviz_title = text
        plot.setTitle(text if text is None else title_html(text))


def set_axis_label(plot: pg.PlotItem, axis: str, text: str) -> None:
    key = f"_nnviz_label_{axis}"
    if getattr(plot, key, None) != text:
        setattr(plot, key, text)
        plot.setLabel(axis, text, **{"font-size": LABEL_POINT_SIZE})


def nice_level(value: float) -> float:
    """The next of 1, 1.5, 2, 3, 4, 5, 7.5 (x 10^k) above ``value``: colour-bar limits that stay put
    from frame to frame, so the bar's axis is not redrawn at every frame."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0):
        level = step * 10.0 ** exponent
        if level >= value * 0.999:
            return level
    return 10.0 ** (exponent + 1)


def column_labels(names) -> list[str]:
    """Labels for a horizontal row of classes: the names when they are short (digits), else the
    class numbers, since ten names like "Ankle boot" side by side overlap in any panel width."""
    return list(names) if max((len(n) for n in names), default=0) <= 3 else [str(i) for i in range(len(names))]


def row_labels(names) -> list[str]:
    """Labels for a column of classes, numbered when the columns are (see column_labels)."""
    if column_labels(names) == list(names):
        return list(names)
    return [f"{name}  {i}" for i, name in enumerate(names)]


def epoch_axis_end(epochs: float) -> int:
    """Where an epoch axis ends once ``epochs`` are done: the next of 1, 2, ..., 6, 8, 10, 12, 15, 20,
    25, 30, 40, ... (x 10^k). At most a quarter of the axis lies ahead of the run, and a long run
    rescales its axes (and redraws their cached pictures and per-epoch curves) at a few epochs, not
    at every one: an epoch's end cost a frame three times a plain one."""
    done = max(1, math.ceil(epochs - 1e-9))
    if done <= 6:
        return done
    scale = 10 ** math.floor(math.log10(done))
    return next(round(m * scale) for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if round(m * scale) >= done)


def integer_ticks(axis: pg.AxisItem, count: float) -> None:
    """Whole-number ticks (units, epochs): 1, 2, 5, 10, ... apart, about eight along the axis."""
    major = next(step for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10**9) if count / step <= 8)
    axis.setTickSpacing(major, major / 5 if major >= 5 else major)


def title_html(text: str) -> str:
    return f"<span style='font-size:{TITLE_POINT_SIZE}'>{text}</span>"


def fit_title(label: pg.LabelItem, *variants: str) -> None:
    """Show the first variant (HTML, "<br>" for two lines) whose widest line fits the label's column,
    else the last one cut short with "…": long titles side by side drew over each other."""
    font = QtGui.QFont()
    font.setPointSizeF(float(str(label.opts.get("size", TITLE_POINT_SIZE)).rstrip("pt")))
    metrics = QtGui.QFontMetricsF(font)
    room = label.boundingRect().width() - 4
    if room <= 0:  # not laid out yet: drawn again once it is (watch_sizes)
        set_text(label, variants[0])
        return
    for text in variants:  # measured without its markup (<sup>, <i>, &nbsp;)
        if max(metrics.horizontalAdvance(plain_text(line)) for line in text.split("<br>")) <= room:
            set_text(label, text)
            return
    # Each line cut on its own: cut as one string, "a<br>b" lost its second line (or left half a tag).
    set_text(label, "<br>".join(metrics.elidedText(plain_text(line), QtCore.Qt.TextElideMode.ElideRight, room)
                                for line in variants[-1].split("<br>")))


def plain_text(html: str) -> str:
    """``html`` as it reads: tags dropped, the few entities titles use replaced."""
    text = re.sub(r"<[^>]*>", "", html)
    return text.replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
