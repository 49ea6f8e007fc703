"""Qt without a display, set up in one place: ``nnviz train --png``, ``nnviz lab --png``,
``nnviz compare`` and the tests all get their QApplication here.

Without a display (no ``DISPLAY`` or ``WAYLAND_DISPLAY``, as on an HPC node) the offscreen platform
is chosen before the QApplication exists; its warnings about window hints it cannot honour are
dropped, since nobody on a batch node needs them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from nnviz.ui.display_check import display_problem, has_display  # noqa: F401 (has_display re-exported)


def use_offscreen_without_display() -> None:
    """Pick Qt's offscreen platform when there is no usable display: none at all, an X display that
    does not answer or lacks Qt's X11 libraries (call before the QApplication exists). Figures need
    no screen, and Qt would abort the process there."""
    if "QT_QPA_PLATFORM" not in os.environ and display_problem() is not None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def _quiet_offscreen_messages(mode, context, message: str) -> None:
    if "propagateSizeHints" in message:
        return
    sys.stderr.write(message + "\n")


def ensure_app(name: str = "nnviz"):
    """The running QApplication, or a new one (offscreen without a display), with pyqtgraph set up."""
    use_offscreen_without_display()
    from PySide6 import QtCore, QtWidgets

    from nnviz.ui import theme

    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication([name])
        if os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
            QtCore.qInstallMessageHandler(_quiet_offscreen_messages)
    theme.configure_pyqtgraph()
    return app


def show_for_export(widget, width: int = 1500, height: int = 950) -> None:
    """Give a widget its size and lay it out without showing a window on screen."""
    from PySide6 import QtCore, QtWidgets

    widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    widget.resize(width, height)
    widget.show()
    for _ in range(3):
        QtWidgets.QApplication.processEvents()


def write_figure(widget, out_dir: Path, stem: str, width: int = 1920) -> Path:
    """Export a shown lab widget's figure as ``out_dir/stem.png``."""
    from PySide6 import QtWidgets

    from nnviz.core.errors import ExportError

    QtWidgets.QApplication.processEvents()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Could not create the folder {out_dir}: {exc.strerror or exc}") from None
    return widget.export_png(out_dir / f"{stem}.png", width)
