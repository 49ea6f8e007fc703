"""What every sub-command shares: the parser that turns argparse's errors into one line, and
argument types."""

from __future__ import annotations

import argparse

USER_ERROR = 2


class CliError(Exception):
    """A mistake on the command line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors become our one-line form
        raise CliError(message)


def int_list(text: str) -> list[int]:
    """Layer sizes such as ``30``, ``100,30`` or ``3-5-4-5-2``."""
    try:
        values = [int(v) for v in text.replace("-", ",").split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 30 or 100,30, got {text!r}") from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return values
