"""Work around PySide6 6.12.0 on CPython 3.11: it returns None, True and False from C++ calls
without taking a reference (a void method such as ``widget.update()`` and every
``signal.emit()``). Each call lowers their reference counts by one, so after some ten thousand
calls Python aborts with "Fatal Python error: none_dealloc" (seconds into a training run).

CPython 3.12 made these objects immortal (PEP 683), so the bug is invisible there. On older
versions we do the same by hand: give them a reference count no session can use up. The objects
are statically allocated and never freed, so this changes nothing else. PySide6 6.11 is not
affected; pinning ``PySide6-Essentials!=6.12.0`` avoids the bug at its source.
"""

from __future__ import annotations

import ctypes
import platform
import sys

_HEADROOM = 1 << 40  # a million leaked references per second would take 35 years to use this up
_applied = False


def protect_singletons() -> bool:
    """Make None, True and False effectively immortal on CPython < 3.12; True if applied."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or platform.python_implementation() != "CPython":
        return False
    for obj in (None, True, False):
        # ob_refcnt is the first field of every CPython object (a Py_ssize_t).
        ctypes.c_ssize_t.from_address(id(obj)).value += _HEADROOM
    _applied = True
    return True
