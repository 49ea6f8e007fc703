"""The window's furniture: docks in their default arrangement, menus, and the divergence notice."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.record import RunRecord

from nnviz.ui import theme
from nnviz.ui.custom_probe import CustomProbe
from nnviz.ui.frame_budget import DEFAULT_DRAW_BUDGET
from nnviz.ui.panels import Panel
from nnviz.ui.screen_fit import was_opened

SNAPSHOT_RATES = (5.0, 10.0, 20.0, 30.0)
Area = QtCore.Qt.DockWidgetArea


def _dock(window: QtWidgets.QMainWindow, name: str, title: str, widget: QtWidgets.QWidget) -> QtWidgets.QDockWidget:
    dock = QtWidgets.QDockWidget(title.replace("&", "&&"), window)  # "&" would become a shortcut mark
    dock.setObjectName(f"dock-{name}")  # saveState/restoreState find docks by name
    dock.setWidget(widget)
    dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
                     | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable)
    return dock


class WholeTabTitles(QtCore.QObject):
    """Dock tabs keep their titles whole and scroll (arrows at the bar's end) when they do not fit.
    Qt elides them instead: at 1024x768 eight tabs read "Cu…", "Acti…", "R…". The main window
    makes its tab bars as docks are tabbed together, so each is caught as it is polished."""

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QtCore.QEvent.Type.ChildPolished and isinstance(event.child(), QtWidgets.QTabBar):
            event.child().setElideMode(QtCore.Qt.TextElideMode.ElideNone)
            event.child().setUsesScrollButtons(True)
        return False


def build_docks(window: QtWidgets.QMainWindow, controls: QtWidgets.QWidget,
                panels: dict[str, Panel]) -> dict[str, QtWidgets.QDockWidget]:
    """Default layout, readable at 1600x1000 and on a 1280-wide projector: controls on the left and
    a 2x2 grid of panels: curves | filters (input plane behind), activations (feature maps behind)
    | confusion matrix. Tabs behind cost nothing to draw; drag any tab out to see it beside."""
    window.setDockNestingEnabled(True)
    window.whole_tab_titles = WholeTabTitles(window)
    window.installEventFilter(window.whole_tab_titles)
    window.setDockOptions(QtWidgets.QMainWindow.DockOption.AllowNestedDocks
                          | QtWidgets.QMainWindow.DockOption.AllowTabbedDocks
                          | QtWidgets.QMainWindow.DockOption.AnimatedDocks)
    placeholder = QtWidgets.QWidget()  # docks fill the window; the central widget takes no room
    placeholder.setMaximumSize(0, 0)
    window.setCentralWidget(placeholder)
    docks = {"controls": _dock(window, "controls", "Run setup", controls)}
    for name, panel in panels.items():
        docks[name] = _dock(window, name, panel.title, panel)
    window.addDockWidget(Area.LeftDockWidgetArea, docks["controls"])
    arrange_grid(window, docks)
    return docks


def arrange_grid(window: QtWidgets.QMainWindow, docks: dict[str, QtWidgets.QDockWidget]) -> None:
    """The 2x2 grid of panels right of the Run setup (the Runs dock, once there, behind the confusion matrix)."""
    panels = [n for n in ("curves", "filters", "activations", "confusion", "decision-boundary", "feature-maps", "runs",
                          "evaluation") if n in docks]
    opened = {name: was_opened(window, docks[name]) for name in panels}
    for name in panels:
        if name in docks:
            docks[name].setFloating(False)
            window.removeDockWidget(docks[name])
    window.addDockWidget(Area.RightDockWidgetArea, docks["curves"])
    window.splitDockWidget(docks["curves"], docks["filters"], QtCore.Qt.Orientation.Horizontal)
    window.splitDockWidget(docks["curves"], docks["activations"], QtCore.Qt.Orientation.Vertical)
    window.splitDockWidget(docks["filters"], docks["confusion"], QtCore.Qt.Orientation.Vertical)
    window.tabifyDockWidget(docks["filters"], docks["decision-boundary"])
    window.tabifyDockWidget(docks["activations"], docks["feature-maps"])
    if "runs" in docks:
        window.tabifyDockWidget(docks["confusion"], docks["runs"])
    if "evaluation" in docks:  # above the confusion matrix: a cell clicked shows its examples beside it
        window.tabifyDockWidget(docks["filters"], docks["evaluation"])
    for name in panels:
        docks[name].setVisible(opened[name])
    for name in ("filters", "activations", "confusion"):
        if opened[name]:
            docks[name].raise_()
    window.resizeDocks([docks["controls"], docks["curves"], docks["filters"]], [410, 630, 560],
                       QtCore.Qt.Orientation.Horizontal)
    window.resizeDocks([docks["curves"], docks["activations"]], [440, 440], QtCore.Qt.Orientation.Vertical)


def add_runs_dock(window: QtWidgets.QMainWindow, docks: dict[str, QtWidgets.QDockWidget],
                  runs_panel: QtWidgets.QWidget) -> None:
    """The Runs dock, a tab behind the confusion matrix (drag it out to see both)."""
    scroll = QtWidgets.QScrollArea()  # its buttons scroll rather than widen the panels' column
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    scroll.setWidget(runs_panel)
    docks["runs"] = _dock(window, "runs", "Runs", scroll)
    window.tabifyDockWidget(docks["confusion"], docks["runs"])
    docks["confusion"].raise_()
    runs_panel.setMinimumWidth(0)
    window.resizeDocks([docks["controls"], docks["curves"], docks["filters"]], [410, 630, 560],
                       QtCore.Qt.Orientation.Horizontal)


def add_evaluation_dock(window: QtWidgets.QMainWindow, docks: dict[str, QtWidgets.QDockWidget],
                        view: QtWidgets.QWidget) -> QtWidgets.QDockWidget:
    """The Evaluation dock, a tab behind the first-layer filters (above the confusion matrix)."""
    docks["evaluation"] = dock = _dock(window, "evaluation", "Evaluation", view)
    window.tabifyDockWidget(docks["filters"], dock)
    docks["filters"].raise_()
    return dock


def open_watch_window(window) -> None:
    """File → Watch a run folder…: a folder another process writes, followed in its own window."""
    from nnviz.ui.watch_window import WatchWindow

    folder = QtWidgets.QFileDialog.getExistingDirectory(window, "Watch a run folder")
    if not folder:
        return
    watcher = WatchWindow([folder], parent=window)
    watcher.setWindowFlag(QtCore.Qt.WindowType.Window, True)  # its own window, closed with the main one
    watcher.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose, True)
    watcher.resize(1400, 900)
    watcher.show()


def _start_sweep(window) -> None:
    from nnviz.ui.sweep_launch import start_sweep

    start_sweep(window)


def build_menus(window, snapshot_rate: float) -> None:
    """File (export, quit), View (panels, redraw rate) and Help."""
    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    file_menu.addAction(window.session_runs.save_action)
    file_menu.addAction(window.session_runs.choose_action)
    file_menu.addAction("Choose data folder…", window.missing_data.choose_folder)
    file_menu.addAction("Watch a run folder…", lambda: open_watch_window(window))
    window.custom_probe = CustomProbe(window)  # your own input as the probe; also on the Input tool bar
    file_menu.addActions([window.custom_probe.draw_action, window.custom_probe.open_action])
    file_menu.setToolTipsVisible(True)  # a disabled item says why
    file_menu.addSeparator()
    file_menu.addAction(window.run_actions.export_all)
    file_menu.addSeparator()
    quit_action = file_menu.addAction("Quit", window.close)
    quit_action.setShortcut(QtGui.QKeySequence.StandardKey.Quit)
    run_menu = menu.addMenu("&Run")
    a = window.run_actions
    for action in (a.start_pause, a.step_batch, a.step_epoch, a.stop, a.reset):
        run_menu.addAction(action)
    run_menu.addSeparator()
    twin = run_menu.addAction("Run again with one change…", lambda: window.start_twin())  # not `checked`
    twin.setShortcut(QtGui.QKeySequence("Ctrl+Shift+A"))
    twin.setStatusTip("A/B: a second network with the same seed and one setting changed, trained alongside")
    window.stop_twin_action = run_menu.addAction("End the B run", window.stop_twin)
    window.stop_twin_action.setEnabled(False)
    run_menu.addSeparator()
    sweep = run_menu.addAction("Sweep…", lambda: _start_sweep(window))
    sweep.setStatusTip("Train a grid of settings (tweak-lr, tweak-batch, …) here or on Slurm and watch the runs live")
    view = menu.addMenu("&View")
    view.addAction(window.presentation.action)
    view.addAction(window.presentation.enlarge_action)
    view.addSeparator()
    for dock in window.docks.values():
        view.addAction(dock.toggleViewAction())
    view.addSeparator()
    rates = view.addMenu("Redraws per second")
    group = QtGui.QActionGroup(window)
    for rate in SNAPSHOT_RATES:
        action = rates.addAction(f"{rate:g}")
        action.setCheckable(True)
        action.setChecked(abs(rate - snapshot_rate) < 1e-6)
        action.triggered.connect(lambda _=False, r=rate: window.set_snapshot_rate(r))
        group.addAction(action)
    smooth = view.addAction("Smooth animation (training slows down)")
    smooth.setCheckable(True)
    smooth.setChecked(window.frame_budget.budget > 0.2)
    smooth.setToolTip("Let drawing take up to half the time, for small demos where speed does not matter")
    smooth.toggled.connect(lambda on: window.set_draw_budget(0.5 if on else DEFAULT_DRAW_BUDGET))
    window.lab_mode.fill_menu(menu.addMenu("&Labs"))
    help_menu = menu.addMenu("&Help")
    help_menu.addAction("Keys", lambda: QtWidgets.QMessageBox.information(
        window, "Keys", "Space: start / pause\nB: step one batch\nE: step one epoch\nEsc: stop\n"
                        "Ctrl+R: reset (new random weights)\nCtrl+E: export every panel as PNG\n"
                        "Ctrl+S: save the run into the session runs folder\n"
                        "Ctrl+D: draw a digit as the input\nCtrl+O: open an image as the input\n"
                        "Ctrl+Shift+A: run again with one change (A/B)\nCtrl+1: training panels\nCtrl+2: labs\n"
                        "F5: presentation mode\nF: enlarge the panel last clicked (again: back)\n\n"
                        "Drag a panel's title bar to rearrange; double-click it to float it, enlarged."))


class DivergenceBar(QtWidgets.QToolBar):
    """Shown when the loss became NaN or infinite: says so and offers a smaller learning rate."""

    retry = QtCore.Signal(float)

    def __init__(self, window: QtWidgets.QMainWindow) -> None:
        super().__init__("Divergence", window)
        self.setObjectName("toolbar-divergence")
        self.setMovable(False)
        self.setStyleSheet(f"QToolBar {{ background: {theme.DIVERGED_FILL}; border: 1px solid {theme.VERMILLION}; }}")
        self.label = QtWidgets.QLabel()
        self.label.setWordWrap(True)
        self.button = QtWidgets.QPushButton()
        self.button.clicked.connect(lambda: self.retry.emit(self._suggested))
        self.addWidget(self.label)
        self.addWidget(self.button)
        window.addToolBarBreak()
        window.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, self)
        self._suggested = 0.1
        self.setVisible(False)

    def show_snapshot(self, snapshot: RunRecord) -> None:
        diverged = snapshot.state == "diverged"
        if diverged != self.isVisible():
            self.setVisible(diverged)
        if diverged:
            self._suggested = suggest_learning_rate(snapshot.learning_rate)
            self.label.setText(f"  {snapshot.message}  ")
            self.button.setText(f"Reset with learning rate {self._suggested:g}")


def suggest_learning_rate(current: float) -> float:
    """A tenth of the current rate, rounded to one significant figure (3.0 -> 0.3)."""
    value = current / 10
    exponent = math.floor(math.log10(value))
    return round(value, -exponent)
