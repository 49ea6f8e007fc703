"""Can the window open here? Checked before Qt is imported, since Qt without a display (or without
the libraries of its X11 plugin) aborts the process with a core dump and advice to reinstall.

Qt-free on purpose: ``nnviz gui`` and ``python main.py`` call :func:`display_problem` first and
print its one line instead of starting Qt.
"""

from __future__ import annotations

import ctypes
import os
import socket
import stat
import sys
from collections.abc import Callable, Mapping


# Libraries Qt's xcb plugin loads that a bare Debian/Ubuntu machine may lack: soname -> package.
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-shape.so.0": "libxcb-shape0",
}

HEADLESS_HINT = ("Without a window: `nnviz train --png DIR` or `nnviz lab NAME --png DIR`; "
                 "on a virtual display: `xvfb-run -a python main.py`; from another machine: `ssh -X`.")


def has_display(environ: Mapping[str, str] | None = None) -> bool:
    """A display to show windows on (always assumed outside Linux)."""
    environ = os.environ if environ is None else environ
    return not sys.platform.startswith("linux") or bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)  # dlopen: as fast as a lookup and honours LD_LIBRARY_PATH as Qt does
    except OSError:
        return False
    return True


def _platform(environ: Mapping[str, str]) -> str:
    return environ.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()


def _uses_xcb(environ: Mapping[str, str]) -> bool:
    platform = _platform(environ)
    return sys.platform.startswith("linux") and (
        platform == "xcb" or (not platform and bool(environ.get("DISPLAY")) and not environ.get("WAYLAND_DISPLAY")))


def missing_xcb_packages(environ: Mapping[str, str] | None = None,
                         loads: Callable[[str], bool] = _loads) -> list[str]:
    """Debian packages of Qt's X11 plugin whose library cannot be loaded (empty when all load, or
    when Qt will not use X11 here)."""
    environ = os.environ if environ is None else environ
    if not _uses_xcb(environ):
        return []
    return [package for soname, package in XCB_LIBRARIES.items() if not loads(soname)]


def wayland_socket(environ: Mapping[str, str]) -> str:
    """The socket a Wayland client connects to: $WAYLAND_DISPLAY, relative to $XDG_RUNTIME_DIR."""
    name = environ.get("WAYLAND_DISPLAY", "")
    if os.path.isabs(name):
        return name
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    return os.path.join(runtime, name) if runtime else ""


def wayland_reachable(path: str) -> bool:
    """A compositor listens on ``path`` (one connect and close: Qt would abort the process instead)."""
    try:
        if not path or not stat.S_ISSOCK(os.stat(path).st_mode):
            return False
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(1.0)
            client.connect(path)
    except OSError:
        return False
    return True


def display_problem(environ: Mapping[str, str] | None = None,
                    loads: Callable[[str], bool] = _loads,
                    reaches_wayland: Callable[[str], bool] = wayland_reachable) -> str | None:
    """One line saying why the window cannot open here and what to do instead, or None."""
    environ = os.environ if environ is None else environ
    platform = _platform(environ)
    if platform and platform not in ("xcb", "wayland", "wayland-egl"):
        return None  # offscreen, vnc, eglfs, ...: the user chose where the window goes
    stale = ""
    wayland = environ.get("WAYLAND_DISPLAY", "")
    if wayland and platform != "xcb" and sys.platform.startswith("linux") \
            and not reaches_wayland(wayland_socket(environ)):
        # A WAYLAND_DISPLAY left over (su, sudo, tmux after logout): Qt tries it, falls back to X11
        # and aborts when that fails too. Judge the rest as if it were unset, as Qt does.
        stale = f"WAYLAND_DISPLAY={wayland!r} has no compositor listening"
        if platform.startswith("wayland"):
            return f"cannot connect to the Wayland display: {stale}. {HEADLESS_HINT}"
        environ = {key: value for key, value in environ.items() if key != "WAYLAND_DISPLAY"}
    if not has_display(environ):
        why = f"DISPLAY is unset and {stale}" if stale else "DISPLAY and WAYLAND_DISPLAY are unset"
        return f"the window needs a display and there is none ({why}). {HEADLESS_HINT}"
    missing = missing_xcb_packages(environ, loads)
    if missing:
        return (f"Qt's X11 plugin cannot load: install its libraries with "
                f"`sudo apt-get install {' '.join(missing)}` (Debian/Ubuntu). {HEADLESS_HINT}")
    if _uses_xcb(environ) and loads("libxcb.so.1") and not x11_display_reachable(environ.get("DISPLAY", "")):
        return f"cannot connect to the X display {environ.get('DISPLAY', '')!r} (no X server there?). {HEADLESS_HINT}"
    return None


def x11_display_reachable(display: str) -> bool:
    """One xcb connection opened and closed: milliseconds, where Qt would abort the process."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return True  # cannot tell; let Qt try
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    failed = xcb.xcb_connection_has_error(connection) != 0
    xcb.xcb_disconnect(connection)
    return not failed

