"""2-D toy data sets: determinism, shapes, exact XOR, separable blobs, diabetes labels."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core.errors import DatasetError
from nnviz.core.data.toy import TOY_DATASETS, TOY_DEFAULTS, load_toy_dataset, make_toy

NAMES = list(TOY_DATASETS)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_dtypes(name: str) -> None:
    x, y = make_toy(name)
    n = TOY_DEFAULTS[name][0]
    assert x.shape == (n, 2) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    assert np.isfinite(x).all()


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_points(name: str) -> None:
    x1, y1 = make_toy(name, seed=5)
    x2, y2 = make_toy(name, seed=5)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "xor"])
def test_other_seed_other_points(name: str) -> None:
    assert not np.array_equal(make_toy(name, seed=1)[0], make_toy(name, seed=2)[0])


@pytest.mark.parametrize("name", [n for n in NAMES if n != "xor"])
def test_n_samples_and_balance(name: str) -> None:
    x, y = make_toy(name, n_samples=101, noise=0.1)
    assert x.shape == (101, 2)
    assert abs(int(y.sum()) - 50) <= 10  # roughly balanced (diabetes is random)


def test_xor_exact() -> None:
    for n_samples in (None, 4, 500):
        x, y = make_toy("xor", n_samples=n_samples, seed=9)
        np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
        np.testing.assert_array_equal(y, [0, 1, 1, 0])


def test_xor_dataset_uses_the_same_four_points_everywhere() -> None:
    dataset = load_toy_dataset("xor")
    for split in ("train", "val", "test"):
        x, y = dataset.split(split)
        np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
        np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert not np.shares_memory(dataset.x_train, dataset.x_test)


def test_xor_cloud_labels_follow_nearest_corner_mostly() -> None:
    x, y = make_toy("xor-cloud", n_samples=400, noise=0.1)
    corner = (x > 0.5).astype(int)
    agree = np.mean((corner[:, 0] ^ corner[:, 1]) == y)
    assert agree > 0.95


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("noise", [0.2, 0.4, 2.0])
def test_blobs_linearly_separable_with_margin(seed: int, noise: float) -> None:
    x, y = make_toy("blobs", n_samples=300, noise=noise, seed=seed)
    # Project on the direction between the class means and look for a gap.
    mean0, mean1 = x[y == 0].mean(axis=0), x[y == 1].mean(axis=0)
    direction = (mean1 - mean0) / np.linalg.norm(mean1 - mean0)
    projection = x @ direction
    gap = projection[y == 1].min() - projection[y == 0].max()
    assert gap > 0.5


def test_moons_not_linearly_separable_by_means() -> None:
    # Guards the test above: the criterion can fail, so it does check something.
    x, y = make_toy("moons", n_samples=300, noise=0.1)
    direction = x[y == 1].mean(axis=0) - x[y == 0].mean(axis=0)
    projection = x @ direction
    assert projection[y == 1].min() < projection[y == 0].max()


def test_circles_radii() -> None:
    x, y = make_toy("circles", n_samples=400, noise=0.0)
    radius = np.linalg.norm(x, axis=1)
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-5)
    np.testing.assert_allclose(radius[y == 1], 0.5, atol=1e-5)


def test_diabetes_plausible() -> None:
    dataset = load_toy_dataset("diabetes", seed=0)
    assert dataset.feature_names == ["sugar intake (g/day)", "exercise (h/week)"]
    assert dataset.class_names == ["no diabetes", "diabetes"]
    x = np.concatenate([dataset.x_train, dataset.x_val, dataset.x_test])
    y = np.concatenate([dataset.y_train, dataset.y_val, dataset.y_test])
    assert 20 <= x[:, 0].min() and x[:, 0].max() <= 150
    assert 0 <= x[:, 1].min() and x[:, 1].max() <= 10
    # Risk rises with sugar and falls with exercise ...
    assert x[y == 1, 0].mean() > x[y == 0, 0].mean() + 10
    assert x[y == 1, 1].mean() < x[y == 0, 1].mean()
    # ... mostly, but not perfectly, along a line.
    z = (x[:, 0] - 85.0) / 25.0 - (x[:, 1] - 3.5) / 2.0
    accuracy = np.mean((z > 0) == y)
    assert 0.8 < accuracy < 1.0


def test_diabetes_without_noise_is_separable() -> None:
    x, y = make_toy("diabetes", noise=0.0)
    z = (x[:, 0] - 85.0) / 25.0 - (x[:, 1] - 3.5) / 2.0
    assert np.all((z > 0) == y)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in ("xor", "diabetes")])
def test_dataset_splits(name: str) -> None:
    dataset = load_toy_dataset(name, n_samples=200, seed=1)
    assert dataset.kind == "points"
    assert dataset.feature_names == ["x1", "x2"] and dataset.class_names == ["0", "1"]
    assert (dataset.size("train"), dataset.size("val"), dataset.size("test")) == (120, 30, 50)
    x, _ = make_toy(name, n_samples=200, seed=1)
    np.testing.assert_array_equal(np.concatenate([dataset.x_train, dataset.x_val, dataset.x_test]), x)


def test_custom_test_fraction() -> None:
    dataset = load_toy_dataset("moons", n_samples=100, test_fraction=0.5)
    assert dataset.size("test") == 50 and dataset.size("val") == 15 and dataset.size("train") == 35


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"name": "hexagons"}, "unknown toy data set 'hexagons'"),
        ({"name": "moons", "n_samples": 3}, "n_samples"),
        ({"name": "moons", "n_samples": 10.5}, "whole number"),
        ({"name": "moons", "noise": -0.1}, "noise"),
        ({"name": "moons", "noise": float("nan")}, "noise"),
    ],
)
def test_bad_arguments(kwargs: dict, text: str) -> None:
    with pytest.raises(DatasetError, match=text):
        make_toy(**kwargs)


def test_bad_fractions() -> None:
    with pytest.raises(DatasetError, match="test_fraction"):
        load_toy_dataset("moons", test_fraction=1.2)
    with pytest.raises(DatasetError, match="leave points for training"):
        load_toy_dataset("moons", test_fraction=0.5, val_fraction=0.5)
