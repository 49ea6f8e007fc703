"""Every run of a sweep in one Curves panel, overlaid and named by what differs ("lr=0.5"), with a
line per run saying how far it is. Drawn from the watch window's followers: no file is read here."""

from __future__ import annotations

import numpy as np
from PySide6 import QtWidgets

from nnviz.core.record import EpochCurves, RunRecord
from nnviz.core.run_folder import RunData, flatten_settings
from nnviz.sweep.compare import label_runs

from nnviz.ui.compare_figure import run_colour
from nnviz.ui import theme
from nnviz.ui.panels import CurvesPanel
from nnviz.ui.session_runs import overlay_from_columns

EPOCH_COLUMNS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")


class SweepOverview(QtWidgets.QWidget):
    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QtWidgets.QLabel("waiting for the sweep's run folders")
        self.summary.setWordWrap(True)
        self.curves = CurvesPanel()
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.curves, 1)
        self.curves.show_snapshot(_no_run())  # the overlays alone: this panel has no run of its own
        self._key: tuple = ()

    def show_runs(self, views: list) -> None:
        """Overlay the per-epoch curves of every followed run that has a config."""
        followers = [view.follower for view in views if view.follower.config is not None]
        key = tuple((v.follower.folder, v.follower.epochs.n_rows, v.status) for v in views)
        if key == self._key:
            return
        self._key = key
        runs = [RunData(f.name, f.folder, f.config, dict(f.state.value),
                        {name: f.epochs.column(name).copy() for name in EPOCH_COLUMNS if name in f.epochs.header},
                        settings=flatten_settings(f.config.to_dict())) for f in followers]
        if len(runs) > 1:
            label_runs(runs)
        overlays = [overlay_from_columns(run.label or run.name, run_colour(i), run.curves)
                    for i, run in enumerate(runs)]
        self.curves.set_overlays([o for o in overlays if o.epoch.size])
        status = {view.follower.folder: view.status for view in views}
        lines = []
        for i, run in enumerate(runs):
            done = int(run.curves["epoch"].size) if "epoch" in run.curves else 0
            accuracy = run.curves.get("val_accuracy", np.zeros(0))
            accuracy = accuracy[np.isfinite(accuracy)]
            state = status.get(run.path, "waiting")
            text = (f"<span style='color:{run_colour(i)}'>■</span> {run.label or run.name}: "
                    f"<span style='color:{theme.run_state_colour(state)}'>{state}</span>, epoch {done}"
                    + (f", validation {accuracy[-1]:.1%}" if accuracy.size else ""))
            lines.append(text)
        self.summary.setText(" · ".join(lines) or "waiting for the sweep's run folders")


def _no_run() -> RunRecord:
    empty = np.zeros(0)
    return RunRecord(state="", message="", epoch=0, iteration=0, batch_in_epoch=0, batches_in_epoch=0,
                     iterations_per_epoch=1.0, learning_rate=0.0, momentum=0.0, batch_size=0, samples_per_second=0.0,
                     train_loss=np.zeros(0, np.float32), epochs=EpochCurves(*(empty,) * 7), first_layer_kind="",
                     first_layer_weights=np.zeros((0, 0), np.float32), filter_images=np.zeros((0, 1, 1), np.float32),
                     class_names=())
