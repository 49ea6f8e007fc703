"""Read run folders back: settings, final figures and per-epoch curves (file I/O only, no Qt).

A run folder is what ``nnviz train`` writes (see nnviz.core.run_folder). A *sweep folder* holds run
folders, and optionally ``sweep.json`` listing them in grid order.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnviz.core.config import RunConfig, load_config, read_text_file
from nnviz.core.errors import NnvizError
from nnviz.core.limits import MAX_TEXT_FILE_BYTES
from nnviz.core.run_folder import CONFIG_FILE, METRICS_CSV, METRICS_JSON, complete_run_state

MANIFEST = "sweep.json"
DONE_STATES = ("finished", "diverged")  # a run in one of these states is not run again


class RunFolderError(NnvizError):
    """A run folder is missing, not run yet, or unreadable; the message says which and why."""


@dataclass(slots=True)
class RunData:
    """One run folder, loaded. ``curves`` maps metrics.csv columns to float arrays (NaN when empty)."""

    name: str
    path: Path
    config: RunConfig
    metrics: dict[str, Any]
    curves: dict[str, np.ndarray]
    label: str = ""  # what differs from the other runs compared with it (set by compare.label_runs)
    settings: dict[str, Any] = field(default_factory=dict)  # flattened config, dotted keys

    @property
    def state(self) -> str:
        return str(self.metrics.get("state") or "unknown")

    @property
    def preset(self) -> str:
        return self.config.preset

    @property
    def n_epochs(self) -> int:
        return int(self.curves["epoch"].size) if "epoch" in self.curves else 0

    @property
    def seconds(self) -> float:
        value = self.metrics.get("seconds")
        return float(value) if isinstance(value, (int, float)) else math.nan

    def curve(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """(epochs, values) of one column, dropping epochs where it is empty."""
        epochs = self.curves.get("epoch", np.zeros(0))
        values = self.curves.get(metric, np.full(epochs.shape, np.nan))
        keep = np.isfinite(values)
        return epochs[keep], values[keep]

    def final(self, metric: str) -> float:
        """The metric at the last epoch it was measured (NaN if never)."""
        _, values = self.curve(metric)
        return float(values[-1]) if values.size else math.nan

    def best(self, metric: str) -> float:
        _, values = self.curve(metric)
        if not values.size:
            return math.nan
        return float(values.min() if metric.endswith("loss") else values.max())


def flatten_settings(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"optimizer": {"learning_rate": 3.0}} -> {"optimizer.learning_rate": 3.0}; lists stay values."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten_settings(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def read_metrics_csv(path: Path) -> dict[str, np.ndarray]:
    try:
        rows = list(csv.reader(io.StringIO(read_text_file(path, MAX_TEXT_FILE_BYTES), newline="")))
    except (ValueError, csv.Error) as exc:  # too long, not a file, not text, a field over csv's limit
        raise RunFolderError(f"{path} is not an nnviz metrics file: {exc}") from None
    if not rows or "epoch" not in rows[0]:
        raise RunFolderError(f"{path} has no header row with an epoch column")
    header = rows[0]
    columns: dict[str, list[float]] = {name: [] for name in header}
    for line_number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise RunFolderError(f"{path}, line {line_number}: {len(row)} values for {len(header)} columns")
        for name, text in zip(header, row):
            try:
                columns[name].append(float(text) if text.strip() else math.nan)
            except ValueError:
                raise RunFolderError(f"{path}, line {line_number}: {name} = {text!r} is not a number") from None
    return {name: np.asarray(values, dtype=np.float64) for name, values in columns.items()}


def run_state(folder: Path) -> str | None:
    """"finished"/"diverged"/... from metrics.json, or None when the run has not ended, is broken, or
    lacks a file (killed while writing its model)."""
    try:
        metrics = json.loads(read_text_file(folder / METRICS_JSON, MAX_TEXT_FILE_BYTES))
    except (OSError, ValueError, RecursionError):
        return None
    return complete_run_state(folder, metrics)  # "finished" only with every file of the run there


def is_done(folder: Path) -> bool:
    return run_state(folder) in DONE_STATES


def load_run(path: str | Path) -> RunData:
    """Load one run folder; RunFolderError says what is missing or broken."""
    folder = Path(path)
    if not folder.is_dir():
        raise RunFolderError(f"{folder}: no such folder")
    if not (folder / CONFIG_FILE).is_file():
        raise RunFolderError(f"{folder}: not a run folder (no {CONFIG_FILE})")
    if not (folder / METRICS_JSON).is_file():
        raise RunFolderError(f"{folder}: no {METRICS_JSON} (not run yet, still running, or it failed)")
    config = load_config(folder / CONFIG_FILE)
    try:
        metrics = json.loads(read_text_file(folder / METRICS_JSON, MAX_TEXT_FILE_BYTES))
    except (OSError, ValueError) as exc:
        raise RunFolderError(f"{folder / METRICS_JSON} is unreadable: {exc}") from None
    except RecursionError:
        raise RunFolderError(f"{folder / METRICS_JSON} nests too deeply to be nnviz's figures") from None
    if not isinstance(metrics, dict):
        raise RunFolderError(f"{folder / METRICS_JSON} is not a table of figures")
    try:
        curves = read_metrics_csv(folder / METRICS_CSV)
    except OSError as exc:
        raise RunFolderError(f"{folder / METRICS_CSV} is unreadable: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RunFolderError(f"{folder / METRICS_CSV} is not text") from None
    return RunData(folder.name, folder, config, metrics, curves, settings=flatten_settings(config.to_dict()))


def _natural_key(name: str) -> list[Any]:
    """Order "lr=0.001_batch=10" by its values as numbers where they are numbers."""
    key: list[Any] = []
    for part in re.split(r"[_]", name):
        label, _, value = part.partition("=")
        try:
            key.append((0, label, float(value), ""))
        except ValueError:
            numbers = [int(n) for n in re.findall(r"\d+", value)]
            key.append((1, label, float(numbers[0]) if numbers else 0.0, value))
    return key


def is_run_folder(folder: Path) -> bool:
    return (folder / CONFIG_FILE).is_file()


def list_run_folders(folder: str | Path) -> list[Path]:
    """The run folders inside a sweep folder: sweep.json's order first, then the rest by value."""
    folder = Path(folder)
    found = [child for child in folder.iterdir() if child.is_dir() and is_run_folder(child)]
    order: list[str] = []
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        order = [str(name) for name in manifest.get("runs", [])]
    except (OSError, ValueError, AttributeError):
        pass
    position = {name: i for i, name in enumerate(order)}
    return sorted(found, key=lambda p: (position.get(p.name, len(order)), _natural_key(p.name)))


def expand_run_paths(paths: list[str | Path]) -> tuple[list[Path], list[str]]:
    """Run folders given directly, or sweep folders standing for all the run folders inside.

    Returns (run folders, problems) where problems name paths that are neither.
    """
    folders: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            problems.append(f"{path}: no such folder")
        elif is_run_folder(path):
            folders.append(path)
        else:
            inside = list_run_folders(path)
            if inside:
                folders.extend(inside)
            else:
                problems.append(f"{path}: neither a run folder (no {CONFIG_FILE}) nor a folder of runs")
    unique = list(dict.fromkeys(p.resolve() for p in folders))
    return [Path(p) for p in unique], problems


def load_runs(paths: list[str | Path]) -> tuple[list[RunData], list[str]]:
    """Load every run (expanding sweep folders); broken ones become problem lines, not errors."""
    folders, problems = expand_run_paths(paths)
    runs: list[RunData] = []
    for folder in folders:
        try:
            runs.append(load_run(folder))
        except NnvizError as exc:
            problems.append(str(exc))
    return runs, problems
