"""`nnviz data list` and `nnviz data fetch NAME`: what data is where, and downloads with a progress bar.

Registered by :mod:`nnviz.cli` through :func:`register`; every handler returns an exit code and
raises :class:`nnviz.core.errors.DatasetError` for the user's mistakes (one line, exit code 2).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import TextIO

from nnviz.core.data.catalog import MNIST_C_SPELLING, spelled_names
from nnviz.core.data.loading import dataset_cache_dir
from nnviz.core.data.downloads import (
    BASE_URL_ENV,
    DEFAULT_TIMEOUT,
    DOWNLOADS,
    availability,
    base_url,
    fetch_dataset,
    format_size,
    get_download,
)
from nnviz.core.errors import DatasetError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``data list`` and ``data fetch`` to the ``nnviz`` parser."""
    data = subparsers.add_parser("data", help="list the data sets and download them into the cache")
    actions = data.add_subparsers(dest="data_command", parser_class=type(data), metavar="ACTION")
    data.set_defaults(handler=lambda args: _usage(data))

    listing = actions.add_parser("list", help="every known data set: size, where it is, licence")
    listing.add_argument("--data-dir", help="also look in this folder, as `nnviz train --data-dir` (default: "
                                            "$NNVIZ_DATA_DIR, then the user cache, then /usr/share/datasets)")
    listing.set_defaults(handler=command_data_list)

    fetch = actions.add_parser("fetch", help="download a data set into the user cache (checksums checked)")
    fetch.add_argument("name", help=f"one of: {spelled_names(DOWNLOADS)}; one archive holds every {MNIST_C_SPELLING}")
    fetch.add_argument("--mirror", metavar="URL",
                       help=f"base URL serving <base>/<set>/<file> (http(s):// or file://; also ${BASE_URL_ENV}; "
                            "default: the official addresses)")
    fetch.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                       help=f"give up on a server silent for this long (default: {DEFAULT_TIMEOUT:g})")
    fetch.add_argument("--force", action="store_true", help="download again even if cached")
    fetch.set_defaults(handler=command_data_fetch)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


_STATE_TEXT = {"cached": "cached", "local": "found locally at", "partial": "partly found at",
               "downloadable": "downloadable"}


def command_data_list(args: argparse.Namespace) -> int:
    rows = []
    for row in availability(args.data_dir):
        spec = row.download
        where = _STATE_TEXT[row.state]
        if row.state in ("local", "partial"):
            where += f" {row.path}"
        if row.detail:
            where += f" ({row.detail})"
        rows.append((_shown(spec.name), format_size(spec.size, spec.size_exact), where, spec.licence))
    headers = ("data set", "download", "status", "licence")
    widths = [max(len(headers[i]), *(len(r[i]) for r in rows)) for i in range(3)]
    for line in (headers, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)) + "  " + line[3])
    cache = dataset_cache_dir("<name>").parent
    print(f"\nDownload cache: {cache} (set NNVIZ_CACHE_DIR to move it). "
          f"Download with `nnviz data fetch NAME`.")
    mirror = base_url()
    if mirror:
        print(f"Mirror (${BASE_URL_ENV}): {mirror}/<set>/<file>")
    return 0


class TerminalProgress:
    """A one-line progress bar on a terminal (at most 10 redraws a second); one line per file otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self._last = 0.0
        self._current = ""

    def __call__(self, name: str, done: int, total: int) -> None:
        finished = bool(total) and done >= total
        if not self.tty:
            if finished and name != self._current:
                self._current = name
                if name.startswith("unpacking"):
                    print(f"  {name}: done", file=self.stream)
                else:
                    print(f"  {name}: {format_size(done)} received", file=self.stream)
            return
        now = time.monotonic()
        if not finished and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = int(width * done / total) if total else 0
        amount = f"{done} / {total}" if name.startswith("unpacking") else \
            f"{format_size(done)} / {format_size(total) if total else '?'}"
        self.stream.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {amount}  {name}\033[K")
        if finished:
            self.stream.write("\n")
        self.stream.flush()


def command_data_fetch(args: argparse.Namespace) -> int:
    if not (math.isfinite(args.timeout) and args.timeout > 0):  # inf and nan too: a transfer must end
        raise DatasetError(f"--timeout must be positive, got {args.timeout:g}")
    spec = get_download(args.name)
    mirror = base_url(args.mirror)
    source = f"mirror {mirror}" if mirror else "the official source"
    name = _shown(spec.name)
    print(f"{name}: {format_size(spec.size, spec.size_exact)} from {source}, licence {spec.licence}")
    result = fetch_dataset(args.name, mirror=args.mirror, progress=TerminalProgress(),
                           timeout=args.timeout, force=args.force)
    if result.already_cached:
        print(f"{name} is already in {result.folder} (checksums verified); use --force to download again")
    else:
        print(f"{name}: downloaded {format_size(result.bytes_downloaded)} into {result.folder}, "
              f"checksums verified")
    return 0


def _shown(download_name: str) -> str:
    """A download as users name its data sets: one archive holds every ``mnist-c/<corruption>``."""
    return MNIST_C_SPELLING if download_name == "mnist-c" else download_name
