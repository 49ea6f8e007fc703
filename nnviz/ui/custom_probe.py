"""Your own input as the probe: File → Draw a digit… (Ctrl+D, also on the Input tool bar) and
File → Open image as probe… (Ctrl+O). The drawing or image is preprocessed here (a 280×280 canvas, a
photo first scaled by Qt to at most 512 px: milliseconds) and sent to the worker, which runs the
forward pass and sends the record every probe panel draws. While drawing, at most
``UPDATES_PER_SECOND`` inputs go out, and always one when the mouse button is released.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.data.digit_preprocess import network_input, unusable_reason
from nnviz.core.trainer_queries import RunInfo

from nnviz.ui import settings as stored
from nnviz.ui.draw_digit import DrawDigitDialog, grey_array, rgb_array
from nnviz.ui.errors import show_error

UPDATES_PER_SECOND = 10.0
MAX_PHOTO_SIDE = 512  # a phone photo is scaled to this first: the preprocessing then takes ~1 ms
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"


class CustomProbe(QtCore.QObject):
    """The two actions, their enabling (only networks that take such images) and the dialog."""

    def __init__(self, window: QtWidgets.QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.info: RunInfo | None = None
        self.draw_action = QtGui.QAction("Draw a digit…", window)
        self.draw_action.setShortcut(QtGui.QKeySequence("Ctrl+D"))
        self.draw_action.setIconText("Draw…")  # the tool bar's button
        self.draw_action.triggered.connect(self.open_canvas)
        self.open_action = QtGui.QAction("Open image as probe…", window)
        self.open_action.setShortcut(QtGui.QKeySequence("Ctrl+O"))
        self.open_action.triggered.connect(lambda: self.open_image())
        for action in (self.draw_action, self.open_action):
            window.addAction(action)
        self._install(window)
        self.dialog: DrawDigitDialog | None = None
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.send_drawing)
        self._last_sent = 0.0
        self.sent = 0  # drawn inputs sent to the worker (tests count the throttle with it)
        self.set_run_info(None)
        window.worker.run_loaded.connect(self.set_run_info, QtCore.Qt.ConnectionType.QueuedConnection)
        window.frame_finished.connect(self._frame_finished)

    def _install(self, window: QtWidgets.QMainWindow) -> None:
        """On the Input tool bar (build_menus puts both actions in the File menu)."""
        window.probe_bar.addSeparator()
        window.probe_bar.addAction(self.draw_action)

    # --- which networks ------------------------------------------------------------------------
    @QtCore.Slot(object)
    def set_run_info(self, info: RunInfo | None) -> None:
        self.info = info
        shape = info.input_shape if info is not None and info.dataset_kind == "image" else (2,)
        for action, drawing, tip in ((self.draw_action, True, "Draw a digit: it becomes the input every probe "
                                                                "panel shows, the output updating as you draw"),
                                     (self.open_action, False, "Use a PNG or JPEG (e.g. a photo of a digit on "
                                                                "paper) as the input every probe panel shows")):
            reason = "No run loaded yet." if info is None else unusable_reason(shape, drawing=drawing)
            action.setEnabled(not reason)
            text = reason or f"{tip} ({action.shortcut().toString(QtGui.QKeySequence.SequenceFormat.NativeText)})"
            action.setToolTip(text)
            action.setStatusTip(text)
        if self.dialog is not None and not self.draw_action.isEnabled():
            self.dialog.close()
        elif self.dialog is not None and self.dialog.isVisible():
            self.send_drawing()  # a new run: its network sees the drawing still on the canvas

    # --- drawing -------------------------------------------------------------------------------
    def open_canvas(self) -> None:
        if not self.draw_action.isEnabled():
            return
        if self.dialog is None:
            self.dialog = DrawDigitDialog(self.window)
            self.dialog.canvas.changed.connect(self._drawing_changed)
            self.dialog.canvas.stroke_finished.connect(self.send_drawing)
            self.dialog.clear_button.clicked.connect(self._cleared)
            self._place(self.dialog)
        if self.info is not None:
            self.dialog.set_class_names(self.info.class_names)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()

    def _place(self, dialog: QtWidgets.QDialog) -> None:
        """First opened at the window's bottom left, over the Run setup (not needed while drawing), so
        the panels on the right (the output bars) stay in view."""
        frame = self.window.frameGeometry()
        screen = self.window.screen().availableGeometry()
        x = max(frame.left() + 8, screen.left())
        y = min(frame.bottom() - dialog.height() - 40, screen.bottom() - dialog.height() - 40)
        dialog.move(x, max(y, screen.top()))

    def _drawing_changed(self) -> None:
        """Throttled: an input at most every 1/UPDATES_PER_SECOND s while the pen moves."""
        if self._timer.isActive():
            return
        wait = self._last_sent + 1.0 / UPDATES_PER_SECOND - time.monotonic()
        self._timer.start(max(int(wait * 1000), 0))

    def send_drawing(self) -> None:
        """Preprocess the canvas and make it the probe (nothing drawn: the dialog says so)."""
        self._timer.stop()
        if self.dialog is None or self.info is None or not self.draw_action.isEnabled():
            return
        x = network_input(self.dialog.canvas.array(), self.info.input_shape, self.info.dataset_name)
        self.dialog.show_input(None if x is None else x[0])
        if x is not None:
            self._last_sent = time.monotonic()
            self.sent += 1
            self.window.worker.send("set_probe_image", x, "drawn")

    def _cleared(self) -> None:
        self._timer.stop()
        self.dialog.show_input(None)
        self.window.worker.send("set_probe_image", None)  # back to the example of the Input tool bar

    def _frame_finished(self) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.show_record(self.window.last_snapshot)

    # --- image files ---------------------------------------------------------------------------
    def open_image(self, path: str | None = None) -> bool:
        """File → Open image as probe…: any image Qt reads, preprocessed for this network."""
        if not self.open_action.isEnabled() or self.info is None:
            return False
        if path is None:
            start = stored.read_text(self.window.settings, "probe/image_folder", str(Path.home()))
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, "Open image as probe", start, IMAGE_FILTER)
            if not path:
                return False
        image = QtGui.QImage(path)
        if image.isNull():
            show_error(self.window, "Cannot open image",
                       f"{path} is not an image nnviz can read (PNG, JPEG, BMP, GIF, WebP or TIFF).")
            return False
        self.window.settings.setValue("probe/image_folder", str(Path(path).parent))
        if image.hasAlphaChannel():  # transparent paper is white paper, not black
            flat = QtGui.QImage(image.size(), QtGui.QImage.Format.Format_RGB32)
            flat.fill(QtGui.QColor("white"))
            painter = QtGui.QPainter(flat)
            painter.drawImage(0, 0, image)
            painter.end()
            image = flat
        if max(image.width(), image.height()) > MAX_PHOTO_SIDE:
            image = image.scaled(MAX_PHOTO_SIDE, MAX_PHOTO_SIDE, QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                                 QtCore.Qt.TransformationMode.SmoothTransformation)
        shape = self.info.input_shape
        pixels = rgb_array(image) if shape[0] == 3 else grey_array(image)
        x = network_input(pixels, shape, self.info.dataset_name)
        if x is None:
            show_error(self.window, "Nothing in this image",
                       f"{Path(path).name} looks like a blank page: no stroke stands out from the paper.")
            return False
        self.window.worker.send("set_probe_image", np.ascontiguousarray(x, dtype=np.float32), "image")
        self.window.statusBar().showMessage(f"Probe input: {Path(path).name} (Input tool bar: back to the "
                                            "data set's examples)", 8000)
        return True
