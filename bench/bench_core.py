"""Speed of nnviz's NumPy core against a network.py-style per-sample loop and PyTorch (CPU), in one run.

Prints samples per second for the ``nielsen``, ``two-layer-net`` and ``cnn`` presets, side by side,
with the ratios and nnviz's speed targets, as a markdown table ready for the README:

* nielsen:       nnviz >= 7x the per-sample loop and >= 5x PyTorch with autograd
* two-layer-net: nnviz >= 1.8x PyTorch
* cnn training:  nnviz >= 1.0x PyTorch

How it measures: each implementation lives in its own worker process (``--worker NAME``), started
once and kept for the whole run, so data loading, imports and warm-up are paid once and the
libraries' thread pools never share a process. The parent then runs the fixed work round by
round, one worker at a time, interleaved (nnviz, loop, torch, nnviz, ...), so slow spells of a
shared machine hit every column alike; each cell is the best of N short rounds (default 10).
Only training is timed (forward, loss, backward, update, the per-batch bookkeeping and the
per-epoch shuffle); the evaluation nnviz runs at the end of each epoch is subtracted
(``EpochRecord.eval_seconds``). nnviz trains in chunks of batches, as ``nnviz train`` does.

Fixed work per round (``--quick``: about a third, 1 round):
  nielsen        1,000 SGD steps at batch 10 (10,000 samples; rounds go on through the epochs)
  two-layer-net  400 iterations at batch 100 (40,000 samples)
  cnn            40 batches of 64 (2,560 samples), momentum SGD as in the PyTorch model (the
                 preset's Adam and random shifts are left out of the comparison); inference on
                 2,000 test images

``--full`` also runs the whole 30-epoch ``nielsen`` preset with its evaluation after every epoch
(about 20 s), the way ``nnviz train --preset nielsen`` does, and reports its wall time.

Every library gets ``--threads`` threads (default 2, one per core). The figures mean something
only on an otherwise idle machine: with other work running, two-thread BLAS and OpenMP pools
slow down many times over (the printed load average tells); ``--threads 1`` is steadier then.
To time a modified copy of the core, put it first on ``PYTHONPATH`` (the workers import the
``nnviz`` found there; the first line of output names it).

    python bench/bench_core.py [--quick] [--full] [--repeat 10] [--only nielsen] [--threads 2] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from speed_workers import INFER_SAMPLES, WORK, worker_main  # bench/ is sys.path[0] when run as a script


class Worker:
    """The parent's handle on one worker process."""

    def __init__(self, kind: str, data_dir: str, threads: int) -> None:
        self.kind = kind
        env = dict(os.environ)
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[variable] = str(threads)
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--data-dir", data_dir,
             "--threads", str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1, env=env)
        hello = json.loads(self.process.stdout.readline() or '{"ok": false, "error": "worker died"}')
        self.ok = hello["ok"]
        self.info = hello.get("info", {})
        self.error = hello.get("error", "")

    def ask(self, do: str, *args) -> dict:
        self.process.stdin.write(json.dumps({"do": do, "args": list(args)}) + "\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        if not reply.pop("ok"):
            raise RuntimeError(f"{self.kind} worker: {reply['error']}")
        return reply

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=60)


# ------------------------------------------------------------------------------------------------
# The run and the table
# ------------------------------------------------------------------------------------------------
def fmt_rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:,.0f}"


def fmt_ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: less work, one round")
    parser.add_argument("--full", action="store_true", help="also time the whole 30-epoch nielsen preset (~20 s)")
    parser.add_argument("--repeat", type=int, default=None, help="rounds; each cell is the best (default 10, quick 1)")
    parser.add_argument("--only", choices=tuple(WORK), help="time this workload only")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    parser.add_argument("--data-dir", default=os.environ.get("NNVIZ_DATA_DIR", "/work/shared/data"))
    parser.add_argument("--json", help="also write the raw timings to this file")
    parser.add_argument("--threads", type=int, default=2,
                        help="BLAS / OpenMP / torch threads in every worker (default 2, one per core; "
                             "1 is steadier on a machine busy with other work)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker, args.data_dir, args.threads)
        return

    quick = 1 if args.quick else 0
    rounds = args.repeat or (1 if args.quick else 10)
    have_torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    print(f"# nnviz core speed: Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"{args.threads} thread(s) per library, best of {rounds}{' (quick)' if quick else ''}", flush=True)

    load_start = os.getloadavg()[0]
    workers: dict[str, Worker] = {}
    for kind in ("nnviz", "loop") + (("torch",) if have_torch else ()):
        started = time.perf_counter()
        worker = Worker(kind, args.data_dir, args.threads)
        if worker.ok:
            workers[kind] = worker
            print(f"  started {kind} worker in {time.perf_counter() - started:.1f} s: {worker.info}", flush=True)
        else:
            print(f"  {kind} unavailable: {worker.error}", flush=True)
            worker.close()
    if "nnviz" not in workers:
        sys.exit("the nnviz worker did not start")

    # (column, workload) -> list of seconds; samples per job.
    jobs: list[tuple[str, str, str, str, int]] = []  # (column, worker, verb, workload, amount)
    for name, work in WORK.items():
        if args.only and name != args.only:
            continue
        n = work["batches"][quick]
        jobs.append(("nnviz", "nnviz", "train", name, n))
        if name == "nielsen":
            jobs.append(("loop", "loop", "train", name, n))
            jobs.append(("loop-f64", "loop", "train", "nielsen-f64", n))
            jobs.append(("torch", "torch", "train", "nielsen", n))
            jobs.append(("torch-hand", "torch", "train", "nielsen-hand", n))
        else:
            jobs.append(("torch", "torch", "train", name, n))
    if args.only in (None, "cnn"):
        jobs.append(("nnviz", "nnviz", "infer", "cnn-infer", INFER_SAMPLES[quick]))
        jobs.append(("torch", "torch", "infer", "cnn-infer", INFER_SAMPLES[quick]))
    jobs = [job for job in jobs if job[1] in workers]

    times: dict[tuple[str, str], list[float]] = {}
    samples: dict[tuple[str, str], int] = {}
    for r in range(rounds):
        for column, kind, verb, workload, amount in jobs:
            if verb == "train":
                reply = workers[kind].ask("train", workload, amount)
            else:
                reply = workers[kind].ask("infer", amount)
            key = (column, "nielsen" if workload in ("nielsen-hand", "nielsen-f64") else workload)
            times.setdefault(key, []).append(reply["seconds"])
            samples[key] = reply["samples"]
        print(f"  round {r + 1}/{rounds} done", flush=True)

    full = workers["nnviz"].ask("full") if args.full else None
    for worker in workers.values():
        worker.close()

    def rate(column: str, workload: str) -> float | None:
        key = (column, workload)
        return samples[key] / min(times[key]) if key in times else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b is not None else None

    rows = []
    checks = []
    descriptions = {
        "nielsen": ("`nielsen` [784,30,10] sigmoid, quadratic, SGD, batch 10",
                    f"{WORK['nielsen']['batches'][quick]:,} steps"),
        "two-layer-net": ("`two-layer-net` [784,50,10] sigmoid + softmax CE, batch 100",
                          f"{WORK['two-layer-net']['batches'][quick]:,} iterations"),
        "cnn": ("`cnn` conv16 3x3 -> ReLU -> pool 2 -> dense 10, momentum, batch 64, training",
                f"{WORK['cnn']['batches'][quick] * 64:,} samples"),
        "cnn-infer": ("`cnn` inference (no target)", f"{INFER_SAMPLES[quick]:,} test images"),
    }
    descriptions = {k: v for k, v in descriptions.items()
                    if args.only is None or k == args.only or (args.only == "cnn" and k == "cnn-infer")}
    targets = {"nielsen": (7.0, 5.0), "two-layer-net": (None, 1.8), "cnn": (None, 1.0), "cnn-infer": (None, None)}
    for workload, (title, work) in descriptions.items():
        core, loop, torch_ag = rate("nnviz", workload), rate("loop", workload), rate("torch", workload)
        hand = rate("torch-hand", workload)
        vs_loop, vs_torch = ratio(core, loop), ratio(core, torch_ag)
        loop_target, torch_target = targets[workload]
        wanted, met = [], []
        if loop_target:
            wanted.append(f">= {loop_target:g}x loop")
            met.append(None if vs_loop is None else vs_loop >= loop_target)
            checks.append((f"{workload} vs per-sample loop", vs_loop, loop_target))
        if torch_target:
            wanted.append(f">= {torch_target:g}x PyTorch")
            met.append(None if vs_torch is None else vs_torch >= torch_target)
            checks.append((f"{workload} vs PyTorch autograd", vs_torch, torch_target))
        verdict = " / ".join("?" if m is None else ("yes" if m else "**no**") for m in met) or "-"
        torch_cell = fmt_rate(torch_ag)
        if hand is not None:
            torch_cell += f" (hand-written grads: {fmt_rate(hand)})"
        rows.append(f"| {title} | {work} | {fmt_rate(core)} | {fmt_rate(loop)} | {torch_cell} | "
                    f"{fmt_ratio(vs_loop)} | {fmt_ratio(vs_torch)} | {', '.join(wanted) or '-'} | {verdict} |")

    print()
    print("Samples per second (higher is better), best of", rounds, "rounds, training only unless noted;")
    print(f"per-sample loop = network.py style, float64 (float32 input pixels, as his loader gives them); "
          f"PyTorch {workers['torch'].info.get('torch') if 'torch' in workers else '-'} CPU; NumPy {np.__version__}; "
          f"{args.threads} thread(s) each.")
    print()
    print("| workload | fixed work | nnviz core | per-sample loop | PyTorch CPU (autograd) | nnviz / loop "
          "| nnviz / PyTorch | target | met |")
    print("|---|---|---:|---:|---:|---:|---:|---|---|")
    for row in rows:
        print(row)
    if full is not None:
        verdict = "yes" if full["seconds"] <= 22.0 else "**no**"
        print(f"| `nielsen` preset, 30 epochs with evaluation (`nnviz train --preset nielsen`) | 30 x 50k "
              f"| {full['seconds']:.1f} s (training {full['train_seconds']:.1f} s, evaluation "
              f"{full['eval_seconds']:.1f} s; test accuracy {full['test_accuracy']:.2%}) | - | - | - | - "
              f"| about 20 s | {verdict} |")

    f64 = rate("loop-f64", "nielsen")
    if f64 is not None:
        print()
        print(f"Per-sample loop with float64 inputs too (pure float64): {fmt_rate(f64)} samples/s; "
              f"nnviz / that loop = {fmt_ratio(ratio(rate('nnviz', 'nielsen'), f64))}.")
    print()
    print(f"Load average (1 min) at start {load_start:.2f}, at end {os.getloadavg()[0]:.2f} "
          "(other work on this 2-core machine slows every column).")
    print()
    print("Seconds per round (all rounds; the table uses the best):")
    for (column, workload), values in times.items():
        spread = f", median {statistics.median(values):.3f}" if len(values) > 2 else ""
        print(f"  {workload:<14} {column:<11} " + " ".join(f"{v:.3f}" for v in values) + spread)
    print()
    for what, value, target in checks:
        state = "not measured" if value is None else ("met" if value >= target else "MISSED")
        print(f"  target {what} >= {target:g}x: {fmt_ratio(value)} -> {state}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "rounds": rounds, "quick": bool(quick),
            "seconds": {f"{c}/{w}": v for (c, w), v in times.items()},
            "samples": {f"{c}/{w}": v for (c, w), v in samples.items()},
            "full": full, "workers": {k: w.info for k, w in workers.items()},
        }, indent=2))


if __name__ == "__main__":
    main()
