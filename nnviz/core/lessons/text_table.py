"""Plain-text tables for the labs' printed output (``nnviz lab NAME``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def format_number(value: object, digits: int = 4) -> str:
    """Numbers as a lecturer writes them: 5.94, -1.96, 6, 23,860 (no trailing zeros, no "-0")."""
    if isinstance(value, (bool, str)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        return str(number)
    text = f"{number:,.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_vector(values: Sequence[float], digits: int = 4) -> str:
    """``[0, -1]`` style, for table cells."""
    return "[" + ", ".join(format_number(float(v), digits) for v in values) + "]"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> str:
    """A fixed-width table: a title line, the header, a rule and one line per row.

    Cells that are not strings go through :func:`format_number`; text is left-aligned, numbers
    right-aligned.
    """
    cells = [[c if isinstance(c, str) else format_number(c) for c in row] for row in rows]
    numeric = [all(not isinstance(row[i], str) for row in rows) if rows else False for i in range(len(headers))]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths))]
        return "  ".join(parts).rstrip()

    out = [title] if title else []
    out += [line(list(headers)), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    return "\n".join(out)
