"""Backprop x-ray, Qt-free: forward values, δ and gradients against independent central differences for
every activation and both losses, the slides' XOR numbers, Mazur's worked example, the update step,
the weights file's errors through the CLI, and the JSON written by `nnviz lab xray`."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from nnviz.cli import main
from nnviz.core.lessons.xray import PRESETS, XrayError, make_network, parse_sizes, random_network, updated, xray_pass
from nnviz.core.lessons.xray_file import bracket_depth, network_from_toml, network_to_toml, read_weights_file
from nnviz.core.lessons.xray_report import format_xray, slide_number

ISSUE_TOML = """\
activation = "sigmoid"          # default for every layer; a [[layers]] table may set its own
[[layers]]                      # one table per layer, input side first
W = [[1, 1], [1, 1]]            # one row per unit: z_j = sum_k W[j][k] * a_k + b_j
b = [0, -1]
activation = "relu"
[[layers]]
W = [[1, -2]]
b = [0]
activation = "linear"
"""


# --- an independent reference: plain NumPy, written out here, not the module's code --------------
def reference_loss(weights, biases, activations, x, t, loss):
    a = np.asarray(x, dtype=np.float64)
    for W, b, name in zip(weights, biases, activations):
        z = W @ a + b
        a = {"sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh, "relu": lambda v: np.maximum(v, 0),
             "linear": lambda v: v, "softmax": lambda v: np.exp(v - v.max()) / np.exp(v - v.max()).sum()}[name](z)
    if loss == "quadratic":
        return 0.5 * np.sum((t - a) ** 2)
    if activations[-1] == "softmax":
        return -np.sum(t * np.log(a))
    return -np.sum(t * np.log(a) + (1 - t) * np.log(1 - a))


def reference_gradients(network, x, t, loss, h=1e-6):
    weights = [layer.W.copy() for layer in network.layers]
    biases = [layer.b.copy() for layer in network.layers]
    acts = list(network.activations)
    grads = []
    for params in (weights, biases):
        layer_grads = []
        for array in params:
            g = np.zeros_like(array)
            for index in np.ndindex(array.shape):
                keep = array[index]
                array[index] = keep + h
                up = reference_loss(weights, biases, acts, x, t, loss)
                array[index] = keep - h
                down = reference_loss(weights, biases, acts, x, t, loss)
                array[index] = keep
                g[index] = (up - down) / (2 * h)
            layer_grads.append(g)
        grads.append(layer_grads)
    return grads  # [dW per layer, db per layer]


CASES = [(hidden, output, loss) for hidden in ("sigmoid", "tanh", "relu", "linear")
         for output in ("sigmoid", "tanh", "relu", "linear", "softmax")
         for loss in ("quadratic", "cross-entropy") if loss == "quadratic" or output in ("sigmoid", "softmax")]


@pytest.mark.parametrize("hidden, output, loss", CASES)
def test_backward_matches_central_differences(hidden, output, loss):
    rng = np.random.default_rng(7)
    sizes = (3, 4, 3, 3)
    weights = [rng.normal(0, 0.8, (n_out, n_in)) for n_in, n_out in pairwise(sizes)]
    biases = [rng.normal(0, 0.5, n) + 0.3 for n in sizes[1:]]  # ReLU/relu output stays mostly active
    network = make_network(weights, biases, [hidden, hidden, output])
    x = np.array([0.7, -0.4, 1.1])
    t = np.array([0.2, 0.7, 0.1]) if output == "softmax" else np.array([0.1, 0.9, 0.4])
    result = xray_pass(network, x, t, loss)
    for p in result.layers:  # keep clear of ReLU's kink, where no derivative exists
        assert np.min(np.abs(p.z)) > 1e-3
    reference_dW, reference_db = reference_gradients(network, x, t, loss)
    assert result.loss == pytest.approx(reference_loss([l.W for l in network.layers], [l.b for l in network.layers],
                                                       network.activations, x, t, loss), rel=1e-12)
    previous = x
    for l, p in enumerate(result.layers):
        scale = max(1.0, float(np.abs(reference_dW[l]).max()))
        np.testing.assert_allclose(p.dW, reference_dW[l], rtol=1e-5, atol=1e-8 * scale)
        np.testing.assert_allclose(p.db, reference_db[l], rtol=1e-5, atol=1e-8 * scale)
        np.testing.assert_array_equal(p.db, p.delta)  # dE/db = dE/dz = delta
        np.testing.assert_allclose(p.dW, np.outer(p.delta, previous), rtol=1e-15)  # dW = delta a_prev^T
        assert p.dW.shape == network.layers[l].W.shape
        previous = p.a
    assert result.all_agree() and result.max_gradient_difference() < 1e-7


def test_output_delta_is_y_minus_t_for_cross_entropy_and_a_minus_t_times_sigma_prime_for_quadratic():
    network = PRESETS["mazur"].network
    x, t = np.array([0.05, 0.10]), np.array([0.01, 0.99])
    y = xray_pass(network, x, t).output
    np.testing.assert_allclose(xray_pass(network, x, t, "cross-entropy").layers[-1].delta, y - t, rtol=1e-14)
    np.testing.assert_allclose(xray_pass(network, x, t, "quadratic").layers[-1].delta, (y - t) * y * (1 - y),
                               rtol=1e-14)


def test_the_slides_xor_network_from_the_issue_file(tmp_path):
    path = tmp_path / "xor.toml"
    path.write_text(ISSUE_TOML)
    network = read_weights_file(path)
    assert network.sizes == (2, 2, 1) and network.activations == ("relu", "linear")
    for candidate in (network, PRESETS["xor"].network):
        result = xray_pass(candidate, [1, 1], [0])
        np.testing.assert_array_equal(result.layers[0].z, [2, 1])
        np.testing.assert_array_equal(result.layers[0].a, [2, 1])
        np.testing.assert_array_equal(result.output, [0])
        assert result.loss == 0.0
    outputs = [float(xray_pass(network, x).output[0]) for x in ([0, 0], [0, 1], [1, 0], [1, 1])]
    assert outputs == [0.0, 1.0, 1.0, 0.0]


def test_mazur_worked_example():
    preset = PRESETS["mazur"]
    result = xray_pass(preset.network, preset.inputs, preset.targets)
    np.testing.assert_allclose(result.layers[0].a, [0.593269992, 0.596884378], atol=1e-9)
    np.testing.assert_allclose(result.output, [0.75136507, 0.772928465], atol=1e-8)
    assert result.loss == pytest.approx(0.298371109, abs=1e-9)
    assert result.layers[1].dW[0, 0] == pytest.approx(0.082167041, abs=1e-9)  # his w5
    assert result.layers[0].dW[0, 0] == pytest.approx(0.000438568, abs=1e-9)  # his w1
    after = updated(preset.network, result, 0.5)
    np.testing.assert_allclose(after.layers[1].W, [[0.35891648, 0.408666186], [0.511301270, 0.561370121]], atol=1e-8)
    np.testing.assert_allclose(after.layers[0].W[0], [0.149780716, 0.19956143], atol=1e-8)


@pytest.mark.parametrize("name", list(PRESETS))
def test_the_update_step_is_w_minus_eta_dw_and_lowers_the_loss(name):
    preset = PRESETS[name]
    network, targets = preset.network, preset.targets
    if name == "xor":
        targets = (1.0,)  # its own target gives zero loss: ask for another one
    result = xray_pass(network, preset.inputs, targets)
    after = updated(network, result, 0.1)
    for old, new, p in zip(network.layers, after.layers, result.layers):
        np.testing.assert_array_equal(new.W, old.W - 0.1 * p.dW)
        np.testing.assert_array_equal(new.b, old.b - 0.1 * p.db)
    losses = [result.loss]
    eta = 0.02 if name == "xor" else 0.5  # XOR's linear output oscillates from η = 0.1 on
    for _ in range(20):
        result = xray_pass(network, preset.inputs, targets, numeric=False)
        network = updated(network, result, eta)
        losses.append(xray_pass(network, preset.inputs, targets, numeric=False).loss)
    assert all(b < a for a, b in pairwise(losses)) and losses[-1] < 0.9 * losses[0]


def test_random_weights_repeat_with_the_seed_and_round_to_two_decimals():
    a = random_network((2, 3, 2), ["tanh", "softmax"], seed=5)
    b = random_network((2, 3, 2), ["tanh", "softmax"], seed=5)
    c = random_network((2, 3, 2), ["tanh", "softmax"], seed=6)
    assert all(np.array_equal(x.W, y.W) and np.array_equal(x.b, y.b) for x, y in zip(a.layers, b.layers))
    assert not np.array_equal(a.layers[0].W, c.layers[0].W)
    np.testing.assert_array_equal(a.layers[0].W, np.round(a.layers[0].W, 2))
    assert parse_sizes("2-2-2-2") == (2, 2, 2, 2) and parse_sizes("3,4,1") == (3, 4, 1)
    for bad in ("2", "2-x", "2-7", "1-1-1-1-1-1-1", "2--2"):
        with pytest.raises(XrayError):
            parse_sizes(bad)


def test_weights_file_round_trip_and_bracket_scan():
    network = random_network((3, 4, 2), ["relu", "sigmoid"], seed=1)
    again = network_from_toml(network_to_toml(network))
    assert again.activations == network.activations
    assert all(np.array_equal(x.W, y.W) and np.array_equal(x.b, y.b) for x, y in zip(network.layers, again.layers))
    assert bracket_depth('a = "[[[[" # [[[[\nW = [[1]]') == 2
    assert bracket_depth("x = [[[[1]]]]") == 4


def test_format_rounds_as_the_slides_and_keeps_small_gradients_visible():
    preset = PRESETS["mazur"]
    text = format_xray(xray_pass(preset.network, preset.inputs, preset.targets), 0.5)
    assert "output y = (0.75, 0.77)" in text and "= 0.30" in text
    assert "0.00044" in text  # his ∂E/∂w1, which 2 decimals would show as 0.00
    # the biases take a step too (Mazur keeps his fixed and gets 0.291)
    assert "every gradient agrees" in text and "loss 0.30 → 0.28" in text
    assert slide_number(-1e-17) == "0.00" and slide_number(2) == "2.00" and slide_number(-0.004) == "-0.004"
    assert slide_number(1e300) == "1e+300" and slide_number(-123456.7) == "-123456.70"


# --- the command line ----------------------------------------------------------------------------
BAD_FILES = [
    ("W = [[1, 1]\n", "not valid TOML"),
    ('activation = "relu"\n', "no [[layers]] tables"),
    ("[[layers]]\nW = [[1, 1], [1]]\nb = [0, 0]\n", "rows of different lengths"),
    ("[[layers]]\nW = [[1, 1]]\nb = [0]\n[[layers]]\nW = [[1, 1, 1]]\nb = [0]\n", "layer 2: W has 3 columns"),
    ("[[layers]]\nW = [[1, 1]]\nb = [0, 1]\n", "b has 2 values but W has 1 rows"),
    ('[[layers]]\nW = [[1, 1]]\nb = [0]\nactivation = "swish"\n', "unknown activation 'swish'"),
    ("[[layers]]\nW = [[1, 1]]\nb = [0]\nweights = 3\n", "unknown key 'weights'"),
    ('[[layers]]\nW = [[1, "a"]]\nb = [0]\n', "not a number"),
    ("[[layers]]\nW = [[1, nan]]\nb = [0]\n", "finite"),
    ("[[layers]]\nW = [[1, true]]\nb = [0]\n", "not a number"),
    ("[[layers]]\nW = [[1, 1]]\n", "b is missing"),
    ("[[layers]]\nW = [[1, 1]]\nb = [0]\n" + "[[layers]]\nW = [[1]]\nb = [0]\n" * 5, "at most 5"),
    ("[[layers]]\nW = [" + ", ".join(["[1, 1]"] * 7) + "]\nb = [" + ", ".join(["0"] * 7) + "]\n", "at most 6 units"),
    ('[[layers]]\nW = [[1, 1]]\nb = [0]\nactivation = "softmax"\n[[layers]]\nW = [[1]]\nb = [0]\n',
     "softmax is for the output layer only"),
    ("x = " + "[" * 5000 + "]" * 5000 + "\n", "nested 5000 deep"),
    ("# " + "x" * 70_000 + "\n", "too large"),
]


def run_main(capsys, *args):
    code = main(["lab", "xray", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("content, expected", BAD_FILES)
def test_every_weights_file_error_is_one_line_and_exit_2(tmp_path, capsys, content, expected):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    code, out, err = run_main(capsys, "--weights", str(path), "--input", "1,1")
    assert code == 2
    assert err.startswith("nnviz: error:") and len(err.strip().splitlines()) == 1, err
    assert expected in err, err
    assert out == ""


def test_command_line_mistakes_are_one_line_and_exit_2(tmp_path, capsys):
    good = tmp_path / "xor.toml"
    good.write_text(ISSUE_TOML)
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00W")
    cases = [(["--weights", str(good), "--input", "1,2,3"], "the input has 3 values but the network takes 2"),
             (["--weights", str(good), "--input", "1,1", "--target", "1,0"], "the target has 2 values"),
             (["--weights", str(good), "--input", "1,x"], "not a list of numbers"),
             (["--weights", str(tmp_path / "missing.toml"), "--input", "1,1"], "not found"),
             (["--weights", str(tmp_path / "binary.toml"), "--input", "1,1"], "not a UTF-8"),
             (["--weights", str(tmp_path), "--input", "1,1"], "is not a file"),
             (["--weights", str(good)], "--weights needs --input"),
             (["--input", "1,1"], "need --weights"),
             (["--weights", str(good), "--input", "1,1", "--target", "1", "--loss", "cross-entropy"],
              "cross-entropy needs a sigmoid or softmax output"),
             (["--weights", str(good), "--input", "1,1", "--loss", "hinge"], "invalid choice"),
             (["--weights", str(good), "--input", "1,1", "--lr", "-1"], "--lr must be a positive number"),
             (["--weights", str(good), "--input", "1,1", "--target", "0", "--json", str(tmp_path / "no" / "x.json")],
              "does not exist")]
    for args, expected in cases:
        code, _out, err = run_main(capsys, *args)
        assert code == 2 and err.startswith("nnviz: error:") and len(err.strip().splitlines()) == 1, (args, err)
        assert expected in err, (args, err)
    assert main(["lab", "xor", "--weights", str(good)]) == 2
    assert "belong to `nnviz lab xray`" in capsys.readouterr().err


def test_cli_prints_the_slides_numbers_and_writes_unrounded_json(tmp_path, capsys):
    path = tmp_path / "xor.toml"
    path.write_text(ISSUE_TOML)
    out_json = tmp_path / "xray.json"
    code, out, err = run_main(capsys, "--weights", str(path), "--input", "1,1", "--target", "1",
                              "--lr", "0.02", "--json", str(out_json))
    assert code == 0, err
    lines = out.splitlines()
    assert any(line.split() == ["1", "1", "relu", "2.00", "2.00"] for line in lines)
    assert any(line.split() == ["1", "2", "relu", "1.00", "1.00"] for line in lines)
    assert "output y = (0.00)" in out and "= 0.50" in out and "η = 0.02" in out
    data = json.loads(out_json.read_text())
    assert {"layers", "loss", "output"} <= set(data)
    network = read_weights_file(path)
    result = xray_pass(network, [1, 1], [1])
    assert data["loss"] == result.loss == 0.5 and data["output"] == [0.0]
    assert len(data["layers"]) == 2
    for entry, layer, p in zip(data["layers"], network.layers, result.layers):
        assert {"z", "a", "delta", "dW", "db"} <= set(entry)
        assert np.array(entry["dW"]).shape == layer.W.shape
        assert entry["z"] == p.z.tolist() and entry["a"] == p.a.tolist()
        assert entry["delta"] == p.delta.tolist() and entry["dW"] == p.dW.tolist() and entry["db"] == p.db.tolist()
    assert data["layers"][1]["dW"] == [[-2.0, -1.0]]  # δ = y − t = −1, a = (2, 1)
    assert data["update"]["learning_rate"] == 0.02 and data["update"]["loss"] < data["loss"]
    assert not list(tmp_path.glob(".xray.json.*"))  # the atomic write left no temporary file


def test_unrounded_json_values_and_forward_only_schema(tmp_path, capsys):
    preset = PRESETS["mazur"]
    path = tmp_path / "mazur.toml"
    path.write_text(network_to_toml(preset.network))
    out_json = tmp_path / "forward.json"
    code, out, _err = run_main(capsys, "--weights", str(path), "--input", "0.05,0.1", "--json", str(out_json))
    assert code == 0 and "no target given" in out
    data = json.loads(out_json.read_text())
    assert data["loss"] is None and data["target"] is None
    assert data["output"] == pytest.approx([0.75136507, 0.772928465], abs=1e-8)
    assert data["output"][0] != round(data["output"][0], 2)
    assert all("delta" not in layer for layer in data["layers"])


def test_lab_xray_without_a_file_prints_every_preset(capsys):
    assert main(["lab", "xray"]) == 0
    out = capsys.readouterr().out
    assert all(preset.title in out for preset in PRESETS.values())


def test_core_modules_do_not_import_qt():
    code = ("import sys, nnviz.core.lessons.xray, nnviz.core.lessons.xray_file, nnviz.core.lessons.xray_report, "
            "nnviz.cli.xray; assert 'PySide6' not in sys.modules, 'Qt imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


def test_headless_png_from_a_weights_file_without_a_display(tmp_path):
    import os

    (tmp_path / "xor.toml").write_text(ISSUE_TOML)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "new folder"
    process = subprocess.run([sys.executable, "-m", "nnviz", "lab", "xray", "--weights", str(tmp_path / "xor.toml"),
                              "--input", "1,1", "--target", "0", "--png", str(out)],
                             capture_output=True, text=True, env=env, timeout=120, check=False,
                             cwd=Path(__file__).resolve().parents[1])
    assert process.returncode == 0, process.stderr
    assert f"wrote {out / 'xray-xor.png'}" in process.stdout and "output y = (0.00)" in process.stdout
    assert (out / "xray-xor.png").stat().st_size > 10_000


def test_finite_weights_that_overflow_are_one_clear_error_not_infinity_in_the_json(tmp_path, capsys):
    network = make_network([[[1e308, 1e308]]], [[0.0]], ["linear"])
    with pytest.raises(XrayError, match="layer 1's weighted sums overflow"):
        xray_pass(network, [10, 10], [1])
    assert xray_pass(network, [0.1, 0.1]).output[0] == pytest.approx(2e307)  # large but finite: shown
    with pytest.raises(XrayError, match="the loss or its gradients overflow"):
        xray_pass(network, [0.1, 0.1], [1])  # ½(1 − 2e307)² = inf
    assert xray_pass(network, [0, 0], [1]).loss == 0.5  # huge weights times 0: no overflow
    xor = PRESETS["xor"]
    result = xray_pass(xor.network, xor.inputs, (1.0,))
    with pytest.raises(XrayError, match="the update with η = 1e\\+308 overflows"):
        updated(xor.network, result, 1e308)
    path = tmp_path / "huge.toml"
    path.write_text('[[layers]]\nW = [[1e308, 1e308]]\nb = [0]\nactivation = "linear"\n')
    out_json = tmp_path / "huge.json"
    code, out, err = run_main(capsys, "--weights", str(path), "--input", "10,10", "--target", "1",
                              "--json", str(out_json))
    assert code == 2 and out == "" and not out_json.exists()
    assert err.startswith("nnviz: error:") and len(err.strip().splitlines()) == 1 and "overflow" in err, err
    good = tmp_path / "xor.toml"
    good.write_text(ISSUE_TOML)
    code, out, err = run_main(capsys, "--weights", str(good), "--input", "1,1", "--target", "1", "--lr", "1e308",
                              "--json", str(out_json))
    assert code == 2 and "use a smaller learning rate" in err and len(err.strip().splitlines()) == 1, err
