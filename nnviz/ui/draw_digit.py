"""The "Draw a digit" window: a canvas drawn on with the mouse (a thick round pen; the right button
erases), beside it the 28×28 image the network is given, and below that its output probabilities
as the worker computed them (the record's, the same the Activations panel shows).

A dialog rather than a dock: it opens beside the panels without rearranging a layout the lecturer
has set up, stays open (non-modal) while the class watches the panels follow the drawing, and can be
dragged to the projector's edge. Only drawing and the tiny preprocessing happen here.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.record import RunRecord

from nnviz.ui import theme

CANVAS_PIXELS = 280  # the drawing's resolution: 10x MNIST, a digit the size of the box is ~200 px
PEN_WIDTH = 22  # scaled to 20 px with the box, a stroke becomes MNIST's 2-3 px
PREVIEW_ZOOM = 6


def grey_array(image: QtGui.QImage) -> np.ndarray:
    """A QImage -> (H, W) float32 grey levels in [0, 1] (a copy)."""
    grey = image.convertToFormat(QtGui.QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(grey.constBits(), np.uint8).reshape(grey.height(), grey.bytesPerLine())
    return rows[:, :grey.width()].astype(np.float32) / np.float32(255.0)


def rgb_array(image: QtGui.QImage) -> np.ndarray:
    """A QImage -> (H, W, 3) float32 RGB in [0, 1] (a copy)."""
    rgb = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    rows = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    return rows[:, :3 * rgb.width()].reshape(rgb.height(), rgb.width(), 3).astype(np.float32) / np.float32(255.0)


def paper_image(ink: np.ndarray) -> QtGui.QImage:
    """(H, W) ink in [0, 1] -> a grey QImage, dark ink on white paper as the panels draw inputs."""
    pixels = np.ascontiguousarray(255 - np.clip(ink * 255.0 + 0.5, 0, 255).astype(np.uint8))
    image = QtGui.QImage(pixels.data, pixels.shape[1], pixels.shape[0], pixels.shape[1],
                         QtGui.QImage.Format.Format_Grayscale8)
    return image.copy()  # own its pixels: ``pixels`` goes away


class DrawingCanvas(QtWidgets.QWidget):
    """Left button draws, right button erases; ``changed`` after every stroke segment,
    ``stroke_finished`` on release. The drawing is white ink on black, as MNIST stores digits."""

    changed = QtCore.Signal()
    stroke_finished = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.ink = QtGui.QImage(CANVAS_PIXELS, CANVAS_PIXELS, QtGui.QImage.Format.Format_Grayscale8)
        self.ink.fill(0)
        self._last: QtCore.QPointF | None = None
        self._erasing = False
        side = round(CANVAS_PIXELS * max(theme.scale, 1.0))
        self.setFixedSize(side, side)
        self.setCursor(QtCore.Qt.CursorShape.CrossCursor)
        self.setMouseTracking(True)  # moves arrive with or without a button held (mouse and tests alike)
        self.setToolTip("Draw with the left mouse button; the right button erases")

    def array(self) -> np.ndarray:
        """(H, W) float32 ink in [0, 1]."""
        return grey_array(self.ink)

    def clear(self) -> None:
        self.ink.fill(0)
        self.update()
        self.changed.emit()

    def _to_ink(self, position: QtCore.QPointF) -> QtCore.QPointF:
        return QtCore.QPointF(position.x() * CANVAS_PIXELS / self.width(), position.y() * CANVAS_PIXELS / self.height())

    def _draw_to(self, point: QtCore.QPointF) -> None:
        painter = QtGui.QPainter(self.ink)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        width = PEN_WIDTH * (2.0 if self._erasing else 1.0)  # a broad eraser: mending, not drawing
        ink = QtGui.QColor.fromRgb(0, 0, 0) if self._erasing else QtGui.QColor.fromRgb(255, 255, 255)
        painter.setPen(QtGui.QPen(ink, width, QtCore.Qt.PenStyle.SolidLine, QtCore.Qt.PenCapStyle.RoundCap,
                                  QtCore.Qt.PenJoinStyle.RoundJoin))
        painter.drawLine(self._last or point, point)
        painter.end()
        self._last = point
        self.update()
        self.changed.emit()

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() not in (QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.RightButton):
            return
        self._erasing = event.button() == QtCore.Qt.MouseButton.RightButton
        self._last = None
        self._draw_to(self._to_ink(event.position()))  # a click alone leaves a dot

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self._last is not None:  # only between press and release (own state: tests' moves carry no buttons)
            self._draw_to(self._to_ink(event.position()))

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self._last is not None:
            self._draw_to(self._to_ink(event.position()))
            self._last = None
            self.stroke_finished.emit()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
        shown = self.ink.copy()
        shown.invertPixels()  # dark ink on white paper, as on the board and in the panels
        painter.drawImage(self.rect(), shown)
        painter.setPen(QtGui.QPen(QtGui.QColor(theme.GREY_40), 1, QtCore.Qt.PenStyle.DashLine))
        margin = self.width() * 4 / 28  # MNIST's 20-px box inside the 28-px field: draw this big
        painter.drawRect(QtCore.QRectF(margin, margin, self.width() - 2 * margin, self.height() - 2 * margin))
        painter.setPen(QtGui.QPen(QtGui.QColor(theme.GREY_60), 2))
        painter.drawRect(self.rect().adjusted(1, 1, -1, -1))


class DrawDigitDialog(QtWidgets.QDialog):
    """Canvas | the network's 28×28 input and its output probabilities. The owner feeds
    :meth:`show_input` (the preprocessed drawing) and :meth:`show_record` (the worker's answer)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Draw a digit")
        self.setModal(False)
        self.canvas = DrawingCanvas()
        self.clear_button = QtWidgets.QPushButton("Clear")
        self.clear_button.setToolTip("Wipe the canvas; the panels show the Input tool bar's example again")
        self.clear_button.clicked.connect(self.canvas.clear)
        self.hint = QtWidgets.QLabel("Left button: draw · right button: erase.\nDraw about as big as the dashed box.")
        self.hint.setWordWrap(True)
        self.preview = QtWidgets.QLabel()
        side = 28 * PREVIEW_ZOOM
        self.preview.setFixedSize(side, side)
        self.preview.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet(f"border: 1px solid {theme.GREY_40}; background: white; color: {theme.GREY_60}")
        self.preview_caption = QtWidgets.QLabel("◀ as the network sees it:\n28×28, the ink's box\nscaled to 20 px,\n"
                                                "centred by mass")
        self.bars = pg.PlotWidget()
        self.bars.setMinimumSize(300, 180)
        self.bars.setMenuEnabled(False)
        self.bars.setMouseEnabled(False, False)
        self.bars.hideButtons()
        plot = self.bars.getPlotItem()
        theme.style_plot(plot, left="probability", bottom="class")
        plot.setYRange(0, 1.05, padding=0)
        self.bar_item = pg.BarGraphItem(x=[0], height=[0], width=0.8, brush=theme.NEUTRAL_COLOUR, pen=None)
        plot.addItem(self.bar_item)
        self.answer = QtWidgets.QLabel()
        self.answer.setWordWrap(True)
        font = self.answer.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.answer.setFont(font)
        self.pixels: np.ndarray | None = None  # the last input shown (28×28), None: nothing drawn
        self._class_names: tuple[str, ...] = ()
        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.canvas)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.clear_button)
        row.addStretch(1)
        left.addLayout(row)
        left.addWidget(self.hint)
        left.addStretch(1)
        seen = QtWidgets.QVBoxLayout()
        seen.addWidget(self.preview_caption)
        seen.addWidget(self.answer)
        seen.addStretch(1)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.preview)
        top.addLayout(seen, 1)
        right = QtWidgets.QVBoxLayout()
        right.addLayout(top)
        right.addWidget(self.bars, 1)
        layout = QtWidgets.QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(right, 1)
        grow = max(theme.scale, 1.0)
        self.resize(round(680 * grow), round(440 * grow))  # at 1024×768 the output panel stays in view beside it
        self.show_input(None)

    def show_input(self, pixels: np.ndarray | None) -> None:
        """The preprocessed drawing (28×28 ink in [0, 1]); None: nothing drawn."""
        self.pixels = pixels
        if pixels is None:
            self.preview.setPixmap(QtGui.QPixmap())
            self.preview.setText("nothing drawn")
            self.answer.setText("Draw a digit")
            self.bar_item.setOpts(x=[], height=[])
            return
        image = paper_image(pixels).scaled(self.preview.size(), QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                                           QtCore.Qt.TransformationMode.FastTransformation)  # pixels stay pixels
        self.preview.setPixmap(QtGui.QPixmap.fromImage(image))

    def set_class_names(self, names: tuple[str, ...]) -> None:
        """The bars' classes (also before anything is drawn: an axis of classes, not of 0.2 … 0.8)."""
        if names == self._class_names or not names:
            return
        self._class_names = tuple(names)
        plot = self.bars.getPlotItem()
        plot.getAxis("bottom").setTicks([list(enumerate(theme.column_labels(names)))])
        plot.setXRange(-0.6, len(names) - 0.4, padding=0)

    def show_record(self, record: RunRecord | None) -> None:
        """The worker's answer for the drawn input: its probabilities, the winner named."""
        if record is None or record.probe_split != "drawn" or record.probabilities is None or self.pixels is None:
            return
        values = np.asarray(record.probabilities, dtype=np.float32)
        names = record.class_names
        self.set_class_names(names)
        best = int(record.probe_prediction)
        brushes = [theme.TRAIN_COLOUR if k == best else theme.NEUTRAL_COLOUR for k in range(values.shape[0])]
        self.bar_item.setOpts(x=np.arange(values.shape[0]), height=values, brushes=brushes)
        if 0 <= best < len(names):
            self.answer.setText(f"The network says {names[best]} ({values[best]:.0%})")
