"""Data sets by name: search folders, splits, sizes, caching; real MNIST / Fashion-MNIST if present."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from nnviz.core.data import loading as datasets
from nnviz.core.data.loading import (
    IMAGE_DATASETS,
    dataset_search_dirs,
    dataset_status,
    find_dataset_dir,
    list_datasets,
    load_dataset,
)
from nnviz.core.errors import DatasetError
from nnviz.core.data.toy import TOY_DATASETS

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_fake_set(
    folder: Path, *, n_train: int = 20, n_test: int = 5, gz: bool = True, marker: int = 0
) -> Path:
    """Tiny 6x6 IDX set; pixel [0,0] of image i is (i + marker) % 256 so tests can tell sets apart."""
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = np.zeros((n, 6, 6), dtype=np.uint8)
        images[:, 0, 0] = (np.arange(n) + marker) % 256
        labels = (np.arange(n) % 10).astype(np.uint8)
        for kind, array, ndim in (("images", images, 3), ("labels", labels, 1)):
            name = f"{prefix}-{kind}-idx{ndim}-ubyte"
            payload = idx_bytes(array)
            if gz:
                (folder / f"{name}.gz").write_bytes(gzip.compress(payload))
            else:
                (folder / name).write_bytes(payload)
    return folder


pytestmark = pytest.mark.usefixtures("isolated_data_env")  # see conftest.py


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNVIZ_DATA_DIR", str(tmp_path / "env"))
    dirs = dataset_search_dirs("kmnist", tmp_path / "arg")
    assert dirs == [
        tmp_path / "arg" / "kmnist",
        tmp_path / "env" / "kmnist",
        tmp_path / "cache" / "kmnist",
        tmp_path / "system" / "kmnist",
    ]


def test_default_cache_is_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("NNVIZ_CACHE_DIR")
    dirs = dataset_search_dirs("mnist")
    assert dirs[0] == platformdirs.user_cache_path("nnviz") / "datasets" / "mnist"
    assert len(dirs) == 2


def test_first_complete_folder_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNVIZ_DATA_DIR", str(tmp_path / "env"))
    write_fake_set(tmp_path / "cache" / "kmnist", marker=100)
    assert find_dataset_dir("kmnist") == tmp_path / "cache" / "kmnist"
    write_fake_set(tmp_path / "env" / "kmnist", marker=50, gz=False)
    assert find_dataset_dir("kmnist") == tmp_path / "env" / "kmnist"
    write_fake_set(tmp_path / "arg" / "kmnist", marker=10)
    assert find_dataset_dir("kmnist", tmp_path / "arg") == tmp_path / "arg" / "kmnist"
    dataset = load_dataset("kmnist", data_dir=tmp_path / "arg", val_size=5)
    assert dataset.x_train[0, 0, 0, 0] == pytest.approx(10 / 255)


def test_incomplete_folder_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNVIZ_DATA_DIR", str(tmp_path / "env"))
    write_fake_set(tmp_path / "env" / "kmnist")
    (tmp_path / "env" / "kmnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    write_fake_set(tmp_path / "system" / "kmnist")
    assert find_dataset_dir("kmnist") == tmp_path / "system" / "kmnist"


def test_dotted_raw_names_accepted(tmp_path: Path) -> None:
    folder = write_fake_set(tmp_path / "data" / "mnist", gz=False)
    for path in folder.iterdir():
        path.rename(path.with_name(path.name.replace("-idx", ".idx")))
    assert find_dataset_dir("mnist", tmp_path / "data") == folder


def test_missing_set_lists_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNVIZ_DATA_DIR", str(tmp_path / "env"))
    (tmp_path / "env" / "fashion-mnist").mkdir(parents=True)
    with pytest.raises(DatasetError) as info:
        find_dataset_dir("fashion-mnist", tmp_path / "arg")
    message = str(info.value)
    for folder in dataset_search_dirs("fashion-mnist", tmp_path / "arg"):
        assert str(folder) in message
    assert "train-images-idx3-ubyte.gz" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert "NNVIZ_DATA_DIR" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert dataset_status("fashion-mnist", tmp_path / "arg") is None


def test_unknown_name_lists_known_names() -> None:
    for call in (lambda: load_dataset("cifar-100"), lambda: find_dataset_dir("cifar-100"),
                 lambda: dataset_status("cifar-100")):
        with pytest.raises(DatasetError) as info:
            call()
        message = str(info.value)
        assert "cifar-100" in message
        assert all(name in message for name in list_datasets() if not name.startswith("mnist-c/"))
        # MNIST-C's five sets appear once, in the one spelling used everywhere
        assert "mnist-c/<corruption> (shot_noise|motion_blur|rotate|fog|zigzag)" in message


def test_list_and_status(tmp_path: Path) -> None:
    assert list_datasets() == [*IMAGE_DATASETS, *TOY_DATASETS]
    assert list_datasets()[:3] == ["mnist", "fashion-mnist", "kmnist"]
    folder = write_fake_set(tmp_path / "cache" / "kmnist")
    assert dataset_status("kmnist") == str(folder)
    assert dataset_status("moons") == "generated"


def test_registry() -> None:
    assert IMAGE_DATASETS["kmnist"].class_names == (
        "o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")
    assert IMAGE_DATASETS["fashion-mnist"].class_names[0] == "T-shirt/top"
    assert IMAGE_DATASETS["fashion-mnist"].class_names[-1] == "Ankle boot"
    for info in IMAGE_DATASETS.values():
        assert len(info.class_names) == 10
        if info.format == "cifar10-bin":  # six batch files instead of four
            assert sorted(info.files) == [*(f"data_batch_{i}.bin" for i in range(1, 6)), "test_batch.bin"]
        else:
            assert set(info.files) == {"train_images", "train_labels", "test_images", "test_labels"}
        assert info.licence and info.homepage


def test_nielsen_split_on_fake_set(tmp_path: Path) -> None:
    write_fake_set(tmp_path / "cache" / "kmnist", n_train=20, n_test=5)
    dataset = load_dataset("kmnist", val_size=4)
    assert (dataset.size("train"), dataset.size("val"), dataset.size("test")) == (16, 4, 5)
    assert dataset.kind == "image" and dataset.input_shape == (1, 6, 6)
    assert dataset.class_names[1] == "ki"
    # First examples train, last ones validate.
    np.testing.assert_allclose(dataset.x_train[:, 0, 0, 0] * 255, np.arange(16), atol=1e-4)
    np.testing.assert_allclose(dataset.x_val[:, 0, 0, 0] * 255, np.arange(16, 20), atol=1e-4)
    np.testing.assert_array_equal(dataset.y_val, np.arange(16, 20) % 10)


def test_sizes(tmp_path: Path) -> None:
    write_fake_set(tmp_path / "cache" / "kmnist", n_train=20, n_test=5)
    all_train = load_dataset("kmnist", val_size=0)
    assert all_train.size("train") == 20 and all_train.size("val") == 0
    assert all_train.x_val.shape == (0, 1, 6, 6)
    small = load_dataset("kmnist", val_size=5, train_size=3, test_size=2)
    assert (small.size("train"), small.size("val"), small.size("test")) == (3, 5, 2)
    np.testing.assert_array_equal(small.y_train, [0, 1, 2])


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"val_size": 20}, "leave at least one for training"),
        ({"val_size": 21}, "val_size is 21"),
        ({"val_size": -1}, "val_size must be at least 0"),
        ({"val_size": 5, "train_size": 16}, "only 15 examples"),
        ({"val_size": 5, "train_size": 0}, "train_size must be at least 1"),
        ({"val_size": 5, "test_size": 6}, "test_size is 6"),
        ({"val_size": 5, "test_size": 2.5}, "whole number"),
        ({"val_size": 5, "noise": 0.1}, "toy sets only"),
    ],
)
def test_bad_sizes(tmp_path: Path, kwargs: dict, text: str) -> None:
    write_fake_set(tmp_path / "cache" / "kmnist", n_train=20, n_test=5)
    with pytest.raises(DatasetError, match=text):
        load_dataset("kmnist", **kwargs)


def test_default_val_size_too_big_for_tiny_set(tmp_path: Path) -> None:
    write_fake_set(tmp_path / "cache" / "kmnist", n_train=20, n_test=5)
    with pytest.raises(DatasetError, match="val_size is 10000"):
        load_dataset("kmnist")


def test_labels_out_of_range(tmp_path: Path) -> None:
    folder = write_fake_set(tmp_path / "cache" / "kmnist", n_train=20, n_test=5)
    labels = np.full(5, 12, dtype=np.uint8)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte.gz: labels range"):
        load_dataset("kmnist", val_size=5)


def test_cache_is_reused_and_protected(tmp_path: Path) -> None:
    folder = write_fake_set(tmp_path / "cache" / "kmnist", n_train=20, n_test=5)
    first = load_dataset("kmnist", val_size=5)
    second = load_dataset("kmnist", val_size=5)
    assert np.shares_memory(first.x_train, second.x_train)  # no second read
    with pytest.raises(ValueError):
        first.x_train[0] = 1.0
    assert second.x_train[0, 0, 0, 0] == 0.0
    # A changed file (new size and mtime) is read again.
    write_fake_set(folder, n_train=30, n_test=5)
    assert load_dataset("kmnist", val_size=5).size("train") == 25


def test_toy_names_delegate() -> None:
    dataset = load_dataset("moons", n_samples=100, noise=0.2, seed=3)
    assert dataset.kind == "points"
    assert sum(dataset.size(split) for split in ("train", "val", "test")) == 100
    assert load_dataset("moons", n_samples=100, train_size=10).size("train") == 10


# --- real data -------------------------------------------------------------------------------


def test_real_mnist(shared_data_dir: Path) -> None:  # $NNVIZ_TEST_DATA, ../shared/data or the user cache
    dataset = load_dataset("mnist", data_dir=shared_data_dir)
    assert dataset.x_train.shape == (50_000, 1, 28, 28)
    assert dataset.x_val.shape == (10_000, 1, 28, 28)
    assert dataset.x_test.shape == (10_000, 1, 28, 28)
    assert dataset.y_train.shape == (50_000,) and dataset.y_test.shape == (10_000,)
    for x in (dataset.x_train, dataset.x_val, dataset.x_test):
        assert x.dtype == np.float32
        assert x.min() == 0.0 and x.max() == 1.0
    for y in (dataset.y_train, dataset.y_val, dataset.y_test):
        assert y.dtype == np.int64
        assert set(np.unique(y)) == set(range(10))
    assert dataset.y_test[0] == 7
    assert dataset.y_train[0] == 5  # the famous first training digit
    assert dataset.class_names == [str(d) for d in range(10)]
    whole = load_dataset("mnist", data_dir=shared_data_dir, val_size=0)
    assert whole.size("train") == 60_000 and whole.size("val") == 0


@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="Debian's dataset-fashion-mnist not installed")
def test_real_fashion_mnist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datasets, "SYSTEM_DATASETS_DIR", FASHION_DIR.parent)
    assert find_dataset_dir("fashion-mnist") == FASHION_DIR
    dataset = load_dataset("fashion-mnist", val_size=0)
    assert dataset.n_classes == 10
    assert dataset.class_names[9] == "Ankle boot"
    assert dataset.size("train") == 60_000 and dataset.size("test") == 10_000
    assert dataset.x_train.dtype == np.float32 and dataset.x_train.max() <= 1.0
    assert set(np.unique(dataset.y_test)) == set(range(10))


# --- EMNIST, MNIST-C, CIFAR-10 and the download cache ------------------------------------------


def test_new_sets_in_registry(tmp_path: Path) -> None:
    names = list_datasets()
    assert names[:4] == ["mnist", "fashion-mnist", "kmnist", "emnist"]
    assert [n for n in names if n.startswith("mnist-c/")] == [f"mnist-c/{c}" for c in datasets.MNIST_C_CORRUPTIONS]
    assert "cifar10" in names
    assert IMAGE_DATASETS["emnist"].files["train_images"] == "emnist-digits-train-images-idx3-ubyte.gz"
    assert IMAGE_DATASETS["emnist"].transposed and IMAGE_DATASETS["mnist-c/fog"].format == "npy"
    assert IMAGE_DATASETS["mnist-c/fog"].download_name == "mnist-c"
    assert datasets.dataset_cache_dir("mnist-c/fog") == tmp_path / "cache" / "mnist-c" / "fog"
    assert dataset_search_dirs("mnist-c/fog")[0] == tmp_path / "cache" / "mnist-c" / "fog"


def test_missing_set_suggests_fetch(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"run `nnviz data fetch mnist-c`.*train_images.npy"):
        find_dataset_dir("mnist-c/rotate")
    with pytest.raises(DatasetError, match=r"run `nnviz data fetch emnist`.*emnist-digits-test-labels"):
        load_dataset("emnist")


def test_emnist_is_turned_upright(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "emnist"
    folder.mkdir(parents=True)
    upright = np.zeros((4, 6, 6), dtype=np.uint8)
    upright[:, 1, :] = 255  # a horizontal bar in row 1
    upright[:, 4, 0] = np.arange(4)  # and a marker at row 4, column 0
    for split, name in (("train", "train"), ("test", "test")):
        for kind, array in (("images-idx3", upright.transpose(0, 2, 1)), ("labels-idx1", np.arange(4))):
            payload = idx_bytes(np.ascontiguousarray(array))
            (folder / f"emnist-digits-{name}-{kind}-ubyte.gz").write_bytes(gzip.compress(payload))
    dataset = load_dataset("emnist", val_size=1)
    np.testing.assert_allclose(dataset.x_train[:, 0] * 255, upright[:3], atol=1e-3)
    np.testing.assert_allclose(dataset.x_val[0, 0] * 255, upright[3], atol=1e-3)
    assert dataset.x_train.flags.c_contiguous and dataset.x_test.shape == (4, 1, 6, 6)


def write_npy_set(folder: Path, images: np.ndarray, labels: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        np.save(folder / f"{split}_images.npy", images)
        np.save(folder / f"{split}_labels.npy", labels)


def test_mnist_c_npy(tmp_path: Path) -> None:
    images = np.zeros((5, 28, 28, 1), dtype=np.uint8)  # MNIST-C's layout: channels last
    images[:, 3, 4, 0] = 255
    write_npy_set(tmp_path / "cache" / "mnist-c" / "fog", images, np.arange(5, dtype=np.uint8))
    dataset = load_dataset("mnist-c/fog", val_size=2)
    assert dataset.x_train.shape == (3, 1, 28, 28) and dataset.x_train.dtype == np.float32
    assert dataset.x_train[0, 0, 3, 4] == 1.0 and dataset.x_train.sum() == 3.0
    np.testing.assert_array_equal(dataset.y_val, [3, 4])
    assert dataset.y_train.dtype == np.int64
    # Float pixels on a 0-255 scale are scaled too; 0-1 floats are kept.
    write_npy_set(tmp_path / "cache" / "mnist-c" / "rotate", images[..., 0].astype(np.float32), np.arange(5))
    assert load_dataset("mnist-c/rotate", val_size=0).x_train.max() == 1.0


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ("pickle", "not a readable image .npy file"),
        ("truncate", "not a readable image .npy file"),
        ("labels", "has 5 images but"),
        ("shape", "expected numeric images of shape"),
    ],
)
def test_mnist_c_bad_files(tmp_path: Path, change: str, text: str) -> None:
    folder = tmp_path / "cache" / "mnist-c" / "zigzag"
    write_npy_set(folder, np.zeros((5, 28, 28), dtype=np.uint8), np.arange(5, dtype=np.uint8))
    path = folder / "train_images.npy"
    if change == "pickle":  # an object array would need pickle: refused, never executed
        with open(path, "wb") as f:  # an object-array header; the body is never read, nothing pickled
            np.lib.format.write_array_header_1_0(f, {"descr": "|O", "fortran_order": False, "shape": (5,)})
            f.write(b"\x00" * 40)
    elif change == "truncate":
        path.write_bytes(path.read_bytes()[:500])
    elif change == "labels":
        np.save(folder / "train_labels.npy", np.arange(4))
    else:
        np.save(path, np.zeros((5, 784), dtype=np.uint8))
    with pytest.raises(DatasetError, match=text) as info:
        load_dataset("mnist-c/zigzag", val_size=1)
    assert str(folder) in str(info.value)
