"""Data readers are registered by format name: the catalog names a format, `formats.READERS` reads
it, and `load_dataset` goes through that table only (Qt-free)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnviz.core.data.catalog import IMAGE_DATASETS, DatasetInfo
from nnviz.core.data.formats import READERS, Reader
from nnviz.core.data.loading import clear_dataset_cache, load_dataset
from nnviz.core.errors import DatasetError


def test_every_catalogued_format_has_one_reader():
    formats = {info.format for info in IMAGE_DATASETS.values()}
    assert formats == set(READERS) == {"idx", "npy", "cifar10-bin"}
    assert all(name == reader.name for name, reader in READERS.items())


def fake_reader(calls: list[str]) -> Reader:
    """A format whose "files" are two marker files and whose images are fixed arrays."""
    def find(folder: Path, info: DatasetInfo) -> tuple[dict[str, Path], list[str]]:
        found = {key: folder / f"{key}.fake" for key in ("train", "test") if (folder / f"{key}.fake").is_file()}
        return found, [f"{key}.fake" for key in ("train", "test") if key not in found]

    def read(paths: dict[str, Path]):
        calls.append(",".join(sorted(paths)))
        x = np.arange(12 * 4, dtype=np.float32).reshape(12, 1, 2, 2) / 48
        return x, np.arange(12) % 3, x[:5].copy(), np.arange(5) % 3
    return Reader("fake", find, read, "the two .fake files")


@pytest.fixture()
def fake_format(monkeypatch, tmp_path):
    calls: list[str] = []
    monkeypatch.setitem(READERS, "fake", fake_reader(calls))
    info = DatasetInfo(name="fakes", title="Fake images", class_names=("a", "b", "c"), files={}, format="fake",
                       input_shape=(1, 2, 2))
    monkeypatch.setitem(IMAGE_DATASETS, "fakes", info)
    monkeypatch.delenv("NNVIZ_DATA_DIR", raising=False)
    monkeypatch.setenv("NNVIZ_CACHE_DIR", str(tmp_path / "cache"))
    clear_dataset_cache()
    yield calls, tmp_path
    clear_dataset_cache()


def test_a_format_registered_by_name_is_what_load_dataset_reads(fake_format):
    calls, root = fake_format
    (root / "fakes").mkdir()
    for key in ("train", "test"):
        (root / "fakes" / f"{key}.fake").write_bytes(b"x")
    data = load_dataset("fakes", data_dir=root, val_size=4)
    assert calls == ["test,train"]
    assert data.size("train") == 8 and data.size("val") == 4 and data.size("test") == 5
    np.testing.assert_array_equal(data.y_val, np.arange(8, 12) % 3)


def test_missing_files_are_named_by_the_formats_reader(fake_format):
    calls, root = fake_format
    (root / "fakes").mkdir()
    with pytest.raises(DatasetError) as info:
        load_dataset("fakes", data_dir=root)
    message = str(info.value)
    assert "put the two .fake files" in message and "missing train.fake, test.fake" in message
    assert "\n" not in message and calls == []


def test_a_format_nobody_reads_is_one_clear_message(monkeypatch, tmp_path):
    info = DatasetInfo(name="odd", title="Odd", class_names=("a", "b"), format="hdf5")
    monkeypatch.setitem(IMAGE_DATASETS, "odd", info)
    with pytest.raises(DatasetError, match=r"format 'hdf5', which nnviz cannot read; formats: idx, npy, cifar10-bin"):
        load_dataset("odd", data_dir=tmp_path)
