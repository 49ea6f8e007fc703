"""Confusion matrix: counts (or row percentages) in each cell, class names on both axes."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.record import RunRecord

from nnviz.ui import theme
from nnviz.ui.panels.base import Panel

SPLIT_LABELS = (("validation", "val"), ("test", "test"))


class _ClickableImage(pg.ImageItem):
    """Reports the (row, column) of a click."""

    def __init__(self, on_click) -> None:
        super().__init__()
        self._on_click = on_click

    def mouseClickEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.button() == QtCore.Qt.MouseButton.LeftButton and self.image is not None:
            pos = event.pos()
            row, col = int(pos.y()), int(pos.x())
            if 0 <= row < self.image.shape[0] and 0 <= col < self.image.shape[1]:
                event.accept()
                self._on_click(row, col)


class CellLabels(pg.GraphicsObject):
    """Every cell's number in one item: K² pg.TextItems (rich-text widgets) cost tens of
    milliseconds to update and paint; this draws plain text at screen size in one pass."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.dark: np.ndarray = np.zeros(0, dtype=bool)  # white text on dark cells
        self.k = 0
        self.font = QtGui.QFont()

    def set_cells(self, texts: list[str], dark: np.ndarray, k: int) -> None:
        self.prepareGeometryChange()
        self.texts, self.dark, self.k = texts, dark, k
        self.font.setPointSize(12 if k <= 10 else 9)
        self.update()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        return QtCore.QRectF(0, 0, self.k, self.k)

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        if not self.texts:
            return
        transform = painter.transform()
        painter.resetTransform()  # text at its own size, however the view is scaled
        font = QtGui.QFont(self.font)
        if self._exportOpts:  # an export renders the figure larger: the numbers grow with it
            font.setPointSizeF(font.pointSizeF() * self._exportOpts.get("resolutionScale", 1.0))
        painter.setFont(font)
        corner = transform.map(QtCore.QPointF(0, 0))
        step = transform.map(QtCore.QPointF(1, 1)) - corner
        width, height = abs(step.x()), abs(step.y())
        black, white = QtGui.QColor("black"), QtGui.QColor("white")
        for index, text in enumerate(self.texts):
            row, col = divmod(index, self.k)
            centre = transform.map(QtCore.QPointF(col + 0.5, row + 0.5))
            painter.setPen(white if self.dark[index] else black)
            painter.drawText(QtCore.QRectF(centre.x() - width / 2, centre.y() - height / 2, width, height),
                             QtCore.Qt.AlignmentFlag.AlignCenter, text)


class ConfusionMatrixPanel(Panel):
    name = "confusion"
    title = "Confusion matrix"
    split_changed = QtCore.Signal(str)  # "val" | "test"
    cell_clicked = QtCore.Signal(str, int, int)  # split, true class, predicted class
    evaluate_requested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.split_box = QtWidgets.QComboBox()
        for label, split in SPLIT_LABELS:
            self.split_box.addItem(label, split)
        self.split_box.setToolTip("Which split the matrix counts (evaluated at the end of each epoch)")
        self.normalised = QtWidgets.QCheckBox("normalised")
        self.normalised.setToolTip("Show each cell as a percentage of its true class (its row)")
        evaluate = QtWidgets.QPushButton("Evaluate now")
        self.hint = QtWidgets.QLabel("click a cell")
        self.hint.setToolTip("Click a cell to see the examples counted in it")
        evaluate.setToolTip("Evaluate validation and test now instead of waiting for the end of the epoch")
        for widget in (QtWidgets.QLabel("Split"), self.split_box, self.normalised, evaluate, self.hint):
            self.controls.addWidget(widget)
        self.add_export_button()
        self.split_box.currentIndexChanged.connect(lambda: self.split_changed.emit(self.split))
        self.normalised.toggled.connect(lambda: self._redraw())
        evaluate.clicked.connect(self.evaluate_requested)

        self.plot = self.graphics.addPlot()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.invertY(True)  # true class 0 at the top, as in every textbook
        theme.style_plot(self.plot, title="Confusion matrix", left="true class", bottom="predicted class")
        self.image = _ClickableImage(self._clicked)
        self.image.setColorMap(theme.confusion_colormap())
        self.plot.addItem(self.image)
        self.cells = CellLabels()
        self.plot.addItem(self.cells)
        self._matrix: np.ndarray | None = None
        self._matrix_split = ""
        self._class_names: tuple[str, ...] = ()

    @property
    def split(self) -> str:
        return self.split_box.currentData()

    @property
    def matrix(self) -> np.ndarray | None:
        return self._matrix

    def show_snapshot(self, snapshot: RunRecord) -> None:
        names = snapshot.class_names
        if names != self._class_names:
            self._build_cells(names)
        matrix = snapshot.confusion
        if matrix is None:
            self._matrix = None
            self.image.clear()
            self.cells.set_cells([], np.zeros(0, dtype=bool), len(names))
            theme.set_title(self.plot, "Confusion matrix")
            self.show_note(self.plot, "Counted at the end of the first epoch\n(or press Evaluate now)")
            return
        self.hide_note()
        changed = self._matrix is None or not np.array_equal(matrix, self._matrix) \
            or snapshot.confusion_split != self._matrix_split
        self._matrix, self._matrix_split = matrix, snapshot.confusion_split
        if changed:
            self._redraw()

    def _build_cells(self, names: tuple[str, ...]) -> None:
        """Class names on both axes, at the cell centres (once per data set)."""
        self._class_names = names
        k = len(names)
        self.plot.getAxis("left").setTicks([[(i + 0.5, t) for i, t in enumerate(theme.row_labels(names))]])
        self.plot.getAxis("bottom").setTicks([[(i + 0.5, t) for i, t in enumerate(theme.column_labels(names))]])
        self.plot.setRange(xRange=(0, k), yRange=(0, k), padding=0)

    def _redraw(self) -> None:
        matrix = self._matrix
        if matrix is None:
            return
        k = matrix.shape[0]
        totals = matrix.sum(axis=1, keepdims=True)
        fraction = matrix / np.maximum(totals, 1)
        # Colour by the share of each true class; the square root makes rare confusions visible.
        self.image.setImage(np.sqrt(fraction).astype(np.float32), levels=(0.0, 1.0), autoLevels=False)
        self.image.setRect(QtCore.QRectF(0, 0, k, k))
        if self.normalised.isChecked():
            texts = [f"{100 * v:.0f}%" for v in fraction.ravel()]
        else:
            texts = [f"{v:,}" for v in matrix.ravel()]
        self.cells.set_cells(texts, np.sqrt(fraction).ravel() > 0.6, k)
        total = int(matrix.sum())
        accuracy = np.trace(matrix) / total if total else float("nan")
        split = "validation" if self._matrix_split == "val" else self._matrix_split
        theme.set_title(self.plot, f"{split}: {total:,} examples · accuracy {accuracy:.1%}")

    def _clicked(self, row: int, col: int) -> None:
        if self._matrix is not None:
            self.cell_clicked.emit(self._matrix_split or self.split, row, col)

    def clear(self) -> None:
        self._matrix = None
        self.image.clear()
        self.cells.set_cells([], np.zeros(0, dtype=bool), self.cells.k)
