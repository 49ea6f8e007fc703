"""SVG export of a widget: vector shapes and real text, for slides that scale."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from nnviz.core.atomic import atomic_write_bytes
from nnviz.core.errors import ExportError


def render_svg(widget: QtWidgets.QWidget, path: str | Path, title: str = "nnviz") -> Path:
    """Draw ``widget`` (children included) into an SVG file, written atomically; raises ExportError."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"Could not write {path}: the folder {folder} does not exist")
    size = widget.size()
    if size.width() < 10 or size.height() < 10:
        raise ExportError(f"Could not write {path}: the figure has no size yet (show the lab first)")
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    generator = QtSvg.QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(size)
    generator.setViewBox(QtCore.QRect(0, 0, size.width(), size.height()))
    generator.setTitle(title)
    painter = QtGui.QPainter(generator)
    widget.render(painter, QtCore.QPoint(0, 0), QtGui.QRegion(),
                  QtWidgets.QWidget.RenderFlag.DrawChildren | QtWidgets.QWidget.RenderFlag.DrawWindowBackground)
    painter.end()
    try:
        atomic_write_bytes(path, bytes(buffer.data()))
    except OSError as exc:
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}") from None
    return path
