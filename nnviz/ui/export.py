"""Export panels as files: one panel (PNG or SVG) or all of them into a folder, with readable names."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtWidgets

from nnviz.core.errors import ExportError

from nnviz.ui.panels import Panel, applies_to

DEFAULT_WIDTH = 1920  # a full-HD slide


@dataclass(slots=True)
class ExportOptions:
    path: Path
    width: int = DEFAULT_WIDTH
    white_background: bool = True


def export_panel(panel: Panel, options: ExportOptions) -> Path:
    """PNG or SVG by the path's suffix. Raises ExportError."""
    if options.path.suffix.lower() == ".svg":
        return panel.export_svg(options.path)
    path = options.path if options.path.suffix.lower() == ".png" else options.path.with_suffix(".png")
    return panel.export_png(path, options.width, options.white_background)


def export_all(panels: dict[str, Panel], folder: str | os.PathLike, *, width: int = DEFAULT_WIDTH,
               white_background: bool = True, suffix: str = "", dataset_kind: str = "image") -> list[Path]:
    """Write ``<folder>/<panel name><suffix>.png`` for every panel that applies to the data.
    Creates the folder if needed; raises ExportError naming the problem."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Could not create the folder {folder}: {exc.strerror or exc}") from None
    written = []
    for name, panel in panels.items():
        if applies_to(panel, dataset_kind):
            written.append(panel.export_png(folder / f"{name}{suffix}.png", width, white_background))
    return written


class ExportDialog(QtWidgets.QDialog):
    """File name, width in pixels and background for one panel's export."""

    def __init__(self, panel_title: str, path: Path, width: int, white_background: bool, *, svg: bool = False,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export {panel_title}")
        self._svg = svg
        form = QtWidgets.QFormLayout(self)
        row = QtWidgets.QHBoxLayout()
        self.path_edit = QtWidgets.QLineEdit(str(path))
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        self.width_box = QtWidgets.QSpinBox()
        self.width_box.setRange(200, 8000)
        self.width_box.setSingleStep(160)
        self.width_box.setValue(width)
        self.width_box.setSuffix(" px")
        self.width_box.setToolTip("1920 px fills a full-HD slide; the height keeps the panel's shape")
        self.white = QtWidgets.QCheckBox("white background (else transparent)")
        self.white.setChecked(white_background)
        if not svg:
            form.addRow("Width", self.width_box)
            form.addRow("", self.white)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Save
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(560, self.sizeHint().height())

    def _browse(self) -> None:
        pattern = "SVG drawing (*.svg)" if self._svg else "PNG image (*.png)"
        name, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text(), pattern)
        if name:
            self.path_edit.setText(name)

    def options(self) -> ExportOptions:
        return ExportOptions(Path(self.path_edit.text()).expanduser(), self.width_box.value(),
                             self.white.isChecked())

    @classmethod
    def ask(cls, panel_title: str, path: Path, width: int, white_background: bool, *, svg: bool = False,
            parent: QtWidgets.QWidget | None = None) -> ExportOptions | None:
        """The options, or None if cancelled (tests patch this)."""
        dialog = cls(panel_title, path, width, white_background, svg=svg, parent=parent)
        return dialog.options() if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted else None
