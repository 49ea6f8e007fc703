"""The convolution lab's two painted figures: the sliding window by hand, and the whole image.

`HandConvolutionCanvas` draws the digit, the 5x7 patch, the filter, the 3x5 feature map (revealed
cell by cell), the 2x3 pooled map and the current window's 9 products; `WholeImageCanvas` the padded
input beside its feature map at the same pixel size, with the output size formula. Both only draw
what they are given (a `PatchLesson`, arrays); `nnviz.ui.labs.convolution` owns the state.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.lessons import convolution as lesson_maths
from nnviz.core.lessons.convolution import PatchLesson, value_text

from nnviz.ui.labs.filter_figure import (DIVERGING, HIGHLIGHT, INK_TABLE, OUTLINE, PaintedFigure, cell_colour, draw_pixels,
                            draw_text, set_font, text_colour, to_qimage)

A = QtCore.Qt.AlignmentFlag


def _grid(painter: QtGui.QPainter, x: float, y: float, c: float, values: np.ndarray, texts: list[str],
          colours: list[QtGui.QColor], shown: np.ndarray | None = None, width: float | None = None) -> None:
    """A table of coloured cells ``c`` high (``width`` wide, default ``c``) with a number in each
    (hidden cells stay grey)."""
    cols, cw = values.shape[1], width or c
    set_font(painter, 0.42 * c)
    widest = max(painter.fontMetrics().horizontalAdvance(t) for t in texts)
    px = 0.42 * c * min(1.0, 0.86 * cw / max(widest, 1))
    for k, (text, colour) in enumerate(zip(texts, colours)):
        i, j = divmod(k, cols)
        rect = QtCore.QRectF(x + j * cw, y + i * c, cw, c)
        visible = shown is None or bool(shown.flat[k])
        painter.fillRect(rect, colour if visible else QtGui.QColor(240, 240, 240))
        painter.setPen(QtGui.QPen(QtGui.QColor(190, 190, 190), 1))
        painter.drawRect(rect)
        if visible:
            draw_text(painter, rect, text, px, colour=text_colour(colour))


def _outline(painter: QtGui.QPainter, rect: QtCore.QRectF, colour: QtGui.QColor, width: float) -> None:
    painter.setPen(QtGui.QPen(colour, width))
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.drawRect(rect)


def _weight_text(value: float) -> str:
    text = lesson_maths.format_value(value)
    return f"({text})" if value < 0 else text


class HandConvolutionCanvas(PaintedFigure):
    """Input digit, patch, filter, feature map, pooled map and the current window's 9 products."""

    patch_clicked = QtCore.Signal(int, int)  # image row, column

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = np.zeros((28, 28))
        self.lesson: PatchLesson | None = None
        self.cell: int | None = None  # the window being computed; None: all done
        self._image_rect = QtCore.QRectF()
        self.setMinimumSize(600, 320)

    def set_lesson(self, image: np.ndarray, lesson: PatchLesson, cell: int | None) -> None:
        self.image, self.lesson, self.cell = image, lesson, cell
        self.update()

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        rect, pos = self._image_rect, event.position()
        if rect.contains(pos):
            h, w = self.image.shape
            self.patch_clicked.emit(int((pos.y() - rect.top()) / rect.height() * h),
                                    int((pos.x() - rect.left()) / rect.width() * w))

    def paint_figure(self, painter: QtGui.QPainter, width: float, height: float) -> None:
        lesson = self.lesson
        if lesson is None:
            return
        title_px = max(12.0, min(22.0, width / 56))
        text_px = title_px * 0.74
        (ph, pw), (fh, fw), (qh, qw) = lesson.patch.shape, lesson.feature_map.shape, lesson.pooled.shape
        kh, kw = lesson.weights.shape
        draw_text(painter, QtCore.QRectF(6, 2, width - 12, title_px * 1.5),
                  (f"1 · By hand: a {kh}×{kw} filter slid over a {ph}×{pw} patch of the digit",
                   f"1 · By hand: a {kh}×{kw} filter over a {ph}×{pw} patch"), title_px, bold=True, fit=True, wrap=False)
        draw_text(painter, QtCore.QRectF(6, 1.6 * title_px, width - 12, 1.5 * text_px),
                  "'valid' cross-correlation, as in every deep-learning framework (the filter is not flipped):  "
                  "map[i, j] = Σ W[u, v] · patch[i+u, j+v]", text_px)
        top = 1.6 * title_px + 1.8 * text_px
        label = 2.6 * text_px
        wide = 1.3  # map cells are wider: their numbers have up to 4 characters and a sign
        units_w = ph + 0.8 + pw + 1.2 + kw + 1.2 + wide * fw + 2.4 + wide * qw
        c = min((width - 20) / units_w, (height - top - 2 * label - 8) / (ph + kh + 0.8))
        m = wide * c
        x = (width - units_w * c) / 2
        y = top + label
        mid = y + ph * c / 2
        cell = self.cell if self.cell is not None else lesson.argmax_cell
        ci, cj = lesson.cell(cell)
        r0, c0 = lesson.origin

        def caption(left: float, bottom: float, cells: float, text: str) -> None:
            draw_text(painter, QtCore.QRectF(left - 0.6 * c, bottom - label, (cells + 1.2) * c, label), text,
                      text_px, align=A.AlignHCenter | A.AlignBottom)

        # the digit with the patch (blue) and the window (orange)
        self._image_rect = QtCore.QRectF(x, y, ph * c, ph * c)
        s = ph * c / self.image.shape[0]
        caption(x, y, ph, "input\n(click to move the patch)")
        draw_pixels(painter, self._image_rect, to_qimage(self.image, INK_TABLE, 0.0, 1.0))
        _outline(painter, QtCore.QRectF(x + c0 * s, y + r0 * s, pw * s, ph * s), OUTLINE, max(2.0, c / 14))
        _outline(painter, QtCore.QRectF(x + (c0 + cj) * s, y + (r0 + ci) * s, kw * s, kh * s), HIGHLIGHT, 1.5)
        x += (ph + 0.8) * c
        # the patch, with the receptive field of the current window
        unit = "pixel bytes 0–255" if lesson.scale == 255 else "network inputs 0–1"
        caption(x, y, pw, f"patch: rows {r0 + 1}–{r0 + ph}, columns {c0 + 1}–{c0 + pw}\n({unit})")
        hi = 255.0 if lesson.scale == 255 else 1.0
        _grid(painter, x, y, c, lesson.patch, [value_text(v, lesson.scale) for v in lesson.patch.flat],
              [cell_colour(v, INK_TABLE, 0.0, hi) for v in lesson.patch.flat])
        _outline(painter, QtCore.QRectF(x, y, pw * c, ph * c), OUTLINE, max(2.0, c / 14))
        _outline(painter, QtCore.QRectF(x + cj * c, y + ci * c, kw * c, kh * c), HIGHLIGHT, max(3.0, c / 10))
        notes_rect = QtCore.QRectF(10, y + (ph + 0.5) * c, x + pw * c - 10, kh * c + label)
        x += pw * c
        draw_text(painter, QtCore.QRectF(x, mid - c / 2, 1.2 * c, c), "✱", c * 0.6, bold=True)
        x += 1.2 * c
        # the filter
        wtop = float(np.max(np.abs(lesson.weights))) or 1.0
        fy = mid - kh * c / 2
        caption(x, fy, kw, "filter W")
        _grid(painter, x, fy, c, lesson.weights, [lesson_maths.format_value(v) for v in lesson.weights.flat],
              [cell_colour(v, DIVERGING, -wtop, wtop) for v in lesson.weights.flat])
        filter_x = x
        x += kw * c
        draw_text(painter, QtCore.QRectF(x, mid - c / 2, 1.2 * c, c), "=", c * 0.6, bold=True)
        x += 1.2 * c
        # the feature map, revealed cell by cell, with the pooling windows dashed
        mtop = float(np.max(np.abs(lesson.feature_map))) or 1.0
        my = mid - fh * c / 2
        done = self.cell if self.cell is not None else lesson.n_cells
        caption(x, my, wide * fw, f"feature map {fh}×{fw}")
        _grid(painter, x, my, c, lesson.feature_map, [value_text(v, lesson.scale) for v in lesson.feature_map.flat],
              [cell_colour(v, DIVERGING, -mtop, mtop) for v in lesson.feature_map.flat],
              np.arange(lesson.n_cells).reshape(fh, fw) <= done, m)
        painter.setPen(QtGui.QPen(QtGui.QColor(60, 60, 60), max(1.5, c / 20), QtCore.Qt.PenStyle.DashLine))
        for k in range(2, fw, 2):
            painter.drawLine(QtCore.QPointF(x + k * m, my), QtCore.QPointF(x + k * m, my + fh * c))
        for k in range(2, fh, 2):
            painter.drawLine(QtCore.QPointF(x, my + k * c), QtCore.QPointF(x + fw * m, my + k * c))
        _outline(painter, QtCore.QRectF(x + cj * m, my + ci * c, m, c), HIGHLIGHT, max(3.0, c / 10))
        map_x = x
        x += fw * m
        draw_text(painter, QtCore.QRectF(x, mid - c, 2.4 * c, 2 * c), "max pool\n2×2 →", text_px)
        x += 2.4 * c
        qy = mid - qh * c / 2
        caption(x, qy, wide * qw, f"pooled {qh}×{qw}")
        _grid(painter, x, qy, c, lesson.pooled, [value_text(v, lesson.scale) for v in lesson.pooled.flat],
              [cell_colour(v, DIVERGING, -mtop, mtop) for v in lesson.pooled.flat],
              np.full(lesson.pooled.shape, self.cell is None), m)
        # the 9 products of the current window and their sum
        py = y + (ph + 0.5) * c + label
        products = lesson.products(cell)
        what = "the largest value" if self.cell is None else f"window {cell + 1} of {lesson.n_cells}"
        products_x = filter_x + kw * (c - m) / 2  # wide cells, centred under the filter
        caption(products_x - 1.5 * c, py, wide * kw + 3, f"{what}:\nW × receptive field")
        ptop = float(np.max(np.abs(products))) or 1.0
        _grid(painter, products_x, py, c, products, [value_text(v, lesson.scale) for v in products.flat],
              [cell_colour(v, DIVERGING, -ptop, ptop) for v in products.flat], None, m)
        field = lesson.patch[ci:ci + kh, cj:cj + kw]
        lines = [" + ".join(f"{_weight_text(w)}·{value_text(p, lesson.scale)}" for w, p in zip(lesson.weights[u],
                                                                                        field[u]))
                 + f" = {value_text(products[u].sum(), lesson.scale)}" for u in range(kh)]
        lines.append(f"sum = {value_text(products.sum(), lesson.scale)} → map row {ci + 1}, column {cj + 1}")
        draw_text(painter, QtCore.QRectF(map_x - 0.5 * c, py, width - map_x, kh * c), "\n".join(lines),
                  c * 0.42, align=A.AlignLeft | A.AlignVCenter, fit=True, wrap=False)
        notes = (f"Map size: ({ph} − {kh} + 1) × ({pw} − {kw} + 1) = {fh}×{fw}.\n"
                 f"Max pooling 2×2, stride 2, ceil mode ('same' pooling, the map padded with −∞): {fh}×{fw} → "
                 f"{qh}×{qw}; floor mode (Keras' default, nnviz's MaxPool2D) gives {fh // 2}×{fw // 2}.\n"
                 f"Highest values: {lesson_maths.describe_filter(lesson.weights)}.")
        draw_text(painter, notes_rect.adjusted(0, 0, -1.5 * c, 0), notes, text_px, fit=True,
                  align=A.AlignLeft | A.AlignVCenter)


class WholeImageCanvas(PaintedFigure):
    """The padded input and its feature map at the same pixel size, with the output size formula."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = np.zeros((28, 28))
        self.weights = lesson_maths.EDGE_FILTER
        self.stride, self.padding = 1, "same"
        self.feature_map = np.zeros((28, 28))
        self.setMinimumSize(300, 250)

    def set_state(self, image: np.ndarray, weights: np.ndarray, stride: int, padding: str) -> None:
        self.image, self.weights, self.stride, self.padding = image, weights, stride, padding
        self.feature_map = lesson_maths.whole_image_map(image, weights, stride, padding)
        self.update()

    def paint_figure(self, painter: QtGui.QPainter, width: float, height: float) -> None:
        title_px = max(13.0, min(22.0, width / 26))
        text_px = max(12.5, title_px * 0.8)
        h, w = self.image.shape
        k = self.weights.shape[0]
        draw_text(painter, QtCore.QRectF(6, 2, width - 12, title_px * 1.5),
                  (f"2 · Whole image: stride {self.stride}, padding '{self.padding}'",
                   f"2 · Stride {self.stride}, padding '{self.padding}'", f"2 · Stride {self.stride}, '{self.padding}'"),
                  title_px, bold=True, fit=True, wrap=False)
        (pt, pb), (pl, pr) = (lesson_maths.padding_amounts(n, k, self.stride, self.padding) for n in (h, w))
        padded = np.pad(self.image.astype(np.float64), ((pt, pb), (pl, pr)), constant_values=np.nan)
        oh, ow = self.feature_map.shape
        top, text_h = title_px * 1.7 + text_px * 1.6, 6.2 * text_px
        arrow = 2.5 * text_px
        s = min((width - 20 - arrow) / (padded.shape[1] + ow), (height - top - text_h) / padded.shape[0])
        x0 = (width - s * (padded.shape[1] + ow) - arrow) / 2
        in_rect = QtCore.QRectF(x0, top, padded.shape[1] * s, padded.shape[0] * s)
        out_rect = QtCore.QRectF(in_rect.right() + arrow, top, ow * s, oh * s)
        pads = (" + zero padding (grey)", " + padding (grey)", "") if self.padding == "same" else ("",)
        middle = in_rect.right() + arrow / 2  # the two captions meet above the arrow, never overlap
        for left, right, text in ((max(2.0, in_rect.left() - 30), middle, tuple(f"input {h}×{w}{n}" for n in pads)),
                                  (middle, min(out_rect.right() + 30, width - 2), (f"feature map {oh}×{ow}", "map"))):
            draw_text(painter, QtCore.QRectF(left, top - text_px * 1.6, right - left, text_px * 1.5), text, text_px,
                      fit=True, wrap=False)
        draw_pixels(painter, in_rect, to_qimage(padded, INK_TABLE, 0.0, 1.0))
        _outline(painter, QtCore.QRectF(x0, top, k * s, k * s), HIGHLIGHT, 2.0)
        _outline(painter, QtCore.QRectF(x0 + self.stride * s, top, k * s, k * s), HIGHLIGHT, 1.0)
        draw_text(painter, QtCore.QRectF(in_rect.right(), top, arrow, in_rect.height()), "→", text_px * 1.6)
        top_value = float(np.max(np.abs(self.feature_map))) or 1.0
        draw_pixels(painter, out_rect, to_qimage(self.feature_map, DIVERGING, -top_value, top_value))
        formula = lesson_maths.output_size_formula(h, k, self.stride, self.padding)
        if h != w:
            formula += f" rows; {lesson_maths.output_size_formula(w, k, self.stride, self.padding)} columns"
        y = max(in_rect.bottom(), out_rect.bottom()) + 0.5 * text_px
        draw_text(painter, QtCore.QRectF(6, y, width - 12, 1.6 * text_px), formula, text_px * 1.15, bold=True,
                  fit=True, wrap=False)
        notes = (f"{lesson_maths.padding_note(h, k, self.stride, self.padding)}.\n"
                 "Computed by nnviz's Conv2D (bias 0, no ReLU); red > 0 > blue; "
                 "orange: the first two windows, one stride apart.")
        draw_text(painter, QtCore.QRectF(6, y + 1.7 * text_px, width - 12, height - y - 1.7 * text_px), notes,
                  text_px, fit=True, align=A.AlignHCenter | A.AlignTop)
