"""`nnviz lab xray`: a network from a weights file, one input, and every number of its passes.

    nnviz lab xray --weights net.toml --input 1,1 --target 0 --json xray.json --png figures/

prints every layer's z and a, the loss, δ, the gradients beside their central differences and
one update step; ``--json`` writes the same numbers unrounded. Without ``--weights`` it prints the
presets' tables (and ``--png`` writes their figures), like every other lab. Qt is imported only
for ``--png``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from nnviz.core.errors import NnvizError
from nnviz.core.lessons.xray import DEFAULT_LEARNING_RATE, LOSSES, xray_pass
from nnviz.core.lessons.xray_file import parse_numbers, read_weights_file
from nnviz.core.lessons.xray_report import format_xray, preset_tables, write_xray_json

OPTIONS = ("weights", "input", "target", "json")  # meaningful for the xray lab only


def add_xray_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("backprop x-ray (nnviz lab xray)")
    group.add_argument("--weights", metavar="FILE.toml",
                       help="weights file: one [[layers]] table per layer with W (a row per unit), b, activation "
                            "(default: none, the presets' tables)")
    group.add_argument("--input", metavar="X", help="the input, e.g. 1,-1 (needs --weights; default: none)")
    group.add_argument("--target", metavar="T", help="its target, e.g. 0,1: adds the loss, deltas and gradients (default: none)")
    group.add_argument("--loss", choices=LOSSES, default="quadratic",
                       help="quadratic ½Σ(t−y)² or cross-entropy (sigmoid/softmax output); default quadratic")
    group.add_argument("--lr", type=float, default=DEFAULT_LEARNING_RATE, metavar="ETA",
                       help=f"learning rate of the printed update step (default {DEFAULT_LEARNING_RATE})")
    group.add_argument("--json", metavar="OUT", help="write every number, unrounded, to this JSON file (default: none)")


def uses_xray_options(args: argparse.Namespace) -> bool:
    return any(getattr(args, name, None) is not None for name in OPTIONS)


def run_xray(args: argparse.Namespace) -> int:
    """The x-ray on the command line; user mistakes raise NnvizError (one line, exit 2)."""
    if args.name != "xray":
        raise NnvizError("--weights, --input, --target and --json belong to `nnviz lab xray`")
    if args.weights is None:
        if uses_xray_options(args):
            raise NnvizError("--input, --target and --json need --weights FILE.toml")
        return _presets(args)
    if args.input is None:
        raise NnvizError("--weights needs --input, e.g. --input 1,-1")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise NnvizError(f"--lr must be a positive number, not {args.lr}")
    network = read_weights_file(args.weights)
    inputs = parse_numbers(args.input, "input")
    targets = None if args.target is None else parse_numbers(args.target, "target")
    result = xray_pass(network, inputs, targets, args.loss)
    learning_rate = args.lr if result.has_gradients else None
    if args.json:
        print(f"wrote {write_xray_json(result, args.json, learning_rate)}")
    if args.png:
        from nnviz.ui.offscreen import use_offscreen_without_display

        use_offscreen_without_display()
        from nnviz.ui.labs.xray import write_network_figures

        for path in write_network_figures(result, Path(args.png), Path(args.weights).stem, learning_rate,
                                          Path(args.weights).name):
            print(f"wrote {path}")
    sys.stdout.flush()
    print(format_xray(result, learning_rate))
    return 0


def _presets(args: argparse.Namespace) -> int:
    if args.png:
        from nnviz.ui.offscreen import use_offscreen_without_display

        use_offscreen_without_display()
        from nnviz.ui.labs.xray import headless

        for path in headless(Path(args.png), data_dir=args.data_dir):
            print(f"wrote {path}")
        sys.stdout.flush()
    print(preset_tables(args.lr))
    return 0
