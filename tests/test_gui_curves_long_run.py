"""A class-long run: the Curves panel drops the per-epoch markers past MAX_EPOCH_SYMBOLS epochs (they
would merge into a band, and pyqtgraph keeps a record per marker) and keeps them below it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from nnviz.core.record import EpochCurves  # noqa: E402
from nnviz.ui.panels.curves import MAX_EPOCH_SYMBOLS, CurveOverlay, CurvesPanel  # noqa: E402
from nnviz.ui.sweep_overview import _no_run  # noqa: E402


def epochs(n: int) -> EpochCurves:
    x = np.arange(1, n + 1, dtype=float)
    loss, accuracy = 1.0 / x, 1.0 - 0.5 / x
    return EpochCurves(x, loss, accuracy, loss * 1.1, accuracy * 0.99, loss * 1.2, accuracy * 0.98)


def overlay(label: str, n: int) -> CurveOverlay:
    curves = epochs(n)
    return CurveOverlay(label, "#cc79a7", curves.epoch, curves.val_loss, curves.val_accuracy)


@pytest.mark.parametrize("n", [3, MAX_EPOCH_SYMBOLS, MAX_EPOCH_SYMBOLS + 1, 2000])
def test_markers_only_while_they_can_be_told_apart(qtbot, n):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.show_snapshot(replace(_no_run(), state="running", epoch=n, epochs=epochs(n)))
    panel.set_overlays([overlay("lr=0.5", n)])
    marked = n <= MAX_EPOCH_SYMBOLS
    for split, symbol in (("train", "o"), ("val", "s"), ("test", "t")):
        for item in (panel.epoch_loss[split], panel.epoch_accuracy[split]):
            assert item.opts["symbol"] == (symbol if marked else None)
            assert item.getData()[0].size == n  # every epoch is still in the line
    for item in panel._overlay_items["lr=0.5"]:
        assert item.opts["symbol"] == ("d" if marked else None) and item.getData()[0].size == n


def test_a_long_run_shown_after_a_short_one_loses_its_markers_and_gets_them_back(qtbot):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    for n, symbol in ((5, "s"), (500, None), (7, "s")):
        panel.show_snapshot(replace(_no_run(), state="running", epoch=n, epochs=epochs(n)))
        assert panel.epoch_accuracy["val"].opts["symbol"] == symbol
