"""The vanishing-gradients page of the gradient-descent lab: a 5-layer sigmoid network, the same with
ReLU, and ReLU from large initial weights (exploding gradients) on MNIST, each layer's error signal
||dE/db|| over the iterations on the same log axes, computed in a worker thread. Beside the sigmoid
network (shrinking) the page shows the exploding one (growing) or, chosen, ReLU with He weights (level)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from nnviz.core.lessons.text_table import format_number
from nnviz.core.lessons.vanishing import NETWORKS, GradientNorms, VanishingGradients, VanishingSettings

from nnviz.ui.labs.background import BackgroundRun
from nnviz.ui.labs.controls import button_row, figure_label, fit_plot_title, heading, legend, plot_widget, push_button
from nnviz.ui import theme

ACTIVATION_TITLES = {key: choice.title for key, choice in NETWORKS.items()}
NET_COLOURS = {"sigmoid": theme.VERMILLION, "relu": theme.BLUE, "exploding": theme.GREEN}
BESIDE = (("exploding", "ReLU, large init N(0, 1): exploding"), ("relu", "ReLU, He init: neither"))


def layer_colours(n_layers: int) -> list[tuple[int, int, int]]:
    """Light (first layer) to dark (output layer) along viridis: ordered and colour-blind safe."""
    cmap = pg.colormap.get("viridis")
    return [tuple(int(v) for v in cmap.map(0.85 - 0.8 * i / max(n_layers - 1, 1), mode="byte")[:3])
            for i in range(n_layers)]


class VanishingPage(QtWidgets.QWidget):
    def __init__(self, data_dir: str | None = None) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.settings = VanishingSettings()
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.curves: dict[str, list[pg.PlotDataItem]] = {}
        self.plots = {}
        self.beside = QtWidgets.QStackedWidget()  # the sigmoid net's neighbour: exploding or ReLU (He)
        for activation in NETWORKS:
            widget = plot_widget("", "||∂E/∂b||", "iteration")
            name = ACTIVATION_TITLES[activation]
            fit_plot_title(widget.getPlotItem(), f"{name}: ||∂E/∂b|| per layer", f"{name}: ||∂E/∂b||", name)
            plot = widget.getPlotItem()
            plot.setLogMode(y=True)
            plot.showGrid(x=True, y=True, alpha=0.25)
            if activation != "sigmoid":  # same colours in every plot: one legend, below the curves
                legend(plot, offset=(-8, -8))
            self.plots[activation] = widget
            if activation == "sigmoid":
                grid.addWidget(widget, 0, 0)
            else:
                self.beside.addWidget(widget)
        grid.addWidget(self.beside, 0, 1)
        self.summary = plot_widget("", "mean ||∂E/∂b||", "layer (1 = next to the input)")
        fit_plot_title(self.summary.getPlotItem(), "Mean ||∂E/∂b|| per layer", "Mean ||∂E/∂b||")
        plot = self.summary.getPlotItem()
        plot.setLogMode(y=True)
        plot.showGrid(x=True, y=True, alpha=0.25)
        legend(plot, offset=(-8, -8))
        self.summary_items = {a: plot.plot(pen=pg.mkPen(NET_COLOURS[a], width=3), symbol="o", symbolSize=12,
                                           symbolBrush=NET_COLOURS[a], name=ACTIVATION_TITLES[a])
                              for a in NETWORKS}
        # The two failures named on the line they belong to, beside layer 1 where they are largest.
        self.line_labels = {a: pg.TextItem(text, color=NET_COLOURS[a], anchor=(0, 0.5))
                            for a, text in (("sigmoid", "  vanishing"), ("exploding", "  exploding"))}
        for item in self.line_labels.values():
            item.setFont(theme.tick_font())
            item.setVisible(False)
            plot.addItem(item)
        self.text = figure_label()
        grid.addWidget(self.summary, 1, 0)
        grid.addWidget(self.text, 1, 1)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)
        self.background = BackgroundRun(self)
        self.background.progress.connect(self.show_norms)
        self.background.finished.connect(self._finished)
        self.background.failed.connect(self._failed)
        self.controls = self._build_controls()
        self.show_beside(BESIDE[0][0])
        self.latest: dict[str, GradientNorms] | None = None
        self.text.setText(self._intro())

    def _build_controls(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        c = QtWidgets.QVBoxLayout(box)
        c.setContentsMargins(0, 0, 0, 0)
        c.addWidget(heading("Vanishing & exploding gradients (MNIST)"))
        form = QtWidgets.QFormLayout()
        self.iterations = QtWidgets.QSpinBox(minimum=10, maximum=5000, singleStep=50, value=self.settings.iterations)
        self.learning_rate = QtWidgets.QDoubleSpinBox(decimals=3, minimum=0.001, maximum=5.0, singleStep=0.05,
                                                      value=self.settings.learning_rate)
        self.batch = QtWidgets.QSpinBox(minimum=1, maximum=500, value=self.settings.batch_size)
        form.addRow("iterations", self.iterations)
        form.addRow("η", self.learning_rate)
        form.addRow("batch", self.batch)
        self.large_rate = QtWidgets.QDoubleSpinBox(decimals=4, minimum=0.0001, maximum=5.0, singleStep=0.001,
                                                   value=self.settings.large_init_learning_rate)
        self.large_rate.setToolTip("η of the large-init network: its gradients are so large that the others' "
                                   "η = 0.1 makes its loss explode on the second batch (try it)")
        form.addRow("η, large init", self.large_rate)
        c.addLayout(form)
        c.addWidget(QtWidgets.QLabel("Beside the sigmoid network:"))
        self.beside_choice = QtWidgets.QButtonGroup(box)
        for index, (key, text) in enumerate(BESIDE):
            button = QtWidgets.QRadioButton(text)
            button.setChecked(index == 0)
            self.beside_choice.addButton(button, index)
            c.addWidget(button)
        self.beside_choice.idClicked.connect(lambda index: self.show_beside(BESIDE[index][0]))
        self.run_button = push_button("Run on MNIST", self.start, "train the three networks and record every "
                                                                   "layer's gradient (in the background)")
        c.addWidget(button_row(self.run_button, push_button("Stop", self.stop)))
        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        c.addWidget(self.status)
        return box

    def show_beside(self, key: str) -> None:
        """The plot beside the sigmoid network's: "exploding" or "relu"."""
        self.beside.setCurrentWidget(self.plots[key])
        self.beside_choice.button([k for k, _ in BESIDE].index(key)).setChecked(True)

    def _intro(self) -> str:
        sizes = ", ".join(map(str, self.settings.hidden))
        return (f"<b>Vanishing and exploding gradients.</b> Three networks [784, {sizes}, 10] — five weight "
                "layers — differ only in their hidden activation and first weights. After every mini-batch each "
                "layer's error signal ||∂E/∂b|| is recorded. With sigmoid (σ' ≤ ¼) it shrinks at every layer on "
                "its way back: <i>error signals get diluted as you go backward</i>. ReLU with He weights passes it "
                "on level; ReLU with large weights N(0, 1) multiplies it by ~3 at every layer: it explodes (with "
                "η = 0.1 its loss blows up on the second batch).<br>"
                "Press <b>Run on MNIST</b>.")

    def current_settings(self) -> VanishingSettings:
        return VanishingSettings(iterations=self.iterations.value(), learning_rate=self.learning_rate.value(),
                                 batch_size=self.batch.value(), large_init_learning_rate=self.large_rate.value())

    def start(self, settings: VanishingSettings | None = None) -> None:
        self.settings = settings or self.current_settings()
        data_dir, chosen = self.data_dir, self.settings
        self.status.setText("loading MNIST and training…")
        self.run_button.setEnabled(False)
        self.background.start(lambda: VanishingGradients(chosen, data_dir=data_dir))

    def stop(self) -> None:
        self.background.stop()
        self.run_button.setEnabled(True)

    def shutdown(self) -> None:
        self.background.stop()

    def _finished(self, norms: dict[str, GradientNorms]) -> None:
        self.show_norms(norms)
        self.background.stop()
        self.run_button.setEnabled(True)
        self.status.setText(f"done: {self.settings.iterations} iterations")

    def _failed(self, message: str) -> None:
        self.background.stop()
        self.run_button.setEnabled(True)
        self.status.setText(f"<span style='color:{theme.ERROR_TEXT}'>{message}</span>")

    def show_norms(self, norms: dict[str, GradientNorms]) -> None:
        self.latest = norms
        for activation, record in norms.items():
            if activation not in self.plots:
                continue
            plot = self.plots[activation].getPlotItem()
            items = self.curves.setdefault(activation, [])
            colours = layer_colours(len(record.layer_names))
            while len(items) < len(record.layer_names):
                i = len(items)
                items.append(plot.plot(pen=pg.mkPen(colours[i], width=2), name=record.layer_names[i]))
            x = record.iterations
            for i, item in enumerate(items):
                values = record.bias_norms[:, i] if record.bias_norms.size else np.zeros(0)
                item.setData(x, np.maximum(values, 1e-12) if values.size else values)
            means = np.nanmean(record.bias_norms, axis=0) if record.bias_norms.shape[0] else None
            if means is not None:
                self.summary_items[activation].setData(np.arange(1, means.size + 1), np.maximum(means, 1e-12))
                if activation in self.line_labels and np.isfinite(means[0]) and means[0] > 0:
                    self.line_labels[activation].setPos(1.05, float(np.log10(means[0])))  # log axis: log10 position
                    self.line_labels[activation].setVisible(True)
                summary = self.summary.getPlotItem()
                summary.setXRange(0.6, means.size + 0.4, padding=0)
                summary.getAxis("bottom").setTicks([[(i, str(i)) for i in range(1, means.size + 1)]])
        self._share_y_range(norms)
        self.text.setText(self._result_html(norms))
        done = min(n.bias_norms.shape[0] for n in norms.values())
        self.status.setText(f"iteration {done} of {self.settings.iterations}")
        self.background.frame_drawn()

    def _share_y_range(self, norms: dict[str, GradientNorms]) -> None:
        values = np.concatenate([n.bias_norms.ravel() for n in norms.values()])
        values = values[np.isfinite(values) & (values > 0)]
        if values.size:
            low, high = np.log10(values.min()), np.log10(values.max())
            for widget in self.plots.values():
                widget.getPlotItem().setRange(yRange=(low - 0.2, high + 0.2), padding=0)

    def _result_html(self, norms: dict[str, GradientNorms]) -> str:
        parts = [self._intro().split("<br>")[0], "<br>"]
        for activation, record in norms.items():
            if not record.bias_norms.shape[0]:
                continue
            accuracy = ("" if np.isnan(record.test_accuracy)
                        else f"; test accuracy after training {record.test_accuracy:.1%}")
            ratio = record.growth()
            inverse = f" ≈ 1/{1 / ratio:,.0f}" if 0 < ratio < 0.5 else ""
            shown = f"{ratio:,.0f}" if ratio >= 10 else format_number(ratio, 4)
            diverged = (f" — <b>diverged at iteration {record.diverged_at}</b>: the loss blew up"
                        if record.diverged_at else "")
            parts.append(f"<br><b style='color:{NET_COLOURS.get(activation, theme.BLACK)}'>"
                         f"{ACTIVATION_TITLES.get(activation, activation)}</b>: "
                         f"layer 1 gets {shown}{inverse} × the output layer's signal{accuracy}"
                         f"{diverged}")
        s = self.settings
        large = f" (large init: η = {s.large_init_learning_rate:g})" if "exploding" in norms else ""
        parts.append(f"<br><span style='color:{theme.GREY_70}'>{s.iterations} iterations, batch {s.batch_size}, "
                     f"η = {s.learning_rate:g}{large}, first {s.train_size:,} MNIST training images</span>")
        return "".join(parts)

    def step(self) -> None:
        """Start a run (the page has no manual stepping: iterations are fast)."""
        if not self.background.is_running():
            self.start()
