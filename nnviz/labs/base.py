"""`LabWidget`: a lab's figure on the left, its controls on the right, and its PNG export.

Every lab is a `LabWidget`: ``figure`` holds what goes on a slide (plots, tables, formulas);
``controls`` is a scrollable column of buttons and sliders that is never exported. Export renders
``figure`` itself at the requested width (a scaled painter, not a scaled screenshot), so text and
lines stay sharp in a 1920-pixel PNG.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.atomic import atomic_export
from nnviz.core.errors import ExportError, NnvizError

FIGURE_POINT_SIZE = 13  # tables and notes in the figure: readable from the back row
CONTROL_POINT_SIZE = 11
SIDEBAR_WIDTH = 330


def render_png(widget: QtWidgets.QWidget, path: str | Path, width: int = 1920) -> Path:
    """Draw ``widget`` into a PNG ``width`` pixels wide (height keeps its aspect ratio).

    Raises ExportError when the widget has no size yet or the file cannot be written.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"Could not write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ExportError(f"Could not write {path}: the folder {folder} is read-only")
    size = widget.size()
    if size.width() < 10 or size.height() < 10:
        raise ExportError(f"Could not write {path}: the figure has no size yet (show the lab first)")
    width = int(width)
    if not 100 <= width <= 10000:
        raise ExportError(f"Could not write {path}: a width of {width} pixels is outside 100-10000")
    widget.grab()  # a first paint lets plot axes widen to fit their tick labels
    QtWidgets.QApplication.processEvents()
    scale = width / size.width()
    image = QtGui.QImage(width, max(1, round(size.height() * scale)), QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)
    painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
    painter.scale(scale, scale)
    widget.render(painter, QtCore.QPoint(0, 0), QtGui.QRegion(),
                  QtWidgets.QWidget.RenderFlag.DrawChildren | QtWidgets.QWidget.RenderFlag.DrawWindowBackground)
    painter.end()
    return atomic_export(path, lambda name: image.save(name, "PNG"))


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
        self.status.setStyleSheet("color: #444;")

    def finish_controls(self) -> None:
        """Add the status line and the Export button at the bottom of the controls (call last)."""
        self.controls.addStretch(1)
        self.controls.addWidget(self.status)
        export = QtWidgets.QPushButton("Export PNG…")
        export.setToolTip("Save the figure (everything left of these controls) as a PNG for slides")
        export.clicked.connect(self.export_with_dialog)
        self.controls.addWidget(export)
        self.export_button = export

    def show_status(self, text: str) -> None:
        self.status.setText(text)

    # --- export ------------------------------------------------------------------------------
    def export_png(self, path: str | Path, width: int = 1920) -> Path:
        """Write the figure as a PNG ``width`` pixels wide; returns the path. Raises ExportError."""
        self.prepare_export()
        return render_png(self.figure, path, width)

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
