"""Training or Labs: the window's two modes (each lab is a tab of the window).

Docks cannot live inside a tab, so the labs are the window's central widget: of size 0 in Training
mode (the docks then fill the window, as before), full size in Labs mode while every dock and the
training tool bars are hidden. Qt keeps a hidden dock's place, so going back to Training puts each
panel where it was. Training may go on in Labs mode: hidden panels are skipped when drawing.

Keys: Ctrl+1 Training, Ctrl+2 Labs; the Labs menu opens any lab directly.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.ui.labs.lab_tabs import make_lab_tabs
from nnviz.ui.labs.registry import LABS

TRAINING, LABS_MODE = "training", "labs"
QWIDGETSIZE_MAX = (1 << 24) - 1


class LabMode(QtCore.QObject):
    """The labs tab widget, the mode switch (tool bar and Labs menu) and what each mode hides."""

    mode_changed = QtCore.Signal(str)

    def __init__(self, window: QtWidgets.QMainWindow, data_dir: str | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.mode = TRAINING
        self._training_bars: list[QtWidgets.QToolBar] = []
        self._training_state: QtCore.QByteArray | None = None
        self.tabs = make_lab_tabs(window, data_dir)
        self.tabs.setObjectName("lab-tabs")
        self.tabs.setDocumentMode(True)
        self._hidden_docks: list[QtWidgets.QDockWidget] = []
        self._bars_shown: list[QtWidgets.QToolBar] = []  # training bars to show again on the way back
        self._later: dict[QtWidgets.QWidget, bool] = {}  # shown or hidden on the way back to Training
        group = QtGui.QActionGroup(self)
        self.training_action = QtGui.QAction("Training", self)
        self.labs_action = QtGui.QAction("Labs", self)
        for action, key, tip in ((self.training_action, "Ctrl+1", "The training panels of the current run"),
                                 (self.labs_action, "Ctrl+2", "Interactive labs: XOR, activations, "
                                                              "gradient descent, losses, convolution…")):
            action.setCheckable(True)
            action.setShortcut(QtGui.QKeySequence(key))
            action.setToolTip(f"{tip} ({key})")
            group.addAction(action)
            window.addAction(action)
        self.training_action.setChecked(True)
        self.training_action.triggered.connect(lambda: self.set_mode(TRAINING))
        self.labs_action.triggered.connect(lambda: self.set_mode(LABS_MODE))
        self.toolbar = QtWidgets.QToolBar("Mode")
        self.toolbar.setObjectName("toolbar-mode")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.addAction(self.training_action)
        self.toolbar.addAction(self.labs_action)

    def install(self, training_bars: list[QtWidgets.QToolBar]) -> None:
        """Make the labs the central widget, hidden for now (the docks fill the window)."""
        self._training_bars = training_bars
        # In Training mode the central area takes no room, exactly as the placeholder it replaces.
        self.central = QtWidgets.QStackedWidget()
        self.central.addWidget(QtWidgets.QWidget())
        self.central.addWidget(self.tabs)
        self.central.setMaximumSize(0, 0)
        self.window.setCentralWidget(self.central)

    def fill_menu(self, menu: QtWidgets.QMenu) -> None:
        """Labs menu: the two modes, then every lab by title."""
        menu.addAction(self.training_action)
        menu.addAction(self.labs_action)
        menu.addSeparator()
        for info in LABS.values():
            action = menu.addAction(info.title, lambda n=info.name: self.open_lab(n))
            action.setStatusTip(info.description)

    def open_lab(self, name: str) -> QtWidgets.QWidget:
        """Switch to Labs mode on the lab ``name`` (created on first use); returns its widget."""
        self.set_mode(LABS_MODE)
        return self.tabs.lab(name)

    def set_mode(self, mode: str) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        labs = mode == LABS_MODE
        (self.labs_action if labs else self.training_action).setChecked(True)
        if labs:
            self._training_state = self.window.saveState()  # sizes, tab order, which tab is in front
            self._hidden_docks = [d for d in self.window.findChildren(QtWidgets.QDockWidget)
                                  if d.parent() is self.window and not d.isHidden()]
            for dock in self._hidden_docks:
                dock.hide()
            self._bars_shown = [bar for bar in self._training_bars if not bar.isHidden()]
            self.central.setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX)
            self.central.setCurrentWidget(self.tabs)
        else:
            self.central.setCurrentIndex(0)
            self.central.setMaximumSize(0, 0)
            for dock in self._hidden_docks:
                dock.show()
            self._hidden_docks = []
            if self._training_state is not None:
                self.window.restoreState(self._training_state)
        for bar in self._training_bars:
            bar.setVisible(not labs and bar in self._bars_shown)
        self.window.status.show_run(not labs)  # the run's status line belongs to Training mode
        if not labs:
            for widget, visible in self._later.items():  # after restoreState, which brings back the old ones
                widget.setVisible(visible)
            self._later = {}
        self.mode_changed.emit(mode)

    def set_training_visible(self, widget: QtWidgets.QWidget, visible: bool) -> None:
        """Show or hide a dock or tool bar of Training mode (presentation mode's controls and probe bar):
        at once in Training mode, on the way back in Labs mode (it would have covered the labs)."""
        if self.mode == TRAINING:
            widget.setVisible(visible)
        else:
            self._later[widget] = visible
            if widget in self._bars_shown and not visible:
                self._bars_shown.remove(widget)
            elif visible and isinstance(widget, QtWidgets.QToolBar) and widget not in self._bars_shown:
                self._bars_shown.append(widget)

    def shutdown(self) -> None:
        self.tabs.shutdown()
