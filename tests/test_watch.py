"""`nnviz train` writing its folder as it goes (interrupted and resumed, bad --out refused before
training), `nnviz watch --once --png` on a running run, and the watch window following a run that
another process writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from nnviz.cli import main

REPO = Path(__file__).resolve().parents[1]
# A toy run of 120 short epochs (4 s): long enough to interrupt, no data files needed.
TOY = ["train", "--preset", "xor-mlp", "--data", "spiral", "--batch", "1", "--epochs", "120", "--quiet"]


def nnviz(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen([sys.executable, "-m", "nnviz", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def epochs_written(folder: Path) -> int:
    try:
        return max(0, len((folder / "metrics.csv").read_text().splitlines()) - 1)
    except OSError:
        return 0


def error_lines(err: str) -> list[str]:
    """The lines a mistake or a stop printed; the run-health warnings a toy run may add aside."""
    return [line for line in err.strip().splitlines() if not line.startswith("nnviz: warning:")]


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_sigint_leaves_an_interrupted_folder_that_the_same_command_resumes(tmp_path):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    reference = nnviz(*TOY, "--out", str(whole))
    run = nnviz(*TOY, "--out", str(cut))
    wait_for(lambda: epochs_written(cut) >= 5)
    assert json.loads((cut / "metrics.json").read_text())["state"] == "running"
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=30)
    assert run.returncode == 130
    assert len(error_lines(err)) == 1 and "interrupted (SIGINT)" in err and "same command" in err
    metrics = json.loads((cut / "metrics.json").read_text())
    assert metrics["state"] == "interrupted"
    assert epochs_written(cut) == metrics["epochs"] >= 5  # every finished epoch, nothing half
    assert (cut / "checkpoint.npz").is_file() and (cut / "model.npz").is_file()
    again = nnviz(*TOY, "--out", str(cut))
    out, _ = again.communicate(timeout=60)
    reference.communicate(timeout=60)
    assert again.returncode == 0 and f"Resuming {cut} after epoch {metrics['epochs']}" in out
    assert json.loads((cut / "metrics.json").read_text())["state"] == "finished"
    # Resumed, it trained exactly what the uninterrupted run trained (an epoch's mean loss sums its
    # batches in chunks whose size follows the clock, so it may differ in the last bit).
    columns = lambda folder: np.loadtxt(folder / "metrics.csv", delimiter=",", skiprows=1, usecols=range(6))
    np.testing.assert_allclose(columns(cut), columns(whole), rtol=1e-12)
    assert (cut / "iterations.csv").read_text() == (whole / "iterations.csv").read_text()
    assert not (cut / "checkpoint.npz").exists()


def test_sigterm_and_a_different_command_on_an_interrupted_folder(tmp_path):
    folder = tmp_path / "run"
    run = nnviz(*TOY, "--out", str(folder))
    wait_for(lambda: epochs_written(folder) >= 2)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=30)
    assert run.returncode == 143 and "SIGTERM" in err
    other = subprocess.run([sys.executable, "-m", "nnviz", *TOY, "--lr", "0.3", "--out", str(folder)],
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert other.returncode == 2 and "interrupted run with other settings" in other.stderr


def test_a_bad_out_or_png_is_refused_before_training(tmp_path, capsys):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    started = time.monotonic()
    assert main([*TOY, "--out", str(a_file)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main([*TOY, "--out", str(tmp_path / "run"), "--png", str(a_file)]) == 2
    err = capsys.readouterr().err
    assert len(error_lines(err)) == 1 and "--png" in err
    assert not (tmp_path / "run").exists()  # refused before anything was written
    assert main([*TOY, "--out", str(a_file / "below")]) == 2
    assert "cannot be created" in capsys.readouterr().err
    assert time.monotonic() - started < 5


def test_watch_once_renders_a_run_that_is_still_going(tmp_path, capsys):
    from PySide6 import QtGui

    from nnviz.ui.offscreen import ensure_app

    ensure_app()
    folder, pngs = tmp_path / "live", tmp_path / "pngs"
    run = nnviz(*TOY, "--epochs", "2000", "--out", str(folder))  # still going while it is rendered
    try:
        wait_for(lambda: epochs_written(folder) >= 3 and (folder / "snapshot.json").exists())
        assert main(["watch", str(folder), "--once", "--png", str(pngs)]) == 0
        assert run.poll() is None  # rendered while the run was still going
    finally:
        run.send_signal(signal.SIGINT)
        run.communicate(timeout=30)
    out = capsys.readouterr().out
    assert f"{folder}: running" in out
    for name in ("curves", "filters", "confusion"):
        image = QtGui.QImage(str(pngs / f"{name}.png"))
        assert image.width() == 1920, name
        pixels = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
        assert pixels.std() > 10, f"{name}.png is blank"
    assert main(["watch", str(folder), "--png", str(pngs)]) == 2
    assert "--png needs --once" in capsys.readouterr().err


def test_the_window_follows_a_run_that_another_process_logs(qtbot, tmp_path):
    from nnviz.ui.watch_window import WatchWindow

    folder = tmp_path / "logged"
    script = tmp_path / "writer.py"
    script.write_text(
        "import sys, time\nimport numpy as np\nimport nnviz.log as nlog\n"
        "with nlog.open_run(sys.argv[1], config={'lr': 0.1}) as run:\n"
        "    for epoch in range(1, 6):\n"
        "        for i in range(20):\n"
        "            run.log(loss=1.0 / (20 * epoch + i))\n"
        "        run.snapshot(weights=np.random.rand(8, 16), labels=[0, 1, 1], predictions=[0, 1, 0])\n"
        "        run.log_epoch(val_accuracy=epoch / 10, sent=time.time())\n"
        "        time.sleep(0.4)\n")
    window = WatchWindow([folder])
    qtbot.addWidget(window)
    view = window.views[0]
    writer = subprocess.Popen([sys.executable, str(script), str(folder)], env={**os.environ, "PYTHONPATH": str(REPO)})
    delays = []
    try:
        shown = 0
        deadline = time.monotonic() + 30
        while view.status != "finished" and time.monotonic() < deadline:
            qtbot.wait(20)
            record = view.last_record
            if record is not None and record.epoch > shown:
                shown = record.epoch
                delays.append(time.time() - float(view.follower.epochs.column("sent")[shown - 1]))
    finally:
        writer.wait(20)
    assert view.status == "finished" and view.last_record.epoch == 5
    assert view.curves.n_points == 100  # every logged loss, appended as tails
    assert view.filters.shown_snapshot is not None and view.confusion.matrix.sum() == 3
    assert "finished" in window.tabs.tabText(0)
    assert max(delays) < 1.0, delays  # a logged epoch is drawn within a second
