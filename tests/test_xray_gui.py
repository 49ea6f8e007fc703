"""The Backprop x-ray lab driven as a user would: click the steps, type weights and examples, choose
sizes and activations, load a file, update, reset, and export PNG and SVG at 1024×768."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from nnviz.core.lessons.xray import PRESETS, random_network, xray_pass
from nnviz.ui.labs.registry import LABS, load_lab
from nnviz.ui.labs.xray import XrayLab
from nnviz.ui.labs.xray_explain import short
from nnviz.ui import theme

LEFT = QtCore.Qt.MouseButton.LeftButton


@pytest.fixture()
def lab(qtbot):
    widget = XrayLab()
    qtbot.addWidget(widget)
    widget.resize(1024, 768)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()


def click(qtbot, button: QtWidgets.QAbstractButton, times: int = 1) -> None:
    for _ in range(times):
        qtbot.mouseClick(button, LEFT)


def type_into(qtbot, field: QtWidgets.QLineEdit, text: str) -> None:
    field.selectAll()
    field.clear()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, QtCore.Qt.Key.Key_Return)


def test_registered_as_the_xray_lab():
    assert LABS["xray"].title == "Backprop x-ray"
    module = load_lab("xray")
    assert module.WIDGET is XrayLab and callable(module.headless) and callable(module.tables)


def test_forward_unit_by_unit_then_backward_layer_by_layer_then_update(qtbot, lab):
    assert lab.preset.currentData() == "sigmoid"
    diagram = lab.diagram
    assert diagram.unit_texts[(1, 0)] == "z ? | a ? | b 0.35"
    click(qtbot, lab.forward_button)
    assert diagram.unit_texts[(1, 0)] == "z 0.378 | a 0.593 | b 0.35"
    assert diagram.unit_texts[(1, 1)].startswith("z ?")
    assert "0.15·0.05 + 0.2·0.1 + 0.35 = <b>0.378</b>" in lab.detail.text()  # the weighted sum, written out
    assert "σ(0.378) = <b>0.593</b>" in lab.detail.text()
    assert "? (finish the forward pass)" in lab.header.text()
    click(qtbot, lab.forward_button, 5)
    assert diagram.unit_texts[(3, 1)].startswith("z 0.291 | a 0.572")
    loss = xray_pass(lab.network, (0.05, 0.1), (0.01, 0.99)).loss
    assert f"E = ½Σ(t − y)² = {loss:#.4g}" in lab.header.text()
    assert "(0.01 − 0.485)²" in lab.detail.text()  # the loss written out
    assert not any("∂" in text for text in diagram.edge_texts.values())

    click(qtbot, lab.backward_button)  # output layer
    assert "δ 0.119" in diagram.unit_texts[(3, 0)] and "δ" not in diagram.unit_texts[(2, 0)]
    assert diagram.edge_texts[(2, 0, 0)] == "w 0.3\n∂ 0.0891 ✓"
    assert "δ = (a − t) ⊙ σ′(z)" in lab.detail.text() and "num 0.0891" in lab.detail.text()
    click(qtbot, lab.backward_button, 2)  # layers 2 and 1
    assert diagram.edge_texts[(0, 0, 0)] == "w 0.15\n∂ −8.8e−5 ✓"
    assert "Every gradient agrees with its central difference" in lab.detail.text()
    click(qtbot, lab.backward_button)
    assert "backward pass is complete" in lab.status.text()

    before = lab.network
    result = lab.result
    lab.learning_rate.setValue(0.5)
    click(qtbot, lab.update_button)
    np.testing.assert_allclose(lab.network.layers[2].W, before.layers[2].W - 0.5 * result.layers[2].dW, rtol=1e-15)
    assert lab.result.loss < result.loss
    table = lab.weight_tables.tables[2]
    assert float(table.item(0, 0).text()) == pytest.approx(lab.network.layers[2].W[0, 0], abs=1e-4)
    assert f"after 1 update (η = 0.5): {result.loss:#.4g} → {lab.result.loss:#.4g}" in lab.header.text()
    assert all("∂" not in text for text in diagram.edge_texts.values())  # new weights: gradients not yet computed
    click(qtbot, lab.backward_button, 3)
    click(qtbot, lab.update_button)
    assert "after 2 updates" in lab.header.text()

    click(qtbot, lab.reset_button)
    np.testing.assert_array_equal(lab.network.layers[2].W, before.layers[2].W)
    assert diagram.unit_texts[(1, 0)].startswith("z ?") and "update" not in lab.header.text()


def test_the_xor_preset_shows_the_slides_numbers(qtbot, lab):
    lab.preset.setCurrentIndex(lab.preset.findData("xor"))
    lab.preset.activated.emit(lab.preset.currentIndex())
    click(qtbot, lab.forward_button, 3)
    assert lab.diagram.unit_texts[(1, 0)].startswith("z 2 | a 2")
    assert lab.diagram.unit_texts[(1, 1)].startswith("z 1 | a 1")
    assert lab.diagram.unit_texts[(2, 0)].startswith("z 0 | a 0")
    assert "1·2 + (−2)·1 + 0 = <b>0</b>" in lab.detail.text()


def test_typed_weights_inputs_targets_sizes_and_activations(qtbot, lab):
    click(qtbot, lab.forward_button)
    lab.weight_tables.set_cell(0, 0, 0, "1.15")  # w11 of layer 1: 0.15 → 1.15
    assert lab.network.layers[0].W[0, 0] == 1.15
    assert lab.diagram.unit_texts[(1, 0)].startswith("z 0.427")  # 0.3775 + 0.05
    lab.weight_tables.set_cell(0, 0, 0, "abc")
    assert lab.network.layers[0].W[0, 0] == 1.15 and "not a number" in lab.status.text()

    type_into(qtbot, lab.input_field, "1, 2, 3")
    assert "the input has 3 values but the network takes 2" in lab.status.text()
    np.testing.assert_array_equal(lab.inputs, [0.05, 0.1])
    type_into(qtbot, lab.input_field, "1, -1")
    np.testing.assert_array_equal(lab.inputs, [1, -1])
    assert "x = (1, −1)" in lab.header.text()
    assert lab.diagram.unit_texts[(0, 1)] == "x₂ | −1"
    type_into(qtbot, lab.target_field, "")
    assert lab.targets is None and "forward pass only" in lab.header.text()
    click(qtbot, lab.backward_button)
    assert "Type a target first" in lab.status.text()
    type_into(qtbot, lab.target_field, "0, 1")

    type_into(qtbot, lab.sizes, "3-4-2")
    lab.seed.setValue(4)
    click(qtbot, lab.random_button)
    assert lab.network.sizes == (3, 4, 2) and len(lab.weight_tables.tables) == 2
    assert lab.inputs.tolist() == [1, -1, 0] and lab.preset.currentIndex() == -1
    first = lab.network.layers[0].W.copy()
    np.testing.assert_array_equal(first, random_network((3, 4, 2), ["sigmoid", "sigmoid"], 4).layers[0].W)
    type_into(qtbot, lab.sizes, "3-9-2")
    assert "1 to 6 units" in lab.status.text() and lab.network.sizes == (3, 4, 2)

    lab.activations[-1].setCurrentText("softmax")
    lab.loss.setCurrentIndex(lab.loss.findData("cross-entropy"))
    click(qtbot, lab.backward_button)
    out = lab.result.layers[-1]
    np.testing.assert_allclose(out.delta, out.a - np.array([0.0, 1.0]), rtol=1e-12)
    assert "cross-entropy after softmax" in lab.detail.text()
    lab.activations[-1].setCurrentText("tanh")
    assert "cross-entropy needs a sigmoid or softmax output" in lab.header.text()
    assert not lab.result.has_gradients


def test_load_a_weights_file_and_a_broken_one(qtbot, lab, tmp_path, monkeypatch):
    good = tmp_path / "xor.toml"
    good.write_text("[[layers]]\nW = [[1, 1], [1, 1]]\nb = [0, -1]\nactivation = \"relu\"\n"
                    "[[layers]]\nW = [[1, -2]]\nb = [0]\nactivation = \"linear\"\n")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[layers]]\nW = [[1, 1]]\nb = [0, 0]\n")
    warnings = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    for path in (good, bad):
        monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", lambda *a, p=path, **k: (str(p), ""))
        lab.load_with_dialog()
    assert lab.network.sizes == (2, 2, 1) and lab.network.activations == ("relu", "linear")
    assert lab.sizes.text() == "2-2-1" and [c.currentText() for c in lab.activations] == ["relu", "linear"]
    assert len(warnings) == 1 and "b has 2 values but W has 1 rows" in warnings[0]


def test_readable_at_1024x768_without_overlapping_labels(qtbot, lab, tmp_path):
    lab.run_all()
    qtbot.wait(20)
    scene = lab.diagram.scene()
    texts = [item for item in scene.items() if isinstance(item, QtWidgets.QGraphicsSimpleTextItem)]
    assert texts and min(item.font().pointSize() for item in texts) >= 10
    assert len(lab.diagram.edge_texts) == 12  # every connection of the 2-2-2-2 network is labelled
    boxes = [item.sceneBoundingRect() for item in scene.items()
             if isinstance(item, QtWidgets.QGraphicsRectItem) and item.zValue() == 2]
    circles = [item.sceneBoundingRect().adjusted(6, 6, -6, -6) for item in scene.items()
               if isinstance(item, QtWidgets.QGraphicsEllipseItem)]
    assert len(boxes) == 12 and len(circles) == 8
    for i, box in enumerate(boxes):
        assert not any(box.intersects(other) for other in boxes[i + 1:])
        assert not any(box.intersects(circle) for circle in circles)
        assert scene.sceneRect().contains(box)
    image = lab.grab().toImage()
    assert (image.width(), image.height()) == (1024, 768)


def test_export_png_and_svg(qtbot, lab, tmp_path, monkeypatch):
    lab.run_all()
    png = lab.export_png(tmp_path / "xray.png", 1920)
    image = QtGui.QImage(str(png))
    assert image.width() == 1920 and image.height() > 600
    pixels = np.array([image.pixelColor(x, y).lightness() for x in range(0, 1920, 37) for y in range(0, image.height(), 37)])
    assert pixels.min() < 100 and pixels.max() > 240  # text and lines on white
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "slide"), ""))
    click(qtbot, lab.svg_button)
    svg = (tmp_path / "slide.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg and "Backprop x-ray" in svg and "0.0891" in svg
    assert "Saved" in lab.status.text()
    warnings = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "missing" / "x.svg"), ""))
    click(qtbot, lab.svg_button)
    assert warnings and "does not exist" in warnings[0]


def test_headless_figures_for_every_preset_and_for_a_file(tmp_path, qtbot):
    module = load_lab("xray")
    paths = module.headless(tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"xray-{name}.png" for name in PRESETS)
    for path in paths:
        assert QtGui.QImage(str(path)).width() == 1920
    preset = PRESETS["mazur"]
    result = xray_pass(preset.network, preset.inputs, preset.targets)
    written = module.write_network_figures(result, tmp_path / "one", "mazur", 0.5, "mazur.toml")
    assert [p.name for p in written] == ["xray-mazur.png"] and written[0].is_file()


def _type_sizes_and_target(qtbot, lab, sizes: str, activations: list[str]) -> None:
    type_into(qtbot, lab.sizes, sizes)
    click(qtbot, lab.random_button)
    for combo, name in zip(lab.activations, activations):
        combo.setCurrentText(name)
    type_into(qtbot, lab.target_field, ", ".join(["0.5"] * int(sizes.split("-")[-1])))


def _overlapping_texts(diagram) -> list[str]:
    """Text on the diagram that touches other text, runs over a unit it does not belong to, or leaves the scene."""
    scene = diagram.scene()
    texts = [item for item in scene.items() if isinstance(item, QtWidgets.QGraphicsSimpleTextItem)]
    circles = [item.sceneBoundingRect() for item in scene.items() if isinstance(item, QtWidgets.QGraphicsEllipseItem)]
    problems = []
    for i, item in enumerate(texts):
        box = item.sceneBoundingRect().adjusted(1, 1, -1, -1)  # glyph boxes carry ~1 px of leading
        if not scene.sceneRect().contains(item.sceneBoundingRect()):
            problems.append(f"{item.text()!r} leaves the diagram")
        for other in texts[i + 1:]:
            if box.intersects(other.sceneBoundingRect().adjusted(1, 1, -1, -1)):
                problems.append(f"{item.text()!r} overlaps {other.text()!r}")
        for circle in circles:
            inside = circle.contains(box.center())
            if inside and not circle.adjusted(-1, -1, 1, 1).contains(box):
                problems.append(f"{item.text()!r} runs over its circle's border")
            elif not inside and box.intersects(circle.adjusted(3, 3, -3, -3)):
                problems.append(f"{item.text()!r} runs over another unit")
    return problems


@pytest.mark.parametrize("width, height", [(1024, 768), (1920, 1080)])
@pytest.mark.parametrize("sizes, activations", [("2-2-2-2", ["sigmoid"] * 3),
                                                ("3-4-4-3", ["tanh", "relu", "softmax"]),
                                                ("4-6-6-3", ["linear", "linear", "sigmoid"]),
                                                ("6-6-6-6-6-6", ["linear", "tanh", "linear", "tanh", "linear"])])
def test_no_number_overlaps_another_or_a_unit_up_to_five_layers_of_six(qtbot, lab, width, height, sizes,
                                                                         activations):
    lab.resize(width, height)
    _type_sizes_and_target(qtbot, lab, sizes, activations)
    units = [int(n) for n in sizes.split("-")]
    for steps in (units[1] + 1, sum(units[1:-1]) + 1, sum(units[1:])):  # the highlighted unit's inputs labelled
        click(qtbot, lab.forward_button, steps - lab.forward_shown)
        qtbot.wait(10)
        assert _overlapping_texts(lab.diagram) == [], steps
    click(qtbot, lab.forward_button, 30)
    click(qtbot, lab.backward_button, 6)
    qtbot.wait(20)
    assert "backward pass is complete" in lab.status.text()
    assert _overlapping_texts(lab.diagram) == []
    units = [item for item in lab.diagram.scene().items() if isinstance(item, QtWidgets.QGraphicsEllipseItem)]
    assert len(units) == sum(int(n) for n in sizes.split("-"))
    tips = [unit.toolTip() for unit in units if not unit.toolTip().startswith("x")]
    assert len(tips) == sum(int(n) for n in sizes.split("-")[1:])  # every value, also where no room to print it
    assert all("z = " in tip and "a = " in tip and "b = " in tip and "δ = ∂E/∂z = " in tip for tip in tips)


@pytest.mark.parametrize("sizes", ["4-6-6-3", "6-6-6-6-6-6"])
def test_wide_layers_fit_the_1024_window_text_and_weight_tables(qtbot, lab, sizes):
    _type_sizes_and_target(qtbot, lab, sizes, ["sigmoid"] * 5)
    click(qtbot, lab.forward_button, 30)
    for _ in range(sizes.count("-")):  # every layer's δ formulas and gradient table, one at a time
        click(qtbot, lab.backward_button)
        qtbot.wait(10)
        assert lab.detail.minimumSizeHint().width() <= lab.detail.parentWidget().width(), lab.detail.text()[:80]
    lab.learning_rate.setValue(0.77)
    click(qtbot, lab.update_button)  # 4 significant digits in every cell: the widest numbers
    qtbot.wait(10)
    for table in lab.weight_tables.tables:
        metrics = table.fontMetrics()
        texts = [table.item(j, k).text() for j in range(table.rowCount()) for k in range(table.columnCount())]
        assert max(len(text) for text in texts) >= 6  # e.g. -0.2713: the widest a cell gets
        for j in range(table.rowCount()):
            assert table.viewport().height() >= table.rowViewportPosition(j) + table.rowHeight(j)
            for k in range(table.columnCount()):
                text = table.item(j, k).text()
                assert table.columnWidth(k) >= metrics.horizontalAdvance(text) + 6, (j, k, text)


def test_a_typed_weight_that_overflows_is_undone_with_a_message(qtbot, lab):
    lab.preset.setCurrentIndex(lab.preset.findData("xor"))
    lab.preset.activated.emit(lab.preset.currentIndex())
    click(qtbot, lab.forward_button, 3)
    lab.weight_tables.set_cell(0, 0, 0, "1e308")  # large but finite: accepted, z₁ = 1e308 + 1
    assert lab.network.layers[0].W[0, 0] == 1e308 and lab.status.text() == ""
    lab.weight_tables.set_cell(1, 0, 0, "10")  # the output's z = 10 · 1e308 = inf
    assert "layer 2's weighted sums overflow" in lab.status.text() and "undone" in lab.status.text()
    assert lab.network.layers[1].W[0, 0] == 1.0 and lab.weight_tables.tables[1].item(0, 0).text() == "1"
    assert lab.diagram.unit_texts[(1, 0)].startswith("z 1.0e308 | a 1.0e308")  # not 309 digits
    assert np.isfinite(lab.result.output).all() and lab.result.network is lab.network


def test_every_preset_title_fits_its_chooser_at_1024x768(qtbot, lab):
    chooser = lab.preset
    room = chooser.style().subControlRect(QtWidgets.QStyle.ComplexControl.CC_ComboBox, _combo_option(chooser),
                                          QtWidgets.QStyle.SubControl.SC_ComboBoxEditField, chooser).width()
    for i in range(chooser.count()):
        assert chooser.fontMetrics().horizontalAdvance(chooser.itemText(i)) <= room, chooser.itemText(i)
        assert chooser.itemData(i, QtCore.Qt.ItemDataRole.ToolTipRole) == chooser.itemText(i)


def _combo_option(combo: QtWidgets.QComboBox) -> QtWidgets.QStyleOptionComboBox:
    option = QtWidgets.QStyleOptionComboBox()
    option.initFrom(combo)
    return option


def test_weights_and_biases_edited_in_place_on_the_diagram(qtbot, lab, monkeypatch):
    asked = []
    answers = iter([("0.9", True), ("-0.25", True), ("abc", True), ("7", False)])
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText",
                        lambda _parent, _title, label, text="": (asked.append((label, text)), next(answers))[1])
    click(qtbot, lab.forward_button, 6)
    scene, view = lab.diagram.scene(), lab.diagram

    def double_click(parameter: tuple) -> None:
        item = next(i for i in scene.items() if i.data(0) == parameter and isinstance(i, QtWidgets.QGraphicsSimpleTextItem))
        qtbot.mouseDClick(view.viewport(), LEFT, pos=view.mapFromScene(item.sceneBoundingRect().center()))

    double_click(("W", 2, 0, 1))  # the label of w₁₂ of the output layer
    assert asked[-1] == ("w₁₂ of layer 3 =", "-0.5")
    assert lab.network.layers[2].W[0, 1] == 0.9 and lab.diagram.edge_texts[(2, 0, 1)] == "w 0.9"
    assert lab.weight_tables.tables[2].item(0, 1).text() == "0.9"
    double_click(("b", 0, 1))  # unit 2 of layer 1: its bias
    assert asked[-1] == ("b₂ of layer 1 =", "0.35")
    assert lab.network.layers[0].b[1] == -0.25 and "b −0.25" in lab.diagram.unit_texts[(1, 1)]
    double_click(("b", 0, 1))
    assert lab.network.layers[0].b[1] == -0.25 and "not a number" in lab.status.text()
    double_click(("W", 2, 0, 1))  # cancelled
    assert lab.network.layers[2].W[0, 1] == 0.9 and len(asked) == 4


def test_a_wide_layers_gradient_table_shows_each_numeric_gradient_too(qtbot, lab):
    _type_sizes_and_target(qtbot, lab, "4-6-2", ["tanh", "sigmoid"])
    click(qtbot, lab.backward_button, 3)  # the forward pass first, then both layers
    p = lab.result.layers[0]
    text = lab.detail.text()
    for j, k in [(0, 0), (5, 1), (3, 3)]:
        analytic, numeric = short(p.dW[j, k]), short(p.dW_numeric[j, k])
        assert f"<b>{analytic}</b>" in text and f"'color:{theme.GREY_70}'>{numeric}</span>" in text
    assert "its central difference in grey" in text
