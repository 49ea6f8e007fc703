"""Memory of the live window over a long lecture: trains a preset at full speed and prints the curve.

    PYTHONPATH=. python bench/soak_window.py [--preset nielsen] [--minutes 10] [--every 30] [--trace]

The window is the real one (offscreen, every panel visible, 1600x1000) and trains one run until the
time is up: its Epochs control (a live setting) is set to ``--epochs`` first (default 10,000, the
control's most), as a lecturer lets a run go on for a whole class. Should the run still reach its
last epoch, the script asks for 30 more and starts again, as a lecturer extending the demo would
(each extension is a new run folder, listed in the Runs dock); the count is printed.
Each line is the resident set size (RSS, from /proc) and its change since the end of the first
epoch: the target is "within +50 MB of its size after the first epoch" over the whole soak.
``--trace`` also prints the ten Python allocation sites that grew most (tracemalloc; slow).
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="nielsen")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between lines")
    parser.add_argument("--data-dir", default=os.environ.get("NNVIZ_DATA_DIR"))
    parser.add_argument("--epochs", type=int, default=10_000, help="the run's epochs (extended by 30 if reached)")
    parser.add_argument("--trace", action="store_true", help="tracemalloc: the sites that grew most")
    args = parser.parse_args(argv)
    from PySide6 import QtCore

    from nnviz.ui.bench import open_window, wait

    window = open_window(args.preset, args.data_dir)
    latest = {"epoch": 0, "state": "", "iteration": 0}

    extensions = [0]

    def seen(record) -> None:
        latest.update(epoch=record.epoch, state=record.run_state, iteration=record.iteration)

    class Extender(QtCore.QObject):
        """Runs in the GUI thread (a plain function would be called in the worker's thread, whose
        busy loop never runs a timer)."""

        @QtCore.Slot(str)
        def state_changed(self, state: str) -> None:
            # The run reached its last epoch: 30 more, and Start again, as a lecturer extending the demo would.
            if state == "finished":
                extensions[0] += 1
                window.on_live_setting("epochs", window.config.training.epochs + 30)
                QtCore.QTimer.singleShot(100, lambda: window.worker.send("start"))

    extender = Extender()
    window.worker.snapshot_ready.connect(seen)
    window.worker.state_changed.connect(extender.state_changed)

    window.on_live_setting("epochs", args.epochs)
    window.worker.send("start")
    while latest["epoch"] < 1:
        wait(0.2)
    if args.trace:
        import tracemalloc
        tracemalloc.start(10)
        before = tracemalloc.take_snapshot()
    base, started = rss_mb(), time.perf_counter()
    most = base
    print(f"{args.preset}: resident memory of the live window, training at full speed")
    print(f"  after epoch 1: {base:7.1f} MB")
    while (elapsed := time.perf_counter() - started) < args.minutes * 60:
        wait(min(args.every, args.minutes * 60 - elapsed))
        now = rss_mb()
        most = max(most, now)
        print(f"  {time.perf_counter() - started:6.0f} s  epoch {latest['epoch']:3d}  iteration {latest['iteration']:8,d}"
              f"  {now:7.1f} MB  ({now - base:+6.1f} MB)", flush=True)
    if args.trace:
        growth = tracemalloc.take_snapshot().compare_to(before, "traceback")
        for stat in growth[:10]:
            print(f"  {stat.size_diff / 1e6:+7.2f} MB  {stat.count_diff:+8d} blocks  {stat.traceback.format()[-1].strip()}")
    print(f"  run extended {extensions[0]} time(s); largest growth while training: {most - base:+.1f} MB "
          "(target: within +50 MB)")
    window.close()  # the run folder's last files are written as it closes
    wait(0.5)
    print(f"  after closing the window: {rss_mb() - base:+.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
