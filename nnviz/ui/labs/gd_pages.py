"""Pages of the gradient-descent lab: the slides' 1-D and 2-D examples step by step, and the pitfalls."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from nnviz.core.lessons.gradient_descent import (DX, ETA_1D, ETA_2D, PITFALLS, START_1D, START_2D, SURFACES,
                                                 Surface, gradient_rounds, numeric_derivative, parabola,
                                                 parabola_slope, pitfall_paths, surface_grid, tangent_line)
from nnviz.core.lessons.text_table import format_number

from nnviz.ui import theme
from nnviz.ui.labs.controls import (ValueSlider, button_row, figure_label, fit_plot_title, heading, html_table,
                                    legend, plot_widget, push_button)

PATH_COLOURS = (theme.VERMILLION, theme.BLUE)


def n(value: float, digits: int = 4) -> str:
    return format_number(float(value), digits).replace("-", "−")


def surface_colormap() -> pg.ColorMap:
    """Pale yellow (low error) to blue (high): light enough for paths and contour lines on top."""
    return pg.ColorMap([0.0, 0.35, 1.0], [(255, 255, 229), (199, 233, 180), (65, 182, 196)])


def add_surface(plot: pg.PlotItem, surface: Surface, levels: list[float]) -> list[pg.GraphicsObject]:
    """A 2-D error surface as a pale image with contour lines; returns the items added."""
    values, (x0, x1, y0, y1) = surface_grid(surface)
    image = pg.ImageItem(np.log1p(values - values.min()), axisOrder="row-major")
    image.setColorMap(surface_colormap())
    image.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
    plot.addItem(image)
    items: list[pg.GraphicsObject] = [image]
    for level in levels:
        curve = pg.IsocurveItem(values, level, pen=pg.mkPen(theme.GREY_60, width=1.2), axisOrder="row-major")
        curve.setParentItem(image)
        items.append(curve)
    plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
    return items


class StepByStepPage(QtWidgets.QWidget):
    """1-D: y = x² − 6x + 10 with tangent and derivatives; 2-D: the bowl's contour map and rounds table."""

    def __init__(self) -> None:
        super().__init__()
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.plot_1d = plot_widget("1-D: y = x² − 6x + 10", "y", "x")
        p = self.plot_1d.getPlotItem()
        p.showGrid(x=True, y=True, alpha=0.25)
        xs = np.linspace(-1, 7, 400)
        p.plot(xs, [parabola(x) for x in xs], pen=pg.mkPen(theme.BLUE, width=3))
        self.tangent = p.plot(pen=pg.mkPen(theme.GREY_70, width=2.5, style=QtCore.Qt.PenStyle.DashLine))
        self.path_1d_item = p.plot(pen=pg.mkPen(theme.VERMILLION, width=1.5), symbol="o", symbolSize=9,
                                   symbolBrush=theme.VERMILLION, symbolPen=None)
        self.current_1d = p.plot(pen=None, symbol="o", symbolSize=16, symbolBrush="k", symbolPen=pg.mkPen("w", width=2))
        p.setRange(xRange=(-1, 7), yRange=(-1, 18), padding=0)
        self.plot_2d = plot_widget("", "y", "x")
        fit_plot_title(self.plot_2d.getPlotItem(), "2-D: z = x² + y² − 6x + 10, path down −∇z",
                       "2-D: z = x² + y² − 6x + 10", "2-D descent")
        p2 = self.plot_2d.getPlotItem()
        p2.setAspectLocked(True)
        add_surface(p2, SURFACES["bowl"], [1.5, 2, 3, 5, 8, 11, 14, 18, 24, 30, 40])
        p2.plot([3], [0], pen=None, symbol="+", symbolSize=18, symbolPen=pg.mkPen("k", width=2.5))
        self.path_2d_item = p2.plot(pen=pg.mkPen(theme.VERMILLION, width=2), symbol="o", symbolSize=8,
                                    symbolBrush=theme.VERMILLION, symbolPen=None)
        self.current_2d = p2.plot(pen=None, symbol="star", symbolSize=20, symbolBrush="k",
                                  symbolPen=pg.mkPen("w", width=1.5))
        self.text_1d = figure_label()
        self.text_2d = figure_label()
        grid.addWidget(self.plot_1d, 0, 0)
        grid.addWidget(self.plot_2d, 0, 1)
        grid.addWidget(self.text_1d, 1, 0)
        grid.addWidget(self.text_2d, 1, 1)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        self.controls = self._build_controls()
        self.reset_1d()
        self.reset_2d()

    def _build_controls(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        c = QtWidgets.QVBoxLayout(box)
        c.setContentsMargins(0, 0, 0, 0)
        c.addWidget(heading("1-D: y = x² − 6x + 10"))
        self.eta_1d = ValueSlider("η", 0.01, 1.1, ETA_1D, steps=109, decimals=2, tooltip="learning rate of the 1-D steps")
        self.start_1d = QtWidgets.QDoubleSpinBox(decimals=2, minimum=-1, maximum=7, singleStep=0.5, value=START_1D)
        form = QtWidgets.QFormLayout()
        form.addRow("start x", self.start_1d)
        c.addLayout(form)
        c.addWidget(self.eta_1d)
        c.addWidget(button_row(push_button("Step 1-D", self.step_1d), push_button("Reset", self.reset_1d)))
        c.addWidget(heading("2-D: z = x² + y² − 6x + 10"))
        self.eta_2d = ValueSlider("η", 0.005, 1.1, ETA_2D, steps=220, log=True, decimals=3,
                                  tooltip="learning rate of the 2-D steps (the slides use 0.01)")
        c.addWidget(self.eta_2d)
        c.addWidget(button_row(push_button("Step 2-D", self.step_2d), push_button("× 10", lambda: self.step_2d(10)),
                               push_button("× 100", lambda: self.step_2d(100))))
        c.addWidget(push_button("Reset 2-D", self.reset_2d))
        self.start_1d.editingFinished.connect(self.reset_1d)
        self.eta_2d.value_changed.connect(lambda _v: self.reset_2d())
        return box

    # --- 1-D -----------------------------------------------------------------------------------
    def reset_1d(self) -> None:
        self.path_1d = [float(self.start_1d.value())]
        self.draw_1d()

    def step_1d(self) -> None:
        x = self.path_1d[-1]
        if abs(x) < 1e6:
            self.path_1d.append(x - self.eta_1d.value() * parabola_slope(x))
        self.draw_1d()

    def draw_1d(self) -> None:
        xs = np.array(self.path_1d)
        self.path_1d_item.setData(xs, [parabola(x) for x in xs])
        x = xs[-1]
        self.current_1d.setData([x], [parabola(x)])
        around = np.linspace(x - 1.5, x + 1.5, 2)
        self.tangent.setData(around, tangent_line(x, around))
        eta = self.eta_1d.value()
        numeric, analytic = numeric_derivative(parabola, x, DX), parabola_slope(x)
        self.text_1d.setText(
            f"<b>Round {len(xs) - 1}: x = {n(x)}, y = {n(parabola(x))}</b><br>"
            f"numeric slope (y(x + {n(DX)}) − y(x)) / {n(DX)} = ({n(parabola(x + DX), 6)} − {n(parabola(x), 6)}) / "
            f"{n(DX)} = <b>{n(numeric)}</b><br>"
            f"analytic slope y' = 2x − 6 = <b>{n(analytic)}</b> &nbsp;(dashed line: the tangent)<br>"
            f"next: x ← x − η·y' = {n(x)} − {n(eta)}·{n(analytic) if analytic >= 0 else '(' + n(analytic) + ')'}"
            f" = <b>{n(x - eta * analytic)}</b>")

    # --- 2-D -----------------------------------------------------------------------------------
    def reset_2d(self) -> None:
        self.rounds = 0
        self.draw_2d()

    def step_2d(self, count: int = 1) -> None:
        self.rounds = min(self.rounds + count, 5000)
        self.draw_2d()

    def draw_2d(self) -> None:
        eta = self.eta_2d.value()
        rounds = gradient_rounds(START_2D, eta, self.rounds) if self.rounds else []
        xs = [START_2D[0]] + [r.next_x for r in rounds]
        ys = [START_2D[1]] + [r.next_y for r in rounds]
        self.path_2d_item.setData(xs, ys)
        self.current_2d.setData([xs[-1]], [ys[-1]])
        shown = (rounds or gradient_rounds(START_2D, eta, 1))[-6:]
        rows = [[str(r.index), f"({n(r.x)}, {n(r.y)})", n(r.z), f"({n(r.grad_x)}, {n(r.grad_y)})",
                 f"({n(r.next_x)}, {n(r.next_y)})"] for r in shown]
        highlight = len(rows) - 1 if self.rounds else None
        z_now = SURFACES["bowl"].value(np.array([xs[-1], ys[-1]]))
        self.text_2d.setText(
            f"<b>From (6, −2), z = 14, η = {n(eta)}: {self.rounds} round(s), now z = {n(float(z_now))}</b>"
            f"<br>∇z = (2x − 6, 2y); (x, y) ← (x, y) − η ∇z"
            + html_table(["round", "(x, y)", "z", "∇z", "next (x, y)"], rows, highlight, point_size=12))

    def step(self) -> None:
        self.step_1d()
        self.step_2d()


class PitfallsPage(QtWidgets.QWidget):
    """One click per pitfall: the path(s) on the landscape and the error along them."""

    def __init__(self) -> None:
        super().__init__()
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.landscape = plot_widget("", "", "x")
        self.errors = plot_widget("Error along the path", "error", "step")
        self.errors.getPlotItem().showGrid(x=True, y=True, alpha=0.25)
        self.text = figure_label()
        grid.addWidget(self.landscape, 0, 0)
        grid.addWidget(self.errors, 0, 1)
        grid.addWidget(self.text, 1, 0, 1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(0, 1)
        self.controls = self._build_controls()
        self.show_pitfall("crawl")

    def _build_controls(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        c = QtWidgets.QVBoxLayout(box)
        c.setContentsMargins(0, 0, 0, 0)
        c.addWidget(heading("Pitfalls (one click each)"))
        self.buttons = {}
        for name, pitfall in PITFALLS.items():
            button = push_button(pitfall.title, lambda _c=False, n=name: self.show_pitfall(n))
            button.setCheckable(True)
            button.setAutoExclusive(True)
            c.addWidget(button)
            self.buttons[name] = button
        c.addWidget(heading("Replay"))
        c.addWidget(button_row(push_button("From the start", self.restart), push_button("Step", self.step),
                               push_button("All steps", self.show_all)))
        return box

    def show_pitfall(self, name: str) -> None:
        self.name = name
        self.buttons[name].setChecked(True)
        self.paths = pitfall_paths(name)
        self.shown = max(len(p.points) for p in self.paths) - 1
        self._draw_landscape()
        self.draw()

    def restart(self) -> None:
        self.shown = 0
        self.draw()

    def step(self) -> None:
        self.shown = min(self.shown + 1, max(len(p.points) for p in self.paths) - 1)
        self.draw()

    def show_all(self) -> None:
        self.shown = max(len(p.points) for p in self.paths) - 1
        self.draw()

    def _draw_landscape(self) -> None:
        pitfall = PITFALLS[self.name]
        surface = SURFACES[pitfall.surface]
        plot = self.landscape.getPlotItem()
        plot.clear()
        if plot.legend is not None:
            plot.legend.scene().removeItem(plot.legend)
            plot.legend = None
        legend(plot, offset=(-8, -8) if surface.dims == 1 else (-8, 8))
        self.path_items = []
        if surface.dims == 1:
            plot.setAspectLocked(False)
            low = min(surface.x_range[0], *(float(p.points.min()) for p in self.paths)) - 0.3
            high = max(surface.x_range[1], *(float(p.points.max()) for p in self.paths)) + 0.3
            xs = np.linspace(low, high, 600)
            plot.plot(xs, surface.value(xs[:, None]), pen=pg.mkPen(theme.BLUE, width=3), name=surface.formula)
            plot.setLabel("left", "y", color=theme.BLACK, **{"font-size": "13pt"})
        else:
            plot.setAspectLocked(False)
            levels = {"two-minima": [1.2, 2, 3, 4, 5, 6, 7, 8, 10, 12], "valley": [0.05, 0.2, 0.5, 1, 1.5, 2.5, 4, 6]}
            add_surface(plot, surface, levels[surface.name])
            plot.setLabel("left", "y", color=theme.BLACK, **{"font-size": "13pt"})
        fit_plot_title(plot, surface.formula, size="14pt")
        for colour, path in zip(PATH_COLOURS, self.paths):
            self.path_items.append(plot.plot(pen=pg.mkPen(colour, width=2.5), symbol="o", symbolSize=8,
                                             symbolBrush=colour, symbolPen=None, name=path.label))
        if surface.dims == 1:
            top = max(float(np.max(p.values)) for p in self.paths)
            plot.setRange(xRange=(low, high), yRange=(0, max(top, 17) * 1.05), padding=0.02)

    def draw(self) -> None:
        pitfall = PITFALLS[self.name]
        surface = SURFACES[pitfall.surface]
        errors = self.errors.getPlotItem()
        errors.clear()
        for colour, path, item in zip(PATH_COLOURS, self.paths, self.path_items):
            points = path.points[: self.shown + 1]
            if surface.dims == 1:
                item.setData(points[:, 0], path.values[: self.shown + 1])
            else:
                item.setData(points[:, 0], points[:, 1])
            errors.plot(np.arange(points.shape[0]), path.values[: self.shown + 1], pen=pg.mkPen(colour, width=2.5),
                        symbol="o", symbolSize=6, symbolBrush=colour, symbolPen=None)
        lines = []
        for path in self.paths:
            end = path.points[min(self.shown, len(path.points) - 1)]
            where = ", ".join(n(v, 3) for v in end)
            diverged = path.diverged and self.shown >= len(path.points) - 1
            verdict = f" — <b style='color:{theme.ERROR_TEXT}'>diverged</b>" if diverged else ""
            lines.append(f"{path.label}: after {min(self.shown, len(path.points) - 1)} steps at ({where}), "
                         f"error {n(path.values[min(self.shown, len(path.values) - 1)], 4)}{verdict}")
        self.text.setText(f"<b>{pitfall.title}.</b> {pitfall.explanation}<br>" + "<br>".join(lines))
