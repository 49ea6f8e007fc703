"""Every item of every menu and tool bar, triggered as a lecturer triggers it (QAction.trigger, which
passes Qt's `checked` flag to the slot as a click does), with every dialog answered "Cancel": none
may raise, report an error or leave the window unusable; and no two actions share a shortcut key
(Qt would then ignore the key)."""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from test_gui_window import TIMEOUT, close_window, open_window, small_config

from nnviz.ui import errors, export_actions


def every_action(window: QtWidgets.QMainWindow) -> list[QtGui.QAction]:
    """The menu bar's items (submenus walked) and then the tool bars' buttons not already seen."""
    found: list[QtGui.QAction] = []

    def walk(menu: QtWidgets.QMenu) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu())
            elif not action.isSeparator() and action not in found:
                found.append(action)

    for top in window.menuBar().actions():
        walk(top.menu())
    for bar in window.findChildren(QtWidgets.QToolBar):
        for action in bar.actions():
            if not action.isSeparator() and not isinstance(action, QtWidgets.QWidgetAction) and action not in found:
                found.append(action)
    return found


@pytest.fixture
def cancelling_window(qtbot, tmp_path, shared_data_dir, monkeypatch):
    """The window, with every dialog answered "Cancel" and every error message recorded."""
    opened: list[str] = []
    reported: list[str] = []

    def cancel(dialog, *args) -> int:
        opened.append(type(dialog).__name__)
        return 0  # QDialog.Rejected

    def record(kind, answer):
        def box(parent, title, text, *args, **kwargs):
            (reported if kind == "warning" else opened).append(f"{kind}: {title}")
            return answer
        return box

    no = QtWidgets.QMessageBox.StandardButton.No
    ok = QtWidgets.QMessageBox.StandardButton.Ok
    for cls in (QtWidgets.QDialog, QtWidgets.QMessageBox, QtWidgets.QInputDialog, QtWidgets.QFileDialog):
        monkeypatch.setattr(cls, "exec", cancel)
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(record("question", no)))
    monkeypatch.setattr(QtWidgets.QMessageBox, "information", staticmethod(record("information", ok)))
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", staticmethod(record("warning", ok)))
    monkeypatch.setattr(QtWidgets.QMessageBox, "critical", staticmethod(record("warning", ok)))
    for name in ("getExistingDirectory", "getOpenFileName", "getSaveFileName"):
        empty = "" if name == "getExistingDirectory" else ("", "")
        monkeypatch.setattr(QtWidgets.QFileDialog, name, staticmethod(lambda *a, _e=empty, **k: _e))
    monkeypatch.setattr(export_actions, "show_error", lambda parent, title, text: reported.append(text))
    monkeypatch.setattr(errors, "show_error", lambda parent, title, text: reported.append(text))
    window = open_window(qtbot, tmp_path, shared_data_dir, small_config())
    window.opened, window.reported = opened, reported
    yield window
    for widget in QtWidgets.QApplication.topLevelWidgets():
        if widget is not window and widget.isVisible():
            widget.close()  # a non-modal window an action opened (a lab, the draw-a-digit dialog)
    close_window(window)


def test_no_two_actions_share_a_shortcut(cancelling_window):
    keys = Counter(action.shortcut().toString() for action in cancelling_window.findChildren(QtGui.QAction)
                   if not action.shortcut().isEmpty())
    assert keys, "the window has keyboard shortcuts"
    assert [key for key, count in keys.items() if count > 1] == []


def test_every_menu_and_toolbar_action_works_when_triggered(qtbot, cancelling_window):
    window = cancelling_window
    actions = every_action(window)
    texts = [action.text().replace("&", "") for action in actions]
    # the items a lecturer reaches for are all there (a refactor that drops one from a menu fails here)
    for wanted in ("Export all…", "Start", "Step batch", "Step epoch", "Reset", "Presentation mode", "Keys",
                   "Run again with one change…", "Sweep…", "Watch a run folder…", "Draw a digit…"):
        assert any(text.startswith(wanted) for text in texts), (wanted, texts)
    triggered = 0
    for action, text in zip(actions, texts):
        if text == "Quit" or not action.isEnabled() or not action.isVisible():
            continue
        action.trigger()
        triggered += 1
        qtbot.wait(30)
        if window.state == "running":
            window.run_actions.start_pause.trigger()  # pause again, so each item meets a window at rest
            qtbot.waitUntil(lambda: window.state != "running", timeout=TIMEOUT)
        if window.presentation.on:
            window.presentation.action.trigger()
    assert triggered >= 25, texts
    assert window.reported == []
    assert "information: Keys" in window.opened  # Help -> Keys answered with its list
    assert window.isVisible() and window.thread.isRunning()
