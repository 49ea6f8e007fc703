"""`nnviz.core.data.downloads` against a loopback HTTP server (127.0.0.1, port 0) and file:// mirrors.

The server serves the real MNIST .gz files from ../shared/data (``$NNVIZ_TEST_DATA``), laid out as
<base>/mnist/<file>; without them, small stand-ins whose hashes replace the table's, so these tests
run anywhere. Most tests use only the two small label files (a patched table entry) to stay fast.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import tarfile
import threading
import time
import zipfile
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from nnviz.core.data import downloads, loading as datasets
from nnviz.core.data.cifar import CIFAR10_CLASS_NAMES, cifar_batch_bytes
from nnviz.core.data.loading import load_dataset
from nnviz.core.data.downloads import DOWNLOADS, DownloadCancelled, availability, fetch_dataset, get_download
from nnviz.core.errors import DatasetError

LABEL_FILES = ("train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
REAL_MNIST = Path(os.environ.get("NNVIZ_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")) / "mnist"
HAVE_REAL_MNIST = all((REAL_MNIST / f.name).is_file() for f in DOWNLOADS["mnist"].files)
N_STAND_IN = {"train": 1000, "t10k": 50}  # examples in the stand-in files


class LoopbackServer:
    """Serves ``root`` over HTTP on 127.0.0.1; ``slow`` and ``cut`` paths misbehave on purpose."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.slow: dict[str, float] = {}  # path -> seconds between 64 kB chunks
        self.cut: set[str] = set()  # paths whose body stops halfway (Content-Length says more)
        self.requests: list[str] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, owner: LoopbackServer, *args, **kwargs) -> None:
        self.owner = owner
        super().__init__(*args, **kwargs)

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.owner.requests.append(self.path)
        path = self.owner.root / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if self.path in self.owner.cut:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
            elif self.path in self.owner.slow:
                for start in range(0, len(body), 65536):
                    self.wfile.write(body[start:start + 65536])
                    self.wfile.flush()
                    time.sleep(self.owner.slow[self.path])
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


pytestmark = pytest.mark.usefixtures("isolated_data_env")  # see conftest.py


def _idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def make_mirror(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``<root>/mnist/<the four MNIST files>``: the real ones, or stand-ins entered in the table."""
    folder = root / "mnist"
    folder.mkdir(parents=True)
    spec = DOWNLOADS["mnist"]
    if HAVE_REAL_MNIST:
        for file in spec.files:
            (folder / file.name).symlink_to(REAL_MNIST / file.name)
        return root
    rng = np.random.default_rng(0)
    files = []
    for file in spec.files:
        n = N_STAND_IN[file.name.split("-")[0]]
        array = rng.integers(0, 256, (n, 28, 28)) if "images" in file.name else (np.arange(n) + 7) % 10
        data = _idx_gz(array)
        (folder / file.name).write_bytes(data)
        files.append(dataclasses.replace(file, known_hash="sha256:" + hashlib.sha256(data).hexdigest(), size=len(data)))
    monkeypatch.setitem(DOWNLOADS, "mnist", dataclasses.replace(spec, files=tuple(files)))
    return root


@pytest.fixture()
def www(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_mirror(tmp_path / "www", monkeypatch)


@pytest.fixture()
def server(www: Path):
    loopback = LoopbackServer(www)
    yield loopback
    loopback.close()


@pytest.fixture()
def labels_only(www: Path, monkeypatch: pytest.MonkeyPatch):
    """The mnist entry reduced to its two label files (33 kB in all), with a mirror holding them."""
    spec = DOWNLOADS["mnist"]
    small = dataclasses.replace(spec, files=tuple(f for f in spec.files if f.name in LABEL_FILES))
    monkeypatch.setitem(DOWNLOADS, "mnist", small)
    return small


def current_umask() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def cache_files(tmp_path: Path) -> list[str]:
    folder = tmp_path / "cache"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# --- the table ---------------------------------------------------------------------------------
def test_table_covers_every_image_set() -> None:
    provided = [name for spec in DOWNLOADS.values() for name in spec.provides]
    assert sorted(provided) == sorted(datasets.IMAGE_DATASETS)
    assert list(DOWNLOADS) == ["mnist", "fashion-mnist", "kmnist", "emnist", "mnist-c", "cifar10"]
    for spec in DOWNLOADS.values():
        assert spec.licence and spec.homepage and spec.hash_source and spec.size > 0
        for file in spec.files:
            algorithm, digest = file.known_hash.split(":")
            assert (algorithm, len(digest)) in (("sha256", 64), ("md5", 32))
            assert all(url.startswith(("https://", "http://")) and url.endswith("/" + file.name) for url in file.urls)
    assert get_download("mnist-c/fog") is DOWNLOADS["mnist-c"]
    with pytest.raises(DatasetError, match="no download for 'cifar-100'"):
        get_download("cifar-100")


def test_mnist_hashes_match_the_real_files(shared_data_dir: Path) -> None:
    for file in DOWNLOADS["mnist"].files:
        path = shared_data_dir / "mnist" / file.name
        assert file.known_hash == "sha256:" + sha256(path)
        assert file.size == path.stat().st_size


# --- good fetches ------------------------------------------------------------------------------
def test_good_fetch_lands_in_the_cache_and_loads(tmp_path: Path, server: LoopbackServer) -> None:
    seen: list[tuple[str, int, int]] = []
    result = fetch_dataset("mnist", mirror=server.url, progress=lambda *a: seen.append(a), timeout=5)
    assert result.folder == tmp_path / "cache" / "mnist"
    assert sorted(result.downloaded) == sorted(f.name for f in DOWNLOADS["mnist"].files)
    assert result.bytes_downloaded == DOWNLOADS["mnist"].size
    assert cache_files(tmp_path) == sorted(f"mnist/{f.name}" for f in DOWNLOADS["mnist"].files)
    mode = 0o666 & ~current_umask()  # not pooch's 0600: a shared cache stays readable
    assert all((result.folder / f.name).stat().st_mode & 0o777 == mode for f in DOWNLOADS["mnist"].files)
    last = {name: (done, total) for name, done, total in seen}
    images_size = DOWNLOADS["mnist"].files[0].size  # 9,912,422 bytes for the real file
    assert last["train-images-idx3-ubyte.gz"] == (images_size, images_size)
    dataset = load_dataset("mnist", val_size=0)  # found through NNVIZ_CACHE_DIR
    assert dataset.size("train") == (60_000 if HAVE_REAL_MNIST else N_STAND_IN["train"])
    assert dataset.y_test[0] == 7
    # Again: every cached file is hash-checked, nothing is transferred.
    count = len(server.requests)
    assert fetch_dataset("mnist", mirror=server.url).already_cached
    assert len(server.requests) == count
    assert [row.state for row in availability() if row.download.name == "mnist"] == ["cached"]


def test_corrupt_cached_file_is_fetched_again(tmp_path: Path, server: LoopbackServer, labels_only) -> None:
    folder = tmp_path / "cache" / "mnist"
    folder.mkdir(parents=True)
    whole = (server.root / "mnist" / LABEL_FILES[0]).read_bytes()
    partial_copy = whole[: len(whole) // 2]
    (folder / LABEL_FILES[0]).write_bytes(partial_copy)
    result = fetch_dataset("mnist", mirror=server.url)
    assert sorted(result.downloaded) == sorted(LABEL_FILES)
    for file in labels_only.files:
        assert "sha256:" + sha256(folder / file.name) == file.known_hash


def test_environment_variable_and_file_mirror(tmp_path: Path, www: Path, monkeypatch, labels_only) -> None:
    monkeypatch.setenv("NNVIZ_DATA_URL", www.as_uri() + "/")  # trailing slash tolerated
    result = fetch_dataset("mnist")
    assert sorted(result.downloaded) == sorted(LABEL_FILES)
    assert cache_files(tmp_path) == sorted(f"mnist/{name}" for name in LABEL_FILES)


def test_official_addresses_are_tried_in_order(tmp_path: Path, server: LoopbackServer, monkeypatch) -> None:
    spec = DOWNLOADS["mnist"]
    file = dataclasses.replace(spec.files[1], urls=(f"{server.url}/gone/{LABEL_FILES[0]}",
                                                    f"{server.url}/mnist/{LABEL_FILES[0]}"))
    monkeypatch.setitem(DOWNLOADS, "mnist", dataclasses.replace(spec, files=(file,)))
    assert fetch_dataset("mnist").downloaded == [LABEL_FILES[0]]
    assert server.requests == [f"/gone/{LABEL_FILES[0]}", f"/mnist/{LABEL_FILES[0]}"]


# --- failures leave nothing behind -------------------------------------------------------------
def test_wrong_hash_is_refused(tmp_path: Path, server: LoopbackServer, labels_only) -> None:
    # The mirror holds the test labels under the training labels' name.
    target = server.root / "mnist" / LABEL_FILES[0]
    target.unlink()
    shutil.copy(server.root / "mnist" / LABEL_FILES[1], target)
    with pytest.raises(DatasetError) as info:
        fetch_dataset("mnist", mirror=server.url)
    message = str(info.value)
    assert "is not the expected file: its SHA-256 does not match" in message and "\n" not in message
    assert "The file was not kept" in message and "Check the network" not in message
    assert LABEL_FILES[0] not in " ".join(cache_files(tmp_path))


def test_truncated_file_is_refused(tmp_path: Path, server: LoopbackServer, labels_only) -> None:
    target = server.root / "mnist" / LABEL_FILES[0]
    data = target.read_bytes()
    target.unlink()
    target.write_bytes(data[:-100])
    with pytest.raises(DatasetError, match="SHA-256 does not match"):
        fetch_dataset("mnist", mirror=server.url)
    assert cache_files(tmp_path) == []  # the first file failed; nothing at all was kept


def test_connection_cut_halfway(tmp_path: Path, server: LoopbackServer, labels_only) -> None:
    server.cut.add(f"/mnist/{LABEL_FILES[0]}")
    with pytest.raises(DatasetError, match="broke off before the end of the file"):
        fetch_dataset("mnist", mirror=server.url, timeout=5)
    assert cache_files(tmp_path) == []


def test_404(tmp_path: Path, server: LoopbackServer, labels_only) -> None:
    (server.root / "mnist" / LABEL_FILES[1]).unlink()
    with pytest.raises(DatasetError) as info:
        fetch_dataset("mnist", mirror=server.url)
    assert f"{server.url}/mnist/{LABEL_FILES[1]} not found (HTTP 404)" in str(info.value)
    assert "--mirror" in str(info.value)
    assert "<base>/<set>/<file>" in str(info.value)  # the layout, not "check the network"
    assert f"expected {LABEL_FILES[1]} at {server.url}/mnist/{LABEL_FILES[1]}" in str(info.value)
    assert "Check the network" not in str(info.value)
    assert cache_files(tmp_path) == [f"mnist/{LABEL_FILES[0]}"]  # the good first file stays


def test_stalled_server_times_out(tmp_path: Path, labels_only) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        start = time.monotonic()
        with pytest.raises(DatasetError, match=r"did not answer within 0.5 s"):
            fetch_dataset("mnist", mirror=f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.5)
        assert time.monotonic() - start < 5
    assert cache_files(tmp_path) == []


def test_offline(tmp_path: Path, labels_only) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(DatasetError, match=f"cannot connect to http://127.0.0.1:{port} .offline"):
        fetch_dataset("mnist", mirror=f"http://127.0.0.1:{port}", timeout=2)


def test_file_mirror_missing_file(tmp_path: Path, labels_only) -> None:
    with pytest.raises(DatasetError, match="not found") as info:
        fetch_dataset("mnist", mirror=(tmp_path / "empty").as_uri())
    assert "<base>/<set>/<file>" in str(info.value)
    with pytest.raises(DatasetError, match="unsupported URL scheme 'ftp'"):
        fetch_dataset("mnist", mirror="ftp://example.org/data")


def test_cancelled_download_leaves_no_half_file(tmp_path: Path, server: LoopbackServer) -> None:
    name = "train-images-idx3-ubyte.gz"  # 9.9 MB, sent in 64 kB chunks 20 ms apart
    server.slow[f"/mnist/{name}"] = 0.02
    cancel = threading.Event()
    seen = []

    def progress(file_name: str, done: int, total: int) -> None:
        seen.append((file_name, done))
        if done >= 3 * 65536:
            cancel.set()  # as the dialog's Cancel button does, from another thread

    start = time.monotonic()
    with pytest.raises(DownloadCancelled):
        fetch_dataset("mnist", mirror=server.url, progress=progress, cancel=cancel)
    assert time.monotonic() - start < 5
    assert seen and all(file_name == name for file_name, _ in seen)
    assert cache_files(tmp_path) == []  # no half file, no temporary file
    assert (tmp_path / "cache" / "mnist").is_dir()


# --- archives ----------------------------------------------------------------------------------
def _tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _serve_archive(monkeypatch, www: Path, key: str, data: bytes) -> Path:
    spec = DOWNLOADS[key]
    file = spec.files[0]
    (www / key).mkdir(parents=True, exist_ok=True)
    (www / key / file.name).write_bytes(data)
    fake = dataclasses.replace(file, known_hash="sha256:" + hashlib.sha256(data).hexdigest(), size=len(data))
    monkeypatch.setitem(DOWNLOADS, key, dataclasses.replace(spec, files=(fake,)))
    return www / key / file.name


def test_cifar_archive_is_unpacked_and_loads(tmp_path: Path, monkeypatch) -> None:
    rng = np.random.default_rng(0)
    members = {}
    for name in (*(f"data_batch_{i}.bin" for i in range(1, 6)), "test_batch.bin"):
        members[f"cifar-10-batches-bin/{name}"] = cifar_batch_bytes(
            rng.integers(0, 256, (4, 3, 32, 32)), np.arange(4) % 10)
    members["cifar-10-batches-bin/batches.meta.txt"] = "\n".join(CIFAR10_CLASS_NAMES).encode() + b"\n\n"
    members["cifar-10-batches-bin/readme.html"] = b"<html></html>"
    members["../escape.bin"] = b"never written"
    www = tmp_path / "www"
    _serve_archive(monkeypatch, www, "cifar10", _tar_gz(members))
    result = fetch_dataset("cifar10", mirror=www.as_uri())
    folder = tmp_path / "cache" / "cifar10"
    assert result.downloaded == ["cifar-10-binary.tar.gz"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [".nnviz-download.json", "batches.meta.txt", "test_batch.bin", *(f"data_batch_{i}.bin" for i in range(1, 6))])
    assert not (tmp_path / "cache" / "escape.bin").exists()
    assert (folder / "test_batch.bin").stat().st_mode & 0o777 == 0o666 & ~current_umask()
    dataset = load_dataset("cifar10", val_size=4)
    assert dataset.x_train.shape == (16, 3, 32, 32) and dataset.size("val") == 4 and dataset.size("test") == 4
    # Intact: nothing to do. A damaged unpacked file: the archive is fetched and unpacked again.
    assert fetch_dataset("cifar10", mirror=www.as_uri()).already_cached
    (folder / "data_batch_3.bin").write_bytes(b"x" * 10)
    assert fetch_dataset("cifar10", mirror=www.as_uri()).downloaded == ["cifar-10-binary.tar.gz"]
    assert (folder / "data_batch_3.bin").stat().st_size == 4 * 3073


def test_archive_without_the_members(tmp_path: Path, monkeypatch) -> None:
    www = tmp_path / "www"
    _serve_archive(monkeypatch, www, "cifar10", _tar_gz({"other/data_batch_1.bin": b"x"}))
    with pytest.raises(DatasetError, match="lacks batches.meta.txt, data_batch_1.bin"):
        fetch_dataset("cifar10", mirror=www.as_uri())


def test_emnist_zip_and_orientation(tmp_path: Path, monkeypatch) -> None:
    upright = np.zeros((3, 28, 28), dtype=np.uint8)
    upright[:, 2, :] = 255  # a horizontal bar in row 2
    stored = upright.transpose(0, 2, 1)  # EMNIST stores images transposed
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for split in ("train", "test"):
            zipped.writestr(f"gzip/emnist-digits-{split}-images-idx3-ubyte.gz", _idx_gz(stored))
            zipped.writestr(f"gzip/emnist-digits-{split}-labels-idx1-ubyte.gz", _idx_gz(np.arange(3)))
        zipped.writestr("gzip/emnist-letters-test-labels-idx1-ubyte.gz", b"not wanted")
    www = tmp_path / "www"
    _serve_archive(monkeypatch, www, "emnist", buffer.getvalue())
    fetch_dataset("emnist", mirror=www.as_uri())
    dataset = load_dataset("emnist", val_size=1)
    assert dataset.x_train.shape == (2, 1, 28, 28)
    assert dataset.x_train[0, 0, 2].min() == 1.0 and dataset.x_train[0, 0, :, 5].max() == 1.0
    assert dataset.x_train[0, 0].sum() == 28  # exactly the bar: rows are rows again


def test_mnist_c_zip(tmp_path: Path, monkeypatch) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for corruption in datasets.MNIST_C_CORRUPTIONS:
            for split, n in (("train", 6), ("test", 2)):
                for kind, array in (("images", np.full((n, 28, 28, 1), 51, dtype=np.uint8)),
                                    ("labels", np.arange(n, dtype=np.uint8))):
                    npy = io.BytesIO()
                    np.save(npy, array)
                    zipped.writestr(f"mnist_c/{corruption}/{split}_{kind}.npy", npy.getvalue())
    www = tmp_path / "www"
    _serve_archive(monkeypatch, www, "mnist-c", buffer.getvalue())
    fetch_dataset("mnist-c/fog", mirror=www.as_uri())  # any provided name fetches the whole download
    manifest = json.loads((tmp_path / "cache" / "mnist-c" / ".nnviz-download.json").read_text())
    assert len(manifest) == 4 * len(datasets.MNIST_C_CORRUPTIONS)
    for corruption in datasets.MNIST_C_CORRUPTIONS:
        dataset = load_dataset(f"mnist-c/{corruption}", val_size=2)
        assert dataset.x_train.shape == (4, 1, 28, 28) and dataset.x_test.shape == (2, 1, 28, 28)
        assert dataset.x_train.max() == pytest.approx(0.2)
    assert {row.download.name: row.state for row in availability()}["mnist-c"] == "cached"


def test_unwritable_cache(tmp_path: Path, monkeypatch, labels_only) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    monkeypatch.setenv("NNVIZ_CACHE_DIR", str(blocker / "cache"))
    with pytest.raises(DatasetError, match="cannot create the cache folder .* set NNVIZ_CACHE_DIR"):
        fetch_dataset("mnist", mirror="http://127.0.0.1:9")


def test_format_size_and_base_url(monkeypatch) -> None:
    assert downloads.format_size(9_912_422) == "9.9 MB"
    assert downloads.format_size(4_542) == "4.5 kB"
    assert downloads.format_size(246_650_000, exact=False) == "about 246.7 MB"
    assert downloads.base_url() is None
    monkeypatch.setenv("NNVIZ_DATA_URL", "http://intranet/data/")
    assert downloads.base_url() == "http://intranet/data"
    assert downloads.base_url("file:///srv/data") == "file:///srv/data"  # --mirror wins
