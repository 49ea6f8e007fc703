"""The one way nnviz writes a figure to a file: panels, labs, the comparison figure and the headless
PNGs all come here, so every export checks its folder first, names the problem in one line
(ExportError) and replaces the file atomically: a full disk never leaves a truncated PNG.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (registers the exporters)
from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.atomic import atomic_export
from nnviz.core.errors import ExportError

MIN_WIDTH, MAX_WIDTH = 100, 10000  # pixels


def check_folder(path: Path) -> None:
    """Fail with one line before drawing anything when ``path``'s folder cannot take the file."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"Could not write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ExportError(f"Could not write {path}: the folder {folder} is read-only")


def _check_width(path: Path, width: int) -> int:
    width = int(width)  # an int: pyqtgraph fails on floats
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ExportError(f"Could not write {path}: a width of {width} pixels is outside {MIN_WIDTH}-{MAX_WIDTH}")
    return width


@contextlib.contextmanager
def vector_drawing(scene: QtWidgets.QGraphicsScene):
    """Items cached as screen pixmaps (axes) are drawn afresh while exporting: at the export's size
    in a PNG, as vectors in an SVG."""
    cached = [(item, item.cacheMode()) for item in scene.items()
              if item.cacheMode() != QtWidgets.QGraphicsItem.CacheMode.NoCache]
    for item, _ in cached:
        item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.NoCache)
    try:
        yield
    finally:
        for item, mode in cached:
            item.setCacheMode(mode)


def export_scene_png(scene: QtWidgets.QGraphicsScene, path: str | Path, width: int,
                     white_background: bool = True) -> Path:
    """A pyqtgraph scene as a PNG ``width`` pixels wide (the height keeps the aspect ratio)."""
    path = Path(path)
    check_folder(path)
    width = _check_width(path, width)
    exporter = pg.exporters.ImageExporter(scene)
    exporter.parameters()["width"] = width
    exporter.parameters()["background"] = QtGui.QColor("white") if white_background else QtGui.QColor(0, 0, 0, 0)

    def write(name: str) -> bool:
        try:
            with vector_drawing(scene):
                return exporter.export(name)
        except Exception as exc:  # pyqtgraph raises plain Exceptions for bad sizes
            raise ExportError(f"Could not write {path}: {exc}") from None

    return atomic_export(path, write)


def export_scene_svg(scene: QtWidgets.QGraphicsScene, source: QtCore.QRectF, path: str | Path,
                     title: str = "") -> Path:
    """The ``source`` rectangle of a scene as SVG (images inside it stay bitmaps). Qt's SVG generator
    directly: pyqtgraph's SVGExporter cannot parse the path data Qt 6 writes."""
    from PySide6 import QtSvg

    path = Path(path)
    check_folder(path)

    def write(name: str) -> bool:
        generator = QtSvg.QSvgGenerator()
        generator.setFileName(name)
        generator.setSize(QtCore.QSize(int(source.width()), int(source.height())))
        generator.setViewBox(QtCore.QRectF(0, 0, source.width(), source.height()))
        generator.setTitle(title)
        painter = QtGui.QPainter()
        if not painter.begin(generator):
            return False
        try:
            with vector_drawing(scene):
                scene.render(painter, QtCore.QRectF(0, 0, source.width(), source.height()), source)
        finally:
            painter.end()
        return True

    return atomic_export(path, write)


def render_widget_png(widget: QtWidgets.QWidget, path: str | Path, width: int = 1920) -> Path:
    """Paint a whole widget (a lab's figure) into a PNG ``width`` pixels wide, sharp at any width:
    a scaled painter repaints it rather than scaling a screenshot."""
    path = Path(path)
    check_folder(path)
    size = widget.size()
    if size.width() < 10 or size.height() < 10:
        raise ExportError(f"Could not write {path}: the figure has no size yet (show it first)")
    width = _check_width(path, width)
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


def render_widget_svg(widget: QtWidgets.QWidget, path: str | Path, title: str = "nnviz") -> Path:
    """Draw ``widget`` (children included) into an SVG file: vector shapes and real text, for slides
    that scale."""
    from PySide6 import QtSvg

    path = Path(path)
    check_folder(path)
    size = widget.size()
    if size.width() < 10 or size.height() < 10:
        raise ExportError(f"Could not write {path}: the figure has no size yet (show it first)")

    def write(name: str) -> bool:
        generator = QtSvg.QSvgGenerator()
        generator.setFileName(name)
        generator.setSize(size)
        generator.setViewBox(QtCore.QRect(0, 0, size.width(), size.height()))
        generator.setTitle(title)
        painter = QtGui.QPainter(generator)
        widget.render(painter, QtCore.QPoint(0, 0), QtGui.QRegion(),
                      QtWidgets.QWidget.RenderFlag.DrawChildren | QtWidgets.QWidget.RenderFlag.DrawWindowBackground)
        return painter.end()

    return atomic_export(path, write)
