"""First-layer filters: each hidden unit's weights as an image (dense) or each kernel (conv)."""

from __future__ import annotations

import numpy as np
from PySide6 import QtWidgets

from nnviz.core.record import RunRecord

from nnviz.ui import theme
from nnviz.ui.panels.base import Panel
from nnviz.ui.panels.mosaic import MosaicView


def filters_title(snapshot: RunRecord) -> str:
    images = snapshot.filter_images
    n = images.shape[0]
    if snapshot.first_layer_kind == "conv2d":
        return f"First convolution layer: {n} filters of {images.shape[1]}×{images.shape[2]}"
    if images.ndim >= 3 and images.shape[1] == 1:  # 2-D points: one (w1, w2) row per unit
        return f"First layer: {n} unit{'s' if n != 1 else ''}, weights (w1, w2) of the 2-D input"
    return f"First layer: the {images.shape[1]}×{images.shape[2]} input weights of each of {n} units"


class FiltersPanel(Panel):
    name = "filters"
    title = "First-layer filters"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        hint = QtWidgets.QLabel("weights: red +, blue −, white 0")
        self.controls.addWidget(hint)
        self.add_export_button()
        self.mosaic = MosaicView(self.graphics.ci, 0, 0, colour_bar=True)
        self.mosaic.bar.setLabel("right", "weight")
        self.watch_sizes(self.mosaic.view)

    def show_snapshot(self, snapshot: RunRecord) -> None:
        self.shown_snapshot = snapshot
        images = snapshot.filter_images
        if images.size == 0:
            self.clear()
            self.show_note(self.mosaic.view, "This network has no trainable first layer")
            return
        self.hide_note()
        theme.set_text(self.mosaic.title, filters_title(snapshot))
        self.mosaic.set_images(np.asarray(images, dtype=np.float32), mode="diverging")

    def clear(self) -> None:
        self.mosaic.clear()
        theme.set_text(self.mosaic.title, "")
