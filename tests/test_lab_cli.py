"""`nnviz lab`: the list, the registry, one-line errors, and every lab headless with its PNGs and tables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from PySide6 import QtGui

from nnviz.cli import main
from nnviz.ui.labs.registry import LABS, LabInfo, load_lab

MY_LABS = ("playground", "xor", "activations", "gradient-descent", "losses", "parameters")
EXPECTED_PNGS = {
    "playground": ["playground-perceptron-blobs", "playground-perceptron-xor", "playground-mlp-moons"],
    "xor": ["xor-hand", "xor-trained"],
    "activations": ["activations"],
    "gradient-descent": ["gradient-descent-steps", "gradient-descent-crawl", "gradient-descent-oscillate",
                         "gradient-descent-diverge", "gradient-descent-two-minima", "gradient-descent-momentum",
                         "gradient-descent-vanishing", "gradient-descent-exploding"],
    "losses": ["losses"],
    "parameters": ["parameters-3-5-4-5-2", "parameters-784-30-10", "parameters-lenet5", "parameters-lenet-caffe"],
}
EXPECTED_TEXT = {
    "playground": ["Perceptron rule: misclassified training samples per epoch", "MLP 2-8-8-1"],
    "xor": ["(0, 0)   [0, -1]", "(1, 1)   [2, 1]", "solved"],
    "activations": ["sigmoid'(z)", "0.659"],
    "gradient-descent": ["6.01", "(6, -4)", "(5.94, -1.96)", "(5.88, -3.92)", "(5.8812, -1.9208)",
                         "first / last layer"],
    "losses": ["quadratic", "cross-entropy", "δ = y − t"],
    "parameters": ["16 neurons, 65 weights, 16 biases: 81 learnable parameters", "slide says 82; 65 + 16 = 81",
                   "23,860 learnable parameters", "61,706 learnable parameters", "2,293,000 multiply-accumulates"],
}


def test_registry_order_and_fields():
    assert list(LABS) == [*MY_LABS, "convolution", "xray"]
    assert all(isinstance(info, LabInfo) and info.description and "\n" not in info.description
               for info in LABS.values())
    assert LABS["convolution"].module == "nnviz.ui.labs.convolution"
    assert LABS["convolution"].title == "Convolution explainer"
    for name in MY_LABS:
        module = load_lab(name)
        assert callable(module.headless) and callable(module.tables) and hasattr(module.WIDGET, "export_png")


def test_lab_list_and_user_errors(capsys):
    assert main(["lab", "--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == list(LABS)
    assert main(["lab", "no-such-lab"]) == 2
    assert "unknown lab 'no-such-lab'" in capsys.readouterr().err
    assert main(["lab", "--png", "somewhere"]) == 2
    assert main(["lab", "parameters"]) == 0  # tables only, no Qt application needed
    assert "23,860" in capsys.readouterr().out


def test_every_lab_runs_headless(tmp_path, shared_data_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    processes = {}
    for name in MY_LABS:  # all at once: the whole check takes as long as the slowest lab
        out = tmp_path / "new folder" / name  # --png creates missing folders
        processes[name] = (out, subprocess.Popen(
            [sys.executable, "-m", "nnviz", "lab", name, "--png", str(out), "--data-dir", str(shared_data_dir)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    for name, (out, process) in processes.items():
        stdout, stderr = process.communicate(timeout=240)
        assert process.returncode == 0, f"{name}: {stderr}"
        assert sorted(p.stem for p in out.glob("*.png")) == sorted(EXPECTED_PNGS[name])
        for stem in EXPECTED_PNGS[name]:
            image = QtGui.QImage(str(out / f"{stem}.png"))
            assert image.width() == 1920 and image.height() > 800, stem
        for text in EXPECTED_TEXT[name]:
            assert text in stdout, f"{name}: {text!r} missing from\n{stdout}"


def test_a_lab_needing_mnist_says_what_is_missing(tmp_path, monkeypatch, capsys):
    if Path("/usr/share/datasets/mnist").exists():
        pytest.skip("a system-wide MNIST is installed")
    monkeypatch.delenv("NNVIZ_DATA_DIR", raising=False)
    monkeypatch.setenv("NNVIZ_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["lab", "losses", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nnviz: error:") and "mnist" in err.lower() and len(err.strip().splitlines()) == 1
