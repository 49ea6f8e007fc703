"""The examples behind one confusion-matrix cell ("which 4s did it call 9?"); click one to trace it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from nnviz.ui.panels.mosaic import MosaicView
from nnviz.core.trainer_queries import CellExamples


class ExamplesDialog(QtWidgets.QDialog):
    """Non-modal: it stays open beside the window while training goes on."""

    example_chosen = QtCore.Signal(str, int)  # split, index

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.resize(760, 560)
        layout = QtWidgets.QVBoxLayout(self)
        self.caption = QtWidgets.QLabel()
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.graphics = pg.GraphicsLayoutWidget()
        layout.addWidget(self.graphics, 1)
        self.mosaic = MosaicView(self.graphics.ci, 0, 0)
        self.points_text = QtWidgets.QPlainTextEdit()
        self.points_text.setReadOnly(True)
        layout.addWidget(self.points_text)
        self.graphics.scene().sigMouseClicked.connect(self._clicked)
        self._examples: CellExamples | None = None

    @QtCore.Slot(object)
    def show_examples(self, examples: CellExamples) -> None:
        self._examples = examples
        names = examples.class_names
        split = "validation" if examples.split == "val" else examples.split
        shown = examples.indices.shape[0]
        more = f" (showing the first {shown})" if shown < examples.total else ""
        self.setWindowTitle(f"True {names[examples.true_class]}, predicted {names[examples.predicted_class]}")
        self.caption.setText(f"<b>{examples.total:,}</b> {split} examples of class "
                             f"<b>{names[examples.true_class]}</b> predicted as "
                             f"<b>{names[examples.predicted_class]}</b>{more}. "
                             "Click one to show it in the probe panels.")
        images = examples.inputs
        is_image = images.ndim >= 3
        self.graphics.setVisible(is_image)
        self.points_text.setVisible(not is_image)
        if is_image and shown:
            self.mosaic.title.setText("")
            self.mosaic.set_images(np.asarray(images, dtype=np.float32), mode="ink", levels=(0.0, 1.0))
        elif is_image:
            self.mosaic.clear()
        else:
            lines = [f"#{i}: ({x[0]:.3f}, {x[1]:.3f})" for i, x in zip(examples.indices, images)]
            self.points_text.setPlainText("\n".join(lines) or "no examples")
        self.show()
        self.raise_()

    def _clicked(self, event) -> None:
        layout, examples = self.mosaic.layout_info, self._examples
        if layout is None or examples is None:
            return
        point = self.mosaic.image.mapFromScene(event.scenePos())
        tile = layout.tile_at(point.x(), point.y())
        if tile is not None and tile < examples.indices.shape[0]:
            self.example_chosen.emit(examples.split, int(examples.indices[tile]))
