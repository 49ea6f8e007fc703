"""`RowLegend`: a legend in a row of its own below the plots, never on top of the data.

pyqtgraph's LegendItem is made to float over a plot: it ignores the view's scaling (so an exported
PNG got a tiny legend above a blank band), jumps to the top-left corner of its parent each time an
entry is added (over the loss plot, until something else re-laid the figure out), and asks for the
width of all its columns (a few long names pushed the accuracy plot off the right edge). This one
scales with the figure, places its entries itself in as many columns as its width takes, asks for
no width at all and for exactly the height of its rows.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from nnviz.ui import theme

SAMPLE_WIDTH = 24  # pyqtgraph's ItemSample draws in 20 x 20
GAP = 18  # between columns


class _EntryLabel(pg.LabelItem):
    """A legend text that asks its legend to re-place the entries when its size changes (presentation
    mode rescales every label in a scene)."""

    def __init__(self, legend: RowLegend, text: str, size: str) -> None:
        self._legend = legend
        super().__init__(text, size=size, color="k", justify="left")

    def updateMin(self) -> None:  # noqa: N802 (pyqtgraph's name)
        super().updateMin()
        legend = getattr(self, "_legend", None)
        if legend is not None:
            legend.reflow()


class RowLegend(pg.GraphicsWidget):
    """Entries (a line/symbol sample and its name) in rows, as many per row as fit the width."""

    def __init__(self, text_size: str | None = None) -> None:
        super().__init__()
        self.text_size = text_size  # None: the theme's label size when an entry is added
        self.entries: list[tuple[pg.ItemSample, _EntryLabel]] = []
        self._height = 0.0
        self._wanted_width = 0.0
        self.columns = 1
        # Any width (the plots decide it), exactly the rows' height.
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)

    # --- entries -----------------------------------------------------------------------------
    def clear(self) -> None:
        for sample, label in self.entries:
            for item in (sample, label):
                item.setParentItem(None)
                if item.scene() is not None:
                    item.scene().removeItem(item)
        self.entries = []
        self.reflow()

    def addItem(self, item, name: str) -> None:  # noqa: N802 (as pyqtgraph's LegendItem)
        sample = item if isinstance(item, pg.ItemSample) else pg.ItemSample(item)
        sample.setParentItem(self)
        # Entries added in presentation mode (a run's first epoch after F5) carry its large type.
        label = _EntryLabel(self, name, self.text_size or theme.LABEL_POINT_SIZE)
        label.setParentItem(self)
        self.entries.append((sample, label))
        self.reflow()

    def labels(self) -> list[str]:
        return [label.text for _, label in self.entries]

    def label_rects(self) -> list[QtCore.QRectF]:
        """Where each entry's text is drawn, in scene coordinates (tests compare it with the plots)."""
        return [label.mapRectToScene(label.itemRect()) for _, label in self.entries]

    # --- placing -----------------------------------------------------------------------------
    def setGeometry(self, *args) -> None:  # noqa: N802 (Qt override)
        super().setGeometry(*args)
        self.reflow()

    def reflow(self) -> None:
        """Place the entries in columns of equal width; ask the layout for a new height if the rows change."""
        if not self.entries:
            rows, row_height, widest = 0, 0.0, 0.0
        else:
            widest = max(SAMPLE_WIDTH + label.itemRect().width() for _, label in self.entries) + GAP
            row_height = max(label.itemRect().height() for _, label in self.entries)
            width = self.size().width()
            self.columns = max(1, min(len(self.entries), int(width // widest) if width > 0 else len(self.entries)))
            rows = math.ceil(len(self.entries) / self.columns)
            column_width = max(widest, width / self.columns) if width > 0 else widest
            for i, (sample, label) in enumerate(self.entries):
                row, col = divmod(i, self.columns)
                x, y = col * column_width, row * row_height
                sample.setPos(x, y + (row_height - 20) / 2)
                label.setPos(x + SAMPLE_WIDTH, y + (row_height - label.itemRect().height()) / 2)
        height = rows * row_height
        wanted = widest * len(self.entries)
        if height != self._height or wanted != self._wanted_width:
            self._height, self._wanted_width = height, wanted
            self.updateGeometry()

    def sizeHint(self, which, constraint=QtCore.QSizeF()) -> QtCore.QSizeF:  # noqa: N802 (Qt override)
        if which == QtCore.Qt.SizeHint.MinimumSize:
            return QtCore.QSizeF(0, self._height)
        if which == QtCore.Qt.SizeHint.MaximumSize:
            return QtCore.QSizeF(1e7, self._height)
        return QtCore.QSizeF(self._wanted_width, self._height)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        return QtCore.QRectF(0, 0, self.size().width(), self.size().height())
