"""Small control widgets the labs share: a labelled slider for real values, headings, plots."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from nnviz.ui import theme


class ValueSlider(QtWidgets.QWidget):
    """A slider for a real value: "name  [-----o----]  1.25". Linear, or logarithmic with ``log=True``."""

    value_changed = QtCore.Signal(float)

    def __init__(self, label: str, minimum: float, maximum: float, value: float, *, steps: int = 200,
                 log: bool = False, decimals: int = 2, tooltip: str = "") -> None:
        super().__init__()
        self.minimum, self.maximum, self.log, self.decimals, self.steps = minimum, maximum, log, decimals, steps
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QtWidgets.QLabel(label)
        self.label.setMinimumWidth(70)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, steps)
        self.readout = QtWidgets.QLabel()
        self.readout.setMinimumWidth(52)
        self.readout.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.label)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.readout)
        if tooltip:
            self.setToolTip(tooltip)
        self._exact: float | None = None
        self._pending: float | None = None
        self.slider.valueChanged.connect(self._moved)
        self.slider.blockSignals(True)
        self.slider.setValue(self._to_position(value))
        self.slider.blockSignals(False)
        self._exact = float(value)
        self._show()

    def _to_position(self, value: float) -> int:
        lo, hi = self.minimum, self.maximum
        if self.log:
            fraction = (math.log10(value) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        else:
            fraction = (value - lo) / (hi - lo)
        return round(min(max(fraction, 0.0), 1.0) * self.steps)

    def _from_position(self, position: int) -> float:
        fraction = position / self.steps
        if self.log:
            return 10 ** (math.log10(self.minimum) + fraction * (math.log10(self.maximum) - math.log10(self.minimum)))
        return self.minimum + fraction * (self.maximum - self.minimum)

    def value(self) -> float:
        if self._exact is not None:
            return self._exact
        value = self._from_position(self.slider.value())
        if self.log:
            digits = max(0, self.decimals - int(math.floor(math.log10(value))) - 1)
            return round(value, digits)
        return round(value, self.decimals)

    def set_value(self, value: float) -> None:
        """Show ``value`` exactly (the slider moves to the nearest position); emits value_changed."""
        self._exact = None
        position = self._to_position(value)
        if position == self.slider.value():
            self._exact = float(value)
            self._show()
            self.value_changed.emit(self.value())
        else:
            self._pending = float(value)
            self.slider.setValue(position)

    def _show(self) -> None:
        self.readout.setText(f"{self.value():g}")

    def _moved(self, _position: int) -> None:
        self._exact, self._pending = self._pending, None
        self._show()
        self.value_changed.emit(self.value())


def heading(text: str) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(f"<b>{text}</b>")
    label.setWordWrap(True)  # a long heading must not widen the controls column past its frame
    label.setContentsMargins(0, 8, 0, 0)
    return label


def push_button(text: str, slot, tooltip: str = "") -> QtWidgets.QPushButton:
    button = QtWidgets.QPushButton(text)
    button.clicked.connect(lambda _checked=False: slot())  # never pass "checked" on as an argument
    if tooltip:
        button.setToolTip(tooltip)
    return button


def button_row(*buttons: QtWidgets.QAbstractButton) -> QtWidgets.QWidget:
    row = QtWidgets.QWidget()
    layout = QtWidgets.QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    for button in buttons:
        layout.addWidget(button)
    return row


def figure_label(text: str = "", point_size: int = 13) -> QtWidgets.QLabel:
    """Rich text in the figure (tables, formulas), black on white, large enough for a projector."""
    label = QtWidgets.QLabel(text)
    label.setTextFormat(QtCore.Qt.TextFormat.RichText)
    label.setWordWrap(True)
    label.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
    label.setStyleSheet(f"color: black; background: white; font-size: {point_size}pt;")
    label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def style_plot_item(plot: pg.PlotItem, title: str = "", left: str = "", bottom: str = "") -> None:
    """Readable ticks and labels, plain numbers (no "x0.001" prefixes), no right-click menu."""
    plot.setMenuEnabled(False)
    plot.hideButtons()
    theme.style_plot(plot)
    if title:
        fit_plot_title(plot, title)  # cut short with "…" rather than drawn over the next plot
    for name, text in (("left", left), ("bottom", bottom)):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(theme.GREY_80))
        axis.setTextPen("k")
        axis.enableAutoSIPrefix(False)
        if text:
            set_axis_label(plot, name, text)


def set_axis_label(plot: pg.PlotItem, side: str, text: str) -> None:
    """A black axis label at the labs' size."""
    plot.getAxis(side).setLabel(text, color=theme.BLACK, **{"font-size": "13pt"})


def plot_widget(title: str = "", left: str = "", bottom: str = "") -> pg.PlotWidget:
    """A white plot with readable ticks and labels (see :func:`style_plot_item`)."""
    widget = pg.PlotWidget(background="w")
    style_plot_item(widget.getPlotItem(), title, left, bottom)
    # Small enough that four plots side by side and the controls fit a 1024-pixel projector.
    widget.setMinimumSize(140, 120)
    return widget


def fit_plot_title(plot: pg.PlotItem, *variants: str, size: str = "13pt") -> None:
    """Title ``plot`` with the longest of ``variants`` (longest first) that fits its width, fitted
    again whenever the plot is resized: a title wider than its plot ran into its neighbour's."""
    label = plot.titleLabel
    if getattr(label, "_nnviz_variants", None) == variants and label.isVisible():
        return  # already shown (redraws call this every frame; a resize refits it)
    theme.relax_width(label)  # a long title must not widen the plot beyond its widget either
    if getattr(label, "_nnviz_variants", None) is None:
        label.geometryChanged.connect(lambda: theme.fit_title(label, *label._nnviz_variants))
    label._nnviz_variants = variants
    # A fixed size, also in presentation mode: pyqtgraph's title row is 30 pixels high.
    plot.setTitle(variants[0], size=size)
    label._nnviz_text = variants[0]
    theme.fit_title(label, *variants)


def legend(plot: pg.PlotItem, offset: tuple[int, int] = (10, 10), size: str = "12pt") -> pg.LegendItem:
    item = plot.addLegend(offset=offset, labelTextSize=size, brush=pg.mkBrush(255, 255, 255, 220),
                          pen=pg.mkPen(theme.GREY_40))
    item.setLabelTextColor("k")
    return item


def html_table(headers: list[str], rows: list[list[str]], highlight_row: int | None = None,
               point_size: int = 13) -> str:
    """A bordered HTML table for QLabel (Qt's rich text supports a subset of HTML 4)."""
    head = "".join(f"<th nowrap style='padding:4px 10px; background:{theme.TABLE_HEADER_FILL}'>{h}</th>"
                   for h in headers)
    body = []
    for i, row in enumerate(rows):
        colour = theme.HIGHLIGHT if i == highlight_row else "white"
        cells = "".join(f"<td nowrap align='center' style='padding:4px 10px; background:{colour}'>{c}</td>" for c in row)
        body.append(f"<tr>{cells}</tr>")
    return (f"<table cellspacing='0' cellpadding='4' border='1' style='border-color:{theme.TABLE_BORDER}; "
            f"font-size:{point_size}pt'><tr>{head}</tr>{''.join(body)}</table>")
