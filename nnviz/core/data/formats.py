"""The data readers, one per file format, registered by the format's name (``DatasetInfo.format``
in :mod:`nnviz.core.data.catalog`). A new format is a reader module in ``core/data/`` and one
entry in ``READERS``; :mod:`nnviz.core.data.loading` finds, reads and splits through this table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnviz.core.data.catalog import FILE_KEYS, DatasetInfo
from nnviz.core.data.cifar import find_cifar_files, load_cifar10_arrays
from nnviz.core.data.idx import load_idx_pair
from nnviz.core.data.npy_pairs import load_npy_pair
from nnviz.core.errors import DatasetError

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # x_train, y_train, x_test, y_test


@dataclass(frozen=True)
class Reader:
    name: str  # the format's name, as data sets name it
    find: Callable[[Path, DatasetInfo], tuple[dict[str, Path], list[str]]]  # (key -> path, missing names)
    read: Callable[[dict[str, Path]], Arrays]  # the found paths -> float32 images, int64 labels
    what: str  # "the four IDX files": for the message when they are not found
    note: str = ""  # appended to the file list in that message
    checks_labels: bool = False  # the reader refuses labels out of range itself


def _name_variants(file_name: str) -> list[str]:
    """Accepted spellings of one file: gzipped, raw, and raw with LeCun's dotted member name."""
    raw = file_name[:-3] if file_name.endswith(".gz") else file_name
    dotted = raw.replace("-idx", ".idx")  # gunzip of LeCun's files gives train-images.idx3-ubyte
    return list(dict.fromkeys([file_name, raw, dotted]))


def find_standard_files(folder: Path, info: DatasetInfo) -> tuple[dict[str, Path], list[str]]:
    """The four files ``info.files`` names, under any accepted spelling: (key -> path, missing names)."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for key in FILE_KEYS:
        for candidate in _name_variants(info.files[key]):
            path = folder / candidate
            if path.is_file():
                found[key] = path
                break
        else:
            missing.append(info.files[key])
    return found, missing


def read_pairs(read_pair: Callable[[Path, Path], tuple[np.ndarray, np.ndarray]]) -> Callable[[dict[str, Path]], Arrays]:
    """A reader of a training pair and a test pair of files, each read by ``read_pair``."""
    def read(paths: dict[str, Path]) -> Arrays:
        x_train, y_train = read_pair(paths["train_images"], paths["train_labels"])
        x_test, y_test = read_pair(paths["test_images"], paths["test_labels"])
        return x_train, y_train, x_test, y_test
    return read


READERS: dict[str, Reader] = {reader.name: reader for reader in (
    Reader("idx", find_standard_files, read_pairs(load_idx_pair), "the four IDX files", "; gzipped or not"),
    Reader("npy", find_standard_files, read_pairs(load_npy_pair), "the four .npy files"),
    Reader("cifar10-bin", lambda folder, info: find_cifar_files(folder), lambda paths: load_cifar10_arrays(paths)[:4],
           "the CIFAR-10 batch files", checks_labels=True),
)}


def reader_for(info: DatasetInfo) -> Reader:
    try:
        return READERS[info.format]
    except KeyError:
        raise DatasetError(f"data set {info.name!r} is in format {info.format!r}, which nnviz cannot read; "
                           f"formats: {', '.join(READERS)}") from None
