"""A/B twin: "Run again with one change…" trains a second network beside the first.

Both trainers get the same seed, hence the same initial weights (when the architecture is the same)
and the same batch order; only the chosen setting differs. The twin is a second `TrainingWorker`
in its own QThread; the window forwards its run commands (start, pause, step, stop, speed) to both,
and the twin's per-epoch curves and its training loss per iteration (so it shows from the first
batch on, not only after an epoch) are overlaid on the Curves panel, labelled with the change.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6 import QtCore, QtWidgets

from nnviz.core.config import HIDDEN_ACTIVATIONS, RunConfig
from nnviz.core.errors import NnvizError
from nnviz.core.losses import LOSSES
from nnviz.core.live_settings import LIVE_SETTINGS
from nnviz.core.loss_history import LossHistory
from nnviz.core.record import RunRecord

from nnviz.ui.controls import parse_hidden
from nnviz.ui.panels.curve_data import CurveOverlay, starts_over, tail_continues, tail_x
from nnviz.ui.session_runs import default_runs_folder, overlay_from_epochs
from nnviz.ui.window_run_folder import WindowRunFolder
from nnviz.ui.worker import TrainingWorker
from nnviz.ui import theme

TWIN_COLOUR = theme.overlay_colour(0)  # until the window gives it the colour after the ticked runs

# setting -> (dotted config key, short label, parser of the typed value)
def _live(name: str) -> tuple[str, str, object]:
    setting = LIVE_SETTINGS[name]
    return setting.config_key, setting.short, setting.parse


CHANGES: dict[str, tuple[str, str, object]] = {
    "learning rate": _live("learning_rate"),
    "batch size": _live("batch_size"),
    "momentum": _live("momentum"),
    "hidden sizes": ("model.hidden", "hidden", parse_hidden),
    "activation": ("model.activation", "activation", str),
    "loss": ("model.loss", "loss", str),
}
CHOICES = {"activation": list(HIDDEN_ACTIVATIONS), "loss": list(LOSSES)}


def current_value(config: RunConfig, setting: str) -> str:
    section, field = CHANGES[setting][0].split(".")
    value = getattr(getattr(config, section), field)
    return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else f"{value:g}" \
        if isinstance(value, float) else str(value)


def twin_config(config: RunConfig, setting: str, text: str) -> tuple[RunConfig, str]:
    """The B config and its legend label ("B: lr=0.5"); ValueError/NnvizError on a bad value."""
    dotted, short, parse = CHANGES[setting]
    value = parse(text.strip())
    changed = config.with_changes(**{dotted: value})
    shown = ", ".join(map(str, value)) if isinstance(value, list) else f"{value:g}" \
        if isinstance(value, float) else str(value)
    return changed, f"B: {short}={shown}"


class TwinDialog(QtWidgets.QDialog):
    """Which setting to change, and its new value (prefilled with the current one)."""

    def __init__(self, config: RunConfig, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run again with one change")
        self.config = config
        self.result_config: RunConfig | None = None
        self.label = ""
        form = QtWidgets.QFormLayout(self)
        note = QtWidgets.QLabel("A second network, same seed (same first weights and batch order), trained "
                                "alongside this one with one setting changed. Both start from scratch.")
        note.setWordWrap(True)
        form.addRow(note)
        self.setting = QtWidgets.QComboBox()
        self.setting.addItems(list(CHANGES))
        self.value = QtWidgets.QComboBox()
        self.value.setEditable(True)
        form.addRow("Change", self.setting)
        form.addRow("New value", self.value)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.setting.currentTextChanged.connect(self._setting_changed)
        self._setting_changed(self.setting.currentText())

    def _setting_changed(self, setting: str) -> None:
        self.value.clear()
        self.value.addItems(CHOICES.get(setting, []))
        self.value.setEditable(setting not in CHOICES)
        self.value.setCurrentText(current_value(self.config, setting))

    def choose(self, setting: str, value: str) -> None:
        self.setting.setCurrentText(setting)
        self.value.setCurrentText(value)

    def accept(self) -> None:
        try:
            self.result_config, self.label = twin_config(self.config, self.setting.currentText(),
                                                         self.value.currentText())
        except (ValueError, NnvizError) as exc:
            QtWidgets.QMessageBox.warning(self, "Invalid value", str(exc))
            return
        super().accept()


class IterationLosses:
    """The twin's training loss per iteration, put together from the worker's snapshot tails, with
    x in epochs as the Curves panel places this run's own points; bounded like that run's own
    history (bucket means once the run is long)."""

    def __init__(self) -> None:
        self._history = LossHistory()

    def add(self, snapshot: RunRecord) -> bool:
        """Append the snapshot's tail; False if it does not continue what is held (ask for all)."""
        history = self._history
        if starts_over(snapshot, history.n):
            history.clear()
            history.n = snapshot.loss_offset
        if not tail_continues(snapshot, history.n):
            return False
        tail = np.asarray(snapshot.train_loss, dtype=np.float32)
        history.append(tail, tail_x(snapshot, tail.size, history.n), 0.0)  # the panel smooths it
        return True

    def arrays(self) -> tuple[np.ndarray, np.ndarray, int]:
        """(x, mean loss per bucket, iterations per bucket)."""
        history = self._history
        return history.x_last[: history.buckets].copy(), history.means().astype(np.float32), history.span


class TwinRun(QtCore.QObject):
    """The B run: its worker and thread, its overlay. ``active`` while it runs."""

    overlay_changed = QtCore.Signal()

    def __init__(self, window, data_dir: str | None, snapshot_rate: float) -> None:
        super().__init__(window)
        self.window = window
        self.data_dir, self.snapshot_rate = data_dir, snapshot_rate
        self.worker: TrainingWorker | None = None
        self.thread: QtCore.QThread | None = None
        self.label = ""
        self.dotted = ""
        self.state = "empty"
        self.overlay: CurveOverlay | None = None

    @property
    def active(self) -> bool:
        return self.worker is not None

    def start(self, config: RunConfig, label: str, dotted: str) -> None:
        """Load B (the caller reloads A with the same seed at the same time)."""
        self.stop()
        self.label, self.dotted = label, dotted
        self.overlay = CurveOverlay(label, TWIN_COLOUR, np.zeros(0), np.zeros(0), np.zeros(0))
        self._losses = IterationLosses()
        self.worker = TrainingWorker(self.data_dir, snapshot_rate=self.snapshot_rate)
        self.thread = QtCore.QThread(self)
        # B is a run of its own: written as it trains like A's, so the Runs dock lists it from its first batch.
        self.worker.run_folder = WindowRunFolder(default_runs_folder(self.window.settings), suffix="B")
        self.worker.moveToThread(self.thread)
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        self.worker.snapshot_ready.connect(self.on_snapshot, queued)
        self.worker.state_changed.connect(self.on_state_changed, queued)
        self.worker.error_raised.connect(self.on_error, queued)
        self.worker.load_failed.connect(self.on_load_failed, queued)
        self.worker.run_started.connect(self.window.session_runs.panel.add_run_folder, queued)
        self.thread.started.connect(self.worker.run_loop)
        self.thread.start()
        self.worker.send("load", config)
        self.overlay_changed.emit()

    def overlays_after(self, ticked: int) -> list[CurveOverlay]:
        """B's overlay (none without a B run) in the colour after the ``ticked`` runs' colours."""
        if self.overlay is None:
            return []
        return [dataclasses.replace(self.overlay, colour=theme.overlay_colour(ticked))]

    def send(self, command: str, *args) -> None:
        if self.worker is not None:
            self.worker.send(command, *args)

    def stop(self, timeout_ms: int = 2000) -> bool:
        """End the twin's thread; True if it ended in time (or there was none)."""
        if self.worker is None:
            return True
        worker, thread = self.worker, self.thread
        self.worker = self.thread = None
        self.overlay = None
        self.state = "empty"
        worker.send("quit")
        thread.quit()
        ended = thread.wait(timeout_ms)
        self.overlay_changed.emit()
        return ended

    @QtCore.Slot(object)
    def on_snapshot(self, snapshot: RunRecord) -> None:
        if self.worker is None:
            return
        if not self._losses.add(snapshot):
            self.worker.send("resend")  # a tail that does not continue what is held
        x, loss, span = self._losses.arrays()
        self.overlay = dataclasses.replace(overlay_from_epochs(self.label, TWIN_COLOUR, snapshot.epochs),
                                           iteration_x=x, iteration_loss=loss, iteration_span=span)
        self.overlay_changed.emit()
        self.worker.frame_drawn()

    @QtCore.Slot(str)
    def on_state_changed(self, state: str) -> None:
        self.state = state

    @QtCore.Slot(str, str)
    def on_error(self, title: str, message: str) -> None:
        self.window.statusBar().showMessage(f"{self.label}: {title}: {message}", 8000)

    @QtCore.Slot(str)
    def on_load_failed(self, message: str) -> None:
        QtWidgets.QMessageBox.warning(self.window, "Cannot start the twin run", message)
        self.stop()
