"""`nnviz lab convolution`: a 3x3 filter slid over a 5x7 patch of a '7', by hand, then over the whole
image (stride, padding, output size), then a trained cnn's 16 learned filters on the same image.

The numbers come from `nnviz.core.lessons.convolution`; the whole-image map from the networks' own
`Conv2D`. Figures are painted (see `filter_figure.PaintedFigure`), so PNG exports are sharp at any width.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtWidgets

from nnviz.core.errors import NnvizError
from nnviz.core.lessons import convolution as lesson_maths

from nnviz.ui.labs.background import BackgroundRun
from nnviz.ui.labs.base import LabWidget
from nnviz.ui.labs.convolution_figures import HandConvolutionCanvas, WholeImageCanvas
from nnviz.ui.labs.filter_figure import FIGURE_PRESETS, FIGURE_TRAIN_SIZES, FilterActivationFigure, save_filter_figures
from nnviz.ui.offscreen import ensure_app, show_for_export

A = QtCore.Qt.AlignmentFlag
TRAIN_SIZES = (10000, 20000, 60000)  # 1 epoch of the cnn preset on the first N training images
DEFAULT_TRAIN_SIZE = 20000  # ~10-20 s on 2 cores: edge-like filters already
HEADLESS_TRAIN_SIZE = DEFAULT_TRAIN_SIZE
SLIDE_TRAIN_SIZES = FIGURE_TRAIN_SIZES  # the slides' two figures
SLIDE_TEST_SIZE = 2000
PLAY_INTERVAL_MS = 900


def load_test_images(data_dir: str | None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST test images (N, 28, 28) in [0, 1] and labels. Raises DatasetError."""
    from nnviz.core.data.loading import load_dataset

    dataset = load_dataset("mnist", data_dir=data_dir)
    return dataset.x_test[:, 0], dataset.y_test


class ConvolutionLab(LabWidget):
    """The figure: by hand (top), whole image and learned filters (below); controls on the right."""

    name = "convolution"
    title = "Convolution"

    def __init__(self, parent: QtWidgets.QWidget | None = None, data_dir: str | None = None) -> None:
        super().__init__(parent, data_dir)
        self.setWindowTitle("nnviz lab: convolution")
        try:
            self.images, self.labels = load_test_images(data_dir)
            self.source_note = f"Images: the MNIST test set ({len(self.labels):,}); test image #0 is a 7."
        except NnvizError as exc:
            self.images, self.labels = lesson_maths.drawn_seven()[None], np.array([7])
            self.source_note = f"MNIST not found ({exc}); a drawn 7 instead"
        self.index = lesson_maths.first_index_of(self.labels, 7)
        self.image = self.images[self.index]
        self.weights = lesson_maths.EDGE_FILTER.copy()
        self.origin = lesson_maths.default_patch_origin(self.image)
        self.cell: int | None = None
        self.network = None
        self.network_note = ""
        self.training = BackgroundRun(self)  # one epoch of the cnn preset, off the GUI thread
        self.training.progress.connect(self._training_progress)
        self.training.finished.connect(self._trained)
        self.training.failed.connect(self._training_failed)
        self.slides_run = BackgroundRun(self)  # the slides' 3x3 and 9x9 figures: two trainings in a row
        self.slides_run.progress.connect(self._slides_progress)
        self.slides_run.finished.connect(self._slides_trained)
        self.slides_run.failed.connect(self._training_failed)
        self.slides_folder = Path.home()
        self.timer = QtCore.QTimer(self, interval=PLAY_INTERVAL_MS, timeout=self.step)
        self.hand, self.whole, self.learned = HandConvolutionCanvas(), WholeImageCanvas(), FilterActivationFigure()
        self.learned.show_input = False  # the whole-image section shows the digit
        self.learned.title = "3 · Learned: first convolution layer filters and their activations"
        self.learned.short_titles = ("3 · Learned first-layer filters", "3 · Learned filters")
        self.learned.clear("Press 'Train cnn (1 epoch)' on the right, or 'Open model…', to see a trained "
                           "network's first-layer filters applied to this digit.")
        self.hand.patch_clicked.connect(self.set_origin_around)
        grid = QtWidgets.QGridLayout(self.figure)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.hand, 0, 0, 1, 2)
        grid.addWidget(self.whole, 1, 0)
        grid.addWidget(self.learned, 1, 1)
        grid.setRowStretch(0, 11), grid.setRowStretch(1, 9), grid.setColumnStretch(0, 2), grid.setColumnStretch(1, 3)
        self._build_controls()
        self.refresh()

    # --- controls ----------------------------------------------------------------------------
    def _build_controls(self) -> None:
        image_box = QtWidgets.QFormLayout()
        self.digit_combo = QtWidgets.QComboBox()
        self.digit_combo.addItems([str(d) for d in range(10)])
        self.digit_combo.setCurrentText(str(int(self.labels[self.index])))
        self.digit_combo.activated.connect(lambda i: self.set_image(self._first_of(i)))
        self.index_spin = QtWidgets.QSpinBox(maximum=len(self.images) - 1, value=self.index)
        self.index_spin.valueChanged.connect(self.set_image)
        self.scale_combo = QtWidgets.QComboBox()
        self.scale_combo.addItems(["bytes 0–255", "network inputs 0–1"])
        self.scale_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        image_box.addRow("Digit (first one)", self.digit_combo)
        image_box.addRow("Test image #", self.index_spin)
        image_box.addRow("Pixel values", self.scale_combo)
        self.filter_combo = QtWidgets.QComboBox()
        self.filter_combo.addItems([*lesson_maths.FILTER_PRESETS, "Custom"])
        self.filter_combo.activated.connect(self._preset_chosen)
        self.filter_table = QtWidgets.QTableWidget(3, 3)
        table_font = self.filter_table.font()
        table_font.setPointSize(15)
        self.filter_table.setFont(table_font)
        for header in (self.filter_table.horizontalHeader(), self.filter_table.verticalHeader()):
            header.hide()
            header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.filter_table.setFixedHeight(130)
        self.filter_table.itemChanged.connect(self._filter_edited)
        self.step_button = QtWidgets.QPushButton("Step", clicked=self.step)
        self.play_button = QtWidgets.QPushButton("Play", checkable=True, toggled=self.play)
        self.reset_button = QtWidgets.QPushButton("Reset", clicked=self.reset)
        self.stride_combo, self.padding_combo = QtWidgets.QComboBox(), QtWidgets.QComboBox()
        self.stride_combo.addItems([str(s) for s in lesson_maths.STRIDES])
        self.padding_combo.addItems(list(lesson_maths.PADDINGS))
        for combo in (self.stride_combo, self.padding_combo):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.size_combo = QtWidgets.QComboBox()
        self.size_combo.addItems([f"{n:,} images" for n in TRAIN_SIZES])
        self.size_combo.setCurrentIndex(TRAIN_SIZES.index(DEFAULT_TRAIN_SIZE))
        self.train_button = QtWidgets.QPushButton("Train cnn (1 epoch)", clicked=self.train_filters)
        self.open_button = QtWidgets.QPushButton("Open model…", clicked=lambda: self.open_model())
        self.slides_button = QtWidgets.QPushButton("Slides' 3×3 + 9×9 figures…")
        self.slides_button.clicked.connect(lambda: self.write_slides())
        self.slides_button.setToolTip("Train cnn (60,000 images) and cnn-9x9 (20,000) for one epoch each, then "
                                      "write filters-3x3.png and filters-9x9.png into a folder")
        self.progress = QtWidgets.QProgressBar(visible=False)
        steps = QtWidgets.QHBoxLayout()
        for button in (self.step_button, self.play_button, self.reset_button):
            steps.addWidget(button)
        whole = QtWidgets.QFormLayout()
        whole.addRow("Stride", self.stride_combo)
        whole.addRow("Padding", self.padding_combo)
        groups = [("Image", [image_box]), ("Filter (edit the cells)", [self.filter_combo, self.filter_table]),
                  ("Slide the window", [steps]), ("Whole image", [whole]),
                  ("Learned filters", [self.size_combo, self.train_button, self.open_button, self.slides_button,
                                       self.progress])]
        for title, items in groups:
            box = QtWidgets.QGroupBox(title)
            inner = QtWidgets.QVBoxLayout(box)
            for item in items:
                if isinstance(item, QtWidgets.QLayout):
                    inner.addLayout(item)
                else:
                    inner.addWidget(item)
            self.controls.addWidget(box)
        self.finish_controls()
        self.show_status(self.source_note)
        self._show_weights()

    def _first_of(self, digit: int) -> int:
        try:
            return lesson_maths.first_index_of(self.labels, digit)
        except ValueError:
            return self.index

    def _show_weights(self) -> None:
        self.filter_table.blockSignals(True)
        for (i, j), value in np.ndenumerate(self.weights):
            item = QtWidgets.QTableWidgetItem(lesson_maths.format_value(float(value)))
            item.setTextAlignment(A.AlignCenter)
            self.filter_table.setItem(i, j, item)
        self.filter_table.blockSignals(False)
        names = [n for n, p in lesson_maths.FILTER_PRESETS.items() if np.allclose(p.weights, self.weights)]
        self.filter_combo.setCurrentText(names[0] if names else "Custom")

    def _preset_chosen(self, index: int) -> None:
        name = self.filter_combo.itemText(index)
        if name in lesson_maths.FILTER_PRESETS:
            self.set_filter(lesson_maths.FILTER_PRESETS[name].weights)

    def _filter_edited(self, item: QtWidgets.QTableWidgetItem) -> None:
        try:
            value = float(item.text().replace("−", "-").replace(",", "."))
            if not np.isfinite(value):
                raise ValueError(item.text())
        except ValueError:
            self.show_status(f"'{item.text()}' is not a number; the filter keeps its old value.")
            self._show_weights()
            return
        weights = self.weights.copy()
        weights[item.row(), item.column()] = value
        self.set_filter(weights)

    # --- actions (also driven by tests) ------------------------------------------------------
    def set_image(self, index: int) -> None:
        self.index = int(index)
        self.image = self.images[self.index]
        self.origin = lesson_maths.default_patch_origin(self.image)
        blockers = QtCore.QSignalBlocker(self.index_spin), QtCore.QSignalBlocker(self.digit_combo)
        self.index_spin.setValue(self.index)
        self.digit_combo.setCurrentIndex(int(self.labels[self.index]))
        del blockers
        self.reset()

    def set_filter(self, weights: np.ndarray) -> None:
        self.weights = np.array(weights, dtype=np.float64).reshape(3, 3)
        self._show_weights()
        self.reset()

    def set_origin_around(self, row: int, column: int) -> None:
        self.origin = lesson_maths.patch_origin_around(row, column, self.image.shape)
        self.reset()

    def set_whole_image(self, stride: int, padding: str) -> None:
        self.stride_combo.setCurrentText(str(stride))
        self.padding_combo.setCurrentText(padding)

    def step(self) -> None:
        """Move the window to the next cell; after the last, show the finished (pooled) overview."""
        n = self.lesson.n_cells
        self.cell = 0 if self.cell is None else (self.cell + 1 if self.cell + 1 < n else None)
        if self.cell is None and self.play_button.isChecked():
            self.play_button.setChecked(False)
        self.hand.set_lesson(self.image, self.lesson, self.cell)

    def play(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on:
            if self.cell is None:
                self.step()
            self.timer.start()
        else:
            self.timer.stop()

    def reset(self) -> None:
        self.play_button.setChecked(False)
        self.cell = None
        self.refresh()

    def refresh(self) -> None:
        scale = 255 if self.scale_combo.currentIndex() == 0 else 1
        self.lesson = lesson_maths.patch_lesson(self.image, self.origin, self.weights, scale=scale)
        self.hand.set_lesson(self.image, self.lesson, self.cell)
        self.whole.set_state(self.image, self.weights, int(self.stride_combo.currentText()),
                             self.padding_combo.currentText())
        if self.network is not None:
            self.show_network(self.network, self.network_note)

    def show_network(self, network, note: str) -> None:
        """Draw ``network``'s first-layer filters on the current image. Raises ValueError."""
        self.learned.set_network(network, self.image, subtitle=f"{note}\neach filter (blue < 0 < red) beside "
                                 "its feature map for the same digit, after ReLU")
        self.learned.title = f"3 · Learned: {self.learned.title}"
        self.network, self.network_note = network, note

    def train_filters(self) -> None:
        """Train the cnn preset for one epoch in a worker thread; the figure updates when it is done."""
        if self.training.is_running() or self.slides_run.is_running():
            return
        train_size, data_dir = TRAIN_SIZES[self.size_combo.currentIndex()], self.data_dir
        self._training_started(f"Training the cnn preset for one epoch on {train_size:,} images…")
        self.training.start(lambda: lesson_maths.FirstLayerTraining("cnn", data_dir, train_size=train_size))

    def write_slides(self, folder: Path | None = None) -> None:
        """Train cnn and cnn-9x9 one epoch each in the background, then write the slides' two figures."""
        if self.training.is_running() or self.slides_run.is_running():
            return
        if folder is None:
            folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder for the two PNGs",
                                                                str(self.slides_folder))
            if not folder:
                return
        self.slides_folder, data_dir = Path(folder), self.data_dir
        jobs = [(preset, SLIDE_TRAIN_SIZES[preset]) for preset in FIGURE_PRESETS]
        self._training_started("Training cnn, then cnn-9x9, for the slides' figures: a few minutes…")
        test_size = SLIDE_TEST_SIZE
        self.slides_run.start(lambda: lesson_maths.TrainingSequence(jobs, data_dir, test_size=test_size))

    def _training_started(self, message: str) -> None:
        self.train_button.setEnabled(False)
        self.slides_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.show_status(message)

    def _training_progress(self, progress: lesson_maths.TrainingProgress, preset: str = "cnn") -> None:
        self.progress.setFormat(f"{preset}: %v / %m batches")
        self.progress.setMaximum(progress.batches_total)
        self.progress.setValue(progress.batches_done)
        self.training.frame_drawn()

    def _trained(self, progress: lesson_maths.TrainingProgress) -> None:
        self._training_ended()
        self.show_network(progress.network, progress.summary)
        self.show_status(f"Trained: {progress.summary}.")

    def _slides_progress(self, snapshot: tuple) -> None:
        self._training_progress(snapshot[1], snapshot[0])
        self.slides_run.frame_drawn()

    def _slides_trained(self, snapshot: tuple) -> None:
        self._training_ended()
        try:
            written = save_filter_figures(list(snapshot[2]), self.slides_folder)
        except NnvizError as exc:
            QtWidgets.QMessageBox.warning(self, "Export failed", str(exc))
            return
        self.show_status("Wrote " + " and ".join(str(path) for path in written) + ".")

    def _training_failed(self, message: str) -> None:
        self._training_ended()
        self.show_status(message)

    def _training_ended(self) -> None:
        self.training.stop()  # joins a finished (or stops a running) thread
        self.slides_run.stop()
        self.train_button.setEnabled(True)
        self.slides_button.setEnabled(True)
        self.progress.setVisible(False)

    def open_model(self, path: str | os.PathLike | None = None) -> None:
        """Show the first-layer filters of a saved model (.npz)."""
        from nnviz.core.model_io import load_model

        if path is None:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open a cnn model", "", "nnviz model (*.npz)")
            if not path:
                return
        try:
            self.show_network(load_model(path).network, f"model {Path(path).name}")
            self.show_status(f"Showing the first-layer filters of {Path(path).name}.")
        except (NnvizError, ValueError) as exc:
            QtWidgets.QMessageBox.warning(self, "Cannot show this model", str(exc))

    def prepare_export(self) -> None:
        if not self.isVisible():  # lay out a lab that was never shown, without showing it
            self.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen)
            self.show()

    def shutdown(self) -> None:
        """Stop the animation and any training, and join the thread."""
        super().shutdown()
        self._training_ended()


WIDGET = ConvolutionLab


def headless(out_dir: Path, data_dir: str | None = None, *, train_size: int = HEADLESS_TRAIN_SIZE,
             test_size: int = 2000) -> list[Path]:
    """Write convolution.png (the whole lab figure) and its three parts; the learned filters come from
    the cnn preset trained for one epoch on the first ``train_size`` MNIST training images."""
    ensure_app()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lab = ConvolutionLab(data_dir=data_dir)
    try:
        show_for_export(lab, 1600, 1000)
        trainer = lesson_maths.train_first_layer("cnn", data_dir, train_size=train_size, test_size=test_size)
        lab.show_network(trainer.network, lesson_maths.training_summary(trainer))
        lab.cell = 6  # mid-way: the window, its products and a half-filled map
        lab.hand.set_lesson(lab.image, lab.lesson, lab.cell)
        written = [lab.export_png(out_dir / "convolution.png")]
        for name, figure in (("by-hand", lab.hand), ("whole-image", lab.whole), ("learned-filters", lab.learned)):
            written.append(figure.export_png(out_dir / f"convolution-{name}.png"))
        return written
    finally:
        lab.shutdown()
        lab.close()
        lab.deleteLater()


def tables(data_dir: str | None = None) -> str:
    """The explainer's numbers for the first '7' of the MNIST test set, as text."""
    images, labels = load_test_images(data_dir)
    index = lesson_maths.first_index_of(labels, 7)
    image = images[index]
    lesson = lesson_maths.patch_lesson(image, lesson_maths.default_patch_origin(image), lesson_maths.EDGE_FILTER)
    title = f"MNIST test image #{index} (a 7), the slides' edge filter [[-1, 0, 1]] x 3\n"
    return lesson_maths.lesson_tables(lesson, image.shape, title)
