"""The x-ray's network diagram: units as circles with z and a inside, b and δ below, and each
connection labelled with its weight and, after the backward step, ∂E/∂w with its numeric check.

The scene is laid out in the view's own pixels (never scaled to fit), so text keeps its point size
at any window size; it is rebuilt when the view is resized or the numbers change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.lessons.xray import XrayPass, agree
from nnviz.ui import theme

from .network_graph import NEGATIVE, POSITIVE
from .xray_explain import short, sub

LABEL_POINT_SIZE = 10
UNIT_POINT_SIZE = 10
TITLE_POINT_SIZE = 11
TITLES = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "linear": "linear", "softmax": "softmax"}
CURRENT_FILL, BACKWARD_FILL, INPUT_FILL = theme.STEP_FILL, theme.BACKWARD_FILL, theme.INPUT_FILL
DELTA_COLOUR, MUTED, OK, BAD = theme.DELTA_TEXT, theme.GREY_70, theme.OK_TEXT, theme.BAD_TEXT


@dataclass(frozen=True)
class DiagramState:
    """What to show: ``forward_shown`` units have z (and a), in order layer by layer; ``backward_shown``
    layers, counted from the output, have δ and ∂E/∂w; ``current`` (layer, unit) is highlighted."""

    result: XrayPass
    forward_shown: int
    backward_shown: int
    current: tuple[int, int] | None = None


class XrayDiagram(QtWidgets.QGraphicsView):
    """Emits ``parameter_clicked(("W", layer, j, k))`` or ``(("b", layer, j))`` when a connection or a unit is
    double-clicked: the weights are edited in place, on the diagram, as well as in the tables."""

    parameter_clicked = QtCore.Signal(tuple)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QtWidgets.QGraphicsScene(self))
        self.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing | QtGui.QPainter.RenderHint.TextAntialiasing)
        self.setBackgroundBrush(QtGui.QBrush(QtGui.QColor("white")))
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumSize(300, 240)
        self.state: DiagramState | None = None
        self._beside = False
        self.unit_texts: dict[tuple[int, int], str] = {}  # (column, unit) -> shown text, for tests
        self.edge_texts: dict[tuple[int, int, int], str] = {}  # (layer, unit j, input k) -> label

    def show_state(self, state: DiagramState) -> None:
        self.state = state
        self.redraw()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.redraw()

    def mouseDoubleClickEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        for item in self.items(event.position().toPoint()):  # topmost first: a label before its line
            if item.data(0):
                self.parameter_clicked.emit(item.data(0))
                return
        super().mouseDoubleClickEvent(event)

    # --- what is shown -----------------------------------------------------------------------------
    def _forward_done(self, layer: int, unit: int) -> bool:
        sizes = self.state.result.network.sizes
        return sum(sizes[1:layer + 1]) + unit < self.state.forward_shown

    def _activation_done(self, layer: int, unit: int) -> bool:
        """Softmax needs the whole layer's z before any a."""
        if self.state.result.network.layers[layer].activation == "softmax":
            return self._forward_done(layer, self.state.result.network.sizes[layer + 1] - 1)
        return self._forward_done(layer, unit)

    def _backward_done(self, layer: int) -> bool:
        result = self.state.result
        return result.has_gradients and layer >= len(result.layers) - self.state.backward_shown

    # --- drawing -------------------------------------------------------------------------------
    def redraw(self) -> None:
        scene = self.scene()
        scene.clear()
        self.unit_texts, self.edge_texts = {}, {}
        width, height = self.viewport().width(), self.viewport().height()
        scene.setSceneRect(0, 0, width, height)
        if self.state is None or width < 50 or height < 50:
            return
        result = self.state.result
        sizes = result.network.sizes
        title_font, label_font = _font(TITLE_POINT_SIZE, bold=True), _font(LABEL_POINT_SIZE)
        line_height = QtGui.QFontMetricsF(label_font).height()
        titles = self._titles(result)
        title_metrics = QtGui.QFontMetricsF(title_font)
        rough_gap = (width - 2 * (12 + 46) - 70) / (len(sizes) - 1)  # the narrowest the columns can get
        if max(title_metrics.horizontalAdvance(t) for t in titles) + 8 > rough_gap:
            titles = [t.replace(" · ", "\n") for t in titles]  # "layer 1" over "tanh": side by side they touch
        top = title_metrics.height() * (2 if any("\n" in t for t in titles) else 1) + 10
        spacing = (height - top - 6) / max(sizes)
        texts = [self._inside(result, column, j) for column, n in enumerate(sizes) for j in range(n)]
        for unit_size in range(UNIT_POINT_SIZE, UNIT_POINT_SIZE - 3, -1):  # a smaller font before text leaves a unit
            unit_font = _font(unit_size)
            text_width = max(QtGui.QFontMetricsF(unit_font).horizontalAdvance(t) for pair in texts for t in pair)
            unit_height = QtGui.QFontMetricsF(unit_font).height()
            fits_text = float(np.hypot(text_width / 2 + 3, unit_height))  # the corners of two lines stay inside
            below = 2 * line_height + 4  # b and δ under each circle
            radius = float(np.clip(min(fits_text, (spacing - below - 6) / 2, width / len(sizes) * 0.24), 26, 46))
            beside = spacing < 2 * radius + below + 6  # no room under the circles: b and δ go to their right
            if beside:
                below = 0.0
                radius = float(np.clip(min(fits_text, spacing / 2 - 2), 16, 46))
            if np.hypot(text_width / 2 + 1, unit_height / 2) <= radius:
                break
        self._beside = beside
        margin = 12 + radius
        right = margin + (QtGui.QFontMetricsF(label_font).horizontalAdvance("δ −0.0000") if beside else 0)
        gap = (width - margin - right) / (len(sizes) - 1)
        self._beside_kinds = self._kinds_that_fit(result, gap - 2 * radius - 8, label_font) if beside else "bδ"
        centres = []
        for column, n in enumerate(sizes):
            middle = top + (height - top - 6) / 2 - below / 2
            ys = middle + (np.arange(n) - (n - 1) / 2) * spacing
            centres.append([(margin + column * gap, float(y)) for y in ys])
        self._draw_titles(titles, centres, top, title_font)
        self._draw_edges(result, centres, radius, label_font, line_height)
        self._draw_units(result, centres, radius, unit_font, label_font, line_height)

    @staticmethod
    def _titles(result: XrayPass) -> list[str]:
        n = len(result.network.sizes)
        return ["input x"] + [f"{'output' if column == n - 1 else f'layer {column}'} · "
                              f"{TITLES[result.network.layers[column - 1].activation]}" for column in range(1, n)]

    def _kinds_that_fit(self, result: XrayPass, room: float, font: QtGui.QFont) -> str:
        """Which of b and δ fit between a unit and the next column when they go beside the units: both, δ alone
        (b is in the weight tables), or neither (6 columns at 1024 px); every value stays in the unit's tooltip."""
        metrics = QtGui.QFontMetricsF(font)
        texts = [text for l in range(len(result.layers) - 1) for j in range(result.network.sizes[l + 1])
                 for text, _colour in self._under(result, l, j)]
        for kinds in ("bδ", "δ"):
            widths = [metrics.horizontalAdvance(t) for t in texts if t[0] in kinds]
            if max(widths, default=0.0) <= room:
                return kinds
        return ""

    def _beside_width(self, result: XrayPass, column: int, metrics: QtGui.QFontMetricsF) -> float:
        """How far the b and δ printed beside a column's units reach to the right of them."""
        texts = [text for j in range(result.network.sizes[column]) for text, _colour in self._under(result, column - 1, j)
                 if text[0] in self._beside_kinds]
        return max((metrics.horizontalAdvance(t) + 3 for t in texts), default=0.0)

    def _draw_titles(self, titles: list[str], centres, top: float, font: QtGui.QFont) -> None:
        for column, text in enumerate(titles):
            item = self.scene().addSimpleText(text, font)
            rect = item.boundingRect()
            x = min(max(centres[column][0][0] - rect.width() / 2, 2), self.viewport().width() - rect.width() - 2)
            item.setPos(x, (top - rect.height()) / 2)

    def _draw_edges(self, result: XrayPass, centres, radius: float, font: QtGui.QFont, line_height: float) -> None:
        largest = max(float(np.abs(layer.W).max()) for layer in result.network.layers) or 1.0
        current = self.state.current
        metrics = QtGui.QFontMetricsF(font)
        for l, layer in enumerate(result.network.layers):
            sources, targets = centres[l], centres[l + 1]
            fraction = 1.0 / (len(targets) + 1)  # labels of edges from one source never share a height
            beside_width = self._beside_width(result, l, metrics) if l and self._beside else 0.0
            labels = []  # (rect, lines, colour, focus, key)
            for j, (x1, y1) in enumerate(targets):
                for k, (x0, y0) in enumerate(sources):
                    w = float(layer.W[j, k])
                    start, end = _shorten((x0, y0), (x1, y1), radius)
                    colour = QtGui.QColor(POSITIVE if w >= 0 else NEGATIVE)
                    focus = current == (l, j) and self.state.backward_shown == 0
                    pen = QtGui.QPen(colour, (2.5 if focus else 1.0) + 3.0 * min(abs(w) / largest, 1.0))
                    line = self.scene().addLine(QtCore.QLineF(QtCore.QPointF(*start), QtCore.QPointF(*end)), pen)
                    line.setZValue(1 if focus else 0)
                    lines = [f"w {short(w)}"]
                    tip = f"w{sub(j + 1)}{sub(k + 1)} of layer {l + 1} = {w!r}"
                    if self._backward_done(l):
                        p = result.layers[l]
                        ok = bool(agree(p.dW[j, k], p.dW_numeric[j, k]))
                        lines.append(f"∂ {short(p.dW[j, k])} {'✓' if ok else '✗'}")
                        tip += f"\n∂E/∂w = {p.dW[j, k]!r}\nnumeric = {p.dW_numeric[j, k]!r}"
                    line.setToolTip(tip + "\n(double-click to edit w)")
                    line.setData(0, ("W", l, j, k))
                    width = max(metrics.horizontalAdvance(text) for text in lines) + 6
                    height = line_height * len(lines) + 2
                    point = (start[0] + fraction * (end[0] - start[0]), start[1] + fraction * (end[1] - start[1]))
                    lowest, highest = x0 + radius + 3 + beside_width, x1 - radius - 3 - width
                    if lowest > highest:
                        continue  # no room between the two columns: the line's tooltip has the numbers
                    x = max(lowest, min(point[0] - width / 2, highest))
                    rect = QtCore.QRectF(x, point[1] - height / 2, width, height)
                    labels.append((rect, lines, colour.darker(130), focus, (l, j, k)))
            rects = [label[0].adjusted(-1, -1, 1, 1) for label in labels]
            crowded = any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
            for rect, lines, colour, focus, key in labels:
                if crowded and not focus:
                    continue  # too many connections to label: hover one, or read the weight tables
                self.edge_texts[key] = "\n".join(lines)
                self._add_label(rect, lines, font, line_height, colour, ("W", *key))

    def _add_label(self, rect: QtCore.QRectF, lines: list[str], font: QtGui.QFont, line_height: float,
                   colour: QtGui.QColor, parameter: tuple) -> None:
        """A boxed label: the weight in its connection's colour, the gradient below it."""
        box = self.scene().addRect(rect, QtGui.QPen(QtGui.QColor(theme.BOX_BORDER)),
                                   QtGui.QBrush(QtGui.QColor(255, 255, 255, 235)))
        box.setZValue(2)
        box.setData(0, parameter)
        for i, text in enumerate(lines):
            item = self.scene().addSimpleText(text, font)
            item.setData(0, parameter)
            item.setBrush(QtGui.QBrush(QtGui.QColor(DELTA_COLOUR) if i else colour))
            item.setPos(rect.x() + (rect.width() - item.boundingRect().width()) / 2, rect.y() + 1 + i * line_height)
            item.setZValue(3)

    def _inside(self, result: XrayPass, column: int, j: int) -> list[str]:
        """The two lines in a circle: x and its value for an input, z and a (or "?") for a unit."""
        if column == 0:
            return [f"x{sub(j + 1)}", short(result.inputs[j])]
        p, l = result.layers[column - 1], column - 1
        return [f"z {short(p.z[j])}" if self._forward_done(l, j) else "z ?",
                f"a {short(p.a[j])}" if self._activation_done(l, j) else "a ?"]

    def _under(self, result: XrayPass, l: int, j: int) -> list[tuple[str, str]]:
        """The lines under (or beside) unit j of layer l: its bias, and δ once the backward pass reached it."""
        under = [(f"b {short(result.network.layers[l].b[j])}", MUTED)]
        if self._backward_done(l):
            under.append((f"δ {short(result.layers[l].delta[j])}", DELTA_COLOUR))
        return under

    def _unit_tip(self, result: XrayPass, column: int, j: int) -> str:
        """Every number of a unit unrounded, also where there is no room to print it."""
        if column == 0:
            return f"x{sub(j + 1)} = {float(result.inputs[j])!r}"
        l, p = column - 1, result.layers[column - 1]
        lines = [f"b = {float(result.network.layers[l].b[j])!r}"]
        if self._forward_done(l, j):
            lines.insert(0, f"z = {float(p.z[j])!r}")
        if self._activation_done(l, j):
            lines.insert(1, f"a = {float(p.a[j])!r}")
        if self._backward_done(l):
            lines.append(f"δ = ∂E/∂z = {float(p.delta[j])!r}")
        where = "the output" if l == len(result.layers) - 1 else f"layer {l + 1}"
        return f"unit {j + 1} of {where}\n" + "\n".join(lines) + "\n(double-click to edit b)"

    def _draw_units(self, result: XrayPass, centres, radius: float, unit_font: QtGui.QFont, label_font: QtGui.QFont,
                    line_height: float) -> None:
        current, scene = self.state.current, self.scene()
        unit_height = QtGui.QFontMetricsF(unit_font).height()
        for column, positions in enumerate(centres):
            l = column - 1
            for j, (x, y) in enumerate(positions):
                inside = self._inside(result, column, j)
                if column == 0:
                    fill, under = INPUT_FILL, []
                else:
                    backward = self._backward_done(l) and l == len(result.layers) - self.state.backward_shown
                    fill = (CURRENT_FILL if current == (l, j) and self.state.backward_shown == 0
                            else BACKWARD_FILL if backward else "white")
                    under = self._under(result, l, j)
                    if self._beside and column < len(centres) - 1:  # the output's labels have their own margin
                        under = [(text, colour) for text, colour in under if text[0] in self._beside_kinds]
                circle = scene.addEllipse(x - radius, y - radius, 2 * radius, 2 * radius,
                                          QtGui.QPen(QtGui.QColor(theme.GREY_90), 1.6),
                                          QtGui.QBrush(QtGui.QColor(fill)))
                circle.setZValue(4)
                circle.setToolTip(self._unit_tip(result, column, j))
                parameter = ("b", l, j) if column else ()  # double-click a unit: edit its bias
                circle.setData(0, parameter)
                self.unit_texts[(column, j)] = " | ".join(inside + [t for t, _c in under])
                for i, text in enumerate(inside):
                    item = scene.addSimpleText(text, unit_font)
                    item.setData(0, parameter)
                    rect = item.boundingRect()
                    item.setPos(x - rect.width() / 2, y - unit_height + i * unit_height)
                    item.setZValue(5)
                for i, (text, colour) in enumerate(under):
                    item = scene.addSimpleText(text, label_font)
                    item.setData(0, parameter)
                    item.setBrush(QtGui.QBrush(QtGui.QColor(colour)))
                    rect = item.boundingRect()
                    if self._beside:
                        item.setPos(x + radius + 3, y - len(under) * line_height / 2 + i * line_height)
                        item.setZValue(5)
                        back = scene.addRect(item.sceneBoundingRect(), QtGui.QPen(QtCore.Qt.PenStyle.NoPen),
                                             QtGui.QBrush(QtGui.QColor(255, 255, 255, 220)))
                        back.setZValue(4)
                        continue
                    item.setPos(x - rect.width() / 2, y + radius + 2 + i * line_height)
                    item.setZValue(5)


def _font(point_size: int, bold: bool = False) -> QtGui.QFont:
    font = QtGui.QFont()
    font.setPointSize(point_size)
    font.setBold(bold)
    return font


def _shorten(a: tuple[float, float], b: tuple[float, float], radius: float):
    """The segment between two circles' borders."""
    (x0, y0), (x1, y1) = a, b
    length = float(np.hypot(x1 - x0, y1 - y0)) or 1.0
    dx, dy = (x1 - x0) / length * radius, (y1 - y0) / length * radius
    return (x0 + dx, y0 + dy), (x1 - dx, y1 - dy)
