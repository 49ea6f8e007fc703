"""Sweeps on a real single-node Slurm (slurmctld + slurmd + munge on loopback, .ci/slurm-setup.sh).

The cluster tests are skipped only where ``sbatch`` is absent; the fixture starts the daemons if
they are not running and stops them afterwards (only if it started them). The job-script tests
need no Slurm.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnviz.cli import main
from nnviz.core.presets import preset_config
from nnviz.sweep.axes import parse_axis, plan_runs
from nnviz.sweep.slurm import SlurmOptions, job_script

REPO = Path(__file__).resolve().parents[1]
SETUP = REPO / ".ci" / "slurm-setup.sh"


def test_job_script_has_one_task_per_run_and_passes_options_through(tmp_path, capsys):
    out = tmp_path / "sweep"
    code = main(["sweep", "--preset", "tweak-lr", "--epochs", "1", "--out", str(out), "--slurm", "--dry-run",
                 "--partition", "gpu", "--time", "00:10:00", "--cpus-per-task", "2", "--account", "class",
                 "--sbatch-arg=--mem=2G", "--sbatch-arg=--qos=short", "--data-dir", str(tmp_path)])
    assert code == 0
    script = (out / "sweep.sbatch").read_text()
    for directive in ("--array=0-3", "--partition=gpu", "--time=00:10:00", "--cpus-per-task=2",
                      "--account=class", "--mem=2G", "--qos=short", f"--output={out.resolve()}/slurm/%A_%a.out"):
        assert f"#SBATCH {directive}\n" in script
    for name in ("lr=0.001", "lr=1.0", "lr=3.0", "lr=100.0"):
        assert f"  {name}\n" in script and (out / name / "config.toml").is_file()
    assert f"{sys.executable} -m nnviz train --config \"$FOLDER/config.toml\" --out \"$FOLDER\"" in script
    assert f"--data-dir {tmp_path.resolve()}" in script
    assert "sbatch " in capsys.readouterr().out
    assert subprocess.run(["bash", "-n", str(out / "sweep.sbatch")]).returncode == 0


def test_job_script_throttles_and_lists_only_runs_to_do(tmp_path):
    base = preset_config("nielsen")
    runs = plan_runs(base, [parse_axis("batch=10,50", base)])
    script = job_script(runs[1:], tmp_path, None, SlurmOptions(max_parallel=1))
    assert "#SBATCH --array=0-0%1\n" in script and "batch=50" in script and "batch=10\n" not in script


def test_without_sbatch_the_error_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch here
    code = main(["sweep", "--preset", "nielsen", "--data", "xor", "--grid", "seed=0,1", "--out", str(tmp_path / "s"),
                 "--slurm"])
    assert code == 2
    assert "sbatch not found" in capsys.readouterr().err


# --- a real cluster ----------------------------------------------------------------------------
def _setup(command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SETUP), command], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def slurm_cluster():
    if shutil.which("sbatch") is None:
        pytest.skip("sbatch not installed (bash .ci/slurm-setup.sh install)")
    started_here = False
    if _setup("status").returncode != 0:
        result = _setup("start")
        assert result.returncode == 0, f"could not start Slurm:\n{result.stdout}\n{result.stderr}"
        started_here = True
    yield
    if started_here:
        _setup("stop")


def test_slurm_sweep_of_four_tasks(slurm_cluster, tmp_path, capsys):
    out = tmp_path / "slurm-sweep"
    code = main(["sweep", "--preset", "nielsen", "--data", "blobs", "--epochs", "2", "--train-size", "100",
                 "--grid", "lr=0.3,1.0,3.0,10.0", "--out", str(out), "--slurm", "--wait"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "Submitted job array" in text
    names = ["lr=0.3", "lr=1.0", "lr=3.0", "lr=10.0"]
    for name in names:
        metrics = json.loads((out / name / "metrics.json").read_text())
        assert metrics["state"] == "finished" and metrics["epochs"] == 2
        assert "Epoch 2" in (out / name / "train.log").read_text()
    assert len(list((out / "slurm").glob("*.out"))) == 4
    assert (out / "compare.png").stat().st_size > 10_000
    assert len((out / "compare.csv").read_text().splitlines()) == 5
    # Nothing is left to do: a second call submits nothing and compares again.
    assert main(["sweep", "--preset", "nielsen", "--data", "blobs", "--epochs", "2", "--train-size", "100",
                 "--grid", "lr=0.3,1.0,3.0,10.0", "--out", str(out), "--slurm", "--wait"]) == 0
    assert "nothing to submit" in capsys.readouterr().out


def test_slurm_wait_reports_epochs_while_the_tasks_train(slurm_cluster, tmp_path, capsys, monkeypatch):
    from nnviz.sweep import slurm

    monkeypatch.setattr(slurm, "PROGRESS_SECONDS", 0.5)  # a progress line every 10 s is too slow to see here
    out = tmp_path / "followed"
    code = main(["sweep", "--preset", "xor-mlp", "--data", "spiral", "--set", "batch=1", "--epochs", "150", "--grid",
                 "lr=0.3,3.0", "--out", str(out), "--slurm", "--wait"])
    text = capsys.readouterr().out
    assert code == 0, text
    counts = [int(line.rsplit("epochs ", 1)[1].split("/")[0]) for line in text.splitlines() if ", epochs " in line]
    assert any(0 < n < 300 for n in counts), text  # read from the run folders while the tasks were training
    assert counts == sorted(counts)


def test_slurm_failed_task_is_reported_by_name(slurm_cluster, tmp_path, capsys, monkeypatch):
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("NNVIZ_CACHE_DIR", str(empty))  # kmnist is nowhere to be found
    monkeypatch.delenv("NNVIZ_DATA_DIR", raising=False)
    out = tmp_path / "failing"
    code = main(["sweep", "--preset", "nielsen", "--epochs", "1", "--train-size", "100", "--grid",
                 "data=blobs,moons,xor-cloud,kmnist", "--out", str(out), "--data-dir", str(empty), "--slurm", "--wait"])
    captured = capsys.readouterr()
    assert code == 1
    assert "1 failed (data=kmnist)" in captured.out
    assert "run data=kmnist failed: array task 3, Slurm FAILED (exit 2:0)" in captured.err
    assert "data set 'kmnist'" in captured.err
    assert all(json.loads((out / n / "metrics.json").read_text())["state"] == "finished"
               for n in ("data=blobs", "data=moons", "data=xor-cloud"))
    assert (out / "compare.png").is_file()
