"""`EvaluationLink`: the Evaluation dock wired to the worker, the confusion matrix and the probe.

A confusion-matrix cell clicked shows its examples in the view's gallery; an example clicked there
becomes the probe input. The worker computes every record: on demand (Evaluate now, another split,
cell or pair of classes) and, while the view is shown, at the end of every epoch.
"""

from __future__ import annotations

from PySide6 import QtCore

from nnviz.core.evaluation_record import EvaluationRecord, EvaluationRequest
from nnviz.core.record import RunRecord
from nnviz.core.trainer_queries import RunInfo

from nnviz.ui.evaluation_view import EvaluationView
from nnviz.ui.window_layout import add_evaluation_dock


class EvaluationLink(QtCore.QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.view = EvaluationView()
        self.dock = add_evaluation_dock(window, window.docks, self.view)
        worker = window.worker
        queued = QtCore.Qt.ConnectionType.QueuedConnection  # slots of GUI-thread objects, never the worker's thread
        worker.evaluation_ready.connect(self.on_record, queued)
        worker.run_loaded.connect(self.on_run_loaded, queued)
        worker.snapshot_ready.connect(self.on_snapshot, queued)
        window.panels["confusion"].cell_clicked.connect(self.show_cell)
        self.view.request_changed.connect(self.send)
        self.view.example_chosen.connect(lambda split, index: worker.send("set_probe", "index", index, split))
        for figure in (self.view.per_class_figure, self.view.roc):
            figure.export_requested.connect(window.export_panel)
        self.dock.visibilityChanged.connect(self._visibility_changed)
        self._shown = False
        self._network_at: tuple[int, int] | None = None  # (epoch, iteration) of the last snapshot

    @property
    def shown(self) -> bool:
        return self._shown

    def send(self, request: EvaluationRequest) -> None:
        self.window.worker.send("evaluate_view", request)

    def show_cell(self, split: str, true_class: int, predicted_class: int) -> None:
        """A confusion-matrix cell clicked: the view comes forward with the cell's examples."""
        self.dock.show()
        self.dock.raise_()
        self.view.show_cell(split, true_class, predicted_class)

    @QtCore.Slot(object)
    def on_record(self, record: EvaluationRecord) -> None:
        self.view.show_record(record)

    @QtCore.Slot(object)
    def on_run_loaded(self, info: RunInfo) -> None:
        self.window.status.train_measured = info.train_measured
        self.view.set_classes(info.class_names)
        self.view.clear()
        self._network_at = None
        if self._shown:
            self.send(self.view.request)  # the untrained network: the baseline the epochs improve on

    @QtCore.Slot(object)
    def on_snapshot(self, snapshot: RunRecord) -> None:
        self._network_at = (snapshot.epoch, snapshot.iteration)

    def _visibility_changed(self, visible: bool) -> None:
        self._shown = visible
        self.window.worker.send("follow_evaluation", visible)
        record = self.view.record
        stale = record is None or (record.epoch, record.iteration) != self._network_at
        if visible and stale and self._network_at is not None:
            self.send(self.view.request)
