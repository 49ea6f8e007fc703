"""The Evaluation view: one split of the current network, as the fifth lecture evaluates it.

Three tabs under a header that says which epoch (and split) the figures describe: per-class
precision, recall, F1 and support with the most confused pairs; the gallery of mistakes sorted by
confidence; and two classes as on the slide, the ROC curve with an operating point moved by a
threshold slider and the TP/FP/TN/FN, TPR and FPR at it. The worker computes every record
(`EvaluationRecord`); the slider only recounts the scores the record carries.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from PySide6 import QtCore, QtWidgets

from nnviz.core.evaluation import OperatingPoint, operating_point
from nnviz.core.evaluation_record import EvaluationRecord, EvaluationRequest

from nnviz.ui.evaluation_figures import PerClassMetricsFigure, RocFigure
from nnviz.ui.evaluation_gallery import Gallery

SPLITS = (("validation", "val"), ("test", "test"))
METRIC_COLUMNS = ("class", "precision", "recall", "F1", "support")
SLIDER_STEPS = 1000  # threshold resolution 0.001
REST = -1  # the negative class box's "rest": one class against all the others


def _number(value: float, digits: int = 3) -> str:
    return "–" if not math.isfinite(value) else f"{value:.{digits}f}"


def point_text(point: OperatingPoint) -> tuple[str, str]:
    """The counts and the two rates of an operating point, as the slide writes them."""
    counts = f"TP {point.tp:,} · FP {point.fp:,} · TN {point.tn:,} · FN {point.fn:,}"
    rates = (f"TPR = TP / (TP + FN) = {_number(point.tpr)}    "
             f"FPR = FP / (FP + TN) = {_number(point.fpr)}")
    return counts, rates


class EvaluationView(QtWidgets.QWidget):
    request_changed = QtCore.Signal(object)  # EvaluationRequest: evaluate (or re-slice) now
    example_chosen = QtCore.Signal(str, int)  # split, index: make it the probe input

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = EvaluationRequest()
        self.record: EvaluationRecord | None = None
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        top = QtWidgets.QHBoxLayout()
        self.split_box = QtWidgets.QComboBox()
        for label, split in SPLITS:
            self.split_box.addItem(label, split)
        self.split_box.setToolTip("The split evaluated")
        self.evaluate_button = QtWidgets.QPushButton("Evaluate now")
        self.evaluate_button.setToolTip("Evaluate the current network now (it is also evaluated after every epoch "
                                        "while this view is shown)")
        self.header = QtWidgets.QLabel("Not evaluated yet: press Evaluate now, or train an epoch.")
        self.header.setWordWrap(True)
        self.header.setToolTip("The train loss and accuracy of each epoch are measured after the epoch, dropout "
                                 "off, on this fixed sample of the training set (the running mean is the "
                                 "per-batch curve)")
        for widget in (QtWidgets.QLabel("Split"), self.split_box, self.evaluate_button):
            top.addWidget(widget)
        top.addStretch(1)
        column.addLayout(top)
        column.addWidget(self.header)  # full width: one or two lines even in a quarter of the window
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self._build_per_class(), "Per class")
        self.per_class_figure = PerClassMetricsFigure()
        self.tabs.addTab(self.per_class_figure, "Chart")
        self.gallery = Gallery()
        self.tabs.addTab(self.gallery, "Mistakes")
        self.two_classes = self._build_two_classes()
        self.tabs.addTab(self.two_classes, "Two classes (ROC)")
        column.addWidget(self.tabs, 1)
        self.split_box.activated.connect(lambda: self._ask(split=self.split_box.currentData(), cell=None))
        self.evaluate_button.clicked.connect(lambda: self.request_changed.emit(self.request))
        self.gallery.example_chosen.connect(self.example_chosen)
        self.gallery.all_mistakes_requested.connect(lambda: self._ask(cell=None))
        self._names: tuple[str, ...] = ()

    # --- building ----------------------------------------------------------------------------
    def _build_per_class(self) -> QtWidgets.QWidget:
        self.table = QtWidgets.QTableWidget(0, len(METRIC_COLUMNS))
        self.table.setHorizontalHeaderLabels(METRIC_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.pairs = QtWidgets.QListWidget()
        self.pairs.setToolTip("The largest off-diagonal cells of the confusion matrix; click one to see its examples")
        self.pairs.itemClicked.connect(lambda item: self._ask(cell=item.data(QtCore.Qt.ItemDataRole.UserRole)))
        pairs_box = QtWidgets.QWidget()
        pairs_column = QtWidgets.QVBoxLayout(pairs_box)
        pairs_column.setContentsMargins(0, 0, 0, 0)
        pairs_column.addWidget(QtWidgets.QLabel("Most confused (true → predicted)"))
        pairs_column.addWidget(self.pairs, 1)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(pairs_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        return split

    def _build_two_classes(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        self.roc = RocFigure()
        choose = self.roc.controls  # the figure's own row, beside its Export button
        self.positive_box = QtWidgets.QComboBox()
        self.negative_box = QtWidgets.QComboBox()
        self.positive_box.setToolTip("The positive class (P)")
        self.negative_box.setToolTip("The negative class (N), or every other class (rest)")
        self.pair_note = QtWidgets.QLabel()
        self.pair_note.setWordWrap(True)
        export = [choose.takeAt(0) for _ in range(choose.count())]  # the figure's stretch and Export: after ours
        for widget in (QtWidgets.QLabel("Positive"), self.positive_box, QtWidgets.QLabel("Negative"),
                       self.negative_box):
            choose.addWidget(widget)
        for item in export:
            choose.addItem(item)
        column.addWidget(self.roc, 1)
        column.addWidget(self.pair_note)
        slider_row = QtWidgets.QHBoxLayout()
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setValue(SLIDER_STEPS // 2)
        self.slider.setPageStep(SLIDER_STEPS // 20)  # Page Up / Down: 0.05
        self.slider.setToolTip("Examples scoring at least the threshold are called positive")
        self.threshold_label = QtWidgets.QLabel()
        self.threshold_label.setMinimumWidth(120)
        slider_row.addWidget(QtWidgets.QLabel("Threshold"))
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(self.threshold_label)
        column.addLayout(slider_row)
        self.counts_label = QtWidgets.QLabel()
        self.rates_label = QtWidgets.QLabel()
        for label in (self.counts_label, self.rates_label):
            label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
            column.addWidget(label)
        self.slider.valueChanged.connect(lambda: self._show_point())
        self.positive_box.activated.connect(lambda: self._pair_chosen())
        self.negative_box.activated.connect(lambda: self._pair_chosen())
        return page

    # --- requests ----------------------------------------------------------------------------
    @property
    def threshold(self) -> float:
        return self.slider.value() / SLIDER_STEPS

    def _ask(self, **changes) -> None:
        self.request = replace(self.request, **changes)
        if changes.get("cell") is not None:
            self.tabs.setCurrentWidget(self.gallery)
        self.request_changed.emit(self.request)

    def show_cell(self, split: str, true_class: int, predicted_class: int) -> None:
        """A confusion-matrix cell was clicked: its examples in the gallery, on the matrix's split."""
        position = self.split_box.findData(split)
        if position >= 0:
            self.split_box.setCurrentIndex(position)
        self._ask(split=split, cell=(int(true_class), int(predicted_class)))

    def _pair_chosen(self) -> None:
        negative = self.negative_box.currentData()
        self._ask(positive=self.positive_box.currentData(), negative=None if negative == REST else negative)

    def set_classes(self, names: tuple[str, ...]) -> None:
        """A new data set: its classes in the two boxes, 4 vs 9 for digits (the classic confusion),
        else the last class against the first (class 1 vs 0 on a 2-D toy set)."""
        if names == self._names:
            return
        self._names = names
        k = len(names)
        positive, negative = (4, 9) if k == 10 else (k - 1, 0)
        for box in (self.positive_box, self.negative_box):
            box.clear()
            for i, name in enumerate(names):
                box.addItem(f"{i}: {name}" if name != str(i) else name, i)
        self.negative_box.addItem("rest (one vs rest)", REST)
        self.positive_box.setCurrentIndex(positive)
        self.negative_box.setCurrentIndex(negative)
        self.request = replace(self.request, cell=None, positive=positive, negative=negative)
        self.clear()

    def clear(self) -> None:
        self.record = None
        self.header.setText("Not evaluated yet: press Evaluate now, or train an epoch.")
        self.per_class_figure.clear()
        self.roc.clear()
        self.table.setRowCount(0)
        self.pairs.clear()
        self.gallery.list.clear()
        self.counts_label.setText("")
        self.rates_label.setText("")

    # --- showing a record --------------------------------------------------------------------
    def show_record(self, record: EvaluationRecord) -> None:
        self.set_classes(record.class_names)
        self.record = record
        self.request = record.request
        e = record.evaluation
        split = "validation" if record.split == "val" else record.split
        if record.batch_in_epoch:
            when = f"at iteration {record.iteration:,} (in epoch {record.epoch + 1})"
        else:
            when = f"after epoch {record.epoch}" if record.epoch else "before training (epoch 0)"
        if record.restored_epoch is not None:
            when += f", with epoch {record.restored_epoch}'s weights (early stopping)"
        self.header.setText(f"<b>Network {when}</b> · {split}: {record.n_examples:,} examples · "
                            f"accuracy <b>{e.accuracy:.1%}</b> · loss {_number(e.loss, 4)} · train figures measured on "
                            f"{record.train_measured:,} training examples")
        self.per_class_figure.show_metrics(record.per_class, f"{split}: precision, recall and F1 per class")
        self._fill_table(record)
        self.pairs.clear()
        names = record.class_names
        for pair in record.confused:
            item = QtWidgets.QListWidgetItem(f"{names[pair.true_class]} → {names[pair.predicted_class]}: "
                                             f"{pair.count:,} ({pair.fraction:.1%} of {names[pair.true_class]})")
            item.setData(QtCore.Qt.ItemDataRole.UserRole, (pair.true_class, pair.predicted_class))
            self.pairs.addItem(item)
        self.gallery.show_record(record)
        self._show_binary(record)

    def _fill_table(self, record: EvaluationRecord) -> None:
        self.table.setRowCount(len(record.per_class))
        for row, m in enumerate(record.per_class):
            cells = (m.name, _number(m.precision), _number(m.recall), _number(m.f1), f"{m.support:,}")
            for col, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)

    def _show_binary(self, record: EvaluationRecord) -> None:
        request = record.request
        self.positive_box.setCurrentIndex(max(self.positive_box.findData(request.positive), 0))
        negative = REST if request.negative is None else request.negative
        self.negative_box.setCurrentIndex(max(self.negative_box.findData(negative), 0))
        binary = record.binary
        if binary is None:
            self.roc.clear()
            self.pair_note.setText(record.binary_error)
            self.counts_label.setText("")
            self.rates_label.setText("")
            return
        names = record.class_names
        pos = names[request.positive]
        neg = "the rest" if request.negative is None else names[request.negative]
        score = "p(P)" if request.negative is None else "p(P) / (p(P) + p(N))"
        self.pair_note.setText(f"{binary.scores.indices.size:,} examples scored {score} · AUC {binary.auc:.3f}")
        self.roc.show_binary(binary, pos, neg)
        self._show_point()

    def _show_point(self) -> None:
        threshold = self.threshold
        self.threshold_label.setText(f"{threshold:.3f}")
        binary = self.record.binary if self.record is not None else None
        if binary is None:
            return
        point = operating_point(binary.scores.scores, binary.scores.is_positive, threshold)
        self.roc.set_operating_point(point)
        counts, rates = point_text(point)
        self.counts_label.setText(counts)
        self.rates_label.setText(rates)

    def scores(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The scores and truths the slider counts (tests compare them with the core's numbers)."""
        binary = self.record.binary if self.record is not None else None
        return None if binary is None else (binary.scores.scores, binary.scores.is_positive)
