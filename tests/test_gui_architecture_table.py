"""The Run setup's architecture table on a projector: at the Run setup's 1024x768 width every layer's
name, output and parameter count is whole (weights and biases make way), with room they come back."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtCore, QtWidgets  # noqa: E402

from nnviz.core.models import build_network  # noqa: E402
from nnviz.core.presets import preset_config  # noqa: E402
from nnviz.core.trainer_queries import RunInfo  # noqa: E402
from nnviz.ui.architecture_table import ArchitectureTable  # noqa: E402


def info(preset: str) -> RunInfo:
    config = preset_config(preset)
    network = build_network(config.model, (1, 28, 28) if preset == "cnn" else (784,), 10, np.random.default_rng(0))
    return RunInfo(config=config, dataset_name="mnist", dataset_kind="image", class_names=tuple("0123456789"),
                   split_sizes={"train": 55000, "val": 5000, "test": 10000}, input_shape=network.input_shape,
                   layers=tuple(network.layer_counts()), n_params=network.n_params)


def shown_texts(table: ArchitectureTable) -> list[list[str]]:
    """What a reader sees: each visible cell's text, '…' where it does not fit its cell (a name may
    wrap at its spaces, so each word must fit the column and the lines the row)."""
    metrics = table.fontMetrics()
    margins = 2 * (table.style().pixelMetric(QtWidgets.QStyle.PixelMetric.PM_FocusFrameHMargin) + 1)  # as Qt's cells
    rows = []
    for r in range(table.rowCount()):
        row = []
        for c in range(table.columnCount()):
            if table.isColumnHidden(c):
                continue
            text, room = table.item(r, c).text(), table.columnWidth(c) - margins
            wrapped = metrics.boundingRect(QtCore.QRect(0, 0, room, 10_000), QtCore.Qt.TextFlag.TextWordWrap, text)
            fits = all(metrics.horizontalAdvance(word) <= room for word in text.split()) and \
                wrapped.height() <= table.rowHeight(r)
            row.append(text if fits else "…")
        rows.append(row)
    return rows


@pytest.mark.parametrize("preset", ["cnn", "nielsen"])
@pytest.mark.parametrize("width", [240, 190])  # the Run setup's table at 1024x768; and with a desktop's larger type
def test_a_narrow_table_keeps_every_name_whole_and_a_wide_one_shows_every_count(qtbot, preset, width):
    table = ArchitectureTable()
    qtbot.addWidget(table)
    table.resize(width, 240)
    table.show()
    table.set_run_info(info(preset))
    qtbot.waitExposed(table)
    assert table.isColumnHidden(2) and table.isColumnHidden(3)
    seen = shown_texts(table)
    assert not any("…" in cell for row in seen for cell in row), seen
    assert seen[-1] == ["total", "", f"{info(preset).n_params:,}"]
    assert sum(table.columnWidth(c) for c in (0, 1, 4)) <= table.viewport().width()  # nothing behind the edge
    if preset == "cnn":
        assert [row[0] for row in seen[:3]] == ["conv 16×3×3", "relu", "maxpool 2×2"]
    assert table.item(0, 4).toolTip().endswith("biases")  # the total's split is one hover away

    table.resize(520, 240)  # a wide screen: weights and biases come back
    qtbot.waitUntil(lambda: not table.isColumnHidden(2) and not table.isColumnHidden(3))
    assert not any("…" in cell for row in shown_texts(table) for cell in row)
