"""The status bar in the lectures' vocabulary: epoch, batch within the epoch, samples per second,
state, an epoch progress bar and the latest validation (or test) accuracy."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.record import RunRecord
from nnviz.ui import theme

STATE_WORDS = {"empty": "no run", "loading": "loading…", "ready": "ready", "running": "running",
               "paused": "paused", "diverged": "diverged", "finished": "finished", "stopped": "stopped"}


def status_text(snapshot: RunRecord, state: str, total_epochs: int, brief: bool = False) -> str:
    """E.g. "Epoch 3 / 30 · batch 312 / 5,000 · iteration 10,312 · 61,000 samples/s · running";
    ``brief`` leaves the iteration out (presentation mode: epoch and batch say it in large type)."""
    epoch = snapshot.epoch if state == "finished" or snapshot.batch_in_epoch == 0 and snapshot.epoch else \
        snapshot.epoch + 1
    epoch = max(epoch, 1)
    batch = snapshot.batches_in_epoch if state == "finished" or (snapshot.batch_in_epoch == 0 and snapshot.epoch) \
        else snapshot.batch_in_epoch
    speed = snapshot.wall_samples_per_second or snapshot.samples_per_second
    parts = [f"Epoch {epoch} / {total_epochs}", f"batch {batch:,} / {snapshot.batches_in_epoch:,}"]
    if not brief:
        parts.append(f"iteration {snapshot.iteration:,}")
    if state == "running" and speed > 0:
        parts.append(f"{speed:,.0f} samples/s")
    parts.append(STATE_WORDS.get(state, state))
    return " · ".join(parts)


def accuracy_text(snapshot: RunRecord) -> str:
    curves = snapshot.epochs
    for split, label in (("val", "validation"), ("test", "test"), ("train", "train")):
        values = getattr(curves, f"{split}_accuracy")
        if values.size and math.isfinite(values[-1]):
            return f"{label} accuracy {values[-1]:.1%} after epoch {int(curves.epoch[-1])}"
    return ""


class StatusText(QtWidgets.QWidget):
    """Wrapped status text that changes ten times a second without re-laying the window out.

    A word-wrapped QLabel asks its layout for a new size at every ``setText``: the status bar was laid
    out and painted again at each frame, which cost as much as drawing the curves. This one only
    repaints; its height is chosen when its width or font changes, for ``template`` (the longest
    text it shows), and grows only if a text needs more lines still. It wraps rather than widening
    the window past a projector's screen."""

    def __init__(self, text: str, template: str, whole_parts: bool = False) -> None:
        super().__init__()
        self._text = text
        self.template = template
        self.whole_parts = whole_parts  # wrap only between " · " parts ("samples/" | "s" read badly)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(200)
        self._fit_height()

    def text(self) -> str:
        return self._text

    def set_template(self, template: str) -> None:
        if template != self.template:
            self.template = template
            self._fit_height()

    def setText(self, text: str) -> None:  # noqa: N802 (as QLabel)
        if text == self._text:
            return
        self._text = text
        if self.text_height(text) > self.height():
            self._fit_height()
        self.update()

    def shown(self, text: str) -> str:
        if not self.whole_parts:
            return text
        parts = text.split(" · ")  # no break inside a part: no-break spaces, a word joiner after "/"
        return " · ".join(part.replace(" ", "\u00a0").replace("/", "/\u2060") for part in parts)

    def text_height(self, text: str) -> int:
        """Height ``text`` needs, wrapped at the widget's width."""
        rect = QtCore.QRect(0, 0, max(self.width(), 1), 100_000)
        flags = int(QtCore.Qt.TextFlag.TextWordWrap)
        return self.fontMetrics().boundingRect(rect, flags, self.shown(text)).height()

    def _fit_height(self) -> None:
        height = max(self.text_height(self.template), self.text_height(self._text), self.fontMetrics().height())
        if height != self.maximumHeight():
            self.setFixedHeight(height)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt override)
        return QtCore.QSize(self.minimumWidth(), self.maximumHeight())

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt override)
        if event.size().width() != event.oldSize().width():
            self._fit_height()

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QtCore.QEvent.Type.FontChange:  # presentation mode
            self._fit_height()
        super().changeEvent(event)

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QtGui.QPainter(self)
        painter.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        flags = QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter
        painter.drawText(self.rect(), int(flags) | int(QtCore.Qt.TextFlag.TextWordWrap), self.shown(self._text))


class EpochProgress(QtWidgets.QWidget):
    """The epoch's progress bar, drawn as a QProgressBar, but repainted with the rest of the frame:
    QProgressBar.setValue paints and flushes at once (1.3 ms of every frame of the projector's)."""

    def __init__(self) -> None:
        super().__init__()
        self._value, self._maximum = 0, 1
        self.setFixedWidth(220)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        self.setToolTip("Progress through the current epoch")

    def setRange(self, minimum: int, maximum: int) -> None:  # noqa: N802 (as QProgressBar)
        self.setValue(self._value, max(maximum, minimum + 1))

    def setValue(self, value: int, maximum: int | None = None) -> None:  # noqa: N802 (as QProgressBar)
        maximum = self._maximum if maximum is None else maximum
        if (value, maximum) != (self._value, self._maximum):
            self._value, self._maximum = value, maximum
            self.update()

    def value(self) -> int:
        return self._value

    def text(self) -> str:
        return f"epoch {round(100 * min(self._value, self._maximum) / self._maximum)}%"

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt override)
        return QtCore.QSize(220, self.fontMetrics().height() + 10)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QtCore.QEvent.Type.FontChange:
            self.updateGeometry()
        super().changeEvent(event)

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt override)
        option = QtWidgets.QStyleOptionProgressBar()
        option.initFrom(self)
        option.minimum, option.maximum, option.progress = 0, self._maximum, min(self._value, self._maximum)
        option.text, option.textVisible = self.text(), True
        option.textAlignment = QtCore.Qt.AlignmentFlag.AlignCenter
        option.state |= QtWidgets.QStyle.StateFlag.State_Horizontal
        QtWidgets.QStylePainter(self).drawControl(QtWidgets.QStyle.ControlElement.CE_ProgressBar, option)


# The longest texts each part shows: their height is kept, so a frame never changes the layout.
RUN_TEMPLATE = "Epoch 888 / 888 · batch 88,888 / 88,888 · iteration 88,888,888 · 888,888 samples/s · diverged"
BRIEF_RUN_TEMPLATE = "Epoch 888 / 888 · batch 88,888 / 88,888 · 888,888 samples/s · diverged"
ACCURACY_TEMPLATE = "validation accuracy 100.0% after epoch 888 · train measured on 88,888 examples"


class RunStatusBar(QtWidgets.QStatusBar):
    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_label = StatusText("no run", RUN_TEMPLATE, whole_parts=True)
        self.progress = EpochProgress()
        self.accuracy_label = StatusText("", ACCURACY_TEMPLATE)
        self.addPermanentWidget(self.run_label, 1)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.accuracy_label, 1)
        self.total_epochs = 1
        self.train_measured = 0  # training examples the epoch's train figures are measured on (0: unknown)
        self.state = "empty"

    def show_snapshot(self, snapshot: RunRecord) -> None:
        self.state = snapshot.run_state or self.state
        brief = theme.scale > 1  # presentation mode
        self.run_label.set_template(BRIEF_RUN_TEMPLATE if brief else RUN_TEMPLATE)
        self.run_label.setText(status_text(snapshot, self.state, self.total_epochs, brief))
        done = snapshot.batch_in_epoch if snapshot.batch_in_epoch or not snapshot.epoch else snapshot.batches_in_epoch
        self.progress.setRange(0, max(snapshot.batches_in_epoch, 1))
        self.progress.setValue(done if self.state != "finished" else snapshot.batches_in_epoch)
        text = accuracy_text(snapshot)
        if text and self.train_measured:
            text += f" · train measured on {self.train_measured:,} examples"
        self.accuracy_label.setText(text)
        self.accuracy_label.setToolTip(
            f"The train loss and accuracy of each epoch are measured at the epoch's end (dropout off) on "
            f"{self.train_measured:,} training examples; the running mean over the batches is the per-batch curve"
            if self.train_measured else "")

    def show_run(self, shown: bool) -> None:
        """The training run's line (hidden in Labs mode: it is not what the class sees there, and its
        large type in presentation mode took the labs' height); messages still show."""
        for widget in (self.run_label, self.progress, self.accuracy_label):
            widget.setVisible(shown)
        # QStatusBar keeps the height of its hidden widgets: one line of messages instead.
        self.setMaximumHeight(16_777_215 if shown else self.fontMetrics().height() + 10)

    def show_state(self, state: str) -> None:
        """A state change before the next snapshot arrives (e.g. loading)."""
        self.state = state
        if state in ("loading", "empty"):
            self.run_label.setText(STATE_WORDS[state])
