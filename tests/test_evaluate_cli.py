"""`nnviz evaluate --json / --binary / --png`: the figures written, and mistakes caught before the work."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnviz.cli import main
from nnviz.core.data import loading as datasets
from nnviz.core.data.loading import load_dataset
from nnviz.core.evaluation import class_probabilities, roc_curve
from nnviz.core.losses import make_loss
from nnviz.core.model_io import load_model


@pytest.fixture(scope="module")
def moons_model(tmp_path_factory) -> str:
    """A small 2-class network on the seeded 'moons' toy set (one sigmoid output unit)."""
    out = tmp_path_factory.mktemp("moons")
    assert main(["train", "--preset", "xor-mlp", "--data", "moons", "--epochs", "15", "--out", str(out),
                 "--quiet"]) == 0
    return str(out / "model.npz")


def test_json_holds_accuracy_confusion_and_per_class_figures(moons_model, tmp_path, capsys):
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--model", moons_model, "--split", "test", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    loaded = load_model(moons_model)
    _, y = load_dataset("moons", seed=loaded.config.training.seed).split("test")
    confusion = np.array(result["confusion"])
    assert confusion.sum(axis=1).tolist() == np.bincount(y, minlength=2).tolist()  # rows = true class
    assert result["accuracy"] == pytest.approx(np.trace(confusion) / y.size)
    assert [row["class"] for row in result["per_class"]] == [0, 1]
    for row in result["per_class"]:
        k = row["class"]
        assert set(row) >= {"class", "precision", "recall", "f1", "support"}
        assert row["support"] == int(confusion[k].sum())
        assert row["recall"] == pytest.approx(confusion[k, k] / confusion[k].sum())
        assert row["precision"] == pytest.approx(confusion[k, k] / confusion[:, k].sum())
    assert "precision" in printed and "recall" in printed and f"Wrote {out}" in printed


def test_binary_json_uses_only_the_two_classes(moons_model, tmp_path, capsys):
    out = tmp_path / "binary.json"
    assert main(["evaluate", "--model", moons_model, "--binary", "1", "0", "--threshold", "0.3",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    loaded = load_model(moons_model)
    x, y = load_dataset("moons", seed=loaded.config.training.seed).split("test")
    assert result["tp"] + result["fn"] == int(np.count_nonzero(y == 1))
    assert result["fp"] + result["tn"] == int(np.count_nonzero(y == 0))
    assert result["tpr"] == pytest.approx(result["tp"] / (result["tp"] + result["fn"]))
    assert result["fpr"] == pytest.approx(result["fp"] / (result["fp"] + result["tn"]))
    assert result["threshold"] == 0.3
    roc = np.array(result["roc"])
    assert roc[0].tolist() == [0.0, 0.0] and roc[-1].tolist() == [1.0, 1.0]
    assert result["auc"] == pytest.approx(float(np.sum(np.diff(roc[:, 0]) * (roc[1:, 1] + roc[:-1, 1]) / 2)))
    # The same scores computed here from the model: p(1) / (p(1) + p(0)).
    loss = make_loss(loaded.config.model.loss)
    probabilities = class_probabilities(loss.output_values(loaded.network.predict(x)))
    scores = probabilities[:, 1] / probabilities.sum(axis=1)
    assert result["tp"] == int(np.count_nonzero((scores >= 0.3) & (y == 1)))
    assert result["auc"] == pytest.approx(roc_curve(scores, y == 1).auc)
    assert "TP " in printed and "AUC" in printed


def test_a_higher_threshold_calls_fewer_examples_positive(moons_model, tmp_path):
    counts = []
    for threshold in ("0.1", "0.5", "0.9"):
        out = tmp_path / f"t{threshold}.json"
        assert main(["evaluate", "--model", moons_model, "--binary", "1", "0", "--threshold", threshold,
                     "--json", str(out)]) == 0
        result = json.loads(out.read_text())
        counts.append((result["tp"] + result["fp"], result["tpr"], result["fpr"]))
    assert counts[0][0] >= counts[1][0] >= counts[2][0]
    assert counts[0][1] >= counts[2][1] and counts[0][2] >= counts[2][2]


def test_png_writes_the_evaluation_figures(moons_model, tmp_path):
    from PySide6 import QtGui

    folder = tmp_path / "figures"
    assert main(["evaluate", "--model", moons_model, "--binary", "1", "0", "--png", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["confusion.png", "per-class.png", "roc.png"]
    for path in folder.iterdir():
        image = QtGui.QImage(str(path))
        assert not image.isNull() and image.width() == 1920
        colours = {image.pixel(x, y) for x in range(0, 1920, 37) for y in range(0, image.height(), 29)}
        assert len(colours) > 5, f"{path.name} looks blank"


@pytest.fixture()
def no_data_loading(monkeypatch):
    """Reading the data set is the long work: the mistakes below must be caught before it."""
    def refuse(*args, **kwargs):
        raise AssertionError("the data set was loaded before the arguments were checked")

    monkeypatch.setattr(datasets, "load_dataset", refuse)


@pytest.mark.parametrize("extra,message", [
    (["--binary", "0", "7"], "class 7 does not exist"),
    (["--binary", "1", "1"], "two different classes"),
    (["--binary", "0", "dragon"], "no class 'dragon'"),
    (["--binary", "1", "0", "--threshold", "1.5"], "--threshold"),
    (["--threshold", "0.7"], "add --binary"),
])
def test_argument_mistakes_are_one_line_exit_2_before_the_data_is_read(extra, message, moons_model, capsys,
                                                                        no_data_loading):
    assert main(["evaluate", "--model", moons_model, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err


def test_missing_model_and_unwritable_outputs_are_one_line_exit_2(moons_model, tmp_path, capsys, no_data_loading):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cases = [
        (["--model", str(tmp_path / "missing.npz")], "does not exist"),
        (["--model", moons_model, "--json", str(blocker / "out.json")], "--json"),
        (["--model", moons_model, "--json", str(tmp_path)], "is a folder"),
        (["--model", moons_model, "--png", str(blocker / "png")], "--png"),
    ]
    for argv, message in cases:
        assert main(["evaluate", *argv]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and message in err, err


def test_ten_classes_on_real_mnist(tmp_path, shared_data_dir, capsys):
    run = tmp_path / "run"
    assert main(["train", "--preset", "mlp-3layer", "--data-dir", str(shared_data_dir), "--train-size", "1000",
                 "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--model", str(run / "model.npz"), "--data-dir", str(shared_data_dir),
                 "--split", "val", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert len(result["per_class"]) == 10 and result["examples"] == 10000
    assert sum(row["support"] for row in result["per_class"]) == 10000
    metrics = json.loads((run / "metrics.json").read_text())
    assert result["accuracy"] == pytest.approx(metrics["val_accuracy"])
    out = tmp_path / "four-nine.json"
    assert main(["evaluate", "--model", str(run / "model.npz"), "--data-dir", str(shared_data_dir),
                 "--binary", "4", "9", "--json", str(out)]) == 0
    binary = json.loads(out.read_text())
    assert binary["examples"] == 982 + 1009  # the fours and nines among MNIST's 10,000 test images
    assert 0.5 < binary["auc"] <= 1.0
    assert main(["evaluate", "--model", str(run / "model.npz"), "--data-dir", str(shared_data_dir),
                 "--binary", "4", "rest", "--json", str(out)]) == 0
    one_vs_rest = json.loads(out.read_text())
    assert one_vs_rest["examples"] == 10000 and one_vs_rest["tp"] + one_vs_rest["fn"] == 982
    assert one_vs_rest["negative"] == "rest" and one_vs_rest["negative_name"] == "rest"
