"""XOR by hand: the slides' 2-2-1 network stepped through its forward pass, the hidden space where the
four points become separable, editable weights, and "train from random" shown the same way."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from nnviz.core.lessons.text_table import format_number as num
from nnviz.core.lessons.xor import (HAND_WEIGHTS, HIDDEN_ACTIVATIONS, XorForward, XorTraining, XorWeights,
                                    format_forward, format_weights, forward_table)

from nnviz.ui.labs.base import LabWidget
from nnviz.ui.labs.controls import (button_row, figure_label, fit_plot_title, heading, html_table, plot_widget,
                                    push_button)
from nnviz.ui import theme

TARGET_COLOURS = (theme.BLUE, theme.ORANGE)  # target 0: blue circle, target 1: orange triangle
TARGET_SYMBOLS = ("o", "t")
INPUT_NAMES = ("(0, 0)", "(0, 1)", "(1, 0)", "(1, 1)")
ACTIVATION_TITLES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "σ"}


def n3(value: float) -> str:
    """A number for the figure, with a real minus sign."""
    return num(float(value), 3).replace("-", "−")


def factor(value: float) -> str:
    """A number inside a product: negative ones in parentheses, 1·(−2)."""
    text = n3(value)
    return f"({text})" if text.startswith("−") else text


def unbroken(text: str) -> str:
    """``text`` with no line break inside (HTML)."""
    return text.replace(" ", "&nbsp;")


def vec(values) -> str:
    return "(" + ", ".join(n3(v) for v in values) + ")"


class XorLab(LabWidget):
    name = "xor"
    title = "XOR by hand"

    def __init__(self, parent: QtWidgets.QWidget | None = None, data_dir: str | None = None) -> None:
        super().__init__(parent, data_dir)
        self.current = -1  # highlighted input row; -1: all rows
        self.training: XorTraining | None = None
        self.origin = "the slides' hand-set weights"
        self._build_figure()
        self._build_controls()
        self.finish_controls()
        self.timer = self.make_timer(30, self._train_tick)
        self.load_weights(HAND_WEIGHTS)

    # --- figure ------------------------------------------------------------------------------
    def _build_figure(self) -> None:
        layout = QtWidgets.QGridLayout(self.figure)
        layout.setContentsMargins(8, 8, 8, 8)
        self.header = figure_label()
        self.table = figure_label()
        self.explain = figure_label()
        self.input_plot = plot_widget("", "x2", "x1")
        self.hidden_plot = plot_widget("", "h2", "h1")
        # The shorter titles when the two plots share a narrow figure (a 1024-pixel projector).
        fit_plot_title(self.input_plot.getPlotItem(), "Input space: XOR is not linearly separable",
                       "Input space: not linearly separable", "Input space")
        fit_plot_title(self.hidden_plot.getPlotItem(), "Hidden space: now one line separates them",
                       "Hidden space: one line separates", "Hidden space")
        self.point_items, self.labels, self.lines = {}, {}, {}
        for key, widget in (("input", self.input_plot), ("hidden", self.hidden_plot)):
            plot = widget.getPlotItem()
            plot.setAspectLocked(True)
            plot.showGrid(x=True, y=True, alpha=0.25)
            self.point_items[key] = [plot.plot(pen=None, symbol=s, symbolSize=22, symbolBrush=c,
                                               symbolPen=pg.mkPen("k", width=1.5))
                                     for c, s in zip(TARGET_COLOURS, TARGET_SYMBOLS)]
            self.labels[key] = []
            plot.getViewBox().sigTransformChanged.connect(lambda _vb, k=key: self._place_labels(k))
            for _ in range(4):
                text = pg.TextItem(color="k", anchor=(0, 0))  # placed by _place_labels
                text.point = (0.0, 0.0)
                font = text.textItem.font()
                font.setPointSize(12)
                text.setFont(font)
                plot.addItem(text)
                self.labels[key].append(text)
        dashes = [pg.mkPen(c, width=2.5, style=QtCore.Qt.PenStyle.DashLine) for c in (theme.GREY_70, theme.PURPLE)]
        self.lines["input"] = [pg.InfiniteLine(pen=p, movable=False) for p in dashes]
        for line in self.lines["input"]:
            self.input_plot.addItem(line, ignoreBounds=True)
        self.lines["hidden"] = [pg.InfiniteLine(pen=pg.mkPen("k", width=3), movable=False)]
        self.hidden_plot.addItem(self.lines["hidden"][0], ignoreBounds=True)
        layout.addWidget(self.header, 0, 0, 1, 2)
        layout.addWidget(self.table, 1, 0)
        layout.addWidget(self.explain, 1, 1)
        plots = QtWidgets.QHBoxLayout()  # the two spaces equally wide, whatever the table's width
        plots.addWidget(self.input_plot, 1)
        plots.addWidget(self.hidden_plot, 1)
        layout.addLayout(plots, 2, 0, 1, 2)
        layout.setRowStretch(2, 1)
        layout.setColumnStretch(0, 1)
        layout.setColumnStretch(1, 1)

    # --- controls ----------------------------------------------------------------------------
    def _build_controls(self) -> None:
        c = self.controls
        c.addWidget(heading("Weights (editable)"))
        grid = QtWidgets.QGridLayout()
        self.spins: dict[str, QtWidgets.QDoubleSpinBox] = {}
        cells = [("W1[1,1]", 0, 1), ("W1[1,2]", 0, 2), ("W1[2,1]", 1, 1), ("W1[2,2]", 1, 2),
                 ("θ1[1]", 2, 1), ("θ1[2]", 2, 2), ("W2[1]", 3, 1), ("W2[2]", 3, 2), ("θ2", 4, 1)]
        for text, row in (("W1", 0), ("", 1), ("θ1", 2), ("W2", 3), ("θ2", 4)):
            grid.addWidget(QtWidgets.QLabel(text), row, 0)
        for key, row, col in cells:
            spin = QtWidgets.QDoubleSpinBox(decimals=3, minimum=-20.0, maximum=20.0, singleStep=0.5)
            spin.setToolTip(key)
            spin.valueChanged.connect(self._weights_edited)
            grid.addWidget(spin, row, col)
            self.spins[key] = spin
        c.addLayout(grid)
        self.activation = QtWidgets.QComboBox()
        self.activation.addItems(HIDDEN_ACTIVATIONS)
        self.activation.currentTextChanged.connect(lambda _t: self._weights_edited())
        form = QtWidgets.QFormLayout()
        form.addRow("hidden activation", self.activation)
        c.addLayout(form)
        c.addWidget(push_button("Load the slides' weights", lambda: self.load_weights(HAND_WEIGHTS)))
        c.addWidget(heading("Forward pass"))
        self.step_button = push_button("Step input ▶", self.step, "highlight the next input and its computation")
        c.addWidget(button_row(self.step_button, push_button("Show all", self.show_all)))
        c.addWidget(heading("Training"))
        self.seed = QtWidgets.QSpinBox(minimum=0, maximum=9999)
        seed_form = QtWidgets.QFormLayout()
        seed_form.addRow("first seed", self.seed)
        c.addLayout(seed_form)
        self.train_button = push_button("Train from random", self.train_from_random,
                                        "random weights, then gradient descent (momentum 0.9, η = 0.1) until "
                                        "every output is within 0.05 of its target")
        c.addWidget(button_row(self.train_button, push_button("Stop", self.stop_training)))

    def weights(self) -> XorWeights:
        v = {k: s.value() for k, s in self.spins.items()}
        return XorWeights(((v["W1[1,1]"], v["W1[1,2]"]), (v["W1[2,1]"], v["W1[2,2]"])), (v["θ1[1]"], v["θ1[2]"]),
                          (v["W2[1]"], v["W2[2]"]), v["θ2"])

    def load_weights(self, weights: XorWeights, origin: str = "the slides' hand-set weights") -> None:
        values = {"W1[1,1]": weights.hidden_weights[0][0], "W1[1,2]": weights.hidden_weights[0][1],
                  "W1[2,1]": weights.hidden_weights[1][0], "W1[2,2]": weights.hidden_weights[1][1],
                  "θ1[1]": weights.hidden_bias[0], "θ1[2]": weights.hidden_bias[1],
                  "W2[1]": weights.output_weights[0], "W2[2]": weights.output_weights[1], "θ2": weights.output_bias}
        for key, spin in self.spins.items():
            spin.blockSignals(True)
            spin.setValue(values[key])
            spin.blockSignals(False)
        self.origin = origin
        self.exact_weights = weights
        self.forward = forward_table(weights, self.activation.currentText())
        self.redraw()

    def _weights_edited(self, *_args) -> None:
        if self.training is not None and not self.training.done:
            self.stop_training()
        self.origin = "weights typed in"
        self.exact_weights = self.weights()
        self.forward = forward_table(self.exact_weights, self.activation.currentText())
        self.redraw()

    # --- stepping and training -----------------------------------------------------------------
    def step(self) -> None:
        self.current = (self.current + 1) % 4
        self.redraw()

    def show_all(self) -> None:
        self.current = -1
        self.redraw()

    def train_from_random(self) -> None:
        self.training = XorTraining(self.activation.currentText(), seed=self.seed.value())
        self.current = -1
        self.timer.start()
        self.train_button.setEnabled(False)

    def stop_training(self) -> None:
        self.timer.stop()
        self.train_button.setEnabled(True)

    def _train_tick(self, steps: int = 8) -> None:
        training = self.training
        done = training.step(steps)
        restarts = len([a for a in training.attempts if a[2] != "solved"])
        self.origin = (f"training from random (seed {training.seed}), step {training.steps}"
                       f"{f', after {restarts} stuck start(s)' if restarts else ''}")
        if done:
            self.stop_training()
            if training.solved:
                self.origin = (f"trained from random: seed {training.seed} solved XOR in {training.steps} steps"
                               f"{f' ({restarts} earlier start(s) got stuck and were restarted)' if restarts else ''}")
            else:
                self.origin = f"training gave up after {len(training.attempts)} starts"
        self._show_weights(training.weights())  # redraws

    def _show_weights(self, weights: XorWeights) -> None:
        origin = self.origin
        for spin in self.spins.values():
            spin.blockSignals(True)
        self.load_weights(weights, origin)
        for spin in self.spins.values():
            spin.blockSignals(False)

    def run_training(self, max_steps: int = 20_000) -> None:
        """Train to the end without animation (headless and tests)."""
        self.train_from_random()
        self.timer.stop()
        while not self.training.done and self.training.total_steps < max_steps:
            self._train_tick(200)
        self.stop_training()

    # --- drawing -----------------------------------------------------------------------------
    def redraw(self) -> None:
        f: XorForward = self.forward
        act = ACTIVATION_TITLES[f.activation]
        w = self.exact_weights
        self.header.setText(
            f"<span style='font-size:15pt'><b>XOR with a 2-2-1 network</b> — {self.origin}</span><br>"
            f"z = x·W1 + θ1,&nbsp; h = {act}(z),&nbsp; y = h·W2 + θ2 (linear output)&nbsp;&nbsp; "
            # a narrow figure wraps between the weights, never inside a vector
            + ", ".join(unbroken(part) for part in (
                f"W1 = [{vec(w.hidden_weights[0])}, {vec(w.hidden_weights[1])}]", f"θ1 = {vec(w.hidden_bias)}",
                f"W2 = {vec(w.output_weights)}", f"θ2 = {n3(w.output_bias)}")))
        rows = [[INPUT_NAMES[i], vec(f.pre_activations[i]), vec(f.hidden[i]), n3(f.outputs[i]),
                 n3(f.targets[i])] for i in range(4)]
        self.table.setText(html_table(["input x", "z = x·W1 + θ1", f"h = {act}(z)", "output y", "target"], rows,
                                      None if self.current < 0 else self.current)
                           + (f"<p style='color:{theme.OK_TEXT}'><b>All four outputs match XOR.</b></p>"
                              if f.solved else f"<p style='color:{theme.ERROR_TEXT}'>Not XOR yet: some output is "
                              "more than 0.05 from its target.</p>"))
        self.explain.setText(self._explain_html(f))
        self._draw_space("input", f.inputs, f.targets)
        self._draw_space("hidden", f.hidden, f.targets)
        b = w.hidden_bias
        for j, line in enumerate(self.lines["input"]):  # hidden unit j is zero on x . W1[:, j] + theta1_j = 0
            self._place_line(line, np.array([w.hidden_weights[0][j], w.hidden_weights[1][j]]), b[j])
        # the output is 0.5 on h . W2 + theta2 = 0.5
        self._place_line(self.lines["hidden"][0], np.array(w.output_weights), w.output_bias - 0.5)

    def _explain_html(self, f: XorForward) -> str:
        act = ACTIVATION_TITLES[f.activation]
        if self.current < 0:
            merged = [" and ".join(names) for names in self._groups(f.hidden).values() if len(names) > 1]
            return ("<b>Step input ▶</b> walks through the four inputs one at a time.<br><br>"
                    f"<span style='color:{theme.GREY_70}'>- - -</span> grey and "
                    f"<span style='color:{theme.PURPLE}'>- - - pink</span>: "
                    "where hidden unit 1 and 2 have z = 0.<br><b>—</b> black: where the output is 0.5."
                    + "".join(f"<br>{m} land on the same hidden point." for m in merged))
        i = self.current
        x, z, h = f.inputs[i], f.pre_activations[i], f.hidden[i]
        w = self.exact_weights
        w1, b1, w2 = np.array(w.hidden_weights), np.array(w.hidden_bias), np.array(w.output_weights)
        parts = [f"{n3(x[0])}·{factor(w1[0, j])} + {n3(x[1])}·{factor(w1[1, j])} + {factor(b1[j])}" for j in range(2)]
        return (f"<b>Input {i + 1}: x = {INPUT_NAMES[i]}</b><br>"
                f"z₁ = {parts[0]} = <b>{n3(z[0])}</b><br>"
                f"z₂ = {parts[1]} = <b>{n3(z[1])}</b><br>"
                f"h = {act}(z) = <b>{vec(h)}</b><br>"
                f"y = {n3(h[0])}·{factor(w2[0])} + {n3(h[1])}·{factor(w2[1])} + {factor(w.output_bias)}"
                f" = <b>{n3(f.outputs[i])}</b> (target {n3(f.targets[i])})")

    @staticmethod
    def _groups(points: np.ndarray) -> dict[tuple, list[str]]:
        """Inputs by the (rounded) point they land on."""
        groups: dict[tuple, list[str]] = {}
        for i, p in enumerate(points):
            groups.setdefault((round(float(p[0]), 3), round(float(p[1]), 3)), []).append(INPUT_NAMES[i])
        return groups

    def _draw_space(self, key: str, points: np.ndarray, targets: np.ndarray) -> None:
        for label, item in enumerate(self.point_items[key]):
            chosen = points[targets == label]
            item.setData(chosen[:, 0], chosen[:, 1])
        groups = self._groups(points)
        for text in self.labels[key]:
            text.setText("")
        for text, (p, names) in zip(self.labels[key], groups.items()):
            text.setText(",\n".join(f"x = {name}" for name in names))  # one label for points that coincide
            text.point = p
        low, high = points.min(axis=0), points.max(axis=0)
        span = np.maximum(high - low, 1.0)
        self.point_items[key][0].getViewBox().setRange(xRange=(low[0] - 0.35 * span[0], high[0] + 0.8 * span[0]),
                                                       yRange=(low[1] - 0.35 * span[1], high[1] + 0.35 * span[1]),
                                                       padding=0)
        for item in self.labels[key]:
            item.setVisible(bool(item.toPlainText()))
        self._place_labels(key)

    def _place_labels(self, key: str) -> None:
        """Each label beside its point, on the first side (right, left; above, below) where it stays
        inside the plot and clear of the other labels and points: at 1024 pixels they collided."""
        shown = [t for t in self.labels[key] if t.isVisible()]
        if not shown:
            return
        box = shown[0].getViewBox()
        area = box.sceneBoundingRect()
        centres = [box.mapViewToScene(pg.Point(*t.point)) for t in shown]
        taken = [QtCore.QRectF(c.x() - 12, c.y() - 12, 24, 24) for c in centres]  # the markers
        for text, centre, marker in zip(shown, centres, list(taken)):
            size = text.textItem.boundingRect().size()
            w, h, gap = size.width(), size.height(), 9
            sides = [QtCore.QRectF(centre.x() + dx, centre.y() + dy, w, h) for dx, dy in
                     ((gap, -gap - h), (gap, gap), (-gap - w, -gap - h), (-gap - w, gap),
                      (-w / 2, -12 - h), (-w / 2, 12))]
            free = [r for r in sides if area.contains(r) and not any(r.intersects(t) for t in taken if t != marker)]
            inside = [r for r in sides if area.contains(r)]
            rect = (free or inside or sides)[0]
            taken.append(rect)
            text.setPos(box.mapSceneToView(rect.topLeft()))

    @staticmethod
    def _place_line(line: pg.InfiniteLine, w: np.ndarray, b: float) -> None:
        norm2 = float(w @ w)
        line.setVisible(norm2 > 1e-12)
        if norm2 > 1e-12:
            point = -b * w / norm2
            line.setPos(pg.Point(float(point[0]), float(point[1])))
            line.setAngle(float(np.degrees(np.arctan2(w[1], w[0]))) + 90.0)

    def shutdown(self) -> None:
        super().shutdown()
        self.train_button.setEnabled(True)


WIDGET = XorLab


def headless(out_dir: Path, data_dir: str | None = None) -> list[Path]:
    """The hand-set network with input (1, 1) highlighted, and a network trained from random."""
    from nnviz.ui.offscreen import ensure_app, show_for_export, write_figure

    ensure_app()
    lab = XorLab(data_dir=data_dir)
    show_for_export(lab)
    try:
        for _ in range(4):
            lab.step()
        paths = [write_figure(lab, out_dir, "xor-hand")]
        lab.show_all()
        lab.training = default_training()
        lab._train_tick(0)  # shows the finished training
        paths.append(write_figure(lab, out_dir, "xor-trained"))
    finally:
        lab.shutdown()
        lab.close()
    return paths


@functools.lru_cache(maxsize=1)
def default_training() -> XorTraining:
    """Training from random with the lab's defaults, once per process (figure and tables share it)."""
    training = XorTraining("relu", seed=0)
    training.run()
    return training


def tables(data_dir: str | None = None) -> str:
    hand = forward_table()
    training = default_training()
    trained = training.forward()
    attempts = "; ".join(f"seed {seed}: {steps} steps, {outcome}" for seed, steps, outcome in training.attempts)
    return "\n".join([
        format_forward(hand, "The slides' hand-set weights: " + format_weights(HAND_WEIGHTS)), "",
        format_forward(trained, "Trained from random (ReLU, momentum 0.9, η = 0.1): " + format_weights(training.weights())),
        f"starts: {attempts}"])
