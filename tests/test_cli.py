"""`nnviz train / info / evaluate`: run folders, config round trip, one-line errors with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from nnviz.cli import main
from nnviz.core.config import load_config


def run_cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "nnviz", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_info_counts_the_slides_networks(capsys):
    assert main(["info", "--sizes", "3-5-4-5-2"]) == 0
    out = capsys.readouterr().out
    assert "16 neurons, 65 weights, 16 biases: 81 learnable parameters" in out
    assert main(["info", "--preset", "nielsen"]) == 0
    assert "23,860 learnable parameters" in capsys.readouterr().out
    assert main(["info", "--preset", "nielsen", "--hidden", "100"]) == 0
    assert f"{784 * 100 + 100 + 100 * 10 + 10:,} learnable" in capsys.readouterr().out


def test_train_writes_a_run_folder_and_its_config_reruns_it(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--preset", "xor-mlp", "--epochs", "40", "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Epoch 40: " in printed and "/ 4" in printed
    assert sorted(p.name for p in out.iterdir()) == [  # the streams a live reader follows stay beside the four
        "config.toml", "confusion.npy", "filter_images.npy", "first_layer_weights.npy", "iterations.csv",
        "metrics.csv", "metrics.json", "model.npz", "snapshot.json"]
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("test_accuracy", "test_loss", "val_accuracy", "epochs", "seconds", "samples_per_second"):
        assert key in metrics
    assert metrics["epochs"] == 40
    rows = (out / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,iteration,train_loss") and len(rows) == 41
    config = load_config(out / "config.toml")
    assert config.training.seed == 3 and config.training.epochs == 40 and config.preset == "xor-mlp"
    again = tmp_path / "again"
    assert main(["train", "--config", str(out / "config.toml"), "--out", str(again), "--quiet"]) == 0
    assert (again / "metrics.csv").read_text().split("\n")[1].split(",")[:5] == rows[1].split(",")[:5]


def test_evaluate_prints_accuracy_and_confusion(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--preset", "perceptron-blobs", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--model", str(out / "model.npz"), "--split", "test"]) == 0
    printed = capsys.readouterr().out
    assert "blobs test:" in printed and "confusion matrix" in printed
    matrix = [line.split()[1:] for line in printed.splitlines()[-2:]]
    total = sum(int(v) for row in matrix for v in row)
    assert total == int(printed.split(" / ")[1].split()[0])


def test_train_on_real_mnist_prints_the_lectures_lines(tmp_path, shared_data_dir):
    result = run_cli("train", "--preset", "nielsen", "--epochs", "1", "--train-size", "5000",
                     "--out", str(tmp_path / "r"), env_extra={"NNVIZ_DATA_DIR": str(shared_data_dir)})
    assert result.returncode == 0, result.stderr
    line = next(l for l in result.stdout.splitlines() if l.startswith("Epoch 1: "))
    correct = int(line.split()[2])
    assert line.split()[3:5] == ["/", "10000,"] and correct > 5000  # 1 epoch on 5k examples: 57.6 %


@pytest.mark.parametrize("args,message", [
    (["train", "--preset", "nope"], "unknown preset 'nope'"),
    (["train", "--lr", "-1", "--preset", "xor-mlp"], "optimizer.learning_rate"),
    (["train", "--batch", "0", "--preset", "xor-mlp"], "training.batch_size"),
    (["train", "--preset", "xor-mlp", "--data", "cifar-100"], "cifar-100"),
    (["train", "--preset", "xor-mlp", "--hidden", "a,b"], "expected sizes"),
    (["train", "--preset", "xor-mlp", "--activation", "swish"], "model.activation"),
    (["train", "--config", "/nonexistent/config.toml"], "cannot read config file"),
    (["evaluate", "--model", "/nonexistent/model.npz"], "does not exist"),
    (["frobnicate"], "invalid choice"),
])
def test_user_mistakes_print_one_line_and_exit_2(args, message, tmp_path):
    result = run_cli(*args, env_extra={"NNVIZ_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_config_and_model_files(tmp_path):
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[training\nepochs = ")
    wrong_field = tmp_path / "wrong.toml"
    wrong_field.write_text("[training]\nepochs = 'many'\n")
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[training]\nepoks = 3\n")
    corrupt = tmp_path / "model.npz"
    corrupt.write_bytes(b"PK\x03\x04 truncated zip")
    for args, message in [(["train", "--config", str(bad_toml)], "malformed"),
                          (["train", "--config", str(wrong_field)], "training.epochs must be an integer"),
                          (["train", "--config", str(unknown)], "unknown setting(s) in [training]: epoks"),
                          (["evaluate", "--model", str(corrupt)], "not a readable nnviz model")]:
        result = run_cli(*args)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_missing_data_set_says_where_it_looked(tmp_path):
    env = {"NNVIZ_DATA_DIR": str(tmp_path / "data"), "NNVIZ_CACHE_DIR": str(tmp_path / "cache")}
    result = run_cli("train", "--preset", "nielsen", "--data", "kmnist", env_extra=env)
    assert result.returncode == 2
    assert str(tmp_path / "data" / "kmnist") in result.stderr and "Traceback" not in result.stderr


def test_corrupt_data_file_is_a_clear_error(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        (folder / name).write_bytes(b"\x1f\x8b garbage")
    result = run_cli("train", "--preset", "nielsen", env_extra={"NNVIZ_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "ubyte.gz" in result.stderr


def test_diverging_run_reports_and_exits_nonzero(tmp_path):
    result = run_cli("train", "--preset", "xor-mlp", "--optimizer", "sgd", "--loss", "cross-entropy",
                     "--lr", "100000", "--out", str(tmp_path / "r"))
    assert result.returncode == 1, result.stderr
    assert "diverged" in result.stderr and "smaller learning rate" in result.stderr
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["state"] == "diverged"
