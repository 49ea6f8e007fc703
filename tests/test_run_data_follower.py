"""RunDataFollower: a run still being written is followed by what it appends, not re-read whole."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import numpy as np

from nnviz.core.presets import preset_config
from nnviz.core.run_folder import load_run, write_run_folder
from nnviz.core.run_folder.follow import RunDataFollower
from nnviz.core.trainer import Trainer


def running_run(folder: Path, epochs: int = 4) -> tuple[Path, list[str]]:
    """A finished run rewound to look as if it were at its first epoch; returns the CSV rows to come."""
    config = preset_config("nielsen").with_changes(**{"data.name": "moons", "training.epochs": epochs})
    trainer = Trainer(config)
    trainer.run()
    path = write_run_folder(folder, trainer, include_model=False)
    lines = (path / "metrics.csv").read_text().splitlines(keepends=True)
    (path / "metrics.csv").write_text("".join(lines[:2]))
    metrics = json.loads((path / "metrics.json").read_text())
    metrics.update(state="running", pid=os.getpid(), host=socket.gethostname())
    (path / "metrics.json").write_text(json.dumps(metrics))
    return path, lines[2:]


def append(path: Path, text: str) -> None:
    with open(path / "metrics.csv", "a") as handle:
        handle.write(text)


def test_appended_rows_are_picked_up_and_a_half_written_line_waits(tmp_path):
    path, rest = running_run(tmp_path / "run")
    follower = RunDataFollower(load_run(path))
    follower.poll()
    assert follower.run.n_epochs == 1 and follower.run.state == "running"

    append(path, rest[0] + rest[1][:7])  # the writer is half-way through epoch 3's row
    assert follower.poll()
    assert follower.run.curves["epoch"].tolist() == [1.0, 2.0]
    assert not follower.poll()  # nothing new: the run is the same object
    append(path, rest[1][7:])
    assert follower.poll() and follower.run.curves["epoch"].tolist() == [1.0, 2.0, 3.0]
    expected = float(rest[1].split(",")[1])
    assert np.isclose(follower.run.curves[(path / "metrics.csv").read_text().split(",")[1]][-1], expected)

    metrics = json.loads((path / "metrics.json").read_text())
    metrics["state"] = "finished"
    (path / "metrics.json").write_text(json.dumps(metrics) + " ")  # a new size: the state is re-read
    assert follower.poll() and follower.run.state == "finished"


def test_a_replaced_table_is_read_again_from_its_start(tmp_path):
    path, rest = running_run(tmp_path / "run")
    follower = RunDataFollower(load_run(path))
    follower.poll()
    append(path, "".join(rest))
    assert follower.poll() and follower.run.n_epochs == 4
    header, first = (path / "metrics.csv").read_text().splitlines(keepends=True)[:2]
    replacement = path / "metrics.csv.new"
    replacement.write_text(header + first)
    os.replace(replacement, path / "metrics.csv")  # a re-run into the folder starts the table again
    assert follower.poll() and follower.run.n_epochs == 1
