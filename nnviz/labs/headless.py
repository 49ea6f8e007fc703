"""Qt without a display: the labs' headless figures for `nnviz lab NAME --png DIR`."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def use_offscreen_without_display() -> None:
    """Pick Qt's offscreen platform when there is no display (call before the QApplication exists)."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def ensure_app():
    """The running QApplication, or a new one (offscreen without a display), with pyqtgraph set up."""
    use_offscreen_without_display()
    from PySide6 import QtWidgets

    from nnviz.ui import theme

    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(["nnviz-lab"])
    theme.configure_pyqtgraph()
    return app


def show_for_export(widget, width: int = 1500, height: int = 950) -> None:
    """Give a lab widget its size and lay it out without showing a window on screen."""
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
