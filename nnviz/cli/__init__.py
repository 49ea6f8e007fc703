"""`nnviz` on the command line: one module per sub-command, each with ``register(subparsers)``
adding its parser with ``handler=function(args) -> int``.

A user's mistake (unknown preset, bad value, unreadable file) prints one line to stderr and exits
with code 2; never a traceback.
"""

from __future__ import annotations

import sys

from nnviz.core.errors import NnvizError

from nnviz.cli import compare, data, evaluate, gui, info, lab, sweep, train, watch
from nnviz.cli.arguments import USER_ERROR, CliError, Parser

SUBCOMMANDS = (train, info, evaluate, lab, data, sweep, compare, watch, gui)


def build_parser() -> Parser:
    parser = Parser(prog="nnviz", description="Train and look inside small NumPy neural networks.")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return USER_ERROR
        return args.handler(args)
    except (CliError, NnvizError, ValueError) as exc:
        print(f"nnviz: error: {exc}", file=sys.stderr)
        return USER_ERROR
    except KeyboardInterrupt:
        print("nnviz: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
