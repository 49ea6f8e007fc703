"""Is a run that says "running" really still running? (no Qt)

``metrics.json`` names the writer's pid and host. On the same host a reader asks the system
whether that process lives (a zombie counts as gone); on another host (a cluster job watched
from a login node) only the folder's age can tell: no new data for ``stall_seconds``. A run whose
process lives but whose folder stopped growing for that long is shown as stalled too, yet its folder
is not taken over (`writer_gone`).
"""

from __future__ import annotations

import os
import socket
from typing import Any

STALL_SECONDS = 60.0  # nnviz train appends losses every 0.5 s; a logged loop at least per epoch


def writer_alive(state: dict[str, Any]) -> bool | None:
    """True/False for a writer on this host, None when it runs elsewhere (or names no pid)."""
    pid, host = state.get("pid"), state.get("host")
    if not isinstance(pid, int) or pid <= 0 or host != socket.gethostname():
        return None
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def writer_gone(metrics: dict[str, Any], newest_change: float, now: float,
                stall_seconds: float = STALL_SECONDS) -> bool:
    """Whether the process writing a "running" folder has ended: not alive on this host or, for a
    writer elsewhere, no new data for ``stall_seconds`` (a job Slurm killed). A folder whose writer
    is not gone is never taken over, however quiet it is."""
    alive = writer_alive(metrics)
    return alive is False or bool(alive is None and newest_change and now - newest_change > stall_seconds)


def judge(state: str, metrics: dict[str, Any], newest_change: float, now: float,
          stall_seconds: float = STALL_SECONDS) -> str:
    """The state to show: "stalled" for a running run whose writer is gone, or whose folder has not
    grown for ``stall_seconds`` even though another process writing it lives (a loop stuck, or a
    notebook that never called close())."""
    if state != "running":
        return state
    # This very process's runs (the window's own, paused for a while) are judged by the process itself.
    this_process = metrics.get("pid") == os.getpid() and metrics.get("host") == socket.gethostname()
    quiet = bool(newest_change) and now - newest_change > stall_seconds and not this_process
    return "stalled" if quiet or writer_alive(metrics) is False else state
