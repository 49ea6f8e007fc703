"""`RunsPanel`: the run folders of a chosen runs folder (and of this session), with tick boxes.

Each row shows a run's name, preset, what differs from the other listed runs, final accuracy and
time. Ticking runs emits ``runs_selected(list[RunData])`` with their per-epoch curves, in list
order; the curves panel overlays them, colour i of the list being ``theme.overlay_colour(i)`` (the
palette without this run's train / validation / test colours), and the panel shows that colour
beside each ticked run. Double-click or
"Reopen" emits ``reopen_requested(Path)`` for one run folder (its model, config and curves).

Reading run folders is small file I/O (a config, a JSON and a CSV of one row per epoch), done
here in the GUI thread; a folder of a hundred runs loads in well under a second. Folders that
are not run yet or broken are listed greyed out, with the reason as tooltip.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.errors import NnvizError
from nnviz.sweep.compare import differing_settings, label_runs
from nnviz.ui import theme
from nnviz.core.run_folder import METRICS_JSON, RunData, is_run_folder, list_run_folders, load_run
from nnviz.core.run_folder.follow import RunDataFollower
from nnviz.core.run_folder.streams import STREAM_FILES
from nnviz.core.run_status import judge

# The accuracy column is the validation split's at the last epoch (the test set stays unseen); a run
# without validation data says which split its figure is from instead.
COLUMNS = ("run", "preset", "differs", "final validation accuracy", "time")
PATH_ROLE = QtCore.Qt.ItemDataRole.UserRole
SWATCH_SIZE = 14


def find_run_folders(folder: Path) -> list[Path]:
    """Run folders in ``folder`` and in its sweep folders (one level down), or ``folder`` itself."""
    if is_run_folder(folder):
        return [folder]
    found: list[Path] = []
    for child in list_run_folders(folder):
        found.append(child)
    for child in sorted(p for p in folder.iterdir() if p.is_dir() and not is_run_folder(p)):
        found.extend(list_run_folders(child))
    return found


def final_accuracy(run: RunData) -> float:
    return final_accuracy_of(run)[0]


def final_accuracy_of(run: RunData) -> tuple[float, str]:
    """The last epoch's validation accuracy, else test, else train; and which split it is."""
    for split in ("val", "test", "train"):
        value = run.final(f"{split}_accuracy")
        if math.isfinite(value):
            return value, split
    return math.nan, ""


class RunsPanel(QtWidgets.QWidget):
    """Lists runs; ticking emits their curves, double-click asks to reopen one."""

    runs_selected = QtCore.Signal(list)  # list[RunData], ticked runs in list order
    reopen_requested = QtCore.Signal(object)  # Path of a run folder

    def __init__(self, parent: QtWidgets.QWidget | None = None, folder: str | Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel-runs")
        self.folder: Path | None = None
        self._session_runs: list[Path] = []  # run folders written in this session (add_run_folder)
        self._loaded: dict[Path, RunData] = {}
        self._followers: dict[Path, RunDataFollower] = {}  # rows of runs being written (refresh_live)
        self._awaiting: set[Path] = set()  # listed run folders whose run has not started writing
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 4)
        controls = QtWidgets.QHBoxLayout()
        self.folder_label = QtWidgets.QLabel("No runs folder chosen")
        self.folder_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose_button = QtWidgets.QPushButton("Runs folder…")
        self.choose_button.setToolTip("Choose a folder of run folders (or a sweep folder)")
        self.refresh_button = QtWidgets.QPushButton("Refresh")
        self.reopen_button = QtWidgets.QPushButton("Reopen")
        self.reopen_button.setToolTip("Open the selected run: its model, config and curves")
        self.clear_button = QtWidgets.QPushButton("Untick all")
        controls.addWidget(self.choose_button)
        controls.addWidget(self.folder_label, 1)
        for button in (self.refresh_button, self.clear_button, self.reopen_button):
            controls.addWidget(button)
        layout.addLayout(controls)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels([c[0].upper() + c[1:] for c in COLUMNS])
        self.tree.headerItem().setToolTip(3, "Accuracy on the validation split after the last epoch (runs "
                                             "without validation data name the split they were measured on)")
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSortingEnabled(False)  # list order is the sweep's order, and the colour order
        self.tree.header().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setSectionResizeMode(2, QtWidgets.QHeaderView.ResizeMode.Stretch)  # "differs"
        self.tree.header().setStretchLastSection(False)
        layout.addWidget(self.tree, 1)
        self.choose_button.clicked.connect(self.choose_folder)
        self.refresh_button.clicked.connect(self.refresh)
        self.clear_button.clicked.connect(self.untick_all)
        self.reopen_button.clicked.connect(self._reopen_current)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.itemDoubleClicked.connect(lambda item, _column: self._reopen(item))
        self._updating = False
        self._any_differences = False
        if folder is not None:
            self.set_folder(folder)

    # --- what is listed ----------------------------------------------------------------------
    def choose_folder(self) -> None:
        start = str(self.folder) if self.folder else str(Path.cwd())
        chosen = QtWidgets.QFileDialog.getExistingDirectory(self, "Choose a runs folder", start)
        if chosen:
            self.set_folder(chosen)

    def set_folder(self, folder: str | Path) -> None:
        """List the run folders in ``folder`` (and in sweep folders inside it)."""
        self.folder = Path(folder)
        self.folder_label.setText(str(self.folder))
        self.folder_label.setToolTip(str(self.folder))
        self.refresh()

    def add_run_folder(self, path: str | Path) -> None:
        """Add a run of this session (e.g. one the window just wrote), listed first."""
        path = Path(path)
        if path not in self._session_runs:
            self._session_runs.append(path)
        self.refresh()

    def run_folders(self) -> list[Path]:
        folders = list(self._session_runs)
        if self.folder is not None and self.folder.is_dir():
            folders += find_run_folders(self.folder)
        return list(dict.fromkeys(p.resolve() for p in folders))

    def refresh(self) -> None:
        """Reload every folder; keep ticks on runs still listed."""
        ticked = {p for p in self._ticked_paths()}
        self._loaded.clear()
        self._followers.clear()
        problems: dict[Path, str] = {}
        for path in self.run_folders():
            try:
                self._loaded[path] = load_run(path)
            except NnvizError as exc:
                problems[path] = str(exc)
        # Listed but not run yet (no metrics.json; a broken one is not retried every second).
        self._awaiting = {path for path in problems if not (path / METRICS_JSON).exists()}
        loaded = list(self._loaded.values())
        label_runs(loaded)
        self._any_differences = bool(differing_settings(loaded))
        self._updating = True
        self.tree.clear()
        for path in self.run_folders():
            item = self._row(path, self._loaded.get(path), problems.get(path, ""))
            if path in self._loaded:
                item.setCheckState(0, QtCore.Qt.CheckState.Checked if path in ticked else QtCore.Qt.CheckState.Unchecked)
            self.tree.addTopLevelItem(item)
        self._updating = False
        self._update_swatches()
        if ticked:
            self.runs_selected.emit(self.selected_runs())

    def refresh_live(self) -> None:
        """Follow only the runs still being written (reading what they appended) and update their rows in
        place: the list, its ticks and scrolling stay as they are. A run folder that appeared in the
        runs folder since (``nnviz train`` started in a terminal), or a listed one that has just
        started writing (a sweep's next run), is listed by a full refresh."""
        items = self._items()
        listed = {Path(item.data(0, PATH_ROLE)) for item in items}
        started = any((path / METRICS_JSON).is_file() for path in self._awaiting)
        if started or (self.folder is not None and not listed.issuperset(self.run_folders())):
            self.refresh()
            return
        changed = False
        for item in items:
            path = Path(item.data(0, PATH_ROLE))
            run = self._loaded.get(path)
            if run is None or run.state != "running":
                self._followers.pop(path, None)
                continue
            follower = self._followers.get(path)
            if follower is None:
                follower = self._followers[path] = RunDataFollower(run)
            if follower.poll():  # reads only what was appended since the last second
                self._loaded[path] = run = follower.run
                changed |= item.checkState(0) == QtCore.Qt.CheckState.Checked
            item.setText(3, _accuracy_text(run))  # also when nothing arrived: a run can turn "stalled"
        if changed:
            self.runs_selected.emit(self.selected_runs())

    def _row(self, path: Path, run: RunData | None, problem: str) -> QtWidgets.QTreeWidgetItem:
        name = self._display_name(path)
        if run is None:
            item = QtWidgets.QTreeWidgetItem([name, "", "not run yet" if METRICS_JSON in problem else "broken",
                                              "", ""])
            item.setFlags(item.flags() & ~QtCore.Qt.ItemFlag.ItemIsEnabled)
            item.setToolTip(0, problem)
            item.setToolTip(2, problem)
        else:
            seconds = "" if not math.isfinite(run.seconds) else f"{run.seconds:.1f} s"
            item = QtWidgets.QTreeWidgetItem([name, run.preset, run.label if self._any_differences else "",
                                              _accuracy_text(run), seconds])
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            item.setToolTip(0, str(path))
            for column in (3, 4):
                item.setTextAlignment(column, QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        item.setData(0, PATH_ROLE, str(path))
        return item

    def _display_name(self, path: Path) -> str:
        if self.folder is not None:
            try:
                return str(path.relative_to(self.folder.resolve()))
            except ValueError:
                pass
        return path.name

    # --- ticks -------------------------------------------------------------------------------
    def _items(self) -> list[QtWidgets.QTreeWidgetItem]:
        return [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]

    def _ticked_paths(self) -> list[Path]:
        return [Path(item.data(0, PATH_ROLE)) for item in self._items()
                if item.checkState(0) == QtCore.Qt.CheckState.Checked]

    def selected_runs(self) -> list[RunData]:
        """The ticked runs with their curves, in list order."""
        return [self._loaded[path] for path in self._ticked_paths() if path in self._loaded]

    def set_ticked(self, path: str | Path, ticked: bool = True) -> None:
        target = Path(path).resolve()
        for item in self._items():
            if Path(item.data(0, PATH_ROLE)) == target:
                item.setCheckState(0, QtCore.Qt.CheckState.Checked if ticked else QtCore.Qt.CheckState.Unchecked)

    def untick_all(self) -> None:
        self._updating = True
        for item in self._items():
            if item.flags() & QtCore.Qt.ItemFlag.ItemIsUserCheckable:
                item.setCheckState(0, QtCore.Qt.CheckState.Unchecked)
        self._updating = False
        self._update_swatches()
        self.runs_selected.emit([])

    def _item_changed(self, item: QtWidgets.QTreeWidgetItem, column: int) -> None:
        if self._updating or column != 0:
            return
        self._update_swatches()
        self.runs_selected.emit(self.selected_runs())

    def _update_swatches(self) -> None:
        """A square of the colour each ticked run gets in the overlay (colour i for the i-th ticked)."""
        self._updating = True
        index = 0
        for item in self._items():
            if item.checkState(0) == QtCore.Qt.CheckState.Checked:
                item.setIcon(0, _swatch(theme.overlay_colour(index)))
                index += 1
            else:
                item.setIcon(0, QtGui.QIcon())
        self._updating = False

    # --- reopen ------------------------------------------------------------------------------
    def _reopen_current(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            self._reopen(item)

    def _reopen(self, item: QtWidgets.QTreeWidgetItem) -> None:
        path = Path(item.data(0, PATH_ROLE))
        if path in self._loaded:
            self.reopen_requested.emit(path)


def _swatch(colour: str) -> QtGui.QIcon:
    pixmap = QtGui.QPixmap(SWATCH_SIZE, SWATCH_SIZE)
    pixmap.fill(QtGui.QColor(colour))
    return QtGui.QIcon(pixmap)


def _accuracy_text(run: RunData) -> str:
    """The final accuracy; a run still being written (or stopped half-way, or stalled) says so."""
    if run.state == "diverged":
        return "diverged"
    accuracy, split = final_accuracy_of(run)
    text = "-" if not math.isfinite(accuracy) else f"{accuracy:.2%}" + ("" if split == "val" else f" ({split})")
    state = live_state(run)
    return f"{text} ({state}, epoch {run.n_epochs})" if state in ("running", "interrupted", "stalled") else text


def live_state(run: RunData) -> str:
    """The run's state, "stalled" for a "running" one whose writer is gone (this host) or whose folder
    has not grown for a minute (a writer on another host), as `nnviz watch` judges it."""
    if run.state != "running":
        return run.state
    newest = 0.0
    for name in STREAM_FILES:
        try:
            newest = max(newest, (run.path / name).stat().st_mtime)
        except OSError:
            pass
    return judge(run.state, run.metrics, newest, time.time())
