"""The convolution lecture's numbers on the real '7', checked against plain loops (no Qt)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from nnviz.core.conv import conv_output_size
from nnviz.core.lessons import convolution as lc
from nnviz.core.network import Sequential


def loop_cross_correlation(x: np.ndarray, w: np.ndarray, stride: int = 1) -> np.ndarray:
    """m[i, j] = sum_u sum_v w[u, v] * x[i*s + u, j*s + v], written out with loops."""
    kh, kw = w.shape
    rows = (x.shape[0] - kh) // stride + 1
    cols = (x.shape[1] - kw) // stride + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            total = 0.0
            for u in range(kh):
                for v in range(kw):
                    total += w[u, v] * x[i * stride + u, j * stride + v]
            out[i, j] = total
    return out


def loop_max_pool_ceil(m: np.ndarray, size: int = 2) -> np.ndarray:
    """2x2 windows with stride 2; a window hanging over the edge keeps only the cells inside."""
    rows, cols = -(-m.shape[0] // size), -(-m.shape[1] // size)
    out = np.zeros((rows, cols))
    for r in range(rows):
        for c in range(cols):
            best = -math.inf
            for i in range(r * size, min(r * size + size, m.shape[0])):
                for j in range(c * size, min(c * size + size, m.shape[1])):
                    best = max(best, m[i, j])
            out[r, c] = best
    return out


@pytest.fixture(scope="module")
def seven(shared_data_dir):
    from nnviz.core.data.loading import load_dataset

    dataset = load_dataset("mnist", data_dir=shared_data_dir)
    index = lc.first_index_of(dataset.y_test, 7)
    return index, dataset.x_test[index, 0]


def test_the_slides_numbers_on_the_first_seven(seven):
    index, image = seven
    assert index == 0  # the first MNIST test image is a 7
    origin = lc.default_patch_origin(image)
    assert origin == (22, 9)  # the bottom tip of the stroke
    lesson = lc.patch_lesson(image, origin, lc.EDGE_FILTER)
    expected_patch = np.rint(image[22:27, 9:16] * 255)
    np.testing.assert_array_equal(lesson.patch, expected_patch)
    assert lesson.patch.shape == (5, 7)
    expected_map = loop_cross_correlation(expected_patch, np.array([[-1, 0, 1]] * 3, dtype=float))
    assert lesson.feature_map.shape == (3, 5)
    np.testing.assert_allclose(lesson.feature_map, expected_map)
    assert lesson.pooled.shape == (2, 3)
    np.testing.assert_allclose(lesson.pooled, loop_max_pool_ceil(expected_map))
    # a clear edge: the stroke's left edge is strongly positive, its right edge strongly negative
    assert lesson.feature_map[:, 0].min() > 300 and lesson.feature_map[:, 4].max() < -400
    assert lesson.feature_map[0, 1] == 671 and lesson.pooled[1, 0] == 750
    # the window's 9 products add up to the map cell, for every cell
    for k in range(lesson.n_cells):
        assert lesson.products(k).sum() == pytest.approx(lesson.feature_map[lesson.cell(k)])
    # the same map on the network's 0-1 inputs is the byte map / 255
    scaled = lc.patch_lesson(image, origin, lc.EDGE_FILTER, scale=1)
    np.testing.assert_allclose(scaled.feature_map, expected_map / 255, atol=1e-6)


@pytest.mark.parametrize("stride", lc.STRIDES)
@pytest.mark.parametrize("padding", lc.PADDINGS)
def test_whole_image_map_matches_loops_for_every_stride_and_padding(seven, stride, padding):
    _, image = seven
    weights = lc.FILTER_PRESETS["Sobel x"].weights
    result = lc.whole_image_map(image, weights, stride, padding)
    expected_size = {(1, "same"): 28, (1, "valid"): 26, (2, "same"): 14, (2, "valid"): 13}[stride, padding]
    assert result.shape == (expected_size, expected_size) == (conv_output_size(28, 3, stride, padding),) * 2
    (top, bottom), (left, right) = (lc.padding_amounts(28, 3, stride, padding),) * 2
    padded = np.pad(image.astype(np.float64), ((top, bottom), (left, right)))
    np.testing.assert_allclose(result, loop_cross_correlation(padded, weights, stride), atol=1e-4)
    formula = lc.output_size_formula(28, 3, stride, padding)
    assert formula.endswith(f"= {expected_size}")


def test_output_size_formulas_are_written_out():
    assert lc.output_size_formula(28, 3, 1, "same") == "out = floor((28 + 2·1 − 3)/1) + 1 = 28"
    assert lc.output_size_formula(28, 3, 1, "valid") == "out = floor((28 − 3)/1) + 1 = 26"
    assert lc.output_size_formula(28, 3, 2, "same") == "out = floor((28 + 0 + 1 − 3)/2) + 1 = 14"
    assert lc.output_size_formula(28, 9, 2, "valid") == "out = floor((28 − 9)/2) + 1 = 10"
    assert "1 after" in lc.padding_note(28, 3, 2, "same")


def test_ceil_pooling_keeps_the_lone_last_row_and_column():
    m = np.arange(15, dtype=float).reshape(3, 5)
    np.testing.assert_array_equal(lc.max_pool_ceil(m), [[6, 8, 9], [11, 13, 14]])
    assert [[(w[0].start, w[0].stop, w[1].start, w[1].stop) for w in row] for row in lc.pool_windows((3, 5))][1] == [
        (2, 3, 0, 2), (2, 3, 2, 4), (2, 3, 4, 5)]


def test_patch_placement_and_presets():
    assert lc.patch_origin_around(0, 0, (28, 28)) == (0, 0)
    assert lc.patch_origin_around(27, 27, (28, 28)) == (23, 21)
    assert lc.patch_origin_around(10, 10, (28, 28)) == (8, 7)  # the click is the patch's centre
    for preset in lc.FILTER_PRESETS.values():
        assert preset.weights.shape == (3, 3)
        assert lc.describe_filter(preset.weights) == preset.meaning
    assert "looks like the filter" in lc.describe_filter(np.ones((3, 3)))
    seven = lc.drawn_seven()  # the stand-in when MNIST is missing still teaches the same edge
    lesson = lc.patch_lesson(seven, lc.default_patch_origin(seven), lc.EDGE_FILTER)
    assert lesson.feature_map.shape == (3, 5) and lesson.feature_map.max() > 0 > lesson.feature_map.min()


def test_number_formatting_for_the_screen():
    assert lc.value_text(254.0, 255) == "254" and lc.value_text(-761.0, 255) == "−761"
    assert lc.value_text(0.0, 1) == "0" and lc.value_text(-0.001, 1) == "0.00" and lc.value_text(1.0, 1) == "1.00"
    assert lc.format_value(-1.0) == "−1" and lc.format_value(1 / 9) == "0.11"
    assert lc.format_value(-math.inf) == "−∞"


def test_first_layer_maps_are_the_relu_of_the_convolution():
    specs = [{"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same"}, {"type": "relu"},
             {"type": "maxpool2d", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}]
    network = Sequential(specs, (1, 28, 28), rng=np.random.default_rng(1))
    image = np.random.default_rng(2).random((28, 28)).astype(np.float32)
    filters, maps = lc.first_layer_maps(network, image)
    assert filters.shape == (4, 3, 3) and maps.shape == (4, 28, 28)
    padded = np.pad(image.astype(np.float64), 1)
    expected = np.maximum(loop_cross_correlation(padded, filters[2].astype(np.float64)), 0)
    np.testing.assert_allclose(maps[2], expected, atol=1e-5)
    with pytest.raises(ValueError, match="no convolution"):
        lc.first_layer_maps(Sequential([{"type": "flatten"}, {"type": "dense", "units": 3}], (1, 28, 28)), image)


def test_tables_text_shows_every_number(seven):
    _, image = seven
    lesson = lc.patch_lesson(image, (22, 9), lc.EDGE_FILTER)
    text = lc.lesson_tables(lesson)
    for needle in ("Patch 5x7 at rows 23-27, columns 10-16 (counting from 1", "Feature map 3x5", "'valid' cross-correlation", "-> 2x3",
                   "floor mode would give 1x2", " 671 ", "stride 2, same : out = floor((28 + 0 + 1 − 3)/2) + 1 = 14"):
        assert needle in text


def test_first_layer_training_runs_batch_by_batch(shared_data_dir):
    run = lc.FirstLayerTraining("cnn", str(shared_data_dir), train_size=200, test_size=100)
    assert run.snapshot() == lc.TrainingProgress(0, 4)  # 200 images in batches of 64
    assert run.step() is False and run.snapshot().batches_done == 1 and run.snapshot().network is None
    while not run.step():
        pass
    finished = run.snapshot()
    assert finished.batches_done == 4 and finished.network is run.trainer.network
    assert finished.summary.startswith("cnn preset · 1 epoch on 200 MNIST training images · ")
    assert finished.summary.endswith("% on 100 test images")


def test_the_lesson_module_does_not_import_qt():
    code = "import sys, nnviz.core.lessons.convolution; assert 'PySide6' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_training_sequence_trains_each_preset_in_turn(shared_data_dir):
    sequence = lc.TrainingSequence([("cnn", 64), ("cnn-9x9", 64)], str(shared_data_dir), test_size=10)
    presets = []
    while not sequence.step():
        presets.append(sequence.snapshot()[0])
    preset, progress, trainers = sequence.snapshot()
    assert presets == ["cnn"] and preset == "cnn-9x9" and progress.batches_done == 1
    assert [t.config.preset for t in trainers] == ["cnn", "cnn-9x9"]
    assert trainers[1].network.layers[0].params["W"].shape == (16, 1, 9, 9)
