"""The control panel: preset, data set, architecture with parameter counts, and hyper-parameters.

It only edits settings: learning rate, momentum, batch size and epochs are sent live
(``live_setting_changed``); anything that needs a new network comes out as a whole new config
(``config_edited``) and the window decides whether to ask before resetting the run.
"""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.config import HIDDEN_ACTIVATIONS, RunConfig
from nnviz.core.data.loading import dataset_status, list_datasets
from nnviz.core.errors import NnvizError
from nnviz.core.live_settings import LIVE_SETTINGS, LiveSetting
from nnviz.core.losses import LOSSES
from nnviz.core.presets import PRESETS, config_for_preset

from nnviz.ui.download_dialog import picker_entries
from nnviz.core.trainer_queries import RunInfo
from nnviz.ui import screen_fit, theme
from nnviz.ui.architecture_table import ArchitectureTable
from nnviz.ui.training_box import TrainingBox

DOWNLOAD_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1  # download name of a data set not here yet


def parse_hidden(text: str) -> list[int]:
    """"100, 30" -> [100, 30]; empty -> [] (no hidden layer). ValueError on anything else."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    sizes = [int(p) for p in parts]
    if any(s < 1 for s in sizes):
        raise ValueError("hidden layer sizes must be positive")
    return sizes


LIVE_TIPS = {
    "learning_rate": "Step size of gradient descent; applies from the next batch",
    "momentum": "Fraction of the last step added to the next (0: plain SGD); live",
    "batch_size": "Examples per mini-batch (one iteration); applies from the next batch",
    "epochs": "Full passes over the training set; may be raised while training",
}


def live_spin_box(setting: LiveSetting, decimals: int = 2) -> QtWidgets.QAbstractSpinBox:
    """A spin box over the live-settings table's range, rounded inwards to the digits it shows, so
    that every value it offers is one the worker accepts."""
    if setting.kind is int:
        spin = QtWidgets.QSpinBox()
        spin.setRange(math.ceil(setting.minimum), math.floor(setting.maximum))
        return spin
    spin = QtWidgets.QDoubleSpinBox()
    spin.setDecimals(decimals)
    scale = 10 ** decimals
    spin.setRange(math.ceil(setting.minimum * scale) / scale, math.floor(setting.maximum * scale) / scale)
    return spin


class ControlPanel(QtWidgets.QScrollArea):
    live_setting_changed = QtCore.Signal(str, object)  # a name in core.live_settings.LIVE_SETTINGS, its value
    config_edited = QtCore.Signal(object)  # a RunConfig that needs a new network
    invalid_setting = QtCore.Signal(str)  # a message for the user
    download_requested = QtCore.Signal(str, str, str)  # data set name, download name, size text

    def __init__(self, data_dir: str | None = None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        # The settings in force: the worker's config as it last reported it (a run built, a live
        # change). The window reads it from here and keeps no copy of its own.
        self.config: RunConfig | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        body = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(body)
        column.addWidget(self._build_run_box())
        column.addWidget(self._build_architecture_box(), 1)
        column.addWidget(self._build_hyper_box())
        self.training_box = TrainingBox()
        self.training_box.edited.connect(self._edited)
        column.addWidget(self.training_box)
        self.setWidget(body)
        # At the window's 11-point type the fields asked for 326 pixels: the column scrolled sideways
        # on a 1024-wide projector.
        screen_fit.let_fields_give_way(body, combo_chars=6)
        for spin in body.findChildren(QtWidgets.QAbstractSpinBox):
            spin.setMinimumWidth(90)
        # Fits beside the panels on a 1024-wide projector and scrolls down; the room of the vertical
        # scroll bar is added, or the column scrolled sideways and cut every line at a small height.
        self.setMinimumWidth(280 + self.verticalScrollBar().sizeHint().width())

    # --- building ----------------------------------------------------------------------------
    def _build_run_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Demo")
        form = QtWidgets.QFormLayout(box)
        self.preset_box = QtWidgets.QComboBox()
        for preset in PRESETS.values():
            self.preset_box.addItem(preset.name, preset.name)
            self.preset_box.setItemData(self.preset_box.count() - 1, preset.description,
                                        QtCore.Qt.ItemDataRole.ToolTipRole)
        self.preset_box.addItem("custom", "custom")
        self.description = QtWidgets.QLabel()
        self.description.setWordWrap(True)
        self.description.setStyleSheet(f"color: {theme.GREY_80};")
        self.dataset_box = QtWidgets.QComboBox()
        # "cifar10  (download 170.1 MB)" would widen the whole panel: the popup shows the long rows
        self.dataset_box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.dataset_box.setMinimumContentsLength(14)
        self.refresh_datasets()
        self.dataset_sizes = QtWidgets.QLabel()
        self.dataset_sizes.setWordWrap(True)
        form.addRow("Preset", self.preset_box)
        form.addRow(self.description)
        form.addRow("Data set", self.dataset_box)
        form.addRow(self.dataset_sizes)
        self.preset_box.activated.connect(self._preset_chosen)
        self.dataset_box.activated.connect(self._dataset_chosen)
        return box

    def refresh_datasets(self) -> None:
        """Ready data sets by name; the others "download 170.1 MB" (greyed), or "not found"."""
        entries = {entry.name: entry for entry in picker_entries(self.data_dir)}
        box = self.dataset_box
        box.blockSignals(True)
        box.clear()
        for name in list_datasets():
            entry = entries.get(name)
            ready = entry.ready if entry is not None else dataset_status(name, self.data_dir) is not None
            where = entry.label.rsplit(" - ", 1)[-1] if entry is not None else "not found"
            box.addItem(name if ready else f"{name}  ({where})", name)
            index = box.count() - 1
            if entry is not None:
                box.setItemData(index, entry.label, QtCore.Qt.ItemDataRole.ToolTipRole)
            if not ready:
                box.setItemData(index, QtGui.QColor(theme.GREY_50), QtCore.Qt.ItemDataRole.ForegroundRole)
                if entry is not None and where.startswith("download"):
                    box.setItemData(index, entry.download_name, DOWNLOAD_ROLE)
        if self.config is not None:
            self._select(box, self.config.data.name)
        box.blockSignals(False)
        box.view().setMinimumWidth(box.view().sizeHintForColumn(0) + 24)

    def dataset_entries(self) -> list[tuple[str, str]]:
        """(name, shown text) of every row of the picker."""
        box = self.dataset_box
        return [(box.itemData(i), box.itemText(i)) for i in range(box.count())]

    def _dataset_chosen(self, index: int) -> None:
        download = self.dataset_box.itemData(index, DOWNLOAD_ROLE)
        if download:
            name = self.dataset_box.itemData(index)
            size = self.dataset_box.itemText(index).rsplit("(", 1)[-1].rstrip(")")
            if self.config is not None:
                self._select(self.dataset_box, self.config.data.name)  # until it is here
            self.download_requested.emit(name, download, size)
            return
        self._edited()

    def choose_dataset(self, name: str) -> None:
        """Select ``name`` (e.g. just downloaded) and hand on the new config."""
        self._select(self.dataset_box, name)
        self._edited()

    def _build_architecture_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Architecture")
        layout = QtWidgets.QVBoxLayout(box)
        self.table = ArchitectureTable()
        self.totals = QtWidgets.QLabel()
        self.totals.setWordWrap(True)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.totals)
        return box

    def _build_hyper_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Hyper-parameters")
        form = QtWidgets.QFormLayout(box)
        self.learning_rate = live_spin_box(LIVE_SETTINGS["learning_rate"], decimals=4)
        self.learning_rate.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.momentum = live_spin_box(LIVE_SETTINGS["momentum"], decimals=2)
        self.momentum.setSingleStep(0.05)
        self.batch_size = live_spin_box(LIVE_SETTINGS["batch_size"])
        self.epochs = live_spin_box(LIVE_SETTINGS["epochs"])
        self.hidden = QtWidgets.QLineEdit()
        self.hidden.setPlaceholderText("none")
        self.activation = QtWidgets.QComboBox()
        self.activation.addItems(HIDDEN_ACTIVATIONS)
        self.loss = QtWidgets.QComboBox()
        self.loss.addItems(list(LOSSES))
        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.train_size = QtWidgets.QSpinBox()
        self.train_size.setRange(0, 1_000_000)
        self.train_size.setSingleStep(1000)
        self.train_size.setSpecialValueText("all")
        self.live_controls = {"learning_rate": self.learning_rate, "momentum": self.momentum,
                              "batch_size": self.batch_size, "epochs": self.epochs}
        rows = [(LIVE_SETTINGS[name].label, spin, LIVE_TIPS[name]) for name, spin in self.live_controls.items()]
        rows += [
            ("Hidden layers", self.hidden, "Units per hidden layer, e.g. 30 or 100, 30 (new network)"),
            ("Activation", self.activation, "Activation of the hidden layers (new network)"),
            ("Loss", self.loss, "quadratic: ½‖y − t‖² (Nielsen); cross-entropy with softmax (new network)"),
            ("Seed", self.seed, "Random seed of the weights and the batch order (new network)"),
            ("Training examples", self.train_size, "Train on the first N examples only: quick classroom runs"),
        ]
        for label, widget, tip in rows:
            widget.setToolTip(tip)
            form.addRow(label, widget)
            if isinstance(widget, QtWidgets.QAbstractSpinBox):
                widget.setKeyboardTracking(False)  # one change per edit, not one per digit typed
        for name, spin in self.live_controls.items():
            spin.valueChanged.connect(lambda v, name=name: self.live_setting_changed.emit(name, v))
        self.hidden.editingFinished.connect(self._hidden_edited)
        for box_widget in (self.activation, self.loss):
            box_widget.activated.connect(lambda: self._edited())
        for spin in (self.seed, self.train_size):
            spin.valueChanged.connect(lambda: self._edited())
        return box

    # --- showing a config --------------------------------------------------------------------
    @QtCore.Slot(object)
    def show_run(self, info: RunInfo) -> None:
        """A run the worker built: its settings, now the ones in force, and its architecture."""
        self.set_config(info.config)
        self.set_run_info(info)

    @QtCore.Slot(object)
    def keep_config(self, config: RunConfig) -> None:
        """The worker's config after a live change: the settings in force from now on. The widgets
        show them already (the change came from them); setting them again could step back a spin
        box still being turned."""
        self.config = config

    def set_config(self, config: RunConfig) -> None:
        """Show ``config`` in the widgets without emitting any change."""
        self.config = config
        widgets = (self.preset_box, self.dataset_box, self.learning_rate, self.momentum, self.batch_size,
                   self.epochs, self.hidden, self.activation, self.loss, self.seed, self.train_size)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self._select(self.preset_box, config.preset if config.preset in PRESETS else "custom")
            preset = PRESETS.get(config.preset)
            self.description.setText(preset.description if preset else "Your own settings")
            self._select(self.dataset_box, config.data.name)
            self.learning_rate.setValue(config.optimizer.learning_rate)
            self.momentum.setValue(config.optimizer.momentum)
            # SGD takes momentum live (the heavy-ball method: "use momentum" on Nielsen's net); Adam has none.
            self.momentum.setEnabled(config.optimizer.name != "adam")
            self.batch_size.setValue(config.training.batch_size)
            self.epochs.setValue(config.training.epochs)
            self.hidden.setText(", ".join(map(str, config.model.hidden)))
            self.activation.setCurrentText(config.model.activation)
            self.loss.setCurrentText(config.model.loss)
            self.seed.setValue(config.training.seed)
            self.train_size.setValue(config.data.train_size or 0)
            self.training_box.set_config(config)
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    @staticmethod
    def _select(box: QtWidgets.QComboBox, data: str) -> None:
        index = box.findData(data)
        if index >= 0:
            box.setCurrentIndex(index)

    def set_run_info(self, info: RunInfo) -> None:
        """The architecture table (per-layer and total parameter counts) and the split sizes."""
        rows = info.layers
        self.table.set_run_info(info)
        weights = sum(r.weights for r in rows)
        biases = sum(r.biases for r in rows)
        neurons = sum(r.neurons for r in rows)
        self.totals.setText(f"{neurons:,} neurons · {weights:,} weights + {biases:,} biases = "
                            f"<b>{info.n_params:,}</b> learnable parameters")
        sizes = info.split_sizes
        self.dataset_sizes.setText(f"{sizes['train']:,} training · {sizes['val']:,} validation · "
                                   f"{sizes['test']:,} test examples")

    # --- edits -------------------------------------------------------------------------------
    def _preset_chosen(self) -> None:
        name = self.preset_box.currentData()
        if name in PRESETS:  # on the lecturer's data set where the preset's network fits it
            self.config_edited.emit(config_for_preset(name, self.config.data.name if self.config else None))
        elif self.config is not None:
            self.config_edited.emit(self.config.with_changes(preset="custom"))

    def _hidden_edited(self) -> None:
        if self.config is not None and self.hidden.text().strip() != ", ".join(map(str, self.config.model.hidden)):
            self._edited()

    def _edited(self) -> None:
        """Settings that need a new network: build the new config (validated) and hand it on."""
        if self.config is None:
            return
        try:
            changes = {
                "data.name": self.dataset_box.currentData(),
                "model.hidden": parse_hidden(self.hidden.text()),
                "model.activation": self.activation.currentText(),
                "model.loss": self.loss.currentText(),
                "training.seed": self.seed.value(),
                "data.train_size": self.train_size.value() or None,
                **{LIVE_SETTINGS[name].config_key: spin.value() for name, spin in self.live_controls.items()},
                **self.training_box.changes(),  # last: an optimiser choice sets its own momentum
            }
            config = self.config.with_changes(**changes)
        except (ValueError, NnvizError) as exc:
            self.invalid_setting.emit(str(exc))
            self.set_config(self.config)  # show the settings still in force
            return
        if config.to_dict() != self.config.to_dict():
            # Another data set keeps the demo's name (the lecture's "swap MNIST for Fashion-MNIST");
            # another model makes it the lecturer's own.
            renamed = config.model != self.config.model
            self.config_edited.emit(config.with_changes(preset="custom") if renamed else config)
