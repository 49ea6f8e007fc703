"""How soon a logged epoch appears in the watch window, and what following a run costs the GUI thread.

    PYTHONPATH=. QT_QPA_PLATFORM=offscreen python bench/bench_watch.py [--data-dir DIR]

1. A separate process logs 12 epochs with nnviz.log (400 losses each, 0.3-0.7 s apart) and stamps each
   row with the time of its log_epoch call; the window (polling every 0.25 s) notes when it draws it.
2. The window follows `nnviz train --preset nielsen --train-size 10000 --epochs 10` (about 7,000 losses a second)
   and times every refresh on the GUI thread (poll, parse, draw).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
WRITER = """
import random, sys, time
import numpy as np
import nnviz.log as nlog
rng = np.random.default_rng(0)
with nlog.open_run(sys.argv[1], config={"lr": 0.1}) as run:
    for epoch in range(1, 13):
        for i in range(400):
            run.log(loss=1.0 / (400 * epoch + i))
        labels = rng.integers(0, 10, 1000)
        run.snapshot(weights=rng.normal(size=(30, 784)), labels=labels, predictions=labels)
        run.log_epoch(val_accuracy=epoch / 13, sent=time.time())
        time.sleep(random.uniform(0.3, 0.7))
"""


def follow(window, view, until) -> list[tuple[float, float]]:
    """Run the event loop until ``until()``; returns (read + update, paint) in ms of every refresh
    that brought news, both on the GUI thread."""
    from PySide6 import QtWidgets

    timings = []
    original = view.refresh

    def timed() -> bool:
        started = time.perf_counter()
        changed = original()
        updated = time.perf_counter()
        if changed:
            QtWidgets.QApplication.processEvents()  # the drawing the refresh caused
            timings.append(((updated - started) * 1000, (time.perf_counter() - updated) * 1000))
        return changed

    view.refresh = timed
    while not until():
        QtWidgets.QApplication.processEvents()
        time.sleep(0.005)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    args = parser.parse_args()
    from nnviz.ui.offscreen import ensure_app
    from nnviz.ui.watch_window import WatchWindow

    ensure_app("nnviz-bench")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    work = Path(tempfile.mkdtemp())
    script = work / "writer.py"
    script.write_text(WRITER)
    folder = work / "logged"
    window = WatchWindow([folder])
    window.resize(1500, 950)
    window.show()
    view = window.views[0]
    writer = subprocess.Popen([sys.executable, str(script), str(folder)], env=env)
    delays: list[float] = []

    def logged_done() -> bool:
        record = view.last_record
        if record is not None and record.epoch > len(delays):
            sent = view.follower.epochs.column("sent")
            delays.extend(time.time() - sent[len(delays):record.epoch])
        return view.status == "finished"

    follow(window, view, logged_done)
    writer.wait()
    d = np.array(delays) * 1000
    print(f"nnviz.log epoch -> drawn in the window: median {np.median(d):.0f} ms, max {d.max():.0f} ms "
          f"over {d.size} epochs (poll every 250 ms)")

    train_folder = work / "nielsen"
    trainer = subprocess.Popen([sys.executable, "-m", "nnviz", "train", "--preset", "nielsen", "--train-size", "10000",
                                "--epochs", "10", "--data-dir", args.data_dir, "--out", str(train_folder), "--quiet"],
                               env=env, stdout=subprocess.DEVNULL)
    view = window.add_run(train_folder)
    timings = follow(window, view, lambda: view.status == "finished" and trainer.poll() is not None)
    t = np.array(timings)
    print(f"following nnviz train (nielsen, {view.last_record.iteration:,} iterations, {t.shape[0]} refreshes with "
          f"news): GUI thread per refresh: read + update median {np.median(t[:, 0]):.0f} ms (max {t[:, 0].max():.0f}), "
          f"paint median {np.median(t[:, 1]):.0f} ms (max {t[:, 1].max():.0f})")
    started = time.perf_counter()
    for _ in range(1000):
        view.follower.poll()
    print(f"a poll with nothing new: {(time.perf_counter() - started) * 1000:.0f} us")
    window.close()


if __name__ == "__main__":
    main()
