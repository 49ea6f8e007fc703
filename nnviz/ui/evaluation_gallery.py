"""The gallery of the Evaluation view: examples sorted by the network's confidence, each labelled
"true → predicted, p=…"; a click makes one the probe input of the activation and feature-map panels."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.evaluation_record import EvaluationRecord

from nnviz.ui import theme

THUMBNAIL = 64  # pixels: a 28x28 digit at about 2.3x, readable from the back of a room
INDEX_ROLE = QtCore.Qt.ItemDataRole.UserRole


def example_caption(names: tuple[str, ...], true_class: int, predicted: int, confidence: float) -> str:
    return f"{names[true_class]} → {names[predicted]}, p={confidence:.2f}"


def thumbnail(image: np.ndarray, lut: np.ndarray) -> QtGui.QPixmap:
    """(H, W) grey through the ink colour map (dark ink on white, as the mosaics) or (H, W, 3) RGB."""
    values = np.asarray(image, dtype=np.float32)
    if values.size and (values.min() < 0 or values.max() > 1):  # standardised inputs: stretch to 0..1
        values = (values - values.min()) / max(float(values.max() - values.min()), 1e-12)
    if values.ndim == 2:
        rgb = lut[np.clip((values * 255).astype(np.intp), 0, 255), :3]
    else:
        rgb = (np.clip(values, 0.0, 1.0) * 255).astype(np.uint8)
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width = rgb.shape[:2]
    qimage = QtGui.QImage(rgb.data, width, height, 3 * width, QtGui.QImage.Format.Format_RGB888).copy()
    return QtGui.QPixmap.fromImage(qimage).scaled(THUMBNAIL, THUMBNAIL, QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                                                  QtCore.Qt.TransformationMode.FastTransformation)


class Gallery(QtWidgets.QWidget):
    """A caption, "All mistakes" (back from one confusion cell) and the thumbnails in order."""

    example_chosen = QtCore.Signal(str, int)  # split, index in the split
    all_mistakes_requested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        top = QtWidgets.QHBoxLayout()
        self.caption = QtWidgets.QLabel("Press Evaluate (or finish an epoch) to see the mistakes.")
        self.caption.setWordWrap(True)
        self.all_button = QtWidgets.QPushButton("All mistakes")
        self.all_button.setToolTip("Every misclassified example again, not only one confusion-matrix cell")
        self.all_button.clicked.connect(self.all_mistakes_requested)
        top.addWidget(self.caption, 1)
        top.addWidget(self.all_button)
        column.addLayout(top)
        self.list = QtWidgets.QListWidget()
        self.list.setViewMode(QtWidgets.QListView.ViewMode.IconMode)
        self.list.setIconSize(QtCore.QSize(THUMBNAIL, THUMBNAIL))
        self.list.setGridSize(QtCore.QSize(THUMBNAIL + 58, THUMBNAIL + 30))
        self.list.setResizeMode(QtWidgets.QListView.ResizeMode.Adjust)
        self.list.setMovement(QtWidgets.QListView.Movement.Static)
        self.list.setUniformItemSizes(True)
        self.list.setWordWrap(True)
        self.list.setToolTip("Most confident first; click one to trace it in the activation and feature-map panels")
        self.list.itemClicked.connect(self._clicked)
        column.addWidget(self.list, 1)
        self._split = ""
        self._lut = theme.colormap(theme.INK_MAP, reverse=True).getLookupTable(nPts=256, alpha=False)

    def show_record(self, record: EvaluationRecord) -> None:
        gallery, names = record.gallery, record.class_names
        self._split = record.split
        cell = record.request.cell
        split = "validation" if record.split == "val" else record.split
        shown = record.gallery_inputs.shape[0]
        if cell is None:
            what = f"<b>{len(gallery):,}</b> misclassified {split} examples, the most confidently wrong first"
        elif cell[0] == cell[1]:
            what = (f"<b>{len(gallery):,}</b> {split} examples of <b>{names[cell[0]]}</b> classified right, "
                    "the most confident first")
        else:
            what = (f"<b>{len(gallery):,}</b> {split} examples of <b>{names[cell[0]]}</b> predicted as "
                    f"<b>{names[cell[1]]}</b>, the most confidently wrong first")
        more = f" (the first {shown:,} shown)" if shown < len(gallery) else ""
        self.caption.setText(f"{what}{more}. Click one to make it the probe input.")
        self.all_button.setEnabled(cell is not None)
        points = record.gallery_inputs.ndim == 2  # 2-D toy data: coordinates instead of pictures
        self.list.setViewMode(QtWidgets.QListView.ViewMode.ListMode if points else QtWidgets.QListView.ViewMode.IconMode)
        self.list.setGridSize(QtCore.QSize() if points else QtCore.QSize(THUMBNAIL + 58, THUMBNAIL + 30))
        self.list.clear()
        for i in range(shown):
            index = int(gallery.indices[i])
            text = example_caption(names, int(gallery.true_classes[i]), int(gallery.predicted[i]),
                                   float(gallery.confidence[i]))
            if points:
                x = record.gallery_inputs[i]
                item = QtWidgets.QListWidgetItem(f"#{index} ({x[0]:.2f}, {x[1]:.2f}): {text}")
            else:
                item = QtWidgets.QListWidgetItem(QtGui.QIcon(thumbnail(record.gallery_inputs[i], self._lut)), text)
            item.setData(INDEX_ROLE, index)
            item.setToolTip(f"{split} example #{index}: {text}")
            self.list.addItem(item)

    def _clicked(self, item: QtWidgets.QListWidgetItem) -> None:
        self.example_chosen.emit(self._split, int(item.data(INDEX_ROLE)))
