"""The Run setup's architecture table: one row per layer with its output shape and parameter counts.

On a projector the Run setup column is narrow (about 240 px at 1024x768): five columns cut the
layer names to "c…" and pushed the totals behind a horizontal scroll bar. When the columns do not
fit, the table drops *weights* and *biases* (the line below the table gives both, and each total's
tooltip splits it), so the layer, its output and its parameter count stay whole; a name still too
long (a desktop's larger type) wraps at its space, "maxpool" above "2×2", never cut to "max…".
"""

from __future__ import annotations

import re

from PySide6 import QtCore, QtWidgets

from nnviz.core.trainer_queries import RunInfo

COLUMNS = ("layer", "output", "weights", "biases", "total")
SPLIT_COLUMNS = (2, 3)  # weights, biases: given up first when the table is narrow


def layer_text(name: str, description: str) -> str:
    """Short enough for a narrow table: "conv 16×3×3" (16 filters of 3×3), "dense" (its size is in
    the output column, its inputs in the row above), "maxpool 2×2"; the tooltip has the rest."""
    if name.startswith("flatten"):
        return "flatten"
    if description.startswith("dense"):
        return "dense"
    conv = re.match(r"conv2d (\d+) x (\d+)x(\d+)", description)
    if conv:
        return "conv {}×{}×{}".format(*conv.groups())
    return re.sub(r"(\d)x(?=\d)", r"\1×", description.split(",")[0])


class ArchitectureTable(QtWidgets.QTableWidget):
    """Rows of `RunInfo.layers` and a bold total; read-only."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.setWordWrap(True)  # "maxpool" above "2×2" when even the narrow table is too narrow
        self.setTextElideMode(QtCore.Qt.TextElideMode.ElideNone)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)  # the room left; a long name wraps
        header.setMinimumSectionSize(30)
        self.setMinimumHeight(150)
        font = self.font()
        font.setPointSize(max(font.pointSize() - 1, 9))  # reference numbers: one size smaller
        self.setFont(font)

    def set_run_info(self, info: RunInfo) -> None:
        rows = info.layers
        self.setRowCount(len(rows) + 1)
        for r, row in enumerate(rows):
            cells = (layer_text(row.name, row.description), "×".join(map(str, row.output_shape)),
                     f"{row.weights:,}", f"{row.biases:,}", f"{row.total:,}")
            for c, text in enumerate(cells):
                self._set_cell(r, c, text)
            self.item(r, 0).setToolTip(f"{row.name}: {row.description}")
            self.item(r, 4).setToolTip(f"{row.weights:,} weights + {row.biases:,} biases")
        weights, biases = sum(r.weights for r in rows), sum(r.biases for r in rows)
        for c, text in enumerate(("total", "", f"{weights:,}", f"{biases:,}", f"{info.n_params:,}")):
            self._set_cell(len(rows), c, text, bold=True)
        self.item(len(rows), 4).setToolTip(f"{weights:,} weights + {biases:,} biases")
        self.fit_columns()

    def fit_columns(self) -> None:
        """Show weights and biases only when every column fits without cutting a layer's name."""
        for c in SPLIT_COLUMNS:
            self.setColumnHidden(c, False)
        needed = sum(max(self.sizeHintForColumn(c), self.horizontalHeader().sectionSizeHint(c))
                     for c in range(self.columnCount()))
        # (a scroll bar about to appear for the rows takes its width from the columns too)
        available = self.viewport().width() - (self.verticalScrollBar().sizeHint().width()
                                               if not self.verticalScrollBar().isVisible() else 0)
        for c in SPLIT_COLUMNS:
            self.setColumnHidden(c, needed > available)
        self.resizeRowsToContents()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.fit_columns()

    def _set_cell(self, row: int, col: int, text: str, *, bold: bool = False) -> None:
        item = QtWidgets.QTableWidgetItem(text)
        if col >= 2:
            item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        if bold:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        self.setItem(row, col, item)
