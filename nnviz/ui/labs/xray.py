"""Backprop x-ray: a small network's forward pass unit by unit and backward pass layer by layer, every
number on the diagram, the formulas with their numbers, and each gradient beside its numeric check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtWidgets

from nnviz.core.atomic import atomic_write_bytes
from nnviz.core.errors import NnvizError
from nnviz.core.lessons.xray import (ACTIVATIONS, DEFAULT_LEARNING_RATE, LOSSES, PRESETS, XrayError, XrayNetwork,
                                     XrayPass, parse_sizes, random_network, unit_at, updated, xray_pass)
from nnviz.core.lessons.xray_file import fit_length, network_to_toml, parse_numbers, read_weights_file
from nnviz.core.lessons.xray_report import preset_tables

from .base import LabWidget
from .controls import button_row, figure_label, heading, push_button
from nnviz.ui.figure_export import render_widget_svg as render_svg
from .xray_diagram import DiagramState, XrayDiagram
from .xray_explain import sub
from .xray_headless import headless, write_network_figures
from .xray_text import detail_html, header_html, vector_text
from .xray_weights import WeightTables

LOSS_TITLES = {"quadratic": "quadratic ½Σ(t − y)²", "cross-entropy": "cross-entropy"}


class XrayLab(LabWidget):
    name = "xray"
    title = "Backprop x-ray"

    def __init__(self, parent: QtWidgets.QWidget | None = None, data_dir: str | None = None) -> None:
        super().__init__(parent, data_dir)
        self.forward_shown = self.backward_shown = 0
        self.loss_history: list[float] = []
        self.note = ""
        self._build_figure()
        self._build_controls()
        self.finish_controls()
        self.svg_button = push_button("Export SVG…", self.export_svg_with_dialog, "the figure as an SVG for slides")
        self.controls.addWidget(self.svg_button)
        self.load_preset("sigmoid")

    # --- figure ------------------------------------------------------------------------------
    def _build_figure(self) -> None:
        layout = QtWidgets.QVBoxLayout(self.figure)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        self.header = figure_label(point_size=12)
        self.diagram = XrayDiagram()
        self.diagram.parameter_clicked.connect(self.edit_on_diagram)
        self.detail = figure_label(point_size=11)
        self.diagram.setMinimumHeight(360)
        # a long explanation (a 6-unit layer) scrolls instead of squeezing the diagram
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setStyleSheet("background: white;")
        scroll.setWidget(self.detail)
        scroll.setMinimumHeight(150)
        layout.addWidget(self.header)
        layout.addWidget(self.diagram, 3)
        layout.addWidget(scroll, 2)

    # --- controls ----------------------------------------------------------------------------
    def _build_controls(self) -> None:
        c = self.controls
        c.addWidget(heading("Network"))
        self.preset = QtWidgets.QComboBox()
        for preset in PRESETS.values():
            self.preset.addItem(preset.title, preset.name)
            self.preset.setItemData(self.preset.count() - 1, preset.title, QtCore.Qt.ItemDataRole.ToolTipRole)
        # long preset titles must not widen the sidebar
        self.preset.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset.setMinimumContentsLength(12)
        self.preset.activated.connect(lambda _i: self.load_preset(self.preset.currentData()))
        c.addWidget(self.preset)
        form = QtWidgets.QFormLayout()
        self.sizes = QtWidgets.QLineEdit()
        self.sizes.setToolTip("layer sizes, input first, e.g. 2-2-2-2 (up to 5 layers of up to 6 units)")
        self.sizes.returnPressed.connect(self.apply_sizes)
        self.seed = QtWidgets.QSpinBox(minimum=0, maximum=99999)
        self.loss = QtWidgets.QComboBox()
        for name in LOSSES:
            self.loss.addItem(LOSS_TITLES[name], name)
        self.loss.currentIndexChanged.connect(lambda _i: self.refresh(keep_start=True))
        form.addRow("sizes", self.sizes)
        form.addRow("seed", self.seed)
        form.addRow("loss", self.loss)
        c.addLayout(form)
        self.random_button = push_button("Random weights", self.apply_sizes,
                                         "new weights for these sizes from the seed (rounded to 2 decimals)")
        c.addWidget(self.random_button)
        c.addWidget(button_row(push_button("Load TOML…", self.load_with_dialog, "a weights file (see the README)"),
                               push_button("Save TOML…", self.save_with_dialog)))
        self.activation_box = QtWidgets.QWidget()
        self.activation_grid = QtWidgets.QGridLayout(self.activation_box)
        self.activation_grid.setContentsMargins(0, 0, 0, 0)
        self.activations: list[QtWidgets.QComboBox] = []
        c.addWidget(self.activation_box)
        c.addWidget(heading("Example"))
        example = QtWidgets.QFormLayout()
        self.input_field, self.target_field = QtWidgets.QLineEdit(), QtWidgets.QLineEdit()
        self.input_field.editingFinished.connect(self.apply_example)
        self.target_field.editingFinished.connect(self.apply_example)
        self.target_field.setToolTip("leave empty for the forward pass only")
        example.addRow("input x", self.input_field)
        example.addRow("target t", self.target_field)
        c.addLayout(example)
        c.addWidget(heading("Step"))
        self.forward_button = push_button("Forward step ▶", self.forward_step, "compute the next unit: z, then a = f(z)")
        self.backward_button = push_button("◀ Backward step", self.backward_step, "δ and ∂E/∂w of the next layer back")
        c.addWidget(self.forward_button)
        c.addWidget(self.backward_button)
        self.learning_rate = QtWidgets.QDoubleSpinBox(decimals=3, minimum=0.001, maximum=20.0, singleStep=0.1)
        self.learning_rate.setValue(DEFAULT_LEARNING_RATE)
        self.learning_rate.setPrefix("η = ")
        self.update_button = push_button("Update", self.update_step, "W ← W − η ∂E/∂W, b ← b − η ∂E/∂b")
        self.reset_button = push_button("Reset", self.reset, "back to the weights before any update, nothing computed")
        c.addWidget(button_row(self.learning_rate, self.update_button))
        c.addWidget(self.reset_button)
        c.addWidget(heading("Weights W and biases b"))
        self.weight_tables = WeightTables()
        self.weight_tables.parameter_edited.connect(self._parameter_edited)
        self.weight_tables.rejected.connect(self.show_status)
        c.addWidget(self.weight_tables)

    def _build_activation_choosers(self, activations: tuple[str, ...]) -> None:
        while self.activation_grid.count():
            self.activation_grid.takeAt(0).widget().deleteLater()
        self.activations = []
        for l, activation in enumerate(activations):
            last = l == len(activations) - 1
            combo = QtWidgets.QComboBox()
            combo.addItems([a for a in ACTIVATIONS if last or a != "softmax"])
            combo.setCurrentText(activation)
            combo.currentTextChanged.connect(self._activation_chosen)
            label = QtWidgets.QLabel("output" if last else f"layer {l + 1}")
            self.activation_grid.addWidget(label, l, 0)
            self.activation_grid.addWidget(combo, l, 1)
            self.activations.append(combo)

    # --- setting the network and example -------------------------------------------------------
    def load_preset(self, name: str) -> None:
        preset = PRESETS[name]
        self.preset.setCurrentIndex(self.preset.findData(name))
        self.set_example(preset.network, preset.inputs, preset.targets, preset.loss, f"preset: {preset.title}")

    def set_example(self, network: XrayNetwork, inputs, targets, loss: str, note: str = "") -> None:
        """Show ``network`` with this input, target (None: forward only) and loss, nothing computed yet."""
        self.network = self.start_network = network
        self.inputs = np.asarray(inputs, dtype=np.float64).reshape(-1)
        self.targets = None if targets is None else np.asarray(targets, dtype=np.float64).reshape(-1)
        self.loss.blockSignals(True)
        self.loss.setCurrentIndex(self.loss.findData(loss))
        self.loss.blockSignals(False)
        self.note = note
        self._network_changed()
        self.reset()

    def _network_changed(self) -> None:
        """Fit the controls (sizes, activation choosers, tables, example lengths) to ``self.network``."""
        sizes = self.network.sizes
        self.sizes.setText("-".join(map(str, sizes)))
        if [c.currentText() for c in self.activations] != list(self.network.activations):
            self._build_activation_choosers(self.network.activations)
        self.inputs = fit_length(self.inputs, sizes[0])
        if self.targets is not None:
            self.targets = fit_length(self.targets, sizes[-1])
        self.input_field.setText(vector_text(self.inputs))
        self.target_field.setText("" if self.targets is None else vector_text(self.targets))
        self.weight_tables.show_network(self.network)

    def apply_sizes(self) -> None:
        """Random weights (from the seed) for the typed sizes; activations kept where layers remain."""
        try:
            sizes = parse_sizes(self.sizes.text())
        except XrayError as exc:
            self.show_status(str(exc))
            return
        old = [c.currentText() for c in self.activations]
        hidden = old[:-1] or ["sigmoid"]
        activations = [hidden[min(l, len(hidden) - 1)] for l in range(len(sizes) - 2)] + [old[-1] if old else "sigmoid"]
        self.network = self.start_network = random_network(sizes, activations, self.seed.value())
        self.note = f"random weights, seed {self.seed.value()}"
        self.preset.setCurrentIndex(-1)
        self._network_changed()
        self.reset()

    def apply_example(self) -> None:
        try:
            inputs = parse_numbers(self.input_field.text(), "input")
            text = self.target_field.text().strip()
            targets = parse_numbers(text, "target") if text else None
        except XrayError as exc:
            self.show_status(str(exc))
            return
        if inputs.size != self.network.sizes[0]:
            self.show_status(f"the input has {inputs.size} values but the network takes {self.network.sizes[0]}")
            return
        if inputs.tolist() == self.inputs.tolist() and (None if targets is None else targets.tolist()) == (
                None if self.targets is None else self.targets.tolist()):
            return
        self.inputs, self.targets = inputs, targets
        self.refresh(keep_start=True)

    def _activation_chosen(self, _text: str) -> None:
        self.network = self.network.with_activations([c.currentText() for c in self.activations])
        self.refresh(keep_start=False)

    def _parameter_edited(self, layer: int, name: str, index: tuple, value: float) -> None:
        self.network = self.network.with_parameter(layer, name, index, value)
        self.note = "weights typed in"
        self.refresh(keep_start=False)

    def edit_on_diagram(self, parameter: tuple) -> None:
        """A weight or bias double-clicked on the diagram, typed in a small box; the table cell takes it, so
        the same check applies (a word is refused, an overflow undone)."""
        name, layer, unit, *rest = parameter
        column = rest[0] if name == "W" else self.network.layers[layer].W.shape[1]
        what = f"w{sub(unit + 1)}{sub(column + 1)}" if name == "W" else f"b{sub(unit + 1)}"
        current = self.weight_tables.tables[layer].item(unit, column).text()
        text, ok = QtWidgets.QInputDialog.getText(self, "Edit on the diagram", f"{what} of layer {layer + 1} =",
                                                  text=current)
        if ok and text.strip() != current:
            self.weight_tables.set_cell(layer, unit, column, text.strip())

    def load_file(self, path: str | Path) -> None:
        """Load a weights file (raises XrayError); the input and target keep their values where they fit."""
        network = read_weights_file(path)
        xray_pass(network, fit_length(self.inputs, network.sizes[0]), None)  # raises if the weights overflow
        self.network = self.start_network = network
        self.note = f"loaded {Path(path).name}"
        self.preset.setCurrentIndex(-1)
        self._network_changed()
        self.reset()

    def load_with_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Load a weights file", str(Path.home()),
                                                        "TOML weights (*.toml);;All files (*)")
        if path:
            try:
                self.load_file(path)
            except NnvizError as exc:
                QtWidgets.QMessageBox.warning(self, "Could not load the weights", str(exc))

    def save_with_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save the weights", str(Path.home() / "xray.toml"),
                                                        "TOML weights (*.toml)")
        if path:
            try:
                atomic_write_bytes(Path(path), network_to_toml(self.network).encode("utf-8"))
            except OSError as exc:
                QtWidgets.QMessageBox.warning(self, "Could not save", f"Could not write {path}: {exc.strerror or exc}")
                return
            self.show_status(f"Saved {path}")

    # --- stepping ------------------------------------------------------------------------------
    @property
    def total_units(self) -> int:
        return sum(self.network.sizes[1:])

    def forward_step(self) -> None:
        if self.forward_shown < self.total_units:
            self.forward_shown += 1
            self.backward_shown = 0
            self.show_status("")
        else:
            self.show_status("The forward pass is complete; ◀ Backward step goes on.")
        self.redraw()

    def backward_step(self) -> None:
        if not self.result.has_gradients:
            self.show_status(self.error or "Type a target first: the backward pass starts from the loss.")
            return
        if self.forward_shown < self.total_units:
            self.forward_shown = self.total_units
            self.show_status("The forward pass was completed first.")
        elif self.backward_shown < len(self.network.layers):
            self.backward_shown += 1
            self.show_status("")
        else:
            self.show_status("The backward pass is complete; Update applies one step of η.")
            return self.redraw()
        self.backward_shown = max(self.backward_shown, 1)
        self.redraw()

    def update_step(self) -> None:
        if not self.result.has_gradients:
            self.show_status(self.error or "Type a target first: the update follows the loss's gradients.")
            return
        eta = self.learning_rate.value()
        try:
            network = updated(self.network, self.result, eta)
        except XrayError as exc:
            self.show_status(str(exc))
            return
        if not self.loss_history:
            self.loss_history.append(self.result.loss)
        self.network = network
        self.weight_tables.show_network(self.network)
        self.forward_shown, self.backward_shown = self.total_units, 0
        self.refresh(keep_start=True)
        self.loss_history.append(self.result.loss)
        self.show_status(f"Update {len(self.loss_history) - 1} with η = {eta:g}: loss "
                         f"{self.loss_history[-2]:#.4g} → {self.loss_history[-1]:#.4g}")
        self.redraw()

    def reset(self) -> None:
        self.network = self.start_network
        self.weight_tables.show_network(self.network)
        self.forward_shown = self.backward_shown = 0
        self.loss_history = []
        self.refresh(keep_start=True)
        self.show_status("")

    def run_all(self) -> None:
        """The whole forward and backward pass at once (headless figures)."""
        self.forward_shown = self.total_units
        self.backward_shown = len(self.network.layers) if self.result.has_gradients else 0
        self.redraw()

    # --- computing and drawing --------------------------------------------------------------------
    def refresh(self, keep_start: bool) -> None:
        """Recompute every number for the current settings; a typed change becomes the new Reset point."""
        loss = self.loss.currentData()
        try:
            result, error = xray_pass(self.network, self.inputs, self.targets, loss), ""
        except XrayError as exc:
            error = str(exc)
            try:
                result = xray_pass(self.network, self.inputs, None, loss)
            except XrayError as overflow:  # even the forward pass fails (1e308 typed): undo what was typed
                self.network, self.inputs, self.targets = self.result.network, self.result.inputs, self.result.targets
                self._network_changed()
                self.show_status(f"{overflow}: the change was undone.")
                return
            self.backward_shown = 0
        if not keep_start:
            self.start_network = self.network
            self.loss_history = []
        self.result: XrayPass = result
        self.error = error
        self.redraw()

    def redraw(self) -> None:
        result = self.result
        current = None
        if self.forward_shown and not self.backward_shown:
            current = unit_at(self.network.sizes, self.forward_shown - 1)
        self.diagram.show_state(DiagramState(result, self.forward_shown, self.backward_shown, current))
        done = self.forward_shown >= self.total_units
        self.header.setText(header_html(result, self.error, done, self.loss_history, self.learning_rate.value(),
                                        self.note))
        self.detail.setText(detail_html(result, self.backward_shown, current, done))

    # --- export ------------------------------------------------------------------------------
    def export_svg(self, path: str | Path) -> Path:
        """Write the figure as SVG (text stays text); raises ExportError."""
        self.prepare_export()
        return render_svg(self.figure, path, "nnviz backprop x-ray")

    def export_svg_with_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export the figure as SVG",
                                                        str(Path.home() / "lab-xray.svg"), "SVG images (*.svg)")
        if not path:
            return
        if not path.lower().endswith(".svg"):
            path += ".svg"
        try:
            self.show_status(f"Saved {self.export_svg(path)}")
        except NnvizError as exc:
            QtWidgets.QMessageBox.warning(self, "Export failed", str(exc))


WIDGET = XrayLab
__all__ = ["WIDGET", "XrayLab", "headless", "tables", "write_network_figures"]


def tables(data_dir: str | None = None) -> str:
    return preset_tables()
