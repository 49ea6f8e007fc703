"""Download a data set from the window: a progress dialog with Cancel, the transfer in a QThread.

The main window calls :func:`fetch_with_dialog` (modal; returns the result or None and shows a
message box on failure) or builds a :class:`DownloadDialog` itself and listens to its
``download_succeeded`` / ``download_failed`` signals. :func:`picker_entries` gives the data set
picker its rows: what is ready, what can be downloaded, and how big it is.

Cancelling sets an event the download checks after every 64 kB chunk; pooch then deletes its
temporary file, so nothing half-written stays in the cache. A server that stops sending is
noticed after the time-out (``timeout`` seconds), and the dialog says "Cancelling..." until then.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from nnviz.core.data.loading import IMAGE_DATASETS, dataset_cache_dir, dataset_status
from nnviz.core.data.downloads import (
    DEFAULT_TIMEOUT,
    DOWNLOADS,
    DownloadCancelled,
    FetchResult,
    base_url,
    fetch_dataset,
    format_size,
    get_download,
)
from nnviz.core.errors import NnvizError

log = logging.getLogger(__name__)


class DownloadWorker(QObject):
    """Runs :func:`fetch_dataset` in its thread and reports through signals."""

    progress_changed = Signal(str, int, int)  # file name, bytes done, bytes total (0: unknown)
    download_finished = Signal(object)  # FetchResult
    download_failed = Signal(str)  # one-line reason
    download_cancelled = Signal()

    def __init__(self, name: str, mirror: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.name, self.mirror, self.timeout = name, mirror, timeout
        self.cancel_event = threading.Event()
        self._last_report = 0.0

    def _report(self, file_name: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last_report >= 0.05 or (total and done >= total):  # <= 20 signals a second
            self._last_report = now
            self.progress_changed.emit(file_name, done, total)

    @Slot()
    def run(self) -> None:
        try:
            result = fetch_dataset(self.name, mirror=self.mirror, progress=self._report,
                                   cancel=self.cancel_event, timeout=self.timeout)
        except DownloadCancelled:
            self.download_cancelled.emit()
        except NnvizError as exc:
            self.download_failed.emit(str(exc))
        except Exception as exc:  # a bug: say so, don't leave the dialog hanging
            log.exception("download of %s failed", self.name)
            self.download_failed.emit(f"unexpected error while downloading {self.name}: {exc}")
        else:
            self.download_finished.emit(result)


class DownloadDialog(QDialog):
    """Progress bar, current file and Cancel for one ``fetch_dataset`` run."""

    download_succeeded = Signal(object)  # FetchResult
    download_failed = Signal(str)

    def __init__(self, name: str, parent: QWidget | None = None, *, mirror: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(parent)
        spec = get_download(name)  # unknown names raise DatasetError before any window appears
        self.fetch_result: FetchResult | None = None
        self.error_message: str | None = None
        self.was_cancelled = False
        self.setWindowTitle(f"Download {spec.name}")
        self.setModal(True)
        source = base_url(mirror) or "the official source"
        self.summary_label = QLabel(
            f"<b>{spec.name}</b>: {format_size(spec.size, spec.size_exact)} from {source}<br>"
            f"Licence: {spec.licence}")
        self.summary_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.status_label = QLabel("Connecting...")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.summary_label, self.progress_bar, self.status_label, self.buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(460)

        self.worker = DownloadWorker(spec.name, mirror, timeout)
        self.thread = QThread(self)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.progress_changed.connect(self._show_progress, Qt.ConnectionType.QueuedConnection)
        self.worker.download_finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        self.worker.download_failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self.worker.download_cancelled.connect(self._on_cancelled, Qt.ConnectionType.QueuedConnection)

    def start(self) -> None:
        """Start the download thread (call once, then ``show()`` or ``exec()``)."""
        self.thread.start()

    @property
    def running(self) -> bool:
        return self.thread.isRunning()

    @Slot(str, int, int)
    def _show_progress(self, file_name: str, done: int, total: int) -> None:
        if file_name.startswith("unpacking"):
            self.status_label.setText(f"{file_name}: {done} / {total} files")
        else:
            size = f"{format_size(done)} / {format_size(total)}" if total else format_size(done)
            self.status_label.setText(f"{file_name}: {size}")
        if total:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(int(1000 * min(done, total) / total))
        else:
            self.progress_bar.setRange(0, 0)  # busy indicator: the server sent no length

    def _stop_thread(self) -> None:
        self.thread.quit()
        self.thread.wait(5000)

    @Slot(object)
    def _on_finished(self, result: FetchResult) -> None:
        self._stop_thread()
        self.fetch_result = result
        self.download_succeeded.emit(result)
        self.accept()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._stop_thread()
        self.error_message = message
        self.download_failed.emit(message)
        super().reject()

    @Slot()
    def _on_cancelled(self) -> None:
        self._stop_thread()
        self.was_cancelled = True
        super().reject()

    def cancel(self) -> None:
        """Ask the download to stop; the dialog closes once it has (and cleaned up)."""
        if not self.running:
            super().reject()
            return
        self.worker.cancel_event.set()
        self.cancel_button.setEnabled(False)
        self.status_label.setText("Cancelling...")

    def reject(self) -> None:  # Cancel button and Escape
        self.cancel()

    def closeEvent(self, event) -> None:  # the window's close box: cancel first, close when done
        if self.running:
            self.cancel()
            event.ignore()
        else:
            super().closeEvent(event)


def fetch_with_dialog(name: str, parent: QWidget | None = None, *, mirror: str | None = None,
                      timeout: float = DEFAULT_TIMEOUT) -> FetchResult | None:
    """Download ``name`` behind a modal progress dialog; None if it failed or was cancelled.

    A failure is shown in a warning box; a cancel is silent. Unknown names raise DatasetError.
    """
    dialog = DownloadDialog(name, parent, mirror=mirror, timeout=timeout)
    dialog.start()
    dialog.exec()
    if dialog.fetch_result is None and dialog.error_message:
        QMessageBox.warning(parent, "Download failed", dialog.error_message)
    return dialog.fetch_result


@dataclass(frozen=True)
class PickerEntry:
    name: str  # the data set name load_dataset takes ("mnist-c/fog")
    download_name: str  # what fetch_with_dialog takes ("mnist-c")
    ready: bool
    label: str  # e.g. "cifar10: CIFAR-10 (32x32 colour ...) - download 170.1 MB"


def picker_entries(data_dir: str | None = None) -> list[PickerEntry]:
    """One row per image data set for the window's picker: ready ones say so, others how big."""
    entries = []
    for name, info in IMAGE_DATASETS.items():
        folder = dataset_status(name, data_dir)
        spec = DOWNLOADS.get(info.download_name)
        if folder is not None:
            where = "ready (downloaded)" if Path(folder) == dataset_cache_dir(name) else "ready"
        elif spec is not None:
            where = f"download {format_size(spec.size, spec.size_exact)}"
        else:
            where = "not found"
        entries.append(PickerEntry(name, info.download_name, folder is not None, f"{name}: {info.title} - {where}"))
    return entries
