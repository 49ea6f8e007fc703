"""Closing the real app (``python main.py``) mid-training ends the process within a second."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_closing_mid_training_exits_within_one_second(tmp_path, shared_data_dir):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NNVIZ_AUTOSTART="1", NNVIZ_QUIT_AFTER="3",
               XDG_CONFIG_HOME=str(tmp_path / "config"))  # the app's QSettings go here, not to ~/.config
    process = subprocess.run([sys.executable, "main.py", "--preset", "nielsen", "--data-dir", str(shared_data_dir)],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    ended = time.time()
    assert process.returncode == 0, process.stderr[-2000:]
    match = re.search(r"nnviz: closing at ([0-9.]+) while (\w+)", process.stderr)
    assert match, process.stderr[-2000:]
    assert match.group(2) == "running", "the window should close mid-training"
    assert ended - float(match.group(1)) < 1.0, f"the process took {ended - float(match.group(1)):.2f} s to end"
    assert (tmp_path / "config" / "nnviz" / "nnviz.ini").exists()  # settings were saved on close
