"""``nnviz gui`` (and ``python main.py``): open the window. Qt is imported only here."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    gui = subparsers.add_parser("gui", help="open the window (same as python main.py)")
    gui.add_argument("--data-dir", help="folder holding <data set>/<IDX files> (also $NNVIZ_DATA_DIR)")
    gui.add_argument("--preset", help="preset to open with")
    gui.set_defaults(handler=command_gui)


def command_gui(args: argparse.Namespace) -> int:
    if args.preset:
        from nnviz.core.presets import get_preset

        get_preset(args.preset)  # a wrong name is a one-line error here, not an abort inside Qt
    from nnviz.ui.app import run_app  # Qt is imported only for the window

    return run_app(data_dir=args.data_dir, preset=args.preset)
