"""The Runs panel: lists run folders, ticking two emits two runs' curves, double-click reopens."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnviz.core.presets import preset_config
from nnviz.core.run_folder import write_run_folder
from nnviz.core.trainer import Trainer

pytest.importorskip("pytestqt")

from PySide6 import QtCore  # noqa: E402

from nnviz.ui.runs_panel import RunsPanel  # noqa: E402

CHECKED, UNCHECKED = QtCore.Qt.CheckState.Checked, QtCore.Qt.CheckState.Unchecked


def make_run(folder: Path, epochs: int, **changes) -> Path:
    config = preset_config("nielsen").with_changes(**{"data.name": "moons", "training.epochs": epochs, **changes})
    trainer = Trainer(config)
    trainer.run()
    return write_run_folder(folder, trainer, include_model=False)


@pytest.fixture(scope="module")
def runs_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    make_run(root / "sweep" / "lr=0.5", 3, **{"optimizer.learning_rate": 0.5})
    make_run(root / "sweep" / "lr=3.0", 4, **{"optimizer.learning_rate": 3.0})
    make_run(root / "single", 2, **{"optimizer.learning_rate": 1.0})
    waiting = root / "sweep" / "lr=9.0"
    waiting.mkdir()
    preset_config("nielsen").save(waiting / "config.toml")  # not run yet
    return root


def rows(panel: RunsPanel) -> dict[str, object]:
    return {panel.tree.topLevelItem(i).text(0): panel.tree.topLevelItem(i)
            for i in range(panel.tree.topLevelItemCount())}


def test_ticking_two_runs_emits_their_curves(qtbot, runs_folder):
    panel = RunsPanel(folder=runs_folder)
    qtbot.addWidget(panel)
    items = rows(panel)
    assert set(items) == {"single", "sweep/lr=0.5", "sweep/lr=3.0", "sweep/lr=9.0"}
    assert items["sweep/lr=0.5"].text(2) == "lr=0.5, epochs=3" and items["sweep/lr=0.5"].text(1) == "nielsen"
    assert items["sweep/lr=0.5"].text(3).endswith("%")
    assert not items["sweep/lr=9.0"].flags() & QtCore.Qt.ItemFlag.ItemIsEnabled
    assert items["sweep/lr=9.0"].text(2) == "not run yet"

    with qtbot.waitSignal(panel.runs_selected) as first:
        items["sweep/lr=0.5"].setCheckState(0, CHECKED)
    assert [r.name for r in first.args[0]] == ["lr=0.5"]
    with qtbot.waitSignal(panel.runs_selected) as second:
        items["sweep/lr=3.0"].setCheckState(0, CHECKED)
    runs = second.args[0]
    assert [r.name for r in runs] == ["lr=0.5", "lr=3.0"]
    for run, epochs in zip(runs, (3, 4)):
        x, y = run.curve("val_accuracy")
        assert list(x) == list(range(1, epochs + 1)) and y.shape == (epochs,)
    assert not items["sweep/lr=0.5"].icon(0).isNull()  # its overlay colour is shown
    assert items["single"].icon(0).isNull()

    with qtbot.waitSignal(panel.runs_selected) as cleared:
        panel.untick_all()
    assert cleared.args[0] == []


def test_double_click_asks_to_reopen_a_run(qtbot, runs_folder):
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.set_folder(runs_folder)
    item = rows(panel)["single"]
    with qtbot.waitSignal(panel.reopen_requested) as reopened:
        panel.tree.itemDoubleClicked.emit(item, 0)
    assert Path(reopened.args[0]) == (runs_folder / "single").resolve()
    panel.tree.setCurrentItem(rows(panel)["sweep/lr=3.0"])
    with qtbot.waitSignal(panel.reopen_requested) as again:
        qtbot.mouseClick(panel.reopen_button, QtCore.Qt.MouseButton.LeftButton)
    assert Path(again.args[0]).name == "lr=3.0"


def test_session_runs_and_refresh_keep_ticks(qtbot, runs_folder, tmp_path):
    panel = RunsPanel(folder=runs_folder / "sweep")
    qtbot.addWidget(panel)
    panel.set_ticked(runs_folder / "sweep" / "lr=3.0")
    extra = make_run(tmp_path / "session-run", 1)
    with qtbot.waitSignal(panel.runs_selected) as kept:
        panel.add_run_folder(extra)
    assert [r.name for r in kept.args[0]] == ["lr=3.0"]
    assert "session-run" in rows(panel)


def test_a_running_row_follows_what_its_run_appends_without_reloading_it(qtbot, tmp_path, monkeypatch):
    from test_run_data_follower import append, running_run

    import nnviz.ui.runs_panel as runs_panel

    path, rest = running_run(tmp_path / "runs" / "live")
    panel = RunsPanel(folder=tmp_path / "runs")
    qtbot.addWidget(panel)
    panel.set_ticked(path)
    assert "(running, epoch 1)" in rows(panel)["live"].text(3)

    def no_full_reload(_path):  # a running row is followed, never re-read whole each second
        raise AssertionError("load_run called for a live row")

    monkeypatch.setattr(runs_panel, "load_run", no_full_reload)
    append(path, rest[0])
    with qtbot.waitSignal(panel.runs_selected) as ticked:
        panel.refresh_live()
    assert "(running, epoch 2)" in rows(panel)["live"].text(3)
    assert ticked.args[0][0].n_epochs == 2  # the ticked run's overlay grows too
    panel.refresh_live()  # nothing new: the row stays as it is
    assert "(running, epoch 2)" in rows(panel)["live"].text(3)
