"""`nnviz` on the command line: one module per sub-command, each with ``register(subparsers)``
adding its parser with ``handler=function(args) -> int``.

A user's mistake (unknown preset, bad value, unreadable file) prints one line to stderr and exits
with code 2; never a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from nnviz.core.errors import NnvizError

from nnviz.cli import compare, data, evaluate, gui, info, lab, sweep, train
from nnviz.cli.arguments import USER_ERROR, CliError, Parser

SUBCOMMANDS = (train, info, evaluate, lab, data, sweep, compare, gui)
BROKEN_PIPE = 141  # what a shell reports for a command stopped by SIGPIPE (`nnviz data list | head -1`)


def version() -> str:
    """The installed package's version, else (a checkout run with PYTHONPATH) pyproject.toml's."""
    from importlib import metadata

    try:
        return metadata.version("nnviz")
    except metadata.PackageNotFoundError:
        import tomllib

        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        try:
            return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
        except (OSError, KeyError, ValueError):
            return "unknown"


def build_parser() -> Parser:
    parser = Parser(prog="nnviz", description="Train and look inside small NumPy neural networks.")
    parser.add_argument("--version", action="version", version=f"nnviz {version()}")
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
        code = args.handler(args)
        sys.stdout.flush()  # here, where a closed pipe can still be caught, not at interpreter exit
        return code
    except BrokenPipeError:
        # The reader (head, less) left: stop quietly, and point stdout at /dev/null so that
        # Python's own flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
    except (CliError, NnvizError, ValueError) as exc:
        print(f"nnviz: error: {exc}", file=sys.stderr)
        return USER_ERROR
    except KeyboardInterrupt:
        print("nnviz: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
