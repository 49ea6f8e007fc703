"""Your own input as the probe, driven as a person does: File → Draw a digit…, a stroke drawn with
the mouse on the canvas, the panels and the record showing it; File → Open image as probe… with a
real MNIST digit written as a photo-like PNG; a file that is no image; networks that take no digits."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

import nnviz.ui  # noqa: F401  (the refcount guard, before any Qt call)
from nnviz.core.data.digit_preprocess import resize
from nnviz.ui import custom_probe
from nnviz.ui.custom_probe import UPDATES_PER_SECOND
from tests.test_gui_window import TIMEOUT, close_window, open_window, small_config

LEFT, RIGHT = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.RightButton


@pytest.fixture
def window(qtbot, tmp_path, shared_data_dir):
    window = open_window(qtbot, tmp_path, shared_data_dir,
                         small_config("softmax-2layer", **{"optimizer.learning_rate": 0.5}))
    yield window
    close_window(window)


def file_action(window, text: str) -> QtGui.QAction:
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    return next(a for a in file_menu.actions() if a.text() == text)


def draw(qtbot, canvas, points, button=LEFT) -> None:
    qtbot.mousePress(canvas, button, pos=QtCore.QPoint(*points[0]))
    for point in points[1:]:
        qtbot.mouseMove(canvas, QtCore.QPoint(*point))
    qtbot.mouseRelease(canvas, button, pos=QtCore.QPoint(*points[-1]))


def shown_input(window) -> np.ndarray:
    """The input image the Activations panel draws."""
    _title, image = window.panels["activations"]._input
    return np.asarray(image.image)


def test_a_drawn_digit_is_the_probe_with_live_probabilities(qtbot, window):
    action = file_action(window, "Draw a digit…")
    assert action.isEnabled() and "Ctrl+D" in action.toolTip()
    action.trigger()
    dialog = window.custom_probe.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=TIMEOUT)
    assert dialog.preview.text() == "nothing drawn"
    canvas = dialog.canvas
    side = canvas.width()
    stroke = [(side // 2, y) for y in range(side // 5, side * 4 // 5, 4)]  # a "1", top to bottom
    started = time.monotonic()
    draw(qtbot, canvas, stroke)
    elapsed = time.monotonic() - started
    assert canvas.array().max() == pytest.approx(1.0) and canvas.array().mean() < 0.2
    sent = window.custom_probe.sent
    assert 1 <= sent <= elapsed * UPDATES_PER_SECOND + 2  # throttled: not one input per mouse move
    qtbot.waitUntil(lambda: window.last_snapshot.probe_split == "drawn", timeout=TIMEOUT)
    record = window.last_snapshot
    pixels = dialog.pixels
    assert pixels.shape == (28, 28)
    inked_rows = np.flatnonzero(pixels.max(axis=1) > 0)
    assert inked_rows.size == 20 and np.flatnonzero(pixels.max(axis=0) > 0).size <= 4  # tall and thin
    np.testing.assert_allclose(record.probe_input, pixels, atol=1e-6)
    assert record.probe_label == -1 and record.probe_index == -1
    assert record.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert record.probe_prediction == int(np.argmax(record.probabilities))
    qtbot.waitUntil(lambda: shown_input(window).shape == (28, 28)
                    and np.allclose(shown_input(window), pixels, atol=1e-6), timeout=TIMEOUT)
    assert "drawn input" in window.panels["activations"]._output.title.text
    qtbot.waitUntil(lambda: dialog.answer.text().startswith("The network says"), timeout=TIMEOUT)
    heights = dialog.bar_item.opts["height"]
    np.testing.assert_allclose(heights, record.probabilities, atol=1e-6)

    # The right button erases: the lower half of the stroke goes, and the network is asked again.
    before = window.custom_probe.sent
    draw(qtbot, canvas, [(side // 2, y) for y in range(side * 3 // 5, side, 6)], button=RIGHT)
    qtbot.waitUntil(lambda: window.custom_probe.sent > before, timeout=TIMEOUT)
    ink = canvas.array()
    assert ink[side * 2 // 3:].max() == 0 and ink[:side // 2].max() == pytest.approx(1.0)
    qtbot.waitUntil(lambda: not np.allclose(window.last_snapshot.probe_input, pixels), timeout=TIMEOUT)

    # Clear: nothing drawn, and the panels show the Input tool bar's example again.
    qtbot.mouseClick(dialog.clear_button, LEFT)
    assert dialog.preview.text() == "nothing drawn" and canvas.array().max() == 0
    qtbot.waitUntil(lambda: window.last_snapshot.probe_split == "test", timeout=TIMEOUT)
    dialog.close()


def test_an_image_file_of_a_real_digit_is_the_probe(qtbot, window, tmp_path, monkeypatch):
    window.run_actions.step_epoch.trigger()  # some training: confident, meaningful predictions
    qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT)
    window.probe.index_box.setValue(3)
    qtbot.waitUntil(lambda: window.last_snapshot.probe_index == 3, timeout=TIMEOUT)
    original = window.last_snapshot
    digit = np.asarray(original.probe_input)  # MNIST test #3, white ink on black
    page = np.ones((400, 300), np.float32)
    page[90:230, 60:200] = 1.0 - resize(digit, 140, 140)  # ×5, dark ink on white paper, off-centre
    pixels = np.ascontiguousarray((page * 255).astype(np.uint8))
    path = tmp_path / "my digit.png"
    QtGui.QImage(pixels.data, 300, 400, 300, QtGui.QImage.Format.Format_Grayscale8).save(str(path))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    file_action(window, "Open image as probe…").trigger()
    qtbot.waitUntil(lambda: window.last_snapshot.probe_split == "image", timeout=TIMEOUT)
    record = window.last_snapshot
    assert np.corrcoef(np.asarray(record.probe_input).ravel(), digit.ravel())[0, 1] > 0.9
    assert record.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert record.probe_prediction == original.probe_prediction == original.probe_label
    assert "my digit.png" in window.statusBar().currentMessage()
    window.docks["feature-maps"].raise_()  # its tab, behind the Activations panel, clicked
    qtbot.waitUntil(lambda: "image file: predicted" in window.panels["feature-maps"].input_title.text, timeout=TIMEOUT)


def test_a_file_that_is_no_image_says_so_once(qtbot, window, tmp_path, monkeypatch):
    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    messages = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda parent, title, text: messages.append((title, text)))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    file_action(window, "Open image as probe…").trigger()
    blank = tmp_path / "blank.png"
    white = QtGui.QImage(64, 64, QtGui.QImage.Format.Format_RGB32)
    white.fill(QtGui.QColor("white"))
    white.save(str(blank))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", lambda *a, **k: (str(blank), ""))
    file_action(window, "Open image as probe…").trigger()
    assert [title for title, _ in messages] == ["Cannot open image", "Nothing in this image"]
    assert "notes.png is not an image" in messages[0][1]
    qtbot.wait(200)
    assert window.last_snapshot.probe_split == "test"  # the probe stays what it was
    assert window.thread.isRunning()


def test_networks_without_28x28_grey_inputs_disable_drawing(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, None, small_config("perceptron-blobs"))
    try:
        for text in ("Draw a digit…", "Open image as probe…"):
            action = file_action(window, text)
            assert not action.isEnabled()
            assert "2-D points" in action.toolTip()
        button = window.probe_bar.widgetForAction(window.custom_probe.draw_action)
        assert button.text() == "Draw…" and not button.isEnabled()
        window.custom_probe.draw_action.trigger()  # a disabled action does nothing
        assert window.custom_probe.dialog is None
    finally:
        close_window(window)


def test_the_draw_action_is_on_the_input_tool_bar_and_the_key_opens_it(qtbot, window):
    button = window.probe_bar.widgetForAction(window.custom_probe.draw_action)
    assert button is not None and button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, LEFT)
    qtbot.waitUntil(lambda: window.custom_probe.dialog is not None and window.custom_probe.dialog.isVisible(),
                    timeout=TIMEOUT)
    window.custom_probe.dialog.close()
    window.activateWindow()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_D, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.custom_probe.dialog.isVisible, timeout=TIMEOUT)
    window.custom_probe.dialog.close()
    assert custom_probe.MAX_PHOTO_SIDE >= 28


def test_the_worker_refuses_an_input_of_the_wrong_shape(qtbot, shared_data_dir):
    from nnviz.ui.worker import TrainingWorker

    worker = TrainingWorker(str(shared_data_dir))  # no thread: its commands run here, one by one
    records, errors = [], []
    worker.snapshot_ready.connect(records.append)
    worker.error_raised.connect(lambda title, text: errors.append(text))
    worker._handle(("load", (small_config("softmax-2layer"), None)))
    worker._handle(("set_probe_image", (np.zeros((3, 32, 32), np.float32), "image")))
    assert errors == ["This network takes inputs of shape (1, 28, 28); the image has shape (3, 32, 32)."]
    digit = np.zeros((1, 28, 28), np.float32)
    digit[0, 4:24, 13:15] = 1.0
    worker._handle(("set_probe_image", (digit, "drawn")))
    assert records[-1].probe_split == "drawn" and records[-1].probe_input.shape == (28, 28)
    worker._handle(("set_probe", ("index", 5, "test")))  # an example of the data set again
    assert records[-1].probe_split == "test" and records[-1].probe_index == 5
    assert len(errors) == 1
