"""The window's panels rendered without a window: ``nnviz train ... --png DIR``.

Qt needs no display here: without one (or with no ``DISPLAY`` at all, as on an HPC node) the
offscreen platform is chosen before Qt is imported. The panels and the snapshot are exactly those
of the window, so the PNGs match what the lecturer saw in class.
"""

from __future__ import annotations

from pathlib import Path

from nnviz.core.errors import ExportError, NnvizError
from nnviz.core.run_folder import check_output_folder

PANEL_SIZE = (1280, 720)  # logical size; exported at 1920 px wide this scales fonts by 1.5 for slides


class HeadlessExporter:
    """Writes every panel as ``<folder>/<panel-name><suffix>.png`` from a trainer's state."""

    def __init__(self, folder: Path, *, width: int = 1920, white_background: bool = True,
                 probe_index: int = 0) -> None:
        self.folder = Path(folder)
        self.width = width
        self.white_background = white_background
        self.probe_index = probe_index
        self._panels = None
        self._check_folder()

    def _check_folder(self) -> None:
        """Fail before training, not after it, when the folder cannot be written."""
        try:
            check_output_folder(self.folder, "--png")  # probes by writing: root ignores permission bits
        except NnvizError as exc:
            raise ExportError(f"Could not create the PNG folder {self.folder}: {exc}") from None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"Could not create the PNG folder {self.folder}: {exc.strerror or exc}") from None

    def _ensure_panels(self):
        if self._panels is None:
            from PySide6 import QtCore

            from nnviz.ui.offscreen import ensure_app
            from nnviz.ui.panels import create_panels

            self._app = ensure_app("nnviz-headless")
            self._panels = create_panels()
            for panel in self._panels.values():
                panel.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
                panel.resize(*PANEL_SIZE)
                panel.show()  # lays the panel out; nothing appears on screen
            self._app.processEvents()
            for panel in self._panels.values():  # make the figure itself (below the controls) 16:9
                extra_width = panel.width() - panel.graphics.width()
                extra_height = panel.height() - panel.graphics.height()
                panel.resize(PANEL_SIZE[0] + extra_width, PANEL_SIZE[1] + extra_height)
        return self._panels

    def export(self, trainer, suffix: str = "") -> list[Path]:
        """Draw the trainer's current state in every panel and write the PNGs; returns their paths."""
        from nnviz.ui.export import export_all
        from nnviz.core.record import build_record

        panels = self._ensure_panels()
        snapshot = build_record(trainer, probe_index=self.probe_index, probe_split="test", confusion_split="test")
        for panel in panels.values():
            panel.show_snapshot(snapshot)
        self._app.processEvents()  # let layouts settle before rendering
        return export_all(panels, self.folder, width=self.width, white_background=self.white_background,
                          suffix=suffix, dataset_kind=trainer.dataset.kind)
