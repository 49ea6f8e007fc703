"""`ProbeControls`: the input every probe panel traces (feature maps, activations), chosen once
for the whole window: split, index, previous / next, random, or the next one the network gets wrong."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from nnviz.core.record import RunRecord

PROBE_SPLITS = (("test", "test"), ("validation", "val"), ("training", "train"))


class ProbeControls(QtWidgets.QWidget):
    """Choose the input every probe panel shows: split, index, previous/next, random, next misclassified."""

    probe_requested = QtCore.Signal(str, int, str)  # mode, index, split

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.split_box = QtWidgets.QComboBox()
        for label, split in PROBE_SPLITS:
            self.split_box.addItem(label, split)
        self.index_box = QtWidgets.QSpinBox()
        self.index_box.setRange(0, 9999)
        self.index_box.setToolTip("Index of the example in the split")
        self.index_box.setKeyboardTracking(False)  # request once typing is done, not per digit
        buttons = [("◀", "previous", "Previous example"), ("▶", "next", "Next example"),
                   ("Random", "random", "A random example"),
                   ("Next wrong", "misclassified", "The next example the network gets wrong now (misclassified)")]
        row.addWidget(QtWidgets.QLabel(" Input "))
        row.addWidget(self.split_box)
        row.addWidget(self.index_box)
        for text, mode, tip in buttons:
            button = QtWidgets.QPushButton(text)
            button.setToolTip(tip)
            if len(text) == 1:
                button.setFixedWidth(32)
            button.clicked.connect(lambda _=False, m=mode: self.request(m))
            row.addWidget(button)
        self.index_box.valueChanged.connect(lambda: self.request("index"))
        self.split_box.currentIndexChanged.connect(lambda: self.request("index"))

    def request(self, mode: str) -> None:
        self.probe_requested.emit(mode, self.index_box.value(), self.split_box.currentData())

    def show_probe(self, snapshot: RunRecord) -> None:
        """Follow the worker's choice without echoing a request back."""
        size = snapshot.probe_split_size
        for widget in (self.index_box, self.split_box):
            widget.blockSignals(True)
        if size:
            self.index_box.setMaximum(size - 1)
        self.index_box.setValue(max(snapshot.probe_index, 0))
        position = self.split_box.findData(snapshot.probe_split)
        if position >= 0:
            self.split_box.setCurrentIndex(position)
        for widget in (self.index_box, self.split_box):
            widget.blockSignals(False)
