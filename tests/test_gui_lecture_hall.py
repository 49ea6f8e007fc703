"""The window driven as a lecturer drives it: menu items, toolbar buttons and keys (also while a
text field has the focus), presentation mode, single steps, and every screen size a lecture hall has."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6 import QtCore, QtWidgets

from conftest import offscreen_platform
from test_gui_window import TIMEOUT, close_window, open_window, small_config

from nnviz.ui import export_actions, theme

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def window(qtbot, tmp_path, shared_data_dir, monkeypatch):
    errors: list[str] = []
    monkeypatch.setattr(export_actions, "show_error", lambda parent, title, text: errors.append(text))
    window = open_window(qtbot, tmp_path, shared_data_dir, small_config())
    window.errors = errors
    yield window
    close_window(window)


def focus_learning_rate(qtbot, window) -> QtWidgets.QLineEdit:
    field = window.controls.learning_rate.lineEdit()
    window.controls.learning_rate.setFocus()
    qtbot.waitUntil(lambda: window.controls.learning_rate.hasFocus(), timeout=TIMEOUT)
    return field


@pytest.mark.parametrize("how", ["menu", "toolbar", "key-in-field"])
def test_export_all_writes_every_panel_however_it_is_triggered(qtbot, window, tmp_path, monkeypatch, how):
    folder = tmp_path / f"slides-{how}"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory", lambda *args: str(folder))
    action = window.run_actions.export_all
    if how == "menu":
        file_menu = window.menuBar().actions()[0].menu()
        assert action in file_menu.actions()
        action.trigger()
    elif how == "toolbar":
        button = window.run_actions.toolbar.widgetForAction(action)
        qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)
    else:
        qtbot.keyClick(focus_learning_rate(qtbot, window), QtCore.Qt.Key.Key_E, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: (folder / "curves.png").exists(), timeout=TIMEOUT)
    assert window.errors == []
    assert {p.name for p in folder.glob("*.png")} >= {"curves.png", "filters.png", "activations.png", "confusion.png"}


def test_space_in_the_learning_rate_field_applies_the_value_and_starts(qtbot, window):
    field = focus_learning_rate(qtbot, window)
    field.selectAll()
    qtbot.keyClicks(field, "0.5")
    qtbot.keyClick(field, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.state == "running", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.worker.trainer.learning_rate == 0.5, timeout=TIMEOUT)
    assert window.config.optimizer.learning_rate == 0.5
    assert " " not in field.text() and window.controls.learning_rate.value() == 0.5
    qtbot.keyClick(field, QtCore.Qt.Key.Key_Space)  # and pauses again, still from the field
    qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT)


def test_a_blanked_field_never_reaches_the_trainer(qtbot, window):
    field = focus_learning_rate(qtbot, window)
    field.selectAll()
    qtbot.keyClick(field, QtCore.Qt.Key.Key_Delete)
    assert field.text() == ""
    qtbot.keyClick(field, QtCore.Qt.Key.Key_B)  # step one batch from the blank field
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 1, timeout=TIMEOUT)
    assert window.worker.trainer.learning_rate == 3.0 and window.last_snapshot.learning_rate == 3.0
    assert field.text() == "3.0000"  # the value in force is shown again


def test_single_steps_are_visible_as_iterations(qtbot, window):
    target = window.panels["curves"].loss_plot
    for count in range(1, 4):
        qtbot.keyClick(window, QtCore.Qt.Key.Key_B)
        qtbot.waitUntil(lambda: window.last_snapshot.iteration == count, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.panels["curves"].n_points == 3, timeout=TIMEOUT)
    bottom = target.getAxis("bottom")
    assert bottom.labelText == "iteration"
    x_max = target.viewRange()[0][1] * bottom.scale  # in iterations
    assert 3 <= x_max <= 25  # three steps fill a visible part of the plot, not 3 / 200 of it


def test_presentation_mode_by_key_is_large_and_remembered(qtbot, window, tmp_path):
    normal_font = QtWidgets.QApplication.instance().font().pointSize()
    tick = theme.TICK_POINT_SIZE
    qtbot.keyClick(window, QtCore.Qt.Key.Key_F5)
    try:
        assert window.presentation.on and theme.TICK_POINT_SIZE > tick
        assert QtWidgets.QApplication.instance().font().pointSize() >= normal_font * 1.5
        assert not window.docks["controls"].isVisible() and window.docks["curves"].isVisible()
        assert window.settings.value("view/presentation") in (True, "true")
        axis = window.panels["curves"].loss_plot.getAxis("bottom")
        assert axis.style["tickFont"].pointSize() == theme.TICK_POINT_SIZE
        window.presentation.current = "confusion"
        qtbot.keyClick(window, QtCore.Qt.Key.Key_F)  # enlarge the panel last clicked
        assert window.docks["confusion"].isVisible() and not window.docks["curves"].isVisible()
        qtbot.keyClick(window, QtCore.Qt.Key.Key_F)
        assert window.docks["curves"].isVisible()
    finally:
        qtbot.keyClick(window, QtCore.Qt.Key.Key_F5)
    assert not window.presentation.on and theme.TICK_POINT_SIZE == tick
    assert window.docks["controls"].isVisible()


class LayoutRequests(QtCore.QObject):
    """Counts the layout requests a widget receives."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QtCore.QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def test_presentation_mode_draws_at_least_ten_frames_a_second_and_steps_relayout_nothing(qtbot, window):
    """F5 sets the frame rate's floor to 10 a second (smooth for the class, whatever a frame costs);
    each frame's status text repaints its line without laying the window out again."""
    assert window.frame_budget.min_rate < 10
    qtbot.keyClick(window, QtCore.Qt.Key.Key_F5)
    try:
        assert window.frame_budget.min_rate >= 10 and window.frame_budget.rate >= 10
        window.frame_budget.restart()
        window.frame_budget._mark = (window.frame_budget._mark[0] - 1.0, 0.0)
        window.frame_budget.add_frame(0.9)  # frames that took 90 % of the time: far over the budget
        assert window.frame_budget.update() is None or window.frame_budget.rate >= 10
        assert window.frame_budget.rate >= 10
        qtbot.keyClick(window, QtCore.Qt.Key.Key_B)  # the first snapshot of the run
        qtbot.waitUntil(lambda: window.last_snapshot.iteration == 1, timeout=TIMEOUT)
        qtbot.wait(100)
        counter, frames = LayoutRequests(), []
        window.statusBar().installEventFilter(counter)
        window.frame_finished.connect(lambda: frames.append(window.status.run_label.text()))
        qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)  # train at full speed
        qtbot.waitUntil(lambda: len(set(frames)) >= 5, timeout=TIMEOUT)
        qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
        assert counter.count == 0
        label = window.status.run_label
        assert label.text_height(label.text()) <= label.height()  # the whole line is shown
    finally:
        qtbot.keyClick(window, QtCore.Qt.Key.Key_F5)
    assert window.frame_budget.min_rate < 10


LAYOUT_PROBE = r"""
import json, sys
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest
import nnviz.ui
from nnviz.ui import screen_fit, settings as stored, theme
from nnviz.ui.main_window import MainWindow
from nnviz.core.presets import preset_config
app = QtWidgets.QApplication(["nnviz"])
font = app.font(); font.setPointSize(theme.UI_POINT_SIZE); app.setFont(font)
settings = QtCore.QSettings(sys.argv[1], QtCore.QSettings.Format.IniFormat)
window = MainWindow(data_dir=sys.argv[2], settings=settings)
if settings.value("window/geometry") is None:
    screen_fit.first_size(window)
window.show()
for _ in range(200):
    if window.state == "ready":
        break
    QTest.qWait(100)
if sys.argv[3] == "presentation":
    window.presentation.action.trigger()
QTest.qWait(800)
area = window.screen().availableGeometry()
frame = window.frameGeometry()
labels = []
for label in window.findChildren(QtWidgets.QLabel):
    if not label.isVisible() or label.visibleRegion().isEmpty() or not label.text().strip():
        continue
    top_left = label.mapTo(window, QtCore.QPoint(0, 0))
    labels.append([label.text()[:40], top_left.x(), top_left.y(), label.width(), label.height(),
                   label.sizeHint().width(), label.wordWrap(), id(label.parentWidget())])
from nnviz.ui.status import StatusText
for text in window.findChildren(StatusText):  # wrapped status lines: inside the window, never cut
    if text.isVisible() and text.text().strip():
        top_left = text.mapTo(window, QtCore.QPoint(0, 0))
        labels.append([text.text()[:40], top_left.x(), top_left.y(), text.width(), text.height(),
                       text.sizeHint().width(), True, id(text.parentWidget())])
        assert text.text_height(text.text()) <= text.height(), (text.text(), text.height())
tabs = [[bar.tabText(i), bar.tabRect(i).width(), bar.fontMetrics().horizontalAdvance(bar.tabText(i).replace("&&", "&"))]
        for bar in window.findChildren(QtWidgets.QTabBar) if bar.isVisible() for i in range(bar.count())]
table = window.controls.table
table_cut = [table.item(r, c).text() for r in range(table.rowCount()) for c in range(table.columnCount())
             if not table.isColumnHidden(c) and table.fontMetrics().horizontalAdvance(table.item(r, c).text()) + 6
             > table.columnWidth(c)]
docks = {name: [dock.width(), dock.height()] for name, dock in window.docks.items()
         if dock.isVisible() and not dock.visibleRegion().isEmpty()}  # tabs behind are moved off screen
print(json.dumps({"area": [area.width(), area.height()], "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
                  "window": [window.width(), window.height()], "compact": window._compact, "labels": labels,
                  "docks": docks, "tabs": tabs, "table_cut": table_cut, "speed_shown": window.run_actions.speed.isVisible(),
                  "setup_sideways": window.controls.horizontalScrollBar().isVisible()}))
window.grab().save(sys.argv[1] + ".png")
window.close()
"""


def probe_layout(tmp_path, shared_data_dir, width, height, dpr=1.0, mode="normal", geometry_from=None):
    ini = tmp_path / f"{width}x{height}-{mode}.ini"
    if geometry_from is not None:
        ini.write_bytes(geometry_from.read_bytes())
    env = dict(os.environ, QT_QPA_PLATFORM=offscreen_platform(width, height, dpr))
    result = subprocess.run([sys.executable, "-c", LAYOUT_PROBE, str(ini), str(shared_data_dir), mode],
                            capture_output=True, text=True, env=env, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1]), ini


def assert_fits(layout):
    area_w, area_h = layout["area"]
    x, y, w, h = layout["frame"]
    assert x >= 0 and y >= 0 and x + w <= area_w and y + h <= area_h, layout["frame"]
    for name, (w, h) in layout["docks"].items():
        assert w >= 250 and h >= 200, (name, w, h)  # every open dock keeps a usable size
    win_w, win_h = layout["window"]
    for text, lx, ly, lw, lh, wanted, wraps, _ in layout["labels"]:
        assert 0 <= lx and lx + lw <= win_w + 1 and 0 <= ly and ly + lh <= win_h + 1, (text, lx, ly, lw, lh)
        assert wraps or lw >= wanted - 2, f"{text!r} clipped: {lw} < {wanted}"
    for text, width, wanted in layout["tabs"]:  # a dock's tab reads "Curves", never "Cu…"
        assert width >= wanted, f"tab {text!r} cut: {width} < {wanted}"
    assert layout["table_cut"] == []  # the architecture table: every visible cell whole
    boxes = [(t, lx, ly, lw, lh, parent) for t, lx, ly, lw, lh, _, _, parent in layout["labels"]]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a[5] != b[5]:
                continue
            overlap_x = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
            overlap_y = min(a[2] + a[4], b[2] + b[4]) - max(a[2], b[2])
            assert overlap_x <= 1 or overlap_y <= 1, f"{a[0]!r} overlaps {b[0]!r}"


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800), (1366, 768), (1920, 1080)])
def test_the_first_start_fits_every_lecture_hall_screen(tmp_path, shared_data_dir, size):
    layout, _ = probe_layout(tmp_path, shared_data_dir, *size)
    assert_fits(layout)
    assert layout["compact"] == (layout["window"][0] < 1500)
    assert not layout["setup_sideways"]  # the Run setup scrolls down only: no line cut at its right


def test_hi_dpi_and_presentation_mode_fit_a_projector(tmp_path, shared_data_dir):
    assert_fits(probe_layout(tmp_path, shared_data_dir, 1024, 768, dpr=2.0)[0])
    presentation = probe_layout(tmp_path, shared_data_dir, 1024, 768, mode="presentation")[0]
    assert_fits(presentation)
    assert presentation["speed_shown"]  # the run bar's type fits it: Speed not hidden behind "»"


def test_geometry_saved_on_a_big_screen_is_clamped_on_a_small_one(tmp_path, shared_data_dir):
    big, ini = probe_layout(tmp_path, shared_data_dir, 1920, 1080)
    assert big["window"][0] > 1500
    small, _ = probe_layout(tmp_path, shared_data_dir, 1024, 768, geometry_from=ini)
    assert_fits(small)
    assert small["compact"]
