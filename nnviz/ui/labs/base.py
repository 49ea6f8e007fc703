"""`LabWidget`: a lab's figure on the left, its controls on the right, and its PNG export.

Every lab is a `LabWidget`: ``figure`` holds what goes on a slide (plots, tables, formulas);
``controls`` is a scrollable column of buttons and sliders that is never exported. Export renders
``figure`` itself at the requested width (a scaled painter, not a scaled screenshot), so text and
lines stay sharp in a 1920-pixel PNG.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.errors import NnvizError
from nnviz.ui import screen_fit, theme
from nnviz.ui.figure_export import render_widget_png

FIGURE_POINT_SIZE = 13  # tables and notes in the figure: readable from the back row
CONTROL_POINT_SIZE = 11
SIDEBAR_WIDTH = 330


class LabWidget(QtWidgets.QWidget):
    """Base class of every lab: ``figure`` (exported) beside ``controls`` (not exported)."""

    name: ClassVar[str] = "lab"
    title: ClassVar[str] = "Lab"

    def __init__(self, parent: QtWidgets.QWidget | None = None, data_dir: str | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self._timers: list[QtCore.QTimer] = []
        self.setObjectName(f"lab-{self.name}")
        outer = QtWidgets.QHBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(6)
        self.figure = QtWidgets.QWidget()
        self.figure.setObjectName("figure")
        self.figure.setAutoFillBackground(True)
        palette = self.figure.palette()
        palette.setColor(QtGui.QPalette.ColorRole.Window, QtGui.QColor("white"))
        palette.setColor(QtGui.QPalette.ColorRole.WindowText, QtGui.QColor("black"))
        self.figure.setPalette(palette)
        outer.addWidget(self.figure, 1)
        sidebar = QtWidgets.QScrollArea()
        sidebar.setWidgetResizable(True)
        sidebar.setFixedWidth(SIDEBAR_WIDTH)
        sidebar.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QtWidgets.QWidget()
        font = inner.font()
        font.setPointSize(CONTROL_POINT_SIZE)
        inner.setFont(font)
        self.controls = QtWidgets.QVBoxLayout(inner)
        self.controls.setContentsMargins(6, 6, 6, 6)
        self.controls.setSpacing(5)
        sidebar.setWidget(inner)
        outer.addWidget(sidebar)
        self.sidebar = sidebar
        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {theme.GREY_80};")

    def finish_controls(self) -> None:
        """Add the status line and the Export button at the bottom of the controls (call last)."""
        self.controls.addStretch(1)
        self.controls.addWidget(self.status)
        export = QtWidgets.QPushButton("Export PNG…")
        export.setToolTip("Save the figure (everything left of these controls) as a PNG for slides")
        export.clicked.connect(self.export_with_dialog)
        self.controls.addWidget(export)
        self.export_button = export
        # A long choice ("1-D and 2-D, step by step") widened the column past its frame.
        screen_fit.let_fields_give_way(self.sidebar.widget(), combo_chars=12)

    def show_status(self, text: str) -> None:
        self.status.setText(text)

    # --- export ------------------------------------------------------------------------------
    def export_png(self, path: str | Path, width: int = 1920) -> Path:
        """Write the figure as a PNG ``width`` pixels wide; returns the path. Raises ExportError."""
        self.prepare_export()
        return render_widget_png(self.figure, path, width)

    def prepare_export(self) -> None:
        """Hook: bring the figure up to date before it is drawn (subclasses)."""

    def export_with_dialog(self) -> None:
        suggested = str(Path.home() / f"lab-{self.name}.png")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export the figure as PNG", suggested,
                                                        "PNG images (*.png)")
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        try:
            written = self.export_png(path)
        except NnvizError as exc:
            QtWidgets.QMessageBox.warning(self, "Export failed", str(exc))
            return
        self.show_status(f"Saved {written}")

    # --- life cycle --------------------------------------------------------------------------
    def make_timer(self, interval_ms: int, slot) -> QtCore.QTimer:
        """A repeating timer that :meth:`shutdown` stops."""
        timer = QtCore.QTimer(self)
        timer.setInterval(interval_ms)
        timer.timeout.connect(slot)
        self._timers.append(timer)
        return timer

    def shutdown(self) -> None:
        """Stop timers and background threads (subclasses extend it). Safe to call twice."""
        for timer in self._timers:
            timer.stop()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.shutdown()
        super().closeEvent(event)
