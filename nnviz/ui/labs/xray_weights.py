"""Editable weights and biases: one small table per layer, a row per unit (W's rows) and a b column."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtWidgets

from nnviz.core.lessons.xray import XrayNetwork

from .xray_explain import sub

WIDE_COLUMNS = 4  # more columns than this: short row headers, and a scroll bar if the numbers need one


class WeightTables(QtWidgets.QWidget):
    """Emits ``parameter_edited(layer, name, index, value)`` when a typed cell holds a number;
    anything else typed is put back and reported through ``rejected(message)``."""

    parameter_edited = QtCore.Signal(int, str, tuple, float)
    rejected = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QtWidgets.QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(3)
        self.tables: list[QtWidgets.QTableWidget] = []
        self._shapes: list[tuple[int, int]] = []
        self._values: list[list[list[float]]] = []  # what each cell holds, to put back a bad entry

    def show_network(self, network: XrayNetwork) -> None:
        shapes = [layer.W.shape for layer in network.layers]
        if shapes != self._shapes:
            self._build(network)
        self._values = []
        for table, layer in zip(self.tables, network.layers):
            table.blockSignals(True)
            rows = []
            for j in range(layer.W.shape[0]):
                row = [float(v) for v in layer.W[j]] + [float(layer.b[j])]
                for k, value in enumerate(row):
                    item = table.item(j, k)
                    item.setText(f"{value:.4g}")
                    item.setToolTip(repr(value))
                rows.append(row)
            self._values.append(rows)
            _fit_columns(table)
            table.blockSignals(False)

    def _build(self, network: XrayNetwork) -> None:
        while self.layout_.count():
            widget = self.layout_.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.tables, self._shapes = [], [layer.W.shape for layer in network.layers]
        for l, layer in enumerate(network.layers):
            units, inputs = layer.W.shape
            self.layout_.addWidget(QtWidgets.QLabel(f"layer {l + 1}: W ({units}×{inputs}) and b"))
            table = QtWidgets.QTableWidget(units, inputs + 1)
            source = "x" if l == 0 else "a"
            table.setHorizontalHeaderLabels([f"{source}{sub(k + 1)}" for k in range(inputs)] + ["b"])
            wide = inputs + 1 > WIDE_COLUMNS
            table.setVerticalHeaderLabels([f"{'' if wide else 'unit '}{j + 1}" for j in range(units)])
            table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
            # a wide layer scrolls sideways rather than eliding its numbers to "0.…"
            table.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAsNeeded if wide
                                               else QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            table.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            for j in range(units):
                for k in range(inputs + 1):
                    item = QtWidgets.QTableWidgetItem()
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
                    table.setItem(j, k, item)
            table.resizeRowsToContents()
            header = table.horizontalHeader()  # not laid out yet: its hint may exceed its height
            height = (max(header.height(), header.sizeHint().height()) + sum(table.rowHeight(j) for j in range(units))
                      + 2 * table.frameWidth() + 2)
            if wide:
                height += table.horizontalScrollBar().sizeHint().height()
            table.setFixedHeight(height)
            table.itemChanged.connect(lambda item, l=l: self._edited(l, item))
            self.layout_.addWidget(table)
            self.tables.append(table)

    def _edited(self, layer: int, item: QtWidgets.QTableWidgetItem) -> None:
        j, k = item.row(), item.column()
        typed = item.text()
        try:
            value = float(typed.replace("−", "-").replace(",", "."))
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            table = self.tables[layer]
            table.blockSignals(True)
            item.setText(f"{self._values[layer][j][k]:.4g}")
            table.blockSignals(False)
            self.rejected.emit(f"{typed!r} is not a number; the weight or bias keeps {item.text()}")
            return
        self._values[layer][j][k] = value
        inputs = self._shapes[layer][1]
        if k < inputs:
            self.parameter_edited.emit(layer, "W", (j, k), value)
        else:
            self.parameter_edited.emit(layer, "b", (j,), value)

    def set_cell(self, layer: int, unit: int, column: int, text: str) -> None:
        """Type ``text`` into a cell as a user would (tests and demos)."""
        self.tables[layer].item(unit, column).setText(text)


def _fit_columns(table: QtWidgets.QTableWidget) -> None:
    """Columns at least as wide as their widest number, so no number is elided."""
    metrics = table.fontMetrics()
    widest = max(metrics.horizontalAdvance(table.item(j, k).text())
                 for j in range(table.rowCount()) for k in range(table.columnCount()))
    table.horizontalHeader().setMinimumSectionSize(max(38, widest + 12))
