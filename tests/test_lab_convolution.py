"""`nnviz lab convolution` driven with pytest-qt: stepping, filters, patch, stride/padding, training, export."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from nnviz.core.conv import conv_output_size  # noqa: E402
from nnviz.core.errors import DatasetError  # noqa: E402
from nnviz.core.lessons import convolution as lc  # noqa: E402
from nnviz.core.model_io import save_model  # noqa: E402
from nnviz.core.network import Sequential  # noqa: E402
from nnviz.ui.labs import convolution  # noqa: E402


def assert_figure_png(path, width: int) -> None:
    """Read the PNG back: the requested width, a white background, and not blank."""
    image = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_RGB888)
    assert not image.isNull() and image.width() == width
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    pixels = raw.reshape(image.height(), image.bytesPerLine())[:, :3 * width].reshape(image.height(), width, 3).copy()
    assert np.all(pixels[0, 0] == 255)
    assert np.any(pixels < 250, axis=2).mean() > 0.05, f"{path} is almost blank"
    assert len(np.unique(pixels.reshape(-1, 3)[::7], axis=0)) > 50


@pytest.fixture
def lab(qtbot, shared_data_dir, monkeypatch):
    monkeypatch.setattr(convolution, "TRAIN_SIZES", (400, 20000, 60000))  # index 0: a quick run for tests
    widget = convolution.WIDGET(data_dir=str(shared_data_dir))
    qtbot.addWidget(widget)
    widget.resize(1500, 950)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()
    assert widget.training.thread is None and widget.slides_run.thread is None  # every QThread joined


def test_opens_on_the_first_seven_with_the_slides_numbers(lab):
    assert lab.index == 0 and int(lab.labels[0]) == 7
    assert lab.lesson.origin == (22, 9)
    assert lab.lesson.feature_map.shape == (3, 5) and lab.lesson.pooled.shape == (2, 3)
    np.testing.assert_array_equal(lab.weights, [[-1, 0, 1]] * 3)
    assert lab.filter_combo.currentText() == "Edge (slides)"
    assert lab.hand.cell is None  # the finished overview first


def test_step_and_play_slide_the_window_cell_by_cell(lab, qtbot):
    qtbot.mouseClick(lab.step_button, QtCore.Qt.MouseButton.LeftButton)
    assert lab.cell == 0 and lab.hand.cell == 0
    for _ in range(6):
        lab.step()
    assert lab.hand.cell == 6
    np.testing.assert_allclose(lab.lesson.products(6).sum(), lab.lesson.feature_map[1, 1])
    for _ in range(8):
        lab.step()
    assert lab.cell == 14
    lab.step()
    assert lab.cell is None  # after the 15th window: all done, pooled map shown
    lab.timer.setInterval(5)
    qtbot.mouseClick(lab.play_button, QtCore.Qt.MouseButton.LeftButton)
    assert lab.play_button.text() == "Pause" and lab.timer.isActive()
    qtbot.waitUntil(lambda: lab.cell is None and not lab.play_button.isChecked(), timeout=5000)
    assert not lab.timer.isActive() and lab.play_button.text() == "Play"


def test_changing_the_filter_recomputes_the_numbers(lab):
    lab.filter_table.item(0, 0).setText("2")  # as if typed into the table
    assert lab.weights[0, 0] == 2 and lab.filter_combo.currentText() == "Custom"
    expected = lc.cross_correlate_valid(lab.lesson.patch, lab.weights)
    np.testing.assert_allclose(lab.hand.lesson.feature_map, expected)
    lab.filter_table.item(1, 1).setText("abc")
    assert lab.weights[1, 1] == 0 and "not a number" in lab.status.text()
    assert lab.filter_table.item(1, 1).text() == "0"
    index = lab.filter_combo.findText("Sobel y")
    lab.filter_combo.setCurrentIndex(index)
    lab.filter_combo.activated.emit(index)
    np.testing.assert_array_equal(lab.weights, lc.FILTER_PRESETS["Sobel y"].weights)
    np.testing.assert_allclose(lab.whole.feature_map, lc.whole_image_map(lab.image, lab.weights, 1, "same"))


def test_clicking_the_digit_moves_the_patch(lab, qtbot):
    rect = lab.hand._image_rect
    assert rect.width() > 50
    pixel = rect.width() / 28
    point = QtCore.QPoint(int(rect.left() + 10.5 * pixel), int(rect.top() + 8.5 * pixel))  # row 8, column 10
    qtbot.mouseClick(lab.hand, QtCore.Qt.MouseButton.LeftButton, pos=point)
    assert lab.lesson.origin == lc.patch_origin_around(8, 10, (28, 28)) == (6, 7)
    assert lab.hand.lesson.origin == (6, 7)


def test_every_stride_and_padding_gives_the_formula_size(lab):
    for stride in lc.STRIDES:
        for padding in lc.PADDINGS:
            lab.set_whole_image(stride, padding)
            size = conv_output_size(28, 3, stride, padding)
            assert lab.whole.feature_map.shape == (size, size)
            assert (lab.whole.stride, lab.whole.padding) == (stride, padding)


def test_picking_another_digit(lab):
    lab.digit_combo.setCurrentIndex(3)
    lab.digit_combo.activated.emit(3)
    assert int(lab.labels[lab.index]) == 3 and lab.index_spin.value() == lab.index
    assert lab.lesson.origin == lc.default_patch_origin(lab.image)
    lab.index_spin.setValue(1)
    assert lab.index == 1 and lab.digit_combo.currentText() == str(int(lab.labels[1]))


def test_export_png_of_the_requested_width(lab, tmp_path):
    lab.step()
    path = lab.export_png(tmp_path / "lab.png", width=1400)
    assert_figure_png(path, 1400)


def test_train_in_a_thread_then_show_the_learned_filters(lab, qtbot):
    lab.size_combo.setCurrentIndex(0)  # 400 images: a second
    qtbot.mouseClick(lab.train_button, QtCore.Qt.MouseButton.LeftButton)
    assert not lab.train_button.isEnabled()
    qtbot.waitUntil(lambda: lab.network is not None, timeout=60000)
    assert lab.training.thread is None and lab.train_button.isEnabled()
    assert lab.learned.filters.shape == (16, 3, 3) and lab.learned.maps.shape == (16, 28, 28)
    assert "400 MNIST training images" in lab.learned.subtitle
    lab.set_image(2)  # the learned maps follow the image
    np.testing.assert_allclose(lab.learned.image, lab.images[2])


def test_one_click_writes_the_slides_two_figures(lab, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(convolution, "SLIDE_TRAIN_SIZES", {"cnn": 64, "cnn-9x9": 64})
    monkeypatch.setattr(convolution, "SLIDE_TEST_SIZE", 50)
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory", lambda *args: str(tmp_path))
    qtbot.mouseClick(lab.slides_button, QtCore.Qt.MouseButton.LeftButton)
    assert not lab.slides_button.isEnabled() and not lab.train_button.isEnabled()
    qtbot.waitUntil(lambda: lab.slides_button.isEnabled(), timeout=90000)
    assert lab.slides_run.thread is None
    for name in ("filters-3x3.png", "filters-9x9.png"):
        assert_figure_png(tmp_path / name, 1920)
    assert "filters-9x9.png" in lab.status.text()


def test_closing_during_training_joins_the_thread(lab):
    lab.size_combo.setCurrentIndex(2)
    lab.train_filters()
    assert lab.training.is_running()
    lab.close()
    assert lab.training.thread is None and lab.network is None


def test_open_model_files(lab, tmp_path, monkeypatch):
    specs = [{"type": "conv2d", "filters": 8, "kernel_size": 5, "padding": "same"}, {"type": "relu"},
             {"type": "flatten"}, {"type": "dense", "units": 10}]
    save_model(tmp_path / "cnn.npz", Sequential(specs, (1, 28, 28)))
    lab.open_model(tmp_path / "cnn.npz")
    assert lab.learned.filters.shape == (8, 5, 5)
    warnings = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *args: warnings.append(args[2]))
    save_model(tmp_path / "mlp.npz", Sequential([{"type": "flatten"}, {"type": "dense", "units": 10}], (1, 28, 28)))
    lab.open_model(tmp_path / "mlp.npz")
    assert warnings and "no convolution" in warnings[0]


def test_without_mnist_the_lab_uses_a_drawn_seven(qtbot, monkeypatch):
    def missing(data_dir):
        raise DatasetError("MNIST is not on this computer")

    monkeypatch.setattr(convolution, "load_test_images", missing)
    widget = convolution.ConvolutionLab()
    qtbot.addWidget(widget)
    assert "drawn 7" in widget.status.text()
    assert widget.lesson.feature_map.shape == (3, 5)
    widget.shutdown()


def test_headless_writes_the_figures_and_tables_prints_the_numbers(qtbot, shared_data_dir, tmp_path):
    written = convolution.headless(tmp_path, str(shared_data_dir), train_size=300, test_size=200)
    assert [p.name for p in written] == ["convolution.png", "convolution-by-hand.png",
                                         "convolution-whole-image.png", "convolution-learned-filters.png"]
    for path in written:
        assert_figure_png(path, 1920)
    text = convolution.tables(str(shared_data_dir))
    assert "MNIST test image #0 (a 7)" in text and "Feature map 3x5" in text and "-> 2x3" in text
