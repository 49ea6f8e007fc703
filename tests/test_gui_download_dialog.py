"""The download dialog (offscreen Qt): success, failure, Cancel mid-transfer, and the picker rows."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QDialog  # noqa: E402
from test_downloads import LABEL_FILES, LoopbackServer, make_mirror  # noqa: E402  (tests/ is on sys.path)

from nnviz.core.data import loading as datasets  # noqa: E402
from nnviz.core.data.downloads import DOWNLOADS, FetchResult, format_size  # noqa: E402
from nnviz.ui import download_dialog  # noqa: E402
from nnviz.ui.download_dialog import DownloadDialog, fetch_with_dialog, picker_entries  # noqa: E402


pytestmark = pytest.mark.usefixtures("isolated_data_env")  # see conftest.py


@pytest.fixture()
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_mirror(tmp_path / "www", monkeypatch)  # the real MNIST files if present, else stand-ins


@pytest.fixture()
def labels_only(mirror: Path, monkeypatch: pytest.MonkeyPatch):
    spec = DOWNLOADS["mnist"]
    monkeypatch.setitem(DOWNLOADS, "mnist", dataclasses.replace(
        spec, files=tuple(f for f in spec.files if f.name in LABEL_FILES)))


def cache_files(tmp_path: Path) -> list[str]:
    folder = tmp_path / "cache"
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_successful_download(qtbot, tmp_path: Path, mirror: Path, labels_only) -> None:
    dialog = DownloadDialog("mnist", mirror=mirror.as_uri())
    qtbot.addWidget(dialog)
    size = format_size(DOWNLOADS["mnist"].size)  # 33.4 kB for the real label files
    assert size in dialog.summary_label.text() and "CC BY-SA 3.0" in dialog.summary_label.text()
    dialog.show()
    with qtbot.waitSignal(dialog.download_succeeded, timeout=10_000) as blocker:
        dialog.start()
    result = blocker.args[0]
    assert isinstance(result, FetchResult) and sorted(result.downloaded) == sorted(LABEL_FILES)
    assert dialog.fetch_result is result and dialog.result() == QDialog.DialogCode.Accepted
    assert not dialog.isVisible() and not dialog.running
    assert dialog.progress_bar.value() == 1000
    assert cache_files(tmp_path) == sorted(LABEL_FILES)


def test_failure_is_reported(qtbot, tmp_path: Path, labels_only) -> None:
    dialog = DownloadDialog("mnist", mirror=(tmp_path / "empty").as_uri())
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.download_failed, timeout=10_000) as blocker:
        dialog.start()
    assert "not found" in blocker.args[0] and blocker.args[0] == dialog.error_message
    assert dialog.result() == QDialog.DialogCode.Rejected and dialog.fetch_result is None
    assert not dialog.isVisible() and cache_files(tmp_path) == []


@pytest.fixture()
def slow_server(mirror: Path):
    server = LoopbackServer(mirror)
    server.slow["/mnist/train-images-idx3-ubyte.gz"] = 0.02  # 64 kB steps: 3 s for the real 9.9 MB
    yield server
    server.close()


def test_cancel_mid_transfer_leaves_nothing(qtbot, tmp_path: Path, slow_server: LoopbackServer) -> None:
    dialog = DownloadDialog("mnist", mirror=slow_server.url, timeout=5)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress_bar.value() > 0, timeout=10_000)
    assert "train-images-idx3-ubyte.gz" in dialog.status_label.text()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.status_label.text() == "Cancelling..." and not dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.was_cancelled and not dialog.running, timeout=5_000)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected
    assert dialog.fetch_result is None and dialog.error_message is None
    assert cache_files(tmp_path) == []  # no half file, no temporary file


def test_closing_the_window_cancels(qtbot, tmp_path: Path, slow_server: LoopbackServer) -> None:
    dialog = DownloadDialog("mnist", mirror=slow_server.url, timeout=5)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress_bar.value() > 0, timeout=10_000)
    dialog.close()  # ignored while running: it asks the download to stop first
    qtbot.waitUntil(lambda: dialog.was_cancelled and not dialog.isVisible(), timeout=5_000)
    assert cache_files(tmp_path) == []


def test_fetch_with_dialog(qtbot, tmp_path: Path, mirror: Path, labels_only, monkeypatch) -> None:
    warnings = []
    monkeypatch.setattr(download_dialog.QMessageBox, "warning", lambda *args: warnings.append(args))
    result = fetch_with_dialog("mnist", mirror=mirror.as_uri())
    assert result is not None and sorted(result.downloaded) == sorted(LABEL_FILES) and warnings == []
    assert fetch_with_dialog("mnist", mirror=mirror.as_uri()).already_cached
    (tmp_path / "cache" / "mnist" / LABEL_FILES[0]).unlink()
    assert fetch_with_dialog("mnist", mirror=(tmp_path / "empty").as_uri()) is None
    assert len(warnings) == 1 and warnings[0][1] == "Download failed" and "not found" in warnings[0][2]


def test_picker_entries(qtbot, tmp_path: Path, mirror: Path, labels_only) -> None:
    entries = {entry.name: entry for entry in picker_entries()}
    assert list(entries) == list(datasets.IMAGE_DATASETS)
    assert not entries["mnist"].ready and entries["mnist"].label.endswith(f"download {format_size(DOWNLOADS['mnist'].size)}")
    assert entries["cifar10"].label.endswith("download 170.1 MB")
    assert entries["mnist-c/fog"].download_name == "mnist-c"
    (tmp_path / "cache" / "mnist").mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (tmp_path / "cache" / "mnist" / name).write_bytes(b"")
    entry = next(e for e in picker_entries() if e.name == "mnist")
    assert entry.ready and entry.label.endswith("ready (downloaded)")
