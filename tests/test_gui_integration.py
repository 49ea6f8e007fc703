"""Features wired into the real main window: labs mode, the Runs dock (overlays, save, reopen),
the data-set picker with downloads, and the A/B twin. Offscreen; every test closes its window,
which stops the worker, the twin and the labs' threads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

import nnviz.ui  # noqa: F401  (the refcount guard, before any Qt call)
from nnviz.cli import main as cli_main
from nnviz.core.presets import preset_config
from nnviz.ui import settings as stored
from nnviz.ui.main_window import MainWindow

TIMEOUT = 20_000


@pytest.fixture(autouse=True)
def no_modal_boxes(monkeypatch):
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Yes)
    warnings: list[str] = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda _p, title, text, *a, **k: warnings.append(text))
    return warnings


def open_window(qtbot, tmp_path, data_dir, config) -> MainWindow:
    settings = QtCore.QSettings(str(tmp_path / "nnviz.ini"), QtCore.QSettings.Format.IniFormat)
    settings.setValue("runs/session_folder", str(tmp_path / "session-runs"))
    stored.save_config(settings, config)
    window = MainWindow(data_dir=str(data_dir) if data_dir else None, settings=settings)
    window.resize(1500, 920)  # the 2x2 grid (below 1500 px the panels are tabs)
    window.show()
    qtbot.waitUntil(lambda: window.state == "ready" and window.last_snapshot is not None, timeout=TIMEOUT)
    return window


def close_window(window: MainWindow) -> None:
    twin_thread = window.twin.thread
    window.close()
    assert window.thread.wait(2000), "the worker thread did not end"
    assert window.thread.isFinished()
    assert twin_thread is None or twin_thread.isFinished()


def small_mnist(preset: str = "nielsen", **changes):
    config = preset_config(preset).with_changes(**{"data.train_size": 500, "data.val_size": 200,
                                                   "data.test_size": 200})
    return config.with_changes(**changes) if changes else config


def xor_config(**changes):
    config = preset_config("xor-mlp")
    return config.with_changes(**changes) if changes else config


# --- 1. labs ------------------------------------------------------------------------------------
def test_labs_mode_opens_xor_and_close_shuts_labs_down(qtbot, tmp_path, monkeypatch):
    window = open_window(qtbot, tmp_path, None, xor_config())
    curves_dock = window.docks["curves"]
    assert curves_dock.isVisible() and not window.lab_mode.tabs.isVisible()
    lab = window.lab_mode.open_lab("xor")
    qtbot.waitUntil(lambda: lab.isVisible(), timeout=TIMEOUT)
    assert window.lab_mode.mode == "labs" and window.lab_mode.labs_action.isChecked()
    assert window.lab_mode.tabs.tabText(window.lab_mode.tabs.currentIndex()) == "XOR by hand"
    assert not curves_dock.isVisible() and not window.run_actions.toolbar.isVisible()
    window.lab_mode.training_action.trigger()  # back: the panels where they were
    assert curves_dock.isVisible() and not lab.isVisible()
    window.lab_mode.labs_action.trigger()
    assert lab.isVisible()
    calls = []
    original = window.lab_mode.tabs.shutdown
    monkeypatch.setattr(window.lab_mode.tabs, "shutdown", lambda: (calls.append(1), original()))
    close_window(window)
    assert calls, "closing the window must stop the labs"


# --- 2. runs --------------------------------------------------------------------------------------
def train_toy_run(folder: Path, *extra: str) -> Path:
    assert cli_main(["train", "--preset", "xor-mlp", "--epochs", "5", "--out", str(folder), "--quiet", *extra]) == 0
    return folder


def test_ticking_two_runs_overlays_their_curves_and_reopen_loads_one(qtbot, tmp_path):
    runs = tmp_path / "runs"
    train_toy_run(runs / "run-a")
    train_toy_run(runs / "run-b", "--lr", "0.5")
    window = open_window(qtbot, tmp_path, None, xor_config())
    try:
        panel = window.session_runs.panel
        panel.set_folder(runs)
        assert panel.tree.topLevelItemCount() == 2
        curves = window.panels["curves"]
        loss_items = len(curves.loss_plot.listDataItems())
        accuracy_items = len(curves.accuracy_plot.listDataItems())
        for path in panel.run_folders():
            panel.set_ticked(path)
        # named by what they change from the run in the window (its folder's name only to tell twins apart)
        assert curves.overlay_labels == ["epochs=5 (run-a)", "epochs=5 (run-b)"]
        assert len(curves.loss_plot.listDataItems()) == loss_items + 2
        assert len(curves.accuracy_plot.listDataItems()) == accuracy_items + 2
        x, _ = curves._overlay_items["epochs=5 (run-b)"][1].getData()
        assert len(x) == 5  # one point per epoch
        panel.untick_all()
        assert curves.overlay_labels == []
        # reopen: config into the controls, the saved model into a new trainer, its curve overlaid
        with qtbot.waitSignal(window.worker.run_loaded, timeout=TIMEOUT):
            window.session_runs.reopen(runs / "run-b")
        qtbot.waitUntil(lambda: window.config is not None and window.config.optimizer.learning_rate == 0.5,
                        timeout=TIMEOUT)
        assert window.controls.learning_rate.value() == 0.5
        qtbot.waitUntil(lambda: curves.overlay_labels == ["same settings"], timeout=TIMEOUT)  # run-b is in the window
    finally:
        close_window(window)


def test_save_run_writes_a_folder_the_runs_dock_lists(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, None, xor_config(**{"training.epochs": 2}))
    try:
        with qtbot.waitSignal(window.worker.run_saved, timeout=TIMEOUT) as saved:
            window.send_run_command("start")  # finishes after 2 epochs and is saved by itself
        path = Path(saved.args[0])
        assert (path / "model.npz").exists() and (path / "metrics.csv").exists()
        assert path.parent == tmp_path / "session-runs"
        qtbot.waitUntil(lambda: window.session_runs.panel.tree.topLevelItemCount() == 1, timeout=TIMEOUT)
    finally:
        close_window(window)


# --- 3. data-set picker -------------------------------------------------------------------------
def test_picker_offers_cifar10_download_and_a_failed_download_keeps_the_data_set(
        qtbot, tmp_path, monkeypatch, shared_data_dir):
    monkeypatch.setenv("NNVIZ_CACHE_DIR", str(tmp_path / "cache"))
    fetched = []
    monkeypatch.setattr("nnviz.ui.download_dialog.fetch_with_dialog",
                        lambda name, parent=None, **k: fetched.append(name))  # returns None: cancelled
    window = open_window(qtbot, tmp_path, shared_data_dir, small_mnist())
    try:
        entries = dict(window.controls.dataset_entries())
        assert entries["mnist"] == "mnist"
        assert "download" in entries["cifar10"] and "MB" in entries["cifar10"]
        box = window.controls.dataset_box
        index = box.findData("cifar10")
        box.setCurrentIndex(index)
        box.activated.emit(index)
        assert fetched == ["cifar10"]
        assert box.currentData() == "mnist"
        qtbot.wait(200)
        assert window.config.data.name == "mnist" and window.state == "ready" and window.isVisible()
    finally:
        close_window(window)


# --- 4. A/B twin --------------------------------------------------------------------------------
def test_ab_twin_trains_alongside_and_both_curves_show(qtbot, tmp_path, shared_data_dir):
    window = open_window(qtbot, tmp_path, shared_data_dir, small_mnist())
    try:
        with qtbot.waitSignal(window.worker.run_loaded, timeout=TIMEOUT):  # A restarts from scratch
            assert window.start_twin("learning rate", "0.5")
        twin = window.twin
        qtbot.waitUntil(lambda: twin.state == "ready" and window.state == "ready", timeout=TIMEOUT)
        a_weights = window.worker.trainer.network.state_dict()
        b_weights = twin.worker.trainer.network.state_dict()
        assert all((a_weights[k] == b_weights[k]).all() for k in a_weights)  # same seed, same first weights
        assert twin.worker.trainer.learning_rate == 0.5 and window.worker.trainer.learning_rate == 3.0
        window.run_actions.step_epoch.trigger()
        curves = window.panels["curves"]
        qtbot.waitUntil(lambda: window.state == "paused" and twin.state == "paused", timeout=TIMEOUT)
        qtbot.waitUntil(lambda: twin.overlay is not None and twin.overlay.epoch.size == 1, timeout=TIMEOUT)
        assert window.worker.trainer.epoch == 1 and twin.worker.trainer.epoch == 1
        assert curves.overlay_labels == ["B: lr=0.5"]
        qtbot.waitUntil(lambda: len(curves.epoch_accuracy["val"].getData()[0] or []) == 1, timeout=TIMEOUT)
        x, _ = curves._overlay_items["B: lr=0.5"][1].getData()
        assert len(x) == 1
        # B's training loss per iteration is drawn too: one point per batch, ending at epoch 1
        b_iterations = twin.worker.trainer.iteration
        qtbot.waitUntil(lambda: twin.overlay.iteration_loss.size == b_iterations, timeout=TIMEOUT)
        np.testing.assert_array_equal(twin.overlay.iteration_loss, twin.worker.trainer.history.iteration_loss)
        line = curves._overlay_lines["B: lr=0.5"]
        line_x, line_y = line.xData, line.yData  # all points (getData may thin them for display)
        assert len(line_x) == b_iterations and abs(line_x[-1] - 1.0) < 1e-9 and np.all(np.isfinite(line_y))
        window.run_actions.stop.trigger()
        qtbot.waitUntil(lambda: window.state == "stopped" and twin.state == "stopped", timeout=TIMEOUT)
    finally:
        close_window(window)
