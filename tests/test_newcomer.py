"""A newcomer's first minutes on the command line: no display, a typo, a pipe, the version, help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnviz.ui.display_check import display_problem, missing_xcb_packages

REPO = Path(__file__).resolve().parents[1]


def run_nnviz(args: list[str], env_changes: dict[str, str | None] | None = None, *, script: str | None = None,
              timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for key, value in (env_changes or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    command = [sys.executable, script] if script else [sys.executable, "-m", "nnviz"]
    return subprocess.run(command + args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


NO_DISPLAY = {"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a display is a Linux question")
@pytest.mark.parametrize("how", ["main.py", "nnviz gui"])
def test_no_display_gives_one_line_with_what_to_do_and_exit_2(how):
    if how == "main.py":
        result = run_nnviz([], NO_DISPLAY, script=str(REPO / "main.py"))
    else:
        result = run_nnviz(["gui"], NO_DISPLAY)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("nnviz: ") and "display" in line
    for hint in ("nnviz train --png DIR", "nnviz lab NAME --png DIR", "xvfb-run -a python main.py", "ssh -X"):
        assert hint in line
    assert "core dump" not in result.stderr and "Reinstalling" not in result.stderr


def test_no_display_is_decided_before_qt_is_imported():
    code = ("import sys; from nnviz.cli import main; code = main(['gui']); "
            "print(code, 'PySide6' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for key in NO_DISPLAY:
        env.pop(key, None)
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["2", "False"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 libraries are a Linux question")
def test_missing_x11_libraries_name_the_debian_packages():
    environ = {"DISPLAY": ":0"}
    absent = {"libxcb-cursor.so.0", "libxcb-shape.so.0"}
    problem = display_problem(environ, loads=lambda soname: soname not in absent)
    assert problem is not None
    assert "apt-get install libxcb-cursor0 libxcb-shape0" in problem
    assert "xvfb-run -a python main.py" in problem
    # Wayland or an explicit offscreen platform does not need the X11 plugin.
    assert missing_xcb_packages({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, loads=lambda s: False) == []
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, loads=lambda s: False) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is a Linux question")
def test_an_unreachable_x_display_is_said_instead_of_a_qt_abort():
    result = run_nnviz(["gui"], {"DISPLAY": ":7361", "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None})
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "xvfb-run" in result.stderr
    assert ":7361" in result.stderr or "apt-get install" in result.stderr  # a bare machine lacks X11 libraries first
