"""A run folder keeps results and parameters together (lectures, section 7):

``config.toml`` (every setting, enough to rerun with ``nnviz train --config``), ``metrics.csv``
(one row per epoch), ``metrics.json`` (final figures) and ``model.npz``. All written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes
from .errors import NnvizError
from .history import EPOCH_FIELDS
from .model_io import save_model

CONFIG_FILE, METRICS_CSV, METRICS_JSON, MODEL_FILE = "config.toml", "metrics.csv", "metrics.json", "model.npz"


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
        return "" if math.isnan(value) else f"{value:.6g}"
    return value


def write_run_folder(out_dir: str | Path, trainer, *, include_model: bool = True) -> Path:
    """Write the run's files into ``out_dir`` (created if needed)."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        trainer.config.save(out / CONFIG_FILE)
        atomic_write_bytes(out / METRICS_CSV, metrics_csv_text(trainer).encode())
        text = json.dumps(final_metrics(trainer), indent=2)
        atomic_write_bytes(out / METRICS_JSON, (text + "\n").encode())
        if include_model:
            save_model(out / MODEL_FILE, trainer.network, trainer.config, trainer.dataset.class_names)
    except OSError as exc:
        raise NnvizError(f"cannot write the run folder {out}: {exc.strerror or exc}") from None
    return out
