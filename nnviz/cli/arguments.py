"""What every sub-command shares: the parser that turns argparse's errors into one line, and
argument types."""

from __future__ import annotations

import argparse
import re

USER_ERROR = 2
PRESET_DEFAULT = "(default: the preset's value)"
DATA_DIR_HELP = ("folder holding <data set>/<files> (default: $NNVIZ_DATA_DIR, then the user cache, "
                 "then /usr/share/datasets)")


class CliError(Exception):
    """A mistake on the command line."""


class HelpWithDefaults(argparse.HelpFormatter):
    """Every option's help ends with its default: argparse's value where there is one, "off" for a
    flag; an option whose default is decided later (by a preset, a file) says so in its own text."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if not action.option_strings or "default" in text or action.help is argparse.SUPPRESS:
            return text
        if action.required:
            return text if "(required)" in text else f"{text} (required)"
        if isinstance(action, (argparse._StoreTrueAction, argparse._AppendAction)) and not action.default:
            return f"{text} (default: {'off' if isinstance(action, argparse._StoreTrueAction) else 'none'})"
        if action.default is None or action.default is argparse.SUPPRESS:
            return text
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpWithDefaults)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # argparse's own errors become our one-line form
        raise CliError(message)


def int_list(text: str) -> list[int]:
    """Layer sizes such as ``30``, ``100,30`` or ``3-5-4-5-2``; an empty text is no layer at all.

    "-" separates sizes, so a leading "-" (``--hidden -5``) or an empty part (``3--5``, ``100,``)
    is refused rather than read as a separator."""
    compact = text.replace(" ", "")
    if not compact:
        return []
    if compact.startswith("-") or ",-" in compact:
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    try:
        values = [int(part) for part in re.split(r"[,-]", compact)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 30, 100,30 or 3-5-4-5-2, got {text!r}") from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return values
