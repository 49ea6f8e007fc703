"""The window's panels, in the order of the View menu and of exports."""

from __future__ import annotations

from .activations import ActivationsPanel
from .base import Panel
from .confusion import ConfusionMatrixPanel
from .curves import CurvesPanel
from .decision import DecisionBoundaryPanel
from .feature_maps import FeatureMapsPanel
from .filters import FiltersPanel

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
