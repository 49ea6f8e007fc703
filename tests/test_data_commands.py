"""`nnviz data list` and `nnviz data fetch` through the real CLI entry point."""

from __future__ import annotations

import dataclasses
import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from test_downloads import LABEL_FILES, make_mirror  # tests/ is on sys.path

from nnviz.cli import main
from nnviz.core.data.downloads import DOWNLOADS, format_size


pytestmark = pytest.mark.usefixtures("isolated_data_env")  # see conftest.py


@pytest.fixture()
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file:// mirror holding only the two MNIST label files (the real ones if present)."""
    root = make_mirror(tmp_path / "mirror", monkeypatch)
    for path in (root / "mnist").iterdir():
        if path.name not in LABEL_FILES:
            path.unlink()
    return root


@pytest.fixture()
def labels_only(mirror: Path, monkeypatch: pytest.MonkeyPatch):
    spec = DOWNLOADS["mnist"]
    monkeypatch.setitem(DOWNLOADS, "mnist", dataclasses.replace(
        spec, files=tuple(f for f in spec.files if f.name in LABEL_FILES)))


def write_kmnist(folder: Path) -> None:
    folder.mkdir(parents=True)
    for prefix, kind, array in (("train", "images-idx3", np.zeros((2, 4, 4))), ("train", "labels-idx1", np.zeros(2)),
                                ("t10k", "images-idx3", np.zeros((2, 4, 4))), ("t10k", "labels-idx1", np.zeros(2))):
        header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
        (folder / f"{prefix}-{kind}-ubyte.gz").write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def test_list_shows_size_place_and_licence(tmp_path: Path, monkeypatch, capsys) -> None:
    write_kmnist(tmp_path / "cache" / "kmnist")
    monkeypatch.setenv("NNVIZ_DATA_DIR", str(tmp_path / "shared"))
    write_kmnist(tmp_path / "shared" / "fashion-mnist")
    monkeypatch.setenv("NNVIZ_DATA_URL", "file:///srv/nnviz-data")
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert lines["data"].split() == ["data", "set", "download", "status", "licence"]
    assert "11.6 MB" in lines["mnist"] and "downloadable" in lines["mnist"] and "CC BY-SA 3.0" in lines["mnist"]
    assert "cached" in lines["kmnist"] and "21.2 MB" in lines["kmnist"] and "CC BY-SA 4.0" in lines["kmnist"]
    assert f"found locally at {tmp_path / 'shared' / 'fashion-mnist'}" in lines["fashion-mnist"]
    assert "MIT (Zalando SE)" in lines["fashion-mnist"]
    assert "561.8 MB" in lines["emnist"] and "about 246.7 MB" in lines["mnist-c/<corruption>"] and "170.1 MB" in lines["cifar10"]
    assert "CC BY 4.0" in lines["mnist-c/<corruption>"] and "Krizhevsky" in lines["cifar10"]
    assert f"Download cache: {tmp_path / 'cache'}" in out
    assert "file:///srv/nnviz-data/<set>/<file>" in out


def test_list_partly_found_mnist_c(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "system" / "mnist-c" / "fog"
    folder.mkdir(parents=True)
    for split in ("train", "test"):
        np.save(folder / f"{split}_images.npy", np.zeros((2, 28, 28), dtype=np.uint8))
        np.save(folder / f"{split}_labels.npy", np.zeros(2, dtype=np.uint8))
    assert main(["data", "list", "--data-dir", str(tmp_path / "nowhere")]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("mnist-c/<corruption>"))
    assert f"partly found at {folder}" in line and "missing mnist-c/motion_blur" in line


def test_fetch_with_file_mirror(tmp_path: Path, mirror: Path, labels_only, capsys) -> None:
    assert main(["data", "fetch", "mnist", "--mirror", mirror.as_uri()]) == 0
    captured = capsys.readouterr()
    total = format_size(DOWNLOADS["mnist"].size)  # 33.4 kB for the real label files
    assert f"mnist: {total} from mirror {mirror.as_uri()}" in captured.out
    assert f"downloaded {total} into {tmp_path / 'cache' / 'mnist'}, checksums verified" in captured.out
    labels = format_size(DOWNLOADS["mnist"].files[0].size)
    assert f"train-labels-idx1-ubyte.gz: {labels} received" in captured.err  # a line per file, not a terminal
    assert sorted(p.name for p in (tmp_path / "cache" / "mnist").iterdir()) == sorted(LABEL_FILES)
    assert main(["data", "fetch", "mnist", "--mirror", mirror.as_uri()]) == 0
    assert "already in" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        (["data", "fetch", "cifar-100"], "no download for 'cifar-100'"),
        (["data", "fetch", "mnist", "--timeout", "0"], "--timeout must be positive"),
        (["data", "fetch", "mnist", "--mirror", "file:///nonexistent/nnviz"], "not found"),
        (["data", "fetch"], "the following arguments are required: name"),
    ],
)
def test_fetch_errors_are_one_line(argv: list[str], text: str, labels_only, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("nnviz: error: ") and text in err and err.count("\n") == 1


def test_data_without_action_prints_usage(capsys) -> None:
    assert main(["data"]) == 2
    assert "fetch" in capsys.readouterr().err


def test_terminal_progress_bar() -> None:
    import io

    from nnviz.cli.data import TerminalProgress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    bar = TerminalProgress(stream)
    bar("a.gz", 0, 2_000_000)
    bar("a.gz", 2_000_000, 2_000_000)
    text = stream.getvalue()
    assert "\r  [" + "." * 30 + "] 0 B / 2.0 MB  a.gz" in text
    assert "[" + "#" * 30 + "] 2.0 MB / 2.0 MB  a.gz" in text and text.endswith("\n")


def test_cli_subprocess(tmp_path: Path, mirror: Path) -> None:
    """The installed entry point, as a user types it (a real process, no monkeypatching)."""
    env = {**os.environ, "NNVIZ_CACHE_DIR": str(tmp_path / "cache"), "NNVIZ_DATA_URL": mirror.as_uri()}
    done = subprocess.run([sys.executable, "-m", "nnviz", "data", "fetch", "mnist"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 2  # the mirror lacks the image files
    assert done.stderr.strip().startswith("nnviz: error: could not download train-images-idx3-ubyte.gz")
    assert "Traceback" not in done.stderr
