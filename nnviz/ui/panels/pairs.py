"""Each first-layer filter beside the feature map it makes, in a grid of (filter, map) cells.

Two ImageItems share one view: the maps (sequential colours, with the colour bar) and the filters
(blue-white-red around 0), each NaN where the other draws. A filter is enlarged by whole pixels to
the height of its map, so a 3x3 or 5x5 kernel is as readable as the map beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from nnviz.ui import theme
from nnviz.ui.panels.mosaic import MosaicView, best_columns

INNER_GAP = 2  # between a filter and its map
CELL_GAP = 6  # between cells


@dataclass(frozen=True, slots=True)
class PairLayout:
    count: int
    columns: int
    filter_size: tuple[int, int]  # (height, width) after enlarging
    map_size: tuple[int, int]
    cell_size: tuple[int, int]

    def rects(self, index: int) -> tuple[QtCore.QRectF, QtCore.QRectF]:
        """(filter, map) rectangles of cell ``index`` in image coordinates (x right, y down)."""
        row, col = divmod(index, self.columns)
        ch, cw = self.cell_size
        x0, y0 = CELL_GAP + col * (cw + CELL_GAP), CELL_GAP + row * (ch + CELL_GAP)
        fh, fw = self.filter_size
        mh, mw = self.map_size
        filter_rect = QtCore.QRectF(x0, y0 + (ch - fh) // 2, fw, fh)
        map_rect = QtCore.QRectF(x0 + fw + INNER_GAP, y0 + (ch - mh) // 2, mw, mh)
        return filter_rect, map_rect


def pair_images(filters: np.ndarray, maps: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray, PairLayout]:
    """Two canvases of the same size, NaN except where the filters (resp. the maps) go."""
    n, mh, mw = maps.shape
    fh, fw = filters.shape[1:3]
    scale = max(1, mh // max(fh, 1))
    filters = filters.repeat(scale, axis=1).repeat(scale, axis=2)
    fh, fw = fh * scale, fw * scale
    columns = max(1, min(columns, n))
    rows = math.ceil(n / columns)
    cell = (max(fh, mh), fw + INNER_GAP + mw)
    layout = PairLayout(n, columns, (fh, fw), (mh, mw), cell)
    height, width = CELL_GAP + rows * (cell[0] + CELL_GAP), CELL_GAP + columns * (cell[1] + CELL_GAP)
    filter_canvas = np.full((height, width) + filters.shape[3:], np.nan, dtype=np.float32)
    map_canvas = np.full((height, width), np.nan, dtype=np.float32)
    for i in range(n):
        f, m = layout.rects(i)
        filter_canvas[int(f.y()):int(f.y()) + fh, int(f.x()):int(f.x()) + fw] = filters[i]
        map_canvas[int(m.y()):int(m.y()) + mh, int(m.x()):int(m.x()) + mw] = maps[i]
    return filter_canvas, map_canvas, layout


class PairedMosaic(MosaicView):
    """A MosaicView of feature maps with each map's filter drawn at its left."""

    def __init__(self, layout: pg.GraphicsLayout, row: int, col: int, *, rowspan: int = 1) -> None:
        super().__init__(layout, row, col, colour_bar=True, rowspan=rowspan)
        self.filter_image = pg.ImageItem()
        self.filter_image.setColorMap(theme.colormap(theme.DIVERGING_MAP))
        self.view.addItem(self.filter_image)
        self.pairs: PairLayout | None = None

    def set_pairs(self, filters: np.ndarray, maps: np.ndarray, mode: str) -> None:
        n = maps.shape[0]
        if n == 0 or filters.shape[0] != n:
            self.set_images(maps, mode=mode)
            return
        fh, fw = filters.shape[1:3]
        scale = max(1, maps.shape[1] // max(fh, 1))
        aspect = (fw * scale + INNER_GAP + maps.shape[2]) / max(fh * scale, maps.shape[1])
        columns = best_columns(n, aspect, self.area_aspect())
        filter_canvas, map_canvas, self.pairs = pair_images(filters, maps, columns)
        # The maps' colours and colour bar as for a plain mosaic, on the paired canvas.
        finite = maps[np.isfinite(maps)]
        top = theme.nice_level(float(np.percentile(np.abs(finite), 99.5)) if finite.size else 1.0)
        levels = (0.0, top) if mode == "sequential" and (finite.size == 0 or finite.min() >= 0) else (-top, top)
        self._set_mode(mode)
        self.image.setImage(map_canvas, levels=levels, autoLevels=False)
        if self.bar is not None and levels != self._levels:
            self._levels = levels
            self.bar.setLevels(levels)
        if filter_canvas.ndim == 3:  # colour kernels: 0 -> mid grey
            m = float(np.nanmax(np.abs(filter_canvas))) or 1.0
            self.filter_image.setLookupTable(None)
            self.filter_image.setImage(np.clip(0.5 + filter_canvas / (2 * m), 0, 1), levels=(0.0, 1.0), autoLevels=False)
        else:
            weights = np.abs(filters[np.isfinite(filters)])
            limit = theme.nice_level(float(np.percentile(weights, 99.5)) if weights.size else 1.0)
            self.filter_image.setImage(filter_canvas, levels=(-limit, limit), autoLevels=False)
        if map_canvas.shape != self._shape:
            self._shape = map_canvas.shape
            self.view.setRange(QtCore.QRectF(0, 0, map_canvas.shape[1], map_canvas.shape[0]), padding=0.02)

    def set_images(self, images: np.ndarray, **options) -> None:
        """Maps alone (a dense first layer's weights x input): no filters beside them."""
        self.filter_image.clear()
        self.pairs = None
        super().set_images(images, **options)

    def clear(self) -> None:
        super().clear()
        self.filter_image.clear()
        self.pairs = None
