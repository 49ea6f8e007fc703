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
# ../shared/data beside the checkout holds the real MNIST (never copied into the repo).
SHARED_DATA = Path(os.environ.get("NNVIZ_TEST_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    if not (SHARED_DATA / "mnist" / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real MNIST not found under {SHARED_DATA}")
    return SHARED_DATA


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
