"""Shared test set-up. Qt must use the offscreen platform before anything imports it:
without a display Qt would abort the whole pytest run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import json
import tempfile


def offscreen_platform(width: int, height: int, dpr: float = 1.0) -> str:
    """QT_QPA_PLATFORM for an offscreen screen of this size (logical pixels) and device pixel ratio."""
    path = Path(tempfile.gettempdir()) / f"nnviz-screen-{width}x{height}@{dpr:g}.json"
    path.write_text(json.dumps({"screens": [{"name": "screen", "x": 0, "y": 0, "width": width, "height": height,
                                             "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": dpr}]}))
    return f"offscreen:configfile={path}"


# A full-HD screen by default (the offscreen platform's own is 800x800); layout tests choose others.
os.environ.setdefault("QT_QPA_PLATFORM", offscreen_platform(1920, 1080))

REPO = Path(__file__).resolve().parents[1]
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte")


def has_mnist(root: Path) -> bool:
    """``root/mnist/`` holds the four IDX files, gzipped or not."""
    folder = root / "mnist"
    return all((folder / f"{name}.gz").is_file() or (folder / name).is_file() for name in MNIST_FILES)


def find_test_data() -> tuple[Path | None, list[Path]]:
    """The folder holding ``mnist/`` for the tests that need the real MNIST, and the places looked at:
    ``$NNVIZ_TEST_DATA``; else ``../shared/data`` beside the checkout; else the user's nnviz cache,
    where ``nnviz data fetch mnist`` puts it (the real data is never copied into the repo)."""
    from nnviz.core.data.loading import dataset_cache_dir

    if os.environ.get("NNVIZ_TEST_DATA"):
        candidates = [Path(os.environ["NNVIZ_TEST_DATA"]).expanduser()]
    else:
        candidates = [REPO.parent / "shared" / "data", dataset_cache_dir("mnist").parent]
    return next((root for root in candidates if has_mnist(root)), None), candidates


TEST_DATA, TEST_DATA_SEARCHED = find_test_data()
MNIST_SKIP_REASON = ("real MNIST not found in " + " or ".join(f"{p}/mnist" for p in TEST_DATA_SEARCHED)
                     + "; run `nnviz data fetch mnist` (11.6 MB, into the user cache) or set "
                       "NNVIZ_TEST_DATA=DIR with DIR/mnist/ holding the four IDX files")


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    if TEST_DATA is None:
        pytest.skip(MNIST_SKIP_REASON)
    return TEST_DATA


@pytest.fixture()
def isolated_data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Cache in tmp, no system data sets, no data folder or mirror from the environment."""
    from nnviz.core.data import loading as datasets

    monkeypatch.setenv("NNVIZ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NNVIZ_DATA_DIR", raising=False)
    monkeypatch.delenv("NNVIZ_DATA_URL", raising=False)
    monkeypatch.setattr(datasets, "SYSTEM_DATASETS_DIR", tmp_path / "system")
    datasets.clear_dataset_cache()
    yield
    datasets.clear_dataset_cache()
