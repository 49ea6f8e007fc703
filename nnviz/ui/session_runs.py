"""Runs in the window: the Runs dock, saving this session's runs, overlays, reopening.

File reading happens in `RunsPanel`; the trainer is only touched by the worker, so saving a run is a
worker command (``save_run``) whose ``run_saved`` signal adds the new folder to the Runs dock. A run
is saved when it finishes, and on File → Save run (Ctrl+S), into the session runs folder
(see `default_runs_folder`).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import platformdirs
from PySide6 import QtCore, QtGui

from nnviz.core.config import load_config
from nnviz.core.errors import NnvizError
from nnviz.core.record import EpochCurves
from nnviz.core.run_folder import CONFIG_FILE, MODEL_FILE, RunData, flatten_settings
from nnviz.sweep.compare import differences_from

from nnviz.ui import settings as stored
from nnviz.ui import theme
from nnviz.ui.errors import show_error
from nnviz.ui.panels.curve_data import CurveOverlay
from nnviz.ui.runs_panel import RunsPanel

SPLIT_ORDER = ("val", "test", "train")
LIVE_REFRESH_MS = 1000


def default_runs_folder(settings: QtCore.QSettings) -> Path:
    """The setting ``runs/session_folder``; else ``<user data>/nnviz/runs``, or, for a window given
    its own settings file (tests, a lecture's own profile), ``runs`` beside that file."""
    value = stored.read_text(settings, "runs/session_folder")
    if value:
        return Path(value)
    if settings.fileName() != stored.default_settings().fileName():
        return Path(settings.fileName()).parent / "runs"
    return platformdirs.user_data_path("nnviz") / "runs"


def overlay_from_columns(label: str, colour: str, columns: dict[str, np.ndarray]) -> CurveOverlay:
    """The first split (validation, test, train) with accuracies: its per-epoch loss and accuracy."""
    epoch = np.asarray(columns.get("epoch", np.zeros(0)), dtype=np.float64)
    for split in SPLIT_ORDER:
        accuracy = np.asarray(columns.get(f"{split}_accuracy", np.full(epoch.shape, np.nan)), dtype=np.float64)
        loss = np.asarray(columns.get(f"{split}_loss", np.full(epoch.shape, np.nan)), dtype=np.float64)
        keep = np.isfinite(accuracy) & np.isfinite(loss)
        if keep.any():
            return CurveOverlay(label, colour, epoch[keep], loss[keep], accuracy[keep])
    return CurveOverlay(label, colour, np.zeros(0), np.zeros(0), np.zeros(0))


def overlay_from_run(run: RunData, index: int, label: str | None = None) -> CurveOverlay:
    return overlay_from_columns(label or run.name, theme.overlay_colour(index), run.curves)


def overlay_labels(runs: list[RunData], reference: dict | None) -> list[str]:
    """Legend names: what each run changes from the run in the window ("lr=100"), not its folder's
    timestamp; made unique (the legend and the curves are kept per name)."""
    labels = [differences_from(reference, run.settings) if reference is not None else run.label or run.name
              for run in runs]
    repeated = {label for label in labels if labels.count(label) > 1}
    return [f"{label} ({run.name})" if label in repeated else label for run, label in zip(runs, labels)]


def overlay_from_epochs(label: str, colour: str, curves: EpochCurves) -> CurveOverlay:
    columns = {name: getattr(curves, name) for name in ("epoch", "train_loss", "train_accuracy", "val_loss",
                                                         "val_accuracy", "test_loss", "test_accuracy")}
    return overlay_from_columns(label, colour, columns)


class SessionRuns(QtCore.QObject):
    """Owns the Runs panel and what the window does with it."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.panel = RunsPanel()
        self.run_overlays: list[CurveOverlay] = []
        self._saved_this_run = False
        chosen = stored.read_text(window.settings, "runs/folder")
        folder = Path(chosen) if chosen else default_runs_folder(window.settings)
        if folder.is_dir():
            self.panel.set_folder(folder)
        self.choose_action = QtGui.QAction("Choose runs folder…", self)
        self.choose_action.setStatusTip("List the run folders of a folder (nnviz train / nnviz sweep output)")
        self.choose_action.triggered.connect(self.choose_folder)
        self.save_action = QtGui.QAction("Save run", self)
        self.save_action.setShortcut(QtGui.QKeySequence("Ctrl+S"))
        self.save_action.setStatusTip("Write this run's folder (config, metrics, model) into the session runs folder")
        self.save_action.triggered.connect(lambda: self.save_run())
        window.addAction(self.save_action)
        self.panel.choose_button.clicked.disconnect()
        self.panel.choose_button.clicked.connect(self.choose_folder)
        self.panel.runs_selected.connect(self.show_runs)
        self.panel.reopen_requested.connect(self.reopen)
        window.worker.run_saved.connect(self.on_run_saved, QtCore.Qt.ConnectionType.QueuedConnection)
        # The window's runs are written as they train; the dock lists a run from its first batch.
        window.worker.run_folder.runs_folder = default_runs_folder(window.settings)
        window.worker.run_started.connect(self.panel.add_run_folder, QtCore.Qt.ConnectionType.QueuedConnection)
        self.live_timer = QtCore.QTimer(self)  # runs being written (here or by nnviz train) update in place
        self.live_timer.setInterval(LIVE_REFRESH_MS)
        self.live_timer.timeout.connect(self.panel.refresh_live)
        self.live_timer.start()

    # --- folders -----------------------------------------------------------------------------
    def choose_folder(self) -> None:
        self.panel.choose_folder()
        if self.panel.folder is not None:
            self.window.settings.setValue("runs/folder", str(self.panel.folder))

    def new_run_folder(self) -> Path:
        config = self.window.config
        preset = config.preset if config is not None else "run"
        base = default_runs_folder(self.window.settings) / f"{time.strftime('%Y%m%d-%H%M%S')}-{preset}"
        path, n = base, 2
        while path.exists():
            path, n = base.with_name(f"{base.name}-{n}"), n + 1
        return path

    def save_run(self, out_dir: str | Path | None = None) -> None:
        """Ask the worker to write the run folder (it holds the trainer)."""
        if self.window.config is None:
            return
        self._saved_this_run = True
        self.window.worker.send("save_run", str(out_dir or self.new_run_folder()))

    def run_loaded(self) -> None:
        self._saved_this_run = False
        if self.run_overlays:  # named by what differs from the run in the window: from this one now
            self.show_runs(self.panel.selected_runs())

    def state_changed(self, state: str) -> None:
        """A run that ends is saved once, so it can be compared with the next one."""
        if state == "finished" and not self._saved_this_run:
            self.save_run()

    @QtCore.Slot(str)
    def on_run_saved(self, path: str) -> None:
        self.panel.add_run_folder(path)
        self.window.statusBar().showMessage(f"Saved run to {path}", 5000)

    # --- overlays and reopening ----------------------------------------------------------------
    @QtCore.Slot(list)
    def show_runs(self, runs: list[RunData]) -> None:
        config = self.window.config
        reference = flatten_settings(config.to_dict()) if config is not None else None
        self.run_overlays = [overlay_from_run(run, i, label)
                             for i, (run, label) in enumerate(zip(runs, overlay_labels(runs, reference)))]
        self.window.update_overlays()

    @QtCore.Slot(object)
    def reopen(self, path: Path) -> None:
        """Its settings into the controls, its model into a new trainer, its curves as an overlay."""
        path = Path(path)
        try:
            config = load_config(path / CONFIG_FILE)
        except (NnvizError, OSError, ValueError) as exc:
            show_error(self.window, "Cannot reopen this run", str(exc))
            return
        if not self.window.confirm_new_run():
            return
        model = path / MODEL_FILE
        self.window.load_config(config, str(model) if model.exists() else None)
        self.window.worker.send("evaluate")  # the confusion matrix of the loaded model, at once
        self.panel.set_ticked(path, True)
        self.window.statusBar().showMessage(f"Reopened {path.name}", 5000)
