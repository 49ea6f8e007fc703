"""Following a run folder while another process writes it (no Qt).

Every `poll` costs a few ``stat`` calls plus reading what was appended since the last one: each
CSV stream remembers its byte offset and keeps only complete lines (a half-written last line is
read on the next poll), and reads at most ``max_bytes`` per poll, so catching up with a long run
is spread over several polls instead of blocking a GUI timer. A file replaced as a whole (a new
inode, or shorter than before) is started again. Snapshot and state files are written atomically
and read when their ``stat`` changes; one that cannot be read yet keeps the previous value and is
tried again. A folder that disappears is reported as "missing"; its last data stays.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from nnviz.core.config import RunConfig, load_config, read_text_file
from nnviz.core.errors import NnvizError
from nnviz.core.limits import MAX_TEXT_FILE_BYTES
from nnviz.core.record import EpochCurves, RunRecord
from nnviz.core.run_folder.files import CONFIG_FILE, METRICS_CSV, METRICS_JSON
from nnviz.core.run_folder.reading import RunData, is_run_folder, list_run_folders
from nnviz.core.run_folder.streams import ITERATIONS_CSV, SNAPSHOT_JSON
from nnviz.core.run_status import STALL_SECONDS, judge

MAX_BYTES = 1 << 20  # per stream and poll: about 50,000 iteration rows
EPOCH_COLUMNS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")


def _stamp(stat: os.stat_result) -> tuple[int, int, int]:
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


class CsvFollower:
    """An append-only CSV file with a header row, read incrementally into float columns."""

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.changed_at = 0.0  # wall time of the last stat change seen
        self.restarted = False  # set when the file was replaced and read again from the start
        self._reset(None)

    def _reset(self, inode: int | None) -> None:
        self.header: list[str] = []
        self.offset = 0
        self.n_rows = 0
        self.skipped_rows = 0  # malformed complete lines (never expected from nnviz's writers)
        self._inode = inode
        self._data = np.zeros((0, 0))
        self._stamp: tuple = ()
        self.at_end = False

    @property
    def complete(self) -> bool:
        """Whether the last poll reached the end of what the file held."""
        return self.at_end

    def poll(self) -> bool:
        """Read what was appended; True when rows (or a new header) arrived."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return False
        stamp = _stamp(stat)
        if stamp == self._stamp:
            return False
        self.changed_at = stat.st_mtime
        if stat.st_ino != self._inode or stat.st_size < self.offset:
            self._reset(stat.st_ino)
            self.restarted = True
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read(self.max_bytes)
        except OSError:
            return False
        self.at_end = len(chunk) < self.max_bytes
        # The stamp is kept only once the end is reached, so the next poll reads the rest.
        self._stamp = stamp if self.at_end else ()
        end = chunk.rfind(b"\n")
        if end < 0:
            return False
        self.offset += end + 1
        lines = chunk[:end].decode("utf-8", errors="replace").split("\n")
        if not self.header:
            self.header = lines.pop(0).strip().split(",")
            self._data = np.zeros((1024, len(self.header)))
        return self._append(lines) or self.n_rows == 0

    def _append(self, lines: list[str]) -> bool:
        width = len(self.header)
        cells = []
        for line in lines:
            parts = line.rstrip("\r").split(",")
            if len(parts) != width:
                self.skipped_rows += bool(line.strip())
                continue
            cells.extend(parts)
        if not cells:
            return False
        try:
            rows = np.array([c if c else "nan" for c in cells], dtype=np.float64).reshape(-1, width)
        except ValueError:  # a cell that is no number: go row by row
            rows = np.array([[_float(c) for c in cells[i:i + width]] for i in range(0, len(cells), width)])
        needed = self.n_rows + rows.shape[0]
        if needed > self._data.shape[0]:
            grown = np.zeros((max(needed, 2 * self._data.shape[0]), width))
            grown[: self.n_rows] = self._data[: self.n_rows]
            self._data = grown
        self._data[self.n_rows:needed] = rows
        self.n_rows = needed
        return True

    def column(self, name: str) -> np.ndarray:
        """A view of one column's values so far (NaN where empty); empty if there is no such column."""
        if name not in self.header:
            return np.zeros(0)
        return self._data[: self.n_rows, self.header.index(name)]


def _float(text: str) -> float:
    try:
        return float(text) if text else math.nan
    except ValueError:
        return math.nan


class JsonFollower:
    """A small JSON file replaced atomically: re-read when its stat changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.value: dict[str, Any] = {}
        self.changed_at = 0.0
        self.version = 0  # counts the values read, so a view redraws only what changed
        self._stamp: tuple = ()

    def poll(self) -> bool:
        try:
            stat = os.stat(self.path)
            if _stamp(stat) == self._stamp:
                return False
            value = json.loads(read_text_file(self.path, MAX_TEXT_FILE_BYTES))  # (a FIFO or a huge file: skipped)
        except (OSError, ValueError):
            return False  # not there yet, or caught mid-write by a non-atomic writer: next poll
        if not isinstance(value, dict):
            return False
        self._stamp, self.value, self.changed_at = _stamp(stat), value, stat.st_mtime
        self.version += 1
        return True


class SnapshotFollower(JsonFollower):
    """``snapshot.json`` and the ``.npy`` arrays it names."""

    def __init__(self, folder: Path) -> None:
        super().__init__(Path(folder) / SNAPSHOT_JSON)
        self.arrays: dict[str, np.ndarray] = {}

    def poll(self) -> bool:
        previous = self._stamp
        if not super().poll():
            return False
        arrays = {}
        for name, file_name in dict(self.value.get("arrays") or {}).items():
            try:
                arrays[name] = np.load(self.path.parent / str(file_name), allow_pickle=False)
            except (OSError, ValueError, EOFError):
                self._stamp = previous  # an array not readable yet: keep the last snapshot, retry
                return False
        self.arrays = arrays
        return True


class RunFollower:
    """One run folder followed as it grows; `record` gives what the panels draw."""

    def __init__(self, folder: str | Path, *, stall_seconds: float = STALL_SECONDS,
                 max_bytes: int = MAX_BYTES) -> None:
        self.folder = Path(folder)
        self.name = self.folder.name
        self.stall_seconds = stall_seconds
        self.epochs = CsvFollower(self.folder / METRICS_CSV, max_bytes)
        self.iterations = CsvFollower(self.folder / ITERATIONS_CSV, max_bytes)
        self.state = JsonFollower(self.folder / METRICS_JSON)
        self.snapshot = SnapshotFollower(self.folder)
        self.config: RunConfig | None = None
        self.config_problem = ""
        self.missing = False
        self.seen = False  # the folder has existed

    def poll(self) -> bool:
        """Read what is new; True when anything changed (including the folder vanishing)."""
        if not self.folder.is_dir():  # "missing" once it existed; before that the run is awaited
            changed, self.missing = self.seen and not self.missing, self.seen
            return changed
        changed = self.missing
        self.missing, self.seen = False, True
        if self.config is None:
            changed |= self._read_config()
        for follower in (self.state, self.epochs, self.iterations, self.snapshot):
            changed |= follower.poll()
        return changed

    def _read_config(self) -> bool:
        if not (self.folder / CONFIG_FILE).is_file():
            return False
        try:
            self.config = load_config(self.folder / CONFIG_FILE)
        except NnvizError as exc:
            self.config, self.config_problem = RunConfig(), str(exc)
        return True

    @property
    def caught_up(self) -> bool:
        """Whether every stream has been read to its end (not still catching up with a long run)."""
        return all(f.complete or not f.path.exists() for f in (self.epochs, self.iterations))

    def status(self, now: float | None = None) -> str:
        """running, finished, interrupted, diverged, stalled, waiting (no data yet) or missing."""
        if self.missing:
            return "missing"
        state = str(self.state.value.get("state") or "")
        if not state:
            return "waiting"
        newest = max(self.state.changed_at, self.epochs.changed_at, self.iterations.changed_at,
                      self.snapshot.changed_at)
        return judge(state, self.state.value, newest, time.time() if now is None else now, self.stall_seconds)

    def loss_column(self) -> np.ndarray:
        if "loss" in self.iterations.header:
            return self.iterations.column("loss")
        others = [name for name in self.iterations.header if name != "iteration"]
        return self.iterations.column(others[0]) if others else np.zeros(0)

    def rows_per_epoch(self) -> float:
        """Logged loss rows per epoch, for the loss curve's x axis (epochs)."""
        marks = self.epochs.column("iteration")
        numbers = self.iterations.column("iteration")
        first_epoch_end = float(marks[0]) if marks.size and math.isfinite(marks[0]) and marks[0] > 0 else 0.0
        if first_epoch_end and numbers.size and numbers[-1] >= first_epoch_end:
            return float(max(1, np.searchsorted(numbers, first_epoch_end, side="right")))
        planned = self.state.value.get("iterations_per_epoch")
        if isinstance(planned, (int, float)) and planned > 0:
            return float(planned)
        if first_epoch_end:  # the losses are still being caught up with: one row per iteration
            return first_epoch_end
        return float(max(numbers.size, 1))  # no epoch yet: the curve so far spans "one epoch"

    def record(self, loss_offset: int = 0) -> RunRecord:
        """The run as the panels draw it; iteration losses from ``loss_offset`` on."""
        config = self.config or RunConfig()
        loss = self.loss_column()
        rows = loss.size
        loss_offset = min(max(int(loss_offset), 0), rows)
        per_epoch = self.rows_per_epoch()
        epochs_column = self.epochs.column("epoch")
        columns = {name: self._epoch_column(name, epochs_column.size) for name in EPOCH_COLUMNS}
        curves = EpochCurves(epoch=epochs_column.copy(), **columns)
        snap, arrays = self.snapshot.value, self.snapshot.arrays
        images = arrays.get("filter_images", np.zeros((0, 1, 1), np.float32))
        confusion = arrays.get("confusion")
        names = tuple(str(n) for n in snap.get("class_names") or ())
        if confusion is not None and len(names) != confusion.shape[0]:
            names = tuple(str(i) for i in range(confusion.shape[0]))
        numbers = self.iterations.column("iteration")
        status = self.status()
        message = str(self.state.value.get("message") or "")
        if status == "stalled":
            message = "No new data: the writer has stopped or is stuck. " + message
        done = int(rows // per_epoch)
        return RunRecord(
            state=status, message=message, epoch=int(epochs_column.size),
            iteration=int(numbers[-1]) if numbers.size else 0,
            batch_in_epoch=int(rows - done * per_epoch) if rows else 0, batches_in_epoch=int(round(per_epoch)),
            iterations_per_epoch=per_epoch, learning_rate=config.optimizer.learning_rate,
            momentum=config.optimizer.momentum, batch_size=config.training.batch_size,
            samples_per_second=float(self.state.value.get("samples_per_second") or 0.0),
            train_loss=loss[loss_offset:].astype(np.float32), epochs=curves, loss_offset=loss_offset,
            first_layer_kind=str(snap.get("first_layer_kind") or ""),
            first_layer_weights=arrays.get("first_layer_weights", np.zeros((0, 0), np.float32)),
            filter_images=images, class_names=names, model_kind=config.model.kind, run_state=status,
            confusion_split=str(snap.get("confusion_split") or ""), confusion=confusion)

    def _epoch_column(self, name: str, n: int) -> np.ndarray:
        values = self.epochs.column(name)
        return values.copy() if values.size == n else np.full(n, np.nan)

    @property
    def dataset_kind(self) -> str:
        return str(self.snapshot.value.get("dataset_kind") or "image")


class RunDataFollower:
    """Keeps a loaded `RunData` of a run still being written up to date from what was appended.

    The Runs dock polls its running rows every second; loading such a folder whole each time read
    all of metrics.csv on the GUI thread: O(epochs) per second, and over an hour-long run the heap
    grew with the churn. The curves change only once the table is read to its end, so a row never
    shows a half-read run.
    """

    def __init__(self, run: RunData, max_bytes: int = MAX_BYTES) -> None:
        self.run = run
        self._state = JsonFollower(run.path / METRICS_JSON)
        self._table = CsvFollower(run.path / METRICS_CSV, max_bytes)

    def poll(self) -> bool:
        """Read what is new; True when ``run`` changed."""
        changed = self._state.poll()
        if changed:
            self.run = replace(self.run, metrics=self._state.value)
        if self._table.poll() and self._table.complete and "epoch" in self._table.header:
            self.run = replace(self.run, curves={name: self._table.column(name).copy() for name in self._table.header})
            changed = True
        return changed


def follow_until_caught_up(follower: RunFollower, limit: int = 10_000) -> RunFollower:
    """Poll until every stream is read to its end (a one-off reader, such as ``watch --once``)."""
    for _ in range(limit):
        follower.poll()
        if follower.missing or follower.caught_up:
            break
    return follower


def watched_folders(paths: list[str | Path]) -> list[Path]:
    """Run folders given directly, the runs inside sweep folders, and folders still to appear."""
    folders: list[Path] = []
    for raw in paths:
        path = Path(raw)
        inside = list_run_folders(path) if path.is_dir() and not is_run_folder(path) else []
        folders.extend(inside or [path])
    return list(dict.fromkeys(folders))


def read_record(folder: str | Path) -> RunRecord:
    """A run folder as it is now, with everything it has so far (a logged run's filters and confusion
    matrix come from its snapshot, which `reading.load_record` does not read)."""
    return follow_until_caught_up(RunFollower(folder)).record()
