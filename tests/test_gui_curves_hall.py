"""The Curves panel as a lecturer uses it: runs ticked in the Runs dock and an A/B twin overlaid
(named by what differs, in their own colours, the legend below the plots, every curve in view, the
exported curves.png filled), the best epoch and learning-rate changes marked, and the CNN's
feature-map and activation panels laid out without overlaps. Driven through the window's actions,
widgets and keys; every test closes its window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from test_gui_integration import close_window, open_window, small_mnist, train_toy_run, xor_config
from test_gui_window import TIMEOUT, image_array

from nnviz.core.run_folder import load_run
from nnviz.ui import theme
from nnviz.ui.twin_run import TwinDialog


@pytest.fixture(autouse=True)
def no_modal_boxes(monkeypatch):
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a, **k: None)


def scene_rect(item) -> QtCore.QRectF:
    return item.mapRectToScene(item.boundingRect())


def assert_legend_outside_the_plots(curves) -> None:
    visible = curves.graphics.mapToScene(curves.graphics.viewport().rect()).boundingRect()
    plots = [scene_rect(plot.vb) for plot in (curves.loss_plot, curves.accuracy_plot)]
    for plot in (curves.loss_plot, curves.accuracy_plot):  # whole plots on screen: none cut off on the right
        rect = scene_rect(plot)
        assert visible.contains(rect), (rect, visible)
    labels = curves.legend.label_rects()
    assert labels
    for label in labels:
        assert visible.contains(label), (label, visible)
        assert not any(label.intersects(view) for view in plots), "a legend entry lies on a plot"


def tick(panel, name: str) -> None:
    """Tick a run's box in the Runs dock, as a click on it does."""
    for i in range(panel.tree.topLevelItemCount()):
        item = panel.tree.topLevelItem(i)
        if item.text(0) == name:
            item.setCheckState(0, QtCore.Qt.CheckState.Checked)
            return
    raise AssertionError(f"{name} is not listed")


def test_ticked_runs_are_named_by_what_differs_in_their_own_colours_and_the_legend_stays_below(
        qtbot, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    train_toy_run(runs / "20260101-120000-xor-mlp", "--lr", "100")
    train_toy_run(runs / "20260101-120500-xor-mlp", "--batch", "2")
    window = open_window(qtbot, tmp_path, None, xor_config(**{"training.epochs": 5}))
    try:
        window.resize(1024, 740)  # a projector: the panels become tabs
        window.docks["curves"].raise_()
        with qtbot.waitSignal(window.worker.run_saved, timeout=TIMEOUT):
            window.run_actions.start_pause.trigger()  # 5 epochs, then saved
        panel = window.session_runs.panel
        panel.set_folder(runs)
        tick(panel, "20260101-120000-xor-mlp")
        tick(panel, "20260101-120500-xor-mlp")
        curves = window.panels["curves"]
        assert curves.overlay_labels == ["lr=100.0", "batch=2"]  # not the folders' timestamps
        assert curves.legend.labels()[-2:] == ["lr=100.0", "batch=2"]
        colours = [curves._overlay_items[label][0].opts["pen"].color().name().upper()
                   for label in curves.overlay_labels]
        assert len(set(colours)) == 2 and not set(colours) & {theme.TRAIN_COLOUR, theme.VAL_COLOUR, theme.TEST_COLOUR}
        qtbot.wait(200)
        assert_legend_outside_the_plots(curves)
        assert panel.tree.headerItem().text(3) == "Final validation accuracy"
        # ... and in the exported curves.png: a readable legend, no blank band under it
        folder = tmp_path / "slides"
        monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory", lambda *args: str(folder))
        window.run_actions.export_all.trigger()
        qtbot.waitUntil(lambda: (folder / "curves.png").exists(), timeout=TIMEOUT)
        flat = image_array(folder / "curves.png")
        pixels = flat.reshape(flat.shape[0], -1, 4)
        inked = np.flatnonzero((pixels[:, :, :3] < 200).any(axis=(1, 2)))
        assert inked[-1] > 0.9 * pixels.shape[0], "the lower part of curves.png is blank"
        legend_rows = pixels[int(0.88 * pixels.shape[0]):, :, :3]
        dark_rows = np.flatnonzero((legend_rows < 100).any(axis=(1, 2)))
        assert dark_rows.size > 0.03 * pixels.shape[0], "the legend's text is tiny"
    finally:
        close_window(window)


def test_twin_by_its_menu_action_stays_in_view_and_is_listed_in_the_runs_dock(qtbot, tmp_path, monkeypatch):
    def choose_cross_entropy(dialog) -> int:
        dialog.choose("loss", "cross-entropy")  # B's loss values are far above A's quadratic cost
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(TwinDialog, "exec", choose_cross_entropy)
    window = open_window(qtbot, tmp_path, None, xor_config(**{"training.epochs": 40}))
    try:
        qtbot.keyClick(window, QtCore.Qt.Key.Key_A,
                       QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier)
        twin = window.twin
        qtbot.waitUntil(lambda: twin.state == "ready" and window.state == "ready", timeout=TIMEOUT)
        for epoch in (1, 2, 3):
            window.run_actions.step_epoch.trigger()
            qtbot.waitUntil(lambda: window.last_snapshot.epoch == epoch and twin.overlay is not None
                            and twin.overlay.epoch.size == epoch, timeout=TIMEOUT)
        curves = window.panels["curves"]
        label = "B: loss=cross-entropy"
        qtbot.waitUntil(lambda: label in curves._overlay_lines, timeout=TIMEOUT)
        (x_low, x_high), (y_low, y_high) = curves.loss_plot.viewRange()
        x, y = curves._overlay_lines[label].getData()
        assert x.size and float(np.nanmax(y)) <= y_high and float(x.max()) <= x_high
        _, epoch_loss = curves._overlay_items[label][0].getData()
        assert float(np.nanmax(epoch_loss)) <= y_high
        colour = curves._overlay_items[label][0].opts["pen"].color().name().upper()
        assert colour not in {theme.TRAIN_COLOUR, theme.VAL_COLOUR, theme.TEST_COLOUR}
        names = lambda: [window.session_runs.panel.tree.topLevelItem(i).text(0)  # noqa: E731
                         for i in range(window.session_runs.panel.tree.topLevelItemCount())]
        qtbot.waitUntil(lambda: any(name.endswith("-B") for name in names()), timeout=TIMEOUT)
        assert_legend_outside_the_plots(curves)
    finally:
        close_window(window)


def test_best_epoch_and_a_learning_rate_change_are_marked_and_kept_in_the_run_folder(qtbot, tmp_path,
                                                                                       shared_data_dir):
    window = open_window(qtbot, tmp_path, shared_data_dir, small_mnist())
    try:
        curves = window.panels["curves"]
        for epoch in (1, 2):
            window.run_actions.step_epoch.trigger()
            qtbot.waitUntil(lambda: window.state == "paused" and window.last_snapshot.epoch == epoch, timeout=TIMEOUT)
        val_loss = window.last_snapshot.epochs.val_loss
        best = int(np.argmin(val_loss)) + 1
        qtbot.waitUntil(lambda: f"best epoch {best}" in curves.marks.texts(), timeout=TIMEOUT)
        for line in curves.marks.best_lines:  # on both plots, at that epoch
            assert line.isVisible() and line.value() == best
        field = window.controls.learning_rate.lineEdit()
        window.controls.learning_rate.setFocus()
        field.selectAll()
        qtbot.keyClicks(field, "0.5")
        qtbot.keyClick(field, QtCore.Qt.Key.Key_B)  # applies 0.5 and steps one batch
        qtbot.waitUntil(lambda: window.last_snapshot.iteration == 2 * 50 + 1, timeout=TIMEOUT)
        qtbot.waitUntil(lambda: "η 3→0.5" in curves.marks.texts(), timeout=TIMEOUT)
        change = window.last_snapshot.lr_changes[0]
        assert (change.iteration, change.epoch, change.old, change.new) == (100, 2.0, 3.0, 0.5)
        assert curves.marks.lr_lines[0].value() == 2.0
        window.run_actions.stop.trigger()  # the live run folder ends "interrupted", with the change in it
        qtbot.waitUntil(lambda: window.state == "stopped", timeout=TIMEOUT)
        folder = window.worker.run_folder.folder
        qtbot.waitUntil(lambda: (folder / "metrics.json").exists() and bool(load_run(folder).lr_changes), timeout=TIMEOUT)
        run = load_run(folder)
        assert run.lr_changes == (change,) and run.best_epoch == best
    finally:
        close_window(window)


def test_cnn_feature_maps_pair_each_filter_with_its_map_and_activation_titles_do_not_overlap(
        qtbot, tmp_path, shared_data_dir):
    window = open_window(qtbot, tmp_path, shared_data_dir, small_mnist("cnn"))
    try:
        window.resize(1024, 740)
        window.run_actions.step_batch.trigger()
        qtbot.waitUntil(lambda: window.last_snapshot.iteration == 1, timeout=TIMEOUT)
        maps = window.panels["feature-maps"]
        window.docks["feature-maps"].raise_()
        qtbot.waitUntil(lambda: maps.maps.pairs is not None, timeout=TIMEOUT)
        qtbot.wait(300)
        pairs = maps.maps.pairs
        assert pairs.count == 16
        view = maps.maps.view
        for i in range(pairs.count):
            filter_rect, map_rect = (view.mapRectToScene(r) for r in pairs.rects(i))
            assert filter_rect.right() <= map_rect.left() < filter_rect.right() + 8  # beside its own map
            assert abs(filter_rect.center().y() - map_rect.center().y()) < 1
            assert filter_rect.height() >= 24, "a filter too small to read"
        snapshot = window.last_snapshot
        first = pairs.rects(0)[0]
        drawn = maps.maps.filter_image.image[int(first.y()):int(first.bottom()), int(first.x()):int(first.right())]
        scale = pairs.filter_size[0] // snapshot.filter_images.shape[1]
        np.testing.assert_allclose(drawn[::scale, ::scale], snapshot.filter_images[0], rtol=1e-6)
        titles = [maps.input_title, maps.maps.title]
        activations = window.panels["activations"]
        window.docks["activations"].raise_()
        qtbot.waitUntil(lambda: bool(activations._columns), timeout=TIMEOUT)
        qtbot.wait(300)
        for panel_titles in (titles, [activations._input[0], *(c.title for _, c in activations._columns),
                                      activations._output.title]):
            rects = [label.item.mapRectToScene(label.item.boundingRect()) for label in panel_titles]
            for i, a in enumerate(rects):
                assert all(not a.intersects(b) for b in rects[i + 1:]), [t.text for t in panel_titles]
        image = activations._input[1]
        assert scene_rect(activations._input_view).contains(scene_rect(image)), "the input is clipped"
    finally:
        close_window(window)
