"""Cost of nnviz.log's calls inside a training loop: microseconds per call.

    PYTHONPATH=. python bench/bench_log.py [FOLDER]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import nnviz.log as nlog


def per_call(function, count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        function(i)
    return (time.perf_counter() - started) / count * 1e6


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "bench-log"
    weights = np.random.default_rng(0).normal(size=(30, 784)).astype(np.float32)
    labels = np.arange(10000) % 10
    predictions = np.roll(labels, 1)
    n = 200_000
    with nlog.open_run(folder / "three", config={"lr": 3.0}) as run:
        three = per_call(lambda i: run.log(iteration=i, loss=0.1, accuracy=0.9, lr=3.0), n)
    with nlog.open_run(folder, config={"hidden": [30], "lr": 3.0}) as run:
        one = per_call(lambda i: run.log(iteration=i, loss=0.1), n)
        auto = per_call(lambda i: run.log(loss=0.1), n)
        epoch = per_call(lambda i: run.log_epoch(epoch=i + 1, val_accuracy=0.9, val_loss=0.1), 200)
        snap = per_call(lambda i: run.snapshot(weights=weights, labels=labels, predictions=predictions), 200)
    rows = sum(1 for _ in open(folder / "iterations.csv")) - 1
    print(f"log(iteration, loss):            {one:6.2f} us per call")
    print(f"log(iteration, 3 scalars):       {three:6.2f} us per call")
    print(f"log(loss) (iteration counted):   {auto:6.2f} us per call")
    print(f"log_epoch (writes at once):      {epoch:6.0f} us per call")
    print(f"snapshot (30x784, 10k labels):   {snap:6.0f} us per call (files written at most every 0.5 s)")
    print(f"{rows:,} rows in {folder / 'iterations.csv'}")


if __name__ == "__main__":
    main()
