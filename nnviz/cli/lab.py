"""`nnviz lab`: list the labs, print a lab's tables, write its figures headless.

    nnviz lab --list
    nnviz lab xor                      # the tables only
    nnviz lab xor --png figures/       # figures/xor-*.png, then the tables
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nnviz.core.errors import NnvizError

from nnviz.cli.xray import add_xray_options, run_xray, uses_xray_options
from nnviz.ui.labs.registry import LABS, load_lab
from nnviz.cli.arguments import DATA_DIR_HELP


def register(subparsers: argparse._SubParsersAction) -> None:
    lab = subparsers.add_parser("lab", help="the lectures' labs: list them, print their tables, write their PNGs",
                                description="Print a lab's tables, and with --png write its figures (no display "
                                            "needed). Labs: " + ", ".join(LABS))
    lab.add_argument("name", nargs="?", metavar="NAME", help="lab name (see --list)")
    lab.add_argument("--list", action="store_true", help="list the labs with a one-line description")
    lab.add_argument("--png", metavar="DIR", help="write the lab's figures as PNG files into DIR "
                     "(default: no figures, only the tables)")
    lab.add_argument("--data-dir", metavar="D", help=DATA_DIR_HELP)
    add_xray_options(lab)
    lab.set_defaults(handler=command_lab)


def command_lab(args: argparse.Namespace) -> int:
    if args.list or not args.name:
        if not args.list:
            if args.png:
                raise NnvizError("--png needs a lab NAME; `nnviz lab --list` lists them")
            print("nnviz lab NAME [--png DIR] [--data-dir D]; the labs:")
        width = max(len(name) for name in LABS) + 2
        for info in LABS.values():
            print(f"{info.name:<{width}}{info.description}")
        return 0
    if args.name not in LABS:
        raise NnvizError(f"unknown lab {args.name!r}; choose one of: {', '.join(LABS)}")
    if args.name == "xray" or uses_xray_options(args):
        return run_xray(args)
    if args.png:
        from nnviz.ui.offscreen import use_offscreen_without_display

        use_offscreen_without_display()  # before Qt is imported
    module = load_lab(args.name)
    if args.png:
        paths = module.headless(Path(args.png), data_dir=args.data_dir)
        for path in paths:
            print(f"wrote {path}")
        sys.stdout.flush()
    print(module.tables(data_dir=args.data_dir))
    return 0
