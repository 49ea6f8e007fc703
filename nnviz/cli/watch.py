"""``nnviz watch``: follow run folders while they are written (``nnviz train``'s or ``nnviz.log``'s).

Without ``--once`` a window follows the runs, one tab each. ``--once --png OUT`` renders their
current state (curves, filters, confusion matrix: those the run has) and exits, also while the
runs are still going: for a node without a display, or a cron job.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nnviz.core.errors import NnvizError
from nnviz.core.run_folder.follow import watched_folders
from nnviz.core.run_status import STALL_SECONDS

from nnviz.cli.arguments import USER_ERROR, CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    watch = subparsers.add_parser(
        "watch", help="follow run folders live (a window), or render them as PNGs with --once",
        description="Follow run folders while they are written: a window whose curves, filters, confusion "
                    "matrix and run state update as the folders grow. A sweep folder stands for its runs; a "
                    "folder that does not exist yet is waited for.")
    watch.add_argument("runs", nargs="+", metavar="DIR", help="run folders, or sweep folders of runs")
    watch.add_argument("--once", action="store_true", help="render the current state and exit (needs --png)")
    watch.add_argument("--png", metavar="OUT", help="with --once: write curves.png, filters.png, confusion.png "
                       "here (OUT/<run>/ for several runs; default: none)")
    watch.add_argument("--stall", type=float, default=STALL_SECONDS, metavar="SECONDS",
                       help=f"a running run with no new data for this long counts as stalled; one whose "
                            f"writer on this host has ended, at once (default {STALL_SECONDS:g})")
    watch.set_defaults(handler=command_watch)


def command_watch(args: argparse.Namespace) -> int:
    if args.png and not args.once:
        raise CliError("--png needs --once (without it a window follows the runs)")
    if args.once and not args.png:
        raise CliError("--once needs --png OUT, the folder for the figures")
    if args.stall <= 0:
        raise CliError(f"--stall must be a positive number of seconds, got {args.stall:g}")
    if args.once:
        return _render_once(watched_folders(args.runs), Path(args.png), args.stall)
    from nnviz.ui.display_check import display_problem  # Qt-free

    problem = display_problem()
    if problem:  # else Qt aborts, or (offscreen) a window nobody sees follows the runs forever
        print(f"nnviz: {problem} Run folders without a window: `nnviz watch DIR --once --png OUT`.",
              file=sys.stderr)
        return USER_ERROR
    from nnviz.ui.watch_window import run_watch_window  # Qt is imported only for the window

    return run_watch_window([Path(p) for p in args.runs], stall_seconds=args.stall)


def _render_once(folders: list[Path], out: Path, stall_seconds: float) -> int:
    if out.exists() and not out.is_dir():
        raise CliError(f"--png {out} is a file, not a folder; give a folder for the PNGs")
    missing = [f for f in folders if not f.is_dir()]
    for folder in missing:
        print(f"nnviz: skipped {folder}: no such folder", file=sys.stderr)
    folders = [f for f in folders if f.is_dir()]
    if not folders:
        raise NnvizError("no run folder to render")
    from nnviz.core.run_folder.follow import RunFollower, follow_until_caught_up
    from nnviz.ui.offscreen import ensure_app
    from nnviz.ui.watch_view import RunView, lay_out_offscreen

    ensure_app("nnviz-watch")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NnvizError(f"cannot create the folder {out}: {exc.strerror or exc}") from None
    for folder in folders:
        follower = follow_until_caught_up(RunFollower(folder, stall_seconds=stall_seconds))
        view = RunView(follower)
        lay_out_offscreen(view)
        view.refresh()
        record = view.last_record
        target = out if len(folders) == 1 else out / folder.name
        written = view.export(target)
        print(f"{folder}: {record.state}, epoch {record.epoch}, iteration {record.iteration:,} -> "
              f"{', '.join(str(p) for p in written)}")
    return 0
