"""A first start without MNIST (the real window, offscreen, no data anywhere): the window says
MNIST is missing and offers Download / Choose a folder… / Use XOR for now; the XOR fallback is never
remembered as the user's choice. And a run that learns nothing says so in a bar."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6 import QtCore, QtWidgets

import nnviz.ui  # noqa: F401  (the refcount guard, before any Qt call)
from nnviz.core.data.downloads import FetchResult
from nnviz.core.data.loading import dataset_cache_dir
from nnviz.ui import download_dialog, notice_bars
from nnviz.ui import settings as stored
from nnviz.ui.main_window import MainWindow
from test_gui_window import TIMEOUT, close_window, open_window, small_config

pytestmark = pytest.mark.usefixtures("isolated_data_env")  # no MNIST, no Fashion-MNIST anywhere


def ini(tmp_path: Path) -> QtCore.QSettings:
    return QtCore.QSettings(str(tmp_path / "nnviz.ini"), QtCore.QSettings.Format.IniFormat)


def start_window(qtbot, settings: QtCore.QSettings, data_dir: str | None = None) -> MainWindow:
    window = MainWindow(data_dir=data_dir, settings=settings)
    window.resize(1400, 900)
    window.show()
    qtbot.waitUntil(lambda: window.state == "ready" and window.last_snapshot is not None, timeout=TIMEOUT)
    return window


def saved_run(settings: QtCore.QSettings) -> tuple[str, str] | None:
    settings.sync()
    text = settings.value("run/config", "")
    if not text:
        return None
    config = json.loads(text)
    return config["preset"], config["data"]["name"]


def bar_buttons(window: MainWindow) -> dict[str, QtWidgets.QPushButton]:
    bar = window.missing_data
    return {button.text(): button for button in bar.findChildren(QtWidgets.QPushButton) if button.isVisibleTo(bar)}


def test_first_start_without_mnist_offers_download_folder_or_xor_and_does_not_remember_xor(qtbot, tmp_path):
    settings = ini(tmp_path)
    window = start_window(qtbot, settings)
    try:
        assert window.config.preset == "xor-mlp"  # something to show at once
        bar = window.missing_data
        assert bar.isVisible()
        assert "MNIST not found" in bar.label.text()
        assert set(bar_buttons(window)) == {"Download (11.6 MB)", "Choose a folder…", "Use XOR for now"}
        bar_buttons(window)["Use XOR for now"].click()
        assert not bar.isVisible()
        assert "asks again" in window.statusBar().currentMessage()
        window.controls.live_setting_changed.emit("learning_rate", 0.5)  # playing with the fallback
        qtbot.waitUntil(lambda: window.config.optimizer.learning_rate == 0.5, timeout=TIMEOUT)
    finally:
        close_window(window)
    assert saved_run(settings) is None  # the fallback did not become the choice

    window = start_window(qtbot, ini(tmp_path))  # the next start asks again
    try:
        assert window.missing_data.isVisible() and window.config.preset == "xor-mlp"
    finally:
        close_window(window)


def test_a_saved_choice_whose_data_went_missing_is_kept(qtbot, tmp_path):
    settings = ini(tmp_path)
    stored.save_config(settings, small_config("nielsen"))
    window = start_window(qtbot, settings)
    try:
        assert window.config.preset == "xor-mlp" and window.missing_data.isVisible()
        assert "nielsen needs it" in window.missing_data.label.text()
    finally:
        close_window(window)
    assert saved_run(settings) == ("nielsen", "mnist")


def test_a_folder_without_mnist_says_what_it_needs(qtbot, tmp_path, monkeypatch):
    window = start_window(qtbot, ini(tmp_path))
    shown = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    monkeypatch.setattr(notice_bars, "show_error", lambda *args: shown.append(args))
    try:
        bar_buttons(window)["Choose a folder…"].click()
        assert shown and "train-images-idx3-ubyte.gz" in shown[0][2]
        assert window.missing_data.isVisible() and window.config.preset == "xor-mlp"
    finally:
        close_window(window)


def test_choosing_the_folder_opens_nielsen_on_mnist_and_remembers_both(qtbot, tmp_path, monkeypatch,
                                                                         shared_data_dir):
    settings = ini(tmp_path)
    stored.save_config(settings, small_config("nielsen"))
    window = start_window(qtbot, settings)
    picked = shared_data_dir / "mnist"  # the mnist folder itself will do, as its parent would
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory", lambda *a, **k: str(picked))
    try:
        bar_buttons(window)["Choose a folder…"].click()
        qtbot.waitUntil(lambda: window.config.preset == "nielsen" and window.state == "ready", timeout=TIMEOUT)
        assert window.config.data.name == "mnist" and not window.missing_data.isVisible()
        assert window.worker.data_dir == str(shared_data_dir)
    finally:
        close_window(window)
    assert saved_run(settings) == ("nielsen", "mnist")
    window = start_window(qtbot, ini(tmp_path))  # the folder is remembered: no question next time
    try:
        assert window.config.preset == "nielsen" and not window.missing_data.isVisible()
    finally:
        close_window(window)


def test_download_fetches_mnist_and_opens_the_chosen_run(qtbot, tmp_path, monkeypatch, shared_data_dir):
    settings = ini(tmp_path)
    stored.save_config(settings, small_config("nielsen"))
    window = start_window(qtbot, settings)
    fetched = []

    def fake_fetch(name, parent=None, **kwargs):  # the dialog itself is tested in test_gui_download_dialog
        fetched.append(name)
        target = dataset_cache_dir(name)
        shutil.copytree(shared_data_dir / "mnist", target)
        return FetchResult(name, target, ["all"], 1)

    monkeypatch.setattr(download_dialog, "fetch_with_dialog", fake_fetch)
    try:
        bar_buttons(window)["Download (11.6 MB)"].click()
        assert fetched == ["mnist"]
        qtbot.waitUntil(lambda: window.config.preset == "nielsen" and window.state == "ready", timeout=TIMEOUT)
        assert not window.missing_data.isVisible()
    finally:
        close_window(window)
    assert saved_run(settings) == ("nielsen", "mnist")


def test_start_run_keeps_the_choice_and_names_what_is_missing(tmp_path):
    settings = ini(tmp_path)
    start = stored.start_run(settings, None, None)
    assert start.config.preset == "xor-mlp" and start.missing == "mnist" and start.wanted.preset == "nielsen"
    start = stored.start_run(settings, None, "xor-hand")
    assert start.config.preset == "xor-hand" and start.missing is None


# --- a run that learns nothing ----------------------------------------------------------------
def test_a_run_stuck_at_chance_shows_a_bar_that_resets_with_a_sane_learning_rate(qtbot, tmp_path,
                                                                                    shared_data_dir):
    window = open_window(qtbot, tmp_path, shared_data_dir, small_config(**{"optimizer.learning_rate": 1000.0}))
    try:
        assert not window.health_bar.isVisible()
        window.run_actions.step_epoch.trigger()
        qtbot.waitUntil(lambda: window.health_bar.isVisible(), timeout=TIMEOUT)
        text = window.health_bar.label.text()
        assert "stuck at chance" in text and "learning rate 1000" in text
        assert window.health_bar.button.text() == "Reset with learning rate 3"
        window.health_bar.button.click()
        qtbot.waitUntil(lambda: window.config.optimizer.learning_rate == 3.0 and window.state == "ready",
                        timeout=TIMEOUT)
        qtbot.waitUntil(lambda: not window.health_bar.isVisible(), timeout=TIMEOUT)
    finally:
        close_window(window)


def test_the_health_bar_names_a_dead_output_unit_and_offers_another_seed(qtbot):
    import dataclasses

    import numpy as np

    from nnviz.core.presets import preset_config
    from nnviz.core.record import build_record
    from nnviz.core.run_health import diagnose
    from nnviz.core.trainer import Trainer
    from nnviz.ui.notice_bars import HealthBar

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 500)
    values = rng.uniform(0.0, 0.2, (500, 10))
    values[np.arange(500), labels] = 0.9
    values[:, 7] = 1e-4
    health = diagnose(values, values.argmax(1), labels, accuracy=0.85, n_classes=10, epoch=4)
    record = dataclasses.replace(build_record(Trainer(preset_config("xor-mlp"))), health=health)
    window = QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    bar = HealthBar(window)
    bar.set_seed(0)
    window.show()
    requested = []
    bar.reset_requested.connect(requested.append)
    bar.show_snapshot(record)
    assert bar.isVisible()
    assert "output unit 7 is never predicted: saturated" in bar.label.text()
    assert bar.button.text() == "Reset with seed 1"
    bar.button.click()
    assert requested == [{"training.seed": 1}]
    bar.show_snapshot(dataclasses.replace(record, health=None))
    assert not bar.isVisible()


def test_a_shortcut_typed_on_the_missing_data_bar_works(qtbot, tmp_path):
    window = start_window(qtbot, ini(tmp_path))
    try:
        button = bar_buttons(window)["Choose a folder…"]
        button.setFocus()
        qtbot.waitUntil(button.hasFocus, timeout=TIMEOUT)
        # The key travels up through the bar: its own "window" attribute once hid QWidget.window()
        # and the app-wide key filter raised instead (an "unexpected error" box on a first start).
        qtbot.keyClick(button, QtCore.Qt.Key.Key_2, QtCore.Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: window.lab_mode.mode == "labs", timeout=TIMEOUT)
    finally:
        close_window(window)
