"""The real main window, offscreen: run controls, live settings, the confusion matrix, export, errors.

Runs use the first 2,000 MNIST training images (and 1,000 validation images) so each test takes a
second or two. Every test closes its window, which stops the worker and waits for its thread.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

import nnviz.ui  # noqa: F401  (the refcount guard, before any Qt call)
from nnviz.core.presets import preset_config
from nnviz.ui import settings as stored
from nnviz.ui.export import ExportDialog, ExportOptions
from nnviz.ui.main_window import MainWindow

TIMEOUT = 20_000  # ms; generous: CI machines may be busy


def small_config(preset: str = "nielsen", **changes):
    config = preset_config(preset)
    if config.data.name == "mnist":
        config = config.with_changes(**{"data.train_size": 2000, "data.val_size": 1000})
    return config.with_changes(**changes) if changes else config


def open_window(qtbot, tmp_path, data_dir, config) -> MainWindow:
    settings = QtCore.QSettings(str(tmp_path / "nnviz.ini"), QtCore.QSettings.Format.IniFormat)
    stored.save_config(settings, config)  # the window opens with the last run's settings
    window = MainWindow(data_dir=str(data_dir) if data_dir else None, settings=settings)
    window.resize(1500, 920)  # the 2x2 grid (below 1500 px the panels are tabs)
    window.show()
    qtbot.waitUntil(lambda: window.state == "ready" and window.last_snapshot is not None, timeout=TIMEOUT)
    return window


@pytest.fixture
def window(qtbot, tmp_path, shared_data_dir):
    window = open_window(qtbot, tmp_path, shared_data_dir, small_config())
    yield window
    close_window(window)


def close_window(window: MainWindow) -> None:
    window.close()
    assert window.thread.wait(2000), "the worker thread did not end"
    assert window.thread.isFinished()


def image_array(path) -> np.ndarray:
    image = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_RGB32)
    buffer = image.constBits()
    pixels = np.frombuffer(buffer, dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    return pixels[:, : image.width() * 4].copy()  # the QImage is freed on return


def test_opens_ready_with_the_architecture_and_parameter_counts(window):
    assert window.run_info.config.preset == "nielsen"
    assert "23,860" in window.controls.totals.text()  # [784, 30, 10]: the lectures' number
    assert window.controls.table.rowCount() == len(window.run_info.layers) + 1
    assert window.run_actions.start_pause.isEnabled()
    assert "Epoch 1 / 30" in window.status.run_label.text()


def test_start_pause_resume(qtbot, window):
    window.run_actions.start_pause.trigger()
    qtbot.waitUntil(lambda: window.state == "running", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration > 20, timeout=TIMEOUT)
    assert window.run_actions.start_pause.text() == "Pause"
    assert not window.run_actions.step_batch.isEnabled()
    window.run_actions.start_pause.trigger()
    qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT)
    paused_at = window.worker.trainer.iteration
    qtbot.wait(300)
    assert window.worker.trainer.iteration == paused_at  # paused within one batch, and stays paused
    assert window.last_snapshot.iteration == paused_at  # a snapshot on pause
    assert window.run_actions.start_pause.text() == "Resume"
    window.run_actions.start_pause.trigger()
    qtbot.waitUntil(lambda: window.last_snapshot.iteration > paused_at + 20, timeout=TIMEOUT)


def test_space_starts_and_pauses(qtbot, window):
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.state == "running", timeout=TIMEOUT)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT)


def test_step_batch_moves_one_iteration_and_adds_one_loss_point(qtbot, window):
    curves = window.panels["curves"]
    for expected in (1, 2, 3):
        with qtbot.waitSignal(window.frame_finished, timeout=TIMEOUT):
            window.run_actions.step_batch.trigger()
        assert window.last_snapshot.iteration == expected
        assert curves.n_points == expected
        assert window.worker.trainer.iteration == expected
    assert window.state == "paused"
    assert "batch 3 / 200" in window.status.run_label.text()


def test_step_epoch_completes_one_epoch(qtbot, window):
    window.run_actions.step_epoch.trigger()
    qtbot.waitUntil(lambda: window.state == "paused" and window.last_snapshot.epoch == 1, timeout=TIMEOUT)
    snapshot = window.last_snapshot
    assert snapshot.iteration == 200 and snapshot.batch_in_epoch == 0  # 2,000 examples in batches of 10
    assert snapshot.epochs.epoch.tolist() == [1.0]
    assert window.panels["curves"].n_points == 200
    assert "validation accuracy" in window.status.accuracy_label.text()


def test_confusion_matrix_counts_add_up_to_the_split(qtbot, window):
    confusion = window.panels["confusion"]
    with qtbot.waitSignal(window.frame_finished, timeout=TIMEOUT):
        window.run_actions.step_epoch.trigger()
    qtbot.waitUntil(lambda: confusion.matrix is not None, timeout=TIMEOUT)
    assert confusion.matrix.sum() == window.run_info.split_sizes["val"] == 1000
    confusion.split_box.setCurrentIndex(confusion.split_box.findData("test"))
    qtbot.waitUntil(lambda: confusion.matrix is not None and confusion.matrix.sum() == 10000, timeout=TIMEOUT)
    assert window.last_snapshot.confusion_split == "test"


def test_learning_rate_change_mid_run_reaches_the_stepper(qtbot, window):
    window.run_actions.start_pause.trigger()
    qtbot.waitUntil(lambda: window.state == "running", timeout=TIMEOUT)
    window.controls.learning_rate.setValue(0.5)
    qtbot.waitUntil(lambda: window.last_snapshot.learning_rate == pytest.approx(0.5), timeout=TIMEOUT)
    assert window.state == "running"  # no reset: the same run goes on
    assert window.worker.trainer.optimizer.learning_rate == pytest.approx(0.5)
    assert window.config.optimizer.learning_rate == pytest.approx(0.5)


def test_a_change_that_needs_a_new_network_asks_first(qtbot, window, monkeypatch):
    with qtbot.waitSignal(window.frame_finished, timeout=TIMEOUT):
        window.run_actions.step_batch.trigger()
    answers = [QtWidgets.QMessageBox.StandardButton.No, QtWidgets.QMessageBox.StandardButton.Yes]
    asked = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *a, **k: asked.append(a) or answers.pop(0))
    window.controls.hidden.setText("100")
    window.controls.hidden.editingFinished.emit()
    assert len(asked) == 1 and window.config.model.hidden == [30]
    assert window.controls.hidden.text() == "30"  # the settings in force are shown again
    window.controls.hidden.setText("100")
    window.controls.hidden.editingFinished.emit()
    qtbot.waitUntil(lambda: window.config.model.hidden == [100], timeout=TIMEOUT)
    assert "79,510" in window.controls.totals.text()  # 784*100 + 100 + 100*10 + 10
    qtbot.waitUntil(lambda: window.last_snapshot.first_layer_weights.shape == (784, 100), timeout=TIMEOUT)
    assert window.last_snapshot.iteration == 0


def test_export_writes_a_png_of_the_requested_width(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.frame_finished, timeout=TIMEOUT):
        window.run_actions.step_epoch.trigger()
    qtbot.waitUntil(lambda: window.last_snapshot.epoch == 1, timeout=TIMEOUT)
    for name in ("curves", "filters", "confusion"):
        window.docks[name].raise_()
        path = window.write_panel(window.panels[name], ExportOptions(tmp_path / f"{name}.png", 1280, True))
        pixels = image_array(path)
        assert QtGui.QImage(str(path)).width() == 1280
        assert pixels.std() > 10, f"{name}.png is blank"
        assert (pixels[:5, :5] == 255).all(), "the background should be white"


def test_export_dialog_path_and_svg(qtbot, window, tmp_path, monkeypatch):
    target = tmp_path / "loss.svg"
    monkeypatch.setattr(ExportDialog, "ask", classmethod(lambda cls, *a, **k: ExportOptions(target)))
    window.export_panel(window.panels["curves"], "svg")
    assert target.read_text().lstrip().startswith("<?xml")


def test_export_to_an_unwritable_place_shows_an_error_and_the_window_goes_on(qtbot, window, tmp_path,
                                                                                monkeypatch):
    shown = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *args: shown.append(args))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(ExportDialog, "ask", classmethod(
        lambda cls, *a, **k: ExportOptions(blocker / "curves.png", 1920, True)))
    window.export_panel(window.panels["curves"], "png")
    assert len(shown) == 1 and "Could not write" in shown[0][2]
    assert window.export_all_panels(str(blocker / "sub")) == []
    assert len(shown) == 2
    with qtbot.waitSignal(window.frame_finished, timeout=TIMEOUT):  # still alive and training
        window.run_actions.step_batch.trigger()
    assert window.last_snapshot.iteration == 1


def test_export_all_writes_every_panel_with_readable_names(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.frame_finished, timeout=TIMEOUT):
        window.run_actions.step_batch.trigger()
    written = window.export_all_panels(str(tmp_path / "slides"))
    assert sorted(p.name for p in written) == ["activations.png", "confusion.png", "curves.png",
                                               "feature-maps.png", "filters.png"]


def test_probe_controls_choose_the_input(qtbot, window):
    window.probe.index_box.setValue(42)
    qtbot.waitUntil(lambda: window.last_snapshot.probe_index == 42, timeout=TIMEOUT)
    window.probe.request("next")
    qtbot.waitUntil(lambda: window.last_snapshot.probe_index == 43, timeout=TIMEOUT)
    window.probe.request("misclassified")  # the untrained network gets most wrong
    qtbot.waitUntil(lambda: window.last_snapshot.probe_index != 43, timeout=TIMEOUT)
    snapshot = window.last_snapshot
    assert snapshot.probe_prediction != snapshot.probe_label


def test_gui_thread_never_stalls_while_nielsen_trains(qtbot, tmp_path, shared_data_dir):
    """A 10 ms timer on the GUI thread: no gap over 100 ms while the real nielsen preset (50,000
    training images, epochs of 5,000 batches) trains flat out."""
    window = open_window(qtbot, tmp_path, shared_data_dir, preset_config("nielsen"))
    try:
        check_no_stall(qtbot, window)
    finally:
        close_window(window)


def check_no_stall(qtbot, window) -> None:
    """Up to three 2-second probes: a GUI that really blocks fails all three, while a burst of load
    from other processes on a shared test machine rarely spoils every one."""
    gaps, last = [], [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QtCore.QTimer()
    timer.timeout.connect(tick)
    window.run_actions.start_pause.trigger()
    qtbot.waitUntil(lambda: window.state == "running", timeout=TIMEOUT)
    qtbot.wait(500)  # the first frames lay the panels out
    worst = []
    for _ in range(3):
        gaps.clear()
        last[0] = time.perf_counter()
        iteration = window.last_snapshot.iteration
        timer.start(10)
        qtbot.wait(2000)
        timer.stop()
        assert window.last_snapshot.iteration > iteration  # it trained and drew meanwhile
        worst.append(max(gaps))
        if worst[-1] < 0.100:
            return
    pytest.fail(f"GUI thread stalled: worst gaps {[round(g * 1000) for g in worst]} ms")


def test_divergence_offers_a_smaller_learning_rate(qtbot, tmp_path, shared_data_dir):
    window = open_window(qtbot, tmp_path, shared_data_dir,
                         small_config("mlp-3layer", **{"optimizer.learning_rate": 50.0}))
    try:
        window.run_actions.start_pause.trigger()
        qtbot.waitUntil(lambda: window.state == "diverged", timeout=TIMEOUT)
        qtbot.waitUntil(lambda: window.divergence_bar.isVisible(), timeout=TIMEOUT)
        assert "learning rate 5" in window.divergence_bar.button.text()
        assert "diverged" in window.status.run_label.text()
        window.divergence_bar.button.click()
        qtbot.waitUntil(lambda: window.state == "ready" and window.config.optimizer.learning_rate == 5.0,
                        timeout=TIMEOUT)
        qtbot.waitUntil(lambda: not window.divergence_bar.isVisible(), timeout=TIMEOUT)
    finally:
        close_window(window)


def reopened(qtbot, tmp_path, data_dir) -> MainWindow:
    """The window of the next start (the same settings file), ready; closed again if it never is."""
    settings = QtCore.QSettings(str(tmp_path / "nnviz.ini"), QtCore.QSettings.Format.IniFormat)
    again = MainWindow(data_dir=str(data_dir), settings=settings)
    again.show()
    try:
        qtbot.waitUntil(lambda: again.state == "ready", timeout=TIMEOUT)
    except BaseException:
        close_window(again)
        raise
    return again


def test_settings_and_layout_are_remembered(qtbot, tmp_path, shared_data_dir):
    window = open_window(qtbot, tmp_path, shared_data_dir, small_config())
    window.controls.epochs.setValue(3)
    window.docks["confusion"].close()
    close_window(window)
    again = reopened(qtbot, tmp_path, shared_data_dir)
    try:
        assert again.config.training.epochs == 3 and again.config.data.train_size == 2000
        assert not again.docks["confusion"].isVisible()
    finally:
        close_window(again)


def test_a_new_network_asked_for_just_before_closing_is_the_run_opened_next_time(qtbot, tmp_path,
                                                                               shared_data_dir):
    """The window holds no config of its own and never reads the worker's: the run the worker built
    while the window closed still reaches the controls, and is the one remembered."""
    window = open_window(qtbot, tmp_path, shared_data_dir, small_config())
    assert window.config.training.seed != 7
    window.controls.seed.setValue(7)  # a new network: the worker builds it while the window closes
    close_window(window)
    again = reopened(qtbot, tmp_path, shared_data_dir)
    try:
        assert again.config.training.seed == 7 and again.controls.seed.value() == 7
        assert again.config.data.train_size == 2000
    finally:
        close_window(again)


def test_two_dimensional_presets_draw_every_panel(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, None, small_config("perceptron-blobs"))
    try:
        for preset in ("perceptron-blobs", "perceptron-xor", "xor-mlp", "xor-hand"):
            if preset != window.config.preset:
                window.load_config(small_config(preset))
                qtbot.waitUntil(lambda: window.config.preset == preset and window.state == "ready", timeout=TIMEOUT)
            assert window.docks["decision-boundary"].isVisible()  # the input plane is in front for 2-D data
            window.run_actions.step_epoch.trigger()
            qtbot.waitUntil(lambda: window.state in ("paused", "finished") and window.last_snapshot.epoch >= 1,
                            timeout=TIMEOUT)
            for panel in window.panels.values():  # every panel, including the ones behind tabs
                panel.show_snapshot(window.last_snapshot)
            plane = window.panels["decision-boundary"]
            assert plane.background.image is not None and plane.background.image.shape == (80, 80)
        written = window.export_all_panels(str(tmp_path / "png"))
        assert "decision-boundary.png" in [p.name for p in written]
    finally:
        close_window(window)
