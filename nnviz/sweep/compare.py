"""What differs between runs, and their final figures as a table and CSV (no Qt).

Legends name what differs: the runs' config.toml files are flattened to dotted settings and the
settings whose values are not all equal become the label ("lr=1.0", "batch=50, lr=0.1"). Runs of
different presets are labelled by preset, plus the settings they changed from that preset.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nnviz.core.atomic import atomic_write_bytes
from nnviz.core.errors import ExportError, NnvizError
from nnviz.core.history import EPOCH_FIELDS
from nnviz.core.presets import PRESETS

from nnviz.sweep.axes import SHORT_NAMES, format_hidden
from nnviz.core.run_folder import RunData, flatten_settings

METRICS = tuple(name for name in EPOCH_FIELDS if name not in ("epoch", "iteration"))
METRIC_TITLES = {
    "val_accuracy": "validation accuracy", "test_accuracy": "test accuracy", "train_accuracy": "training accuracy",
    "val_loss": "validation loss", "test_loss": "test loss", "train_loss": "training loss",
    "learning_rate": "learning rate", "train_mistakes": "training mistakes", "seconds": "seconds per epoch",
}
IGNORED_SETTINGS = {"schema_version"}
SETTING_WORDS = {"optimizer.learning_rate": "the learning rate", "training.batch_size": "the mini-batch size",
                 "model.hidden": "the hidden layers", "training.seed": "the seed", "data.name": "the data set",
                 "model.activation": "the activation", "model.loss": "the loss", "optimizer.name": "the optimiser",
                 "optimizer.momentum": "the momentum", "training.epochs": "the epochs"}
MAX_LABEL_PARTS = 4


def metric_title(metric: str) -> str:
    return METRIC_TITLES.get(metric, metric.replace("_", " "))


def is_accuracy(metric: str) -> bool:
    return metric.endswith("accuracy")


def higher_is_better(metric: str) -> bool:
    return is_accuracy(metric)


def format_metric(metric: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    if is_accuracy(metric):
        return f"{value:.2%}"
    return f"{value:.4g}"


def choose_metric(runs: Sequence[RunData], requested: str | None) -> str:
    """The requested metric, or the first accuracy the runs have (validation, test, training)."""
    if requested:
        if requested not in METRICS:
            raise NnvizError(f"unknown metric {requested!r}; choose one of: {', '.join(METRICS)}")
        return requested
    for metric in ("val_accuracy", "test_accuracy", "train_accuracy"):
        if any(run.curve(metric)[1].size for run in runs):
            return metric
    return "train_loss"


# --- labels ------------------------------------------------------------------------------------
def format_setting(key: str, value: Any) -> str:
    """``optimizer.learning_rate``, 1.0 -> ``lr=1.0``; lists of sizes as ``100x30``."""
    name = SHORT_NAMES.get(key, key.rsplit(".", 1)[-1])
    return f"{name}={format_value(key, value)}"


def format_value(key: str, value: Any) -> str:
    if key == "model.hidden" and isinstance(value, list):
        return format_hidden(value)
    if value is None and key.startswith("data.") and key.endswith("_size"):
        return "all"
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, float):
        text = f"{value:.6g}"
        return text if any(c in text for c in ".en") else text + ".0"
    return str(value)


def differing_settings(runs: Sequence[RunData]) -> list[str]:
    """Dotted settings whose values are not the same in every run, most distinct values first."""
    keys: list[str] = []
    for run in runs:
        keys += [k for k in run.settings if k not in keys and k not in IGNORED_SETTINGS]
    distinct = {k: len({repr(run.settings.get(k)) for run in runs}) for k in keys}
    varying = [k for k in keys if distinct[k] > 1]
    # Settings with the most distinct values first: they tell runs apart when labels are cut short.
    return sorted(varying, key=lambda k: -distinct[k])


def _depth_only(runs: Sequence[RunData], keys: list[str]) -> int | None:
    """The common width when runs differ only in how many equal hidden layers they have."""
    if keys != ["model.hidden"]:
        return None
    widths = {size for run in runs for size in run.config.model.hidden}
    return widths.pop() if len(widths) == 1 else None


def _preset_settings(name: str) -> dict[str, Any] | None:
    preset = PRESETS.get(name)
    return flatten_settings(preset.config().to_dict()) if preset else None


def _join(parts: list[str]) -> str:
    if len(parts) > MAX_LABEL_PARTS:
        parts = parts[:MAX_LABEL_PARTS] + ["…"]
    return ", ".join(parts)


def label_runs(runs: Sequence[RunData]) -> list[str]:
    """Set and return each run's label: what differs between it and the others."""
    keys = differing_settings(runs)
    labels: list[str] = []
    width = _depth_only(runs, keys)
    for run in runs:
        if not keys:
            label = run.name
        elif width is not None:
            label = f"layers={len(run.config.model.hidden)}"
        elif "preset" in keys:
            defaults = _preset_settings(run.preset)
            parts = [format_setting(k, run.settings.get(k)) for k in keys if k != "preset"
                     and (defaults is None or run.settings.get(k) != defaults.get(k))]
            label = run.preset + (f": {_join(parts)}" if parts else "")
        else:
            label = _join([format_setting(k, run.settings.get(k)) for k in keys])
        labels.append(label)
    repeated = {label for label in labels if labels.count(label) > 1}
    for i, run in enumerate(runs):  # identical settings in different folders: add the folder name
        if labels[i] in repeated:
            labels[i] = f"{labels[i]} ({run.name})" if labels[i] != run.name else str(run.path)
    for run, label in zip(runs, labels):
        run.label = label
    return labels


def differences_from(reference: dict[str, Any], settings: dict[str, Any]) -> str:
    """What a run's flattened ``settings`` change from ``reference`` (the run in the window), for an
    overlay's legend: "lr=100", "batch=50, lr=0.5", "cnn: epochs=3"; "same settings" if nothing."""
    keys = [k for k in dict.fromkeys([*settings, *reference])
            if k not in IGNORED_SETTINGS and k != "preset" and settings.get(k) != reference.get(k)]
    prefix = ""
    if settings.get("preset") != reference.get("preset"):
        prefix = str(settings.get("preset"))
        defaults = _preset_settings(prefix)
        keys = [k for k in keys if defaults is None or settings.get(k) != defaults.get(k)]
    keys.sort(key=lambda k: (k not in SHORT_NAMES, k))  # lr, batch, hidden, ... before the rest
    parts = _join([format_setting(k, settings.get(k)) for k in keys]) if keys else ""
    if prefix:
        return f"{prefix}: {parts}" if parts else prefix
    return parts or "same settings"


def common_description(runs: Sequence[RunData]) -> str:
    """What all runs share, for a figure title: "nielsen on mnist, varying lr"."""
    keys = differing_settings(runs)
    presets = {run.preset for run in runs}
    data = {run.config.data.name for run in runs}
    parts = []
    if len(presets) == 1:
        parts.append(presets.pop())
    if len(data) == 1:
        parts.append(f"on {data.pop()}")
    text = " ".join(parts)
    if _depth_only(runs, keys) is not None:
        varying = [f"the number of hidden layers ({_depth_only(runs, keys)} neurons each)"]
    else:
        words = dict(SETTING_WORDS)
        if all(len(run.config.model.hidden) == 1 for run in runs):
            words["model.hidden"] = "the number of hidden neurons"
        varying = [words.get(k, SHORT_NAMES.get(k, k.rsplit(".", 1)[-1])) for k in keys
                   if k != "preset"][:MAX_LABEL_PARTS]
    if varying and len(presets) <= 1:
        text += (", " if text else "") + "varying " + " and ".join(varying)
    return text


SUBTITLE_KEYS = ("data.name", "data.train_size", "model.hidden", "model.activation", "model.loss", "optimizer.name",
                 "optimizer.learning_rate", "optimizer.momentum", "training.batch_size", "training.epochs")


def common_settings(runs: Sequence[RunData]) -> str:
    """The main settings every run shares, e.g. "hidden=30 · batch=10 · epochs=30" (figure subtitle)."""
    varying = set(differing_settings(runs))
    parts = []
    for key in SUBTITLE_KEYS:
        values = {repr(run.settings.get(key)) for run in runs}
        if key in varying or len(values) != 1 or not runs:
            continue
        value = runs[0].settings.get(key)
        if (key == "optimizer.momentum" and not value) or (key == "data.train_size" and value is None):
            continue
        parts.append(format_setting(key, value))
    return " · ".join(parts)


# --- table -------------------------------------------------------------------------------------
def ranked(runs: Sequence[RunData], metric: str) -> list[RunData]:
    """Best first by the metric's final value; diverged runs and runs without the metric last."""
    sign = -1.0 if higher_is_better(metric) else 1.0

    def key(run: RunData) -> tuple[int, float]:
        value = run.final(metric)
        if not math.isfinite(value):
            return (2, 0.0)
        return (1 if run.state == "diverged" else 0, sign * value)

    return sorted(runs, key=key)


def _state_text(run: RunData) -> str:
    return run.state


def table_rows(runs: Sequence[RunData], metric: str) -> list[dict[str, Any]]:
    keys = differing_settings(runs)
    rows = []
    for rank, run in enumerate(ranked(runs, metric), start=1):
        row: dict[str, Any] = {"rank": rank, "run": run.name, "label": run.label or run.name,
                               "preset": run.preset, "data": run.config.data.name}
        for key in keys:
            if key != "preset":
                row[SHORT_NAMES.get(key, key)] = format_value(key, run.settings.get(key))
        row.update({"state": _state_text(run), "epochs": run.n_epochs,
                    f"final_{metric}": run.final(metric), f"best_{metric}": run.best(metric)})
        for extra in ("val_accuracy", "test_accuracy", "train_loss"):
            if extra != metric:
                row[extra] = run.final(extra)
        row["seconds"] = run.seconds
        row["folder"] = str(run.path)
        rows.append(row)
    return rows


def format_table(runs: Sequence[RunData], metric: str) -> str:
    """A plain-text table of final figures, best first."""
    columns = [("#", "rank"), ("run", "label"), ("state", "state"), ("epochs", "epochs"),
               (f"final {metric_title(metric)}", f"final_{metric}"), ("best", f"best_{metric}")]
    for extra in ("val_accuracy", "test_accuracy", "train_loss"):
        if extra != metric:
            columns.append((metric_title(extra), extra))
    columns.append(("time", "seconds"))
    rows = table_rows(runs, metric)
    cells = [[title for title, _ in columns]]
    for row in rows:
        line = []
        for title, key in columns:
            value = row[key]
            if key == "seconds":
                line.append("-" if not math.isfinite(value) else f"{value:.1f} s")
            elif isinstance(value, float):
                line.append(format_metric(key.removeprefix("final_").removeprefix("best_"), value))
            else:
                line.append(str(value))
        cells.append(line)
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    text_columns = {1, 2}
    out = []
    for line in cells:
        out.append("  ".join(c.ljust(w) if i in text_columns else c.rjust(w)
                             for i, (c, w) in enumerate(zip(line, widths))).rstrip())
    return "\n".join(out)


def csv_text(runs: Sequence[RunData], metric: str) -> str:
    rows = table_rows(runs, metric)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["rank"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if isinstance(v, float) and not math.isfinite(v) else
                             (f"{v:.6g}" if isinstance(v, float) else v)) for k, v in row.items()})
    return out.getvalue()


def write_csv(path: str | Path, runs: Sequence[RunData], metric: str) -> Path:
    path = Path(path)
    if not path.parent.is_dir():
        raise ExportError(f"Could not write {path}: the folder {path.parent} does not exist")
    try:
        atomic_write_bytes(path, csv_text(runs, metric).encode())
    except OSError as exc:
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}") from None
    return path
