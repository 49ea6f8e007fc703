"""A student's own training loop writing an nnviz run folder (``import nnviz.log``); NumPy only.

Calls are cheap: ``log`` stores one row in memory and the rows reach ``iterations.csv`` at most
every ``flush_seconds`` (and at every ``log_epoch``); ``snapshot`` keeps copies and writes them
at the same pace. Whatever was flushed stays readable if the process dies. A write that fails
(full disk, folder removed) never raises into the loop: one warning, and logging stops.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import sys
import time
import tomllib
import warnings
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from nnviz.core.config import RunConfig
from nnviz.core.errors import ConfigError
from nnviz.core.metrics import confusion_matrix
from nnviz.core.run_folder.streams import FINISHED, INTERRUPTED, ITERATIONS_CSV, RUNNING, CsvAppender, \
    remove_stream_files, write_snapshot, write_state
from nnviz.core.run_status import writer_alive

LOGGED_PRESET = "logged"
# A student's names for settings nnviz knows: mapped into config.toml so `nnviz compare` labels
# runs by them ("lr=0.5"); the whole dict is kept verbatim in its [logged] table.
KNOWN_SETTINGS = {
    "lr": "optimizer.learning_rate", "learning_rate": "optimizer.learning_rate", "eta": "optimizer.learning_rate",
    "batch": "training.batch_size", "batch_size": "training.batch_size", "mini_batch_size": "training.batch_size",
    "epochs": "training.epochs", "momentum": "optimizer.momentum", "seed": "training.seed",
    "hidden": "model.hidden", "sizes": "model.hidden", "activation": "model.activation", "loss": "model.loss",
    "data": "data.name", "dataset": "data.name", "optimizer": "optimizer.name",
}


def open_run(folder: str | Path, config: dict[str, Any] | None = None, *, class_names: list[str] | None = None,
             flush_seconds: float = 0.5) -> "LoggedRun":
    """Create (or replace) the run folder ``folder`` and write its ``config.toml``."""
    return LoggedRun(folder, config or {}, class_names=class_names, flush_seconds=flush_seconds)


class LoggedRun:
    """One run being logged; also a context manager (an exception leaves state "interrupted")."""

    def __init__(self, folder: str | Path, config: dict[str, Any], *, class_names: list[str] | None = None,
                 flush_seconds: float = 0.5) -> None:
        self.folder = Path(folder)
        self.flush_seconds = float(flush_seconds)
        self.class_names = [str(c) for c in class_names] if class_names else None
        self.stopped = False  # True after a failed write: every call returns at once
        self._rows: list[tuple[int, dict[str, float]]] = []  # (iteration, scalars) not yet written
        self._iteration = 0
        self._epochs: list[dict[str, float]] = []
        self._snapshot: dict[str, Any] | None = None
        self._last_flush = time.monotonic()
        self._started = time.time()
        self._closed = False
        self._iterations = self._metrics = None
        self._guard(self._open, dict(config))
        atexit.register(_close_at_exit, weakref.ref(self))

    # --- the student's calls ------------------------------------------------------------------
    def log(self, iteration: int | None = None, **scalars: Any) -> None:
        """Per-iteration scalars, any names (``loss=0.12``); ``iteration`` counts on by itself."""
        if self.stopped:
            return
        self._iteration = self._iteration + 1 if iteration is None else int(iteration)
        for name, value in scalars.items():
            if type(value) is not float:  # a NumPy or torch scalar: never keep the object itself
                scalars[name] = _number(value)
        self._rows.append((self._iteration, scalars))
        if time.monotonic() - self._last_flush >= self.flush_seconds:
            self._guard(self._flush)

    def log_epoch(self, epoch: int | None = None, **columns: Any) -> None:
        """One ``metrics.csv`` row (any columns, e.g. ``val_accuracy=0.91``), written at once."""
        if self.stopped:
            return
        number = len(self._epochs) + 1 if epoch is None else int(epoch)
        row = {"epoch": number, "iteration": self._iteration}
        row.update({name: _number(value) for name, value in columns.items()})
        self._epochs.append(row)
        self._guard(self._write_epoch, row)

    def snapshot(self, weights: Any = None, labels: Any = None, predictions: Any = None, *,
                 confusion: Any = None, n_classes: int | None = None) -> None:
        """First-layer ``weights`` (units x inputs, or conv kernels C_out x C_in x KH x KW) become the
        filters; ``labels`` with ``predictions`` (classes, or scores per class) the confusion matrix."""
        if self.stopped:
            return
        parts: dict[str, Any] = dict(self._snapshot or {})
        if weights is not None:
            parts.update(_weights_parts(np.array(weights, dtype=np.float32)))
        if labels is not None and predictions is not None:
            confusion = self._confusion(labels, predictions, n_classes)
        if confusion is not None:
            parts["confusion"] = np.array(confusion, dtype=np.int64)
        self._snapshot = parts
        if time.monotonic() - self._last_flush >= self.flush_seconds:
            self._guard(self._flush)

    def close(self, state: str = FINISHED, message: str = "") -> None:
        """Flush everything and mark the run ``state`` (finished, interrupted or diverged)."""
        if self._closed:
            return
        self._closed = True
        if not self.stopped:
            self._guard(self._finish, state, message)
        for stream in (self._iterations, self._metrics):
            if stream is not None:
                stream.abandon()

    def __enter__(self) -> "LoggedRun":
        return self

    def __exit__(self, exc_type, exc, _tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.close(INTERRUPTED, f"{exc_type.__name__}: {exc}" if str(exc) else exc_type.__name__)

    # --- writing ------------------------------------------------------------------------------
    def _guard(self, write, *args) -> None:
        """Run a write; the first OSError stops logging with one warning instead of raising."""
        try:
            write(*args)
        except OSError as exc:
            self.stopped = True
            self._rows.clear()
            warnings.warn(f"nnviz.log: cannot write {self.folder} ({exc.strerror or exc}); logging stopped, "
                          "training goes on", RuntimeWarning, stacklevel=3)

    def _open(self, config: dict[str, Any]) -> None:
        if self.folder.exists() and not self.folder.is_dir():
            raise NotADirectoryError(20, "it is a file, not a folder")
        if _written_by_another_live_process(self.folder):
            raise BlockingIOError(11, "another running process writes this run folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        remove_stream_files(self.folder)
        text = config_toml(config)
        from nnviz.core.atomic import atomic_write_bytes

        atomic_write_bytes(self.folder / "config.toml", text.encode())
        self._iterations = CsvAppender(self.folder / ITERATIONS_CSV, ["iteration"])
        self._metrics = CsvAppender(self.folder / "metrics.csv", ["epoch", "iteration"])
        self._write_state(RUNNING)

    def _flush(self) -> None:
        self._write_rows()
        self._iterations.flush()
        if self._snapshot is not None:
            self._write_snapshot()
        self._last_flush = time.monotonic()

    def _write_rows(self) -> None:
        """The buffered rows as CSV lines; rows naming the file's columns in its order (the usual
        case) are formatted here in bulk, any other row goes through the appender (new columns)."""
        stream, lines = self._iterations, []
        names = tuple(stream.columns[1:])
        for iteration, scalars in self._rows:
            if tuple(scalars) == names:
                lines.append(",".join([str(iteration), *[repr(v) if v == v else "" for v in scalars.values()]]))
                continue
            if lines:
                stream.add_lines("\n".join(lines) + "\n")
                lines = []
            stream.add({"iteration": iteration, **scalars})
            names = tuple(stream.columns[1:])
        if lines:
            stream.add_lines("\n".join(lines) + "\n")
        self._rows.clear()

    def _write_epoch(self, row: dict[str, float]) -> None:
        self._metrics.add(row)
        self._metrics.flush()
        self._flush()
        self._write_state(RUNNING)

    def _finish(self, state: str, message: str) -> None:
        self._flush()
        self._metrics.flush()
        self._write_state(state, message)

    def _write_snapshot(self) -> None:
        parts = self._snapshot or {}
        self._snapshot = None
        names = self.class_names or []
        if not names and "confusion" in parts:
            names = [str(i) for i in range(parts["confusion"].shape[0])]
        write_snapshot(self.folder, epoch=len(self._epochs), iteration=self._iteration,
                       arrays={k: parts.get(k) for k in ("first_layer_weights", "filter_images", "confusion")},
                       first_layer_kind=parts.get("kind", ""), class_names=names, confusion_split="val",
                       dataset_kind="image")

    def _write_state(self, state: str, message: str = "") -> None:
        metrics: dict[str, Any] = {"preset": LOGGED_PRESET, "state": state, "message": message,
                                   "epochs": len(self._epochs), "iterations": self._iteration,
                                   "seconds": time.time() - self._started}
        if self._epochs:
            metrics.update(self._epochs[-1])
            for name in self._epochs[-1]:
                if name.endswith("accuracy"):
                    values = [r[name] for r in self._epochs if math.isfinite(r.get(name, math.nan))]
                    metrics[f"best_{name}"] = max(values, default=math.nan)
        metrics["epochs"] = len(self._epochs)
        if self._epochs and self._iteration:
            metrics["iterations_per_epoch"] = max(1, round(self._epochs[0]["iteration"]))
        write_state(self.folder, metrics)

    def _confusion(self, labels: Any, predictions: Any, n_classes: int | None) -> np.ndarray:
        y = np.asarray(labels).reshape(-1).astype(np.int64)
        p = np.asarray(predictions)
        p = (p.argmax(axis=1) if p.ndim == 2 else p.reshape(-1)).astype(np.int64)
        k = n_classes or (len(self.class_names) if self.class_names else int(max(y.max(initial=0),
                                                                                  p.max(initial=0))) + 1)
        return confusion_matrix(y, p, k)


def config_toml(config: dict[str, Any]) -> str:
    """A valid nnviz config (the settings it knows, mapped) plus the student's dict as [logged]."""
    run = RunConfig(preset=LOGGED_PRESET)
    for key, value in config.items():
        target = KNOWN_SETTINGS.get(str(key))
        if target is None:
            continue
        if target == "model.hidden" and isinstance(value, int):
            value = [value]
        if key == "sizes" and isinstance(value, (list, tuple)):  # network.py's [784, 30, 10]
            value = list(value)[1:-1]
        try:
            run = run.with_changes(**{target: _plain(value)})
        except (ConfigError, TypeError, ValueError):
            continue  # kept in [logged] only
    tree = tomllib.loads(run.to_toml())
    tree["logged"] = {str(k): _plain(v) for k, v in config.items() if _plain(v) is not None}
    header = "# Written by nnviz.log: [logged] holds the run's own settings; the other tables are what\n" \
             "# nnviz understood of them (for `nnviz compare`), the rest are nnviz's defaults.\n"
    return header + tomli_w.dumps(tree)


def _plain(value: Any) -> Any:
    """A TOML-able copy: NumPy scalars and arrays become numbers and lists, anything else text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        items = [_plain(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
        return [v for v in items if v is not None]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if _plain(v) is not None}
    return str(value)


def _number(value: Any) -> float:
    try:
        return float(value)  # Python, NumPy and torch scalars (torch calls .item())
    except (TypeError, ValueError):
        return math.nan


def _weights_parts(weights: np.ndarray) -> dict[str, Any]:
    """units x inputs -> one image per unit (square inputs as images, 3 s^2 as RGB); conv kernels."""
    if weights.ndim == 4:  # (C_out, C_in, KH, KW)
        images = weights.transpose(0, 2, 3, 1) if weights.shape[1] == 3 else weights.mean(axis=1)
        return {"kind": "conv2d", "first_layer_weights": weights, "filter_images": np.ascontiguousarray(images)}
    if weights.ndim != 2:
        weights = weights.reshape(weights.shape[0], -1)
    units, inputs = weights.shape
    side = math.isqrt(inputs)
    colour_side = math.isqrt(inputs // 3) if inputs % 3 == 0 else 0
    if side * side == inputs and side > 1:
        images = weights.reshape(units, side, side)
    elif colour_side > 1 and 3 * colour_side * colour_side == inputs:  # channels first, as a flattened CHW
        images = weights.reshape(units, 3, colour_side, colour_side).transpose(0, 2, 3, 1)
    else:
        images = weights.reshape(units, 1, inputs)
    return {"kind": "dense", "first_layer_weights": np.ascontiguousarray(weights.T),
            "filter_images": np.ascontiguousarray(images)}


def _written_by_another_live_process(folder: Path) -> bool:
    try:
        state = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(state, dict) and state.get("state") == RUNNING and writer_alive(state) is True \
        and state.get("pid") != os.getpid()


def _close_at_exit(reference: "weakref.ref[LoggedRun]") -> None:
    """A script that ends without close(): finished, or interrupted when an exception ended it."""
    run = reference()
    if run is None or run._closed:
        return
    failure = getattr(sys, "last_value", None)
    if failure is None:
        run.close()
    else:
        run.close(INTERRUPTED, f"{type(failure).__name__}: {failure}")
