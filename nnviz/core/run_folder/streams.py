"""The append-only side of a run folder, written while the run goes (no Qt).

A folder that a reader may follow while it grows holds, besides ``config.toml``:

- ``metrics.csv``: one row per epoch, appended and flushed at each epoch's end;
- ``iterations.csv``: per-iteration scalars (``iteration,loss,...``), appended in batches at most
  every half second; a reader uses complete lines only, so a half-written last line is harmless;
- ``snapshot.json`` plus small ``.npy`` files (first-layer weights, filter images, confusion
  matrix), each replaced atomically, ``snapshot.json`` last, so it never names a half file;
- ``metrics.json``: ``state`` (``running``, ``finished``, ``interrupted``, ``diverged``) and the
  writer's ``pid`` and ``host``, so a reader can tell a run that stopped growing.

A CSV stream that gains a column rewrites its file once with the wider header (atomically, so a
reader sees a new file and starts it again); appends never rewrite.
"""

from __future__ import annotations

import io
import json
import math
import os
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np

from nnviz.core.atomic import atomic_write, atomic_write_bytes
from nnviz.core.run_folder.files import METRICS_CSV, METRICS_JSON, MODEL_FILE

ITERATIONS_CSV = "iterations.csv"
SNAPSHOT_JSON = "snapshot.json"
SNAPSHOT_ARRAYS = {"first_layer_weights": "first_layer_weights.npy", "filter_images": "filter_images.npy",
                   "confusion": "confusion.npy"}
RUNNING, FINISHED, INTERRUPTED, DIVERGED = "running", "finished", "interrupted", "diverged"
STREAM_FILES = (METRICS_CSV, ITERATIONS_CSV, SNAPSHOT_JSON, METRICS_JSON, *SNAPSHOT_ARRAYS.values())


def csv_text(value: Any) -> str:
    """One CSV cell: exact floats (repr), empty for NaN/None, plain text without commas otherwise."""
    kind = type(value)
    if kind is float:  # the common case first: this runs for every logged scalar
        return repr(value) if value == value else ""
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return "" if math.isnan(number) else repr(number)
    try:  # a 0-d array or a torch scalar has a __float__
        return csv_text(float(value))
    except (TypeError, ValueError):
        return str(value).replace(",", ";").replace("\n", " ")


class CsvAppender:
    """An append-only CSV file with a header; rows are buffered until `flush`.

    Columns come from the first row and grow when a later row names a new one (the file is then
    rewritten once, atomically, with the new column empty in the older rows).
    """

    def __init__(self, path: Path, columns: list[str] | tuple[str, ...] = (), *, append: bool = False) -> None:
        self.path = Path(path)
        self.columns: list[str] = list(columns)
        self._pending: list[str] = []
        self._known: set[str] = set(self.columns)
        if append and self.path.is_file():
            with self.path.open(encoding="utf-8") as handle:
                header = handle.readline().strip()
            self.columns = header.split(",") if header else self.columns
            self._known = set(self.columns)
            self._handle = self.path.open("a", encoding="utf-8")
        else:
            self._handle = self.path.open("w", encoding="utf-8")
            if self.columns:
                self._handle.write(",".join(self.columns) + "\n")
                self._handle.flush()

    def add(self, row: dict[str, Any]) -> None:
        if len(row) != len(self.columns) or any(name not in self._known for name in row):
            new = [name for name in row if name not in self._known]
            if new:
                self._widen(new)
        self._pending.append(",".join([csv_text(row.get(name)) for name in self.columns]) + "\n")

    def add_lines(self, text: str) -> None:
        """Rows already formatted for the current columns (the trainer's losses, in bulk)."""
        self._pending.append(text)

    def flush(self) -> None:
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self._handle.write(text)
        self._handle.flush()

    def _widen(self, new: list[str]) -> None:
        self.flush()
        had_header = bool(self.columns)
        self.columns.extend(new)
        self._known.update(new)
        self._handle.close()
        old = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        body = old[1:] if had_header else old
        pad = "," * len(new) if had_header else ""
        lines = [line.rstrip("\n") + pad + "\n" for line in body if line.endswith("\n")]
        atomic_write_bytes(self.path, (",".join(self.columns) + "\n" + "".join(lines)).encode())
        self._handle = self.path.open("a", encoding="utf-8")

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Close without flushing what is pending (after a failed write: the disk is full)."""
        self._pending.clear()
        try:
            self._handle.close()
        except OSError:
            pass  # the buffer that could not be written is dropped with it


def write_npy(path: Path, array: np.ndarray) -> None:
    """One array as ``.npy``, atomically, never pickled."""
    data = np.ascontiguousarray(array)
    atomic_write(Path(path), lambda handle: np.save(handle, data, allow_pickle=False))


def write_snapshot(folder: Path, *, epoch: int, iteration: int, arrays: dict[str, np.ndarray | None],
                   **meta: Any) -> None:
    """The record's parts as small ``.npy`` files, then ``snapshot.json`` naming them."""
    written = {}
    for name, array in arrays.items():
        if array is None:
            continue
        file_name = SNAPSHOT_ARRAYS[name]
        write_npy(folder / file_name, array)
        written[name] = file_name
    info = {"epoch": int(epoch), "iteration": int(iteration), "time": time.time(), "arrays": written, **meta}
    atomic_write_bytes(folder / SNAPSHOT_JSON, (json.dumps(info, default=_json_default) + "\n").encode())


def writer_identity() -> dict[str, Any]:
    """Who writes the folder: a reader on the same host checks whether this process still lives."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "updated": time.time()}


def write_state(folder: Path, metrics: dict[str, Any]) -> None:
    """metrics.json, atomically, with the writer's identity and the time (NaN becomes null)."""
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in metrics.items()}
    clean.update(writer_identity())
    text = json.dumps(clean, indent=2, default=_json_default)
    atomic_write_bytes(Path(folder) / METRICS_JSON, (text + "\n").encode())


def remove_stream_files(folder: Path, keep: tuple[str, ...] = ()) -> None:
    """Clear what an earlier run left in ``folder`` before a new one starts writing there."""
    for name in (*STREAM_FILES, MODEL_FILE, "checkpoint.npz"):
        if name not in keep:
            try:
                (Path(folder) / name).unlink()
            except FileNotFoundError:
                pass


def format_losses(first_iteration: int, losses: np.ndarray) -> str:
    """``iteration,loss`` lines for a block of consecutive iterations (1-based numbers)."""
    if losses.size == 0:
        return ""
    out = io.StringIO()
    numbers = np.arange(first_iteration + 1, first_iteration + 1 + losses.size)
    np.savetxt(out, np.column_stack([numbers, losses.astype(np.float64)]), fmt=("%d", "%.9g"), delimiter=",")
    return out.getvalue().replace("nan", "")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return str(value)
