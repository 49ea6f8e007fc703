"""Closing the real app (``python main.py``) mid-training ends the process within a second: for the
MLP and the CNN, under load (a second process keeps a core busy), and while the window's worker is
in the middle of an end-of-epoch evaluation (20,000 CNN forward passes, checked per chunk)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def close_seconds(tmp_path: Path, data_dir: Path, args: list[str], quit_after: float) -> tuple[float, str]:
    """Run the app, let it close itself after ``quit_after`` s; (seconds from close to exit, state then)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NNVIZ_AUTOSTART="1", NNVIZ_QUIT_AFTER=str(quit_after),
               XDG_CONFIG_HOME=str(tmp_path / "config"),  # the app's QSettings go here, not to ~/.config
               PYTHONPATH=str(REPO))
    process = subprocess.run([sys.executable, "main.py", *args, "--data-dir", str(data_dir)],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=90)
    ended = time.time()
    assert process.returncode == 0, process.stderr[-2000:]
    match = re.search(r"nnviz: closing at ([0-9.]+) while (\w+)", process.stderr)
    assert match, process.stderr[-2000:]
    assert (tmp_path / "config" / "nnviz" / "nnviz.ini").exists()  # settings were saved on close
    return ended - float(match.group(1)), match.group(2)


@pytest.fixture
def busy_core():
    """A second process spinning on one core, as on a lecturer's laptop running something else."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield
    spinner.kill()
    spinner.wait()


def test_closing_mid_training_exits_within_one_second(tmp_path, shared_data_dir):
    seconds, state = close_seconds(tmp_path, shared_data_dir, ["--preset", "nielsen"], 3)
    assert state == "running", "the window should close mid-training"
    assert seconds < 1.0, f"the process took {seconds:.2f} s to end"


@pytest.mark.parametrize("preset", ["nielsen", "cnn"])
def test_closing_under_load_exits_within_one_second(tmp_path, shared_data_dir, busy_core, preset):
    seconds, state = close_seconds(tmp_path, shared_data_dir, ["--preset", preset], 4)
    assert state == "running"
    assert seconds < 1.0, f"{preset}: the process took {seconds:.2f} s to end under load"


def test_closing_during_the_cnn_evaluation_exits_within_one_second(tmp_path, shared_data_dir, busy_core):
    """640 training images (10 batches) but 10,000 validation and 10,000 test images: after the first
    fraction of a second the worker is nearly always evaluating, which took seconds before it checked
    for quit between chunks."""
    from PySide6 import QtCore

    from nnviz.core.presets import preset_config
    from nnviz.ui import settings as stored

    ini = tmp_path / "config" / "nnviz" / "nnviz.ini"
    ini.parent.mkdir(parents=True)
    settings = QtCore.QSettings(str(ini), QtCore.QSettings.Format.IniFormat)
    stored.save_config(settings, preset_config("cnn").with_changes(**{"data.train_size": 640}))
    settings.sync()
    seconds, state = close_seconds(tmp_path, shared_data_dir, [], 4)  # no --preset: the saved settings
    assert state == "running"
    assert seconds < 1.0, f"the process took {seconds:.2f} s to end during an evaluation"
