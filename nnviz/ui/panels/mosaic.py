"""Many small images (filters, feature maps) drawn as one mosaic image.

One ImageItem for the whole grid costs one ``setImage`` per frame, where a ViewBox per filter
would cost dozens. Gaps between tiles are NaN, which pyqtgraph draws transparent, so the grey
view background shows through and a zero weight (white) is never mistaken for a gap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from nnviz.ui import theme
from nnviz.ui.panels.base import locked_view

QWIDGETSIZE_MAX = (1 << 24) - 1
TARGET_TILE = 28  # tiles smaller than this are enlarged by whole pixels (3x3 kernels -> 27x27)


@dataclass(frozen=True, slots=True)
class MosaicLayout:
    count: int
    columns: int
    rows: int
    tile_height: int  # after enlarging
    tile_width: int
    gap: int

    def tile_at(self, x: float, y: float) -> int | None:
        """Index of the tile under mosaic pixel (x, y), or None in a gap or outside."""
        col, dx = divmod(int(x) - self.gap, self.tile_width + self.gap)
        row, dy = divmod(int(y) - self.gap, self.tile_height + self.gap)
        if x < 0 or y < 0 or dx >= self.tile_width or dy >= self.tile_height:
            return None
        index = row * self.columns + col
        return index if 0 <= col < self.columns and 0 <= index < self.count else None


def best_columns(count: int, tile_aspect: float, area_aspect: float) -> int:
    """Columns that make the tiles largest in an area of ``area_aspect`` (width / height)."""
    best, best_size = 1, 0.0
    for columns in range(1, max(count, 1) + 1):
        rows = math.ceil(count / columns)
        size = min(area_aspect / (columns * tile_aspect), 1.0 / rows)
        if size > best_size + 1e-9:
            best, best_size = columns, size
    return best


def tile_images(images: np.ndarray, columns: int) -> tuple[np.ndarray, MosaicLayout]:
    """Arrange ``(n, H, W)`` or ``(n, H, W, 3)`` images in a grid with NaN gaps."""
    n, h, w = images.shape[:3]
    scale = max(1, TARGET_TILE // max(h, w, 1))
    th, tw = h * scale, w * scale
    gap = 2 if max(th, tw) >= 12 else 1
    columns = max(1, min(columns, n))
    rows = max(1, math.ceil(n / columns))
    shape = (gap + rows * (th + gap), gap + columns * (tw + gap)) + images.shape[3:]
    mosaic = np.full(shape, np.nan, dtype=np.float32)
    if scale > 1:
        images = images.repeat(scale, axis=1).repeat(scale, axis=2)
    for i in range(n):
        r, c = divmod(i, columns)
        y, x = gap + r * (th + gap), gap + c * (tw + gap)
        mosaic[y:y + th, x:x + tw] = images[i]
    return mosaic, MosaicLayout(n, columns, rows, th, tw, gap)


class MosaicView:
    """A titled mosaic in a GraphicsLayout cell, with an optional colour bar beside it."""

    def __init__(self, layout: pg.GraphicsLayout, row: int, col: int, *, colour_bar: bool = False,
                 title: str = "", rowspan: int = 1) -> None:
        self.title = theme.title_label(title)
        layout.addItem(self.title, row=row, col=col, colspan=2 if colour_bar else 1)
        self.view = locked_view()
        self.view.setBackgroundColor(theme.GAP_COLOUR)
        layout.addItem(self.view, row=row + 1, col=col, rowspan=rowspan)
        self.image = pg.ImageItem()
        self.view.addItem(self.image)
        self.layout_info: MosaicLayout | None = None
        self.bar: pg.ColorBarItem | None = None
        if colour_bar:
            self.bar = pg.ColorBarItem(values=(-1, 1), colorMap=theme.colormap(theme.DIVERGING_MAP),
                                       interactive=False, width=18)
            self.bar.setImageItem(self.image)
            theme.style_axis(self.bar.getAxis("right"))
            layout.addItem(self.bar, row=row + 1, col=col + 1, rowspan=rowspan)
        self._shape: tuple | None = None
        self._levels: tuple | None = None
        self._mode = ""

    def area_aspect(self) -> float:
        rect = self.view.boundingRect()
        return rect.width() / rect.height() if rect.height() > 1 else 1.5

    def set_images(self, images: np.ndarray, *, mode: str = "diverging", levels: tuple[float, float] | None = None,
                   columns: int | None = None) -> None:
        """``mode``: "diverging" (symmetric around 0, colour bar), "sequential" (0..max) or "ink"."""
        if images.shape[0] == 0:
            self.image.clear()
            return
        if columns is None:
            columns = best_columns(images.shape[0], images.shape[2] / images.shape[1], self.area_aspect())
        rgb = images.ndim == 4
        if rgb:  # colour kernels: 0 -> mid grey, symmetric scale, no colour map
            m = float(np.nanmax(np.abs(images))) or 1.0
            images = np.clip(0.5 + images / (2 * m), 0, 1)
        mosaic, self.layout_info = tile_images(images, columns)
        if levels is None:
            # The 99.5th percentile, not the maximum: one extreme weight would wash out the rest.
            magnitude = np.abs(images[np.isfinite(images)])
            top = theme.nice_level(float(np.percentile(magnitude, 99.5)) if magnitude.size else 1.0)
            levels = (-top, top) if mode == "diverging" else (0.0, top)
            if mode == "sequential" and float(np.min(images)) < 0:
                levels = (-top, top)  # tanh activations: fall back to a symmetric scale
        if rgb:
            levels = (0.0, 1.0)
        self._set_mode("rgb" if rgb else mode)
        self.image.setImage(mosaic, levels=levels, autoLevels=False)
        if self.bar is not None:
            if levels != self._levels:
                self._levels = levels
                self.bar.setLevels(levels)
            if self.bar.isVisible() == rgb:
                self.bar.setVisible(not rgb)
        if mosaic.shape != self._shape:  # re-frame only when the grid changes, not every frame
            self._shape = mosaic.shape
            self.view.setRange(QtCore.QRectF(0, 0, mosaic.shape[1], mosaic.shape[0]), padding=0.02)

    def _set_mode(self, mode: str) -> None:
        if mode == self._mode:
            return
        self._mode = mode
        if mode == "rgb":
            self.image.setLookupTable(None)
            return
        cmap = {"diverging": theme.colormap(theme.DIVERGING_MAP),
                "sequential": theme.colormap(theme.SEQUENTIAL_MAP),
                "ink": theme.colormap(theme.INK_MAP, reverse=True)}[mode]
        if self.bar is not None:
            self.bar.setColorMap(cmap)
        else:
            self.image.setColorMap(cmap)

    def clear(self) -> None:
        self.image.clear()
        self._shape = None
        self._levels = None
        self.layout_info = None

    def set_visible(self, visible: bool) -> None:
        """Hide or show; a hidden mosaic also gives its column's width to its neighbours."""
        for item in (self.title, self.view, self.bar):
            if item is not None and item.isVisible() != visible:
                item.setVisible(visible)
                item.setMaximumWidth(QWIDGETSIZE_MAX if visible else 0)
                if item is not self.bar:
                    item.setMinimumWidth(0)
