"""Panels on their own (no window, no worker): drawing from snapshots, export, helpers."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtGui

import nnviz.ui  # noqa: F401  (the refcount guard, before any Qt call)
from nnviz.core.errors import ExportError
from nnviz.core.loss_history import smooth_continue
from nnviz.core.presets import preset_config
from nnviz.core.trainer import Trainer
from nnviz.ui import theme
from nnviz.ui.panels import create_panels
from nnviz.ui.panels.mosaic import tile_images
from nnviz.ui.status import status_text
from nnviz.core.record import build_record
from nnviz.core.trainer_queries import next_misclassified
from nnviz.ui.window_layout import suggest_learning_rate


@pytest.fixture
def panels(qtbot):
    theme.configure_pyqtgraph()
    panels = create_panels()
    for panel in panels.values():
        qtbot.addWidget(panel)
        panel.resize(800, 500)
        panel.show()
    return panels


def trained(preset: str, data_dir=None, batches: int | None = None) -> Trainer:
    config = preset_config(preset)
    if config.data.name == "mnist":
        config = config.with_changes(**{"data.train_size": 640, "data.val_size": 500, "data.test_size": 500})
    trainer = Trainer(config, data_dir=str(data_dir) if data_dir else None)
    if batches is None:
        trainer.step_epoch()
    else:
        for _ in range(batches):
            trainer.step_batch()
    return trainer


def rgb_pixels(path) -> np.ndarray:
    image = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_RGB32)
    bits = np.frombuffer(image.constBits(), dtype=np.uint8)
    pixels = bits.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4]
    return pixels.copy()  # the QImage is freed on return


def test_smoothing_matches_tensorboard_and_continues_across_tails():
    values = np.random.default_rng(0).random(1000).astype(np.float32)
    weight, last, expected = 0.9, 0.0, []
    for i, v in enumerate(values):  # TensorBoard's debiased exponential moving average
        last = last * weight + (1 - weight) * v
        expected.append(last / (1 - weight ** (i + 1)))
    head, state = smooth_continue(values[:300], weight, (0.0, 0))
    tail, _ = smooth_continue(values[300:], weight, state)
    np.testing.assert_allclose(np.concatenate([head, tail]), expected, rtol=1e-5)
    np.testing.assert_allclose(smooth_continue(values, 0.0, (0.0, 0))[0], values)


def test_mosaic_tiles_small_kernels_big_enough_to_see():
    kernels = np.arange(16 * 9, dtype=np.float32).reshape(16, 3, 3)
    mosaic, layout = tile_images(kernels, columns=4)
    assert layout.tile_height == 27 and layout.rows == 4  # 3x3 enlarged 9 times
    assert np.isnan(mosaic[0, 0])  # gaps are NaN (drawn transparent)
    assert layout.tile_at(layout.gap + 1, layout.gap + 1) == 0
    assert layout.tile_at(mosaic.shape[1] - 4, mosaic.shape[0] - 4) == 15
    assert layout.tile_at(mosaic.shape[1] - 1, 5) is None  # the gap at the edge


def test_cnn_snapshot_draws_in_every_panel_and_exports(panels, shared_data_dir, tmp_path):
    trainer = trained("cnn", shared_data_dir)
    snapshot = build_record(trainer, probe_index=3, confusion_split="test")
    name, maps = snapshot.first_layer_output.name, snapshot.first_layer_output.values
    assert name == "relu_1" and maps.shape == (16, 28, 28)
    for panel in panels.values():
        panel.show_snapshot(snapshot)
    assert panels["confusion"].matrix.sum() == 500
    assert panels["feature-maps"].maps.pairs.count == 16
    for name, panel in panels.items():
        if name == "decision-boundary":
            continue
        path = panel.export_png(tmp_path / f"{name}.png", width=960)
        pixels = rgb_pixels(path)
        assert QtGui.QImage(str(path)).width() == 960
        assert pixels.std() > 10, f"{name} export is blank"


def test_mosaics_choose_their_grid_again_when_their_panel_is_resized(panels, shared_data_dir, qtbot):
    # A dock shown for the first time is laid out after its first snapshot: the 16 maps were drawn
    # as one thin column and stayed so until the next snapshot.
    snapshot = build_record(trained("cnn", shared_data_dir, batches=1), probe_index=0)
    maps_panel, filters_panel = panels["feature-maps"], panels["filters"]
    for panel in (maps_panel, filters_panel):
        panel.resize(220, 900)  # tall and narrow
        qtbot.wait(50)
        panel.show_snapshot(snapshot)
    narrow = maps_panel.maps.pairs.columns, filters_panel.mosaic.layout_info.columns
    for panel in (maps_panel, filters_panel):
        panel.resize(1400, 450)  # wide: no new snapshot, the panel lays its tiles out again itself
    qtbot.waitUntil(lambda: (maps_panel.maps.pairs.columns, filters_panel.mosaic.layout_info.columns)
                    != narrow, timeout=3000)
    assert maps_panel.maps.pairs.columns > narrow[0] and filters_panel.mosaic.layout_info.columns > narrow[1]
    assert maps_panel.maps.pairs.count == 16


def test_dense_first_layer_shows_weighted_inputs(panels, shared_data_dir):
    trainer = trained("nielsen", shared_data_dir, batches=20)
    snapshot = build_record(trainer, probe_index=0)
    assert snapshot.weighted_inputs.shape == (30, 28, 28)
    panels["feature-maps"].show_snapshot(snapshot)
    panels["activations"].show_snapshot(snapshot)
    assert panels["curves"].n_points == 0
    panels["curves"].show_snapshot(snapshot)
    assert panels["curves"].n_points == 20


def test_curves_append_tails_and_restart_on_a_full_curve(panels):
    trainer = trained("xor-mlp", batches=10)
    curves = panels["curves"]
    curves.show_snapshot(build_record(trainer, probe_index=0))
    for _ in range(5):
        trainer.step_batch()
    tail = build_record(trainer, loss_offset=10, probe_index=0)
    assert tail.train_loss.shape == (5,) and curves.loss_offset_ok(tail)
    curves.show_snapshot(tail)
    assert curves.n_points == 15
    curves.show_snapshot(build_record(trainer, probe_index=0))  # offset 0: a new run or a resend
    assert curves.n_points == 15


def test_a_long_runs_whole_curve_starts_at_the_oldest_loss_kept(panels):
    """A long run keeps only its newest losses: asked for the whole curve again (a resend), the
    panel takes them from there instead of asking again and again."""
    from nnviz.ui.twin_run import IterationLosses
    trainer = trained("xor-mlp", batches=0)
    trainer.history.keep = 16
    for _ in range(40):
        trainer.step_batch()
    curves, twin = panels["curves"], IterationLosses()
    whole = build_record(trainer, probe_index=0)  # offset 0 asked: the oldest still kept instead
    assert whole.loss_offset == whole.losses_kept_from > 0
    assert curves.loss_offset_ok(whole) and twin.add(whole)
    curves.show_snapshot(whole)
    assert curves.n_points == 40 and curves.history.buckets == whole.train_loss.size
    x = curves.history.smooth_curve()[0]
    np.testing.assert_allclose(x[-1], 40 / whole.iterations_per_epoch)  # placed where they belong
    trainer.step_batch()
    tail = build_record(trainer, loss_offset=40, probe_index=0)
    assert curves.loss_offset_ok(tail) and twin.add(tail)
    curves.show_snapshot(tail)
    assert curves.n_points == 41
    x, loss, span = twin.arrays()
    assert span == 1 and loss.size == whole.train_loss.size + 1
    np.testing.assert_allclose(loss, np.append(whole.train_loss, tail.train_loss), rtol=1e-6)


def test_raw_losses_are_a_line_then_one_stroke_per_pixel_column_reaching_its_extremes(panels, qtbot):
    """A few batches are drawn loss by loss; a long run, as one vertical stroke per pixel column from
    the column's lowest to its highest loss (a frame hands the plot hundreds of points, not 16,384)."""
    from dataclasses import replace
    trainer = trained("xor-mlp", batches=10)
    curves = panels["curves"]
    first = build_record(trainer, probe_index=0)
    curves.show_snapshot(first)
    x, y = curves.raw.getData()
    assert x.size == 10 and curves.raw.opts["connect"] == "all"  # every step visible
    np.testing.assert_allclose(y, first.train_loss, rtol=1e-6)
    rng = np.random.default_rng(0)
    losses = rng.gamma(1.0, 0.2, 200_000).astype(np.float32)
    losses[150_000] = 9.0
    long = replace(first, train_loss=losses, iteration=200_000, loss_offset=0, losses_kept_from=0,
                   iterations_per_epoch=10_000.0, epoch=20, batch_in_epoch=0)
    curves.show_snapshot(long)
    qtbot.waitUntil(lambda: curves.loss_plot.vb.width() > 100)
    curves.show_snapshot(replace(long, train_loss=losses[:0], loss_offset=200_000))  # a frame at its width
    x, y = curves.raw.getData()
    columns = int(curves.loss_plot.vb.width())
    assert curves.raw.opts["connect"] == "pairs" and x.size <= 2 * columns
    assert np.all(x[0::2] == x[1::2]) and np.all(y[0::2] <= y[1::2])  # vertical strokes, low to high
    assert y.max() == np.float32(9.0) and y.min() == losses.min()  # the spike and the lowest loss are drawn
    assert np.all(np.diff(x[0::2]) > 0)


@pytest.mark.parametrize("preset", ["perceptron-blobs", "perceptron-xor", "xor-mlp", "xor-hand"])
def test_two_dimensional_presets_draw_without_errors(panels, preset, tmp_path):
    trainer = trained(preset)
    snapshot = build_record(trainer, probe_index=0)
    assert snapshot.decision.scores.shape == (80, 80)
    for panel in panels.values():
        panel.show_snapshot(snapshot)
    path = panels["decision-boundary"].export_png(tmp_path / "plane.png", width=800)
    assert rgb_pixels(path).std() > 10


def test_export_to_a_missing_folder_raises_a_clear_error(panels, tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        panels["curves"].export_png(tmp_path / "nowhere" / "curves.png")


def test_next_misclassified(shared_data_dir):
    trainer = trained("nielsen", shared_data_dir)
    wrong = next_misclassified(trainer, "test", 0)
    x, y = trainer.dataset.split("test")
    assert trainer.predict_labels(x[wrong:wrong + 1])[0] != y[wrong]


def test_helpers_for_the_lecture_vocabulary(shared_data_dir):
    trainer = trained("nielsen", shared_data_dir, batches=12)
    snapshot = build_record(trainer, probe_index=0, wall_samples_per_second=61000.0)
    assert status_text(snapshot, "running", 30) == "Epoch 1 / 30 · batch 12 / 64 · iteration 12 · " \
                                                     "61,000 samples/s · running"
    assert suggest_learning_rate(3.0) == pytest.approx(0.3)
    assert suggest_learning_rate(50.0) == pytest.approx(5.0)
    assert theme.nice_level(0.87) == 1.0 and theme.nice_level(1.2) == 1.5


def test_a_title_too_wide_for_its_column_keeps_both_lines_each_cut_short(qtbot):
    """cnn's probe title in presentation mode lost its second line: the two lines were cut as one
    string, which left half of the "<br>" tag."""
    import pyqtgraph as pg
    from PySide6 import QtCore
    label = pg.LabelItem()
    label.setGeometry(QtCore.QRectF(0, 0, 120, 60))
    theme.fit_title(label, "test #0 of the validation split<br>true 7 · predicted 7 ✓ (99.9 %)")
    lines = label.text.split("<br>")
    assert len(lines) == 2 and lines[0].startswith("test #0") and lines[1].startswith("true")
    assert all(line.endswith("…") for line in lines) and "<" not in "".join(lines).replace("<br>", "")
    theme.fit_title(label, "a long title that does not fit", "short")
    assert label.text == "short"
