"""Bounded transfers: every download has a byte cap and an overall deadline.

A socket time-out alone does not end a transfer: a server sending one byte a second, an endless
body, a gzip ``Content-Encoding`` that inflates a kilobyte into gigabytes, or a ``file://``
mirror that is a FIFO or ``/dev/zero`` would hang or fill the disk. Here a transfer writes at most
``max_bytes`` (the size the download table knows plus a small margin) and ends by ``deadline``
seconds; either limit raises :class:`TransferLimitError`, and the caller (pooch) deletes the
partial file.

HTTP runs in a helper thread that the calling thread waits for with the deadline, so even a
server trickling its headers (where no read can be interrupted) cannot hold the caller longer.
"""

from __future__ import annotations

import os
import stat
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from .errors import DatasetError

CHUNK_SIZE = 64 * 1024
MIN_RATE = 20_000  # bytes per second: the slowest link the default deadline still waits for
DEADLINE_BASE = 120.0  # seconds on top of size / MIN_RATE
_POLL = 0.05  # how often the waiting thread reports progress and checks cancel / the deadline


class TransferLimitError(DatasetError):
    """A transfer exceeded its byte cap or deadline, or its source is not a plain file."""


@dataclass(frozen=True, slots=True)
class TransferLimits:
    max_bytes: int  # bytes written (after any Content-Encoding is undone)
    deadline: float  # seconds for the whole transfer, connecting included
    stall_timeout: float  # seconds without a byte

    @classmethod
    def for_size(cls, size: int, exact: bool, stall_timeout: float, deadline: float | None = None
                 ) -> "TransferLimits":
        """Cap at ``size`` plus 1 % (10 % when the table's size is approximate), at least 64 kB over."""
        margin = max(64 * 1024, size // (100 if exact else 10))
        if deadline is None:
            deadline = DEADLINE_BASE + size / MIN_RATE
        return cls(size + margin, float(deadline), float(stall_timeout))


class _Meter:
    """Counts bytes against the cap and time against the deadline; ``abandon`` stops the writer."""

    def __init__(self, limits: TransferLimits, source: str) -> None:
        self.limits, self.source = limits, source
        self.end = time.monotonic() + limits.deadline
        self.written = 0
        self.abandoned = threading.Event()

    def room(self) -> int:
        return self.limits.max_bytes - self.written

    def add(self, n: int) -> None:
        self.written += n
        if self.written > self.limits.max_bytes:
            raise TransferLimitError(
                f"{self.source} sent more than {self.limits.max_bytes:,} bytes, more than the file should have; "
                "the transfer was cut and nothing was kept")
        self.check_time()

    def check_time(self) -> None:
        if self.abandoned.is_set():
            raise TransferLimitError(f"{self.source}: transfer abandoned")
        if time.monotonic() > self.end:
            raise self.deadline_error()

    def deadline_error(self) -> TransferLimitError:
        return TransferLimitError(
            f"{self.source} did not deliver the file within {self.limits.deadline:g} s "
            f"({self.written:,} bytes arrived); the transfer was cut and nothing was kept")


def copy_local_file(path: str, output_file: str, limits: TransferLimits, report: Callable[[int], None],
                    set_total: Callable[[int], None]) -> None:
    """Copy a ``file://`` source: a plain file only (never a FIFO or device), within the limits."""
    meter = _Meter(limits, path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # O_NONBLOCK: opening a FIFO must not wait for a writer
    with os.fdopen(fd, "rb") as source:
        info = os.fstat(source.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise TransferLimitError(f"{path} is not a plain file (a pipe or a device?); a mirror folder "
                                     "must hold the data set's files themselves")
        if info.st_size > limits.max_bytes:
            raise TransferLimitError(f"{path} has {info.st_size:,} bytes, more than the file should have "
                                     f"({limits.max_bytes:,} at most); nothing was copied")
        set_total(info.st_size)
        with open(output_file, "wb") as target:
            while chunk := source.read(min(CHUNK_SIZE, meter.room() + 1)):
                meter.add(len(chunk))
                target.write(chunk)
                report(len(chunk))


def _inflater(encoding: str, source: str):
    """A zlib decoder for the response's Content-Encoding, or None for a plain body."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise TransferLimitError(f"{source} sent its file in an unsupported encoding ({encoding!r})")


def _http_body(url: str, output_file: str, meter: _Meter, progress_bytes: list[int],
               totals: list[int]) -> None:
    """The helper thread's work: request, then stream the raw body to ``output_file``."""
    import requests
    import urllib3

    limits = meter.limits
    with open(output_file, "wb") as target, requests.get(
            url, stream=True, timeout=(limits.stall_timeout, min(limits.stall_timeout, limits.deadline)),
            headers={"Accept-Encoding": "identity"}) as response:
        meter.check_time()
        response.raise_for_status()
        inflater = _inflater(response.headers.get("Content-Encoding", ""), url)
        length = response.headers.get("Content-Length", "")
        if inflater is None and length.isdigit():
            if int(length) > limits.max_bytes:
                raise TransferLimitError(f"{url} announces {int(length):,} bytes, more than the file should have "
                                         f"({limits.max_bytes:,} at most); nothing was downloaded")
            totals.append(int(length))
        try:
            while True:
                meter.check_time()
                # read1: whatever has arrived (a trickling server cannot make one read last for ever);
                # decode_content=False: a compressed body is inflated here, capped, never by urllib3.
                chunk = response.raw.read1(CHUNK_SIZE, decode_content=False)
                if not chunk:
                    break
                if inflater is not None:
                    chunk = inflater.decompress(chunk, meter.room() + 1)
                meter.add(len(chunk))
                target.write(chunk)
                progress_bytes[0] += len(chunk)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.Timeout(str(exc)) from None
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError) as exc:
            raise requests.exceptions.ChunkedEncodingError(str(exc)) from None
        except zlib.error as exc:
            raise TransferLimitError(f"{url} sent a damaged compressed body ({exc})") from None
        if inflater is not None and not inflater.eof:
            raise requests.exceptions.ChunkedEncodingError(f"{url}: the compressed body ends early")


def http_download(url: str, output_file: str, limits: TransferLimits, report: Callable[[int], None],
                  set_total: Callable[[int], None], check_cancel: Callable[[], None]) -> None:
    """Fetch ``url`` into ``output_file`` within ``limits``; report bytes from the calling thread.

    Exceptions of the transfer (requests' own, or :class:`TransferLimitError`) are raised here.
    ``check_cancel()`` is polled and raises the caller's cancellation, even while the server is
    silent; the helper thread is then abandoned and writes nothing more.
    """
    meter = _Meter(limits, url)
    progress_bytes, totals, failure = [0], [], []

    def work() -> None:
        try:
            _http_body(url, output_file, meter, progress_bytes, totals)
        except BaseException as exc:  # handed to the waiting thread
            failure.append(exc)

    helper = threading.Thread(target=work, name="nnviz-download", daemon=True)
    helper.start()
    reported, total_sent = 0, False
    try:
        while helper.is_alive():
            helper.join(_POLL)
            if totals and not total_sent:
                set_total(totals[0])
                total_sent = True
            done = progress_bytes[0]
            if done > reported:
                report(done - reported)  # may raise the caller's cancellation
                reported = done
            check_cancel()
            if time.monotonic() > meter.end + _POLL and helper.is_alive():
                raise meter.deadline_error()
    finally:
        meter.abandoned.set()  # a helper still blocked stops at its next read and writes nothing more
    if failure:
        raise failure[0]
    if progress_bytes[0] > reported:
        report(progress_bytes[0] - reported)

