"""Sweeps: grid parsing, a local sweep of 4 tiny runs (one diverging), resume, Ctrl-C, the figure."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nnviz.cli import main
from nnviz.core.errors import ConfigError
from nnviz.core.presets import preset_config
from nnviz.sweep.axes import parse_axis, parse_hidden, plan_runs
from nnviz.sweep.sweep_presets import SWEEP_PRESETS, sweep_base
from nnviz.core.run_folder import load_runs

REPO = Path(__file__).resolve().parents[1]
OKABE_ITO_FIRST4 = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
# Blobs with ReLU and cross-entropy: lr 100 explodes in the first epoch, the others learn.
TINY = ["--preset", "nielsen", "--data", "blobs", "--epochs", "2", "--train-size", "100",
        "--set", "activation=relu", "--set", "loss=cross-entropy", "--grid", "lr=0.1,1.0,3.0,100"]


# --- grid --------------------------------------------------------------------------------------
def test_hidden_values_and_layers_expand_to_configs():
    assert parse_hidden("30") == [30] and parse_hidden("100x30") == [100, 30] and parse_hidden("none") == []
    base = preset_config("nielsen")
    runs = plan_runs(base, [parse_axis("hidden=15,100x30", base), parse_axis("layers=1,2", base)])
    assert [r.name for r in runs] == ["hidden=15_layers=1", "hidden=15_layers=2", "hidden=100x30_layers=1",
                                      "hidden=100x30_layers=2"]
    assert [r.config.model.hidden for r in runs] == [[15], [15, 15], [100], [100, 100]]


def test_grid_keys_set_their_settings_and_bad_values_name_the_key():
    base = preset_config("nielsen")
    runs = plan_runs(base, [parse_axis("lr=0.5", base), parse_axis("batch=10,50", base),
                            parse_axis("epochs=3", base), parse_axis("optimizer.weight_decay=0.001", base)])
    assert [r.name for r in runs] == ["batch=10", "batch=50"]  # one-value keys stay out of the names
    assert runs[1].config.training.batch_size == 50 and runs[1].config.optimizer.learning_rate == 0.5
    assert runs[0].config.training.epochs == 3 and runs[0].config.optimizer.weight_decay == 0.001
    with pytest.raises(ConfigError, match="lr"):
        parse_axis("lr=0.1,fast", base)
    with pytest.raises(ConfigError, match="unknown grid key"):
        parse_axis("speed=1,2", base)
    with pytest.raises(ConfigError, match="twice"):
        parse_axis("batch=10,10", base)
    with pytest.raises(ConfigError, match="run lr=-1"):
        plan_runs(base, [parse_axis("lr=1,-1", base)])


@pytest.mark.parametrize("name, sizes", [("tweak-lr", 4), ("tweak-batch", 3), ("tweak-hidden", 3), ("tweak-depth", 3)])
def test_sweep_presets_plan_nielsen_grids(name, sizes):
    base, axes = sweep_base(name)
    runs = plan_runs(base, axes)
    assert len(runs) == sizes and all(r.config.preset == "nielsen" for r in runs)
    if name == "tweak-depth":
        assert [r.config.model.hidden for r in runs] == [[30], [30, 30], [30] * 5]
    if name == "tweak-lr":
        assert [r.config.optimizer.learning_rate for r in runs] == [0.001, 1.0, 3.0, 100.0]
    assert SWEEP_PRESETS[name].base_preset == "nielsen"


def test_sweep_user_errors_exit_2(tmp_path, capsys):
    assert main(["sweep", "--preset", "nielsen", "--out", str(tmp_path / "s")]) == 2
    assert "--grid" in capsys.readouterr().err
    assert main(["sweep", "--preset", "nielsen", "--grid", "lr=x", "--out", str(tmp_path / "s")]) == 2
    assert main(["sweep", "--preset", "nope", "--grid", "lr=1", "--out", str(tmp_path / "s")]) == 2
    assert main(["sweep", "--preset", "tweak-lr", "--wait", "--out", str(tmp_path / "s")]) == 2
    assert "only apply with --slurm" in capsys.readouterr().err


# --- a local sweep -----------------------------------------------------------------------------
def png_pixels(path: Path) -> np.ndarray:
    from PySide6 import QtGui

    image = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_RGB888)
    assert not image.isNull()
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(height, width, 3).copy()


def metrics_mtimes(out: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/metrics.json")}


def test_local_sweep_runs_resumes_and_draws_four_runs(tmp_path, capsys):
    out = tmp_path / "sweep"
    started = time.monotonic()
    assert main(["sweep", *TINY, "--out", str(out), "--jobs", "2"]) == 0  # the diverged run is not fatal
    text = capsys.readouterr().out
    names = ["lr=0.1", "lr=1.0", "lr=3.0", "lr=100"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(names)
    assert "lr=100: diverged" in text and "1 diverged (lr=100)" in text
    states = {n: json.loads((out / n / "metrics.json").read_text())["state"] for n in names}
    assert states == {"lr=0.1": "finished", "lr=1.0": "finished", "lr=3.0": "finished", "lr=100": "diverged"}
    assert json.loads((out / "sweep.json").read_text())["runs"] == names
    # The table ranks the diverged run last.
    table = text[text.index("best first"):]
    assert table.index("lr=100.0") > max(table.index(n) for n in names[:3])
    csv_lines = (out / "compare.csv").read_text().splitlines()
    assert len(csv_lines) == 5 and csv_lines[0].startswith("rank,run,label")

    pixels = png_pixels(out / "compare.png")
    assert pixels.shape == (1080, 1920, 3)
    packed = (pixels[..., 0].astype(np.uint32) << 16) | (pixels[..., 1].astype(np.uint32) << 8) | pixels[..., 2]
    assert np.unique(packed).size > 100  # not blank: curves, markers, antialiased text
    for colour in OKABE_ITO_FIRST4:  # each run's colour is drawn (the diverged one in the legend)
        assert np.count_nonzero(packed == int(colour[1:], 16)) > 20, colour

    from nnviz.sweep.compare import label_runs
    from nnviz.ui.compare_figure import CompareFigure

    runs, problems = load_runs([out])
    assert not problems
    label_runs(runs)
    figure = CompareFigure(runs, "val_accuracy")
    labels = figure.legend_labels()
    figure.close()
    assert len(labels) == 4
    assert [label.split(":")[0] for label in labels] == ["lr=0.1", "lr=1.0", "lr=3.0", "lr=100.0"]
    assert "diverged" in labels[3]

    # A second call resumes: nothing is trained again.
    before = metrics_mtimes(out)
    assert main(["sweep", *TINY, "--out", str(out)]) == 0
    assert "4 already done, 0 to run" in capsys.readouterr().out
    assert metrics_mtimes(out) == before
    # A run without its metrics.json (stopped, failed) is the only one redone.
    (out / "lr=1.0" / "metrics.json").unlink()
    assert main(["sweep", *TINY, "--out", str(out)]) == 0
    assert "3 already done, 1 to run" in capsys.readouterr().out
    after = metrics_mtimes(out)
    assert {n: t for n, t in after.items() if n != "lr=1.0"} == {n: t for n, t in before.items() if n != "lr=1.0"}
    assert time.monotonic() - started < 40


def test_resume_with_other_settings_is_refused(tmp_path, capsys):
    out = tmp_path / "s"
    args = ["sweep", "--preset", "nielsen", "--data", "xor", "--epochs", "1", "--grid", "seed=0,1", "--out", str(out)]
    assert main(args) == 0
    capsys.readouterr()
    assert main([*args[:6], "2", *args[7:]]) == 2
    assert "other settings (epochs=1 there, epochs=2 now)" in capsys.readouterr().err


def test_dry_run_writes_configs_only(tmp_path, capsys):
    out = tmp_path / "dry"
    assert main(["sweep", "--preset", "tweak-depth", "--epochs", "1", "--out", str(out), "--dry-run"]) == 0
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["layers=1", "layers=2", "layers=5"]
    from nnviz.core.config import load_config

    assert load_config(out / "layers=5" / "config.toml").model.hidden == [30] * 5
    assert not list(out.glob("*/metrics.json"))


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                state = next(l for l in (entry / "status").read_text().splitlines() if l.startswith("State:"))
            except (OSError, StopIteration):
                continue
            if text in cmdline and " Z " not in state + " ":
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_stops_workers_and_keeps_finished_runs(tmp_path):
    out = tmp_path / "interrupt"
    # Each run takes about a second: 60 epochs of moons.
    args = [sys.executable, "-m", "nnviz", "sweep", "--preset", "nielsen", "--data", "moons", "--epochs", "60",
            "--grid", "seed=0,1,2", "--out", str(out), "--jobs", "1"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # SIG_DFL: a runner started in the background may ignore SIGINT, and Python would inherit that.
    sweep = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 30
        while _epochs_written(out / "seed=1") < 3:  # seed=0 finished, seed=1 a few epochs in
            assert time.monotonic() < deadline and sweep.poll() is None
            time.sleep(0.05)
        sweep.send_signal(signal.SIGINT)
        _, err = sweep.communicate(timeout=15)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    assert sweep.returncode == 130, err
    assert "run the same command to resume" in err
    assert not _processes_mentioning(str(out))  # no training process left behind
    assert (out / "seed=0" / "metrics.json").exists() and not (out / "seed=2" / "metrics.json").exists()
    kept = (out / "seed=0" / "metrics.json").stat().st_mtime_ns
    resumed = subprocess.run([*args[:-2], "--jobs", "2", "--epochs", "60"], capture_output=True, text=True,
                             env=env, timeout=60)
    assert resumed.returncode == 0, resumed.stderr
    assert "1 already done, 2 to run" in resumed.stdout
    assert (out / "seed=0" / "metrics.json").stat().st_mtime_ns == kept
    assert all((out / f"seed={s}" / "metrics.json").exists() for s in (1, 2))
    # The interrupted run was continued from its last finished epoch, not trained again from the start.
    assert f"Resuming {(out / 'seed=1').resolve()} after epoch" in (out / "seed=1" / "train.log").read_text()
    assert json.loads((out / "seed=1" / "metrics.json").read_text())["epochs"] == 60


def _epochs_written(folder: Path) -> int:
    try:
        return len((folder / "metrics.csv").read_text().splitlines()) - 1
    except OSError:
        return 0
