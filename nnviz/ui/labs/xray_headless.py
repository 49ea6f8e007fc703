"""The x-ray's figures without a window: every preset (`nnviz lab xray --png DIR`), or one network from a
weights file (`nnviz lab xray --weights F --png DIR`), each with its forward and backward pass complete."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nnviz.core.lessons.xray import PRESETS, XrayPass

if TYPE_CHECKING:
    from .xray import XrayLab


def _figures(lab: XrayLab, out_dir: Path, stem: str) -> Path:
    from nnviz.ui.offscreen import write_figure

    lab.run_all()
    return write_figure(lab, out_dir, stem)


def headless(out_dir: Path, data_dir: str | None = None) -> list[Path]:
    """Every preset with its forward and backward pass complete: xray-<preset>.png."""
    from nnviz.ui.offscreen import ensure_app, show_for_export

    from .xray import XrayLab

    ensure_app()
    lab = XrayLab(data_dir=data_dir)
    show_for_export(lab, 1600, 900)
    try:
        paths = []
        for name in PRESETS:
            lab.load_preset(name)
            paths.append(_figures(lab, out_dir, f"xray-{name}"))
    finally:
        lab.shutdown()
        lab.close()
    return paths


def write_network_figures(result: XrayPass, out_dir: Path, stem: str, learning_rate: float | None = None,
                          note: str = "") -> list[Path]:
    """The figure of one network and example (``nnviz lab xray --weights F --png DIR``): xray-<stem>.png."""
    from nnviz.ui.offscreen import ensure_app, show_for_export

    from .xray import XrayLab

    ensure_app()
    lab = XrayLab()
    show_for_export(lab, 1600, 900)
    try:
        if learning_rate is not None:
            lab.learning_rate.setValue(learning_rate)
        lab.set_example(result.network, result.inputs, result.targets, result.loss_name, note)
        return [_figures(lab, out_dir, f"xray-{stem}")]
    finally:
        lab.shutdown()
        lab.close()
