"""Reading run folders back: settings, final figures, per-epoch curves and the record."""

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
from nnviz.core.history import EPOCH_FIELDS, LearningRateChange
from nnviz.core.limits import MAX_TEXT_FILE_BYTES
from nnviz.core.model_io import load_model
from nnviz.core.record import EpochCurves, RunRecord, filter_images
from nnviz.core.run_folder.files import CONFIG_FILE, METRICS_CSV, METRICS_JSON, MODEL_FILE
from nnviz.core.run_folder.writing import complete_run_state


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

    @property
    def best_epoch(self) -> int | None:
        """The epoch of the lowest validation loss, as metrics.json records it."""
        value = self.metrics.get("best_epoch")
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 1 else None

    @property
    def lr_changes(self) -> tuple[LearningRateChange, ...]:
        """Learning rates changed by hand mid-run; entries that are not four numbers are skipped
        (a hand-edited or older metrics.json never stops the folder from loading)."""
        changes = []
        for entry in self.metrics.get("lr_changes") or ():
            try:
                changes.append(LearningRateChange(int(entry["iteration"]), float(entry["epoch"]), float(entry["old"]),
                                                  float(entry["new"])))
            except (TypeError, KeyError, ValueError):
                continue
        return tuple(changes)

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


def load_record(path: str | Path) -> RunRecord:
    """A run folder read back as the record its panels draw: per-epoch curves, run state and, when
    ``model.npz`` is there, the first layer's weights and filter images."""
    run = load_run(path)
    epochs = run.curves.get("epoch", np.zeros(0))
    column = {name: run.curves.get(name, np.full(epochs.shape, np.nan)) for name in EPOCH_FIELDS}
    curves = EpochCurves(epoch=epochs, **{name: column[name] for name in (
        "train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")})
    kind, weights, images, class_names = "", np.zeros((0, 0), np.float32), np.zeros((0, 1, 1), np.float32), ()
    model_path = run.path / MODEL_FILE
    if model_path.is_file():
        loaded = load_model(model_path)
        first = loaded.network.first_trainable_layer()
        class_names = tuple(loaded.class_names)
        if first is not None:
            kind, weights = first.kind, first.params["W"].copy()
            images = filter_images(first, loaded.network.input_shape)
    config = run.config
    return RunRecord(
        state=run.state, message=str(run.metrics.get("message") or ""), epoch=run.n_epochs,
        iteration=int(run.metrics.get("iterations") or 0), batch_in_epoch=0, batches_in_epoch=0,
        iterations_per_epoch=0.0, learning_rate=config.optimizer.learning_rate,
        momentum=config.optimizer.momentum, batch_size=config.training.batch_size,
        samples_per_second=float(run.metrics.get("samples_per_second") or 0.0), train_loss=np.zeros(0, np.float32),
        epochs=curves, first_layer_kind=kind, first_layer_weights=weights, filter_images=images,
        class_names=class_names, model_kind=config.model.kind, run_state=run.state, best_epoch=run.best_epoch,
        lr_changes=run.lr_changes)
