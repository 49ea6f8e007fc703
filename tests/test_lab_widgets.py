"""pytest-qt drives every lab: step it, move a slider, export a PNG of the requested width."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtGui, QtWidgets

from nnviz.core.errors import ExportError
from nnviz.core.lessons.loss_comparison import LossSettings
from nnviz.core.lessons.vanishing import VanishingSettings
from nnviz.ui.labs.activations import ActivationsLab
from nnviz.ui.labs.gradient_descent import GradientDescentLab
from nnviz.ui.labs.losses import LossesLab
from nnviz.ui.labs.parameters import ParametersLab
from nnviz.ui.labs.playground import PlaygroundLab
from nnviz.ui.labs.xor import XorLab

EXPORT_WIDTH = 1280


def open_lab(qtbot, cls, **kwargs):
    lab = cls(**kwargs)
    qtbot.addWidget(lab)
    lab.resize(1400, 900)
    lab.show()
    QtWidgets.QApplication.processEvents()
    return lab


def assert_png(path: Path, width: int = EXPORT_WIDTH) -> np.ndarray:
    image = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_RGB32)
    assert image.width() == width and image.height() > 300
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    pixels = pixels[:, : 4 * width].reshape(image.height(), width, 4)[..., :3]
    assert pixels.std() > 20  # not blank
    assert len(np.unique(pixels.reshape(-1, 3)[::7], axis=0)) > 50  # plots, text and colours, not one fill
    return pixels


def test_playground_steps_trains_and_exports(qtbot, tmp_path):
    lab = open_lab(qtbot, PlaygroundLab)
    x0, x1, y0, y1 = lab.run.extent
    drawn = lab.heat.mapRectToParent(lab.heat.boundingRect())  # the heat map covers the plane, in data units
    assert (drawn.left(), drawn.right(), drawn.top(), drawn.bottom()) == pytest.approx((x0, x1, y0, y1))
    lab.step_button.click()
    assert lab.run.trainer.iteration == 1
    w = lab.run.trainer.network.layers[0].params["W"]
    assert lab.graph.edges[0][1][0].toolTip() == f"weight x2 → h1,1: {float(w[1, 0]):+.3f}"  # hover text
    lab.learning_rate.slider.setValue(lab.learning_rate.slider.value() - 30)
    assert lab.run.trainer.learning_rate == pytest.approx(lab.learning_rate.value())
    lab.run_button.click()
    qtbot.waitUntil(lambda: lab.run.trainer.iteration > 20, timeout=5000)
    lab.run_button.click()
    assert not lab.timer.isActive()
    assert lab.loss_raw.getData()[0].size == lab.run.trainer.iteration
    lab.perceptron_mode.setChecked(True)
    lab.dataset.setCurrentText("xor")
    lab.step_button.click()
    assert lab.run.is_perceptron and lab.run.trainer.iteration == 1
    for _ in range(8):
        lab.step_epoch()
    assert "Not converging" in lab.info.text()
    lab.dataset.setCurrentText("blobs")
    for _ in range(4):
        lab.step_epoch()
    assert "Converged" in lab.info.text()
    assert_png(lab.export_png(tmp_path / "playground.png", EXPORT_WIDTH))
    lab.hidden.setText("40")
    lab.rebuild_from_controls()
    assert "Hidden sizes" in lab.status.text()


def test_xor_lab_shows_the_slides_table_steps_and_trains(qtbot, tmp_path):
    lab = open_lab(qtbot, XorLab)
    table = lab.table.text()
    for cell in ("(0, −1)", "(1, 0)", "(2, 1)", "All four outputs match XOR"):
        assert cell in table
    np.testing.assert_array_equal(lab.forward.outputs, [0, 1, 1, 0])
    lab.step_button.click()
    assert "x = (0, 0)" in lab.explain.text() and "z₂ = 0·1 + 0·1 + (−1) = <b>−1</b>" in lab.explain.text()
    for _ in range(3):
        lab.step()
    assert "y = 2·1 + 1·(−2) + 0 = <b>0</b>" in lab.explain.text()
    lab.spins["W2[2]"].setValue(-1.0)  # (1, 1) now gives 1
    assert "Not XOR yet" in lab.table.text() and lab.forward.outputs[3] == 1
    lab.seed.setValue(2)  # a start that solves XOR in a few dozen steps: the animated path
    lab.train_button.click()
    qtbot.waitUntil(lambda: lab.training.done, timeout=20000)
    assert lab.train_button.isEnabled() and "seed 2 solved XOR" in lab.header.text()
    lab.seed.setValue(0)
    lab.run_training()  # seed 0 and 1 get stuck and are restarted
    assert lab.training.solved and lab.forward.solved and "got stuck" in lab.header.text()
    assert_png(lab.export_png(tmp_path / "xor.png", EXPORT_WIDTH))


def test_activations_lab_sliders_and_export(qtbot, tmp_path):
    lab = open_lab(qtbot, ActivationsLab)
    before = lab.current_logistic.getData()[1].copy()
    lab.w.slider.setValue(lab.w.slider.value() + 8)  # w: 1 -> 3
    assert lab.w.value() == pytest.approx(3.0)
    assert not np.allclose(before, lab.current_logistic.getData()[1])
    lab.step()
    assert lab.w.value() == pytest.approx(3.25)
    assert [label.toPlainText() for label in lab.prob_labels] == ["0.659", "0.242", "0.099"]
    lab.scores[2].set_value(2.0)
    assert lab.prob_labels[2].toPlainText() == f"{np.exp(0) / (2 * np.exp(0) + np.exp(-1)):.3f}"
    lab.keep_curve()
    assert len(lab.overlay_items) == 5
    lab.out2.setValue(0.0)
    np.testing.assert_allclose(lab.bump_total.getData()[1][-1], 1.0, atol=1e-6)  # no bump without a2
    assert_png(lab.export_png(tmp_path / "activations.png", EXPORT_WIDTH))


def test_gradient_descent_lab_pages(qtbot, tmp_path, shared_data_dir):
    lab = open_lab(qtbot, GradientDescentLab, data_dir=str(shared_data_dir))
    page = lab.pages["step-by-step"]
    assert "= <b>6.01</b>" in page.text_1d.text() and "2x − 6 = <b>6</b>" in page.text_1d.text()
    assert "(6, −4)" in page.text_2d.text() and "(5.94, −1.96)" in page.text_2d.text()
    lab.step()
    [b for b in page.controls.findChildren(QtWidgets.QPushButton) if b.text() == "Step 2-D"][0].click()
    assert page.rounds == 2 and "(5.88, −3.92)" in page.text_2d.text() and "(5.8812, −1.9208)" in page.text_2d.text()
    page.eta_1d.slider.setValue(89)  # eta 0.9: oscillates around 3
    page.step_1d()
    assert page.path_1d[-1] < 3
    assert_png(lab.export_png(tmp_path / "steps.png", EXPORT_WIDTH))
    lab.show_page("pitfalls")
    lab.pages["pitfalls"].buttons["diverge"].click()
    assert "diverged" in lab.pages["pitfalls"].text.text()
    lab.pages["pitfalls"].restart()
    lab.step()
    assert lab.pages["pitfalls"].shown == 1
    lab.show_page("vanishing")
    vanishing = lab.pages["vanishing"]
    with qtbot.waitSignal(vanishing.background.finished, timeout=60000):
        vanishing.start(VanishingSettings(iterations=30, train_size=500, test_size=200))
    assert vanishing.latest["sigmoid"].bias_norms.shape == (30, 5)
    assert vanishing.curves["relu"][0].getData()[0].size == 30
    assert_png(lab.export_png(tmp_path / "vanishing.png", EXPORT_WIDTH))
    lab.shutdown()
    assert not vanishing.background.is_running()


def test_losses_lab_trains_both_in_a_thread(qtbot, tmp_path, shared_data_dir):
    lab = open_lab(qtbot, LossesLab, data_dir=str(shared_data_dir))
    settings = LossSettings(train_size=400, test_size=500, epochs=1, evaluations_per_epoch=2)
    assert not lab.pause_button.isEnabled()  # nothing runs yet: nothing to pause
    with qtbot.waitSignal(lab.background.finished, timeout=60000):
        lab.start(settings)
        assert lab.pause_button.isEnabled() and not lab.run_button.isEnabled()
    qtbot.waitUntil(lambda: lab.status.text().endswith("Done."), timeout=10000)
    assert not lab.pause_button.isEnabled() and lab.run_button.isEnabled()  # done: Pause is off, Train on
    quadratic, cross_entropy = lab.latest
    assert quadratic.eval_epochs.tolist() == [0.0, 0.5, 1.0]
    assert lab.items[("accuracy", "cross-entropy")].getData()[0].size == 3
    assert "Cross-entropy" in lab.result.text() and "δ = y − t" in lab.formulas.text()
    assert not lab.background.is_running()
    lab.start(LossSettings(train_size=20000, test_size=500, epochs=5))  # stopped long before the end
    lab.pause_button.click()
    lab.stop()
    assert not lab.background.is_running()
    assert_png(lab.export_png(tmp_path / "losses.png", EXPORT_WIDTH))


def test_losses_lab_reports_missing_data(qtbot, tmp_path):
    lab = open_lab(qtbot, LossesLab, data_dir=str(tmp_path))
    with qtbot.waitSignal(lab.background.failed, timeout=30000):
        lab.start(LossSettings(train_size=100))
    qtbot.waitUntil(lambda: "mnist" in lab.status.text().lower(), timeout=5000)
    lab.shutdown()


def test_parameters_lab_counts_and_notes(qtbot, tmp_path):
    lab = open_lab(qtbot, ParametersLab)
    header = lab.header.text()
    for figure in ("<b>16</b> neurons", "<b>65</b> weights", "<b>16</b> biases", "<b>81</b> learnable"):
        assert figure in header
    assert "slide says 82; 65 + 16 = 81" in lab.notes.text()
    lab.step()
    assert lab.count.key == "784-30-10" and "<b>23,860</b> learnable" in lab.header.text()
    lab.width_slider.slider.setValue(99)  # 100 hidden units
    assert lab.count.key == "784-100-10" and lab.count.total == 784 * 100 + 100 + 100 * 10 + 10
    lab.set_architecture("lenet5")
    assert "<b>61,706</b> learnable" in lab.header.text() and "431k" in lab.notes.text()
    lab.set_architecture("lenet-caffe")
    assert "<b>430,500</b> weights" in lab.header.text() and "<b>2,293,000</b> multiply" in lab.header.text()
    assert not lab.set_architecture("what is this")
    assert "not an architecture" in lab.status.text()
    assert_png(lab.export_png(tmp_path / "parameters.png", EXPORT_WIDTH))


def test_export_button_dialog_and_errors(qtbot, tmp_path, monkeypatch):
    lab = open_lab(qtbot, ParametersLab)
    target = tmp_path / "from-dialog"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "PNG images (*.png)"))
    lab.export_button.click()
    assert_png(tmp_path / "from-dialog.png", 1920)
    warnings = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "missing" / "x.png"), ""))
    lab.export_button.click()
    assert warnings and "does not exist" in warnings[0]
    with pytest.raises(ExportError):
        lab.export_png(tmp_path / "tiny.png", 10)


def test_lab_tabs_create_labs_lazily(qtbot):
    from nnviz.ui.labs.lab_tabs import make_lab_tabs
    from nnviz.ui.labs.registry import LABS

    tabs = make_lab_tabs()
    qtbot.addWidget(tabs)
    tabs.show()
    assert tabs.count() == len(LABS) == 8
    assert [tabs.tabText(i) for i in range(tabs.count())] == [info.title for info in LABS.values()]
    assert list(tabs.labs) == ["playground"]
    tabs.setCurrentIndex(5)
    assert list(tabs.labs) == ["playground", "parameters"]
    assert isinstance(tabs.lab("xor"), XorLab) and tabs.currentIndex() == 1
    tabs.shutdown()
