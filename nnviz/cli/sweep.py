"""``nnviz sweep``: a grid of settings trained on the local pool or as a Slurm job array. Exit codes:
0 all runs ended (finished or diverged), 1 some run failed, 2 a user's mistake, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nnviz.core.errors import NnvizError

from nnviz.sweep.compare import METRICS
from nnviz.sweep.axes import GRID_KEYS, GridAxis, SweepRun, grid_help, merge_axes, parse_assignment, parse_axis, plan_runs
from nnviz.sweep.sweep_presets import SWEEP_PRESETS, sweep_base
from nnviz.core.run_folder import load_runs
from nnviz.cli.arguments import DATA_DIR_HELP, PRESET_DEFAULT
from nnviz.cli.compare import COMPARE_CSV, COMPARE_PNG, compare_runs
from nnviz.sweep.sweep_folder import RunOutcome, describe_grid, prepare_sweep_folder

INTERRUPTED = 130


def register(subparsers) -> None:
    sweep = subparsers.add_parser(
        "sweep", help="train every combination of a grid of settings, locally or as a Slurm job array",
        description="Train one run per combination of the --grid values, each in its own run folder under "
                    "--out; a second call resumes (finished runs are skipped). Ends with DIR/compare.png, "
                    "DIR/compare.csv and a table. `nnviz sweep --list` shows the sweep presets and grid keys.")
    sweep.add_argument("--preset", help=f"a sweep preset ({', '.join(SWEEP_PRESETS)}) or any training preset "
                       "with --grid; required unless --list (no default)")
    sweep.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                       help="values to try, e.g. lr=0.1,1.0 or hidden=30,100x30 or layers=1,2,5; keys: "
                            f"{', '.join(GRID_KEYS)} or a dotted setting (repeat for more keys)")
    sweep.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="one setting for every run, e.g. activation=relu (repeatable)")
    sweep.add_argument("--out", help="sweep folder (default: sweeps/<preset>); the same folder resumes")
    sweep.add_argument("--jobs", type=int, help="runs at a time (default: the number of cores; with --slurm: "
                       "array throttle)")
    sweep.add_argument("--data", help=f"data set for every run {PRESET_DEFAULT}")
    sweep.add_argument("--data-dir", help=DATA_DIR_HELP)
    sweep.add_argument("--epochs", type=int, help=f"epochs of every run {PRESET_DEFAULT}")
    sweep.add_argument("--train-size", type=int, help=f"train on the first N examples only {PRESET_DEFAULT}")
    sweep.add_argument("--metric", choices=METRICS, metavar="METRIC", help="curve of the final figure "
                       "(default: val_accuracy, else test_accuracy)")
    sweep.add_argument("--dry-run", action="store_true",
                       help="write the run folders' config.toml (and with --slurm the job script), run nothing")
    sweep.add_argument("--list", action="store_true", help="list the sweep presets and grid keys")
    slurm = sweep.add_argument_group("Slurm", "run the grid as a job array (one task per run folder)")
    slurm.add_argument("--slurm", action="store_true", help="write DIR/sweep.sbatch and submit it with sbatch")
    slurm.add_argument("--wait", action="store_true", help="poll squeue until the array ends, then compare")
    slurm.add_argument("--partition", help="Slurm partition (default: the cluster's default)")
    slurm.add_argument("--time", help="time limit per task, e.g. 00:30:00 (default: the partition's)")
    slurm.add_argument("--cpus-per-task", type=int, help="cores per task (default: Slurm's, usually 1)")
    slurm.add_argument("--account", help="account to charge (default: your default account)")
    slurm.add_argument("--sbatch-arg", action="append", default=[], metavar="OPTION",
                       help="another sbatch option, e.g. --sbatch-arg=--mem=2G (repeatable)")
    sweep.set_defaults(handler=command_sweep)


# --- sweep -------------------------------------------------------------------------------------
def _plan(args: argparse.Namespace) -> list[SweepRun]:
    base, preset_axes = sweep_base(args.preset)
    flags: list[GridAxis] = []
    for key, value in (("data", args.data), ("epochs", args.epochs), ("train_size", args.train_size)):
        if value is not None:
            flags.append(parse_axis(f"{key}={value}", base))
    fixed = []
    for text in args.set:
        name, value = parse_assignment(text)
        if "," in value:
            raise NnvizError(f"--set {text!r} takes one value; use --grid for several")
        fixed.append(parse_axis(text, base))
    axes = merge_axes(flags + preset_axes + fixed + [parse_axis(text, base) for text in args.grid])
    _check_data_names(axes)
    return plan_runs(base, axes)


def _check_data_names(axes: list[GridAxis]) -> None:
    from nnviz.core.data.loading import list_datasets

    for axis in axes:
        if axis.key.setting == "data.name":
            for name in axis.values:
                if name not in list_datasets():
                    raise NnvizError(f"unknown data set {name!r}; choose one of: {', '.join(list_datasets())}")


def _check_flags(args: argparse.Namespace) -> None:
    if not args.slurm:
        given = [flag for flag, value in (("--wait", args.wait), ("--partition", args.partition),
                                          ("--time", args.time), ("--cpus-per-task", args.cpus_per_task),
                                          ("--account", args.account), ("--sbatch-arg", args.sbatch_arg)) if value]
        if given:
            raise NnvizError(f"{', '.join(given)} only apply with --slurm")
    if args.wait and args.dry_run:
        raise NnvizError("--wait and --dry-run exclude each other")
    if args.jobs is not None and args.jobs < 1:
        raise NnvizError("--jobs must be at least 1")


def list_sweep_presets() -> int:
    print("Sweep presets (nnviz sweep --preset NAME):")
    for preset in SWEEP_PRESETS.values():
        print(f"  {preset.name:<14}{preset.description}  [--grid {' --grid '.join(preset.grid)}]")
    print("Grid keys: " + grid_help())
    return 0


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def command_sweep(args: argparse.Namespace) -> int:
    if args.list:
        return list_sweep_presets()
    if not args.preset:
        raise NnvizError(f"give --preset NAME: a sweep preset ({', '.join(SWEEP_PRESETS)}) or a training preset "
                         "with --grid")
    _check_flags(args)
    runs = _plan(args)
    out = Path(args.out) if args.out else Path("sweeps") / args.preset
    description = {"preset": args.preset, "grid": describe_grid(runs), "data_dir": args.data_dir}
    pending, done = prepare_sweep_folder(out, runs, description)
    jobs = args.jobs or default_jobs()
    where = "a Slurm job array" if args.slurm else f"{min(jobs, max(len(pending), 1))} local worker(s)"
    print(f"Sweep {args.preset}: {len(runs)} runs ({describe_grid(runs)}) in {out}; "
          f"{len(done)} already done, {len(pending)} to run" + (f" on {where}" if pending else ""), flush=True)
    if args.slurm:
        return _sweep_slurm(args, out, runs, pending, len(done))
    if args.dry_run:
        print(f"Dry run: wrote {len(pending)} config.toml file(s); run without --dry-run to train.")
        return 0
    outcomes: list[RunOutcome] = []
    if pending:
        from nnviz.sweep.local import LocalSweep, SweepInterrupted

        try:
            outcomes = LocalSweep(pending, out, jobs, args.data_dir, n_done_before=len(done)).run()
        except SweepInterrupted as stop:
            print(f"nnviz: interrupted; stopped {', '.join(stop.stopped) or 'no run'}. The "
                  f"{len(done) + len(stop.outcomes)} ended run(s) are kept: run the same command to resume.",
                  file=sys.stderr)
            return INTERRUPTED
    return _finish(args, out, runs, outcomes)


def _sweep_slurm(args: argparse.Namespace, out: Path, runs: list[SweepRun], pending: list[SweepRun],
                 n_done: int) -> int:
    from nnviz.sweep.slurm import SlurmOptions, submit, wait_for_job, write_job_script

    if not pending:
        print("Every run is done already; nothing to submit.")
        return _finish(args, out, runs, [])
    options = SlurmOptions(args.partition, args.time, args.cpus_per_task, args.account, args.jobs,
                           list(args.sbatch_arg))
    script = write_job_script(pending, out, args.data_dir, options)
    if args.dry_run:
        print(f"Job script: {script}\nSubmit it with: sbatch {script}")
        return 0
    job_id = submit(script)
    print(f"Submitted job array {job_id} ({len(pending)} tasks, script {script})")
    print(job_id, flush=True)
    if not args.wait:
        print(f"Follow it with `squeue -j {job_id}`; when it ends: nnviz compare {out}")
        return 0
    try:
        outcomes = wait_for_job(job_id, pending, out)
    except KeyboardInterrupt:
        print(f"nnviz: stopped waiting; job {job_id} goes on (scancel {job_id} stops it). When it ends: "
              f"nnviz compare {out}", file=sys.stderr)
        return INTERRUPTED
    for outcome in outcomes:
        if outcome.state == "diverged":  # failures are listed at the end
            print(f"{outcome.name}: diverged - {outcome.message}")
    return _finish(args, out, runs, outcomes)


def _finish(args: argparse.Namespace, out: Path, runs: list[SweepRun], outcomes: list[RunOutcome]) -> int:
    """Summarise, then compare every run of this sweep into DIR/compare.png and DIR/compare.csv."""
    failed = [o for o in outcomes if o.state == "failed"]
    diverged = [o.name for o in outcomes if o.state == "diverged"]
    finished = sum(o.state == "finished" for o in outcomes)
    if outcomes:
        parts = [f"{finished} finished"]
        if diverged:
            parts.append(f"{len(diverged)} diverged ({', '.join(diverged)})")
        if failed:
            parts.append(f"{len(failed)} failed ({', '.join(o.name for o in failed)})")
        print("Runs: " + ", ".join(parts) + ".")
    loaded, problems = load_runs([out / run.name for run in runs])
    for problem in problems:
        if not any(o.name in problem for o in failed):
            print(f"nnviz: skipped {problem}", file=sys.stderr)
    if loaded:
        compare_runs(loaded, args.metric, str(out / COMPARE_PNG), str(out / COMPARE_CSV))
    else:
        print("nnviz: no run ended, so there is nothing to compare", file=sys.stderr)
    for outcome in failed:
        print(f"nnviz: run {outcome.name} failed: {outcome.message}", file=sys.stderr)
    return 1 if failed or not loaded else 0
