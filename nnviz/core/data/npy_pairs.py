"""Reader for MNIST-C's format: ``{train,test}_{images,labels}.npy`` pairs, each file's header
checked before NumPy allocates what it declares, loaded with ``allow_pickle=False``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnviz.core.errors import DatasetError
from nnviz.core.limits import MAX_DATA_BYTES
from nnviz.core.npy_check import UnsafeArrayFile, check_npy_file


def _load_npy(path: Path, what: str) -> np.ndarray:
    try:
        check_npy_file(path, MAX_DATA_BYTES)  # the header's shape, before NumPy allocates it
    except UnsafeArrayFile as exc:
        raise DatasetError(f"{path}: not a readable {what} .npy file ({exc}); download or copy it again") from None
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:  # pickled objects, truncated data, bad header
        raise DatasetError(f"{path}: not a readable {what} .npy file ({exc}); download or copy it again") from None


def load_npy_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-C's ``*_images.npy`` ``(N, 28, 28[, 1])`` and ``*_labels.npy`` ``(N,)``.

    Returns float32 ``(N, 1, H, W)`` in [0, 1] and int64 labels (uint8 pixels are divided by
    255; float pixels above 1 are taken as 0-255 values).
    """
    raw = _load_npy(images_path, "image")
    if raw.ndim == 4 and raw.shape[-1] == 1:
        raw = raw[..., 0]
    if raw.ndim != 3 or raw.dtype.kind not in "uif":
        raise DatasetError(
            f"{images_path}: expected numeric images of shape (N, H, W) or (N, H, W, 1), "
            f"found {raw.dtype} of shape {raw.shape}"
        )
    scale = 1.0 if raw.dtype.kind == "f" and raw.size and float(raw.max()) <= 1.0 else 1.0 / 255.0
    images = np.multiply(raw, np.float32(scale), dtype=np.float32)[:, None]
    labels = _load_npy(labels_path, "label")
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DatasetError(
            f"{labels_path}: expected 1-D integer labels, found {labels.dtype} of shape {labels.shape}"
        )
    if labels.shape[0] != images.shape[0]:
        raise DatasetError(
            f"{images_path} has {images.shape[0]} images but {labels_path} has "
            f"{labels.shape[0]} labels; the two files do not belong together"
        )
    return images, labels.astype(np.int64)
