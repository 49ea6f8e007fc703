"""CIFAR-10's binary reader on tiny files the tests write, its registry entry, and the `cnn-cifar` preset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnviz.core.data.cifar import (
    CIFAR10_CLASS_NAMES,
    CIFAR10_TRAIN_FILES,
    RECORD_BYTES,
    cifar_batch_bytes,
    find_cifar_files,
    read_cifar_batch,
    read_cifar_class_names,
)
from nnviz.core.data.loading import IMAGE_DATASETS, find_dataset_dir, load_dataset
from nnviz.core.errors import DatasetError
from nnviz.core.presets import get_preset

N_PER_BATCH = 10


def record(label: int, red: int, green: int, blue: int) -> bytes:
    """One 3,073-byte record written by hand (not by the code under test): label, R, G, B planes."""
    return bytes([label]) + bytes([red]) * 1024 + bytes([green]) * 1024 + bytes([blue]) * 1024


def write_cifar(folder: Path, *, n: int = N_PER_BATCH, meta: bool = True) -> Path:
    """Six batches of ``n`` records; image i of batch b has R = 10 b + i, G = 200, B = 255 - i."""
    folder.mkdir(parents=True, exist_ok=True)
    for b, name in enumerate((*CIFAR10_TRAIN_FILES, "test_batch.bin")):
        data = b"".join(record((b + i) % 10, 10 * b + i, 200, 255 - i) for i in range(n))
        (folder / name).write_bytes(data)
    if meta:
        (folder / "batches.meta.txt").write_text("\n".join(CIFAR10_CLASS_NAMES) + "\n\n")
    return folder


pytestmark = pytest.mark.usefixtures("isolated_data_env")  # see conftest.py


def test_record_layout(tmp_path: Path) -> None:
    path = tmp_path / "batch.bin"
    pixels = bytes(range(256)) * 12  # 3,072 distinct-ish bytes: R plane, G plane, B plane, row-major
    path.write_bytes(bytes([7]) + pixels + record(3, 1, 2, 3))
    images, labels = read_cifar_batch(path)
    assert images.shape == (2, 3, 32, 32) and images.dtype == np.uint8
    assert labels.tolist() == [7, 3] and labels.dtype == np.int64
    flat = np.frombuffer(pixels, dtype=np.uint8)
    np.testing.assert_array_equal(images[0, 0], flat[:1024].reshape(32, 32))  # red, row by row
    np.testing.assert_array_equal(images[0, 2], flat[2048:].reshape(32, 32))  # blue
    assert images[0, 0, 1, 0] == flat[32]  # second row starts at byte 32 of the plane
    assert images[1, :, 5, 5].tolist() == [1, 2, 3]
    # The writer the download tests use produces exactly these bytes.
    assert cifar_batch_bytes(images, labels) == path.read_bytes()


def test_load_dataset_splits_and_scales(tmp_path: Path) -> None:
    write_cifar(tmp_path / "cache" / "cifar10")
    dataset = load_dataset("cifar10", val_size=10)  # the last 10 training records validate
    assert dataset.input_shape == (3, 32, 32) and dataset.kind == "image"
    assert (dataset.size("train"), dataset.size("val"), dataset.size("test")) == (40, 10, 10)
    assert dataset.class_names == list(CIFAR10_CLASS_NAMES) and dataset.n_classes == 10
    for x in (dataset.x_train, dataset.x_val, dataset.x_test):
        assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    # Training order is batch 1 first; validation is batch 5 (b = 4).
    np.testing.assert_allclose(dataset.x_train[:, 0, 0, 0] * 255, [10 * b + i for b in range(4) for i in range(10)],
                               atol=1e-3)
    np.testing.assert_allclose(dataset.x_val[:, 0, 31, 31] * 255, 40 + np.arange(10), atol=1e-3)
    np.testing.assert_allclose(dataset.x_test[:, 1] * 255, 200, atol=1e-3)
    np.testing.assert_allclose(dataset.x_test[:, 2, 0, 0] * 255, 255 - np.arange(10), atol=1e-3)
    np.testing.assert_array_equal(dataset.y_test, (5 + np.arange(10)) % 10)
    np.testing.assert_array_equal(dataset.y_val, (4 + np.arange(10)) % 10)
    assert load_dataset("cifar10", val_size=0, train_size=3, test_size=2).size("train") == 3


def test_subfolder_from_tar_and_meta_optional(tmp_path: Path) -> None:
    write_cifar(tmp_path / "data" / "cifar10" / "cifar-10-batches-bin", meta=False)
    assert find_dataset_dir("cifar10", tmp_path / "data") == tmp_path / "data" / "cifar10"
    found, missing = find_cifar_files(tmp_path / "data" / "cifar10")
    assert missing == [] and "batches.meta.txt" not in found
    assert load_dataset("cifar10", data_dir=tmp_path / "data", val_size=5).class_names[0] == "airplane"


def test_missing_files_are_named(tmp_path: Path) -> None:
    folder = write_cifar(tmp_path / "cache" / "cifar10")
    (folder / "data_batch_4.bin").unlink()
    with pytest.raises(DatasetError) as info:
        load_dataset("cifar10", val_size=5)
    message = str(info.value)
    assert "missing data_batch_4.bin" in message and "nnviz data fetch cifar10" in message


def test_truncated_file_names_the_file(tmp_path: Path) -> None:
    folder = write_cifar(tmp_path / "cache" / "cifar10")
    path = folder / "data_batch_2.bin"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DatasetError) as info:
        load_dataset("cifar10", val_size=5)
    message = str(info.value)
    assert message.startswith(f"{path}: truncated or malformed: 30,630 bytes")
    assert f"only {RECORD_BYTES - 100:,} bytes" in message


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (b"", "empty file"),
        (b"\x1f\x8b" + bytes(3071), "gzip-compressed"),
        (bytes(3074 * 2), "CIFAR-100 file"),
        (bytes([12]) + bytes(3072), "record 0 has label 12"),
    ],
)
def test_malformed_batches(tmp_path: Path, content: bytes, text: str) -> None:
    path = tmp_path / "test_batch.bin"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=text) as info:
        read_cifar_batch(path)
    assert str(path) in str(info.value)
    with pytest.raises(DatasetError, match="file not found"):
        read_cifar_batch(tmp_path / "nothing.bin")


def test_class_names_file(tmp_path: Path) -> None:
    path = tmp_path / "batches.meta.txt"
    path.write_text("\n".join(CIFAR10_CLASS_NAMES) + "\n\n")
    assert read_cifar_class_names(path) == CIFAR10_CLASS_NAMES
    path.write_text("apple\nbanana\n")
    with pytest.raises(DatasetError, match="expected 10 class names, one a line, found 2"):
        read_cifar_class_names(path)
    assert CIFAR10_CLASS_NAMES[0] == "airplane" and CIFAR10_CLASS_NAMES[-1] == "truck"
    assert IMAGE_DATASETS["cifar10"].input_shape == (3, 32, 32)


def test_cnn_cifar_preset_trains_and_shows_rgb_filters(tmp_path: Path) -> None:
    from nnviz.core.trainer import Trainer

    write_cifar(tmp_path / "cache" / "cifar10")
    config = get_preset("cnn-cifar").config()
    assert config.data.name == "cifar10" and config.data.val_size == 5000
    assert config.model.conv_filters == [32, 64] and config.model.kernel_size == 3
    config = config.with_changes(**{"data.val_size": 10, "training.batch_size": 8})
    trainer = Trainer(config)
    assert trainer.network.input_shape == (3, 32, 32)
    assert trainer.network.n_params == (3 * 9 * 32 + 32) + (32 * 9 * 64 + 64) + (64 * 8 * 8 * 10 + 10)
    result = trainer.step_batch()
    assert np.isfinite(result.loss)
    snapshot = trainer.snapshot()
    assert snapshot.filter_images.shape == (32, 3, 3, 3)  # drawn as RGB kernels
