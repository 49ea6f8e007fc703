"""What a frame of the Curves panel costs while a class watches: a batch's frame repaints the loss
plot alone, the epoch axes grow in steps (not at every epoch, which redrew every axis and per-epoch
curve), and the legend lists a run's per-epoch curves before its first epoch ends (so that epoch's
end does not grow the legend and move both plots)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6 import QtCore

pytest.importorskip("pytestqt")

from test_gui_curves_long_run import epochs  # noqa: E402
from test_gui_integration import close_window, open_window, small_mnist  # noqa: E402
from test_gui_window import TIMEOUT  # noqa: E402

from nnviz.ui import theme  # noqa: E402
from nnviz.ui.panels import curves as curves_module  # noqa: E402
from nnviz.ui.panels.curves import CurvesPanel  # noqa: E402
from nnviz.ui.sweep_overview import _no_run  # noqa: E402
from nnviz.ui.theme import epoch_axis_end  # noqa: E402

PER_EPOCH = 50


def test_an_epoch_axis_ends_at_the_run_or_at_most_a_quarter_ahead_of_it():
    ends = [epoch_axis_end(n) for n in range(1, 3001)]
    for n, end in enumerate(ends, start=1):
        assert n <= end <= max(n, 4 * n / 3), (n, end)
    assert [epoch_axis_end(n) for n in (0.2, 1, 5.5, 6, 7, 29, 30, 31, 120)] == [1, 1, 6, 6, 8, 30, 30, 40, 120]
    assert len(set(ends)) < 50  # a 3,000-epoch run rescales its axes a few dozen times, not 3,000


def epoch_snapshot(n: int):
    """The snapshot at the end of epoch ``n``, carrying that epoch's iteration losses."""
    return replace(_no_run(), state="running", epoch=n, iteration=n * PER_EPOCH, iterations_per_epoch=PER_EPOCH,
                   batches_in_epoch=PER_EPOCH, batch_in_epoch=0, loss_offset=(n - 1) * PER_EPOCH,
                   train_loss=np.linspace(1.0, 0.5, PER_EPOCH, dtype=np.float32) / n, epochs=epochs(n))


def test_both_plots_hold_every_epoch_and_rescale_at_few_of_them(qtbot):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    ranges = []
    for n in range(1, 41):
        panel.show_snapshot(epoch_snapshot(n))
        (_, loss_end), _ = panel.loss_plot.viewRange()
        (_, accuracy_end), _ = panel.accuracy_plot.viewRange()
        assert n <= loss_end and n + 0.5 <= accuracy_end  # the newest points are in view
        assert loss_end <= 4 * n / 3 + 0.1 and accuracy_end <= 4 * n / 3 + 0.6  # little empty room ahead
        assert panel.epoch_accuracy["val"].getData()[0].size == n
        ranges.append((loss_end, accuracy_end))
    changes = sum(a != b for a, b in zip(ranges, ranges[1:]))
    assert changes <= 14, ranges  # 1-6 each, then 8, 10, 12, 15, 20, 25, 30, 40: 13 of 39


@pytest.mark.parametrize("val_size", [200, 0])
def test_the_legend_lists_the_runs_curves_before_its_first_epoch_ends_and_the_plots_stay_put(
        qtbot, tmp_path, shared_data_dir, val_size):
    config = small_mnist(**{"training.batch_size": 50, "data.val_size": val_size})
    window = open_window(qtbot, tmp_path, shared_data_dir, config)
    try:
        curves = window.panels["curves"]
        expected = ["loss per batch", "smoothed", "train (epoch)"]
        expected += ["validation (epoch)"] if val_size else []  # a run without one does not promise it
        expected += ["test (epoch)"]
        assert curves.legend.labels() == expected  # before anything is trained
        for split, colour in (("train", theme.TRAIN_COLOUR), ("test", theme.TEST_COLOUR)):
            # the legend's sample draws the markers' style: the split's colour, not pyqtgraph's grey
            assert curves.epoch_loss[split].scatter.opts["brush"].color().name().upper() == colour.upper()
        window.run_actions.step_batch.trigger()
        qtbot.waitUntil(lambda: window.last_snapshot.iteration == 1, timeout=TIMEOUT)
        before = [plot.mapRectToScene(plot.boundingRect()) for plot in (curves.loss_plot, curves.accuracy_plot)]
        window.run_actions.step_epoch.trigger()
        qtbot.waitUntil(lambda: window.last_snapshot.epoch == 1, timeout=TIMEOUT)
        qtbot.wait(50)  # any relayout the first epoch's points asked for
        assert curves.legend.labels() == expected
        assert curves.epoch_accuracy["train"].getData()[0].size == 1
        after = [plot.mapRectToScene(plot.boundingRect()) for plot in (curves.loss_plot, curves.accuracy_plot)]
        assert after == before
    finally:
        close_window(window)


class PaintRegions(QtCore.QObject):
    """Records the region of every paint event of a widget."""

    def __init__(self) -> None:
        super().__init__()
        self.regions: list[QtCore.QRect] = []

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QtCore.QEvent.Type.Paint:
            self.regions.append(event.region().boundingRect())
        return False


def test_a_batchs_frame_repaints_the_loss_plot_and_not_the_accuracy_plot(qtbot, tmp_path, shared_data_dir):
    window = open_window(qtbot, tmp_path, shared_data_dir, small_mnist(**{"training.batch_size": 50}))
    try:
        curves = window.panels["curves"]
        window.run_actions.step_epoch.trigger()  # an epoch's points in both plots
        qtbot.waitUntil(lambda: window.last_snapshot.epoch == 1, timeout=TIMEOUT)
        for _ in range(3):  # the loss axis settles in whole epochs
            window.run_actions.step_batch.trigger()
            qtbot.wait(100)
        view = curves.graphics

        def in_view(item) -> QtCore.QRect:
            return view.mapFromScene(item.mapRectToScene(item.boundingRect())).boundingRect()

        loss_plot, accuracy_view = in_view(curves.loss_plot).adjusted(-3, -3, 3, 3), in_view(curves.accuracy_plot.vb)
        paints = PaintRegions()
        view.viewport().installEventFilter(paints)
        iteration = window.last_snapshot.iteration
        window.run_actions.step_batch.trigger()
        qtbot.waitUntil(lambda: window.last_snapshot.iteration == iteration + 1, timeout=TIMEOUT)
        qtbot.wait(100)
        view.viewport().removeEventFilter(paints)
        assert paints.regions, "the batch's frame painted nothing"
        for region in paints.regions:
            assert loss_plot.contains(region), (region, loss_plot)
            assert not region.intersects(accuracy_view), (region, accuracy_view)
    finally:
        close_window(window)


def test_a_fast_run_redraws_its_epochs_at_most_twice_a_second_and_a_pause_at_once(qtbot, monkeypatch):
    monkeypatch.setattr(curves_module, "EPOCH_REDRAW_SECONDS", 0.3)
    panel = CurvesPanel()
    qtbot.addWidget(panel)

    def drawn() -> int:
        return panel.epoch_accuracy["val"].getData()[0].size

    def show(n: int, state: str = "running") -> None:
        panel.show_snapshot(replace(epoch_snapshot(n), run_state=state, best_epoch=n))

    show(1)
    assert drawn() == 1 and panel.marks.best_epoch == 1  # a run's first epoch at once
    show(2)
    show(3)
    assert drawn() == 1 and panel.marks.best_epoch == 1  # two more epochs within the interval: later
    qtbot.wait(350)
    show(4)
    assert drawn() == 4 and panel.marks.best_epoch == 4  # the next frame after it draws all of them
    show(5, "paused")
    assert drawn() == 5 and panel.marks.best_epoch == 5  # a pause shows where the run stands
