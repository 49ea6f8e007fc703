"""Presentation mode (F5, View menu): text readable from the back row of a lecture hall at
1024x768, thick lines, only the chrome a lecturer uses; F enlarges the panel last clicked to the
whole window and back. Remembered between starts. Panels are restyled in place, so exports made
in presentation mode carry the same large type as the screen (slides match what the class saw).
"""

from __future__ import annotations

import re

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.ui.frame_budget import MIN_RATE, PRESENTATION_MIN_RATE
from nnviz.ui import settings as stored
from nnviz.ui import theme

SCALE = 1.6  # 11 pt becomes about 18 pt
_SIZE = re.compile(r"font-size:\s*([\d.]+)pt")


def restyle_scene(scene: QtWidgets.QGraphicsScene, ratio: float) -> None:
    """Fonts and line widths of every item in a panel's scene, times ``ratio``."""
    for item in scene.items():
        if isinstance(item, pg.AxisItem):
            item.setTickFont(theme.tick_font())
            if item.label is not None and item.labelText:
                item.setLabel(item.labelText, units=item.labelUnits or None, **{"font-size": theme.LABEL_POINT_SIZE})
        elif isinstance(item, pg.LabelItem):
            _rescale_label(item, ratio)
        elif isinstance(item, pg.TextItem):
            font = item.textItem.font()
            font.setPointSizeF(max(font.pointSizeF(), 1.0) * ratio)
            item.setFont(font)
        elif isinstance(item, pg.PlotCurveItem):
            pen = QtGui.QPen(item.opts["pen"])
            pen.setWidthF(max(pen.widthF(), 1.0) * ratio)
            item.setPen(pen)
        elif isinstance(item, pg.LegendItem):
            size = float(item.opts.get("labelTextSize", "9pt").rstrip("pt") or 9) * ratio
            item.opts["labelTextSize"] = f"{size:.0f}pt"
            for _, label in item.items:
                label.setText(label.text, size=f"{size:.0f}pt")
        item.update()


def _rescale_label(label: pg.LabelItem, ratio: float) -> None:
    text = label.text or ""
    scaled = _SIZE.sub(lambda m: f"font-size:{float(m.group(1)) * ratio:.0f}pt", text)
    size = label.opts.get("size")
    if size and str(size).endswith("pt"):
        label.opts["size"] = f"{float(str(size)[:-2]) * ratio:.0f}pt"
    for attribute in ("_nnviz_text", "_nnviz_title"):  # the change-only caches must not skip a redraw
        if hasattr(label, attribute):
            delattr(label, attribute)
    label.setText(scaled)


class Presentation(QtCore.QObject):
    """The View menu's "Presentation mode" and "Enlarge panel" actions for one main window."""

    def __init__(self, window: QtWidgets.QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.on = False
        self.action = QtGui.QAction("Presentation mode", window, checkable=True)
        self.action.setShortcut(QtGui.QKeySequence("F5"))
        self.action.setStatusTip("Large type, thick lines, fewer controls: for the projector")
        self.action.toggled.connect(self.set_on)
        self.enlarge_action = QtGui.QAction("Enlarge panel", window, checkable=True)
        self.enlarge_action.setShortcut(QtGui.QKeySequence("F"))
        self.enlarge_action.setStatusTip("The panel last clicked fills the window; again to go back")
        self.enlarge_action.toggled.connect(self.set_enlarged)
        for action in (self.action, self.enlarge_action):
            window.addAction(action)
        self.current = "curves"  # the panel the last click went to
        self._saved_state: QtCore.QByteArray | None = None
        QtWidgets.QApplication.instance().installEventFilter(self)

    def restore(self) -> None:
        if stored.read_bool(self.window.settings, "view/presentation", False):
            self.action.setChecked(True)

    def stop(self) -> None:
        QtWidgets.QApplication.instance().removeEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QtCore.QEvent.Type.MouseButtonPress and isinstance(watched, QtWidgets.QWidget):
            for name, dock in self.window.docks.items():
                if name != "controls" and (watched is dock or dock.isAncestorOf(watched)):
                    self.current = name
                    break
        return False

    def set_on(self, on: bool) -> None:
        if on == self.on:
            return
        ratio = SCALE if on else 1.0 / SCALE
        self.on = on
        theme.set_scale(SCALE if on else 1.0)
        app = QtWidgets.QApplication.instance()
        font = app.font()
        font.setPointSize(theme.UI_POINT_SIZE)
        app.setFont(font)
        for panel in self.window.panels.values():
            restyle_scene(panel.graphics.scene(), ratio)
        # Only what a lecturer uses stays: the run bar, the panels and the status line.
        for widget in (self.window.docks["controls"], self.window.probe_bar):
            self.window.lab_mode.set_training_visible(widget, not on)
        self.fit_tabs()
        self.fit_toolbars()
        self.window.worker.send("set_snapshot_rate", self.window.frame_budget.set_min_rate(
            PRESENTATION_MIN_RATE if on else MIN_RATE))
        current = self.window.docks.get(self.current)
        if current is not None and current.isVisible():
            current.raise_()
        self.window.settings.setValue("view/presentation", on)

    def fit_tabs(self) -> None:
        """Dock tab titles stay at the normal size: seven large ones would be cut to "C…" on a projector."""
        font = QtWidgets.QApplication.instance().font()
        font.setPointSize(theme.BASE_SIZES[3])
        for bar in self.window.findChildren(QtWidgets.QTabBar):
            bar.setFont(font)

    def fit_toolbars(self) -> None:
        """The run bar in the largest type (up to the presentation size) that shows every button and
        the speed box on the window's width: at 18 pt a 1024-pixel projector hid Speed behind "»"."""
        bars = [bar for bar in self.window.findChildren(QtWidgets.QToolBar) if bar.isVisible()]
        rows: dict[int, list[QtWidgets.QToolBar]] = {}
        for bar in bars:  # toolbars side by side share the width
            rows.setdefault(bar.y(), []).append(bar)
        font = QtWidgets.QApplication.instance().font()
        for size in range(theme.UI_POINT_SIZE, theme.BASE_SIZES[3] - 1, -1):
            font.setPointSize(size)
            for bar in bars:
                bar.setFont(font)
            if all(sum(bar.sizeHint().width() for bar in row) <= self.window.width() for row in rows.values()):
                return

    def set_enlarged(self, enlarged: bool) -> None:
        docks = self.window.docks
        if enlarged:
            self._saved_state = self.window.saveState()
            target = docks.get(self.current) or docks["curves"]
            for name, dock in docks.items():
                if dock is not target:
                    dock.hide()
            target.show()
            target.raise_()
        elif self._saved_state is not None:
            self.window.restoreState(self._saved_state)
            self._saved_state = None
