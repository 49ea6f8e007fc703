"""The gradient-descent lab: the slides' 1-D and 2-D examples step by step, the pitfalls one click
each, and vanishing and exploding gradients on MNIST. One page at a time; the export is the visible page."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from PySide6 import QtWidgets

from nnviz.core.errors import DatasetError
from nnviz.core.lessons.gradient_descent import derivative_table, gradient_rounds, pitfalls_table, rounds_table
from nnviz.core.lessons.vanishing import GradientNorms, VanishingGradients, VanishingSettings, vanishing_table

from nnviz.ui.labs.base import LabWidget
from nnviz.ui.labs.controls import heading
from nnviz.ui.labs.gd_pages import PitfallsPage, StepByStepPage
from nnviz.ui.labs.vanishing import VanishingPage

PAGES = (("step-by-step", "1-D and 2-D, step by step"), ("pitfalls", "Pitfalls"),
         ("vanishing", "Vanishing & exploding gradients (MNIST)"))


class GradientDescentLab(LabWidget):
    name = "gradient-descent"
    title = "Gradient descent"

    def __init__(self, parent: QtWidgets.QWidget | None = None, data_dir: str | None = None) -> None:
        super().__init__(parent, data_dir)
        self.pages = {"step-by-step": StepByStepPage(), "pitfalls": PitfallsPage(), "vanishing": VanishingPage(data_dir)}
        self.stack = QtWidgets.QStackedWidget()
        self.control_stack = QtWidgets.QStackedWidget()
        for page in self.pages.values():
            self.stack.addWidget(page)
            self.control_stack.addWidget(page.controls)
        layout = QtWidgets.QVBoxLayout(self.figure)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.stack)
        self.controls.addWidget(heading("Page"))
        self.page_choice = QtWidgets.QComboBox()
        for key, title in PAGES:
            self.page_choice.addItem(title, key)
        self.page_choice.currentIndexChanged.connect(self._page_changed)
        self.controls.addWidget(self.page_choice)
        self.controls.addWidget(self.control_stack)
        self.finish_controls()

    def _page_changed(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.control_stack.setCurrentIndex(index)

    def show_page(self, key: str) -> None:
        self.page_choice.setCurrentIndex([k for k, _ in PAGES].index(key))

    @property
    def current_page(self) -> QtWidgets.QWidget:
        return self.stack.currentWidget()

    def step(self) -> None:
        """Step the visible page."""
        self.current_page.step()

    def shutdown(self) -> None:
        super().shutdown()
        self.pages["vanishing"].shutdown()


WIDGET = GradientDescentLab


@functools.lru_cache(maxsize=2)
def default_vanishing(data_dir: str | None) -> dict[str, GradientNorms]:
    """The default vanishing-gradients run, once per process (figure and tables share it)."""
    return VanishingGradients(VanishingSettings(), data_dir=data_dir).run()


def headless(out_dir: Path, data_dir: str | None = None) -> list[Path]:
    """The 1-D/2-D page after a few rounds, every pitfall, and vanishing gradients (sigmoid beside ReLU)
    and exploding gradients (sigmoid beside large-init ReLU) if MNIST is found."""
    from nnviz.ui.offscreen import ensure_app, show_for_export, write_figure

    ensure_app()
    lab = GradientDescentLab(data_dir=data_dir)
    show_for_export(lab)
    paths = []
    try:
        lab.pages["step-by-step"].step_2d(6)  # 1-D stays at x = 6: the slide's 6.01 vs 6
        paths.append(write_figure(lab, out_dir, "gradient-descent-steps"))
        lab.show_page("pitfalls")
        for name in ("crawl", "oscillate", "diverge", "two-minima", "momentum"):
            lab.pages["pitfalls"].show_pitfall(name)
            paths.append(write_figure(lab, out_dir, f"gradient-descent-{name}"))
        try:
            norms = default_vanishing(data_dir)
        except DatasetError as exc:
            print(f"nnviz: vanishing-gradients figure skipped: {exc}", file=sys.stderr)
        else:
            lab.show_page("vanishing")
            page = lab.pages["vanishing"]
            page.show_norms(norms)
            for beside, name in (("relu", "vanishing"), ("exploding", "exploding")):
                page.show_beside(beside)
                paths.append(write_figure(lab, out_dir, f"gradient-descent-{name}"))
    finally:
        lab.shutdown()
        lab.close()
    return paths


def tables(data_dir: str | None = None) -> str:
    parts = [derivative_table(), rounds_table(gradient_rounds()), pitfalls_table()]
    try:
        norms = default_vanishing(data_dir)
    except DatasetError as exc:
        parts.append(f"Vanishing and exploding gradients: skipped ({exc})")
    else:
        parts.append(vanishing_table(norms, VanishingSettings()))
    return "\n\n".join(parts)
