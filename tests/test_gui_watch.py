"""The real window's runs written as they train, and Run → Sweep…: the sweep runs in its own process, on
the local pool or on the real single-node Slurm, and its runs appear live in a watch window, overlaid
and named by what differs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6 import QtCore

import nnviz.ui  # noqa: F401  (the refcount guard, before any Qt call)
from nnviz.ui import settings as stored
from nnviz.ui.main_window import MainWindow
from nnviz.ui.sweep_launch import SweepDialog, SweepRequest

from test_slurm import slurm_cluster  # noqa: F401  (the module's fixture: a real Slurm)
from test_gui_window import small_config

TIMEOUT = 60_000


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QtCore.QSettings(str(tmp_path / "nnviz.ini"), QtCore.QSettings.Format.IniFormat)
    settings.setValue("runs/session_folder", str(tmp_path / "session-runs"))
    stored.save_config(settings, small_config("xor-mlp", **{"data.name": "spiral", "training.batch_size": 1,
                                                            "training.epochs": 60}))
    window = MainWindow(data_dir=None, settings=settings)
    window.show()
    qtbot.waitUntil(lambda: window.state == "ready", timeout=TIMEOUT)
    yield window
    window.close()
    assert window.thread.wait(2000)


def test_the_windows_run_is_written_as_it_trains(qtbot, window, tmp_path):
    from nnviz.core.run_folder.follow import RunFollower

    saved: list[str] = []
    window.worker.run_saved.connect(saved.append)
    with qtbot.waitSignal(window.worker.run_started, timeout=TIMEOUT) as started:
        window.send_run_command("start")
    follower = RunFollower(started.args[0])
    assert follower.folder.parent == tmp_path / "session-runs"
    qtbot.waitUntil(lambda: follower.poll() and follower.epochs.n_rows >= 2 and follower.status() == "running",
                    timeout=TIMEOUT)
    tree = window.session_runs.panel.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() == 1, timeout=TIMEOUT)  # listed from its first batch
    qtbot.waitUntil(lambda: "(running, epoch" in tree.topLevelItem(0).text(3), timeout=TIMEOUT)  # updated live
    qtbot.waitUntil(lambda: bool(saved), timeout=TIMEOUT)  # it finishes and is saved by itself:
    assert saved == [started.args[0]]  # the folder it wrote as it went, nothing written twice
    follower.poll()
    assert follower.status() == "finished" and follower.epochs.n_rows == 60
    assert sorted(p.name for p in (tmp_path / "session-runs").iterdir()) == [follower.folder.name]
    qtbot.waitUntil(lambda: tree.topLevelItem(0).text(3).endswith("%"), timeout=TIMEOUT)  # finished: the accuracy
    # Reset starts a new run: the next folder; Stop leaves it interrupted.
    window.worker.send("reset")
    with qtbot.waitSignal(window.worker.run_started, timeout=TIMEOUT) as second:
        window.send_run_command("start")
    window.send_run_command("stop")
    qtbot.waitUntil(lambda: window.state == "stopped", timeout=TIMEOUT)
    assert json.loads((Path(second.args[0]) / "metrics.json").read_text())["state"] == "interrupted"


LOGGER = ("import sys, time\nimport nnviz.log as nlog\nrun = nlog.open_run(sys.argv[1], config={'lr': 0.5})\n"
          "epoch = 0\nwhile True:\n    epoch += 1\n    run.log(loss=1.0 / epoch)\n"
          "    run.log_epoch(val_accuracy=0.5)\n    time.sleep(0.2)\n")


def test_the_runs_dock_lists_a_run_another_process_starts_and_shows_it_stalled(qtbot, window, tmp_path,
                                                                                monkeypatch):
    import os
    import signal
    import subprocess
    import sys

    from PySide6 import QtWidgets

    runs = tmp_path / "class-runs"
    runs.mkdir()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory", staticmethod(lambda *args, **kwargs: str(runs)))
    window.session_runs.choose_action.trigger()
    tree = window.session_runs.panel.tree
    assert tree.topLevelItemCount() == 0
    script = tmp_path / "logger.py"
    script.write_text(LOGGER)
    writer = subprocess.Popen([sys.executable, str(script), str(runs / "mine")],
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    try:  # listed without pressing Refresh, and updated in place while it grows
        qtbot.waitUntil(lambda: tree.topLevelItemCount() == 1 and "(running, epoch" in tree.topLevelItem(0).text(3),
                        timeout=TIMEOUT)
        first = tree.topLevelItem(0).text(3)
        qtbot.waitUntil(lambda: tree.topLevelItem(0).text(3) != first, timeout=TIMEOUT)
        assert tree.topLevelItem(0).text(0) == "mine"
    finally:
        writer.send_signal(signal.SIGKILL)  # dies without a word: metrics.json still says "running"
        writer.wait(10)
    assert json.loads((runs / "mine" / "metrics.json").read_text())["state"] == "running"
    qtbot.waitUntil(lambda: "(stalled, epoch" in tree.topLevelItem(0).text(3), timeout=TIMEOUT)


def sweep_action(window: MainWindow):
    run_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Run")
    return next(a for a in run_menu.actions() if a.text() == "Sweep…")


def follow(qtbot, launcher, names: list[str]) -> set[str]:
    """Wait until the sweep ended and every run is finished; returns every state a run was seen in."""
    seen: set[str] = set()
    deadline = time.monotonic() + TIMEOUT / 1000

    def done() -> bool:
        views = launcher.window.views
        seen.update(view.status for view in views)
        finished = sorted(v.follower.name for v in views if v.status == "finished")
        return not launcher.running and finished == sorted(names)

    while not done():
        assert time.monotonic() < deadline, f"sweep did not end: {launcher.output[-5:]}"
        qtbot.wait(50)
    return seen


def test_a_sweep_from_the_run_menu_on_the_local_pool(qtbot, window, tmp_path, monkeypatch):
    request = SweepRequest("xor-mlp", tmp_path / "sweep", grid=["lr=0.3,3.0"], epochs=1000, data="spiral", jobs=2)
    monkeypatch.setattr(SweepDialog, "ask", classmethod(lambda cls, *args, **kwargs: request))
    sweep_action(window).trigger()
    launcher = window.sweeps[-1]
    seen = follow(qtbot, launcher, ["lr=0.3", "lr=3.0"])
    assert launcher.process.exitCode() == 0, launcher.output[-5:]
    assert "running" in seen  # followed while they trained, not only read at the end
    overview = launcher.window.overview
    qtbot.waitUntil(lambda: sorted(overview.curves.overlay_labels) == ["lr=0.3", "lr=3.0"], timeout=TIMEOUT)
    qtbot.waitUntil(lambda: overview.summary.text().count("epoch 1000") == 2, timeout=TIMEOUT)
    assert "lr=3.0: <span" in overview.summary.text()
    assert (request.out / "compare.png").is_file()


def test_closing_the_window_stops_a_sweep_and_the_same_sweep_resumes(qtbot, window, tmp_path, monkeypatch):
    request = SweepRequest("xor-mlp", tmp_path / "sweep", grid=["lr=0.3,3.0"], epochs=600, data="spiral", jobs=2)
    monkeypatch.setattr(SweepDialog, "ask", classmethod(lambda cls, *args, **kwargs: request))
    sweep_action(window).trigger()
    launcher = window.sweeps[-1]
    qtbot.waitUntil(lambda: sum(v.last_record is not None and v.last_record.epoch >= 3
                                for v in launcher.window.views) == 2, timeout=TIMEOUT)
    window.close()  # as the lecturer does: the sweep stops like Ctrl-C
    assert not launcher.running
    launcher.window.poll()
    assert {v.status for v in launcher.window.views} == {"interrupted"}
    assert all((v.follower.folder / "checkpoint.npz").is_file() for v in launcher.window.views)
    kept = {v.follower.name: v.last_record.epoch for v in launcher.window.views}
    # The same sweep, started again, continues both runs from their last finished epoch.
    from nnviz.cli import main

    assert main(request.arguments()) == 0
    for name, epochs in kept.items():
        metrics = json.loads((request.out / name / "metrics.json").read_text())
        assert metrics["state"] == "finished" and metrics["epochs"] == 600
        assert f"Resuming {request.out / name} after epoch" in (request.out / name / "train.log").read_text()


def answer_sweep_dialog(qtbot, answer) -> list:
    """Call ``answer(dialog)`` once Run → Sweep… has opened its (modal) dialog; returns the dialogs seen."""
    from PySide6 import QtWidgets

    seen: list = []

    def attempt() -> None:
        dialog = QtWidgets.QApplication.activeModalWidget()
        if isinstance(dialog, SweepDialog) and dialog.isVisible():
            seen.append(dialog)
            answer(dialog)
        else:
            QtCore.QTimer.singleShot(50, attempt)

    QtCore.QTimer.singleShot(0, attempt)
    return seen


def click(qtbot, dialog, which: str) -> None:
    from PySide6 import QtWidgets

    button = dialog.buttons.button(getattr(QtWidgets.QDialogButtonBox.StandardButton, which))
    qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)


def test_a_tweak_preset_chosen_in_the_sweep_dialog_runs_live_and_overlaid(qtbot, window, tmp_path, monkeypatch,
                                                                         shared_data_dir):
    monkeypatch.setenv("NNVIZ_DATA_DIR", str(shared_data_dir))  # the sweep process inherits it
    out = tmp_path / "tweak"
    offered: list[str] = []

    def answer(dialog) -> None:
        offered.extend(dialog.preset.itemData(i) for i in range(dialog.preset.count()))
        dialog.preset.setCurrentIndex(dialog.preset.findData("tweak-lr"))
        dialog.epochs.setValue(2)
        dialog.train_size.setValue(1000)
        dialog.out.clear()
        qtbot.keyClicks(dialog.out, str(out))
        click(qtbot, dialog, "Ok")

    answer_sweep_dialog(qtbot, answer)
    sweep_action(window).trigger()
    assert {"tweak-lr", "tweak-batch", "tweak-hidden", "tweak-depth", "nielsen"} <= set(offered)
    launcher = window.sweeps[-1]
    names = ["lr=0.001", "lr=1.0", "lr=3.0", "lr=100.0"]
    follow(qtbot, launcher, names)
    assert launcher.process.exitCode() == 0, launcher.output[-5:]
    overview = launcher.window.overview
    qtbot.waitUntil(lambda: sorted(overview.curves.overlay_labels) == sorted(names), timeout=TIMEOUT)
    assert all(json.loads((out / name / "metrics.json").read_text())["epochs"] == 2 for name in names)
    assert (out / "compare.png").is_file()


def test_the_sweep_dialog_says_what_is_missing_instead_of_starting_a_failing_sweep(qtbot, window, tmp_path):
    said: list[str] = []

    def answer(dialog) -> None:
        dialog.preset.setCurrentIndex(dialog.preset.findData("nielsen"))
        click(qtbot, dialog, "Ok")  # a training preset without a grid
        said.append(dialog.problem.text() if dialog.isVisible() and dialog.problem.isVisible() else "")
        qtbot.keyClicks(dialog.grid, "lr=fast")
        click(qtbot, dialog, "Ok")
        said.append(dialog.problem.text() if dialog.isVisible() and dialog.problem.isVisible() else "")
        click(qtbot, dialog, "Cancel")

    seen = answer_sweep_dialog(qtbot, answer)
    sweep_action(window).trigger()
    assert len(seen) == 1 and not seen[0].isVisible()
    assert "give the setting to sweep" in said[0]
    assert said[1].startswith("Grid: lr:") and "fast" in said[1], said
    assert not getattr(window, "sweeps", [])  # nothing was started


@pytest.mark.usefixtures("slurm_cluster")
def test_a_sweep_from_the_run_menu_on_slurm(qtbot, window, tmp_path, monkeypatch):
    request = SweepRequest("xor-mlp", tmp_path / "slurm-sweep", grid=["lr=0.3,1.0,3.0"], epochs=100,
                           data="spiral", slurm=True)
    monkeypatch.setattr(SweepDialog, "ask", classmethod(lambda cls, *args, **kwargs: request))
    sweep_action(window).trigger()
    launcher = window.sweeps[-1]
    follow(qtbot, launcher, ["lr=0.3", "lr=1.0", "lr=3.0"])
    assert launcher.process.exitCode() == 0, launcher.output[-5:]
    assert any("Submitted job array" in line for line in launcher.output)
    assert len(launcher.window.overview.curves.overlay_labels) == 3
    assert len(list((request.out / "slurm").glob("*.out"))) == 3
