"""Run controls: Start/Pause (Space), Step batch, Step epoch, Stop, Reset, with tooltips naming the
keys, plus the speed limit a lecturer uses to slow a perceptron down enough to watch it."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

SPEEDS = (("full speed", 0.0), ("1,000 batches/s", 1000.0), ("100 batches/s", 100.0), ("10 batches/s", 10.0),
          ("2 batches/s", 2.0))


def _action(parent: QtWidgets.QWidget, text: str, key: str, tip: str) -> QtGui.QAction:
    action = QtGui.QAction(text, parent)
    action.setShortcut(QtGui.QKeySequence(key))
    action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
    action.setToolTip(f"{tip} ({QtGui.QKeySequence(key).toString(QtGui.QKeySequence.SequenceFormat.NativeText)})")
    action.setStatusTip(tip)
    return action


class RunActions(QtCore.QObject):
    """The actions and the tool bar that shows them."""

    def __init__(self, window: QtWidgets.QMainWindow) -> None:
        super().__init__(window)
        self.start_pause = _action(window, "Start", "Space", "Start or pause training")
        self.step_batch = _action(window, "Step batch", "B", "Train on one mini-batch, then pause")
        self.step_epoch = _action(window, "Step epoch", "E", "Train to the end of the current epoch, then pause")
        self.stop = _action(window, "Stop", "Esc", "End this run (Reset starts a new one)")
        self.reset = _action(window, "Reset", "Ctrl+R", "New network with the current settings (new random weights)")
        self.export_all = _action(window, "Export all…", "Ctrl+E", "Write every panel as PNG into a folder")
        self.toolbar = QtWidgets.QToolBar("Run")
        self.toolbar.setObjectName("toolbar-run")
        self.toolbar.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.setMovable(False)
        for action in (self.start_pause, self.step_batch, self.step_epoch, self.stop, self.reset):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.toolbar.addWidget(QtWidgets.QLabel(" Speed "))
        self.speed = QtWidgets.QComboBox()
        for label, value in SPEEDS:
            self.speed.addItem(label, value)
        self.speed.setToolTip("Limit the batches per second, to watch slow enough (2-D demos)")
        self.toolbar.addWidget(self.speed)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.export_all)
        for action in (self.start_pause, self.step_batch, self.step_epoch, self.stop, self.reset, self.export_all):
            window.addAction(action)
        self.keys = RunKeys(window, (self.start_pause, self.step_batch, self.step_epoch, self.stop))

    def show_state(self, state: str) -> None:
        steppable = state in ("ready", "paused")
        self.start_pause.setText({"running": "Pause", "paused": "Resume"}.get(state, "Start"))
        self.start_pause.setEnabled(state in ("ready", "paused", "running"))
        self.step_batch.setEnabled(steppable)
        self.step_epoch.setEnabled(steppable)
        self.stop.setEnabled(state in ("ready", "paused", "running"))
        self.reset.setEnabled(state not in ("loading", "empty"))


class RunKeys(QtCore.QObject):
    """Space, B, E and Esc act on the run whatever has the focus. A text field would otherwise take
    them (Space typed into the learning-rate field, training never started): the field's edit is
    committed first, so "type 0.5, press Space" trains with 0.5, and the key then goes to its action.
    No field of the training window needs these keys as text."""

    def __init__(self, window: QtWidgets.QMainWindow, actions: tuple[QtGui.QAction, ...]) -> None:
        super().__init__(window)
        self.window = window
        self.keys = {action.shortcut()[0] for action in actions if not action.shortcut().isEmpty()}
        QtWidgets.QApplication.instance().installEventFilter(self)

    def stop(self) -> None:
        QtWidgets.QApplication.instance().removeEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() != QtCore.QEvent.Type.ShortcutOverride or not isinstance(watched, QtWidgets.QWidget):
            return False
        if watched.window() is not self.window:
            return False  # dialogs and floating labs keep their keys
        combination = QtCore.QKeyCombination(event.modifiers() & ~QtCore.Qt.KeyboardModifier.KeypadModifier,
                                             QtCore.Qt.Key(event.key()))
        if combination not in self.keys:
            return False
        spin = watched if isinstance(watched, QtWidgets.QAbstractSpinBox) else watched.parent()
        if isinstance(spin, QtWidgets.QAbstractSpinBox):
            spin.interpretText()  # commit what was typed; an unparsable text falls back to the last value
            if hasattr(spin, "textFromValue"):  # a blanked field shows the value in force again
                spin.lineEdit().setText(spin.textFromValue(spin.value()))
        return True  # not accepted: the shortcut fires instead of the field taking the key
