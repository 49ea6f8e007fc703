"""Downloads into the user cache: one table of every data set's official files, and `fetch_dataset`.

``fetch_dataset("mnist")`` fetches each file with pooch into :func:`dataset_cache_dir`
(``$NNVIZ_CACHE_DIR/<name>``, default platformdirs' user cache). pooch streams to a temporary
file in that folder and moves it into place only when its checksum matches, so a failed,
corrupt or cancelled download never leaves a half file; a cached file whose checksum no longer
matches (a partial copy, a damaged disk) is fetched again. Archives (EMNIST, MNIST-C, CIFAR-10)
are unpacked, only the members nnviz reads, each written atomically, then deleted; a small
manifest (``.nnviz-download.json``) records the unpacked files' sizes and SHA-256 so the next
fetch can tell whether they are still intact.

Another base URL (``--mirror URL`` or ``$NNVIZ_DATA_URL``) replaces the official ones: a file is
then ``<base>/<data set>/<file name>``, over ``http(s)://`` or ``file://`` (a shared folder).

The table of URLs, hashes, sizes and licences is :mod:`nnviz.core.data.download_table`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tarfile
import tempfile
import threading
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

from nnviz.core.atomic import atomic_write_bytes
from nnviz.core.data.loading import IMAGE_DATASETS, dataset_cache_dir, dataset_status
from nnviz.core.data.download_table import DOWNLOADS, DatasetDownload, RemoteFile  # noqa: F401 (re-exported)
from nnviz.core.errors import DatasetError, NnvizError
from nnviz.core.transfer import TransferLimitError, TransferLimits, copy_local_file, http_download

BASE_URL_ENV = "NNVIZ_DATA_URL"
DEFAULT_TIMEOUT = 30.0  # seconds without a byte before a download counts as stalled
MANIFEST = ".nnviz-download.json"

# (file name, bytes done, bytes total or 0 if unknown); also (``"unpacking <archive>"``, i, n).
ProgressCallback = Callable[[str, int, int], None]


class DownloadCancelled(NnvizError):
    """The user cancelled a download; nothing half-written was left in the cache."""


@dataclass(frozen=True)
class FetchResult:
    name: str
    folder: Path
    downloaded: list[str] = field(default_factory=list)  # file names actually transferred
    bytes_downloaded: int = 0

    @property
    def already_cached(self) -> bool:
        return not self.downloaded


@dataclass(frozen=True)
class Availability:
    download: DatasetDownload
    state: str  # "cached", "local", "partial" or "downloadable"
    path: Path | None  # the folder it loads from (first one for MNIST-C)
    detail: str = ""


def get_download(name: str) -> DatasetDownload:
    """The download for ``name``: a table key, or a data set it provides (``mnist-c/fog``)."""
    key = IMAGE_DATASETS[name].download_name if name in IMAGE_DATASETS else name
    if key in DOWNLOADS:
        return DOWNLOADS[key]
    raise DatasetError(f"no download for {name!r}; known: {', '.join(DOWNLOADS)}")


def format_size(size: int, exact: bool = True) -> str:
    if size < 1000:
        text = f"{size} B"
    else:
        text = f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size / 1e3:,.1f} kB"
    return text if exact else f"about {text}"


def base_url(mirror: str | None = None) -> str | None:
    """The mirror base URL in force: ``mirror``, else ``$NNVIZ_DATA_URL``, else None (official)."""
    value = (mirror or os.environ.get(BASE_URL_ENV, "")).strip()
    return value.rstrip("/") or None


def availability(data_dir: str | os.PathLike[str] | None = None) -> list[Availability]:
    """Where every downloadable set stands, for ``nnviz data list`` and the window's picker."""
    rows = []
    for spec in DOWNLOADS.values():
        found = {name: dataset_status(name, data_dir) for name in spec.provides}
        present = {name: Path(folder) for name, folder in found.items() if folder}
        if not present:
            rows.append(Availability(spec, "downloadable", None))
            continue
        first = next(iter(present.values()))
        if len(present) < len(spec.provides):
            missing = ", ".join(sorted(set(spec.provides) - set(present)))
            rows.append(Availability(spec, "partial", first, f"missing {missing}"))
        elif all(path == dataset_cache_dir(name) for name, path in present.items()):
            rows.append(Availability(spec, "cached", first))
        else:
            rows.append(Availability(spec, "local", first))
    return rows


# --- transfer ----------------------------------------------------------------------------------
class _Progress:
    """The object pooch's HTTPDownloader drives (``total``, ``update``, ``reset``, ``close``).

    Each update reports to the callback and checks the cancel event: cancelling raises
    :class:`DownloadCancelled` inside the transfer, and pooch deletes its temporary file.
    """

    def __init__(self, file: RemoteFile, callback: ProgressCallback | None, cancel: threading.Event | None):
        self.file, self.callback, self.cancel = file, callback, cancel
        self._total = file.size
        self.done = 0

    @property
    def total(self) -> int:
        return self._total

    @total.setter
    def total(self, value: int) -> None:  # pooch sets 0 when the server sends no length
        if value:
            self._total = int(value)

    def update(self, n: int) -> None:
        check_cancel(self.cancel)
        self.done = min(self.done + int(n), self._total) if self._total else self.done + int(n)
        if self.callback:
            self.callback(self.file.name, self.done, self._total)

    def reset(self) -> None:
        self.done = 0

    def close(self) -> None:
        pass


def _make_readable(path: Path) -> None:
    """pooch and mkstemp create files as 0600; apply the umask instead (a shared cache on a cluster).

    The umask is read from /proc (Linux), not set and reset, which would race with other threads.
    """
    mask = 0o022
    try:
        status = Path("/proc/self/status").read_text()
        mask = next(int(line.split()[1], 8) for line in status.splitlines() if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        pass
    path.chmod(0o666 & ~mask)


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise DownloadCancelled("download cancelled; nothing half-written was kept")


class _Downloader:
    """pooch downloader: http(s) and file:// through :mod:`nnviz.core.transfer`, capped and with a deadline."""

    def __init__(self, progress: _Progress, limits: TransferLimits) -> None:
        self.progress, self.limits = progress, limits
        self.called = False

    def _set_total(self, total: int) -> None:
        self.progress.total = total

    def __call__(self, url: str, output_file: str, pooch_obj: object, check_only: bool = False) -> None:
        self.called = True
        check_cancel(self.progress.cancel)
        parsed = urlparse(url)
        if parsed.scheme == "file":
            if parsed.netloc not in ("", "localhost"):
                raise DatasetError(f"{url}: file:// URLs must name a local path (file:///folder/...)")
            copy_local_file(urllib.request.url2pathname(parsed.path), output_file, self.limits,
                            self.progress.update, self._set_total)
        elif parsed.scheme in ("http", "https"):
            http_download(url, output_file, self.limits, self.progress.update, self._set_total,
                          lambda: check_cancel(self.progress.cancel))
        else:
            raise DatasetError(f"{url}: unsupported URL scheme {parsed.scheme!r}; use http(s):// or file://")


@contextmanager
def _quiet_pooch() -> Iterator[None]:
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _describe_failure(exc: Exception, url: str, file: RemoteFile, timeout: float) -> str:
    import requests

    parsed = urlparse(url)
    host = f"{parsed.scheme}://{parsed.netloc}" if parsed.netloc else url
    text = str(exc)
    if isinstance(exc, TransferLimitError):  # names the source itself
        return text
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        code = exc.response.status_code
        return f"{url} not found (HTTP 404)" if code == 404 else f"{url}: HTTP {code} {exc.response.reason}"
    if isinstance(exc, requests.Timeout) or "timed out" in text.lower():
        return f"{host} did not answer within {timeout:g} s (server stalled or network too slow)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"the transfer from {host} broke off before the end of the file"
    if isinstance(exc, requests.ConnectionError):
        return f"cannot connect to {host} (offline, or the server is down)"
    if isinstance(exc, ValueError) and "hash" in text:
        algorithm = file.known_hash.split(":")[0].upper().replace("SHA256", "SHA-256")
        return f"{url} is not the expected file: its {algorithm} does not match (corrupt, truncated or changed)"
    if isinstance(exc, FileNotFoundError):
        return f"{url} not found"
    if isinstance(exc, OSError):
        return f"{url}: {exc.strerror or exc}"
    return f"{url}: {text}"


def _is_not_found(exc: Exception) -> bool:
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return exc.response.status_code == 404
    return isinstance(exc, FileNotFoundError)


def _retrieve(spec: DatasetDownload, file: RemoteFile, folder: Path, base: str | None,
              callback: ProgressCallback | None, cancel: threading.Event | None, timeout: float,
              deadline: float | None) -> bool:
    """Fetch one file into ``folder`` unless a copy with the right checksum is there; True if fetched."""
    import pooch
    import requests

    urls = (f"{base}/{spec.name}/{file.name}",) if base else file.urls
    failures, wrong_content, not_found = [], False, False
    for url in urls:
        limits = TransferLimits.for_size(file.size, file.size_exact, timeout, deadline)
        downloader = _Downloader(_Progress(file, callback, cancel), limits)
        try:
            with _quiet_pooch():
                pooch.retrieve(url, known_hash=file.known_hash, fname=file.name, path=folder,
                               downloader=downloader)
            return downloader.called
        except (requests.RequestException, ValueError, OSError, TransferLimitError) as exc:
            failures.append(_describe_failure(exc, url, file, timeout))
            wrong_content |= isinstance(exc, ValueError)
            not_found |= _is_not_found(exc)
    where = "the mirror" if base else "every official address"
    if wrong_content:
        hint = "The file was not kept: the copy at the source is damaged or not the original"
    elif base and not_found:  # the server answered: the layout is wrong, not the network
        hint = (f"A --mirror / ${BASE_URL_ENV} must serve the official file names as <base>/<set>/<file>: "
                f"expected {file.name} at {base}/{spec.name}/{file.name}")
    else:
        hint = f"Check the network, or point --mirror / ${BASE_URL_ENV} at a copy"
    raise DatasetError(f"could not download {file.name} for {spec.name} from {where}: {'; '.join(failures)}. {hint}")


# --- archives ----------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _unpacked_intact(spec: DatasetDownload, folder: Path) -> bool:
    """True if the manifest lists every member and each file still has its size and SHA-256."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        for _member, target in spec.extract:
            entry, path = manifest[target], folder / target
            if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
                return False
        return True
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _open_members(archive: Path, wanted: dict[str, str]) -> Iterator[tuple[str, BinaryIO]]:
    """Yield (target, readable stream) for each wanted regular file, in archive order."""
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                if not info.is_dir() and info.filename.removeprefix("./") in wanted:
                    with zipped.open(info) as stream:
                        yield wanted[info.filename.removeprefix("./")], stream
    else:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:  # one pass: no seeking back in the gzip stream
                stream = tar.extractfile(member) if member.isfile() else None
                if stream is not None and member.name.removeprefix("./") in wanted:
                    yield wanted[member.name.removeprefix("./")], stream


def _unpack(spec: DatasetDownload, archive: Path, folder: Path, callback: ProgressCallback | None,
            cancel: threading.Event | None) -> None:
    """Copy the wanted members to their targets (each atomically), write the manifest, drop the archive.

    Targets come from the table, never from names inside the archive, so a hostile archive
    cannot write outside ``folder``.
    """
    wanted = {member: target for member, target in spec.extract}
    manifest: dict[str, dict] = {}
    label = f"unpacking {archive.name}"
    try:
        for target, stream in _open_members(archive, wanted):
            path = folder / target
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    while chunk := stream.read(1 << 20):
                        check_cancel(cancel)
                        out.write(chunk)
                os.replace(tmp_name, path)
                _make_readable(path)
            except BaseException:
                Path(tmp_name).unlink(missing_ok=True)
                raise
            manifest[target] = {"size": path.stat().st_size, "sha256": _sha256(path)}
            if callback:
                callback(label, len(manifest), len(wanted))
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        archive.unlink(missing_ok=True)
        raise DatasetError(f"{archive}: cannot unpack ({exc}); it was deleted, run the fetch again") from None
    missing = sorted(set(wanted.values()) - set(manifest))
    if missing:
        raise DatasetError(f"{archive} lacks {', '.join(missing)}; is it the right archive for {spec.name}?")
    atomic_write_bytes(folder / MANIFEST, json.dumps(manifest, indent=1).encode())
    archive.unlink()


def fetch_dataset(name: str, *, mirror: str | None = None, progress: ProgressCallback | None = None,
                  cancel: threading.Event | None = None, timeout: float = DEFAULT_TIMEOUT, deadline: float | None = None,
                  force: bool = False) -> FetchResult:
    """Download data set ``name`` into the user cache and check every file; see the module docstring.

    ``progress(file name, bytes done, bytes total)`` is called from the downloading thread;
    setting ``cancel`` stops the transfer with :class:`DownloadCancelled`. ``force`` fetches
    again even what is cached. ``timeout`` is the longest silence, ``deadline`` the longest whole
    transfer of one file (default: from its size, see :mod:`nnviz.core.transfer`); no file is
    written past its size in the table. Failures raise :class:`DatasetError` with a one-line reason.
    """
    for label, value in (("timeout", timeout), ("deadline", deadline)):
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise DatasetError(f"the download {label} must be a positive number of seconds, got {value!r}")
    spec = get_download(name)
    folder = dataset_cache_dir(spec.name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(f"cannot create the cache folder {folder} ({exc.strerror or exc}); "
                           "set NNVIZ_CACHE_DIR to a writable folder") from None
    base = base_url(mirror)
    if spec.extract and not force and _unpacked_intact(spec, folder):
        return FetchResult(spec.name, folder)
    downloaded, size = [], 0
    for file in spec.files:
        if force:
            (folder / file.name).unlink(missing_ok=True)
        if _retrieve(spec, file, folder, base, progress, cancel, timeout, deadline):
            downloaded.append(file.name)
            size += (folder / file.name).stat().st_size
            _make_readable(folder / file.name)
        if spec.extract:
            _unpack(spec, folder / file.name, folder, progress, cancel)
    return FetchResult(spec.name, folder, downloaded, size)
