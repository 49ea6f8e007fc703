"""`MainWindow`: controls on the left, panels in docks, run controls on top, status bar below.

The window never touches the trainer: it sends commands to the worker and draws its snapshots.
"""

from __future__ import annotations

import os
import time

from PySide6 import QtCore, QtWidgets

from nnviz.core.config import RunConfig
from nnviz.core.live_settings import LIVE_SETTINGS
from nnviz.core.trainer_queries import RunInfo
from nnviz.ui import download_dialog, screen_fit, theme
from nnviz.ui import settings as stored
from nnviz.ui.controls import ControlPanel
from nnviz.ui.errors import show_error
from nnviz.ui.evaluation_link import EvaluationLink
from nnviz.ui.frame_budget import DEFAULT_DRAW_BUDGET, MIN_RATE, FrameBudget
from nnviz.ui.lab_mode import TRAINING, LabMode
from nnviz.ui.notice_bars import HealthBar, MissingDataBar
from nnviz.ui.export_actions import PanelExportActions
from nnviz.ui.panels import ConfusionMatrixPanel, CurvesPanel, Panel, create_panels
from nnviz.ui.probe_controls import ProbeControls
from nnviz.ui.run_actions import RunActions
from nnviz.ui.session_runs import SessionRuns
from nnviz.ui.sweep_launch import stop_sweeps
from nnviz.ui.status import RunStatusBar
from nnviz.ui.twin_run import CHANGES, TwinDialog, TwinRun
from nnviz.ui.presentation import Presentation
from nnviz.ui.window_fit import ScreenFit
from nnviz.ui.window_layout import DivergenceBar, add_runs_dock, build_docks, build_menus
from nnviz.ui.worker import TrainingWorker

SNAPSHOT_RATE, DRAW_SLICE = 20.0, 0.025  # snapshots per second; seconds of panel drawing per event-loop turn


class MainWindow(PanelExportActions, ScreenFit, QtWidgets.QMainWindow):
    frame_finished = QtCore.Signal()  # every visible panel has drawn the latest snapshot

    def __init__(self, *, data_dir: str | None = None, preset: str | None = None,
                 settings: QtCore.QSettings | None = None, autostart: bool = False) -> None:
        super().__init__()
        theme.configure_pyqtgraph()  # run_app does it too; tests and benches build windows directly
        self.setWindowTitle("nnviz")
        self.settings = settings if settings is not None else stored.default_settings()
        self.data_dir = data_dir = data_dir or stored.saved_data_dir(self.settings)
        self.autostart = autostart
        self.run_info: RunInfo | None = None
        self.state = "empty"
        self.last_snapshot = None
        self._to_draw: list[Panel] = []
        self._drawing = False
        self._frame_started = 0.0
        self._closed = False
        rate = stored.read_float(self.settings, "view/snapshot_rate", SNAPSHOT_RATE, MIN_RATE, 60.0)
        self.worker = TrainingWorker(data_dir, snapshot_rate=rate)
        budget = stored.read_float(self.settings, "view/draw_budget", DEFAULT_DRAW_BUDGET, 0.01, 0.9)
        self.frame_budget = FrameBudget(rate, budget=budget)
        self.budget_timer = QtCore.QTimer(self)
        self.budget_timer.setInterval(500)
        self.budget_timer.timeout.connect(self._check_frame_budget)
        self.thread = QtCore.QThread(self)
        self.worker.moveToThread(self.thread)
        self.panels: dict[str, Panel] = create_panels()
        self.controls = ControlPanel(data_dir)
        self.run_actions = RunActions(self)
        self.addToolBar(self.run_actions.toolbar)
        self.probe = ProbeControls()
        probe_bar = QtWidgets.QToolBar("Input")
        probe_bar.setObjectName("toolbar-input")
        probe_bar.addWidget(self.probe)
        self.addToolBar(probe_bar)
        self.probe_bar = probe_bar
        self.divergence_bar = DivergenceBar(self)
        self.health_bar = HealthBar(self)
        self.missing_data = MissingDataBar(self)
        self.status = RunStatusBar()
        self.setStatusBar(self.status)
        self.docks = build_docks(self, self.controls, self.panels)
        self._compact = False  # the arrangement in force: the 2x2 grid (True: tabs)
        self.session_runs = SessionRuns(self)
        add_runs_dock(self, self.docks, self.session_runs.panel)
        self.evaluation = EvaluationLink(self)  # its dock; a confusion cell clicked shows its examples there
        self.twin = TwinRun(self, data_dir, rate)
        self.lab_mode = LabMode(self, data_dir)
        self.lab_mode.install([self.run_actions.toolbar, probe_bar])
        self.insertToolBar(self.run_actions.toolbar, self.lab_mode.toolbar)
        self.presentation = Presentation(self)
        build_menus(self, rate)
        self._connect()
        self._restore_layout()
        self.presentation.restore()
        self.run_actions.show_state("empty")
        self.thread.started.connect(self.worker.run_loop)
        self.thread.start()
        start = stored.start_run(self.settings, data_dir, preset)
        self.missing_data.offer(start)  # a fallback for missing data says so and is not remembered
        self.load_config(start.config)

    # --- wiring ------------------------------------------------------------------------------
    def _connect(self) -> None:
        w = self.worker
        # Worker signals go to slots of GUI-thread objects, queued explicitly: PySide6 may otherwise
        # call a Python method (and always a lambda) directly in the emitting worker thread.
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        w.run_loaded.connect(self.controls.show_run, queued)  # first: the controls hold the config in force
        w.config_changed.connect(self.controls.keep_config, queued)
        w.snapshot_ready.connect(self.on_snapshot, queued)
        w.run_loaded.connect(self.on_run_loaded, queued)
        w.state_changed.connect(self.on_state_changed, queued)
        w.error_raised.connect(self.on_worker_error, queued)
        w.load_failed.connect(self.on_load_failed, queued)
        w.config_changed.connect(self.on_config_changed, queued)
        a = self.run_actions
        a.start_pause.triggered.connect(self.toggle_run)
        a.step_batch.triggered.connect(lambda: self.send_run_command("step_batch"))
        a.step_epoch.triggered.connect(lambda: self.send_run_command("step_epoch"))
        a.stop.triggered.connect(lambda: self.send_run_command("stop"))
        a.reset.triggered.connect(self.reset_run)
        a.export_all.triggered.connect(lambda: self.export_all_panels())  # not triggered's `checked` as a folder
        a.speed.currentIndexChanged.connect(lambda: self.send_run_command("set_speed", a.speed.currentData()))
        self.controls.download_requested.connect(self.on_download_requested)
        self.twin.overlay_changed.connect(self.update_overlays)
        self.controls.live_setting_changed.connect(self.on_live_setting)
        self.controls.config_edited.connect(self.on_config_edited)
        self.controls.invalid_setting.connect(lambda text: show_error(self, "Invalid setting", text))
        for panel in self.panels.values():
            panel.export_requested.connect(self.export_panel)
        self.probe.probe_requested.connect(lambda mode, index, split: w.send("set_probe", mode, index, split))
        confusion: ConfusionMatrixPanel = self.panels["confusion"]
        confusion.split_changed.connect(lambda split: w.send("set_confusion_split", split))
        confusion.evaluate_requested.connect(lambda: w.send("evaluate"))
        self.divergence_bar.retry.connect(self.retry_smaller_learning_rate)
        self.health_bar.reset_requested.connect(self.reset_with_changes)
        for name, dock in self.docks.items():
            if name in self.panels:
                dock.visibilityChanged.connect(lambda visible, n=name: self._panel_shown(n, visible))

    # --- worker → window ---------------------------------------------------------------------
    @QtCore.Slot(object)
    def on_snapshot(self, snapshot) -> None:
        arrived = time.perf_counter()  # the frame's cost counts from here: the curves draw below
        curves: CurvesPanel = self.panels["curves"]
        if not curves.loss_offset_ok(snapshot):
            self.worker.send("resend")  # a tail that does not fit: ask for the whole curve
        self.last_snapshot = snapshot
        self.status.show_snapshot(snapshot)
        self.probe.show_probe(snapshot)
        self.divergence_bar.show_snapshot(snapshot)
        self.health_bar.show_snapshot(snapshot)
        curves.show_snapshot(snapshot)  # always, even hidden: it must take every tail of the loss curve
        # Panels draw and paint in short event-loop turns, so the window never stops answering
        # for a whole frame (Qt would otherwise paint every dirty panel in one go).
        # Hidden panels (a closed dock, a back tab) are skipped; they catch up when shown.
        # (a dock behind a tab is "visible" to Qt, but shows nothing: its visible region is empty)
        self._to_draw = [p for p in self.panels.values() if not p.visibleRegion().isEmpty()]
        if not self._drawing:
            self._drawing = True
            self._frame_started = arrived
            QtCore.QTimer.singleShot(0, self._draw_next_panel)

    def _draw_next_panel(self) -> None:
        # Panels are drawn in turns of at most DRAW_SLICE seconds: one turn per panel made each
        # frame wait for the event loop six times (a frame took 60 ms instead of 35, and the
        # worker, which steps aside while a frame is drawn, lost that time too).
        turn_started = time.perf_counter()
        while self._to_draw and self.last_snapshot is not None:
            panel = self._to_draw.pop(0)
            if not isinstance(panel, CurvesPanel):  # the curves took this snapshot already
                panel.show_snapshot(self.last_snapshot)
            panel.paint_now()
            if self._to_draw and time.perf_counter() - turn_started > DRAW_SLICE:
                QtCore.QTimer.singleShot(0, self._draw_next_panel)  # let the window answer first
                return
        self._drawing = False
        self.frame_budget.add_frame(time.perf_counter() - self._frame_started)
        self.worker.frame_drawn()  # the worker may send the next periodic snapshot
        self.frame_finished.emit()

    def _panel_shown(self, name: str, visible: bool) -> None:
        if visible and self.last_snapshot is not None and name != "curves":
            self.panels[name].show_snapshot(self.last_snapshot)

    @QtCore.Slot(object)
    def on_run_loaded(self, info: RunInfo) -> None:
        self.run_info = info  # the controls took its config and architecture already
        self.status.total_epochs = info.config.training.epochs
        for panel in self.panels.values():
            panel.clear()
        self.panels["curves"].expect_splits(info.split_sizes)  # the legend's rows from the start
        self.docks["decision-boundary" if info.dataset_kind == "points" else "filters"].raise_()
        self.docks["feature-maps" if any(r.name.startswith("conv2d") for r in info.layers) else "activations"].raise_()
        self.setWindowTitle(f"nnviz · {info.config.preset} on {info.dataset_name}")
        self.health_bar.set_seed(info.config.training.seed)
        self.remember(info.config)
        self.session_runs.run_loaded()
        if self.autostart:
            self.autostart = False
            self.worker.send("start")

    @QtCore.Slot(str)
    def on_state_changed(self, state: str) -> None:
        if state == "running" and self.state != "running":
            self.frame_budget.restart()
            self.budget_timer.start()
        elif state != "running":
            self.budget_timer.stop()
        self.state = state
        self.run_actions.show_state(state)
        self.status.show_state(state)
        self.session_runs.state_changed(state)

    @QtCore.Slot(str, str)
    def on_worker_error(self, title: str, message: str) -> None:
        show_error(self, title, message)

    @QtCore.Slot(str)
    def on_load_failed(self, message: str) -> None:
        if self.config is not None:
            self.controls.set_config(self.config)  # back to the settings still in force
        show_error(self, "Cannot start this run", message)

    # --- window → worker ---------------------------------------------------------------------
    def load_config(self, config: RunConfig, model_path: str | None = None) -> None:
        """A new run (with the saved network of ``model_path`` if given); it ends an A/B twin."""
        self.stop_twin()
        self.worker.send("load", config, model_path)

    def send_run_command(self, command: str, *args) -> None:
        """Start, pause, step, stop and speed act on the run and on its A/B twin alike."""
        self.worker.send(command, *args)
        self.twin.send(command, *args)

    def toggle_run(self) -> None:
        self.send_run_command("pause" if self.state == "running" else "start")

    def confirm_new_run(self) -> bool:
        """True if nothing would be lost, or the user agrees to reset the current run."""
        if self.last_snapshot is None or self.last_snapshot.iteration == 0:
            return True
        answer = QtWidgets.QMessageBox.question(
            self, "Start a new run?", "This change needs a new network, so the current run (its curves "
            "and weights) is reset. Go ahead?")
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    # --- A/B twin, run overlays, downloads -----------------------------------------------------
    def start_twin(self, setting: str | None = None, value: str | None = None) -> bool:
        """Run menu → Run again with one change: A restarts, B (same seed, one change) beside it.
        ``setting``/``value`` skip the dialog (tests, scripts)."""
        if self.config is None:
            return False
        dialog = TwinDialog(self.config, self)
        if setting is not None:
            dialog.choose(setting, value)
            dialog.accept()
        elif dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return False
        if dialog.result_config is None or not self.confirm_new_run():
            return False
        self.stop_twin()
        self.worker.send("load", self.config)  # A from scratch: the same first weights as B
        self.twin.start(dialog.result_config, dialog.label, CHANGES[dialog.setting.currentText()][0])
        self.stop_twin_action.setEnabled(True)
        self.statusBar().showMessage(f"A/B: {dialog.label} trains alongside (Run → End the B run)", 8000)
        return True

    def stop_twin(self) -> None:
        self.twin.stop()
        if hasattr(self, "stop_twin_action"):
            self.stop_twin_action.setEnabled(False)

    def update_overlays(self) -> None:
        runs = self.session_runs.run_overlays  # the B run takes the next colour after the ticked runs
        self.panels["curves"].set_overlays(runs + self.twin.overlays_after(len(runs)))

    def on_download_requested(self, name: str, download_name: str, size: str) -> None:
        """A data set not here yet: ask, download behind a progress dialog, then use it."""
        answer = QtWidgets.QMessageBox.question(
            self, f"Download {name}?", f"{name} is not on this computer yet ({size}). Download it now? "
            "It is checked and kept in the download cache.")
        if answer != QtWidgets.QMessageBox.StandardButton.Yes:
            return
        result = download_dialog.fetch_with_dialog(download_name, self)
        if result is None:  # cancelled or failed (a failure was shown): the current data set stays
            self.statusBar().showMessage(f"{name} was not downloaded", 5000)
            return
        self.controls.refresh_datasets()
        self.controls.choose_dataset(name)

    def reset_run(self) -> None:
        if self.config is not None:
            self.load_config(self.config)

    def on_live_setting(self, name: str, value) -> None:
        """Learning rate, momentum and batch size act from the next batch; epochs extend the run."""
        if self.config is None:
            return
        self.worker.send("set_live", name, value)  # the worker answers with config_changed
        if self.twin.active and LIVE_SETTINGS[name].config_key != self.twin.dotted:
            self.twin.send("set_live", name, value)  # keep A and B different in one setting only

    def on_config_changed(self, config: RunConfig) -> None:
        """The worker's config after a live change (the controls keep it): shown and remembered."""
        self.status.total_epochs = config.training.epochs
        self.remember(config)

    @property
    def config(self) -> RunConfig | None:
        """The settings in force, as the worker last reported them; the controls hold them."""
        return self.controls.config

    def on_config_edited(self, config: RunConfig) -> None:
        """A change that needs a new network: ask first if the current run has progressed."""
        if not self.confirm_new_run():
            self.controls.set_config(self.config)
            return
        self.load_config(config)

    def retry_smaller_learning_rate(self, learning_rate: float) -> None:
        self.reset_with_changes({"optimizer.learning_rate": learning_rate})

    def reset_with_changes(self, changes: dict) -> None:
        if self.config is not None:
            self.load_config(self.config.with_changes(**changes))

    def remember(self, config: RunConfig) -> None:
        """Save ``config`` as the run to open next time, unless it is a fallback for missing data."""
        if not self.missing_data.is_fallback(config):
            stored.save_config(self.settings, config)

    def set_data_dir(self, folder: str) -> None:
        """The folder holding ``<data set>/`` for every run from now on, remembered across starts."""
        self.data_dir = folder
        for holder in (self.worker, self.controls, self.twin, self.lab_mode.tabs):
            holder.data_dir = folder
        stored.save_data_dir(self.settings, folder)
        self.controls.refresh_datasets()

    # --- layout and closing ------------------------------------------------------------------
    def set_snapshot_rate(self, per_second: float) -> None:
        """The most redraws per second (View menu); the frame budget may choose fewer."""
        self.worker.send("set_snapshot_rate", self.frame_budget.set_max_rate(per_second))
        self.settings.setValue("view/snapshot_rate", per_second)

    def set_draw_budget(self, share: float) -> None:
        """How much drawing may slow training (0.1: keep about 90 % of the headless speed)."""
        self.frame_budget.budget = share
        self.settings.setValue("view/draw_budget", share)

    def _check_frame_budget(self) -> None:
        rate = self.frame_budget.update()
        if rate is not None:
            self.worker.send("set_snapshot_rate", rate)

    def _restore_layout(self) -> None:
        geometry = stored.read_bytes(self.settings, "window/geometry")
        state = stored.read_bytes(self.settings, "window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
            screen_fit.clamp_to_screen(self)
        if state is not None and self.restoreState(state):
            self._compact = stored.read_bool(self.settings, "window/compact", False)
        self.run_actions.speed.setCurrentIndex(stored.read_index(self.settings, "run/speed_index",
                                                                 self.run_actions.speed.count()))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.lab_mode.set_mode(TRAINING)  # the layout saved is the training one
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/compact", bool(self._compact))
        self.settings.setValue("run/speed_index", self.run_actions.speed.currentIndex())
        self.settings.sync()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Stop the worker between two batches and end its thread; True if it ended in time."""
        if self._closed:
            return True
        self._closed = True
        self.lab_mode.shutdown()
        self.run_actions.keys.stop(), self.presentation.stop()  # app-wide filters end with the window
        stop_sweeps(self)  # their runs end interrupted; the same sweep resumes them
        twin_ended = self.twin.stop(timeout_ms)
        self.worker.send("quit")
        self.thread.quit()
        ended = self.thread.wait(timeout_ms)
        if ended:  # a run or live change the worker reported just before quitting reaches the controls
            QtCore.QCoreApplication.sendPostedEvents(self.controls, QtCore.QEvent.Type.MetaCall)
            if self.config is not None:
                self.remember(self.config)
                self.settings.sync()
        return ended and twin_ended


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")
