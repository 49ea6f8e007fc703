"""Message helpers and exception hooks: an unexpected error becomes a dialog and a log entry,
never a silently dead window or a half-finished lecture."""

from __future__ import annotations

import logging
import sys
import threading
import traceback

from PySide6 import QtCore, QtWidgets

log = logging.getLogger("nnviz")


def show_error(parent: QtWidgets.QWidget | None, title: str, message: str) -> None:
    """A failed action: a message box (tests patch QMessageBox.warning)."""
    QtWidgets.QMessageBox.warning(parent, title, message)


class _Relay(QtCore.QObject):
    """Carries an error report from any thread to the GUI thread: it lives there, so a report
    emitted elsewhere is queued to its slot."""

    report = QtCore.Signal(str, str)

    def __init__(self, parent_getter) -> None:
        super().__init__()
        self._parent_getter = parent_getter
        self.report.connect(self.show)

    @QtCore.Slot(str, str)
    def show(self, title: str, text: str) -> None:
        _show_unexpected(self._parent_getter(), title, text)


_relay: _Relay | None = None


def install_exception_hooks(parent_getter) -> None:
    """Route uncaught exceptions (GUI thread and other threads) to a dialog and the log.
    ``parent_getter()`` returns the window to centre the dialog on (or None). Call from the GUI thread."""
    global _relay
    _relay = _Relay(parent_getter)

    def hook(exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QtWidgets.QApplication.quit()
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unexpected error\n%s", text)
        _relay.report.emit("Unexpected error", text)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook


def _show_unexpected(parent: QtWidgets.QWidget | None, title: str, text: str) -> None:
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Critical, title,
                                "Something went wrong inside nnviz. The window goes on; the details are "
                                "below and in the log.", QtWidgets.QMessageBox.StandardButton.Ok, parent)
    box.setDetailedText(text)
    box.exec()
