"""The window on whatever screen the lecture hall has: 1024x768 projectors to 1920x1080 and hi-DPI.

Below ``COMPACT_WIDTH`` logical pixels the panels become one set of tabs beside a narrower Run setup
(each panel then gets the whole height instead of a quarter), and the input bar moves to its own
row; above it they form the 2x2 grid. Geometry saved on a bigger screen is clamped to this one.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

COMPACT_WIDTH = 1500  # logical pixels: the 2x2 grid needs about this much to keep every panel readable
PANEL_ORDER = ("curves", "filters", "feature-maps", "activations", "confusion", "evaluation", "decision-boundary",
               "runs")
Area = QtCore.Qt.DockWidgetArea


def available_geometry(window: QtWidgets.QWidget) -> QtCore.QRect:
    screen = window.screen() or QtGui.QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen else QtCore.QRect(0, 0, 1600, 1000)


def first_size(window: QtWidgets.QMainWindow) -> None:
    """The first start: maximised on a small screen, else 1600x1000 at most with room for the
    window manager's title bar (the status bar must not fall off the bottom)."""
    area = available_geometry(window)
    if area.width() < 1500 or area.height() < 950:
        window.setWindowState(window.windowState() | QtCore.Qt.WindowState.WindowMaximized)
        window.resize(area.size())
        return
    width, height = min(1600, area.width() - 40), min(1000, area.height() - 60)
    window.setGeometry(QtWidgets.QStyle.alignedRect(QtCore.Qt.LayoutDirection.LeftToRight,
                                                 QtCore.Qt.AlignmentFlag.AlignCenter, QtCore.QSize(width, height), area))


def clamp_to_screen(window: QtWidgets.QMainWindow) -> None:
    """Restored geometry from a bigger screen: shrink and move the window onto this one."""
    area = available_geometry(window)
    frame = window.frameGeometry()
    extra_w, extra_h = frame.width() - window.width(), frame.height() - window.height()
    width = min(window.width(), area.width() - extra_w)
    height = min(window.height(), area.height() - extra_h)
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    x = min(max(frame.x(), area.x()), area.right() - width - extra_w + 1)
    y = min(max(frame.y(), area.y()), area.bottom() - height - extra_h + 1)
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)


def was_opened(window: QtWidgets.QMainWindow, dock: QtWidgets.QDockWidget) -> bool:
    """Whether a rearrangement keeps ``dock`` open: a dock the lecturer closed stays closed. Before
    the window was first shown Qt's view actions say nothing yet, and every dock is open."""
    return dock.toggleViewAction().isChecked() if window.property("nnviz_shown") else True


def is_compact(width: int) -> bool:
    return width < COMPACT_WIDTH


def arrange_compact(window: QtWidgets.QMainWindow, docks: dict[str, QtWidgets.QDockWidget]) -> None:
    """Every panel a tab of one group right of the Run setup; the curves in front."""
    names = [n for n in PANEL_ORDER if n in docks]
    opened = {name: was_opened(window, docks[name]) for name in names}
    first = docks[names[0]]
    for name in names:
        dock = docks[name]
        dock.setFloating(False)
        window.removeDockWidget(dock)
    window.addDockWidget(Area.RightDockWidgetArea, first)
    for name in names[1:]:
        window.tabifyDockWidget(first, docks[name])
    for name in names:
        docks[name].setVisible(opened[name])
    next((docks[n] for n in names if opened[n]), first).raise_()
    if "controls" in docks:
        window.resizeDocks([docks["controls"], first], [300, max(window.width() - 300, 400)],
                           QtCore.Qt.Orientation.Horizontal)


def let_fields_give_way(column: QtWidgets.QWidget, combo_chars: int) -> None:
    """Fields of a settings column shrink before the column widens: combo boxes ask for
    ``combo_chars`` characters (not their longest choice) and a field too wide for its row goes
    under its label. A column wider than its frame scrolled sideways, or was cut at its right edge."""
    for combo in column.findChildren(QtWidgets.QComboBox):
        combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(min(combo.minimumContentsLength() or combo_chars, combo_chars))
    for form in column.findChildren(QtWidgets.QFormLayout):
        form.setRowWrapPolicy(QtWidgets.QFormLayout.RowWrapPolicy.WrapLongRows)
