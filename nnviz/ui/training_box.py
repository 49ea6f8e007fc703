"""The Run setup's "Regularisation & heuristics" box: optimiser, dropout, L2 weight decay, the
learning-rate schedule, the initialisation and early stopping (the fifth lecture's remedies).

Each needs a new network, so the box only reports an edit (``edited``); the control panel folds
``changes()`` into the new config it hands the window, like its other new-network settings.
"""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore, QtWidgets

from nnviz.core.config import RunConfig
from nnviz.core.initializers import INITIALIZERS
from nnviz.core.training_options import optimizer_changes, parse_lr_schedule

OPTIMIZERS = ("sgd", "momentum", "adam")
SCHEDULES = (("constant", "none"), ("exponential", "exp"), ("step", "step"))


class TrainingBox(QtWidgets.QGroupBox):
    edited = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Regularisation && heuristics", parent)
        form = QtWidgets.QFormLayout(self)
        self.optimizer = QtWidgets.QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.dropout = _spin(0.0, 0.9, 0.1, 2)
        self.weight_decay = _spin(0.0, 0.1, 0.0001, 5)
        self.weight_decay.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.schedule = QtWidgets.QComboBox()
        for label, kind in SCHEDULES:
            self.schedule.addItem(label, kind)
        self.factor = _spin(0.01, 1.0, 0.05, 2)
        self.factor.setPrefix("× ")
        self.every = QtWidgets.QSpinBox()
        self.every.setRange(1, 1000)
        self.every.setSuffix(" epochs")
        self.init = QtWidgets.QComboBox()
        self.init.addItems(INITIALIZERS)
        self.init.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.init.setMinimumContentsLength(10)  # "truncated-normal" would widen the Run setup
        self.init_std = _spin(0.001, 10.0, 0.05, 3)
        self.early = QtWidgets.QCheckBox("on")
        # Its own size: a click on the blank right of a stretched check box would not toggle it.
        self.early.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        self.patience = QtWidgets.QSpinBox()
        self.patience.setRange(1, 1000)
        self.patience.setSuffix(" epochs")
        rows = [
            ("Optimiser", self.optimizer, "sgd (add momentum above), momentum SGD (0.9 unless set) or Adam "
                                          "(new network)"),
            ("Dropout", self.dropout, "Inverted dropout after each hidden layer while training, off when "
                                      "evaluating (0: off; new network)"),
            ("Weight decay λ", self.weight_decay, "L2 regularisation: λ·W added to the weights' gradients "
                                                  "(0: off; new network)"),
            ("LR decay", self.schedule, "Learning-rate schedule: times the factor after every epoch "
                                        "(exponential) or every N epochs (step); new network"),
            ("Decay factor", self.factor, "What the learning rate is multiplied by at each decay (new network)"),
            ("Decay every", self.every, "Step decay: epochs between two decays (new network)"),
            ("Initialisation", self.init, "How the first weights are drawn; truncated-normal redraws beyond "
                                          "2 std (new network)"),
            ("Init std", self.init_std, "Standard deviation of normal and truncated-normal (new network)"),
            ("Early stopping", self.early, "Stop when the validation loss has not improved for the patience's "
                                           "epochs and restore the best epoch's weights (new network)"),
            ("Patience", self.patience, "Epochs without a lower validation loss before early stopping "
                                        "(new network)"),
        ]
        # One widget a row: the Run setup stays narrow enough to sit beside the panels at 1024 px.
        for label, widget, tip in rows:
            widget.setToolTip(tip)
            form.addRow(label, widget)
        self.form = form
        self._widgets = (self.optimizer, self.dropout, self.weight_decay, self.schedule, self.factor, self.every,
                         self.init, self.init_std, self.early, self.patience)
        for widget in self._widgets:
            if isinstance(widget, QtWidgets.QComboBox):
                widget.activated.connect(lambda: self._changed())
            elif isinstance(widget, QtWidgets.QCheckBox):
                widget.toggled.connect(lambda: self._changed())
            else:
                widget.setKeyboardTracking(False)  # one change per edit, not one per digit typed
                widget.valueChanged.connect(lambda: self._changed())
        self._config: RunConfig | None = None

    def _changed(self) -> None:
        self._show_enabled()
        self.edited.emit()

    def _show_enabled(self) -> None:
        kind = self.schedule.currentData()
        self.form.setRowVisible(self.factor, kind != "none")
        self.form.setRowVisible(self.every, kind == "step")
        self.form.setRowVisible(self.init_std, self.init.currentText() in ("normal", "truncated-normal"))
        self.form.setRowVisible(self.patience, self.early.isChecked())

    def set_config(self, config: RunConfig) -> None:
        """Show ``config`` without emitting ``edited``."""
        self._config = config
        for widget in self._widgets:
            widget.blockSignals(True)
        try:
            self.optimizer.setCurrentText(config.optimizer.name)
            self.dropout.setValue(config.model.dropout)
            self.weight_decay.setValue(config.optimizer.weight_decay)
            schedule = parse_lr_schedule(config.optimizer.lr_decay)
            self.schedule.setCurrentIndex(max(self.schedule.findData(schedule.kind), 0))
            self.factor.setValue(schedule.factor if schedule.kind != "none" else 0.9)
            self.every.setValue(schedule.every if schedule.kind == "step" else 10)
            self.init.setCurrentText(config.model.init)
            self.init_std.setValue(config.model.init_std)
            self.early.setChecked(config.training.early_stopping > 0)
            self.patience.setValue(config.training.early_stopping or 5)
        finally:
            for widget in self._widgets:
                widget.blockSignals(False)
        self._show_enabled()

    def changes(self) -> dict[str, Any]:
        """The dotted config changes the widgets say (ValueError for an impossible combination)."""
        kind = self.schedule.currentData()
        factor = f"{self.factor.value():g}"
        decay = {"none": "none", "exp": f"exp:{factor}", "step": f"step:{self.every.value()}:{factor}"}[kind]
        changes: dict[str, Any] = {
            "model.dropout": self.dropout.value(),
            "optimizer.weight_decay": self.weight_decay.value(),
            "model.init": self.init.currentText(),
            "model.init_std": self.init_std.value(),
            "training.early_stopping": self.patience.value() if self.early.isChecked() else 0,
        }
        config = self._config
        if config is not None and str(parse_lr_schedule(config.optimizer.lr_decay)) != decay:
            changes["optimizer.lr_decay"] = decay  # an unchanged schedule keeps its stored spelling
        name = self.optimizer.currentText()
        if config is not None and name != config.optimizer.name:
            changes.update(optimizer_changes(config.optimizer.name, config.optimizer.momentum, name, None))
        return changes


def _spin(low: float, high: float, step: float, decimals: int) -> QtWidgets.QDoubleSpinBox:
    spin = QtWidgets.QDoubleSpinBox()
    spin.setDecimals(decimals)
    spin.setRange(low, high)
    spin.setSingleStep(step)
    return spin

