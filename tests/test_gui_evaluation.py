"""The Evaluation view in the real window, driven as a lecturer does: a confusion cell clicked shows
its examples in the gallery (most confident first), a gallery example clicked becomes the probe,
the threshold slider recounts TP/FP/TN/FN; and the Run setup's regularisation controls, momentum
for SGD presets and choosing a preset on the lecturer's data set.

Runs use the first 2,000 MNIST training images and 1,000 validation images (seconds per test).
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

import nnviz.ui  # noqa: F401  (the refcount guard, before any Qt call)
from nnviz.core.evaluation import misclassified_by_confidence, operating_point
from nnviz.core.presets import preset_config

from test_gui_window import TIMEOUT, close_window, open_window, small_config


@pytest.fixture
def window(qtbot, tmp_path, shared_data_dir):
    window = open_window(qtbot, tmp_path, shared_data_dir, small_config())
    yield window
    close_window(window)


def trained_one_epoch(qtbot, window):
    window.run_actions.step_epoch.trigger()
    qtbot.waitUntil(lambda: window.state == "paused" and window.panels["confusion"].matrix is not None,
                    timeout=TIMEOUT)


def click_cell(qtbot, confusion, row: int, col: int) -> None:
    """A left click on the centre of cell (row, col) of the confusion-matrix panel."""
    view = confusion.graphics
    scene_point = confusion.image.mapToScene(QtCore.QPointF(col + 0.5, row + 0.5))
    qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton,
                     pos=view.mapFromScene(scene_point))


def click_item(qtbot, items: QtWidgets.QListWidget, row: int) -> None:
    rect = items.visualItemRect(items.item(row))
    qtbot.mouseClick(items.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())


def largest_confusion(matrix: np.ndarray) -> tuple[int, int]:
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    return tuple(int(v) for v in np.unravel_index(off.argmax(), off.shape))


def test_a_clicked_cell_fills_the_gallery_in_confidence_order_and_an_example_becomes_the_probe(qtbot, window):
    trained_one_epoch(qtbot, window)
    view = window.evaluation.view
    confusion = window.panels["confusion"]
    true_class, predicted_class = largest_confusion(confusion.matrix)
    click_cell(qtbot, confusion, true_class, predicted_class)
    qtbot.waitUntil(lambda: view.record is not None and view.record.request.cell == (true_class, predicted_class),
                    timeout=TIMEOUT)
    record = view.record
    assert window.evaluation.dock.isVisible() and view.tabs.currentWidget() is view.gallery
    assert record.epoch == 1 and "after epoch 1" in view.header.text()
    # The gallery holds exactly the cell the matrix counts, sorted as the core sorts them.
    qtbot.waitUntil(lambda: np.array_equal(confusion.matrix, record.evaluation.confusion), timeout=TIMEOUT)
    assert len(record.gallery) == confusion.matrix[true_class, predicted_class] > 0
    expected = misclassified_by_confidence(record.evaluation.probabilities, record.evaluation.labels,
                                           record.evaluation.predicted, true_class=true_class,
                                           predicted_class=predicted_class)
    assert record.gallery.indices.tolist() == expected.indices.tolist()
    assert np.all(np.diff(record.gallery.confidence) <= 0)  # most confidently wrong first
    items = view.gallery.list
    assert items.count() == min(len(record.gallery), record.gallery_inputs.shape[0])
    names = record.class_names
    first = items.item(0).text()
    assert first == f"{names[true_class]} → {names[predicted_class]}, p={record.gallery.confidence[0]:.2f}"
    # Clicking the second example makes it the probe of the activation and feature-map panels.
    row = 1 if items.count() > 1 else 0
    wanted = int(record.gallery.indices[row])
    click_item(qtbot, items, row)
    qtbot.waitUntil(lambda: window.last_snapshot.probe_index == wanted
                    and window.last_snapshot.probe_split == "val", timeout=TIMEOUT)
    assert window.probe.index_box.value() == wanted
    assert window.last_snapshot.probe_label == true_class
    assert window.last_snapshot.probe_prediction == predicted_class
    # "All mistakes" goes back from the cell to every mistake of the split.
    qtbot.mouseClick(view.gallery.all_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.record.request.cell is None, timeout=TIMEOUT)
    assert len(view.record.gallery) == int(confusion.matrix.sum() - np.trace(confusion.matrix))


def test_the_threshold_slider_moves_the_operating_point_and_recounts(qtbot, window):
    trained_one_epoch(qtbot, window)
    link = window.evaluation
    link.dock.raise_()
    view = link.view
    view.tabs.setCurrentWidget(view.two_classes)
    qtbot.waitUntil(lambda: view.record is not None and view.record.binary is not None, timeout=TIMEOUT)
    assert view.positive_box.currentData() == 4 and view.negative_box.currentData() == 9  # the classic pair
    scores, truth = view.scores()
    assert truth.size == int(view.record.evaluation.confusion[[4, 9]].sum())  # only 4s and 9s
    seen = set()
    for key in (QtCore.Qt.Key.Key_PageDown, QtCore.Qt.Key.Key_PageDown, QtCore.Qt.Key.Key_Home):
        before = view.counts_label.text()
        qtbot.keyClick(view.slider, key)
        point = operating_point(scores, truth, view.slider.value() / 1000)
        assert view.counts_label.text() == f"TP {point.tp:,} · FP {point.fp:,} · TN {point.tn:,} · FN {point.fn:,}"
        assert f"TPR = TP / (TP + FN) = {point.tpr:.3f}" in view.rates_label.text()
        assert f"FPR = FP / (FP + TN) = {point.fpr:.3f}" in view.rates_label.text()
        assert point.tpr == point.tp / (point.tp + point.fn)
        seen.add(view.counts_label.text())
        assert view.counts_label.text() != before  # 0.05 or more further: another count
    assert len(seen) == 3
    n_pos = int(truth.sum())  # threshold 0: every example called positive
    assert view.slider.value() == 0
    assert view.counts_label.text() == f"TP {n_pos:,} · FP {truth.size - n_pos:,} · TN 0 · FN 0"
    # One class against the rest: every example of the split is scored.
    rest = view.negative_box.count() - 1
    view.negative_box.setCurrentIndex(rest)
    view.negative_box.activated.emit(rest)
    qtbot.waitUntil(lambda: view.record.request.negative is None, timeout=TIMEOUT)
    assert view.scores()[1].size == view.record.n_examples == 1000
    assert "AUC" in view.pair_note.text()


def test_refresh_and_the_epoch_it_describes(qtbot, window):
    view = window.evaluation.view
    window.evaluation.dock.raise_()
    qtbot.waitUntil(lambda: view.record is not None, timeout=TIMEOUT)  # shown: the untrained network
    assert "before training (epoch 0)" in view.header.text()
    for _ in range(3):
        with qtbot.waitSignal(window.frame_finished, timeout=TIMEOUT):
            window.run_actions.step_batch.trigger()
    qtbot.mouseClick(view.evaluate_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.record.iteration == 3, timeout=TIMEOUT)
    assert "at iteration 3 (in epoch 1)" in view.header.text()
    window.run_actions.step_epoch.trigger()  # shown: evaluated again at the epoch's end
    qtbot.waitUntil(lambda: view.record.epoch == 1, timeout=TIMEOUT)
    assert view.record.iteration == 200 and "after epoch 1" in view.header.text()
    assert "train figures measured on 2,000 training examples" in view.header.text()
    assert "train measured on 2,000 examples" in window.status.accuracy_label.text()
    assert view.table.rowCount() == 10 and view.table.item(4, 4).text() == f"{view.record.per_class[4].support:,}"


def test_regularisation_controls_reach_the_workers_config(qtbot, window):
    # window.config is the config of the run the worker built and announced (run_loaded): each edit
    # waits for it, as the controls show the settings in force again once the new run is there.
    box = window.controls.training_box
    box.dropout.setValue(0.3)  # as typed and confirmed: the run has not started, so no question
    qtbot.waitUntil(lambda: window.config.model.dropout == pytest.approx(0.3), timeout=TIMEOUT)
    box.weight_decay.setValue(0.001)
    qtbot.waitUntil(lambda: window.config.optimizer.weight_decay == pytest.approx(0.001), timeout=TIMEOUT)
    box.schedule.setCurrentIndex(box.schedule.findData("step"))
    box.schedule.activated.emit(box.schedule.currentIndex())
    qtbot.waitUntil(lambda: str(window.config.optimizer.lr_decay) == "step:10:0.9", timeout=TIMEOUT)
    assert box.every.isVisible() and box.factor.isEnabled()
    box.init.setCurrentText("truncated-normal")
    box.init.activated.emit(box.init.currentIndex())
    qtbot.waitUntil(lambda: window.config.model.init == "truncated-normal", timeout=TIMEOUT)
    qtbot.mouseClick(box.early, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.config.training.early_stopping == 5, timeout=TIMEOUT)
    box.patience.setValue(3)
    qtbot.waitUntil(lambda: window.config.training.early_stopping == 3, timeout=TIMEOUT)
    config = window.worker.trainer.config  # the trainer the worker built holds every one of them
    assert (config.model.dropout, config.optimizer.weight_decay, config.model.init) == \
        (pytest.approx(0.3), pytest.approx(0.001), "truncated-normal")
    assert window.worker.trainer.monitor.patience == 3
    assert window.controls.training_box.dropout.value() == pytest.approx(0.3)  # shown after the reload


def test_early_stopping_without_validation_data_says_why(qtbot, tmp_path, shared_data_dir, monkeypatch):
    shown = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *args: shown.append(args))
    window = open_window(qtbot, tmp_path, shared_data_dir, small_config(**{"data.val_size": 0}))
    try:
        qtbot.mouseClick(window.controls.training_box.early, QtCore.Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(shown) == 1, timeout=TIMEOUT)
        assert "validation" in shown[0][2]
        assert window.worker.config.training.early_stopping == 0
        assert not window.controls.training_box.early.isChecked()  # the settings in force again
    finally:
        close_window(window)


def test_momentum_is_usable_on_nielsens_sgd_and_acts_live(qtbot, window):
    momentum = window.controls.momentum
    assert window.config.optimizer.name == "sgd" and momentum.isEnabled()
    momentum.setValue(0.9)
    qtbot.waitUntil(lambda: window.config.optimizer.momentum == pytest.approx(0.9), timeout=TIMEOUT)
    assert window.worker.trainer.optimizer.momentum == pytest.approx(0.9) and window.worker.trainer.iteration == 0
    with qtbot.waitSignal(window.frame_finished, timeout=TIMEOUT):
        window.run_actions.step_batch.trigger()
    assert window.worker.trainer.optimizer.state  # the velocity exists: momentum is in the update


def test_choosing_a_preset_keeps_the_lecturers_data_set_where_the_network_fits(qtbot, window, monkeypatch):
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Yes)
    controls = window.controls

    def choose(box: QtWidgets.QComboBox, data: str) -> None:
        box.setCurrentIndex(box.findData(data))
        box.activated.emit(box.currentIndex())

    choose(controls.dataset_box, "fashion-mnist")
    qtbot.waitUntil(lambda: window.run_info.dataset_name == "fashion-mnist", timeout=TIMEOUT)
    choose(controls.preset_box, "mlp-3layer")  # an MNIST demo: the network fits Fashion-MNIST, which stays
    qtbot.waitUntil(lambda: window.config.preset == "mlp-3layer", timeout=TIMEOUT)
    assert window.config.data.name == "fashion-mnist" == controls.dataset_box.currentData()
    assert window.config.model.hidden == [100]
    choose(controls.preset_box, "xor-mlp")  # a preset that names its data set gets it
    qtbot.waitUntil(lambda: window.config.preset == "xor-mlp", timeout=TIMEOUT)
    assert window.config.data.name == "xor"
    choose(controls.preset_box, "nielsen")  # XOR's points do not fit [784, 30, 10]: MNIST
    qtbot.waitUntil(lambda: window.config.preset == "nielsen", timeout=TIMEOUT)
    assert window.config.data.name == "mnist"
    assert preset_config("overfit").data.name == "fashion-mnist"
