"""``nnviz train``'s run folder written as the run goes, and resumed after an interruption.

At the start the folder is checked (a file, read-only, a full disk: refused before any training)
and ``config.toml`` is written. Each epoch appends its ``metrics.csv`` row and keeps a checkpoint
in memory (weights, optimiser state and random generators at the epoch's end); at most once a
second it also writes a snapshot, ``model.npz`` when the epoch is the best so far,
``checkpoint.npz`` and ``metrics.json``. An interruption writes the last epoch's checkpoint, so
the folder keeps every finished epoch; the same command run again (or after a writer that died
without a word: killed, or another node's job gone quiet) continues from it and trains the same
weights and losses as the uninterrupted run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
import tomllib
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from nnviz.core.atomic import atomic_write, atomic_write_bytes
from nnviz.core.config import RunConfig, load_config
from nnviz.core.errors import ConfigError, NnvizError
from nnviz.core.history import EPOCH_FIELDS, KEEP_ITERATIONS, EpochRecord
from nnviz.core.model_io import save_model
from nnviz.core.record import build_record
from nnviz.core.run_folder import CONFIG_FILE, METRICS_CSV, METRICS_JSON, MODEL_FILE, final_metrics, \
    read_metrics_csv, write_run_folder
from nnviz.core.run_folder.streams import DIVERGED, FINISHED, INTERRUPTED, ITERATIONS_CSV, RUNNING, STREAM_FILES, \
    CsvAppender, csv_text, format_losses, remove_stream_files, write_snapshot, write_state
from nnviz.core.run_status import writer_gone

CHECKPOINT_FILE = "checkpoint.npz"
FLUSH_SECONDS = 0.5  # per-iteration losses reach the file at most this late
# Snapshot, best model, checkpoint and state at most this often: an epoch of xor-mlp is one batch.
EPOCH_FILES_SECONDS = 1.0
LOSS_BLOCK = 1 << 15  # iteration losses formatted and written at a time


@dataclass(frozen=True, slots=True)
class FolderPlan:
    folder: Path
    resume_epoch: int = 0  # > 0: continue from this many finished epochs


def plan_run_folder(folder: str | Path, config: RunConfig) -> FolderPlan:
    """Check ``folder`` before any training and write its config (or find the run to resume).

    Raises NnvizError with one line when the folder cannot be used: a file, read-only, a full
    disk, another live process writing it, or an interrupted run with different settings.
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise NnvizError(f"--out {out} is a file, not a folder; give a folder for the run")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NnvizError(f"cannot create the run folder {out}: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise NnvizError(f"cannot write the run folder {out}: it is read-only")
    state = _read_state(out)
    if state.get("state") == RUNNING and not writer_gone(state, _newest_change(out), time.time()):
        raise NnvizError(f"{out} is being written by process {state.get('pid')} on {state.get('host')}; "
                         "give another --out")
    if state.get("state") in (INTERRUPTED, RUNNING) and (out / CHECKPOINT_FILE).is_file():
        if not _same_config(out / CONFIG_FILE, config):
            raise NnvizError(f"{out} holds an interrupted run with other settings; give another --out, or "
                             "delete the folder to start again")
        epochs = _checkpoint_meta(out).get("epoch", 0)
        if epochs > 0:
            return FolderPlan(out, resume_epoch=int(epochs))
    try:
        remove_stream_files(out)
        config.save(out / CONFIG_FILE)
    except OSError as exc:
        raise NnvizError(f"cannot write the run folder {out}: {exc.strerror or exc}") from None
    return FolderPlan(out)


class LiveRunWriter:
    """Drives the folder of one training run: call `after_step` after every chunk of batches,
    `after_epoch` when an epoch ends and `finish` once at the end."""

    def __init__(self, plan: FolderPlan, trainer) -> None:
        self.folder = plan.folder
        self.trainer = trainer
        self._best = -math.inf
        if plan.resume_epoch:
            restore_checkpoint(self.folder, trainer)
            self._best = _best_accuracy(trainer.history.epochs)
        append = bool(plan.resume_epoch)
        self._metrics = CsvAppender(self.folder / METRICS_CSV, EPOCH_FIELDS, append=append)
        self._iterations = CsvAppender(self.folder / ITERATIONS_CSV, ("iteration", "loss"), append=append)
        self._written = trainer.history.n_iterations if append else 0
        if not append:  # a trainer that has trained before (the window's, given more epochs): its past too
            for record in trainer.history.epochs:
                self._metrics.add({name: getattr(record, name) for name in EPOCH_FIELDS})
            self._flush_losses()
            self._metrics.flush()
        self._last_flush = time.monotonic()
        self._last_epoch_files = -math.inf
        self._checkpoint: dict[str, np.ndarray] | None = None
        self._write_state(RUNNING)

    def after_step(self) -> None:
        if time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            with self._writing():
                self._flush_losses()

    def after_epoch(self, record: EpochRecord) -> None:
        with self._writing():
            self._after_epoch(record)

    def finish(self, state: str) -> None:
        """Write what is left; ``metrics.json`` (the state) comes last."""
        with self._writing():
            self._finish(state)

    @contextlib.contextmanager
    def _writing(self):
        """A failed write (a full disk mid-run) ends the run with one line instead of a traceback."""
        try:
            yield
        except OSError as exc:
            raise NnvizError(f"cannot write the run folder {self.folder}: {exc.strerror or exc}") from None

    def _after_epoch(self, record: EpochRecord) -> None:
        self._flush_losses()
        self._metrics.add({name: getattr(record, name) for name in EPOCH_FIELDS})
        self._metrics.flush()
        trainer = self.trainer
        # Kept in memory each epoch (a copy of the weights is cheap): an interruption writes it.
        self._checkpoint = capture_checkpoint(trainer) if not trainer.finished else None
        if trainer.finished or time.monotonic() - self._last_epoch_files < EPOCH_FILES_SECONDS:
            return  # finish() writes the last epoch's files
        self._last_epoch_files = time.monotonic()
        self._snapshot()
        accuracy = _accuracy(record)
        if accuracy > self._best or not (self.folder / MODEL_FILE).is_file():
            self._best = max(accuracy, self._best)
            save_model(self.folder / MODEL_FILE, trainer.network, trainer.config, trainer.dataset.class_names)
        write_checkpoint(self.folder, self._checkpoint)
        self._write_state(RUNNING)

    def _finish(self, state: str) -> None:
        self._flush_losses()
        self._metrics.close()
        self._iterations.close()
        if state == INTERRUPTED:
            if self._checkpoint is not None:
                write_checkpoint(self.folder, self._checkpoint)
            self._write_state(INTERRUPTED, message=(
                f"Interrupted during epoch {self.trainer.epoch + 1}; {self.trainer.epoch} finished epochs kept. "
                "Run the same command again to continue."))
            return
        self._snapshot()
        write_run_folder(self.folder, self.trainer)  # final files, state (finished or diverged) last
        try:
            (self.folder / CHECKPOINT_FILE).unlink()
        except FileNotFoundError:
            pass

    def _flush_losses(self) -> None:
        history = self.trainer.history
        first, losses = history.losses_since(self._written)
        # In blocks: a writer taking over a long run (the window's run given more epochs) writes up
        # to a million kept losses at once; whole, their text is 20 MB held in memory at one time.
        for start in range(0, losses.size, LOSS_BLOCK):
            if start:
                self._iterations.flush()  # the previous block's text goes out before the next is made
            self._iterations.add_lines(format_losses(first + start, losses[start:start + LOSS_BLOCK]))
        if losses.size:
            self._written = history.n_iterations
        self._iterations.flush()
        self._last_flush = time.monotonic()

    def _snapshot(self) -> None:
        trainer = self.trainer
        record = build_record(trainer, probe_index=None, confusion_split="val", include_loss_curve=False)
        write_snapshot(self.folder, epoch=trainer.epoch, iteration=trainer.iteration, arrays={
            "first_layer_weights": record.first_layer_weights, "filter_images": record.filter_images,
            "confusion": record.confusion}, first_layer_kind=record.first_layer_kind,
            class_names=list(record.class_names), confusion_split=record.confusion_split,
            dataset_kind=trainer.dataset.kind)

    def _write_state(self, state: str, message: str = "") -> None:
        trainer = self.trainer
        metrics = final_metrics(trainer)
        metrics.update(state=state, message=message or metrics.get("message", ""),
                       iterations_per_epoch=math.ceil(trainer.n_train / trainer.batch_size),
                       planned_epochs=trainer.config.training.epochs,
                       planned_iterations=trainer.config.training.iterations)
        write_state(self.folder, metrics)


# --- checkpoints ------------------------------------------------------------------------------
def save_checkpoint(folder: Path, trainer) -> None:
    write_checkpoint(folder, capture_checkpoint(trainer))


def write_checkpoint(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    atomic_write(folder / CHECKPOINT_FILE, lambda handle: np.savez(handle, **arrays))


def capture_checkpoint(trainer) -> dict[str, np.ndarray]:
    """Everything that the next epoch depends on, as copies (taken at an epoch's end)."""
    arrays = {f"network.{k}": np.array(v) for k, v in trainer.network.state_dict().items()}
    arrays.update(trainer.optimizer.state_dict())
    meta = {"epoch": trainer.epoch, "iteration": trainer.iteration, "learning_rate": trainer.learning_rate,
            "momentum": trainer.optimizer.momentum, "batch_size": trainer.batch_size,
            "loss_limit": trainer._loss_limit, "shuffle_rng": trainer.shuffle_rng.bit_generator.state,
            "augment_rng": trainer.augment_rng.bit_generator.state,
            "layer_rngs": [layer._rng.bit_generator.state if hasattr(layer, "_rng") else None
                           for layer in trainer.network.layers]}
    arrays["checkpoint"] = np.array(json.dumps(meta))
    return arrays


def restore_checkpoint(folder: Path, trainer) -> None:
    """Put ``trainer`` back where the checkpoint left it, with the finished epochs' history, and cut
    the streams back to that point (an interrupted epoch's rows are trained again)."""
    try:
        with np.load(folder / CHECKPOINT_FILE, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        meta = json.loads(str(arrays.pop("checkpoint")))
        trainer.network.load_state_dict({k.removeprefix("network."): v for k, v in arrays.items()
                                         if k.startswith("network.")})
        trainer.optimizer.load_state_dict({k: v for k, v in arrays.items() if k.startswith("optimizer.")})
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise NnvizError(f"cannot resume from {folder / CHECKPOINT_FILE}: {exc}; delete the folder to "
                         "start again") from None
    epoch, iteration = int(meta["epoch"]), int(meta["iteration"])
    trainer.optimizer.learning_rate = float(meta["learning_rate"])
    trainer.optimizer.momentum = float(meta["momentum"])
    trainer.batch_size = int(meta["batch_size"])
    # The trainer has no public restore: its counters are set here, where the checkpoint is defined.
    trainer._loss_limit = float(meta["loss_limit"])
    trainer.shuffle_rng.bit_generator.state = meta["shuffle_rng"]
    trainer.augment_rng.bit_generator.state = meta["augment_rng"]
    for layer, state in zip(trainer.network.layers, meta.get("layer_rngs", [])):
        if state is not None and hasattr(layer, "_rng"):
            layer._rng.bit_generator.state = state
    trainer.epoch, trainer.iteration = epoch, iteration
    trainer.history.epochs[:] = _epoch_records(folder / METRICS_CSV, epoch)
    losses = _iteration_losses(folder / ITERATIONS_CSV, iteration)
    trainer.history.restore_losses(losses, iteration)
    _rewrite_csv(folder / METRICS_CSV, EPOCH_FIELDS, [[getattr(r, n) for n in EPOCH_FIELDS]
                                                      for r in trainer.history.epochs])
    atomic_write_bytes(folder / ITERATIONS_CSV, ("iteration,loss\n" + format_losses(0, losses)).encode())


def _epoch_records(path: Path, epochs: int) -> list[EpochRecord]:
    columns = read_metrics_csv(path)
    kinds = {f.name: f.type for f in fields(EpochRecord)}
    records = []
    for row in range(min(epochs, columns["epoch"].size)):
        values = {}
        for name in EPOCH_FIELDS:
            value = float(columns.get(name, np.full(epochs, np.nan))[row])
            values[name] = int(value) if kinds[name] == "int" and math.isfinite(value) else value
        records.append(EpochRecord(**values))
    if len(records) != epochs:
        raise NnvizError(f"cannot resume: {path} has {len(records)} epochs, the checkpoint {epochs}")
    return records


def _iteration_losses(path: Path, iterations: int) -> np.ndarray:
    """The last losses up to ``iterations`` (as many as a trainer's history keeps; NaN if missing)."""
    first = max(iterations - KEEP_ITERATIONS // 2, 0)
    losses = np.full(iterations - first, np.nan, dtype=np.float32)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
    except OSError:
        return losses
    for line in lines:
        number, _, value = line.partition(",")
        try:
            index = int(number) - 1 - first
        except ValueError:
            continue
        if 0 <= index < losses.shape[0] and value:
            losses[index] = float(value)
    return losses


def _rewrite_csv(path: Path, header: tuple[str, ...], rows: list[list[Any]]) -> None:
    text = ",".join(header) + "\n" + "".join(",".join(csv_text(v) for v in row) + "\n" for row in rows)
    atomic_write_bytes(path, text.encode())


def _checkpoint_meta(folder: Path) -> dict[str, Any]:
    try:
        with np.load(folder / CHECKPOINT_FILE, allow_pickle=False) as archive:
            return json.loads(str(archive["checkpoint"]))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return {}


def _newest_change(folder: Path) -> float:
    """When the folder's streams last changed (a writer on another host is judged by this)."""
    times = []
    for name in STREAM_FILES:
        try:
            times.append((folder / name).stat().st_mtime)
        except OSError:
            pass
    return max(times, default=0.0)


def _read_state(folder: Path) -> dict[str, Any]:
    try:
        state = json.loads((folder / METRICS_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _same_config(path: Path, config: RunConfig) -> bool:
    try:
        saved = load_config(path).to_dict()
        wanted = RunConfig.from_dict(tomllib.loads(config.to_toml())).to_dict()  # as it would read back
    except ConfigError:
        return False
    return saved == wanted


def _accuracy(record: EpochRecord) -> float:
    for value in (record.val_accuracy, record.test_accuracy, record.train_accuracy):
        if math.isfinite(value):
            return value
    return -math.inf


def _best_accuracy(records: list[EpochRecord]) -> float:
    return max((_accuracy(r) for r in records), default=-math.inf)


__all__ = ["CHECKPOINT_FILE", "DIVERGED", "FINISHED", "INTERRUPTED", "FolderPlan", "LiveRunWriter",
           "plan_run_folder", "restore_checkpoint", "save_checkpoint"]
