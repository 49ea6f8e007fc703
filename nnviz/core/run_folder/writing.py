"""Writing a run folder: config and curves, the model, and metrics.json last."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any


from nnviz.core.atomic import atomic_write_bytes
from nnviz.core.errors import NnvizError
from nnviz.core.history import EPOCH_FIELDS
from nnviz.core.model_io import save_model
from nnviz.core.run_folder.files import CONFIG_FILE, METRICS_CSV, METRICS_JSON, MODEL_FILE

# What the output check writes before training: one disk block, so a full disk is refused at once
# instead of after the whole run (an empty file can still be created there).
PROBE_BYTES = 4096


def final_metrics(trainer) -> dict[str, Any]:
    """The figures of a finished (or stopped) run, JSON-able; NaN becomes null.

    The accuracy and loss figures are those of the weights the model file holds: the last epoch's,
    or the best epoch's where early stopping restored them.
    """
    epochs = trainer.history.epochs
    monitor = trainer.monitor
    last = monitor.weights_record(epochs)
    seconds = sum(r.seconds for r in epochs)
    samples = sum(r.samples_per_second * r.seconds for r in epochs)
    metrics = {
        "preset": trainer.config.preset,
        "data": trainer.dataset.name,
        "state": trainer.state,
        "message": trainer.message,
        "epochs": trainer.epoch,
        "iterations": trainer.iteration,
        "test_accuracy": last.test_accuracy if last else math.nan,
        "test_loss": last.test_loss if last else math.nan,
        "test_correct": last.test_correct if last else 0,
        "test_total": last.test_total if last else 0,
        "val_accuracy": last.val_accuracy if last else math.nan,
        "val_loss": last.val_loss if last else math.nan,
        "train_accuracy": last.train_accuracy if last else math.nan,
        "train_loss": last.train_loss if last else math.nan,
        "train_measured": last.train_measured if last else 0,  # training examples behind the train figures
        "best_epoch": monitor.best_epoch,  # lowest validation loss
        "stopped_epoch": trainer.epoch,  # the last epoch trained
        "early_stopping": monitor.patience or None,
        "early_stopped": monitor.stopped_epoch is not None,
        "weights_epoch": last.epoch if last else None,  # the epoch whose weights model.npz holds
        "best_val_accuracy": max((r.val_accuracy for r in epochs if not math.isnan(r.val_accuracy)),
                                 default=math.nan),
        "best_test_accuracy": max((r.test_accuracy for r in epochs if not math.isnan(r.test_accuracy)),
                                  default=math.nan),
        "seconds": seconds + sum(r.eval_seconds for r in epochs),
        "train_seconds": seconds,
        "samples_per_second": samples / seconds if seconds > 0 else 0.0,
        "parameters": trainer.network.n_params,
    }
    # Learning rates changed by hand mid-run (a list, so the NaN clean-up below leaves it alone).
    metrics["lr_changes"] = [change.to_dict() for change in trainer.history.lr_changes]
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in metrics.items()}


def metrics_csv_text(trainer) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EPOCH_FIELDS)
    for record in trainer.history.epochs:
        writer.writerow([_csv_value(getattr(record, name)) for name in EPOCH_FIELDS])
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)  # exact: a reader gets back what was drawn
    return value


def clear_run_files(out: Path) -> None:
    """Remove a previous run's results, its "finished" mark first, so the folder never mixes two runs."""
    for name in (METRICS_JSON, MODEL_FILE, METRICS_CSV):
        (out / name).unlink(missing_ok=True)
        for leftover in out.glob(f".{name}.*.tmp"):  # a killed writer's temporary file
            leftover.unlink(missing_ok=True)


def write_run_folder(out_dir: str | Path, trainer, *, include_model: bool = True) -> Path:
    """Write the run's files into ``out_dir`` (created if needed).

    A previous run's results there are removed first, and ``metrics.json`` (which says the run
    ended) is written last, listing every file with its size: a run stopped half-way (a full
    disk, a kill) leaves no "finished" folder behind, and never another run's model beside it.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        clear_run_files(out)
        trainer.config.save(out / CONFIG_FILE)
        atomic_write_bytes(out / METRICS_CSV, metrics_csv_text(trainer).encode())
        if include_model:
            save_model(out / MODEL_FILE, trainer.network, trainer.config, trainer.dataset.class_names)
        names = [CONFIG_FILE, METRICS_CSV] + ([MODEL_FILE] if include_model else [])
        metrics = {**final_metrics(trainer), "files": {name: (out / name).stat().st_size for name in names}}
        atomic_write_bytes(out / METRICS_JSON, (json.dumps(metrics, indent=2) + "\n").encode())
    except OSError as exc:
        raise NnvizError(f"cannot write the run folder {out}: {exc.strerror or exc}") from None
    return out


def complete_run_state(folder: Path, metrics: Any) -> str | None:
    """The state ``metrics.json`` records, if every file it lists is there with its size; else None.

    Folders written before the list existed count as complete when config, curves and model are there.
    """
    if not isinstance(metrics, dict) or not isinstance(metrics.get("state"), str):
        return None
    files = metrics.get("files", {CONFIG_FILE: None, METRICS_CSV: None, MODEL_FILE: None})
    if not isinstance(files, dict):
        return None
    for name, size in files.items():
        if not isinstance(name, str) or "/" in name or name.startswith("."):
            return None
        try:
            actual = (folder / name).stat().st_size
        except OSError:
            return None
        if size is not None and actual != size:
            return None
    return metrics["state"]


def check_output_folder(path: str | Path, option: str) -> None:
    """Refuse, before any training, an output folder that is a file or cannot be written.

    Nothing is created: the nearest existing folder on the way is probed with a temporary file
    (write permission alone says nothing for root, or on a read-only mount) holding PROBE_BYTES,
    flushed to the disk: an empty file can still be created on a full disk.
    """
    path = Path(path)
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        what = "is a file" if probe == path else f"cannot be created: {probe} is a file"
        raise NnvizError(f"{option} {path} {what}; give a folder")
    try:
        with tempfile.TemporaryFile(dir=probe) as handle:
            handle.write(bytes(PROBE_BYTES))
            handle.flush()
            os.fsync(handle.fileno())  # a network file system reports a full disk only here
    except OSError as exc:
        raise NnvizError(f"{option} {path} cannot be written ({probe}: {exc.strerror or exc}); "
                         "give a writable folder") from None
