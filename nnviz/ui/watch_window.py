"""The watch window: one tab per followed run, redrawn as its folder grows (``nnviz watch DIR``).

A QTimer polls every run's incremental reader on the GUI thread every `POLL_MS`. That is cheap by
construction: a few ``stat`` calls, and only the bytes appended since the last poll, at most
`POLL_BYTES` per stream (a long run already on disk is caught up over a few polls, not in one
long freeze). Nothing here trains or reads a whole file.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.run_folder import is_run_folder, list_run_folders
from nnviz.core.run_folder.follow import RunFollower
from nnviz.core.run_status import STALL_SECONDS

from nnviz.ui import theme
from nnviz.ui.sweep_overview import SweepOverview
from nnviz.ui.watch_view import RunView

POLL_MS = 250
POLL_BYTES = 256 * 1024  # per stream and poll: about 13,000 loss rows, parsed in a few ms


class WatchWindow(QtWidgets.QMainWindow):
    """Follows run folders; File → Watch a run folder… adds one."""

    def __init__(self, folders: list[Path] = (), *, stall_seconds: float = STALL_SECONDS,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("nnviz watch")
        self.stall_seconds = stall_seconds
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.views: list[RunView] = []
        self.sweep_roots: list[Path] = []  # sweep folders whose new run folders become new tabs
        self.overview: SweepOverview | None = None
        self._polls = 0
        file_menu = self.menuBar().addMenu("&File")
        add = file_menu.addAction("Watch a run folder…", self.choose_folder)
        add.setShortcut(QtGui.QKeySequence.StandardKey.Open)
        file_menu.addSeparator()
        file_menu.addAction("Close", self.close).setShortcut(QtGui.QKeySequence.StandardKey.Close)
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        for folder in folders:
            self.watch(folder)
        self.tabs.setCurrentIndex(0)
        self.timer.start()
        self.statusBar().showMessage("Following the folders as they grow (every 0.25 s)")

    def watch(self, folder: str | Path) -> None:
        """A run folder (or one still to appear) gets a tab; a sweep folder an overview and its runs."""
        path = Path(folder)
        if path.is_dir() and not is_run_folder(path) and list_run_folders(path):
            self.add_sweep(path)
        else:
            self.add_run(path)

    def add_run(self, folder: str | Path, *, select: bool = True) -> RunView:
        view = RunView(RunFollower(folder, stall_seconds=self.stall_seconds, max_bytes=POLL_BYTES))
        self.views.append(view)
        self.tabs.addTab(view, Path(folder).name or str(folder))
        if select:
            self.tabs.setCurrentWidget(view)
        self._refresh(view)
        return view

    def add_sweep(self, folder: str | Path) -> None:
        """Follow a sweep folder (it may not exist yet): an overview tab with every run's curves, and a
        tab per run folder as it appears."""
        self.sweep_roots.append(Path(folder))
        if self.overview is None:
            self.overview = SweepOverview()
            self.tabs.insertTab(0, self.overview, "All runs")
            self.tabs.setCurrentWidget(self.overview)
        self._find_new_runs()

    def choose_folder(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Watch a run folder")
        if folder:
            self.watch(folder)

    def poll(self) -> None:
        self._polls += 1
        if self.sweep_roots and self._polls % 4 == 0:  # new run folders: a directory listing a second
            self._find_new_runs()
        changed = False
        for view in self.views:
            changed |= self._refresh(view)
        if changed and self.overview is not None:
            self.overview.show_runs(self.views)

    def _find_new_runs(self) -> None:
        known = {view.follower.folder for view in self.views}
        for root in self.sweep_roots:
            if root.is_dir():
                for folder in list_run_folders(root):
                    if folder not in known:
                        self.add_run(folder, select=False)
        if self.overview is not None:
            self.overview.show_runs(self.views)

    def _refresh(self, view: RunView) -> bool:
        if not view.refresh():
            return False
        index = self.tabs.indexOf(view)
        self.tabs.setTabText(index, f"{view.follower.name} · {view.status}")
        self.tabs.tabBar().setTabTextColor(index, QtGui.QColor(theme.run_state_colour(view.status)))
        return True

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.timer.stop()
        super().closeEvent(event)


def run_watch_window(folders: list[Path], *, stall_seconds: float = STALL_SECONDS) -> int:
    """Open the watch window and run until it closes (``NNVIZ_QUIT_AFTER=<s>`` closes it, for tests)."""
    from nnviz.ui.offscreen import ensure_app

    app = ensure_app("nnviz-watch")
    font = app.font()
    font.setPointSize(theme.UI_POINT_SIZE)
    app.setFont(font)
    window = WatchWindow(folders, stall_seconds=stall_seconds)
    window.resize(1500, 950)
    window.show()
    quit_after = os.environ.get("NNVIZ_QUIT_AFTER")
    if quit_after:
        def close() -> None:
            states = ", ".join(f"{v.follower.name}={v.status}" for v in window.views)
            print(f"nnviz: closing at {time.time():.3f}: {states}", file=sys.stderr, flush=True)
            window.close()

        QtCore.QTimer.singleShot(int(float(quit_after) * 1000), close)
    return app.exec()
