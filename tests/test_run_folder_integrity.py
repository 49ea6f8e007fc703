"""A run folder holds one run's files, complete or visibly unfinished: re-runs, kills, full disks.

The full-disk cases mount a real 1 MB tmpfs (skipped where mounting is not permitted); the kill
is a real SIGKILL in the middle of writing ``model.npz``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nnviz.core.atomic import atomic_export
from nnviz.core.errors import ExportError, NnvizError
from nnviz.core.presets import preset_config
from nnviz.core.run_folder import (CONFIG_FILE, METRICS_CSV, METRICS_JSON, MODEL_FILE, check_output_folder,
                                   write_run_folder)
from nnviz.core.trainer import Trainer
from nnviz.sweep.axes import SweepRun
from nnviz.core.run_folder import is_done, run_state
from nnviz.sweep.sweep_folder import prepare_sweep_folder

REPO = Path(__file__).resolve().parents[1]


def trained(seed: int = 0, hidden: int = 4) -> Trainer:
    changes = {"training.epochs": 1, "training.seed": seed, "model.hidden": [hidden]}
    trainer = Trainer(preset_config("xor-mlp").with_changes(**changes))
    while not trainer.finished:
        trainer.step_epoch()
    return trainer


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _mount(target: Path, *options: str) -> None:
    target.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(("size=1m", *options)), "tmpfs", str(target)],
                            capture_output=True, text=True)
    if result.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip() or 'not permitted'})")


@pytest.fixture()
def small_disk(tmp_path: Path):
    """A real 1 MB file system; the test fills it."""
    disk = tmp_path / "disk"
    _mount(disk)
    yield disk
    subprocess.run(["umount", str(disk)], check=False)


@pytest.fixture()
def read_only_disk(tmp_path: Path):
    disk = tmp_path / "ro"
    _mount(disk, "ro")
    yield disk
    subprocess.run(["umount", str(disk)], check=False)


def fill(disk: Path) -> None:
    """Write until the disk is full (ENOSPC): the next write of any size fails."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, bytes(size))
            except OSError:
                pass
    finally:
        os.close(fd)


def test_finished_means_every_file_is_there(tmp_path: Path) -> None:
    folder = write_run_folder(tmp_path / "run", trained())
    metrics = json.loads((folder / METRICS_JSON).read_text())
    assert set(metrics["files"]) == {CONFIG_FILE, METRICS_CSV, MODEL_FILE}
    assert run_state(folder) == "finished" and is_done(folder)
    with open(folder / MODEL_FILE, "r+b") as handle:  # a truncated model (a copy that broke off)
        handle.truncate(100)
    assert run_state(folder) is None
    (folder / MODEL_FILE).unlink()
    assert run_state(folder) is None


def test_rerun_killed_while_writing_its_model(tmp_path: Path) -> None:
    """The old run's model never stays beside the new run's config, and the folder is not finished."""
    folder = write_run_folder(tmp_path / "run", trained(seed=0))
    old_model = (folder / MODEL_FILE).read_bytes()
    child = textwrap.dedent(f"""
        import os, signal, sys
        from nnviz.core import atomic
        from nnviz.core.run_folder import writing as run_folder
        from nnviz.core.presets import preset_config
        from nnviz.core.trainer import Trainer

        def save_and_die(path, *args, **kwargs):
            def write(handle):
                handle.write(b"PK" + bytes(500))  # part of a model ...
                handle.flush()
                os.kill(os.getpid(), signal.SIGKILL)  # ... and the node goes down
            atomic.atomic_write(path, write)

        run_folder.save_model = save_and_die
        trainer = Trainer(preset_config("xor-mlp").with_changes(**{{"training.epochs": 1, "training.seed": 7}}))
        while not trainer.finished:
            trainer.step_epoch()
        run_folder.write_run_folder({str(folder)!r}, trainer)
    """)
    result = subprocess.run([sys.executable, "-c", child], env={**os.environ, "PYTHONPATH": str(REPO)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == -9, result.stderr
    assert run_state(folder) is None and not is_done(folder)
    assert not (folder / METRICS_JSON).exists()
    assert not (folder / MODEL_FILE).exists() or (folder / MODEL_FILE).read_bytes() != old_model
    assert "seed = 7" in (folder / CONFIG_FILE).read_text()  # the new run's config, the old model gone
    # A resumed sweep runs it again, starting from a clean folder.
    sweep_run = SweepRun(folder.name, (), preset_config("xor-mlp").with_changes(**{"training.seed": 7}))
    pending, done = prepare_sweep_folder(tmp_path, [sweep_run], {})
    assert [run.name for run in pending] == [folder.name] and not done
    assert sorted(p.name for p in folder.iterdir()) == [CONFIG_FILE]  # the killed writer's temp file too


def test_rerun_on_a_full_disk_leaves_no_mixed_folder(small_disk: Path) -> None:
    folder = write_run_folder(small_disk / "run", trained(seed=0))
    fill(small_disk)
    with pytest.raises(NnvizError, match="cannot write the run folder .*No space left on device"):
        write_run_folder(folder, trained(seed=3, hidden=2000))  # a bigger model than the space the old one frees
    assert run_state(folder) is None
    assert not (folder / MODEL_FILE).exists() and not (folder / METRICS_JSON).exists()
    assert leftovers(folder) == []  # no temporary files either


def test_full_disk_on_the_command_line_is_one_line(small_disk: Path) -> None:
    fill(small_disk)
    result = subprocess.run([sys.executable, "-m", "nnviz", "train", "--preset", "xor-mlp", "--epochs", "1", "--quiet",
                             "--out", str(small_disk / "run")], env={**os.environ, "PYTHONPATH": str(REPO)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "No space left on device" in result.stderr, result.stderr
    assert not (small_disk / "run").exists()  # found by the check before training: nothing written


def test_a_full_disk_for_png_is_refused_before_training(small_disk: Path, tmp_path: Path) -> None:
    # An empty file can still be created on a full disk: the check must write to find out.
    fill(small_disk)
    with pytest.raises(NnvizError, match="--png .* cannot be written .*No space left on device"):
        check_output_folder(small_disk / "png", "--png")
    result = subprocess.run([sys.executable, "-m", "nnviz", "train", "--preset", "xor-mlp", "--epochs", "300",
                             "--quiet", "--out", str(tmp_path / "run"), "--png", str(small_disk / "png")],
                            env={**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "No space left on device" in result.stderr, result.stderr
    assert not (tmp_path / "run").exists()  # refused before the run folder, let alone training


def test_png_on_a_full_disk_leaves_nothing_truncated(small_disk: Path) -> None:
    from nnviz.ui.headless_export import HeadlessExporter

    trainer = trained()
    exporter = HeadlessExporter(small_disk / "png")
    fill(small_disk)
    with pytest.raises(ExportError, match="Could not write"):
        exporter.export(trainer)
    assert sorted(os.listdir(small_disk / "png")) == []


def test_failed_export_keeps_the_previous_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "filters.png"
    path.write_bytes(b"\x89PNG old, whole IEND\xaeB`\x82")
    for writer in (lambda name: Path(name).write_bytes(b"\x89PNG truncated") and True,  # "success", cut short
                   lambda name: False):  # the exporter says it failed
        with pytest.raises(ExportError, match="read-only or the disk is full"):
            atomic_export(path, writer)
        assert path.read_bytes().endswith(b"IEND\xaeB`\x82")
        assert leftovers(tmp_path) == []


def test_output_problems_are_found_before_training(tmp_path: Path, read_only_disk: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    with pytest.raises(NnvizError, match="--out .* is a file"):
        check_output_folder(a_file, "--out")
    with pytest.raises(NnvizError, match="cannot be created: .* is a file"):
        check_output_folder(a_file / "run", "--out")
    with pytest.raises(NnvizError, match="cannot be written .*Read-only file system"):
        check_output_folder(read_only_disk / "run", "--out")  # root ignores permission bits: a real ro mount
    from nnviz.ui.headless_export import HeadlessExporter

    with pytest.raises(ExportError, match="Read-only file system"):
        HeadlessExporter(read_only_disk / "png")
    check_output_folder(tmp_path / "new" / "run", "--out")  # creatable: fine, and nothing created yet
    assert not (tmp_path / "new").exists()
