"""`nnviz compare`: legends name what differs, the table ranks runs, broken folders are skipped."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nnviz.cli import main
from nnviz.core.presets import preset_config
from nnviz.core.run_folder import write_run_folder
from nnviz.core.trainer import Trainer
from nnviz.sweep.compare import choose_metric, differing_settings, format_table, label_runs, ranked
from nnviz.core.run_folder import load_run, load_runs


def make_run(folder: Path, preset: str = "nielsen", **changes) -> Path:
    """A tiny real run folder: two epochs on a toy set, trained in this process."""
    settings = {"data.name": "blobs", "training.epochs": 2, "training.iterations": None, **changes}
    trainer = Trainer(preset_config(preset).with_changes(**settings))
    trainer.run()
    return write_run_folder(folder, trainer, include_model=False)


@pytest.fixture(scope="module")
def lr_runs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    for lr in (0.1, 1.0, 3.0):
        make_run(root / f"lr={lr}", **{"optimizer.learning_rate": lr, "data.name": "moons"})
    return root


def test_labels_name_what_differs(lr_runs, tmp_path):
    runs, problems = load_runs([lr_runs])
    assert not problems and [r.name for r in runs] == ["lr=0.1", "lr=1.0", "lr=3.0"]
    assert differing_settings(runs) == ["optimizer.learning_rate"]
    assert label_runs(runs) == ["lr=0.1", "lr=1.0", "lr=3.0"]

    depth = [make_run(tmp_path / f"d{n}", **{"model.hidden": [30] * n}) for n in (1, 2)]
    assert label_runs([load_run(p) for p in depth]) == ["layers=1", "layers=2"]
    both = [make_run(tmp_path / "b1", **{"model.hidden": [100, 30], "training.batch_size": 50}),
            make_run(tmp_path / "b2")]
    assert label_runs([load_run(p) for p in both]) == ["hidden=100x30, batch=50", "hidden=30, batch=10"]
    twins = [make_run(tmp_path / "twin1"), make_run(tmp_path / "twin2")]
    assert label_runs([load_run(p) for p in twins]) == ["twin1", "twin2"]


def test_runs_of_different_presets_are_labelled_by_preset(tmp_path):
    a = make_run(tmp_path / "a", "nielsen")
    b = make_run(tmp_path / "b", "xor-mlp", **{"optimizer.learning_rate": 0.1})
    labels = label_runs([load_run(a), load_run(b)])
    assert labels[0] == "nielsen"  # its settings are its preset's (data and epochs are shared)
    assert labels[1] == "xor-mlp: lr=0.1"


def test_table_ranks_best_first(lr_runs):
    runs, _ = load_runs([lr_runs])
    label_runs(runs)
    by_accuracy = ranked(runs, "val_accuracy")
    finals = [r.final("val_accuracy") for r in by_accuracy]
    assert finals == sorted(finals, reverse=True)
    by_loss = ranked(runs, "train_loss")
    assert [r.final("train_loss") for r in by_loss] == sorted(r.final("train_loss") for r in runs)
    text = format_table(runs, "val_accuracy")
    assert text.splitlines()[0].split()[:4] == ["#", "run", "state", "epochs"]
    assert len(text.splitlines()) == 4 and "%" in text
    assert choose_metric(runs, None) == "val_accuracy"


def test_compare_cli_skips_missing_and_broken_folders(lr_runs, tmp_path, capsys):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.toml").write_text("this is [not toml")
    (broken / "metrics.json").write_text("{}")
    (broken / "metrics.csv").write_text("epoch\n")
    not_run = tmp_path / "not-run"
    not_run.mkdir()
    preset_config("nielsen").save(not_run / "config.toml")
    png, table = tmp_path / "c.png", tmp_path / "c.csv"
    code = main(["compare", str(lr_runs / "lr=0.1"), str(lr_runs / "lr=3.0"), str(tmp_path / "missing"),
                 str(broken), str(not_run), "--metric", "train_loss", "--png", str(png), "--csv", str(table)])
    captured = capsys.readouterr()
    assert code == 0
    assert captured.err.count("nnviz: skipped") == 3
    assert "missing: no such folder" in captured.err and "malformed" in captured.err
    assert "no metrics.json" in captured.err
    assert "Final training loss, best first" in captured.out
    assert png.stat().st_size > 10_000
    rows = list(csv.DictReader(table.open()))
    assert [row["run"] for row in rows] == sorted((r["run"] for r in rows),
                                                  key=lambda n: float(next(x["final_train_loss"] for x in rows if x["run"] == n)))
    assert {row["lr"] for row in rows} == {"0.1", "3.0"}


def test_compare_of_a_sweep_folder_writes_into_it(lr_runs, capsys):
    assert main(["compare", str(lr_runs)]) == 0
    assert (lr_runs / "compare.png").is_file() and (lr_runs / "compare.csv").is_file()
    assert capsys.readouterr().out.count("lr=") >= 3


def test_compare_with_nothing_left_exits_2(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "nope"), "--png", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "skipped" in err and "no run left to compare" in err
    assert not (tmp_path / "x.png").exists()
