"""The window's saved settings are input too: damaged or out-of-range values are ignored with a
log notice, and the window opens (and closes) as if they were not there."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6 import QtCore

from nnviz.ui import settings as stored
from nnviz.ui.main_window import MainWindow

HOSTILE_INI = r"""[view]
snapshot_rate=0
draw_budget=nan
[run]
speed_index=99
config="{\"model\": {\"hidden\": [[[[[[[[[[[[1]]]]]]]]]]]]}}"
[export]
width=inf
folder=a, b
white=maybe
[window]
geometry=garbage
state=@ByteArray(\0\0junk)
[runs]
folder=x, y
session_folder=@Variant(\0\0\0\x7f\0\0\0\aInvalid)
"""


def test_hostile_settings_are_ignored_with_a_notice(qtbot, tmp_path: Path, caplog, isolated_data_env) -> None:
    (tmp_path / "nnviz.ini").write_text(HOSTILE_INI)
    settings = QtCore.QSettings(str(tmp_path / "nnviz.ini"), QtCore.QSettings.Format.IniFormat)
    with caplog.at_level(logging.WARNING, logger="nnviz.ui.settings"):
        window = MainWindow(data_dir=str(tmp_path / "no-data"), settings=settings)
    qtbot.addWidget(window)
    try:
        window.show()
        qtbot.waitUntil(lambda: window.state == "ready", timeout=20_000)
        assert window.frame_budget.max_rate == 20.0 and window.frame_budget.budget == 0.05  # the defaults
        assert window.run_actions.speed.currentIndex() == 0
        assert window.config.preset == "xor-mlp"  # no data here: the default run, not the damaged one
        noticed = " ".join(record.getMessage() for record in caplog.records)
        for key in ("view/snapshot_rate", "view/draw_budget", "run/speed_index", "run/config", "window/geometry",
                    "runs/folder"):
            assert f"ignoring the saved setting {key}" in noticed
        written = window.export_all_panels(str(tmp_path / "png"))  # export/width=inf falls back to 1920
        assert written and all(path.stat().st_size > 0 for path in written)
    finally:
        window.close()
        assert window.thread.wait(2000)


def test_readers_keep_values_in_range(tmp_path: Path) -> None:
    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    for raw, expected in (("7.5", 7.5), ("0", 20.0), ("1e308", 20.0), ("-inf", 20.0), ("", 20.0), ([1, 2], 20.0)):
        settings.setValue("view/snapshot_rate", raw)
        assert stored.read_float(settings, "view/snapshot_rate", 20.0, 1.0, 60.0) == expected
    for raw, expected in (("3", 3), ("4", 0), ("-1", 0), ("x", 0), ("", 0)):
        settings.setValue("run/speed_index", raw)
        assert stored.read_index(settings, "run/speed_index", 4) == expected
