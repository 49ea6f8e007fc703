"""The window's export actions: one panel (PNG or SVG, asked in a dialog) or every panel into a
folder. A failure becomes a message box and the window goes on; the choices are remembered."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

from nnviz.core.errors import ExportError

from nnviz.ui import settings as stored
from nnviz.ui.errors import show_error
from nnviz.ui.export import ExportDialog, ExportOptions, export_all, export_panel
from nnviz.ui.panels import Panel


class PanelExportActions:
    """Mixed into the main window, which provides ``settings``, ``panels``, ``run_info`` and a status bar."""

    def export_panel(self, panel: Panel, fmt: str) -> None:
        folder = Path(stored.read_text(self.settings, "export/folder", str(Path.home())))
        width = int(stored.read_float(self.settings, "export/width", 1920, 200, 8000))
        white = stored.read_bool(self.settings, "export/white", True)
        options = ExportDialog.ask(panel.title, folder / f"{panel.name}.{fmt}", width, white, svg=fmt == "svg",
                                   parent=self)
        if options is not None:
            self.write_panel(panel, options)

    def write_panel(self, panel: Panel, options: ExportOptions) -> Path | None:
        """Export one panel; a failure becomes a message box and the window goes on."""
        try:
            path = export_panel(panel, options)
        except ExportError as exc:
            show_error(self, "Export failed", str(exc))
            return None
        self.settings.setValue("export/folder", str(path.parent))
        self.settings.setValue("export/width", options.width)
        self.settings.setValue("export/white", options.white_background)
        self.statusBar().showMessage(f"Wrote {path}", 5000)
        return path

    def export_all_panels(self, folder: str | None = None) -> list[Path]:
        if folder is None:
            start = stored.read_text(self.settings, "export/folder", str(Path.home()))
            folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Export every panel into", start)
            if not folder:
                return []
        width = int(stored.read_float(self.settings, "export/width", 1920, 200, 8000))
        white = stored.read_bool(self.settings, "export/white", True)
        kind = self.run_info.dataset_kind if self.run_info else "image"
        try:
            written = export_all(self.panels, folder, width=width, white_background=white, dataset_kind=kind)
        except ExportError as exc:
            show_error(self, "Export failed", str(exc))
            return []
        self.settings.setValue("export/folder", str(folder))
        self.statusBar().showMessage(f"Wrote {len(written)} PNGs to {folder}", 5000)
        return written
