"""The slides' "3x3 / 9x9 first convolution layer filter and activation" figures.

A grid of the learned first-layer filters (diverging colour map, symmetric around 0, one scale for
all) each beside the feature map it gives for one digit (after ReLU, one scale for all). The figure
is painted with QPainter in logical coordinates (`PaintedFigure`), so a PNG export (the labs'
`render_widget_png`: a scaled painter) repaints it sharp at any width. The convolution lab reuses these pieces.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.lessons.convolution import first_layer_maps, format_value, train_first_layer, training_summary
from nnviz.ui import theme

from nnviz.ui.figure_export import render_widget_png

FIGURE_PRESETS = ("cnn", "cnn-9x9")
# 1 epoch each. cnn-9x9 is ~3x slower per image, so it sees the first 20,000 training images only.
FIGURE_TRAIN_SIZES: dict[str, int | None] = {"cnn": None, "cnn-9x9": 20000}
FIGURE_FILE_NAMES = {"cnn": "filters-3x3.png", "cnn-9x9": "filters-9x9.png"}
INK = QtGui.QColor(20, 20, 20)
HIGHLIGHT = QtGui.QColor(theme.VAL_COLOUR)  # Okabe-Ito orange: the sliding window
OUTLINE = QtGui.QColor(theme.TRAIN_COLOUR)  # Okabe-Ito blue: the patch


# --- painting helpers --------------------------------------------------------------------------
def colour_table(name: str, *, reverse: bool = False) -> np.ndarray:
    """A (256, 3) uint8 lookup table of a pyqtgraph colour map."""
    cmap = pg.colormap.get(name)
    table = cmap.getLookupTable(0.0, 1.0, 256, alpha=False)
    return np.ascontiguousarray(table[::-1] if reverse else table)


DIVERGING = colour_table(theme.DIVERGING_MAP)
SEQUENTIAL = colour_table(theme.SEQUENTIAL_MAP)
INK_TABLE = colour_table(theme.INK_MAP, reverse=True)  # 0 white paper, 1 black ink


def colour_indices(values: np.ndarray, low: float, high: float) -> np.ndarray:
    span = high - low if high > low else 1.0
    return np.clip(np.nan_to_num((values - low) / span * 255.0, nan=0.0), 0, 255).astype(np.uint8)


def to_qimage(values: np.ndarray, table: np.ndarray, low: float, high: float,
              nan_colour: str = theme.GAP_COLOUR) -> QtGui.QImage:
    """(H, W) values through a colour table, NaN in ``nan_colour``; the QImage owns its pixels."""
    values = np.asarray(values, dtype=np.float64)
    rgb = table[colour_indices(values, low, high)]
    nan = QtGui.QColor(nan_colour)
    rgb[np.isnan(values)] = (nan.red(), nan.green(), nan.blue())
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QtGui.QImage(rgb.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()


def cell_colour(value: float, table: np.ndarray, low: float, high: float) -> QtGui.QColor:
    r, g, b = table[int(colour_indices(np.array([value]), low, high)[0])]
    return QtGui.QColor(int(r), int(g), int(b))


def text_colour(background: QtGui.QColor) -> QtGui.QColor:
    """Black on light cells, white on dark ones (relative luminance)."""
    lum = 0.2126 * background.redF() + 0.7152 * background.greenF() + 0.0722 * background.blueF()
    return QtGui.QColor("black") if lum > 0.45 else QtGui.QColor("white")


def set_font(painter: QtGui.QPainter, pixels: float, *, bold: bool = False) -> None:
    font = QtGui.QFont(painter.font())
    font.setPixelSize(max(6, int(round(pixels))))
    font.setBold(bold)
    painter.setFont(font)


def draw_text(painter: QtGui.QPainter, rect: QtCore.QRectF, text: str | tuple[str, ...], pixels: float, *,
              bold: bool = False, align: QtCore.Qt.AlignmentFlag = QtCore.Qt.AlignmentFlag.AlignCenter,
              colour: QtGui.QColor = INK, fit: bool = False, wrap: bool = True) -> QtCore.QRectF:
    """Text in ``rect``, word-wrapped unless ``wrap`` is False. ``text`` may be variants, longest
    first: the first that fits is drawn (a short title on a 1024-pixel projector rather than a cut
    one); with ``fit`` the font then shrinks (to 60 %) until the text fits. Returns where the text went."""
    flags = int(align | QtCore.Qt.TextFlag.TextWordWrap) if wrap else int(align)
    set_font(painter, pixels, bold=bold)

    def fits(candidate: str) -> bool:
        needed = painter.boundingRect(rect, flags, candidate)
        return needed.height() <= rect.height() + 0.5 and needed.width() <= rect.width() + 0.5

    variants = (text,) if isinstance(text, str) else text
    text = next((v for v in variants if fits(v)), variants[-1])
    if fit:
        for _ in range(8):
            if fits(text):
                break
            pixels *= 0.94
            set_font(painter, pixels, bold=bold)
    painter.setPen(colour)
    return painter.drawText(rect, flags, text)


def draw_pixels(painter: QtGui.QPainter, rect: QtCore.QRectF, image: QtGui.QImage) -> None:
    """An image with square, crisp pixels (no smoothing) and a thin frame."""
    painter.save()
    painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)
    painter.drawImage(rect, image)
    painter.setPen(QtGui.QPen(QtGui.QColor(theme.NEUTRAL_COLOUR), 1))
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.drawRect(rect)
    painter.restore()


def draw_colour_bar(painter: QtGui.QPainter, rect: QtCore.QRectF, table: np.ndarray, low: float, high: float,
                    title: str, pixels: float) -> None:
    """A vertical colour bar (high at the top) with its title above and three tick labels."""
    bar = np.linspace(high, low, 128)[:, None]
    bar_rect = QtCore.QRectF(rect.left(), rect.top() + 2.2 * pixels, rect.width() * 0.3,
                             rect.height() - 2.2 * pixels)
    draw_text(painter, QtCore.QRectF(rect.left() - 10, rect.top(), rect.width() + 20, 2 * pixels), title,
              pixels, align=QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
    draw_pixels(painter, bar_rect, to_qimage(bar, table, low, high))
    for fraction, value in ((0.0, high), (0.5, (low + high) / 2), (1.0, low)):
        y = bar_rect.top() + fraction * bar_rect.height()
        label = QtCore.QRectF(bar_rect.right() + 4, y - pixels, rect.width(), 2 * pixels)
        draw_text(painter, label, format_value(value), pixels * 0.9, align=QtCore.Qt.AlignmentFlag.AlignLeft
                  | QtCore.Qt.AlignmentFlag.AlignVCenter)


class PaintedFigure(QtWidgets.QWidget):
    """A figure painted in logical coordinates; the screen and PNG export share `paint_figure`."""

    def paint_figure(self, painter: QtGui.QPainter, width: float, height: float) -> None:
        raise NotImplementedError

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QtGui.QColor("white"))
        self.paint_figure(painter, float(self.width()), float(self.height()))
        painter.end()

    def export_png(self, path: Path, width: int = 1920) -> Path:
        """The figure as a PNG ``width`` pixels wide, white background. Raises ExportError."""
        return render_widget_png(self, path, width)


# --- the figure ------------------------------------------------------------------------------
class FilterActivationFigure(PaintedFigure):
    """Learned first-layer filters, each beside its feature map for one input image."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.filters: np.ndarray | None = None  # (n, KH, KW)
        self.maps: np.ndarray | None = None  # (n, H', W'), after ReLU
        self.image: np.ndarray | None = None  # (H, W) in [0, 1]
        self.title = "First convolution layer: filters and activations"
        self.short_titles: tuple[str, ...] = ()  # drawn when the title does not fit the width
        self.subtitle = ""
        self.empty_note = "No trained network yet."
        self.show_input = True  # the input digit at the left (the lab shows it elsewhere)
        self.setMinimumSize(320, 220)

    def set_maps(self, filters: np.ndarray, maps: np.ndarray, image: np.ndarray, *, title: str | None = None,
                 subtitle: str = "") -> None:
        self.filters, self.maps, self.image = filters, maps, image
        k = filters.shape[1]
        self.title = title or f"{k}×{k} first convolution layer filters and their activations"
        self.subtitle = subtitle
        self.update()

    def set_network(self, network, image: np.ndarray, *, subtitle: str = "") -> None:
        """Draw ``network``'s first conv layer applied to ``image`` (H, W). Raises ValueError."""
        filters, maps = first_layer_maps(network, image)
        self.set_maps(filters, maps, image, subtitle=subtitle)

    def clear(self, note: str = "No trained network yet.") -> None:
        self.filters = self.maps = None
        self.empty_note = note
        self.update()

    def paint_figure(self, painter: QtGui.QPainter, width: float, height: float) -> None:
        title_px = max(14.0, min(24.0, width / 48))
        text_px = max(12.0, title_px * 0.7)
        draw_text(painter, QtCore.QRectF(8, 4, width - 16, title_px * 1.5), (self.title, *self.short_titles),
                  title_px, bold=True, fit=True, wrap=False)
        top = 4 + title_px * 1.6
        if self.subtitle:
            set_font(painter, text_px)
            flags = int(QtCore.Qt.AlignmentFlag.AlignCenter | QtCore.Qt.TextFlag.TextWordWrap)
            needed = painter.fontMetrics().boundingRect(QtCore.QRect(0, 0, int(width - 16), 1000), flags,
                                                        self.subtitle).height()
            draw_text(painter, QtCore.QRectF(8, top, width - 16, needed + 2), self.subtitle, text_px)
            top += needed + text_px * 0.5
        if self.filters is None or self.maps is None or self.image is None:
            draw_text(painter, QtCore.QRectF(20, top, width - 40, height - top), self.empty_note, text_px * 1.2,
                      colour=QtGui.QColor(theme.NEUTRAL_COLOUR))
            return
        n = self.filters.shape[0]
        bars_w = 11 * text_px
        input_side = min(width * 0.16, (height - top) * 0.55) if self.show_input else 0.0
        grid_left = 16 + input_side + (2 * text_px if self.show_input else 0)
        area = QtCore.QRectF(grid_left, top, width - grid_left - bars_w - 8, height - top - 6)
        label_h = text_px * 1.25
        best = (0.0, 1)
        for columns in range(1, n + 1):  # the column count that makes the tiles largest
            rows = math.ceil(n / columns)
            side = min(area.width() / (columns * 2.1 + (columns - 1) * 0.35),
                       (area.height() - rows * label_h) / (rows + (rows - 1) * 0.15))
            best = max(best, (side, columns))
        side, columns = best
        side = max(side, 4.0)
        area.setLeft(area.left() + (area.width() - (columns * 2.1 + (columns - 1) * 0.35) * side) / 2)  # centre
        if self.show_input:
            input_rect = QtCore.QRectF(10, top + label_h, input_side, input_side)
            draw_text(painter, QtCore.QRectF(0, top, input_side + 20, label_h), "input", text_px)
            draw_pixels(painter, input_rect, to_qimage(self.image, INK_TABLE, 0.0, 1.0))
            draw_text(painter, QtCore.QRectF(4, input_rect.bottom() + text_px, input_side + 12, 6 * text_px),
                      "each pair: a learned filter (left) and the feature map it gives for this input (right)",
                      text_px, align=QtCore.Qt.AlignmentFlag.AlignHCenter | QtCore.Qt.AlignmentFlag.AlignTop)
        w_top = float(np.max(np.abs(self.filters))) or 1.0
        a_top = float(np.max(self.maps)) or 1.0
        for i in range(n):
            r, c = divmod(i, columns)
            x = area.left() + c * side * 2.45
            y = area.top() + r * (side * 1.15 + label_h)
            name = f"filter {i + 1}" if side > 3 * text_px else str(i + 1)
            draw_text(painter, QtCore.QRectF(x, y, 2.1 * side, label_h), name, text_px,
                      align=QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter)
            draw_pixels(painter, QtCore.QRectF(x, y + label_h, side, side),
                        to_qimage(self.filters[i], DIVERGING, -w_top, w_top))
            draw_pixels(painter, QtCore.QRectF(x + 1.1 * side, y + label_h, side, side),
                        to_qimage(self.maps[i], SEQUENTIAL, 0.0, a_top))
        bar_h = min(area.height() * 0.42, 8 * text_px * 2)
        bar_x = width - bars_w + 4
        draw_colour_bar(painter, QtCore.QRectF(bar_x, top, bars_w - 8, bar_h), DIVERGING, -w_top, w_top,
                        "filter weight", text_px)
        draw_colour_bar(painter, QtCore.QRectF(bar_x, top + bar_h + 2 * text_px, bars_w - 8, bar_h), SEQUENTIAL,
                        0.0, a_top, "activation", text_px)


def _network_of(trainer_or_network):
    return getattr(trainer_or_network, "network", trainer_or_network)


def filter_activation_figure(trainer_or_network, image: np.ndarray, *, subtitle: str | None = None,
                             parent: QtWidgets.QWidget | None = None) -> FilterActivationFigure:
    """The figure for a `Trainer` or `Sequential` and one image (H, W) or (1, H, W) in [0, 1]."""
    figure = FilterActivationFigure(parent)
    if subtitle is None:
        subtitle = training_summary(trainer_or_network) if hasattr(trainer_or_network, "history") else ""
    image = np.asarray(image, dtype=np.float32).reshape(np.shape(image)[-2:])
    figure.set_network(_network_of(trainer_or_network), image, subtitle=subtitle
                       + "\nfilters: blue < 0 < red, one scale for all · feature maps: after ReLU, one scale for all")
    return figure


def save_filter_figures(trainers: list, out_dir: Path, *, image_index: int = 0, width: int = 1920) -> list[Path]:
    """One figure per trained cnn (filters-3x3.png for `cnn`, ...) for test image ``image_index``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for trainer in trainers:
        x_test, y_test = trainer.dataset.split("test")
        subtitle = f"{training_summary(trainer)} · input: test image #{image_index}, a {int(y_test[image_index])}"
        figure = filter_activation_figure(trainer, x_test[image_index, 0], subtitle=subtitle)
        figure.resize(1500, 640)
        k = figure.filters.shape[1]
        name = FIGURE_FILE_NAMES.get(trainer.config.preset, f"filters-{k}x{k}.png")
        written.append(figure.export_png(out_dir / name, width))
        figure.deleteLater()
    return written


def write_filter_figures(out_dir: Path, data_dir: str | None = None, *, epochs: int = 1,
                         train_sizes: dict[str, int | None] | None = None, test_size: int = 2000,
                         image_index: int = 0, width: int = 1920) -> list[Path]:
    """Train `cnn` and `cnn-9x9` for ``epochs`` (sizes: `FIGURE_TRAIN_SIZES`) and write filters-3x3.png and
    filters-9x9.png, the probe being MNIST test image ``image_index`` (0: the first '7')."""
    from nnviz.ui.offscreen import ensure_app

    ensure_app()
    sizes = {**FIGURE_TRAIN_SIZES, **(train_sizes or {})}
    trainers = [train_first_layer(preset, data_dir, train_size=sizes[preset], epochs=epochs, test_size=test_size)
                for preset in FIGURE_PRESETS]
    return save_filter_figures(trainers, out_dir, image_index=image_index, width=width)
