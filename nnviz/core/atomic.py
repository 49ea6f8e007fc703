"""Atomic file writes: a temporary file in the target folder, then ``os.replace``.

A crash or a full disk never leaves a half-written config, metrics, model or figure behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import ExportError


def _file_mode() -> int:
    # mkstemp creates files as 0600; give them the mode a plain open() would (0666 minus the umask),
    # so run folders on a shared HPC file system stay readable by the group.
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_MODE = _file_mode()


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(file)`` on a temporary file beside ``path`` and move it into place."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _MODE)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda handle: handle.write(data))


_ENDINGS = {".png": b"IEND\xaeB`\x82", ".svg": b"</svg>"}  # how a whole file of each kind ends


def _looks_whole(path: Path, suffix: str) -> bool:
    """A writer that hit a full disk may still report success: check the file's last bytes."""
    ending = _ENDINGS.get(suffix.lower(), b"")
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        handle.seek(max(0, size - len(ending) - 16))
        tail = handle.read().rstrip()
    return size > 0 and tail.endswith(ending)


def atomic_export(path: Path, write: Callable[[str], bool | None]) -> Path:
    """Let ``write(temporary name)`` (a Qt exporter, which wants a file name) write beside ``path``;
    move the file into place only if ``write`` did not return False and the file is whole.

    The temporary name keeps the suffix, so exporters that choose the format by it still do.
    Raises :class:`ExportError`; a failed export leaves neither a temporary nor a truncated file.
    """
    path = Path(path)
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
        os.close(fd)
    except OSError as exc:
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}") from None
    try:
        if write(tmp_name) is False or not _looks_whole(Path(tmp_name), path.suffix):
            raise ExportError(f"Could not write {path}: the folder is read-only or the disk is full")
        with open(tmp_name, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp_name, _MODE)
        os.replace(tmp_name, path)
    except OSError as exc:
        Path(tmp_name).unlink(missing_ok=True)
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path
