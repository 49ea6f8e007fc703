"""Sane limits on what nnviz reads, builds and downloads, checked before memory is committed.

A file's header, a config or a server only *declares* a size; nnviz compares that with the real
length and with these limits first, and inflates compressed data with a cap, so a hostile or
damaged input ends in one readable error instead of a MemoryError or a full disk. The limits are
far above every data set and preset nnviz ships (EMNIST digits, the largest, is 188 MB).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any, BinaryIO

MAX_DATA_BYTES = 512 * 1024 * 1024  # the payload of one data file (float32 copy: 2 GiB)
MAX_LAYER_UNITS = 100_000  # units of a dense layer
MAX_FILTERS = 4096  # filters of a convolution layer
MAX_KERNEL_SIZE = 31
MAX_LAYERS = 256
MAX_PARAMETERS = 25_000_000  # per network: 100 MB of float32 weights, as much again for gradients
MAX_MODEL_FILE_BYTES = 8 * MAX_PARAMETERS + 16 * 1024 * 1024  # float64 weights plus the JSON header
MAX_TEXT_FILE_BYTES = 16 * 1024 * 1024  # config.toml, metrics.csv, metrics.json, settings
MAX_NESTING = 8  # lists/tables inside a config's free-form fields (a conv kernel is 4 deep)
GZIP_MAX_RATIO = 1032  # deflate cannot expand more than about 1032:1
READ_CHUNK = 1 << 20


def format_bytes(size: int) -> str:
    """1,234 bytes; 12.3 MB; 4.0 GB (decimal units, as file managers show them)."""
    if size < 10_000:
        return f"{size:,} bytes"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size:,} bytes"  # pragma: no cover


def is_count(value: Any) -> bool:
    """A whole number that is not a bool (``True`` is an int in Python, but never a layer size)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def count_problem(value: Any, limit: int, *, low: int = 1) -> str | None:
    """Why ``value`` is not a whole number in ``[low, limit]``, or None when it is."""
    if not is_count(value):
        return f"expected a whole number, got {value!r}"
    if value < low:
        return f"expected at least {low}, got {value}"
    if value > limit:
        return f"{value:,} is more than nnviz allows ({limit:,})"
    return None


def gzip_can_hold(compressed_size: int, declared: int) -> bool:
    """False when ``declared`` bytes cannot come out of ``compressed_size`` bytes of gzip."""
    return declared <= compressed_size * GZIP_MAX_RATIO + 1024


def read_exactly(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes (fewer only at the end of the stream); never reads past them."""
    parts, left = [], size
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def read_capped(stream: BinaryIO, expected: int, margin: int = 64 * 1024) -> tuple[bytearray, int]:
    """Read ``expected`` bytes into one buffer, then count what follows, at most ``margin`` bytes.

    Returns (buffer, extra): ``len(buffer) < expected`` means the stream ended early; ``extra``
    above ``margin`` is reported as ``margin + 1``. The stream is never read further, so a
    compressed stream that inflates without end costs ``expected + margin`` bytes, no more.
    """
    buffer = bytearray(expected)
    view = memoryview(buffer)
    filled = 0
    while filled < expected:
        n = stream.readinto(view[filled:filled + READ_CHUNK])
        if not n:
            break
        filled += n
    view.release()
    if filled < expected:
        del buffer[filled:]
        return buffer, 0
    extra = 0
    while extra <= margin:
        chunk = stream.read(min(READ_CHUNK, margin + 1 - extra))
        if not chunk:
            break
        extra += len(chunk)
    return buffer, extra


def nesting_depth(value: Any, limit: int = MAX_NESTING) -> int:
    """How deeply lists and dicts nest in ``value``, counting no further than ``limit + 1``.

    Iterative, so a hostile structure can neither recurse Python to death nor take long.
    """
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, (list, tuple, dict)):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)
    return deepest


def product(shape: Iterable[int]) -> int:
    """Exact element count (Python ints: no overflow for a hostile shape)."""
    return math.prod(int(d) for d in shape)
