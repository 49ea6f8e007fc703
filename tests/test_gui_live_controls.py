"""The Run setup's live controls are built from the live-settings table in core: its labels, its
ranges and its config keys, so a setting is defined once for the controls, the worker and the CLI."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6 import QtCore, QtWidgets

from nnviz.core.live_settings import LIVE_SETTINGS
from nnviz.core.presets import preset_config
from nnviz.ui.controls import ControlPanel


@pytest.fixture()
def panel(qtbot):
    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.set_config(preset_config("xor-mlp"))
    panel.resize(320, 900)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def type_into(qtbot, spin: QtWidgets.QAbstractSpinBox, text: str) -> None:
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), QtCore.Qt.Key.Key_Return)


def row_label(spin: QtWidgets.QWidget) -> str:
    form = spin.parentWidget().layout()
    return form.labelForField(spin).text()


def test_every_live_setting_has_a_control_labelled_and_bounded_by_the_table(panel):
    assert set(panel.live_controls) == set(LIVE_SETTINGS)
    for name, spin in panel.live_controls.items():
        setting = LIVE_SETTINGS[name]
        assert row_label(spin) == setting.label
        # Both ends are values the worker accepts: the box never offers one the table refuses.
        assert setting.parse(spin.minimum()) == spin.minimum() and setting.parse(spin.maximum()) == spin.maximum()
        assert spin.minimum() >= setting.minimum and spin.maximum() <= setting.maximum


def test_a_typed_value_goes_out_under_the_tables_name(qtbot, panel):
    with qtbot.waitSignal(panel.live_setting_changed, timeout=2000) as signal:
        type_into(qtbot, panel.batch_size, "25")
    assert signal.args == ["batch_size", 25]
    assert panel.batch_size.lineEdit().text() == "25"


def test_a_changed_table_changes_the_control(qtbot, monkeypatch):
    smaller = dataclasses.replace(LIVE_SETTINGS["batch_size"], maximum=500, label="Mini-batch")
    monkeypatch.setitem(LIVE_SETTINGS, "batch_size", smaller)
    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.set_config(preset_config("xor-mlp"))
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.batch_size.maximum() == 500 and row_label(panel.batch_size) == "Mini-batch"
    with qtbot.waitSignal(panel.live_setting_changed, timeout=2000) as signal:
        type_into(qtbot, panel.batch_size, "900")  # the third digit is refused: 900 is out of range
    assert signal.args[0] == "batch_size" and signal.args[1] <= 500
