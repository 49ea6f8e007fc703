"""IDX reader: round trips and every kind of damaged file, gzipped and raw."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from nnviz.core.errors import DatasetError
from nnviz.core.data.idx import load_idx_images, load_idx_labels, load_idx_pair, read_idx

TYPE_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an array as IDX: magic, big-endian uint32 dims, big-endian payload."""
    header = bytes([0, 0, TYPE_CODES[array.dtype], array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path: Path, payload: bytes, *, gz: bool) -> Path:
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)
    return path


def sample_images(n: int = 5, height: int = 4, width: int = 3) -> np.ndarray:
    return np.arange(n * height * width, dtype=np.int64).reshape(n, height, width).astype(np.uint8)


@pytest.fixture(params=[True, False], ids=["gz", "raw"])
def gz(request) -> bool:
    return request.param


def test_images_round_trip(tmp_path: Path, gz: bool) -> None:
    raw = sample_images()
    raw[0, 0, 0] = 255
    path = write(tmp_path / "train-images-idx3-ubyte", idx_bytes(raw), gz=gz)
    images = load_idx_images(path)
    assert images.shape == (5, 1, 4, 3)
    assert images.dtype == np.float32
    np.testing.assert_allclose(images[:, 0], raw / 255.0, rtol=1e-6)
    assert images[0, 0, 0, 0] == 1.0
    assert images.min() >= 0.0 and images.max() <= 1.0


def test_labels_round_trip(tmp_path: Path, gz: bool) -> None:
    labels = np.array([7, 2, 1, 0, 4], dtype=np.uint8)
    path = write(tmp_path / "labels-idx1-ubyte", idx_bytes(labels), gz=gz)
    loaded = load_idx_labels(path)
    assert loaded.dtype == np.int64
    np.testing.assert_array_equal(loaded, [7, 2, 1, 0, 4])


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_read_idx_other_element_types(tmp_path: Path, dtype) -> None:
    array = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype)
    path = write(tmp_path / "values.idx", idx_bytes(array), gz=False)
    loaded = read_idx(path)
    assert loaded.dtype == np.dtype(dtype)  # native byte order, same kind
    np.testing.assert_array_equal(loaded, array)


def test_pair_round_trip(tmp_path: Path) -> None:
    images_path = write(tmp_path / "img", idx_bytes(sample_images(6)), gz=True)
    labels_path = write(tmp_path / "lab", idx_bytes(np.arange(6, dtype=np.uint8)), gz=False)
    images, labels = load_idx_pair(images_path, labels_path)
    assert images.shape == (6, 1, 4, 3) and labels.shape == (6,)


def test_truncated_payload(tmp_path: Path, gz: bool) -> None:
    payload = idx_bytes(sample_images(5))[:-7]
    path = write(tmp_path / "train-images-idx3-ubyte", payload, gz=gz)
    with pytest.raises(DatasetError) as info:
        load_idx_images(path)
    message = str(info.value)
    assert str(path) in message
    assert "truncated: expected 60 pixel bytes, found 53" in message


def test_truncated_header(tmp_path: Path, gz: bool) -> None:
    path = write(tmp_path / "short", idx_bytes(sample_images())[:10], gz=gz)
    with pytest.raises(DatasetError, match="truncated header") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "empty", b"", gz=False)
    with pytest.raises(DatasetError, match="truncated") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_trailing_bytes(tmp_path: Path, gz: bool) -> None:
    payload = idx_bytes(np.array([1, 2, 3], dtype=np.uint8)) + b"\x00\x00"
    path = write(tmp_path / "labels", payload, gz=gz)
    with pytest.raises(DatasetError) as info:
        load_idx_labels(path)
    message = str(info.value)
    assert str(path) in message
    assert "trailing bytes" in message and "2 extra" in message


def test_wrong_magic(tmp_path: Path, gz: bool) -> None:
    path = write(tmp_path / "not-idx", bytes.fromhex("12345678") + b"\x00" * 20, gz=gz)
    with pytest.raises(DatasetError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert "wrong magic number 0x12345678 (expected an IDX file: 0x0000080N)" in message


def test_unknown_element_type(tmp_path: Path) -> None:
    path = write(tmp_path / "odd", bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5]), gz=False)
    with pytest.raises(DatasetError, match="unknown IDX element type 0x07") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_labels_given_as_images(tmp_path: Path) -> None:
    path = write(tmp_path / "labels", idx_bytes(np.arange(4, dtype=np.uint8)), gz=True)
    with pytest.raises(DatasetError, match="expected a 3-D uint8 IDX image file") as info:
        load_idx_images(path)
    assert str(path) in str(info.value)


def test_images_given_as_labels(tmp_path: Path) -> None:
    path = write(tmp_path / "images", idx_bytes(sample_images()), gz=True)
    with pytest.raises(DatasetError, match="expected a 1-D integer IDX label file") as info:
        load_idx_labels(path)
    assert str(path) in str(info.value)


def test_count_mismatch(tmp_path: Path) -> None:
    images_path = write(tmp_path / "train-images-idx3-ubyte", idx_bytes(sample_images(6)), gz=True)
    labels_path = write(
        tmp_path / "train-labels-idx1-ubyte", idx_bytes(np.zeros(5, dtype=np.uint8)), gz=True
    )
    with pytest.raises(DatasetError) as info:
        load_idx_pair(images_path, labels_path)
    message = str(info.value)
    assert f"{images_path} has 6 images but {labels_path} has 5 labels" in message


def test_truncated_gzip(tmp_path: Path) -> None:
    compressed = gzip.compress(idx_bytes(sample_images(50)))
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(DatasetError, match="gzip") as info:
        load_idx_images(path)
    assert str(path) in str(info.value)


def test_corrupt_gzip(tmp_path: Path) -> None:
    compressed = bytearray(gzip.compress(idx_bytes(sample_images(50))))
    compressed[-6] ^= 0xFF  # damage the CRC trailer: decompression itself succeeds
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(DatasetError, match="corrupt gzip") as info:
        load_idx_images(path)
    assert str(path) in str(info.value)


def test_garbage_after_gzip_magic(tmp_path: Path) -> None:
    path = tmp_path / "bad.gz"
    path.write_bytes(b"\x1f\x8b" + b"not really deflate data at all")
    with pytest.raises(DatasetError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.gz"
    with pytest.raises(DatasetError, match="file not found") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_gz_name_holding_raw_bytes_still_loads(tmp_path: Path) -> None:
    # Browsers sometimes unpack a download but keep the .gz name.
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(idx_bytes(np.array([3, 1], dtype=np.uint8)))
    np.testing.assert_array_equal(load_idx_labels(path), [3, 1])
