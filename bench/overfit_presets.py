"""Run the two over-fitting presets on the full Fashion-MNIST and print the README's figures.

    python bench/overfit_presets.py [--data-dir DIR] [--seed S] [--threads N]

Each preset runs as ``nnviz train --preset P --quiet`` (Debian's /usr/share/datasets/fashion-mnist
is found without --data-dir); the figures come from its metrics.csv and metrics.json, the seconds
are the wall-clock time of the whole command. The targets: ``overfit`` ends with train accuracy
near 100 % (>= 98 %), validation at least 10 points below and the validation loss above its
minimum; ``overfit-dropout`` ends with a gap at least 3 points smaller and reaches a higher best
validation accuracy; each takes under a minute. ``--threads N`` sets OPENBLAS_NUM_THREADS and
OMP_NUM_THREADS for the runs: on a machine shared with other jobs, OpenBLAS threads waiting for
busy cores can make these small matrix products several times slower than one thread.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_preset(name: str, data_dir: str | None, seed: int | None, threads: int | None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "nnviz", "train", "--preset", name, "--quiet", "--out", folder]
        command += ["--data-dir", data_dir] if data_dir else []
        command += ["--seed", str(seed)] if seed is not None else []
        started = time.perf_counter()
        env = dict(os.environ)
        if threads:
            env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
        seconds = time.perf_counter() - started
        metrics = json.loads((Path(folder) / "metrics.json").read_text())
        with open(Path(folder) / "metrics.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
    val_accuracy = [float(r["val_accuracy"]) for r in rows]
    val_loss = [float(r["val_loss"]) for r in rows]
    best = max(range(len(rows)), key=lambda i: val_accuracy[i])
    return {"preset": name, "epochs": len(rows), "train": float(rows[-1]["train_accuracy"]),
            "train_measured": int(rows[-1]["train_measured"]), "val": val_accuracy[-1],
            "gap": float(rows[-1]["train_accuracy"]) - val_accuracy[-1], "best_val": val_accuracy[best],
            "best_val_epoch": best + 1, "loss_min_epoch": metrics["best_epoch"], "min_val_loss": min(val_loss),
            "final_val_loss": val_loss[-1], "test": metrics["test_accuracy"], "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=None, help="default: the presets' seed")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: as the environment says)")
    args = parser.parse_args()
    results = [run_preset(name, args.data_dir, args.seed, args.threads) for name in ("overfit", "overfit-dropout")]
    print("| preset | epochs | train acc. (final) | val. acc. (final) | gap | best val. acc. (epoch) | "
          "val. loss: min (epoch) → final | test acc. | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| `{r['preset']}` | {r['epochs']} | {r['train']:.1%} | {r['val']:.1%} | {100 * r['gap']:.1f} points | "
              f"{r['best_val']:.1%} ({r['best_val_epoch']}) | {r['min_val_loss']:.3f} ({r['loss_min_epoch']}) → "
              f"{r['final_val_loss']:.3f} | {r['test']:.1%} | {r['seconds']:.0f} |")
    plain, dropout = results
    checks = {
        "overfit: train accuracy >= 98 %": plain["train"] >= 0.98,
        "overfit: validation >= 10 points below train": plain["gap"] >= 0.10,
        "overfit: validation loss turned up": plain["final_val_loss"] > plain["min_val_loss"]
        and plain["loss_min_epoch"] < plain["epochs"],
        "overfit-dropout: gap >= 3 points smaller": plain["gap"] - dropout["gap"] >= 0.03,
        "overfit-dropout: better best validation accuracy": dropout["best_val"] > plain["best_val"],
        "both under a minute": all(r["seconds"] < 60 for r in results),
    }
    print(f"\ntrain figures measured on {plain['train_measured']:,} training examples after each epoch")
    for what, ok in checks.items():
        print(f"{'met' if ok else 'MISSED'}: {what}")


if __name__ == "__main__":
    main()
