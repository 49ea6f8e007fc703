"""Bars above the panels that say what is wrong and offer the next step, without a modal dialog:
a run that trains but learns nothing (:class:`HealthBar`) and a first start without the data the
chosen run needs (:class:`MissingDataBar`). Tests click their buttons like a user."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from nnviz.core.config import RunConfig
from nnviz.core.data.catalog import IMAGE_DATASETS
from nnviz.core.data.downloads import DOWNLOADS, format_size
from nnviz.core.data.loading import dataset_status
from nnviz.core.record import RunRecord
from nnviz.core.run_health import STUCK

from nnviz.ui import download_dialog
from nnviz.ui import theme
from nnviz.ui.errors import show_error
from nnviz.ui.settings import StartRun


class NoticeBar(QtWidgets.QToolBar):
    """A message and a few buttons on its own row below the toolbars; hidden until needed."""

    def __init__(self, window: QtWidgets.QMainWindow, name: str, colours: tuple[str, str]) -> None:
        super().__init__(name, window)
        self.setObjectName(f"toolbar-{name.lower().replace(' ', '-')}")
        self.setMovable(False)
        background, border = colours
        self.setStyleSheet(f"QToolBar {{ background: {background}; border: 1px solid {border}; }}")
        self.label = QtWidgets.QLabel()
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Preferred)
        self.addWidget(self.label)
        window.addToolBarBreak()
        window.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, self)
        self.setVisible(False)

    def add_button(self, text: str, slot) -> QtWidgets.QPushButton:
        button = QtWidgets.QPushButton(text)
        button.clicked.connect(lambda _=False: slot())
        self.addWidget(button)
        return button


class HealthBar(NoticeBar):
    """Shown while the record says the run learns nothing (stuck at chance) or leaves output units
    dead; offers a reset with the suggested learning rate or another seed."""

    reset_requested = QtCore.Signal(dict)  # config changes for the new run, e.g. {"training.seed": 1}

    def __init__(self, window: QtWidgets.QMainWindow) -> None:
        super().__init__(window, "Run health", (theme.HEALTH_FILL, theme.ORANGE))
        self.button = self.add_button("", lambda: self.reset_requested.emit(dict(self._changes)))
        self._changes: dict = {}
        self._seed = 0

    def set_seed(self, seed: int) -> None:
        self._seed = seed

    def show_snapshot(self, snapshot: RunRecord) -> None:
        health = snapshot.health if snapshot.state != "diverged" else None  # the divergence bar says it
        if (health is not None) != self.isVisible():
            self.setVisible(health is not None)
        if health is None:
            return
        self.label.setText(f"  {health.message}  ")
        if health.kind == STUCK and health.suggested_learning_rate:
            self._changes = {"optimizer.learning_rate": health.suggested_learning_rate}
            self.button.setText(f"Reset with learning rate {health.suggested_learning_rate:g}")
        else:
            self._changes = {"training.seed": self._seed + 1}
            self.button.setText(f"Reset with seed {self._seed + 1}")


class MissingDataBar(NoticeBar):
    """"MNIST not found: Download (11.6 MB) / Choose a folder… / Use XOR for now".

    While the fallback run is open it is not remembered as the user's choice (see
    :meth:`is_fallback`), so the next start asks again instead of silently reopening XOR.
    """

    def __init__(self, window) -> None:
        super().__init__(window, "Missing data", (theme.DATA_FILL, theme.BLUE))
        self.main_window = window  # not "window": that would hide QWidget.window() (app-wide key filter crashed)
        self.start: StartRun | None = None
        self.download_button = self.add_button("Download", self.download)
        self.folder_button = self.add_button("Choose a folder…", self.choose_folder)
        self.fallback_button = self.add_button("Use the fallback for now", self.use_fallback)

    @property
    def missing(self) -> str | None:
        return self.start.missing if self.start is not None else None

    def offer(self, start: StartRun) -> None:
        """Show the bar if ``start`` opened a fallback because its data is missing."""
        self.start = start if start.missing else None
        if self.start is None:
            self.setVisible(False)
            return
        name, title = start.missing, _title(start.missing)
        spec = DOWNLOADS.get(IMAGE_DATASETS[name].download_name) if name in IMAGE_DATASETS else None
        self.download_button.setVisible(spec is not None)
        if spec is not None:
            self.download_button.setText(f"Download ({format_size(spec.size, spec.size_exact)})")
        self.fallback_button.setText(f"Use {_title(start.config.data.name)} for now")
        self.label.setText(f"  {title} not found: {start.wanted.preset} needs it. Download it, choose the folder "
                           f"that holds it, or use {_title(start.config.data.name)} for now (asked again "
                           f"next start).  ")
        self.setVisible(True)

    def is_fallback(self, config: RunConfig) -> bool:
        """True while ``config`` is the fallback run (the same preset on the same data), which is
        therefore not saved as the run to open next time."""
        fallback = self.start.config if self.start is not None else None
        return fallback is not None and (config.preset, config.data.name) == (fallback.preset, fallback.data.name)

    def download(self) -> None:
        if self.missing is None:
            return
        result = download_dialog.fetch_with_dialog(IMAGE_DATASETS[self.missing].download_name, self.main_window)
        if result is not None:  # a failure was shown by the dialog; a cancel stays silent
            self._data_found()

    def choose_folder(self) -> None:
        """Pick the folder holding ``<name>/`` (or the ``<name>`` folder itself) with the files; from
        the File menu, with nothing missing, any data set's folder will do."""
        names = [self.missing] if self.missing else list(IMAGE_DATASETS)
        title = _title(self.missing) if self.missing else "the data sets"
        folder = QtWidgets.QFileDialog.getExistingDirectory(self.main_window, f"Folder holding {title}")
        if not folder:
            return
        data_dir = next((found for name in names if (found := find_data_dir(name, Path(folder)))), None)
        if data_dir is None:
            name = names[0]
            files = ", ".join(IMAGE_DATASETS[name].files.values()) if self.missing else "a data set's files"
            show_error(self.main_window, f"{title} not found",
                       f"Neither {folder} nor {Path(folder) / name} holds {files}.")
            return
        self.main_window.set_data_dir(str(data_dir))
        if self.missing is not None:
            self._data_found()

    def use_fallback(self) -> None:
        self.setVisible(False)
        self.main_window.statusBar().showMessage(
            f"{_title(self.start.config.data.name)} for now; nnviz asks again at the next start", 8000)

    def _data_found(self) -> None:
        wanted = self.start.wanted
        self.start = None
        self.setVisible(False)
        self.main_window.controls.refresh_datasets()
        self.main_window.load_config(wanted)  # the user's choice, now runnable, is saved as usual


def find_data_dir(name: str, folder: Path) -> Path | None:
    """The data folder (holding ``<name>/``) for a folder the user picked: it holds ``<name>/`` or
    is that folder itself; None if the files are in neither."""
    for candidate in (folder, folder.parent if folder.name == name else None):
        if candidate is not None and dataset_status(name, candidate) == str(candidate / name):
            return candidate
    return None


def _title(name: str) -> str:
    return {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "kmnist": "KMNIST", "emnist": "EMNIST",
            "cifar10": "CIFAR-10", "xor": "XOR"}.get(name, name)
