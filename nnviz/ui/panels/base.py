"""`Panel`: a widget that draws snapshots and exports its figure.

A panel is a row of controls (never exported) above one pyqtgraph scene (the figure). It never
holds the trainer or the worker: it draws what a snapshot says and emits signals for requests.
Export renders the scene itself, so a 1920-pixel PNG is drawn sharp at that size, not scaled up.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import ClassVar

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (registers the exporters)
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from nnviz.core.atomic import atomic_export
from nnviz.core.errors import ExportError
from nnviz.core.snapshot import TrainingSnapshot

from .. import theme


class Panel(QtWidgets.QWidget):
    """Base class: ``controls`` (a QHBoxLayout) above ``graphics`` (a GraphicsLayoutWidget)."""

    name: ClassVar[str] = "panel"  # file name stem of its exports
    title: ClassVar[str] = "Panel"  # dock title
    export_requested = QtCore.Signal(object, str)  # panel, "png" | "svg"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"panel-{self.name}")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.setSpacing(2)
        # The controls row may be clipped in a narrow dock instead of forcing the window wider
        # than a projector's screen.
        bar = QtWidgets.QWidget()
        bar.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        self.controls = QtWidgets.QHBoxLayout(bar)
        self.controls.setContentsMargins(0, 0, 0, 0)
        self.controls.setSpacing(6)
        layout.addWidget(bar)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.graphics, 1)
        self.note = pg.TextItem(color="k", anchor=(0.5, 0.5))  # "nothing to show yet" messages
        self._note_font = QtGui.QFont()
        self._note_font.setPointSize(13)
        self.note.setFont(self._note_font)
        self.shown_snapshot: TrainingSnapshot | None = None  # kept by panels that `watch_sizes`
        self._watched: tuple[pg.ViewBox, ...] = ()
        self._drawn_sizes: tuple = ()
        self._relayout_pending = False

    def watch_sizes(self, *views: pg.ViewBox) -> None:
        """Draw the last snapshot again when one of ``views`` changes size (mosaics choose their
        grid from it; a dock shown for the first time is laid out after its first snapshot)."""
        self._watched = views
        self._drawn_sizes = self._sizes()
        for view in views:
            view.sigResized.connect(self._size_changed)

    def _sizes(self) -> tuple:
        return tuple((round(v.boundingRect().width()), round(v.boundingRect().height()))
                     for v in self._watched)

    def _size_changed(self, *_args) -> None:
        if self.shown_snapshot is not None and not self._relayout_pending:
            self._relayout_pending = True  # once the layout has settled, not per intermediate size
            QtCore.QTimer.singleShot(0, self._relayout)

    def _relayout(self) -> None:
        self._relayout_pending = False
        sizes = self._sizes()
        if self.shown_snapshot is not None and sizes != self._drawn_sizes:
            self._drawn_sizes = sizes
            self.show_snapshot(self.shown_snapshot)

    def add_export_button(self) -> None:
        """The Export menu, at the right end of the controls row (subclasses call it last)."""
        self.controls.addStretch(1)
        button = QtWidgets.QToolButton()
        button.setText("Export")
        button.setToolTip(f"Save the {self.title} figure as PNG (for slides) or SVG")
        button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QtWidgets.QMenu(button)
        menu.addAction("PNG image…", lambda: self.export_requested.emit(self, "png"))
        menu.addAction("SVG drawing…", lambda: self.export_requested.emit(self, "svg"))
        button.setMenu(menu)
        self.controls.addWidget(button)

    # --- drawing (subclasses) ----------------------------------------------------------------
    def show_snapshot(self, snapshot: TrainingSnapshot) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    # --- export ------------------------------------------------------------------------------
    def export_png(self, path: str | Path, width: int = 1920, white_background: bool = True) -> Path:
        """Write the figure as a PNG ``width`` pixels wide (height keeps the panel's aspect ratio).
        Without a white background the PNG is transparent. Raises ExportError."""
        path = Path(path)
        _check_folder(path)
        scene = self.graphics.scene()
        if self.graphics.width() < 10 or self.graphics.height() < 10:
            raise ExportError(f"Could not write {path}: the {self.title} panel has no size yet (show it first)")
        exporter = pg.exporters.ImageExporter(scene)
        exporter.parameters()["width"] = int(width)  # an int: pyqtgraph fails on floats
        background = QtGui.QColor("white") if white_background else QtGui.QColor(0, 0, 0, 0)
        exporter.parameters()["background"] = background
        def write(name: str) -> bool:
            try:
                with vector_drawing(scene):
                    return exporter.export(name)
            except Exception as exc:  # pyqtgraph raises plain Exceptions for bad sizes
                raise ExportError(f"Could not write {path}: {exc}") from None

        return atomic_export(path, write)

    def export_svg(self, path: str | Path) -> Path:
        """Write the figure as SVG (images inside it stay bitmaps). Raises ExportError.

        Qt's SVG generator directly: pyqtgraph's SVGExporter cannot parse the path data Qt 6 writes."""
        path = Path(path)
        _check_folder(path)
        scene = self.graphics.scene()
        source = self.graphics.viewRect()
        def write(name: str) -> bool:
            generator = QtSvg.QSvgGenerator()
            generator.setFileName(name)
            generator.setSize(QtCore.QSize(int(source.width()), int(source.height())))
            generator.setViewBox(QtCore.QRectF(0, 0, source.width(), source.height()))
            generator.setTitle(self.title)
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

    # --- helpers -----------------------------------------------------------------------------
    def show_note(self, view: pg.ViewBox | pg.PlotItem, text: str) -> None:
        """A centred message inside ``view`` (e.g. "after the first epoch")."""
        if self.note.scene() is None or self.note.parentItem() is None:
            view.addItem(self.note, ignoreBounds=True)
        self.note.setText(text)
        vb = view.getViewBox() if isinstance(view, pg.PlotItem) else view
        rect = vb.viewRect()
        self.note.setPos(rect.center())
        self.note.setVisible(True)

    def hide_note(self) -> None:
        self.note.setVisible(False)


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


def _check_folder(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"Could not write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ExportError(f"Could not write {path}: the folder {folder} is read-only")


def locked_view(invert_y: bool = True) -> pg.ViewBox:
    """A view for images: square pixels, row 0 at the top, no panning (it would confuse a class)."""
    view = pg.ViewBox(lockAspect=True, invertY=invert_y, enableMouse=False, enableMenu=False)
    view.setDefaultPadding(0.02)
    return view
