"""Your own digit, preprocessed as MNIST was: against real MNIST digits blown up into a big canvas,
and unit checks of the pieces (centre of mass, aspect ratio, polarity, empty pages, resampling)."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core.data.digit_preprocess import (MNIST_CENTRE, DigitInput, centre_of_mass, colour_input, mnist_digit,
                                              resample_matrix, resize, to_grey)
from nnviz.core.data.idx import load_idx_pair

N_DIGITS = 40


@pytest.fixture(scope="module")
def mnist(shared_data_dir):
    folder = shared_data_dir / "mnist"
    x_test, y_test = load_idx_pair(folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz")
    x_train, y_train = load_idx_pair(folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz")
    return x_train[:6000, 0], y_train[:6000], x_test[:N_DIGITS, 0], y_test[:N_DIGITS]


def blown_up(digit: np.ndarray, index: int) -> np.ndarray:
    """The digit ×5 (bilinear) somewhere in a 300×400 page; every other one dark ink on white paper."""
    page = np.zeros((300, 400), dtype=np.float32)
    top, left = 20 + 7 * (index % 20), 30 + 11 * (index % 20)
    page[top:top + 140, left:left + 140] = resize(digit, 140, 140)
    return 1.0 - page if index % 2 else page


def best_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation allowing a whole-pixel shift: MNIST rounded its centring to whole pixels (its
    centres of mass spread uniformly ±0.5 px around 14.0), so a tie may round the other way here."""
    return max(float(np.corrcoef(np.roll(a, (dy, dx), (0, 1)).ravel(), b.ravel())[0, 1])
               for dy in (-1, 0, 1) for dx in (-1, 0, 1))


def ridge_classifier(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A linear model fitted in closed form (one-hot targets, ridge): (785, 10) weights, ~85 % on MNIST."""
    features = np.hstack([x.reshape(x.shape[0], -1), np.ones((x.shape[0], 1), np.float32)]).astype(np.float64)
    targets = np.eye(10)[y]
    gram = features.T @ features + 1.0 * np.eye(features.shape[1])
    return np.linalg.solve(gram, features.T @ targets)


def predict(weights: np.ndarray, images: np.ndarray) -> np.ndarray:
    features = np.hstack([images.reshape(images.shape[0], -1), np.ones((images.shape[0], 1))])
    return np.argmax(features @ weights, axis=1)


def test_blown_up_mnist_digits_come_back(mnist):
    x_train, y_train, digits, labels = mnist
    results = [mnist_digit(blown_up(d, i)) for i, d in enumerate(digits)]
    assert all(r.inverted == bool(i % 2) for i, r in enumerate(results))  # dark-on-light found out
    processed = np.stack([r.pixels for r in results])
    assert processed.shape == (N_DIGITS, 28, 28) and processed.dtype == np.float32
    assert processed.min() >= 0 and processed.max() == pytest.approx(1.0, abs=0.05)
    exact = np.array([np.corrcoef(p.ravel(), d.ravel())[0, 1] for p, d in zip(processed, digits)])
    shifted = np.array([best_correlation(p, d) for p, d in zip(processed, digits)])
    assert np.median(exact) > 0.95 and (exact > 0.9).mean() >= 0.8
    assert shifted.min() > 0.9
    for p in processed:  # centred by mass as MNIST: within half a pixel of (14, 14)
        assert np.abs(np.subtract(centre_of_mass(p), MNIST_CENTRE)).max() <= 0.5 + 1e-6
    weights = ridge_classifier(x_train, y_train)
    original, ours = predict(weights, digits), predict(weights, processed)
    assert (original == labels).mean() >= 0.8  # the model is a real classifier
    assert (ours == original).mean() >= 0.9


def test_centre_of_mass_is_moved_to_the_middle():
    page = np.zeros((200, 200), dtype=np.float32)
    page[10:50, 150:160] = 1.0  # a bar in the top right corner
    page[10:14, 160:175] = 1.0  # with a flag to the right: the mass is left of the box's middle
    result = mnist_digit(page)
    rows, cols = centre_of_mass(result.pixels)
    assert abs(rows - 14) <= 0.5 and abs(cols - 14) <= 0.5
    boxed = mnist_digit(page, centre="box").pixels
    filled_cols = np.flatnonzero(boxed.max(axis=0) > 0)
    assert (filled_cols[0], filled_cols[-1]) == (8, 19)  # the 12×20 box (25×40 halved) in the middle of 28
    assert abs(centre_of_mass(boxed)[1] - 14) > 1  # and then the mass is off the middle
    assert centre_of_mass(np.zeros((4, 6))) == (1.5, 2.5)


def test_a_top_heavy_digit_keeps_all_its_ink_in_the_field():
    page = np.zeros((300, 300), dtype=np.float32)
    page[50:90, 50:250] = 1.0  # a thick, wide bar
    page[90:250, 145:150] = 1.0  # and a thin stem: the mass is near the top of the box
    pixels = mnist_digit(page).pixels
    assert pixels.sum() == pytest.approx(resize(page[50:250, 50:250], 20, 20).sum(), rel=1e-4)  # nothing cut off
    inked_rows = np.flatnonzero(pixels.max(axis=1) > 0)
    assert (inked_rows[0], inked_rows[-1]) == (8, 27)  # moved down only as far as the field allows
    assert centre_of_mass(pixels)[0] < 13  # so its mass stays above the middle


@pytest.mark.parametrize("height, width, expected", [(100, 50, (20, 10)), (30, 120, (5, 20)), (7, 7, (20, 20)),
                                                      (1, 1, (20, 20))])
def test_the_longer_side_becomes_20_pixels_and_the_aspect_ratio_stays(height, width, expected):
    page = np.zeros((300, 300), dtype=np.float32)
    page[40:40 + height, 70:70 + width] = 1.0
    pixels = mnist_digit(page).pixels
    inked_rows = np.flatnonzero(pixels.max(axis=1) > 0)
    inked_cols = np.flatnonzero(pixels.max(axis=0) > 0)
    assert (inked_rows.size, inked_cols.size) == expected
    assert pixels.max() == pytest.approx(1.0)  # a solid block stays solid (area averaging of ones)


def test_empty_and_flat_pages_say_nothing_drawn():
    for page in (np.zeros((280, 280)), np.ones((50, 80)), np.full((10, 10), 0.5), np.full((9, 9), 255.0),
                 np.full((20, 20), np.nan)):
        result = mnist_digit(page)
        assert result.empty and result.pixels is None and result.message == "nothing drawn"
    faint = np.zeros((100, 100), np.float32)
    faint[50, 50] = 0.01  # below the contrast a stroke has
    assert mnist_digit(faint).empty
    assert not DigitInput(np.zeros((28, 28), np.float32)).empty


def test_photo_of_dark_ink_on_grey_paper():
    rng = np.random.default_rng(0)
    page = (0.75 + 0.03 * rng.standard_normal((240, 320))).astype(np.float32)  # grey paper, a little noise
    page[60:180, 150:165] = 0.15  # a dark "1"
    result = mnist_digit(page * 255.0)  # 0..255 values as a photo has them
    assert result.inverted
    inked_rows = np.flatnonzero(result.pixels.max(axis=1) > 0)
    assert inked_rows.size == 20 and result.pixels.max() > 0.9
    assert result.pixels.sum() < 20 * 4  # the noise of the paper is not ink
    told = mnist_digit(page, invert=False)  # told, not guessed: light ink on that paper is only grain
    assert not told.inverted and told.empty


def test_resampling_matrices_keep_the_mean():
    for n_in, n_out in ((140, 20), (7, 20), (20, 20), (5, 3), (1, 4)):
        matrix = resample_matrix(n_in, n_out)
        assert matrix.shape == (n_out, n_in)
        np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-5)
    ramp = np.tile(np.arange(100, dtype=np.float32), (10, 1))
    np.testing.assert_allclose(resize(ramp, 10, 10)[0], np.arange(10) * 10 + 4.5, atol=1e-3)  # block means


def test_grey_and_colour_conversions():
    rgb = np.zeros((64, 48, 3), np.uint8)
    rgb[..., 0] = 255
    grey = to_grey(rgb)
    assert grey.shape == (64, 48) and grey.max() == pytest.approx(0.299, abs=1e-3)
    tensor = colour_input(rgb, 32)
    assert tensor.shape == (3, 32, 32) and tensor.dtype == np.float32
    np.testing.assert_allclose(tensor[0], 1.0, atol=1e-5)
    np.testing.assert_allclose(tensor[1:], 0.0, atol=1e-6)
    assert colour_input(np.zeros((5, 5)), 32).shape == (3, 32, 32)
    for bad in (np.zeros((3, 4, 5, 6)), np.zeros((0, 4)), np.zeros(7)):
        with pytest.raises(ValueError):
            mnist_digit(bad)
    with pytest.raises(ValueError):
        mnist_digit(np.ones((5, 5)), centre="middle")
