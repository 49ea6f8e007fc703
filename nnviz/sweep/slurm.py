"""Run a sweep as a Slurm job array: one array task per run folder, submitted with ``sbatch``.

The job script (``DIR/sweep.sbatch``) lists the run folders still to do; task i runs
``python -m nnviz train --config <run>/config.toml --out <run>`` with the interpreter that wrote
it, logging to ``<run>/train.log`` and Slurm's own output to ``DIR/slurm/<job>_<task>.out``.
Waiting polls ``squeue`` (``sbatch --wait`` polls slowly) and judges each task by its run folder:
metrics.json says finished or diverged; anything else failed, with Slurm's state and the log's
last error line as the reason.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from nnviz.core.atomic import atomic_write_bytes
from nnviz.core.errors import NnvizError

from nnviz.sweep.axes import SweepRun
from nnviz.core.run_folder import METRICS_CSV, run_state
from nnviz.core.run_folder.follow import CsvFollower
from nnviz.sweep.sweep_folder import LOG_FILE, PACKAGE_ROOT, RunOutcome, last_error_line, train_command

SCRIPT_NAME = "sweep.sbatch"
SLURM_LOG_DIR = "slurm"
POLL_SECONDS = 0.5
PROGRESS_SECONDS = 10.0  # without a terminal: a progress line at most this often
COMMAND_TIMEOUT = 60


class SlurmError(NnvizError):
    """sbatch, squeue or scontrol is missing or refused a request."""


@dataclass(slots=True)
class SlurmOptions:
    partition: str | None = None
    time: str | None = None
    cpus_per_task: int | None = None
    account: str | None = None
    max_parallel: int | None = None  # array throttle: --array=0-9%N
    extra: list[str] = field(default_factory=list)  # more sbatch options, e.g. "--mem=2G"


def job_script(runs: list[SweepRun], out: Path, data_dir: str | None, options: SlurmOptions) -> str:
    """The text of a job-array script with one task per run."""
    out = out.resolve()
    array = f"0-{len(runs) - 1}" + (f"%{options.max_parallel}" if options.max_parallel else "")
    directives = [f"--job-name=nnviz-{_safe_job_name(out.name)}", f"--array={array}",
                  f"--output={out / SLURM_LOG_DIR}/%A_%a.out"]
    for flag, value in (("--partition", options.partition), ("--time", options.time),
                        ("--cpus-per-task", options.cpus_per_task), ("--account", options.account)):
        if value is not None:
            directives.append(f"{flag}={value}")
    directives += options.extra
    command = train_command(out / "RUN", data_dir)
    command[command.index("--config") + 1] = '"$FOLDER/config.toml"'
    command[command.index("--out") + 1] = '"$FOLDER"'
    quoted = " ".join(part if part.startswith('"$FOLDER') else shlex.quote(part) for part in command)
    lines = [
        "#!/bin/bash",
        f"# nnviz sweep of {len(runs)} run(s) in {out}: one array task per run folder.",
        "# Written by `nnviz sweep --slurm`; resubmit with `sbatch` on this file, or run the sweep again.",
        *(f"#SBATCH {directive}" for directive in directives),
        "set -u",
        "RUNS=(",
        *(f"  {shlex.quote(run.name)}" for run in runs),
        ")",
        'RUN="${RUNS[$SLURM_ARRAY_TASK_ID]}"',
        f"FOLDER={shlex.quote(str(out))}/\"$RUN\"",
        f"export PYTHONPATH={shlex.quote(str(PACKAGE_ROOT))}${{PYTHONPATH:+:$PYTHONPATH}}",
        'THREADS="${SLURM_CPUS_PER_TASK:-1}"',
        'export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"',
        'echo "nnviz sweep task $SLURM_ARRAY_TASK_ID: $RUN on $(hostname)"',
        f'{quoted} > "$FOLDER/{LOG_FILE}" 2>&1',
        "status=$?",
        f'tail -n 5 "$FOLDER/{LOG_FILE}"',
        'exit "$status"',
        "",
    ]
    return "\n".join(lines)


def _safe_job_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=-]", "-", name)[:60] or "sweep"


def write_job_script(runs: list[SweepRun], out: Path, data_dir: str | None, options: SlurmOptions) -> Path:
    if not runs:
        raise NnvizError("no runs left to submit: every run folder is finished")
    path = out / SCRIPT_NAME
    try:
        (out / SLURM_LOG_DIR).mkdir(parents=True, exist_ok=True)  # Slurm does not create it
        atomic_write_bytes(path, job_script(runs, out, data_dir, options).encode())
        path.chmod(0o755)
    except OSError as exc:
        raise NnvizError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def _slurm_command(args: list[str]) -> subprocess.CompletedProcess:
    if shutil.which(args[0]) is None:
        raise SlurmError(f"{args[0]} not found: is Slurm installed on this machine? (--dry-run only writes "
                         "the job script)")
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise SlurmError(f"{args[0]} did not answer within {COMMAND_TIMEOUT} s") from None


def submit(script: Path) -> str:
    """``sbatch --parsable SCRIPT``; returns the job id."""
    result = _slurm_command(["sbatch", "--parsable", str(script)])
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise SlurmError(f"sbatch refused {script}: {reason[-1] if reason else f'exit {result.returncode}'}")
    job_id = result.stdout.strip().split(";")[0]
    if not job_id.isdigit():
        raise SlurmError(f"sbatch answered {result.stdout.strip()!r}, not a job id")
    return job_id


def queued_tasks(job_id: str) -> dict[str, str] | None:
    """Array task id -> state of the job's tasks still in the queue; None when squeue fails."""
    result = _slurm_command(["squeue", "-h", "-r", "-j", job_id, "-o", "%K %T"])
    if result.returncode != 0:
        if "Invalid job id" in result.stderr:
            return {}  # ended long enough ago that Slurm forgot it
        return None
    tasks: dict[str, str] = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            tasks[parts[0]] = parts[1]
    return tasks


def task_records(job_id: str) -> dict[int, dict[str, str]]:
    """Per array task: Slurm's JobState and ExitCode from ``scontrol show job`` (empty if forgotten)."""
    if shutil.which("scontrol") is None:
        return {}
    result = _slurm_command(["scontrol", "-o", "show", "job", job_id])
    records: dict[int, dict[str, str]] = {}
    for line in result.stdout.splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        task = fields.get("ArrayTaskId", "")
        if task.isdigit():
            records[int(task)] = fields
    return records


def task_outcomes(job_id: str, runs: list[SweepRun], out: Path) -> list[RunOutcome]:
    """How each task ended, judged by its run folder; Slurm's record explains failures."""
    records = task_records(job_id)
    outcomes = []
    for index, run in enumerate(runs):
        folder = out / run.name
        state = run_state(folder)
        if state in ("finished", "diverged"):
            message = last_error_line(folder / LOG_FILE) if state == "diverged" else ""
            outcomes.append(RunOutcome(run.name, state, message))
            continue
        record = records.get(index, {})
        slurm_state = record.get("JobState", "unknown state")
        exit_code = record.get("ExitCode", "?")
        log = folder / LOG_FILE
        if not log.is_file():
            log = out / SLURM_LOG_DIR / f"{job_id}_{index}.out"
        outcomes.append(RunOutcome(run.name, "failed", f"array task {index}, Slurm {slurm_state} (exit "
                                   f"{exit_code}): {last_error_line(log)} (log: {log})"))
    return outcomes


def wait_for_job(job_id: str, runs: list[SweepRun], out: Path, stream: TextIO | None = None) -> list[RunOutcome]:
    """Poll squeue until no task of the job is queued or running, then judge every task."""
    stream = stream or sys.stdout
    live = stream.isatty()
    started = time.monotonic()
    last_text = ""
    last_print, last_line = 0.0, ""
    failures = 0
    # The run folders are written as the tasks train: epochs are read from them as they grow.
    followers = [CsvFollower(out / run.name / METRICS_CSV) for run in runs]
    planned = sum(run.config.training.epochs for run in runs)
    while True:
        tasks = queued_tasks(job_id)
        if tasks is None:
            failures += 1
            if failures >= 10:
                raise SlurmError(f"squeue keeps failing for job {job_id}; check `squeue -j {job_id}`")
        elif not tasks:
            break
        else:
            failures = 0
            states: dict[str, int] = {}
            for state in tasks.values():
                states[state.lower()] = states.get(state.lower(), 0) + 1
            done = len(runs) - len(tasks)
            elapsed = int(time.monotonic() - started)
            text = (f"slurm job {job_id}: {done}/{len(runs)} tasks ended, "
                    + ", ".join(f"{n} {state}" for state, n in sorted(states.items())))
            for follower in followers:
                follower.poll()
            epochs = f", epochs {sum(f.n_rows for f in followers)}/{planned}"
            if live:
                stream.write(f"\r{text}{epochs}, {elapsed // 60}:{elapsed % 60:02d}".ljust(100))
                stream.flush()
            elif text != last_text or (text + epochs != last_line
                                       and time.monotonic() - last_print >= PROGRESS_SECONDS):
                print(text + epochs, file=stream, flush=True)
                last_print, last_line = time.monotonic(), text + epochs
            last_text = text
        time.sleep(POLL_SECONDS)
    if live:
        stream.write("\r" + " " * 100 + "\r")
    return task_outcomes(job_id, runs, out)
