"""Downloads against hostile sources: each transfer ends by its deadline or byte cap, and leaves nothing.

The servers are loopback `http.server` threads (127.0.0.1, port 0) that misbehave on purpose; the
``file://`` cases use a FIFO, ``/dev/zero`` and a sparse file. Deadlines are passed short, so
every test takes a few seconds at most.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import threading
import time
import zlib
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from nnviz.core.data.downloads import DOWNLOADS, DownloadCancelled, fetch_dataset
from nnviz.core.errors import DatasetError
from nnviz.core.transfer import TransferLimits

FILE_NAME = "train-labels-idx1-ubyte.gz"
PAYLOAD = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 100]) + bytes(range(10)) * 10)
CAP = TransferLimits.for_size(len(PAYLOAD), True, 1.0).max_bytes


def _gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes gzipped (about a thousandth of that), made without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(size >> 20)) + packer.flush()


BOMB = _gzip_bomb(64 << 20)  # 64 MB of zeros in about 64 kB

pytestmark = pytest.mark.usefixtures("isolated_data_env")  # see conftest.py


class HostileServer:
    """Answers every GET the way ``mode`` says; counts the body bytes it managed to send."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sent = 0
        self.stop = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.stop.set()  # handlers still trickling notice within one step
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, owner: HostileServer, *args, **kwargs) -> None:
        self.owner = owner
        super().__init__(*args, **kwargs)

    def log_message(self, *args) -> None:
        pass

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        self.owner.sent += len(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        mode, owner = self.owner.mode, self.owner
        try:
            if mode == "trickle-headers":  # the status line, then one header byte every 0.2 s
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                while not owner.stop.wait(0.2):
                    self.wfile.write(b"X")
                    self.wfile.flush()
                return
            self.send_response(200)
            if mode == "gzip-bomb":
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(BOMB)))
                self.end_headers()
                self._write(BOMB)
            elif mode == "huge-length":
                self.send_header("Content-Length", str(10**10))
                self.end_headers()
                while not owner.stop.is_set():
                    self._write(bytes(65536))
            elif mode == "endless":  # no length: the body ends when the connection does
                self.send_header("Connection", "close")
                self.end_headers()
                while not owner.stop.is_set():
                    self._write(bytes(65536))
            elif mode == "trickle":  # the right length, one byte every 0.2 s
                self.send_header("Content-Length", str(len(PAYLOAD)))
                self.end_headers()
                for i in range(len(PAYLOAD)):
                    if owner.stop.wait(0.2):
                        return
                    self._write(PAYLOAD[i:i + 1])
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture()
def one_file(monkeypatch: pytest.MonkeyPatch):
    """The mnist entry reduced to one small file whose hash and size the table knows."""
    spec = DOWNLOADS["mnist"]
    file = dataclasses.replace(spec.files[1], name=FILE_NAME, size=len(PAYLOAD),
                               known_hash="sha256:" + hashlib.sha256(PAYLOAD).hexdigest())
    monkeypatch.setitem(DOWNLOADS, "mnist", dataclasses.replace(spec, files=(file,)))


@pytest.fixture()
def hostile(request):
    server = HostileServer(request.param)
    yield server
    server.close()


def leftovers(tmp_path: Path) -> list[str]:
    folder = tmp_path / "cache"
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.mark.parametrize("hostile", ["trickle", "trickle-headers"], indirect=True)
def test_trickling_server_is_cut_at_the_deadline(tmp_path: Path, hostile: HostileServer, one_file) -> None:
    start = time.monotonic()
    with pytest.raises(DatasetError, match=r"did not deliver the file within 1 s"):
        fetch_dataset("mnist", mirror=hostile.url, timeout=5, deadline=1.0)
    assert time.monotonic() - start < 2.5  # the socket time-out (5 s) never fired: the deadline did
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("hostile", ["endless", "huge-length"], indirect=True)
def test_endless_body_is_cut_at_the_size_cap(tmp_path: Path, hostile: HostileServer, one_file) -> None:
    start = time.monotonic()
    with pytest.raises(DatasetError, match=r"(sent|announces) .* more than the file should have"):
        fetch_dataset("mnist", mirror=hostile.url, timeout=5, deadline=30)
    assert time.monotonic() - start < 3
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("hostile", ["gzip-bomb"], indirect=True)
def test_gzip_content_encoding_is_inflated_with_a_cap(tmp_path: Path, hostile: HostileServer, one_file) -> None:
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match=f"sent more than {CAP:,} bytes"):
            fetch_dataset("mnist", mirror=hostile.url, timeout=5, deadline=30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024  # far below the 64 MB the body would inflate to
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("hostile", ["trickle"], indirect=True)
def test_cancel_ends_a_silent_transfer_at_once(tmp_path: Path, hostile: HostileServer, one_file) -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    start = time.monotonic()
    with pytest.raises(DownloadCancelled):
        fetch_dataset("mnist", mirror=hostile.url, timeout=5, deadline=30, cancel=cancel)
    assert time.monotonic() - start < 1.5
    assert leftovers(tmp_path) == []


def _file_mirror(tmp_path: Path) -> Path:
    folder = tmp_path / "mirror" / "mnist"
    folder.mkdir(parents=True)
    return folder


def test_fifo_behind_a_file_mirror_is_refused(tmp_path: Path, one_file) -> None:
    os.mkfifo(_file_mirror(tmp_path) / FILE_NAME)  # no writer ever: opening it plainly would block
    start = time.monotonic()
    with pytest.raises(DatasetError, match="is not a plain file"):
        fetch_dataset("mnist", mirror=(tmp_path / "mirror").as_uri(), deadline=5)
    assert time.monotonic() - start < 1
    assert leftovers(tmp_path) == []


def test_dev_zero_behind_a_file_mirror_is_refused(tmp_path: Path, one_file) -> None:
    (_file_mirror(tmp_path) / FILE_NAME).symlink_to("/dev/zero")
    with pytest.raises(DatasetError, match="is not a plain file"):
        fetch_dataset("mnist", mirror=(tmp_path / "mirror").as_uri(), deadline=5)
    assert leftovers(tmp_path) == []


def test_huge_file_behind_a_file_mirror_is_refused_unread(tmp_path: Path, one_file) -> None:
    with open(_file_mirror(tmp_path) / FILE_NAME, "wb") as handle:
        handle.truncate(8 * 1024**3)  # sparse: 8 GiB long, no disk used
    start = time.monotonic()
    with pytest.raises(DatasetError, match="more than the file should have"):
        fetch_dataset("mnist", mirror=(tmp_path / "mirror").as_uri(), deadline=5)
    assert time.monotonic() - start < 1
    assert leftovers(tmp_path) == []


def test_good_file_still_arrives(tmp_path: Path, one_file) -> None:
    (_file_mirror(tmp_path) / FILE_NAME).write_bytes(PAYLOAD)
    result = fetch_dataset("mnist", mirror=(tmp_path / "mirror").as_uri(), deadline=5)
    assert result.downloaded == [FILE_NAME]
    assert (result.folder / FILE_NAME).read_bytes() == PAYLOAD


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 0, -1])
def test_deadline_and_timeout_must_be_finite(value: float, one_file) -> None:
    with pytest.raises(DatasetError, match="positive number of seconds"):
        fetch_dataset("mnist", mirror="file:///nowhere", timeout=value)
    with pytest.raises(DatasetError, match="positive number of seconds"):
        fetch_dataset("mnist", mirror="file:///nowhere", deadline=value)
