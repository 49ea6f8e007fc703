"""`Panel`: a widget that draws snapshots and exports its figure.

A panel is a row of controls (never exported) above one pyqtgraph scene (the figure). It never
holds the trainer or the worker: it draws what a snapshot says and emits signals for requests.
Export renders the scene itself, so a 1920-pixel PNG is drawn sharp at that size, not scaled up.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pyqtgraph as pg
import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.errors import ExportError
from nnviz.ui.figure_export import export_scene_png, export_scene_svg
from nnviz.ui.flow_layout import FlowLayout
from nnviz.core.record import RunRecord



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
        # The controls wrap onto a second row in a narrow dock instead of forcing the window wider
        # than a projector's screen or clipping their labels.
        bar = QtWidgets.QWidget()
        policy = QtWidgets.QSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        bar.setSizePolicy(policy)
        self.controls = FlowLayout(bar)
        layout.addWidget(bar)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setContentsMargins(6, 6, 6, 6)
        # Repaint one rectangle around what changed, not the union of the changed items: that union
        # made a clip region of many rectangles, and Qt's raster engine clips each stroke against it
        # (the loss curve's strokes took 5 ms a frame instead of 0.4). Not the whole view either: a
        # frame of the Curves panel then repaints the loss plot alone (a third less time than the
        # whole view). Items that rarely change are cached pixmaps.
        mode = QtWidgets.QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate
        self.graphics.setViewportUpdateMode(mode)
        layout.addWidget(self.graphics, 1)
        self.note = pg.TextItem(color="k", anchor=(0.5, 0.5))  # "nothing to show yet" messages
        self._note_font = QtGui.QFont()
        self._note_font.setPointSize(13)
        self.note.setFont(self._note_font)
        self.shown_snapshot: RunRecord | None = None  # kept by panels that `watch_sizes`
        self._watched: tuple[pg.ViewBox, ...] = ()
        self._drawn_sizes: tuple = ()
        self._relayout_pending = False

    def paint_now(self) -> None:
        """Paint what the last ``show_snapshot`` changed, now and once. A graphics scene sends its
        items' changes to the view in a queued call, so a plain ``repaint()`` painted the panel and
        Qt painted the changed items a second time after the frame (while training ran again):
        in presentation mode that second paint cost more than the first. Here the scene's queued
        changes go out first, then the window's pending paints run."""
        QtCore.QCoreApplication.sendPostedEvents(self.graphics.scene(), QtCore.QEvent.Type.MetaCall)
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.UpdateRequest)

    def watch_sizes(self, *views: pg.ViewBox) -> None:
        """Draw the last snapshot again when one of ``views`` changes size (mosaics choose their
        grid from it; a dock shown for the first time is laid out after its first snapshot)."""
        self._watched = views
        self._drawn_sizes = self._sizes()
        for view in views:
            view.sigResized.connect(self._size_changed)

    def _sizes(self) -> tuple:
        # a panel that rebuilt its plots may have deleted a watched view before a queued relayout runs
        return tuple((round(v.boundingRect().width()), round(v.boundingRect().height()))
                     for v in self._watched if shiboken6.isValid(v))

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
    def show_snapshot(self, snapshot: RunRecord) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    # --- export ------------------------------------------------------------------------------
    def export_png(self, path: str | Path, width: int = 1920, white_background: bool = True) -> Path:
        """Write the figure as a PNG ``width`` pixels wide (height keeps the panel's aspect ratio).
        Without a white background the PNG is transparent. Raises ExportError."""
        if self.graphics.width() < 10 or self.graphics.height() < 10:
            raise ExportError(f"Could not write {path}: the {self.title} panel has no size yet (show it first)")
        return export_scene_png(self.graphics.scene(), path, width, white_background)

    def export_svg(self, path: str | Path) -> Path:
        """Write the figure as SVG (images inside it stay bitmaps). Raises ExportError."""
        return export_scene_svg(self.graphics.scene(), self.graphics.viewRect(), path, self.title)

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


def locked_view(invert_y: bool = True) -> pg.ViewBox:
    """A view for images: square pixels, row 0 at the top, no panning (it would confuse a class)."""
    view = pg.ViewBox(lockAspect=True, invertY=invert_y, enableMouse=False, enableMenu=False)
    view.setDefaultPadding(0.02)
    return view
