"""A sweep folder: one run folder per combination, ``sweep.json`` listing them, and the train command.

Resuming is by files: a run folder whose ``metrics.json`` says "finished" or "diverged" (and whose
files it lists are all there) is done and never run again; an interrupted run of the same settings
with its checkpoint (a sweep stopped by Ctrl-C, a closed window, a killed job) is left as it is, and
``nnviz train`` continues it from its last finished epoch; any other run folder is cleared of a
previous attempt's results, gets its ``config.toml`` (re)written and runs.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nnviz
from nnviz.core.atomic import atomic_write_bytes
from nnviz.core.config import load_config
from nnviz.core.errors import ConfigError, NnvizError
from nnviz.core.live_run import CHECKPOINT_FILE
from nnviz.core.run_folder import CONFIG_FILE, METRICS_JSON, clear_run_files

from nnviz.sweep.compare import format_setting
from nnviz.sweep.axes import SweepRun
from nnviz.core.run_folder import MANIFEST, flatten_settings, run_state

LOG_FILE = "train.log"
PACKAGE_ROOT = Path(nnviz.__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How one run of a sweep ended: finished, diverged, failed, stopped or done (before this call)."""

    name: str
    state: str
    message: str = ""
    seconds: float = 0.0


def _mismatch(existing_path: Path, run: SweepRun) -> str | None:
    """The first setting in which an existing run's config differs from the planned one."""
    try:
        existing = flatten_settings(load_config(existing_path).to_dict())
    except NnvizError:
        return "its config.toml is unreadable"
    planned = flatten_settings(run.config.to_dict())
    for key in planned:
        if existing.get(key) != planned[key]:
            return f"{format_setting(key, existing.get(key))} there, {format_setting(key, planned[key])} now"
    return None


def _resumable(folder: Path, run: SweepRun) -> bool:
    """An interrupted (or abandoned "running") run of exactly these settings, with its checkpoint."""
    try:
        state = json.loads((folder / METRICS_JSON).read_text(encoding="utf-8")).get("state")
    except (OSError, ValueError, AttributeError):
        return False
    return state in ("interrupted", "running") and (folder / CHECKPOINT_FILE).is_file() \
        and _mismatch(folder / CONFIG_FILE, run) is None


def prepare_sweep_folder(out: Path, runs: list[SweepRun], description: dict) -> tuple[list[SweepRun], list[SweepRun]]:
    """Create ``out`` and the run folders; return (runs to do, runs already done).

    A run already done with other settings is an error: mixing them would make the figure lie.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NnvizError(f"cannot create the sweep folder {out}: {exc.strerror or exc}") from None
    pending: list[SweepRun] = []
    done: list[SweepRun] = []
    for run in runs:
        folder = out / run.name
        if run_state(folder) in ("finished", "diverged"):
            problem = _mismatch(folder / CONFIG_FILE, run)
            if problem:
                raise ConfigError(f"{folder} already holds a finished run with other settings ({problem}); "
                                  "use another --out folder, or delete that run folder to redo it")
            done.append(run)
            continue
        if _resumable(folder, run):
            pending.append(run)  # nnviz train continues it: its finished epochs are kept
            continue
        try:
            folder.mkdir(exist_ok=True)
            clear_run_files(folder)  # an unfinished attempt's files: never beside this run's
            run.config.save(folder / CONFIG_FILE)
        except OSError as exc:
            raise NnvizError(f"cannot write {folder / CONFIG_FILE}: {exc.strerror or exc}") from None
        pending.append(run)
    write_manifest(out, runs, description)
    return pending, done


def write_manifest(out: Path, runs: list[SweepRun], description: dict) -> None:
    manifest = {**description, "runs": [run.name for run in runs], "written": datetime.now().isoformat(timespec="seconds")}
    atomic_write_bytes(out / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())


def train_command(folder: Path, data_dir: str | None) -> list[str]:
    """``python -m nnviz train --config <folder>/config.toml --out <folder>`` with this interpreter."""
    folder = folder.resolve()
    command = [sys.executable, "-m", "nnviz", "train", "--config", str(folder / CONFIG_FILE), "--out", str(folder)]
    if data_dir:
        command += ["--data-dir", str(Path(data_dir).expanduser().resolve())]
    return command


def child_environment(threads: int | None) -> dict[str, str]:
    """The environment of a training process: this nnviz first on the path, BLAS threads capped."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    if threads is not None:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, str(threads))
    return env


def last_error_line(log: Path) -> str:
    """The most telling line of a failed run's log: its nnviz error, else its last line."""
    try:
        lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    for line in reversed(lines):
        if line.startswith("nnviz:") or "Error" in line:
            return _shorten(line)
    return _shorten(lines[-1]) if lines else "no output"


def _shorten(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_grid(runs: list[SweepRun]) -> str:
    """ "lr = 0.001, 1.0, 100.0; with epochs=5" for the heading of a sweep."""
    keys: dict[str, list[str]] = {}
    for run in runs:
        for key, value in run.choices:
            keys.setdefault(key, [])
            if value not in keys[key]:
                keys[key].append(value)
    varying = "; ".join(f"{key} = {', '.join(values)}" for key, values in keys.items() if len(values) > 1)
    fixed = ", ".join(f"{key}={values[0]}" for key, values in keys.items() if len(values) == 1)
    if varying and fixed:
        return f"{varying}; with {fixed}"
    return varying or fixed
