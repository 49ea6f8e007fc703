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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Wayland sockets are a Linux question")
def test_a_wayland_display_left_over_without_a_compositor_is_no_display(tmp_path):
    """WAYLAND_DISPLAY set (su, tmux after logout) but nobody listening: Qt tried it, fell back to X11
    and aborted (exit 134); now one line and exit 2, and --png figures go offscreen."""
    import socket

    stale = {"DISPLAY": None, "QT_QPA_PLATFORM": None, "WAYLAND_DISPLAY": "wayland-9", "XDG_RUNTIME_DIR": str(tmp_path)}
    result = run_nnviz(["gui"], stale)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "WAYLAND_DISPLAY='wayland-9' has no compositor listening" in result.stderr and "xvfb-run" in result.stderr
    result = run_nnviz(["lab", "parameters", "--png", str(tmp_path / "png")], stale, timeout=120)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert "Wayland display" in display_problem({"QT_QPA_PLATFORM": "wayland", "WAYLAND_DISPLAY": "/nowhere/w-0"})
    # A compositor that listens is a display.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(tmp_path / "w-0"))
        server.listen(1)
        assert display_problem({"WAYLAND_DISPLAY": "w-0", "XDG_RUNTIME_DIR": str(tmp_path)}) is None
        assert display_problem({"WAYLAND_DISPLAY": str(tmp_path / "w-0")}) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a display is a Linux question")
def test_the_watch_window_without_a_display_says_how_to_render_instead(tmp_path):
    """`nnviz watch DIR` on a node without a display ran an invisible offscreen window forever."""
    result = run_nnviz(["watch", str(tmp_path)], NO_DISPLAY, timeout=60)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "needs a display" in result.stderr and "nnviz watch DIR --once --png OUT" in result.stderr


# --- the command line -------------------------------------------------------------------------
def test_version_is_the_package_version():
    from nnviz.cli import version

    result = run_nnviz(["--version"])
    assert result.returncode == 0
    assert result.stdout.strip() == f"nnviz {version()}"
    assert version()[0].isdigit()


def test_a_closed_pipe_ends_quietly():
    """`nnviz data list | head -1`: the reader is gone before nnviz writes; no traceback."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen([sys.executable, "-m", "nnviz", "data", "list"], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # like head -1 that has already exited
    _, stderr = process.communicate(timeout=60)
    assert b"Traceback" not in stderr and b"BrokenPipeError" not in stderr, stderr.decode()
    assert stderr == b""
    assert process.returncode == 141


@pytest.mark.parametrize("flag", ["--hidden -5", "--hidden=-5", "--hidden 30,-5", "--hidden 3--5", "--hidden 0"])
def test_negative_or_empty_layer_sizes_are_refused(flag):
    from nnviz.cli import main

    assert main(["train", *flag.split(" ")]) == 2


def test_layer_sizes_still_read_dashes_and_commas(capsys):
    from nnviz.cli import main
    from nnviz.cli.arguments import int_list

    assert int_list("3-5-4-5-2") == [3, 5, 4, 5, 2] and int_list("100, 30") == [100, 30] and int_list("") == []
    assert main(["train", "--hidden", "-5"]) == 2
    assert "layer sizes must be positive, got '-5'" in capsys.readouterr().err
    assert main(["info", "--sizes", "3-5-4-5-2"]) == 0
    assert "81 learnable parameters" in capsys.readouterr().out


def _options(parser, path=("nnviz",)):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, (*path, name))
        elif action.option_strings and not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield " ".join(path), action, parser


def test_every_option_of_every_command_says_its_default():
    from nnviz.cli import build_parser

    options = list(_options(build_parser()))
    assert len(options) > 50
    missing = []
    for command, action, parser in options:
        text = parser._get_formatter()._get_help_string(action) % {"default": action.default}
        if "default" not in text and not (action.required and "(required)" in text):
            missing.append(f"{command} {action.option_strings[0]}")
    assert not missing, missing


def test_help_shows_the_defaults_a_newcomer_looks_for(capsys):
    from nnviz.cli import main

    for command, expected in ((["train"], ["epochs to train (default: the preset's value)",
                                           "(default: nielsen)", "--quiet"]),
                              (["evaluate"], ["(default: test)"])):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        for text in expected:
            assert text in out, (command, text)


def test_a_required_option_says_so_once(capsys):
    from nnviz.cli import main

    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "a model.npz written by nnviz (required)" in out and "(required) (required)" not in out


def test_every_pip_extra_the_readme_names_exists():
    """README's `pip install -e ".[bench]"` (PyTorch for the benchmark) names a real extra."""
    import re
    import tomllib

    extras = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    named = set(re.findall(r'install -e "?\.\[([\w,-]+)\]', (REPO / "README.md").read_text(encoding="utf-8")))
    assert {"test", "bench"} <= {e for group in named for e in group.split(",")}
    assert all(e in extras for group in named for e in group.split(",")), (named, sorted(extras))
    assert any(spec.startswith("torch") for spec in extras["bench"])


def test_mnist_c_has_one_spelling(capsys):
    from nnviz.cli import main

    assert main(["train", "--data", "mnist-c"]) == 2
    err = capsys.readouterr().err
    assert "mnist-c/<corruption> (shot_noise|motion_blur|rotate|fog|zigzag)" in err
    assert "mnist-c/fog" not in err  # one pattern, not five names
    with pytest.raises(SystemExit):
        main(["data", "fetch", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "mnist-c/<corruption>" in out and "<base>/<set>/<file>" in out
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "mnist-c/<corruption>" in readme and "<base>/<set>/<file>" in readme


@pytest.mark.parametrize("args", [["lab", "parameters", "--png"], ["train", "--preset", "xor-mlp", "--epochs", "1",
                                                                   "--quiet", "--png"]])
def test_headless_figures_write_no_qt_noise(tmp_path, args):
    extra = ["--out", str(tmp_path / "run")] if args[0] == "train" else []
    result = run_nnviz([*args, str(tmp_path / "png"), *extra], NO_DISPLAY, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no propagateSizeHints() or other Qt warnings
    assert list((tmp_path / "png").glob("*.png"))


def test_version_falls_back_to_pyproject(monkeypatch):
    from importlib import metadata

    from nnviz.cli import version

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{version()}"' in text


# --- tests on a fresh clone --------------------------------------------------------------------
def test_real_mnist_is_found_in_the_user_cache_and_the_skip_reason_says_how(tmp_path, monkeypatch):
    import conftest

    cache = tmp_path / "cache"
    (cache / "mnist").mkdir(parents=True)
    for name in conftest.MNIST_FILES:
        (cache / "mnist" / f"{name}.gz").write_bytes(b"")
    monkeypatch.setattr(conftest, "REPO", tmp_path / "fresh-clone")  # no ../shared/data beside it
    monkeypatch.delenv("NNVIZ_TEST_DATA", raising=False)
    monkeypatch.setenv("NNVIZ_CACHE_DIR", str(cache))
    found, searched = conftest.find_test_data()
    assert found == cache and searched == [tmp_path / "shared" / "data", cache]
    monkeypatch.setenv("NNVIZ_TEST_DATA", str(tmp_path / "elsewhere"))
    assert conftest.find_test_data() == (None, [tmp_path / "elsewhere"])  # the variable, when set, decides
    assert "NNVIZ_TEST_DATA" in conftest.MNIST_SKIP_REASON and "nnviz data fetch mnist" in conftest.MNIST_SKIP_REASON
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "NNVIZ_TEST_DATA" in readme and "nnviz data fetch mnist" in readme
