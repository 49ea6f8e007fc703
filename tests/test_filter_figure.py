"""The slides' "3x3 / 9x9 first convolution layer filter and activation" figures."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")
from PySide6 import QtGui  # noqa: E402

from nnviz.core.lessons.convolution import train_first_layer  # noqa: E402
from nnviz.core.network import Sequential  # noqa: E402
from nnviz.ui.labs.filter_figure import filter_activation_figure, write_filter_figures  # noqa: E402


def png_pixels(path) -> np.ndarray:
    """An exported PNG read back as an (H, W, 3) uint8 array."""
    image = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_RGB888)
    assert not image.isNull(), f"{path} is not a readable PNG"
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    rows = raw.reshape(image.height(), image.bytesPerLine())[:, :3 * image.width()]
    return rows.reshape(image.height(), image.width(), 3).copy()  # a copy: the QImage is freed on return


def assert_figure_png(path, width: int) -> None:
    pixels = png_pixels(path)
    assert pixels.shape[1] == width
    assert np.all(pixels[0, 0] == 255)  # white background
    not_white = np.any(pixels < 250, axis=2).mean()
    assert not_white > 0.05, f"{path} is almost blank ({not_white:.1%} drawn)"
    assert len(np.unique(pixels.reshape(-1, 3)[::7], axis=0)) > 50  # colour maps, not just text


@pytest.fixture(scope="module")
def small_trainer(shared_data_dir):
    return train_first_layer("cnn", str(shared_data_dir), train_size=2000, test_size=500)


def test_figure_of_a_small_trained_cnn(qtbot, small_trainer, tmp_path):
    image = small_trainer.dataset.x_test[0, 0]
    figure = filter_activation_figure(small_trainer, image)
    qtbot.addWidget(figure)
    figure.resize(1200, 520)
    np.testing.assert_array_equal(figure.filters, small_trainer.network.layers[0].params["W"][:, 0])
    assert figure.maps.shape == (16, 28, 28) and figure.maps.min() >= 0  # after ReLU
    assert figure.maps.max() > 0
    assert figure.title.startswith("3×3 first convolution layer")
    assert "2,000 MNIST training images" in figure.subtitle and "% on 500 test images" in figure.subtitle
    assert_figure_png(figure.export_png(tmp_path / "filters.png", width=1600), 1600)
    bare = filter_activation_figure(small_trainer.network, image[None])  # a network and a (1, H, W) image
    qtbot.addWidget(bare)
    np.testing.assert_array_equal(bare.maps, figure.maps)


def test_figure_draws_9x9_filters(qtbot, tmp_path):
    specs = [{"type": "conv2d", "filters": 16, "kernel_size": 9, "padding": "same"}, {"type": "relu"},
             {"type": "flatten"}, {"type": "dense", "units": 10}]
    network = Sequential(specs, (1, 28, 28), rng=np.random.default_rng(0))
    image = np.zeros((28, 28), dtype=np.float32)
    image[6:22, 12:15] = 1.0
    figure = filter_activation_figure(network, image, subtitle="untrained")
    qtbot.addWidget(figure)
    figure.resize(1000, 450)
    assert figure.filters.shape == (16, 9, 9) and figure.title.startswith("9×9")
    assert_figure_png(figure.export_png(tmp_path / "nine.png", width=1000), 1000)


def test_write_filter_figures_trains_both_presets(qtbot, shared_data_dir, tmp_path):
    written = write_filter_figures(tmp_path, str(shared_data_dir), train_sizes={"cnn": 300, "cnn-9x9": 300},
                                   test_size=100, width=900)
    assert [p.name for p in written] == ["filters-3x3.png", "filters-9x9.png"]
    for path in written:
        assert_figure_png(path, 900)
