"""Cost of ``Trainer.snapshot(...)`` (what the window copies for its panels) against one training batch.

For ``nielsen`` and ``cnn``: the full snapshot the window takes (probe input traced through every
layer, confusion matrix of the last validation pass, loss curve), and its parts, in microseconds,
next to the time of one training batch (``step_batch``) of the same preset. The trainer is first
trained for one epoch (so the loss curve has a realistic length, 5,000 or 782 points, and the
validation confusion exists).

Timings are the best of several repeats of the median of many calls, so a busy machine inflates
them less.

    python bench/bench_snapshot.py [--quick] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("nnviz") is None:
    sys.path.insert(0, str(REPO))

from nnviz.core.presets import preset_config  # noqa: E402
from nnviz.core.trainer import Trainer  # noqa: E402


def time_call(fn, calls: int, repeats: int) -> float:
    """Best over ``repeats`` of the median of ``calls`` timed calls, in microseconds."""
    best = float("inf")
    for _ in range(repeats):
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - started)
        best = min(best, statistics.median(samples))
    return best * 1e6


def measure(name: str, data_dir: str, quick: bool) -> list[tuple[str, float]]:
    cfg = preset_config(name).with_changes(**{"training.epochs": 1000, "training.iterations": None})
    trainer = Trainer(cfg, data_dir=data_dir)
    if quick:
        for _ in range(200):
            trainer.step_batch()
        trainer.evaluate("val")
    else:
        trainer.step_epoch()  # evaluates val and test at its end
    calls, repeats = (50, 2) if quick else (200, 5)
    rows = [
        ("one training batch (`step_batch`)", time_call(trainer.step_batch, calls, repeats)),
        ("snapshot(probe_index=0, confusion_split=\"val\")",
         time_call(lambda: trainer.snapshot(probe_index=0, confusion_split="val"), calls, repeats)),
        ("  without probe", time_call(lambda: trainer.snapshot(probe_index=None, confusion_split="val"),
                                      calls, repeats)),
        ("  without probe and confusion",
         time_call(lambda: trainer.snapshot(probe_index=None, confusion_split=None), calls, repeats)),
        ("  without probe, confusion and loss curve",
         time_call(lambda: trainer.snapshot(probe_index=None, confusion_split=None, include_loss_curve=False),
                   calls, repeats)),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer batches and calls")
    parser.add_argument("--data-dir", default=os.environ.get("NNVIZ_DATA_DIR", "/work/shared/data"))
    args = parser.parse_args()
    results = {name: measure(name, args.data_dir, args.quick) for name in ("nielsen", "cnn")}
    print()
    print("| | nielsen (batch 10) | cnn (batch 64) |")
    print("|---|---:|---:|")
    labels = [label for label, _ in results["nielsen"]]
    for i, label in enumerate(labels):
        cells = [f"{results[name][i][1]:,.0f} µs" for name in results]
        print(f"| {label} | {' | '.join(cells)} |")
    cells = [f"{results[name][1][1] / results[name][0][1]:.2f}" for name in results]
    print(f"| full snapshot / one batch | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
