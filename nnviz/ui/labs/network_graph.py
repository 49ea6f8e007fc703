"""The network drawn as a graph: neurons as small pictures of their output over the input plane,
weights as lines whose width shows the magnitude and colour the sign; hovering shows the value."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from nnviz.ui import theme

POSITIVE = QtGui.QColor(theme.VERMILLION)  # vermillion: positive weight (Okabe-Ito, colour-blind safe)
NEGATIVE = QtGui.QColor(theme.BLUE)  # blue: negative weight
COLUMN_GAP = 190.0
NODE = 54.0  # thumbnail size in scene units


def plane_colormap() -> pg.ColorMap:
    """Blue (class 0 / low) through white to orange (class 1 / high), as the input plane."""
    return pg.ColorMap([0.0, 0.5, 1.0], [(150, 190, 228), (255, 255, 255), (244, 190, 135)])


def thumbnail_image(values: np.ndarray, cmap: pg.ColorMap) -> QtGui.QImage:
    """A (H, W) array in [0, 1] with row 0 = lowest y, as an image with y pointing up."""
    rgba = cmap.map(np.clip(values[::-1], 0, 1).ravel(), mode="byte").reshape(values.shape[0], values.shape[1], -1)
    rgba = np.ascontiguousarray(rgba[..., :3])
    h, w = rgba.shape[:2]
    return QtGui.QImage(rgba.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()


class NetworkGraph(QtWidgets.QGraphicsView):
    """Draw ``layer_sizes`` with ``weights`` (per layer (n_in, n_out)) and per-neuron thumbnails."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QtWidgets.QGraphicsScene(self))
        self.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing | QtGui.QPainter.RenderHint.SmoothPixmapTransform)
        self.setBackgroundBrush(QtGui.QBrush(QtGui.QColor("white")))
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumSize(260, 220)
        self.cmap = plane_colormap()
        self._sizes: tuple[int, ...] = ()
        self._titles: list[str] = []
        self.edges: list[list[list[QtWidgets.QGraphicsLineItem]]] = []  # [layer][i][j]
        self.nodes: list[list[QtWidgets.QGraphicsPixmapItem]] = []
        self._positions: list[np.ndarray] = []

    # --- building ----------------------------------------------------------------------------
    def _build(self, sizes: tuple[int, ...], layer_titles: list[str]) -> None:
        scene = self.scene()
        scene.clear()
        self._sizes, self._titles = sizes, list(layer_titles)
        tallest = max(sizes)
        spacing = NODE * 1.35
        height = tallest * spacing
        self._positions = []
        for column, n in enumerate(sizes):
            ys = (np.arange(n) - (n - 1) / 2) * spacing
            self._positions.append(np.column_stack([np.full(n, column * COLUMN_GAP), ys]))
        self.edges = []
        for layer in range(len(sizes) - 1):
            rows = []
            for i in range(sizes[layer]):
                row = []
                for j in range(sizes[layer + 1]):
                    (x0, y0), (x1, y1) = self._positions[layer][i], self._positions[layer + 1][j]
                    line = scene.addLine(x0 + NODE / 2, y0, x1 - NODE / 2, y1)
                    line.setZValue(0)
                    row.append(line)
                rows.append(row)
            self.edges.append(rows)
        self.nodes = []
        font = QtGui.QFont()
        font.setPointSize(18)
        for column, positions in enumerate(self._positions):
            items = []
            for x, y in positions:
                frame = scene.addRect(x - NODE / 2 - 1.5, y - NODE / 2 - 1.5, NODE + 3, NODE + 3,
                                      QtGui.QPen(QtGui.QColor(theme.GREY_90), 1.5))
                frame.setZValue(1)
                pixmap = QtWidgets.QGraphicsPixmapItem()
                pixmap.setPos(x - NODE / 2, y - NODE / 2)
                pixmap.setZValue(2)
                pixmap.setTransformationMode(QtCore.Qt.TransformationMode.SmoothTransformation)
                scene.addItem(pixmap)
                items.append(pixmap)
            self.nodes.append(items)
            text = scene.addText("", font)
            text.setDefaultTextColor(QtGui.QColor("black"))
            text.setTextWidth(COLUMN_GAP - 8)
            text.setHtml(f"<center>{layer_titles[column]}</center>")
            rect = text.boundingRect()
            text.setPos(column * COLUMN_GAP - rect.width() / 2, -height / 2 - NODE / 2 - rect.height() - 6)
        self._fit()

    def _fit(self) -> None:
        rect = self.scene().itemsBoundingRect().adjusted(-12, -12, 12, 12)
        self.setSceneRect(rect)
        self.fitInView(rect, QtCore.Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self._sizes:
            self._fit()

    # --- updating ----------------------------------------------------------------------------
    def show_network(self, layer_sizes: tuple[int, ...], weights: list[np.ndarray], biases: list[np.ndarray],
                     maps: list[np.ndarray], layer_titles: list[str], unit_names: list[list[str]]) -> None:
        """``maps[c]`` is (units, H, W) in [0, 1] for column c (inputs included)."""
        if (tuple(layer_sizes), list(layer_titles)) != (self._sizes, self._titles):
            self._build(tuple(layer_sizes), layer_titles)
        largest = max((float(np.abs(w).max()) for w in weights if w.size), default=1.0) or 1.0
        for layer, w in enumerate(weights):
            for i in range(w.shape[0]):
                for j in range(w.shape[1]):
                    value = float(w[i, j])
                    colour = QtGui.QColor(POSITIVE if value >= 0 else NEGATIVE)
                    strength = min(abs(value) / largest, 1.0)
                    colour.setAlphaF(0.25 + 0.75 * strength)
                    line = self.edges[layer][i][j]
                    line.setPen(QtGui.QPen(colour, 1.0 + 7.0 * strength))
                    line.setToolTip(f"weight {unit_names[layer][i]} → {unit_names[layer + 1][j]}: {value:+.3f}")
        for column, images in enumerate(maps):
            for unit, item in enumerate(self.nodes[column]):
                if unit < images.shape[0]:
                    image = thumbnail_image(images[unit], self.cmap)
                    item.setPixmap(QtGui.QPixmap.fromImage(image).scaled(
                        int(NODE), int(NODE), QtCore.Qt.AspectRatioMode.IgnoreAspectRatio,
                        QtCore.Qt.TransformationMode.SmoothTransformation))
                tip = unit_names[column][unit]
                if column > 0:
                    tip += f"\nbias {float(biases[column - 1][unit]):+.3f}"
                item.setToolTip(tip)
