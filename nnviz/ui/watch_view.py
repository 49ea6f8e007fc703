"""One followed run drawn in the window's own panels: curves, filters, confusion matrix.

`RunView` is a widget (a tab of the watch window, or laid out offscreen for ``watch --once``).
`refresh` polls the run's incremental reader and draws what changed; the curves panel gets only
the new iteration losses (a tail) unless the run's epoch length was re-estimated or a stream was
replaced, when the whole curve is sent once.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from nnviz.core.run_folder.follow import RunFollower

from nnviz.ui import theme
from nnviz.ui.figure_export import check_folder
from nnviz.ui.panels import ConfusionMatrixPanel, CurvesPanel, FiltersPanel

EXPORT_SIZE = (1280, 720)  # logical size of each figure; 1920 px wide PNGs, as `nnviz train --png`


class RunView(QtWidgets.QWidget):
    """A state line above the curves, with filters and the confusion matrix below them."""

    def __init__(self, follower: RunFollower, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.follower = follower
        self.state_label = QtWidgets.QLabel(f"{follower.folder}: waiting for data")
        self.state_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.curves, self.filters, self.confusion = CurvesPanel(), FiltersPanel(), ConfusionMatrixPanel()
        self.panels = {p.name: p for p in (self.curves, self.filters, self.confusion)}
        _hide_live_controls(self.confusion)
        below = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        below.addWidget(self.filters)
        below.addWidget(self.confusion)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        split.addWidget(self.curves)
        split.addWidget(below)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.state_label)
        layout.addWidget(split, 1)
        self.status = "waiting"
        self._per_epoch = 0.0
        self._snapshot_version = -1
        self.last_record = None

    def refresh(self) -> bool:
        """Read what the run appended and draw it; True when something changed."""
        follower = self.follower
        changed = follower.poll()
        restarted, follower.iterations.restarted = follower.iterations.restarted, False
        status = follower.status()
        if not changed and not restarted and status == self.status:
            return False
        self.status = status
        per_epoch = follower.rows_per_epoch()
        held = self.curves.n_points
        # The whole curve again when its x scale changed or the file was replaced; else the new tail.
        whole = restarted or per_epoch != self._per_epoch or held > follower.iterations.n_rows
        self._per_epoch = per_epoch
        record = follower.record(loss_offset=0 if whole else held)
        first = self.last_record is None
        self.last_record = record
        self.curves.show_snapshot(record)
        if follower.snapshot.version != self._snapshot_version or first:
            self._snapshot_version = follower.snapshot.version
            self.filters.show_snapshot(record)
            self.confusion.show_snapshot(record)
        self.state_label.setText(state_text(follower, record))
        return True

    def export(self, folder: Path, width: int = 1920) -> list[Path]:
        """Write curves.png, and filters.png / confusion.png when the run has them."""
        record = self.last_record
        targets = [self.curves]
        if record is not None and record.filter_images.size:
            targets.append(self.filters)
        if record is not None and record.confusion is not None:
            targets.append(self.confusion)
        folder.mkdir(parents=True, exist_ok=True)
        for panel in targets:
            check_folder(folder / f"{panel.name}.png")
        return [panel.export_png(folder / f"{panel.name}.png", width) for panel in targets]


def state_text(follower: RunFollower, record) -> str:
    """"runs/mine · running · epoch 3 · iteration 1,200 · validation 91.2 %" (in the state's colour)."""
    status = record.state
    parts = [str(follower.folder), f"<b style='color:{theme.run_state_colour(status)}'>{status}</b>"]
    planned = follower.state.value.get("planned_epochs")
    parts.append(f"epoch {record.epoch}" + (f" / {planned}" if planned else ""))
    parts.append(f"iteration {record.iteration:,}")
    for split, title in (("val", "validation"), ("test", "test"), ("train", "training")):
        values = getattr(record.epochs, f"{split}_accuracy")
        if values.size and values[-1] == values[-1]:
            parts.append(f"{title} {values[-1]:.1%}")
            break
    text = " · ".join(parts)
    if status in ("stalled", "missing", "diverged", "interrupted") and record.message:
        text += f"<br>{record.message}" if status != "missing" else "<br>the folder is gone; last data kept"
    return text


def lay_out_offscreen(view: RunView) -> None:
    """Give each figure a 16:9 size without showing a window (``watch --once``)."""
    view.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    for panel in view.panels.values():
        panel.setParent(None)
        panel.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        panel.resize(*EXPORT_SIZE)
        panel.show()
    QtWidgets.QApplication.processEvents()
    for panel in view.panels.values():
        panel.resize(EXPORT_SIZE[0] + panel.width() - panel.graphics.width(),
                     EXPORT_SIZE[1] + panel.height() - panel.graphics.height())
    QtWidgets.QApplication.processEvents()


def _hide_live_controls(panel: ConfusionMatrixPanel) -> None:
    """A followed run's matrix is the one its writer counted: no split choice, no "Evaluate now"."""
    for index in range(panel.controls.count()):
        widget = panel.controls.itemAt(index).widget()
        if widget is panel.split_box or (isinstance(widget, (QtWidgets.QLabel, QtWidgets.QPushButton))
                                         and widget.text() in ("Split", "Evaluate now", "click a cell")):
            widget.hide()
