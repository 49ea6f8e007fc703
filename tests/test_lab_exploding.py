"""The gradient-descent lab's vanishing-gradients page shows the exploding case too: sigmoid (shrinking)
beside ReLU from large weights (growing), all on the same log axes, and ReLU (He) one click away."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from nnviz.core.lessons.vanishing import VanishingSettings
from nnviz.ui.labs.gradient_descent import GradientDescentLab


def test_the_page_shows_vanishing_and_exploding_gradients(qtbot, tmp_path, shared_data_dir):
    lab = GradientDescentLab(data_dir=str(shared_data_dir))
    qtbot.addWidget(lab)
    lab.resize(1400, 900)
    lab.show()
    lab.page_choice.setCurrentIndex(lab.page_choice.findData("vanishing"))  # the page chooser, as a person picks
    page = lab.pages["vanishing"]
    assert lab.current_page is page and "Vanishing & exploding" in lab.page_choice.currentText()
    page.iterations.setValue(30)
    with qtbot.waitSignal(page.background.finished, timeout=60000):
        page.start(VanishingSettings(iterations=30, train_size=500, test_size=200))
    qtbot.waitUntil(lambda: "done" in page.status.text(), timeout=10000)
    # Beside the sigmoid network: the exploding one, by default.
    assert page.plots["sigmoid"].isVisible() and page.plots["exploding"].isVisible()
    assert not page.plots["relu"].isVisible()
    assert "large init" in page.plots["exploding"].getPlotItem().titleLabel.text
    for key in ("sigmoid", "relu", "exploding"):
        assert page.curves[key][0].getData()[0].size == 30
    # The summary: one line falling towards layer 1 (vanishing), one rising (exploding), log axes.
    summary = page.summary.getPlotItem()
    assert summary.ctrl.logYCheck.isChecked()
    _x, sigmoid = page.summary_items["sigmoid"].getData()  # log10 of the means (the axis is logarithmic)
    _x, exploding = page.summary_items["exploding"].getData()
    assert np.all(np.diff(sigmoid) > 0) and sigmoid[0] - sigmoid[-1] < np.log10(0.05)
    assert np.all(np.diff(exploding) < 0) and exploding[0] - exploding[-1] > np.log10(20)
    # Every per-iteration plot shares one log y range, so the orders of magnitude compare.
    ranges = {key: tuple(np.round(w.getPlotItem().viewRange()[1], 6)) for key, w in page.plots.items()}
    assert len(set(ranges.values())) == 1
    low, high = ranges["sigmoid"]
    assert high - low > 3  # more than three decades between the vanishing and the exploding signals
    text = page.text.text()
    assert "ReLU, large init N(0, 1)" in text and "sigmoid (Xavier init)" in text and "1/" in text
    # A click shows ReLU with He weights instead.
    relu_button = [b for b in page.controls.findChildren(QtWidgets.QRadioButton) if "He init" in b.text()][0]
    qtbot.mouseClick(relu_button, QtCore.Qt.MouseButton.LeftButton)
    assert page.plots["relu"].isVisible() and not page.plots["exploding"].isVisible()
    lab.export_png(tmp_path / "exploding.png", 1280)
    assert (tmp_path / "exploding.png").stat().st_size > 10_000
    lab.shutdown()
    assert not page.background.is_running()
