"""Cost of nnviz.log's calls inside a training loop: microseconds per call.

    PYTHONPATH=. python bench/bench_log.py [FOLDER]

Each figure times the calls *and* the writing they cause: ``log`` only keeps a row, and the rows are
formatted and written at most every 0.5 s (and at ``close``), so every run here is timed up to and
including its ``close()``. Timing the calls alone would leave out the formatting whenever the loop ends
within half a second (that was this script's figure before: 1 us instead of about 3 us).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import nnviz.log as nlog


def per_call(folder: Path, call, count: int) -> float:
    """Microseconds per ``call(run, i)``, the writing it causes included (up to ``close``)."""
    run = nlog.open_run(folder, config={"hidden": [30], "lr": 3.0})
    started = time.perf_counter()
    for i in range(count):
        call(run, i)
    run.close()
    return (time.perf_counter() - started) / count * 1e6


def epoch_in_a_loop(folder: Path, epochs: int = 50, per_epoch: int = 2000) -> float:
    """Milliseconds per ``log_epoch`` in a loop that also logs every iteration: the call then writes
    that epoch's rows too, and metrics.json (fsynced) with them."""
    spent = 0.0
    with nlog.open_run(folder, config={"lr": 3.0}) as run:
        for epoch in range(1, epochs + 1):
            for _ in range(per_epoch):
                run.log(loss=0.1)
            started = time.perf_counter()
            run.log_epoch(epoch=epoch, val_accuracy=0.9, val_loss=0.1)
            spent += time.perf_counter() - started
    return spent / epochs * 1e3


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "bench-log"
    weights = np.random.default_rng(0).normal(size=(30, 784)).astype(np.float32)
    labels = np.arange(10000) % 10
    predictions = np.roll(labels, 1)
    n = 400_000  # about 1 s of calls: rows are written several times inside the timed loop
    one = per_call(folder / "one", lambda run, i: run.log(iteration=i, loss=0.1), n)
    three = per_call(folder / "three", lambda run, i: run.log(iteration=i, loss=0.1, accuracy=0.9, lr=3.0), n)
    auto = per_call(folder / "auto", lambda run, i: run.log(loss=0.1), n)
    numpy_scalar = per_call(folder / "numpy", lambda run, i, x=np.float32(0.1): run.log(loss=x), n)
    epoch = per_call(folder / "epoch", lambda run, i: run.log_epoch(epoch=i + 1, val_accuracy=0.9, val_loss=0.1), 200)
    in_loop = epoch_in_a_loop(folder / "loop")
    snap = per_call(folder / "snap", lambda run, i: run.snapshot(weights=weights, labels=labels,
                                                                 predictions=predictions), 200)
    rows = sum(1 for _ in open(folder / "one" / "iterations.csv")) - 1
    print(f"log(iteration, loss):            {one:6.2f} us per call (row written included)")
    print(f"log(iteration, 3 scalars):       {three:6.2f} us per call")
    print(f"log(loss) (iteration counted):   {auto:6.2f} us per call")
    print(f"log(loss=np.float32):            {numpy_scalar:6.2f} us per call")
    print(f"log_epoch (writes at once):      {epoch:6.0f} us per call")
    print(f"log_epoch after 2,000 log calls: {in_loop:6.1f} ms per call (writes that epoch's rows too)")
    print(f"snapshot (30x784, 10k labels):   {snap:6.0f} us per call (files written at most every 0.5 s)")
    print(f"{rows:,} rows in {folder / 'one' / 'iterations.csv'}")


if __name__ == "__main__":
    main()
