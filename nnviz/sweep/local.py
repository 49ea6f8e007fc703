"""Run a sweep on this machine: N training processes at a time, one overall progress line.

Each run is ``python -m nnviz train --config ... --out ...`` in its own process (the same command a
Slurm array task runs), writing its output to ``<run>/train.log``. Processes start in their own
session, so Ctrl-C reaches only the sweep, which then terminates them; finished runs stay, and the
same command resumes. A run that diverges is reported and the sweep goes on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from nnviz.sweep.axes import SweepRun
from nnviz.core.run_folder import run_state
from nnviz.sweep.sweep_folder import LOG_FILE, RunOutcome, child_environment, last_error_line, train_command

POLL_SECONDS = 0.1
STATUS_SECONDS = 0.5
TERMINATE_GRACE_SECONDS = 5.0


class SweepInterrupted(Exception):
    """Ctrl-C (or SIGTERM) stopped the sweep; ``outcomes`` holds the runs that ended before."""

    def __init__(self, outcomes: list[RunOutcome], stopped: list[str]) -> None:
        super().__init__("interrupted")
        self.outcomes = outcomes
        self.stopped = stopped


@dataclass
class _Running:
    run: SweepRun
    process: subprocess.Popen
    log: TextIO
    started: float = field(default_factory=time.monotonic)


def count_epochs_logged(log: Path) -> int:
    """Epoch lines a training process has printed so far ("Epoch 3: ...")."""
    try:
        with log.open("rb") as handle:
            return sum(1 for line in handle if line.startswith(b"Epoch "))
    except OSError:
        return 0


class LocalSweep:
    """Runs ``runs`` under ``out`` with at most ``jobs`` processes; ``report`` lines go to ``stream``."""

    def __init__(self, runs: list[SweepRun], out: Path, jobs: int, data_dir: str | None = None,
                 stream: TextIO | None = None, n_done_before: int = 0) -> None:
        self.runs = runs
        self.out = out
        self.jobs = max(1, int(jobs))
        self.data_dir = data_dir
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty()
        self.total = len(runs) + n_done_before
        self.n_done_before = n_done_before
        self.outcomes: list[RunOutcome] = []
        self._running: dict[str, _Running] = {}
        self._status_shown = False
        self._last_status = 0.0
        self._started = time.monotonic()
        self._epochs_total = sum(run.config.training.epochs for run in runs)
        self._epochs_done = 0

    # --- public ------------------------------------------------------------------------------
    def run(self) -> list[RunOutcome]:
        """Run every run; raises SweepInterrupted on Ctrl-C or SIGTERM after stopping the workers."""
        queue = list(self.runs)
        env = child_environment(1 if self.jobs > 1 else None)
        previous_term = signal.getsignal(signal.SIGTERM)
        if _in_main_thread():
            signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            while queue or self._running:
                while queue and len(self._running) < self.jobs:
                    self._start(queue.pop(0), env)
                self._collect_finished()
                self._show_status()
                time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            stopped = self._stop_all()
            self._clear_status()
            raise SweepInterrupted(self.outcomes, stopped) from None
        finally:
            if _in_main_thread():
                signal.signal(signal.SIGTERM, previous_term)
        self._clear_status()
        return self.outcomes

    # --- processes ---------------------------------------------------------------------------
    def _start(self, run: SweepRun, env: dict[str, str]) -> None:
        folder = self.out / run.name
        log = (folder / LOG_FILE).open("w", encoding="utf-8")
        process = subprocess.Popen(train_command(folder, self.data_dir), stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        self._running[run.name] = _Running(run, process, log)

    def _collect_finished(self) -> None:
        for name, entry in list(self._running.items()):
            code = entry.process.poll()
            if code is None:
                continue
            entry.log.close()
            del self._running[name]
            outcome = self._outcome(entry, code)
            self.outcomes.append(outcome)
            self._epochs_done += entry.run.config.training.epochs
            self._report(outcome)

    def _outcome(self, entry: _Running, code: int) -> RunOutcome:
        folder = self.out / entry.run.name
        seconds = time.monotonic() - entry.started
        state = run_state(folder)
        if state in ("finished", "diverged"):
            message = last_error_line(folder / LOG_FILE) if state == "diverged" else _finished_line(folder / LOG_FILE)
            return RunOutcome(entry.run.name, state, message, seconds)
        reason = f"exit {code}" if code >= 0 else f"killed by signal {-code}"
        return RunOutcome(entry.run.name, "failed", f"{reason}: {last_error_line(folder / LOG_FILE)} "
                          f"(log: {folder / LOG_FILE})", seconds)

    def _stop_all(self) -> list[str]:
        """Terminate every running process (SIGTERM, then SIGKILL after a grace period)."""
        names = list(self._running)
        for entry in self._running.values():
            _signal_group(entry.process, signal.SIGTERM)
        deadline = time.monotonic() + TERMINATE_GRACE_SECONDS
        for entry in self._running.values():
            try:
                entry.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(entry.process, signal.SIGKILL)
                entry.process.wait()
            entry.log.close()
        self._running.clear()
        return names

    # --- output ------------------------------------------------------------------------------
    def _report(self, outcome: RunOutcome) -> None:
        self._clear_status()
        done = self.n_done_before + len(self.outcomes)
        text = f"[{done}/{self.total}] {outcome.name}: {outcome.state}"
        if outcome.message:
            text += f" - {outcome.message}"
        print(text, file=self.stream, flush=True)

    def status_line(self) -> str:
        running_epochs = sum(count_epochs_logged(self.out / name / LOG_FILE) for name in self._running)
        epochs = min(self._epochs_done + running_epochs, self._epochs_total)
        done = self.n_done_before + len(self.outcomes)
        elapsed = int(time.monotonic() - self._started)
        share = epochs / self._epochs_total if self._epochs_total else 1.0
        return (f"sweep: {done}/{self.total} runs done, {len(self._running)} running, epochs {epochs}/"
                f"{self._epochs_total} ({share:.0%}), {elapsed // 60}:{elapsed % 60:02d} elapsed")

    def _show_status(self) -> None:
        now = time.monotonic()
        if not self.live or now - self._last_status < STATUS_SECONDS:
            return
        self._last_status = now
        self.stream.write("\r" + self.status_line()[:150].ljust(100))
        self.stream.flush()
        self._status_shown = True

    def _clear_status(self) -> None:
        if self._status_shown:
            self.stream.write("\r" + " " * 150 + "\r")
            self.stream.flush()
            self._status_shown = False


def _finished_line(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        if line.startswith("Finished:"):
            return line.removeprefix("Finished: ").split(". Run folder")[0]
    return ""


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)  # the process leads its own session: its group has its pid
    except (ProcessLookupError, PermissionError):
        pass


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
