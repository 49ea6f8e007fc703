"""Reader for CIFAR-10's binary version (Krizhevsky, 2009).

The archive ``cifar-10-binary.tar.gz`` unpacks to ``cifar-10-batches-bin/`` holding
``data_batch_1.bin`` ... ``data_batch_5.bin`` (10,000 training images each), ``test_batch.bin``
(10,000 test images) and ``batches.meta.txt`` (the ten class names, one a line).

Each batch file is a run of 3,073-byte records: one label byte (0-9), then 3,072 pixel bytes:
1,024 red, 1,024 green, 1,024 blue, each a 32x32 image stored row by row. So a record's pixels
reshape directly to ``(3, 32, 32)`` (channels first, as nnviz stores images).

The files are found either directly in the data set folder or in its ``cifar-10-batches-bin``
subfolder (what ``tar xzf`` leaves). Every problem raises :class:`DatasetError` naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np

from nnviz.core.errors import DatasetError
from nnviz.core.limits import MAX_DATA_BYTES, format_bytes

CIFAR10_CLASS_NAMES: tuple[str, ...] = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)
CIFAR10_TRAIN_FILES: tuple[str, ...] = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
CIFAR10_TEST_FILE = "test_batch.bin"
CIFAR10_META_FILE = "batches.meta.txt"
CIFAR10_FILES: tuple[str, ...] = (*CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE)  # required
CIFAR10_SUBFOLDER = "cifar-10-batches-bin"  # the folder inside the official tar.gz

IMAGE_SHAPE = (3, 32, 32)
PIXELS_PER_IMAGE = 3 * 32 * 32  # 3,072
RECORD_BYTES = 1 + PIXELS_PER_IMAGE  # 3,073
RECORDS_PER_BATCH = 10_000  # in the official files; smaller batches are accepted (tests)
BATCH_BYTES = RECORD_BYTES * RECORDS_PER_BATCH  # 30,730,000
_PIXEL_SCALE = np.float32(1.0 / 255.0)


def cifar_batch_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """Encode uint8 ``(N, 3, 32, 32)`` images and ``(N,)`` labels as one binary batch file."""
    images = np.asarray(images, dtype=np.uint8)
    labels = np.asarray(labels, dtype=np.uint8)
    if images.shape[1:] != IMAGE_SHAPE or labels.shape != images.shape[:1]:
        raise ValueError(f"expected (N, 3, 32, 32) images and (N,) labels, got {images.shape}, {labels.shape}")
    records = np.empty((images.shape[0], RECORD_BYTES), dtype=np.uint8)
    records[:, 0] = labels
    records[:, 1:] = images.reshape(images.shape[0], PIXELS_PER_IMAGE)
    return records.tobytes()


def _read_batch_bytes(path: Path) -> bytes:
    """The file's bytes, once its type and length are known to be those of a batch file."""
    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise DatasetError(f"{path}: not a regular file (a device or pipe?), expected a CIFAR-10 batch file")
        if info.st_size > MAX_DATA_BYTES:
            raise DatasetError(
                f"{path}: {format_bytes(info.st_size)} is far more than a CIFAR-10 batch file holds "
                f"({format_bytes(BATCH_BYTES)}); the file is damaged or not a batch file"
            )
        return handle.read(info.st_size)


def read_cifar_batch(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read one batch file: uint8 images ``(N, 3, 32, 32)`` and int64 labels ``(N,)``."""
    path = Path(path)
    try:
        data = _read_batch_bytes(path)
    except FileNotFoundError:
        raise DatasetError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: is a folder, expected a CIFAR-10 batch file") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if data[:2] == b"\x1f\x8b":
        raise DatasetError(
            f"{path}: is gzip-compressed; this is the downloaded archive, not a batch file. "
            "Unpack cifar-10-binary.tar.gz (tar xzf) or run `nnviz data fetch cifar10`"
        )
    if not data:
        raise DatasetError(f"{path}: empty file (0 bytes); download or copy it again")
    n_records, leftover = divmod(len(data), RECORD_BYTES)
    if leftover:
        hint = ""
        if len(data) % (RECORD_BYTES + 1) == 0:
            hint = " It looks like a CIFAR-100 file (2 label bytes per record), not CIFAR-10."
        raise DatasetError(
            f"{path}: truncated or malformed: {len(data):,} bytes is not a whole number of "
            f"{RECORD_BYTES:,}-byte records (1 label byte + 3,072 pixel bytes); the last record "
            f"has only {leftover:,} bytes.{hint} Download or copy the file again"
        )
    records = np.frombuffer(data, dtype=np.uint8).reshape(n_records, RECORD_BYTES)
    labels = records[:, 0]
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise DatasetError(
            f"{path}: record {int(bad[0])} has label {int(labels[bad[0]])}, but CIFAR-10 labels "
            "are 0 to 9; the file is damaged or not a CIFAR-10 binary batch"
        )
    images = records[:, 1:].reshape(n_records, *IMAGE_SHAPE)
    return images, labels.astype(np.int64)


def read_cifar_class_names(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """The ten class names in ``batches.meta.txt`` (one a line; blank lines ignored)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    names = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len(names) != len(CIFAR10_CLASS_NAMES):
        raise DatasetError(
            f"{path}: expected {len(CIFAR10_CLASS_NAMES)} class names, one a line, "
            f"found {len(names)}; the file is damaged or belongs to another data set"
        )
    return names


def find_cifar_files(folder: str | os.PathLike[str]) -> tuple[dict[str, Path], list[str]]:
    """Return (file name -> path, missing file names) for the six batch files in ``folder``.

    The files may sit in ``folder`` itself or in ``folder/cifar-10-batches-bin``; the first of
    the two holding all six wins. ``batches.meta.txt`` is optional and included when present.
    """
    folder = Path(folder)
    best: tuple[dict[str, Path], list[str]] | None = None
    for candidate in (folder, folder / CIFAR10_SUBFOLDER):
        found = {name: candidate / name for name in CIFAR10_FILES if (candidate / name).is_file()}
        missing = [name for name in CIFAR10_FILES if name not in found]
        if (candidate / CIFAR10_META_FILE).is_file():
            found[CIFAR10_META_FILE] = candidate / CIFAR10_META_FILE
        if not missing:
            return found, []
        if best is None or len(missing) < len(best[1]):
            best = (found, missing)
    assert best is not None
    return best


def _to_float(images: np.ndarray) -> np.ndarray:
    # One pass: uint8 -> float32 and scale together.
    return np.multiply(images, _PIXEL_SCALE, dtype=np.float32)


def load_cifar10_arrays(
    paths: dict[str, Path],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Read all batches: ``(x_train, y_train, x_test, y_test, class_names)``.

    Images are float32 ``(N, 3, 32, 32)`` in [0, 1], labels int64. Training examples keep the
    file order (batch 1 first), so the last training examples come from ``data_batch_5``.
    """
    missing = [name for name in CIFAR10_FILES if name not in paths]
    if missing:
        raise DatasetError(f"CIFAR-10 files missing: {', '.join(missing)}")
    train = [read_cifar_batch(paths[name]) for name in CIFAR10_TRAIN_FILES]
    n_train = sum(labels.shape[0] for _, labels in train)
    x_train = np.empty((n_train, *IMAGE_SHAPE), dtype=np.float32)
    y_train = np.empty(n_train, dtype=np.int64)
    start = 0
    for images, labels in train:
        stop = start + labels.shape[0]
        np.multiply(images, _PIXEL_SCALE, out=x_train[start:stop], dtype=np.float32)
        y_train[start:stop] = labels
        start = stop
    test_images, y_test = read_cifar_batch(paths[CIFAR10_TEST_FILE])
    class_names = CIFAR10_CLASS_NAMES
    if CIFAR10_META_FILE in paths:
        class_names = read_cifar_class_names(paths[CIFAR10_META_FILE])
    return x_train, y_train, _to_float(test_images), y_test, class_names
