"""The loss-function lab: quadratic cost vs cross-entropy on the same MNIST network, trained side by side
in a worker thread, accuracy curves overlaid, formulas and output-layer deltas beside them."""

from __future__ import annotations

import functools
from pathlib import Path

import pyqtgraph as pg
from PySide6 import QtWidgets

from nnviz.core.lessons.loss_comparison import (LOSS_NAMES, LOSS_TEXT, LossComparison, LossCurve, LossSettings,
                                                comparison_table)

from nnviz.ui.labs.background import BackgroundRun
from nnviz.ui.labs.base import LabWidget
from nnviz.ui.labs.controls import button_row, figure_label, fit_plot_title, heading, legend, plot_widget, push_button
from nnviz.ui import theme

COLOURS = {"quadratic": theme.VERMILLION, "cross-entropy": theme.BLUE}
SYMBOLS = {"quadratic": "s", "cross-entropy": "o"}


class LossesLab(LabWidget):
    name = "losses"
    title = "Loss functions"

    def __init__(self, parent: QtWidgets.QWidget | None = None, data_dir: str | None = None) -> None:
        super().__init__(parent, data_dir)
        self.settings = LossSettings()
        self.latest: tuple[LossCurve, LossCurve] | None = None
        self._build_figure()
        self._build_controls()
        self.finish_controls()
        self.background = BackgroundRun(self)
        self.background.progress.connect(self.show_curves)
        self.background.finished.connect(self._finished)
        self.background.failed.connect(self._failed)
        self.result.setText(self._settings_html() + "<br>Press <b>Train both</b> (real MNIST, in the background).")

    def _build_figure(self) -> None:
        grid = QtWidgets.QGridLayout(self.figure)
        grid.setContentsMargins(6, 6, 6, 6)
        self.accuracy_plot = plot_widget("", "accuracy (%)", "epoch")
        fit_plot_title(self.accuracy_plot.getPlotItem(), "Test accuracy (10,000 test images)", "Test accuracy")
        self.delta_plot = plot_widget("", "mean |δ|", "epoch")
        fit_plot_title(self.delta_plot.getPlotItem(), "Output-layer error signal: mean |δ| per image",
                       "Output error: mean |δ| per image", "Mean |δ| per image")
        self.items = {}
        for widget, key in ((self.accuracy_plot, "accuracy"), (self.delta_plot, "delta")):
            plot = widget.getPlotItem()
            plot.showGrid(x=True, y=True, alpha=0.25)
            legend(plot, offset=(-8, -8) if key == "accuracy" else (-8, 8))
            for name in LOSS_NAMES:
                self.items[(key, name)] = plot.plot(
                    pen=pg.mkPen(COLOURS[name], width=3), symbol=SYMBOLS[name] if key == "accuracy" else None,
                    symbolSize=10, symbolBrush=COLOURS[name], symbolPen=pg.mkPen("k", width=0.5),
                    name=LOSS_TEXT[name][0])
        self.accuracy_plot.getPlotItem().setYRange(0, 100, padding=0.02)
        self.formulas = figure_label(self._formulas_html())
        self.result = figure_label()
        grid.addWidget(self.accuracy_plot, 0, 0)
        grid.addWidget(self.delta_plot, 0, 1)
        grid.addWidget(self.formulas, 1, 0)
        grid.addWidget(self.result, 1, 1)
        grid.setRowStretch(0, 5)
        grid.setRowStretch(1, 2)

    def _build_controls(self) -> None:
        c = self.controls
        c.addWidget(heading("Both networks"))
        form = QtWidgets.QFormLayout()
        s = self.settings
        self.learning_rate = QtWidgets.QDoubleSpinBox(decimals=3, minimum=0.001, maximum=10.0, singleStep=0.1,
                                                      value=s.learning_rate)
        self.epochs = QtWidgets.QSpinBox(minimum=1, maximum=30, value=s.epochs)
        self.train_size = QtWidgets.QSpinBox(minimum=100, maximum=50000, singleStep=1000, value=s.train_size)
        self.batch = QtWidgets.QSpinBox(minimum=1, maximum=1000, value=s.batch_size)
        self.hidden = QtWidgets.QSpinBox(minimum=1, maximum=300, value=s.hidden[0])
        self.seed = QtWidgets.QSpinBox(minimum=0, maximum=9999, value=s.seed)
        for label, widget in (("η (both)", self.learning_rate), ("epochs", self.epochs),
                              ("training images", self.train_size), ("batch", self.batch),
                              ("hidden units", self.hidden), ("seed", self.seed)):
            form.addRow(label, widget)
        c.addLayout(form)
        note = QtWidgets.QLabel("Same architecture, starting weights, batches and η; only the output and the "
                                "cost differ. Try η = 0.5 and η = 3.0 (Nielsen's).")
        note.setWordWrap(True)
        c.addWidget(note)
        self.run_button = push_button("Train both", self.start)
        self.pause_button = push_button("Pause", self.toggle_pause)
        self.pause_button.setCheckable(True)
        self.pause_button.setEnabled(False)  # only while both networks train
        c.addWidget(button_row(self.run_button, self.pause_button, push_button("Stop", self.stop)))
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        c.addWidget(self.progress)

    def current_settings(self) -> LossSettings:
        return LossSettings(hidden=(self.hidden.value(),), learning_rate=self.learning_rate.value(),
                            batch_size=self.batch.value(), epochs=self.epochs.value(),
                            train_size=self.train_size.value(), seed=self.seed.value())

    # --- actions -----------------------------------------------------------------------------
    def start(self, settings: LossSettings | None = None) -> None:
        self.settings = settings or self.current_settings()
        chosen, data_dir = self.settings, self.data_dir
        self.show_status("Loading MNIST and training both networks…")
        self.run_button.setEnabled(False)
        self.pause_button.setChecked(False)
        self.pause_button.setEnabled(True)
        self.background.start(lambda: LossComparison(chosen, data_dir=data_dir))

    def step(self) -> None:
        """Start training if idle (stepping single batches of two MNIST nets is not worth a button)."""
        if not self.background.is_running():
            self.start()

    def toggle_pause(self) -> None:
        if self.pause_button.isChecked():
            self.background.pause()
            self.pause_button.setText("Resume")
        else:
            self.background.resume()
            self.pause_button.setText("Pause")

    def stop(self) -> None:
        self.background.stop()
        self.run_button.setEnabled(True)
        self.pause_button.setChecked(False)
        self.pause_button.setText("Pause")
        self.pause_button.setEnabled(False)  # done (or stopped): nothing to pause

    def shutdown(self) -> None:
        super().shutdown()
        self.background.stop()

    def _finished(self, curves: tuple[LossCurve, LossCurve]) -> None:
        self.show_curves(curves)
        self.stop()
        self.show_status("Done.")

    def _failed(self, message: str) -> None:
        self.stop()
        self.show_status(f"<span style='color:{theme.ERROR_TEXT}'>{message}</span>")

    # --- drawing -----------------------------------------------------------------------------
    def show_curves(self, curves: tuple[LossCurve, LossCurve]) -> None:
        self.latest = curves
        for curve in curves:
            self.items[("accuracy", curve.loss)].setData(curve.eval_epochs, 100 * curve.test_accuracy)
            self.items[("delta", curve.loss)].setData(curve.delta_epochs, curve.output_delta)
        done = float(curves[0].delta_epochs[-1]) if curves[0].delta_epochs.size else 0.0
        self.progress.setValue(int(1000 * min(done / self.settings.epochs, 1.0)))
        for widget in (self.accuracy_plot, self.delta_plot):
            widget.getPlotItem().setXRange(0, self.settings.epochs, padding=0.05)
        self.result.setText(self._result_html(curves))
        self.background.frame_drawn()

    @staticmethod
    def _formulas_html() -> str:
        blocks = []
        for name in LOSS_NAMES:
            title, loss, delta = LOSS_TEXT[name]
            blocks.append(f"<b style='color:{COLOURS[name]}'>{title}</b>: {loss}<br>"
                          f"&nbsp;&nbsp;&nbsp;&nbsp;output delta <b>{delta}</b>")
        return ("<br>".join(blocks) + "<p>δ = ∂E/∂z at the output. With a sigmoid output the quadratic δ carries the factor σ'(z) = "
                "a(1 − a): an output that is confidently <i>wrong</i> (a ≈ 0 or 1) learns slowly. Softmax with "
                "cross-entropy cancels that factor: δ = y − t is large exactly when the output is wrong.</p>")

    def _settings_html(self) -> str:
        s = self.settings
        return (f"<b>[784, {s.hidden[0]}, 10]</b>, sigmoid hidden units, N(0, 1) initial weights (Nielsen), "
                f"η = {s.learning_rate:g}, batch {s.batch_size}, {s.epochs} epoch(s) on the first "
                f"{s.train_size:,} MNIST training images, seed {s.seed}")

    def _result_html(self, curves: tuple[LossCurve, LossCurve]) -> str:
        lines = [self._settings_html()]
        for curve in curves:
            if not curve.test_accuracy.size:
                continue
            first = next((f"{e:g}" for e, a in zip(curve.eval_epochs, curve.test_accuracy) if a >= 0.5), None)
            reach = f"; above 50 % after {first} epoch(s)" if first is not None else "; not yet above 50 %"
            lines.append(f"<b style='color:{COLOURS[curve.loss]}'>{LOSS_TEXT[curve.loss][0]}</b>: test accuracy "
                         f"<b>{100 * curve.final_accuracy:.1f} %</b> at epoch {curve.eval_epochs[-1]:g}{reach}; "
                         f"mean |δ| {curve.output_delta[0]:.3f} → {curve.output_delta[-1]:.3f}")
        return "<br>".join(lines)


WIDGET = LossesLab


@functools.lru_cache(maxsize=2)
def default_comparison(data_dir: str | None) -> tuple[LossCurve, LossCurve]:
    """The default run, once per process (headless figure and tables share it)."""
    return LossComparison(LossSettings(), data_dir=data_dir).run()


def headless(out_dir: Path, data_dir: str | None = None) -> list[Path]:
    from nnviz.ui.offscreen import ensure_app, show_for_export, write_figure

    ensure_app()
    curves = default_comparison(data_dir)
    lab = LossesLab(data_dir=data_dir)
    show_for_export(lab)
    try:
        lab.show_curves(curves)
        return [write_figure(lab, out_dir, "losses")]
    finally:
        lab.shutdown()
        lab.close()


def tables(data_dir: str | None = None) -> str:
    curves = default_comparison(data_dir)
    return comparison_table(curves, LossSettings()) + "\n\n" + "\n".join(
        f"{LOSS_TEXT[name][0]}: {LOSS_TEXT[name][1]}; output delta {LOSS_TEXT[name][2]}" for name in LOSS_NAMES)

