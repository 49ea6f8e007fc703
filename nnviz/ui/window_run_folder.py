"""The window's runs written as they go, like ``nnviz train``'s: used by the worker thread only.

The folder is created (config first) when a loaded run trains its first batch, grows every epoch,
and ends ``finished`` or ``diverged`` with the run, or ``interrupted`` when the run is stopped,
replaced (Reset, a new preset) or the window closes. A write that fails (a full disk) turns live
writing off for that run, with one message; training goes on.
"""

from __future__ import annotations

import time
from pathlib import Path

from nnviz.core.errors import NnvizError
from nnviz.core.live_run import INTERRUPTED, LiveRunWriter, plan_run_folder
from nnviz.core.run_folder.streams import DIVERGED, FINISHED


class WindowRunFolder:
    """One trainer's live run folder under ``runs_folder`` (None: the window writes none)."""

    def __init__(self, runs_folder: Path | None, suffix: str = "") -> None:
        self.runs_folder = runs_folder
        self.suffix = f"-{suffix}" if suffix else ""  # "-B": an A/B twin's run beside A's
        self.writer: LiveRunWriter | None = None
        self.folder: Path | None = None
        self.ended_at_iteration = -1  # the trainer's iteration when its folder was completed
        self.failed = False

    def reset(self) -> None:
        """A new trainer: the current folder (if any) ends interrupted."""
        self.end(INTERRUPTED)
        self.folder, self.ended_at_iteration, self.failed = None, -1, False

    def before_step(self, trainer) -> str | None:
        """Create the folder before the first batch; returns its path when it was just created."""
        if self.writer is not None or self.failed or self.runs_folder is None:
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = f"{stamp}-{trainer.config.preset}{self.suffix}"
        folder, n = self.runs_folder / name, 2
        while folder.exists():
            folder, n = self.runs_folder / f"{name}-{n}", n + 1
        self.writer = LiveRunWriter(plan_run_folder(folder, trainer.config), trainer)
        self.folder, self.ended_at_iteration = folder, -1
        return str(folder)

    def after_step(self, trainer, result) -> None:
        writer = self.writer
        if writer is None:
            return
        writer.after_step()
        if result.epoch_finished is not None:
            writer.after_epoch(result.epoch_finished)
        if trainer.state == DIVERGED or result.diverged:
            self.end(DIVERGED)
        elif trainer.finished:
            self.end(FINISHED)

    def end(self, state: str) -> None:
        writer, self.writer = self.writer, None
        if writer is not None:
            writer.finish(state)
            self.ended_at_iteration = writer.trainer.iteration

    def complete_folder(self, trainer) -> Path | None:
        """The folder already holding exactly this trainer's state (then saving again writes nothing)."""
        if self.folder is not None and self.writer is None and self.ended_at_iteration == trainer.iteration:
            return self.folder
        return None

    def give_up(self) -> None:
        """After a failed write: no more writing for this run."""
        self.writer, self.failed = None, True


__all__ = ["INTERRUPTED", "NnvizError", "WindowRunFolder"]
