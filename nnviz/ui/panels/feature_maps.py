"""Input and feature maps: a chosen input, the first-layer filters and the map each one makes of it
(the slides' "first convolution layer filter and activation" figure)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from nnviz.core.record import RunRecord

from nnviz.ui import theme
from nnviz.ui.panels.base import Panel, locked_view
from nnviz.ui.panels.pairs import PairedMosaic


def probe_caption(snapshot: RunRecord) -> str:
    names = snapshot.class_names
    true = names[snapshot.probe_label] if 0 <= snapshot.probe_label < len(names) else "?"
    predicted = names[snapshot.probe_prediction] if 0 <= snapshot.probe_prediction < len(names) else "?"
    mark = "✓" if snapshot.probe_label == snapshot.probe_prediction else "✗"
    if snapshot.probe_label < 0:  # a drawn digit or an image file: no true class to compare with
        numbered = theme.column_labels(names) != list(names)
        return f"predicted {snapshot.probe_prediction} ({predicted})" if numbered else f"predicted {predicted}"
    if theme.column_labels(names) != list(names):  # bars are numbered: give number and name
        if snapshot.probe_label == snapshot.probe_prediction:
            return f"true = predicted = {snapshot.probe_label} ({true}) {mark}"
        return f"true {snapshot.probe_label} ({true}) · predicted {snapshot.probe_prediction} ({predicted}) {mark}"
    return f"true {true} · predicted {predicted} {mark}"


CUSTOM_PROBES = {"drawn": "drawn input", "image": "image file"}  # probe_split of inputs from outside the data


def probe_name(snapshot: RunRecord) -> str:
    if snapshot.probe_split in CUSTOM_PROBES:
        return CUSTOM_PROBES[snapshot.probe_split]
    split = {"val": "validation"}.get(snapshot.probe_split, snapshot.probe_split)
    return f"{split} #{snapshot.probe_index}"


class FeatureMapsPanel(Panel):
    name = "feature-maps"
    title = "Input & feature maps"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.controls.addWidget(QtWidgets.QLabel("The input chosen in the Input tool bar"))
        self.add_export_button()
        layout = self.graphics.ci
        self.input_title = theme.title_label("")
        layout.addItem(self.input_title, row=0, col=0)
        self.input_view = locked_view()
        self.input_image = pg.ImageItem()
        self.input_image.setColorMap(theme.colormap(theme.INK_MAP, reverse=True))
        self.input_view.addItem(self.input_image)
        layout.addItem(self.input_view, row=1, col=0)
        # The input on the left; on the right each filter beside the map it makes (the big picture).
        self.maps = PairedMosaic(layout, 0, 1)
        grid = layout.layout
        grid.setColumnStretchFactor(0, 1)
        grid.setColumnStretchFactor(1, 3)
        grid.setRowStretchFactor(1, 1)
        self._input_shape: tuple = ()
        self.watch_sizes(self.maps.view, self.input_view)  # titles are fitted to their columns too

    def show_snapshot(self, snapshot: RunRecord) -> None:
        self.shown_snapshot = snapshot
        x = snapshot.probe_input
        if x is None or x.ndim < 2:  # 2-D points have no image to map
            self.clear()
            theme.set_text(self.input_title, f"{probe_name(snapshot)}: {probe_caption(snapshot)}" if x is not None
                           else "")
            point = ", ".join(f"{v:.2f}" for v in x) if x is not None else ""
            self.show_note(self.input_view, f"2-D input ({point}):\nsee the Input plane and Activations panels")
            return
        self.hide_note()
        self._set_visible(True)
        theme.fit_title(self.input_title, f"{probe_name(snapshot)}: {probe_caption(snapshot)}",
                        f"{probe_name(snapshot)}<br>{probe_caption(snapshot)}")
        if x.shape != self._input_shape:
            self._input_shape = x.shape
            self.input_view.setRange(QtCore.QRectF(0, 0, x.shape[1], x.shape[0]), padding=0.02)
        self.input_image.setImage(np.asarray(x, dtype=np.float32), levels=(0.0, 1.0), autoLevels=False)
        images = snapshot.filter_images
        if snapshot.first_layer_kind == "conv2d" and snapshot.first_layer_output is not None:
            layer, maps = snapshot.first_layer_output.name, snapshot.first_layer_output.values
            title_maps = f"each filter (blue−white−red) and its feature map ({layer})"
            mode = "sequential" if layer.startswith(("relu", "sigmoid")) else "diverging"
        elif snapshot.weighted_inputs is not None:  # dense: the weights are in the Filters panel already
            maps = snapshot.weighted_inputs
            self.maps.set_visible(True)
            theme.set_text(self.maps.title, "weights × input, per hidden unit")
            self.maps.set_images(np.asarray(maps, dtype=np.float32), mode="diverging")
            return
        else:
            self.maps.set_visible(False)
            return
        theme.fit_title(self.maps.title, title_maps, f"each filter (blue−white−red)<br>and its feature map ({layer})",
                        f"filter | feature map<br>({layer})")
        self.maps.set_pairs(np.asarray(images, dtype=np.float32), np.asarray(maps, dtype=np.float32), mode)

    def _set_visible(self, visible: bool) -> None:
        self.maps.set_visible(visible)

    def clear(self) -> None:
        self.input_image.clear()
        self.maps.clear()
        self._set_visible(False)
        self._input_shape = ()
