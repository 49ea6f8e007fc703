"""``nnviz compare``: overlay run folders' curves in one figure and rank their final figures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nnviz.core.errors import NnvizError
from nnviz.sweep.compare import METRICS, choose_metric, format_table, label_runs, metric_title, write_csv
from nnviz.core.run_folder import is_run_folder, load_runs

COMPARE_PNG, COMPARE_CSV = "compare.png", "compare.csv"


def register(subparsers: argparse._SubParsersAction) -> None:
    compare = subparsers.add_parser(
        "compare", help="overlay runs' per-epoch curves in one figure and rank their final figures",
        description="Overlay run folders' curves (a sweep folder stands for every run inside it) and print "
                    "their final figures, best first. Missing or broken run folders are reported and skipped.")
    compare.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run folders, or sweep folders of runs")
    compare.add_argument("--metric", choices=METRICS, metavar="METRIC",
                         help=f"curve to plot: {', '.join(METRICS)} (default: val_accuracy, else test_accuracy)")
    compare.add_argument("--png", help="write the figure here (default for one sweep folder: DIR/compare.png)")
    compare.add_argument("--csv", help="write the table here (default for one sweep folder: DIR/compare.csv)")
    compare.add_argument("--title", help="figure title (default: the metric and what the runs share)")
    compare.set_defaults(handler=command_compare)



def command_compare(args: argparse.Namespace) -> int:
    png, csv = args.png, args.csv
    if png is None and csv is None and len(args.runs) == 1 and not is_run_folder(Path(args.runs[0])) \
            and Path(args.runs[0]).is_dir():
        png, csv = str(Path(args.runs[0]) / COMPARE_PNG), str(Path(args.runs[0]) / COMPARE_CSV)
    runs, problems = load_runs(args.runs)
    for problem in problems:
        print(f"nnviz: skipped {problem}", file=sys.stderr)
    if not runs:
        raise NnvizError("no run left to compare" + (" (see the skipped folders above)" if problems else ""))
    compare_runs(runs, args.metric, png, csv, args.title)
    return 0


def compare_runs(runs, requested_metric: str | None, png: str | None, csv: str | None, title: str | None = None) -> None:
    """Label, rank and print the runs; write the figure and CSV when asked."""
    label_runs(runs)
    metric = choose_metric(runs, requested_metric)
    lacking = [run.name for run in runs if not run.curve(metric)[1].size and run.state != "diverged"]
    if lacking:
        print(f"nnviz: no {metric} in {', '.join(lacking)} (try --metric test_accuracy or train_loss)",
              file=sys.stderr)
    print(f"Final {metric_title(metric)}, best first:")
    print(format_table(runs, metric))
    if png:
        from nnviz.ui.compare_figure import write_compare_png  # Qt only when a figure is drawn

        write_compare_png(runs, metric, png, title)
        print(f"Figure: {png}")
    if csv:
        write_csv(csv, runs, metric)
        print(f"Table: {csv}")
