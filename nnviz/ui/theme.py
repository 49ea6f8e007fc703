"""Colours, fonts and colour maps shared by the window and the headless exporter.

Plots use a light theme (white background, black text): it reads best on a projector and the
exported PNGs drop straight into slides. Sizes are chosen for the back row of a lecture hall.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtGui

TICK_POINT_SIZE = 11
LABEL_POINT_SIZE = "12pt"
TITLE_POINT_SIZE = "13pt"
UI_POINT_SIZE = 11

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
TRAIN_COLOUR = "#0072B2"
VAL_COLOUR = "#E69F00"
TEST_COLOUR = "#009E73"
RAW_LOSS_COLOUR = (0, 114, 178, 70)
TRUE_COLOUR = "#009E73"
WRONG_COLOUR = "#D55E00"
NEUTRAL_COLOUR = "#8c8c8c"
GAP_COLOUR = "#c8c8c8"  # between tiles of a mosaic: distinct from the white of a zero weight

DIVERGING_MAP = "CET-D1"  # blue - white - red, symmetric around 0 (weights)
SEQUENTIAL_MAP = "viridis"  # activations >= 0 (as in matplotlib)
INK_MAP = "CET-L1"  # grey ramp, reversed: inputs drawn as dark ink on white paper


def configure_pyqtgraph() -> None:
    """Global pyqtgraph options; call once after the QApplication exists."""
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background="w", foreground="k")


def colormap(name: str, *, reverse: bool = False) -> pg.ColorMap:
    cmap = pg.colormap.get(name)
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
    if title:
        plot.setTitle(title, size=TITLE_POINT_SIZE)
    for name, text in (("left", left), ("bottom", bottom)):
        axis = plot.getAxis(name)
        axis.setTickFont(tick_font())
        axis.setTextPen("k")
        if text:
            axis.setLabel(text, **{"font-size": LABEL_POINT_SIZE})


def style_axis(axis: pg.AxisItem) -> None:
    axis.setTickFont(tick_font())
    axis.setTextPen("k")


def title_html(text: str) -> str:
    return f"<span style='font-size:{TITLE_POINT_SIZE}'>{text}</span>"
