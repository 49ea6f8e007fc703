"""Run folders written as the run goes, and read while they grow: nnviz.log from another process,
partial lines, a snapshot caught mid-write, a SIGKILLed writer, a deleted folder, a full disk."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import nnviz.log as nlog
from nnviz.core.run_folder import load_record, load_run
from nnviz.core.run_folder.follow import CsvFollower, RunFollower, follow_until_caught_up, read_record
from nnviz.core.run_status import judge

REPO = Path(__file__).resolve().parents[1]

WRITER = textwrap.dedent("""
    import sys, time
    import numpy as np
    import nnviz.log as nlog
    folder, epochs, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    rng = np.random.default_rng(0)
    run = nlog.open_run(folder, config={"hidden": [16], "lr": 0.5, "optimizer": "adam-ish"}, flush_seconds=0.05)
    epoch = 0
    while epochs == 0 or epoch < epochs:
        for i in range(50):
            run.log(loss=1.0 / (epoch * 50 + i + 1))
        epoch += 1
        labels = rng.integers(0, 10, 200)
        run.snapshot(weights=rng.normal(size=(16, 784)), labels=labels, predictions=labels)
        run.log_epoch(val_accuracy=0.5 + epoch / 100, val_loss=1.0 / epoch)
        print(epoch, flush=True)
        time.sleep(pause)
    run.close()
""")


def start_writer(tmp_path: Path, folder: Path, epochs: int, pause: float) -> subprocess.Popen:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, str(script), str(folder), str(epochs), str(pause)],
                            stdout=subprocess.PIPE, text=True, env=env)


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_reader_follows_a_folder_that_another_process_logs(tmp_path):
    folder = tmp_path / "mine"
    writer = start_writer(tmp_path, folder, epochs=6, pause=0.25)
    follower = RunFollower(folder)
    seen_epochs: list[int] = []
    states: set[str] = set()
    try:
        def finished() -> bool:
            follower.poll()
            seen_epochs.append(follower.epochs.n_rows)
            states.add(follower.status())
            return follower.status() == "finished"
        wait_for(finished)
    finally:
        writer.wait(10)
    assert "running" in states
    assert len(set(seen_epochs)) >= 3  # the epochs were seen arriving, not all at the end
    record = follower.record()
    assert record.epoch == 6 and record.iteration == 300 and record.train_loss.size == 300
    assert record.iterations_per_epoch == 50
    np.testing.assert_allclose(record.epochs.val_accuracy, 0.5 + np.arange(1, 7) / 100)
    assert record.filter_images.shape == (16, 28, 28) and record.first_layer_weights.shape == (784, 16)
    assert record.confusion.shape == (10, 10) and np.trace(record.confusion) == record.confusion.sum() == 200
    # A logged run is a run folder like any other.
    run = load_run(folder)
    assert run.state == "finished" and run.preset == "logged"
    assert run.config.optimizer.learning_rate == 0.5 and run.config.model.hidden == [16]
    assert load_record(folder).epochs.val_accuracy.size == 6
    assert read_record(folder).confusion.sum() == 200


def test_partial_last_line_waits_for_its_end(tmp_path):
    path = tmp_path / "iterations.csv"
    path.write_text("iteration,loss\n1,0.5\n2,0.4")
    follower = CsvFollower(path)
    assert follower.poll()
    assert follower.n_rows == 1 and follower.complete
    with path.open("a") as handle:
        handle.write("5\n3,0.3\n")
    assert follower.poll()
    np.testing.assert_allclose(follower.column("loss"), [0.5, 0.45, 0.3])
    assert not follower.poll()  # nothing new: no read


def test_reads_are_bounded_and_a_replaced_file_is_read_again(tmp_path):
    path = tmp_path / "iterations.csv"
    path.write_text("iteration,loss\n" + "".join(f"{i},{i / 10}\n" for i in range(1, 2001)))
    follower = CsvFollower(path, max_bytes=4096)
    polls = 0
    while not follower.complete:
        follower.poll()
        polls += 1
    assert polls >= 4 and follower.n_rows == 2000  # caught up in pieces of 4 kB
    replacement = tmp_path / "new.csv"
    replacement.write_text("iteration,loss,accuracy\n1,0.1,0.9\n")
    os.replace(replacement, path)  # a writer that gained a column rewrites the file once
    follower.poll()
    assert follower.restarted and follower.header == ["iteration", "loss", "accuracy"] and follower.n_rows == 1


def test_a_snapshot_caught_mid_write_keeps_the_last_good_one(tmp_path):
    folder = tmp_path / "run"
    with nlog.open_run(folder, flush_seconds=0) as run:
        run.snapshot(weights=np.ones((4, 9)), confusion=np.eye(3, dtype=int))
        run.log(loss=1.0)
    follower = follow_until_caught_up(RunFollower(folder))
    assert follower.record().filter_images.shape == (4, 3, 3)
    # A writer that is not atomic: snapshot.json names a half-written array.
    good = (folder / "filter_images.npy").read_bytes()
    (folder / "filter_images.npy").write_bytes(good[:60])
    info = json.loads((folder / "snapshot.json").read_text())
    (folder / "snapshot.json").write_text(json.dumps({**info, "epoch": 2}))
    assert not follower.poll() or follower.record().filter_images.shape == (4, 3, 3)
    assert follower.record().filter_images.shape == (4, 3, 3)
    (folder / "filter_images.npy").write_bytes(good)
    os.utime(folder / "snapshot.json", ns=(time.time_ns() + 10**9,) * 2)
    assert follower.poll() and follower.snapshot.value["epoch"] == 2


def test_a_sigkilled_writer_is_stalled_and_its_data_stays_readable(tmp_path):
    folder = tmp_path / "killed"
    writer = start_writer(tmp_path, folder, epochs=0, pause=0.05)
    follower = RunFollower(folder)
    wait_for(lambda: writer.stdout.readline().strip() == "3")
    follower.poll()
    assert follower.status() == "running"
    writer.send_signal(signal.SIGKILL)
    writer.wait(10)
    follow_until_caught_up(follower)
    assert follower.status() == "stalled"
    record = follower.record()
    assert record.state == "stalled" and "stopped" in record.message
    assert record.epoch >= 3 and record.train_loss.size >= 150
    # Another host's writer cannot be asked: only the folder's age tells.
    now = time.time()
    elsewhere = {"state": "running", "pid": 1, "host": "node-17"}
    assert judge("running", elsewhere, now - 5, now, stall_seconds=60) == "running"
    assert judge("running", elsewhere, now - 120, now, stall_seconds=60) == "stalled"


def test_a_live_writer_that_stops_growing_is_stalled_but_its_folder_is_not_taken(tmp_path):
    from nnviz.core.errors import NnvizError
    from nnviz.core.live_run import plan_run_folder
    from nnviz.core.presets import preset_config

    # A notebook's loop that ended without close(): the process lives on, the folder no longer grows.
    folder = tmp_path / "notebook"
    script = ("import sys, time\nimport nnviz.log as nlog\nrun = nlog.open_run(sys.argv[1], flush_seconds=0)\n"
              "run.log(loss=1.0)\nrun.log_epoch(val_accuracy=0.5)\nprint('logged', flush=True)\ntime.sleep(60)\n")
    notebook = subprocess.Popen([sys.executable, "-c", script, str(folder)], stdout=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert notebook.stdout.readline().strip() == "logged"
        follower = RunFollower(folder, stall_seconds=0.5)
        follow_until_caught_up(follower)
        assert follower.status() == "running"
        time.sleep(0.7)
        assert follower.status() == "stalled" and "No new data" in follower.record().message
        # However quiet, a folder whose writer lives is never taken over by nnviz train.
        with pytest.raises(NnvizError, match="being written by process"):
            plan_run_folder(folder, preset_config("xor-mlp"))
    finally:
        notebook.kill()
        notebook.wait(10)
    # This process's own run (the window's, paused) is not judged by its age.
    with nlog.open_run(tmp_path / "own") as run:
        run.log(loss=1.0)
        own = follow_until_caught_up(RunFollower(tmp_path / "own", stall_seconds=0.5))
        time.sleep(0.7)
        assert own.status() == "running"


def test_a_deleted_folder_is_missing_and_its_last_data_stays(tmp_path):
    folder = tmp_path / "gone"
    with nlog.open_run(folder) as run:
        run.log_epoch(epoch=1, val_accuracy=0.9)
    follower = follow_until_caught_up(RunFollower(folder))
    shutil.rmtree(folder)
    assert follower.poll()
    assert follower.status() == "missing"
    assert follower.record().epochs.val_accuracy.tolist() == [0.9]


def test_logged_rows_reach_the_file_in_order_exactly(tmp_path):
    with nlog.open_run(tmp_path / "rows", flush_seconds=3600) as run:  # written only at close
        run.log(loss=0.5)
        run.log(loss=np.float32(0.25))  # a NumPy scalar is stored as a float, not as the object
        run.log(iteration=7, loss=float("nan"))
        run.log(loss=0.125, lr=3.0)  # a new column: the earlier rows get it empty
        run.log(lr=1.5, loss=1e-9)  # the same names in another order
        run.log(loss=float("inf"), lr=2.0)
        run.log()
    assert (tmp_path / "rows" / "iterations.csv").read_text() == (
        "iteration,loss,lr\n1,0.5,\n2,0.25,\n7,,\n8,0.125,3.0\n9,1e-09,1.5\n10,inf,2.0\n11,,\n")
    follower = follow_until_caught_up(RunFollower(tmp_path / "rows"))
    np.testing.assert_array_equal(follower.iterations.column("lr"), [np.nan] * 3 + [3.0, 1.5, 2.0, np.nan])


def test_log_never_raises_into_the_loop(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    with pytest.warns(RuntimeWarning, match="logging stopped"):
        run = nlog.open_run(target)
    run.log(loss=1.0)
    run.log_epoch(val_accuracy=0.5)
    run.close()
    assert run.stopped


@pytest.fixture()
def tiny_disk(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.decode().strip() or 'not permitted'})")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_warns_once_and_stops_logging(tiny_disk):
    folder = tiny_disk / "run"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with nlog.open_run(folder, flush_seconds=0) as run:
            for epoch in range(1, 200):
                for i in range(100):
                    run.log(loss=0.123456789, accuracy=0.987654321)
                run.log_epoch(val_accuracy=0.9)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and "No space left on device" in messages[0]
    assert run.stopped
    follower = follow_until_caught_up(RunFollower(folder))
    assert follower.iterations.n_rows > 100  # what was written before the disk filled is readable


def test_nnviz_train_on_a_full_disk_stops_with_one_line(tiny_disk, capsys):
    from nnviz.cli import main

    folder = tiny_disk / "train"
    code = main(["train", "--preset", "xor-mlp", "--data", "spiral", "--batch", "1", "--epochs", "120", "--quiet",
                 "--out", str(folder)])
    err = capsys.readouterr().err
    lines = [line for line in err.strip().splitlines() if not line.startswith("nnviz: warning:")]
    assert code == 2 and len(lines) == 1 and "No space left on device" in err
    follower = follow_until_caught_up(RunFollower(folder))
    assert follower.epochs.n_rows >= 1 and follower.iterations.n_rows > 100  # what fitted stays readable


def test_a_folder_still_to_appear_is_waited_for_and_a_live_writers_folder_is_not_taken(tmp_path):
    follower = RunFollower(tmp_path / "later")
    assert not follower.poll() and follower.status() == "waiting"
    with nlog.open_run(tmp_path / "later") as run:
        run.log(loss=1.0)
        follower.poll()
        assert follower.status() == "running"
        other = subprocess.run([sys.executable, "-c", "import warnings, nnviz.log as n; warnings.simplefilter('error');"
                                f"n.open_run({str(tmp_path / 'later')!r})"], capture_output=True, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
        assert other.returncode != 0 and "another running process" in other.stderr
    assert load_run(tmp_path / "later").state == "finished"


def test_the_documented_import_path_reads_a_logged_run(tmp_path):
    """README tells students ``from nnviz.core.run_follow import read_record``: it stays a working
    path to the readers, which live beside the writers in ``nnviz.core.run_folder``."""
    from nnviz.core.run_follow import RunFollower as DocumentedFollower, read_record as documented_read_record

    assert documented_read_record is read_record and DocumentedFollower is RunFollower
    folder = tmp_path / "mine"
    labels = np.array([0, 1, 2, 2, 1])
    with nlog.open_run(folder, config={"hidden": [4]}) as run:
        for loss in (0.75, 0.5, 0.25):
            run.log(loss=loss)
        run.snapshot(weights=np.ones((4, 9)), labels=labels, predictions=np.array([0, 1, 2, 1, 1]))
        run.log_epoch(epoch=1, val_accuracy=0.8)
    record = documented_read_record(folder)
    np.testing.assert_array_equal(record.train_loss, np.float32([0.75, 0.5, 0.25]))
    assert record.epochs.val_accuracy.tolist() == [0.8]
    assert record.confusion[2].tolist() == [0, 1, 1] and record.confusion.sum() == 5
    assert record.state == "finished"
