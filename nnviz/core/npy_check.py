""".npy and .npz files checked before NumPy loads them.

``np.load`` allocates what a ``.npy`` header declares before reading a byte, and a ``.npz`` member
inflates to whatever its zip entry says. These checks read only the headers (and the zip's central
directory) and compare the declared shape and dtype with the bytes really there and with the limits
in :mod:`nnviz.core.limits`, so a hostile file is refused in milliseconds. Loading afterwards
still uses ``allow_pickle=False``.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .limits import format_bytes, product

NPY_MAGIC = b"\x93NUMPY"


class UnsafeArrayFile(Exception):
    """Why an array file is refused (callers add the file's name and their own error type)."""


MAX_NPZ_MEMBERS = 1024
_MAX_HEADER = 10_000  # bytes of a .npy header (NumPy's own default limit)


def _header(stream: BinaryIO, name: str) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, header length) of a .npy stream positioned at its start."""
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, _fortran, dtype = np.lib.format.read_array_header_1_0(stream, max_header_size=_MAX_HEADER)
        elif version == (2, 0):
            shape, _fortran, dtype = np.lib.format.read_array_header_2_0(stream, max_header_size=_MAX_HEADER)
        else:
            raise UnsafeArrayFile(f"{name}.npy format version {version} is not supported")
    except Exception as exc:  # NumPy parses the header with Python's tokenizer: it raises many kinds
        raise UnsafeArrayFile(f"{name}not a readable .npy array ({type(exc).__name__}: {exc})") from None
    return tuple(int(d) for d in shape), np.dtype(dtype), stream.tell()


def _check_body(name: str, shape: tuple[int, ...], dtype: np.dtype, body_bytes: int, max_bytes: int) -> None:
    if dtype.hasobject:
        raise UnsafeArrayFile(f"{name}holds Python objects (pickle), which nnviz never loads")
    declared = product(shape) * dtype.itemsize
    if product(max(d, 1) for d in shape) * dtype.itemsize > max_bytes:  # empty axes too: NumPy cannot shape it
        raise UnsafeArrayFile(f"{name}its header declares an array of shape {shape} ({format_bytes(declared)}), "
                    f"more than nnviz loads ({format_bytes(max_bytes)}); the file is damaged or hostile")
    if declared != body_bytes:
        raise UnsafeArrayFile(f"{name}its header declares shape {shape} of {dtype} ({declared:,} bytes), but the file "
                    f"holds {body_bytes:,} bytes of data; it is truncated or damaged")


def check_npy_file(path: Path, max_bytes: int) -> None:
    """Refuse a .npy file whose header does not fit its length or ``max_bytes``."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise UnsafeArrayFile("not a regular file (a device or pipe?)")
            shape, dtype, header_len = _header(handle, "")
    except OSError as exc:
        raise UnsafeArrayFile(f"cannot read the file ({exc.strerror or exc})") from None
    _check_body("", shape, dtype, info.st_size - header_len, max_bytes)


def check_npz_file(path: Path, max_bytes: int) -> None:
    """Refuse an .npz whose members (their zip sizes and .npy headers) exceed ``max_bytes`` in total.

    zipfile never returns more than a member's recorded ``file_size`` (and checks its CRC), so
    the sizes checked here bound what loading can inflate.
    """
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeArrayFile("not a regular file (a device or pipe?)")
        if info.st_size > max_bytes:
            raise UnsafeArrayFile(f"{format_bytes(info.st_size)} is more than nnviz loads "
                        f"({format_bytes(max_bytes)})")
        with open(path, "rb") as handle:
            if handle.read(len(NPY_MAGIC)) == NPY_MAGIC:
                raise UnsafeArrayFile("a single .npy array, not an .npz archive of arrays")
        if not zipfile.is_zipfile(path):
            raise UnsafeArrayFile("not an .npz (zip) archive")
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_NPZ_MEMBERS:
                raise UnsafeArrayFile(f"{len(members):,} arrays, more than nnviz reads from one file")
            total = sum(member.file_size for member in members)
            if total > max_bytes:
                raise UnsafeArrayFile(f"its arrays would inflate to {format_bytes(total)}, more than nnviz loads "
                            f"({format_bytes(max_bytes)}); the file is damaged or a zip bomb")
            for member in members:
                name = f"{member.filename}: "
                with archive.open(member) as stream:
                    shape, dtype, header_len = _header(stream, name)
                _check_body(name, shape, dtype, member.file_size - header_len, max_bytes)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise UnsafeArrayFile(f"not a readable .npz archive ({exc})") from None
    except OSError as exc:
        raise UnsafeArrayFile(f"cannot read the file ({exc.strerror or exc})") from None
