"""The main window's side of fitting the screen: tabs or the 2x2 grid, chosen again whenever the
window's width crosses ``screen_fit.COMPACT_WIDTH`` (a laptop plugged into a projector)."""

from __future__ import annotations

from nnviz.ui import screen_fit
from nnviz.ui.window_layout import arrange_grid


class ScreenFit:
    """Mixed into the main window, which provides ``docks``, ``probe_bar``, ``presentation`` and ``_compact``."""

    def fit_layout(self) -> None:
        """Tabs below COMPACT_WIDTH, the 2x2 grid above it; only when the width crosses the line, so
        a lecturer's own arrangement stays until the window changes class."""
        compact = screen_fit.is_compact(self.width())
        if compact == self._compact:
            return
        self._compact = compact
        if compact:
            screen_fit.arrange_compact(self, self.docks)
            self.insertToolBarBreak(self.probe_bar)
        else:
            arrange_grid(self, self.docks)
            self.removeToolBarBreak(self.probe_bar)
        self.presentation.fit_tabs()  # new tab bars may have appeared

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self.isVisible():
            self.fit_layout()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.fit_layout()
        self.setProperty("nnviz_shown", True)
