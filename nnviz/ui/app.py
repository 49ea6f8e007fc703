"""`run_app`: start the window (``python main.py`` and ``nnviz gui``)."""

from __future__ import annotations

import logging
import os
import sys
import time

from PySide6 import QtWidgets

from nnviz.ui import screen_fit, theme
from nnviz.ui.errors import install_exception_hooks
from nnviz.ui.main_window import MainWindow, env_flag


def run_app(data_dir: str | None = None, preset: str | None = None, *, argv: list[str] | None = None) -> int:
    """Open the window and run until it closes; returns the exit code.

    ``NNVIZ_AUTOSTART=1`` starts training as soon as the run is loaded and
    ``NNVIZ_QUIT_AFTER=<seconds>`` closes the window after that long (screenshots, smoke tests).
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv or sys.argv[:1])
    app.setApplicationName("nnviz")
    app.setOrganizationName("nnviz")
    font = app.font()
    font.setPointSize(theme.UI_POINT_SIZE)  # readable from the back of a lecture hall
    app.setFont(font)
    theme.configure_pyqtgraph()
    window = MainWindow(data_dir=data_dir, preset=preset, autostart=env_flag("NNVIZ_AUTOSTART"))
    install_exception_hooks(lambda: window)
    if window.settings.value("window/geometry") is None:
        screen_fit.first_size(window)
    window.show()
    quit_after = os.environ.get("NNVIZ_QUIT_AFTER")
    if quit_after:
        from PySide6.QtCore import QTimer

        def close() -> None:  # the line lets a test time how fast the process ends after it
            print(f"nnviz: closing at {time.time():.3f} while {window.state}", file=sys.stderr, flush=True)
            window.close()

        QTimer.singleShot(int(float(quit_after) * 1000), close)
    code = app.exec()
    if window.shutdown():  # threads joined, settings and run folders written: nothing is left to save
        exit_now(code)
    return code


def exit_now(code: int) -> None:
    """End the process without tearing the interpreter down: freeing NumPy arrays, Qt objects and
    modules one by one took 1-1.5 s on a busy laptop after the window had already closed."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
