"""The window's panels, in the order of the View menu and of exports."""

from __future__ import annotations

from nnviz.ui.panels.activations import ActivationsPanel
from nnviz.ui.panels.base import Panel
from nnviz.ui.panels.confusion import ConfusionMatrixPanel
from nnviz.ui.panels.curves import CurvesPanel
from nnviz.ui.panels.decision import DecisionBoundaryPanel
from nnviz.ui.panels.feature_maps import FeatureMapsPanel
from nnviz.ui.panels.filters import FiltersPanel

PANEL_CLASSES: tuple[type[Panel], ...] = (CurvesPanel, FiltersPanel, DecisionBoundaryPanel, FeatureMapsPanel,
                                          ActivationsPanel, ConfusionMatrixPanel)


def create_panels() -> dict[str, Panel]:
    """One of each panel, keyed by its file-name stem ("curves", "filters", ...)."""
    return {cls.name: cls() for cls in PANEL_CLASSES}


def applies_to(panel: Panel, dataset_kind: str) -> bool:
    """The input plane only means something for 2-D data."""
    return dataset_kind == "points" or panel.name != DecisionBoundaryPanel.name


__all__ = ["PANEL_CLASSES", "Panel", "applies_to", "create_panels", "ActivationsPanel", "ConfusionMatrixPanel",
           "CurvesPanel", "DecisionBoundaryPanel", "FeatureMapsPanel", "FiltersPanel"]
