"""The 2-D playground lab: perceptron or MLP on a toy set, the decision boundary as a live heat map
under the points, the network as a graph of neuron pictures, and the loss (or mistakes per epoch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from nnviz.core.lessons.playground import (GRID, PLAYGROUND_DATASETS, THUMB, PlaneView, PlaygroundRun,
                                           PlaygroundSettings, mlp_table, perceptron_table)
from nnviz.core.data.toy import TOY_DATASETS, TOY_DEFAULTS

from nnviz.ui.labs.base import LabWidget
from nnviz.ui.labs.controls import (ValueSlider, button_row, figure_label, fit_plot_title, heading, plot_widget,
                                    push_button, set_axis_label, style_plot_item)
from nnviz.ui.labs.network_graph import NetworkGraph, plane_colormap
from nnviz.ui import theme

CLASS_COLOURS = (theme.BLUE, theme.ORANGE)  # Okabe-Ito blue and orange
CLASS_SYMBOLS = ("o", "t")
ACTIVATIONS = ("tanh", "relu", "sigmoid")
MAX_UNITS = 12


class PlaygroundLab(LabWidget):
    name = "playground"
    title = "2-D playground"

    def __init__(self, parent: QtWidgets.QWidget | None = None, data_dir: str | None = None) -> None:
        super().__init__(parent, data_dir)
        self.settings = PlaygroundSettings()
        self._build_figure()
        self._build_controls()
        self.finish_controls()
        self.timer = self.make_timer(30, self._tick)
        self.rebuild()

    # --- figure ------------------------------------------------------------------------------
    def _build_figure(self) -> None:
        grid = QtWidgets.QGridLayout(self.figure)
        grid.setContentsMargins(6, 6, 6, 6)
        self.plane = pg.GraphicsLayoutWidget()
        self.plane.setBackground("w")
        plot = self.plane.addPlot(row=0, col=0)
        style_plot_item(plot, "Input plane: the network's output, boundary at 0.5", "x2", "x1")
        self.plane_plot = plot
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat.setColorMap(plane_colormap())
        plot.addItem(self.heat)
        self.boundary = pg.IsocurveItem(level=0.5, pen=pg.mkPen("k", width=3), axisOrder="row-major")
        self.boundary.setParentItem(self.heat)
        self.plane_legend = pg.LegendItem(colCount=2, labelTextSize="12pt", labelTextColor="k")
        self.plane.addItem(self.plane_legend, row=1, col=0)
        self.points = {}
        for split, filled in (("train", True), ("test", False)):
            for label, (colour, symbol) in enumerate(zip(CLASS_COLOURS, CLASS_SYMBOLS)):
                brush = pg.mkBrush(colour) if filled else pg.mkBrush(255, 255, 255, 230)
                pen = pg.mkPen("k", width=1) if filled else pg.mkPen(colour, width=2.5)
                item = plot.plot(pen=None, symbol=symbol, symbolSize=11 if filled else 10, symbolBrush=brush,
                                 symbolPen=pen, name=f"class {label} ({split})")
                self.points[(split, label)] = item
        self.line = pg.InfiniteLine(pen=pg.mkPen("k", width=2.5, style=QtCore.Qt.PenStyle.DashLine), movable=False)
        plot.addItem(self.line, ignoreBounds=True)
        self.graph = NetworkGraph()
        self.curve = plot_widget("Loss", "loss", "iteration")
        self.loss_raw = self.curve.plot(pen=pg.mkPen((0, 114, 178, 90), width=1))
        self.loss_smooth = self.curve.plot(pen=pg.mkPen(theme.BLUE, width=3))
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=theme.VERMILLION, pen=pg.mkPen("k"))
        self.curve.addItem(self.bars)
        self.info = figure_label()
        self.graph_title = figure_label("<b>Network</b> — each square shows a neuron's output over the plane; "
                                        "line width = |weight|, "
                                        f"<span style='color:{theme.VERMILLION}'>orange = positive</span>, "
                                        f"<span style='color:{theme.BLUE}'>blue = negative</span> (hover for values)",
                                        12)
        right = QtWidgets.QVBoxLayout()
        right.addWidget(self.graph_title)
        right.addWidget(self.graph, 1)
        grid.addWidget(self.plane, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.addWidget(self.curve, 1, 0)
        grid.addWidget(self.info, 1, 1)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)

    # --- controls ----------------------------------------------------------------------------
    def _build_controls(self) -> None:
        c = self.controls
        c.addWidget(heading("Data"))
        self.dataset = QtWidgets.QComboBox()
        for name in PLAYGROUND_DATASETS:
            self.dataset.addItem(name)
            self.dataset.setItemData(self.dataset.count() - 1, TOY_DATASETS[name], QtCore.Qt.ItemDataRole.ToolTipRole)
        self.dataset.setCurrentText(self.settings.dataset)
        self.noise = QtWidgets.QDoubleSpinBox(decimals=2, minimum=0.0, maximum=1.0, singleStep=0.05)
        self.samples = QtWidgets.QSpinBox(minimum=20, maximum=2000, singleStep=20)
        self.test_share = QtWidgets.QSpinBox(minimum=10, maximum=50, singleStep=5, suffix=" %")
        self.test_share.setValue(25)
        self.seed = QtWidgets.QSpinBox(minimum=0, maximum=9999)
        form = QtWidgets.QFormLayout()
        form.addRow("data set", self.dataset)
        form.addRow("noise", self.noise)
        form.addRow("points", self.samples)
        form.addRow("test share", self.test_share)
        form.addRow("seed", self.seed)
        c.addLayout(form)
        self._data_defaults(self.settings.dataset)
        self.dataset.currentTextChanged.connect(self._dataset_changed)
        for spin in (self.noise, self.samples, self.test_share, self.seed):
            spin.editingFinished.connect(self.rebuild_from_controls)

        c.addWidget(heading("Model"))
        self.perceptron_mode = QtWidgets.QRadioButton("Perceptron (one sample at a time)")
        self.mlp_mode = QtWidgets.QRadioButton("MLP (mini-batches)")
        self.mlp_mode.setChecked(True)
        c.addWidget(self.perceptron_mode)
        c.addWidget(self.mlp_mode)
        self.perceptron_mode.toggled.connect(lambda _on: self.rebuild_from_controls())
        self.hidden = QtWidgets.QLineEdit("8, 8")
        self.hidden.setToolTip(f"hidden layer sizes, e.g. 4 or 8, 8 (at most 4 layers of {MAX_UNITS})")
        self.activation = QtWidgets.QComboBox()
        self.activation.addItems(ACTIVATIONS)
        self.momentum = QtWidgets.QDoubleSpinBox(decimals=2, minimum=0.0, maximum=0.99, singleStep=0.1, value=0.9)
        model_form = QtWidgets.QFormLayout()
        model_form.addRow("hidden", self.hidden)
        model_form.addRow("activation", self.activation)
        model_form.addRow("momentum", self.momentum)
        c.addLayout(model_form)
        self.hidden.editingFinished.connect(self.rebuild_from_controls)
        self.activation.currentTextChanged.connect(lambda _t: self.rebuild_from_controls())
        self.momentum.editingFinished.connect(self.rebuild_from_controls)
        self.learning_rate = ValueSlider("η", 0.001, 3.0, self.settings.learning_rate, log=True,
                                         tooltip="learning rate; acts on the next step")
        self.learning_rate.value_changed.connect(self._learning_rate_changed)
        c.addWidget(self.learning_rate)
        self.l2 = ValueSlider("L2 λ", 0.0, 0.05, 0.0, steps=50, decimals=3,
                              tooltip="weight decay (L2 regularisation); acts on the next step")
        self.l2.value_changed.connect(lambda v: self.run.set_weight_decay(v))
        c.addWidget(self.l2)

        c.addWidget(heading("Training"))
        self.step_button = push_button("Step", self.step, "one sample (perceptron) or one mini-batch (MLP)")
        c.addWidget(button_row(self.step_button, push_button("Step epoch", self.step_epoch)))
        self.run_button = push_button("Run", self.toggle_run)
        self.run_button.setCheckable(True)
        c.addWidget(button_row(self.run_button, push_button("Reset", self.rebuild_from_controls,
                                                            "new random weights, same data")))
        self.speed = ValueSlider("speed", 1, 50, 4, steps=49, decimals=0, tooltip="steps per frame while running")
        c.addWidget(self.speed)

    def _data_defaults(self, name: str) -> None:
        n, noise = TOY_DEFAULTS[name]
        for widget, value in ((self.samples, n), (self.noise, noise)):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        self.samples.setEnabled(name != "xor")

    def _dataset_changed(self, name: str) -> None:
        self._data_defaults(name)
        self.rebuild_from_controls()

    def _learning_rate_changed(self, value: float) -> None:
        self.run.set_learning_rate(value)
        self.settings = self.settings.changed(learning_rate=value)

    def _parse_hidden(self) -> tuple[int, ...] | None:
        try:
            sizes = tuple(int(v) for v in self.hidden.text().replace("-", ",").split(",") if v.strip())
        except ValueError:
            sizes = ()
        if not sizes or len(sizes) > 4 or not all(1 <= s <= MAX_UNITS for s in sizes):
            self.show_status(f"<span style='color:{theme.ERROR_TEXT}'>Hidden sizes must be 1 to 4 numbers from 1 to "
                             f"{MAX_UNITS}, e.g. 8, 8</span>")
            return None
        return sizes

    # --- actions -----------------------------------------------------------------------------
    def rebuild_from_controls(self) -> None:
        hidden = self._parse_hidden()
        if hidden is None:
            return
        mode = "perceptron" if self.perceptron_mode.isChecked() else "mlp"
        learning_rate = self.learning_rate.value()
        if mode != self.settings.mode:  # each mode starts from its classroom learning rate
            learning_rate = 1.0 if mode == "perceptron" else 0.3
            self.learning_rate.blockSignals(True)
            self.learning_rate.set_value(learning_rate)
            self.learning_rate.blockSignals(False)
        self.settings = self.settings.changed(
            mode=mode, dataset=self.dataset.currentText(), noise=self.noise.value(), n_samples=self.samples.value(),
            test_fraction=self.test_share.value() / 100, seed=self.seed.value(), hidden=hidden,
            activation=self.activation.currentText(), learning_rate=learning_rate,
            weight_decay=self.l2.value(), momentum=self.momentum.value())
        self.rebuild()

    def rebuild(self) -> None:
        self.run = PlaygroundRun(self.settings)
        for widget in (self.hidden, self.activation, self.momentum, self.l2):
            widget.setEnabled(not self.run.is_perceptron)
        self.step_button.setText("Step sample" if self.run.is_perceptron else "Step batch")
        raw = self.run.raw
        names = raw.feature_names or ["x1", "x2"]
        plot = self.plane_plot
        set_axis_label(plot, "bottom", names[0])
        set_axis_label(plot, "left", names[1])
        self.plane_legend.clear()
        size = 18 if raw.name == "xor" else 11
        for (split, label), item in self.points.items():
            x, y = raw.split(split)
            chosen = x[y == label]
            if split == "test" and raw.name == "xor":  # the same 4 points: draw them once
                chosen = chosen[:0]
            item.setData(chosen[:, 0], chosen[:, 1], symbolSize=size)
            if chosen.size:
                class_name = raw.class_names[label]
                class_name = f"class {class_name}" if len(class_name) < 3 else class_name
                self.plane_legend.addItem(item, f"{class_name} ({split})")
        x0, x1, y0, y1 = self.run.extent
        plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.line.setVisible(self.run.is_perceptron)
        if self.run.is_perceptron:
            fit_plot_title(plot, "Input plane: the perceptron's decision; dashed: its line w·x + b = 0",
                           "Perceptron's decision; dashed: w·x + b = 0", "Perceptron's decision")
        else:
            fit_plot_title(plot, "Input plane: the network's output, boundary at 0.5",
                           "Network output, boundary at 0.5", "Network output")
        self.show_status("")
        self.redraw()

    def step(self) -> None:
        self.run.step(1)
        self.redraw()

    def step_epoch(self) -> None:
        self.run.step_epoch()
        self.redraw()

    def toggle_run(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.run_button.setText("Run")
            self.run_button.setChecked(False)
        else:
            self.timer.start()
            self.run_button.setText("Pause")
            self.run_button.setChecked(True)

    def _tick(self) -> None:
        self.run.step(int(self.speed.value()))
        self.redraw()
        if self.run.trainer.state == "diverged":
            self.toggle_run()
            self.show_status(self.run.trainer.message)
        elif self.run.is_perceptron and any(r.train_mistakes == 0 for r in self.run.trainer.history.epochs):
            self.toggle_run()  # converged: nothing left to run, so the button says Run, not Pause

    # --- drawing -----------------------------------------------------------------------------
    def redraw(self) -> None:
        view = self.run.view()
        self.heat.setImage(view.output, levels=(0.0, 1.0), autoLevels=False)
        x0, x1, y0, y1 = view.extent
        self.heat.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))  # after setImage: it scales the pixels
        self.boundary.setData(view.output)
        if view.line is not None:
            self._draw_line(*view.line)
        self._draw_graph(view)
        self._draw_curve(view)
        self.info.setText(self._info_html(view))

    def _draw_line(self, w: np.ndarray, b: float) -> None:
        norm2 = float(w @ w)
        if norm2 < 1e-12:
            self.line.setVisible(False)
            return
        self.line.setVisible(True)
        point = -b * w / norm2
        self.line.setPos(pg.Point(float(point[0]), float(point[1])))
        self.line.setAngle(float(np.degrees(np.arctan2(w[1], w[0]))) + 90.0)

    def _draw_graph(self, view: PlaneView) -> None:
        ramp = np.linspace(0, 1, THUMB)
        inputs = np.stack([np.tile(ramp, (THUMB, 1)), np.tile(ramp[:, None], (1, THUMB))])
        act = "step" if self.run.is_perceptron else self.settings.activation
        sizes = view.layer_sizes
        titles = ["input"] + [f"hidden {i}<br>{act}" for i in range(1, len(sizes) - 1)]
        titles.append("output<br>step" if self.run.is_perceptron else "output<br>sigmoid")
        names = [[f"x{j + 1}" for j in range(2)]]
        names += [[f"h{i},{j + 1}" for j in range(n)] for i, n in enumerate(sizes[1:-1], start=1)]
        names.append(["output"])
        self.graph.show_network(sizes, view.weights, view.biases, [inputs, *view.neuron_maps], titles, names)

    def _draw_curve(self, view: PlaneView) -> None:
        plot = self.curve.getPlotItem()
        if self.run.is_perceptron:
            self.loss_raw.setData([], [])
            self.loss_smooth.setData([], [])
            epochs = np.arange(1, view.mistakes_per_epoch.size + 1)
            self.bars.setOpts(x=epochs, height=view.mistakes_per_epoch, width=0.7)
            self.bars.setVisible(True)
            fit_plot_title(plot, "Misclassified training samples per epoch", "Mistakes per epoch")
            set_axis_label(plot, "left", "mistakes")
            set_axis_label(plot, "bottom", "epoch")
            top = max(int(view.mistakes_per_epoch.max()) if view.mistakes_per_epoch.size else 1, 1)
            plot.setRange(xRange=(0.4, max(epochs.size, 5) + 0.6), yRange=(0, top * 1.1), padding=0)
            for axis, largest in (("bottom", max(epochs.size, 5)), ("left", top)):  # whole epochs and mistakes
                step = max(1, int(np.ceil(largest / 10)))
                plot.getAxis(axis).setTickSpacing(step, step)
            return
        self.bars.setVisible(False)
        for axis in ("bottom", "left"):
            plot.getAxis(axis).setTickSpacing()  # automatic again
        fit_plot_title(plot, "Training loss (½ (y − t)², per mini-batch)", "Loss ½ (y − t)² per mini-batch",
                       "Training loss")
        set_axis_label(plot, "left", "loss")
        set_axis_label(plot, "bottom", "iteration")
        loss = view.iteration_loss.astype(np.float64)
        x = np.arange(1, loss.size + 1)
        self.loss_raw.setData(x, loss)
        window = min(20, loss.size)
        if window:
            smooth = np.convolve(loss, np.ones(window) / window, mode="valid")
            self.loss_smooth.setData(x[window - 1:], smooth)
        else:
            self.loss_smooth.setData([], [])
        plot.enableAutoRange()

    def _info_html(self, view: PlaneView) -> str:
        s = self.settings
        data = f"<b>{s.dataset}</b>: {self.run.trainer.n_train} training points (filled), " \
               f"{self.run.dataset.size('test')} test points (hollow)"
        if s.dataset == "xor":
            data = "<b>xor</b>: the 4 corners (train = test)"
        accuracy = (f"train accuracy <b>{view.train_accuracy:.0%}</b>, test accuracy "
                    f"<b>{view.test_accuracy:.0%}</b>")
        if self.run.is_perceptron:
            last = int(view.mistakes_per_epoch[-1]) if view.mistakes_per_epoch.size else None
            if view.converged:
                verdict = f"<span style='color:{theme.OK_TEXT}'><b>Converged</b>: an epoch without a mistake.</span>"
            elif view.epoch >= 5:
                verdict = (f"<span style='color:{theme.ERROR_TEXT}'><b>Not converging</b>: no straight line separates "
                           "these classes.</span>")
            else:
                verdict = "Step on: the line turns towards each misclassified sample."
            return (f"{data}<br><b>Perceptron</b> ŷ = step(w·x + b); error e = y − ŷ; "
                    f"update <b>w ← w + η·x·e</b>, η = {s.learning_rate:g}<br>"
                    f"epochs done: {view.epoch}; samples this epoch: {self.run.trainer.batch_in_epoch} of "
                    f"{self.run.trainer.n_train}"
                    f"{'' if last is None else f'; last epoch: {last} mistakes'}<br>{accuracy}<br>{verdict}")
        hidden = "-".join(map(str, s.hidden))
        return (f"{data}<br><b>MLP 2-{hidden}-1</b>, {s.activation} hidden units, sigmoid output, "
                f"η = {s.learning_rate:g}, momentum {s.momentum:g}, L2 λ = {self.l2.value():g}<br>"
                f"epoch {view.epoch}, iteration {view.iteration}<br>{accuracy}<br>"
                f"Heat map: the network's output (orange → class 1); black line: output = 0.5.")

    def prepare_export(self) -> None:
        self.redraw()


WIDGET = PlaygroundLab


def headless(out_dir: Path, data_dir: str | None = None) -> list[Path]:
    """Perceptron on blobs (converges) and on XOR (never does), and an MLP on moons after 60 epochs."""
    from nnviz.ui.offscreen import ensure_app, show_for_export, write_figure

    ensure_app()
    lab = PlaygroundLab(data_dir=data_dir)
    show_for_export(lab)
    paths = []
    try:
        for dataset, epochs in (("blobs", 5), ("xor", 12)):
            lab.perceptron_mode.setChecked(True)
            lab.dataset.setCurrentText(dataset)
            for _ in range(epochs):
                lab.step_epoch()
            paths.append(write_figure(lab, out_dir, f"playground-perceptron-{dataset}"))
        lab.mlp_mode.setChecked(True)
        lab.dataset.setCurrentText("moons")
        for _ in range(60):
            lab.run.step_epoch()
        paths.append(write_figure(lab, out_dir, "playground-mlp-moons"))
    finally:
        lab.shutdown()
        lab.close()
    return paths


def tables(data_dir: str | None = None) -> str:
    return perceptron_table() + "\n\n" + mlp_table()
