"""Sequential, parameter counts, the lectures' XOR network, conv shapes, model files."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from nnviz.core.conv import Conv2D, conv_output_size
from nnviz.core.errors import ModelFileError
from nnviz.core.lessons.parameters import fully_connected_specs
from nnviz.core.model_io import load_model, save_model
from nnviz.core.models import build_network
from nnviz.core.network import Sequential
from nnviz.core.presets import preset_config
from nnviz.core.data.toy import make_toy
from nnviz.core.trainer import Trainer


def fully_connected(sizes: list[int]) -> Sequential:
    return Sequential(fully_connected_specs(tuple(sizes)), (sizes[0],))


def test_parameter_counts_of_the_slides_networks():
    net = fully_connected([3, 5, 4, 5, 2])
    rows = net.layer_counts()
    assert sum(r.neurons for r in rows) == 16
    assert sum(r.weights for r in rows) == 65
    assert sum(r.biases for r in rows) == 16
    # The slide prints 82, but its own figures add to 65 + 16 = 81 (README explains).
    assert net.n_params == 81
    assert fully_connected([784, 30, 10]).n_params == 30 * 784 + 10 * 30 + 30 + 10 == 23860


def test_nielsen_preset_network_has_23860_parameters():
    config = preset_config("nielsen")
    net = build_network(config.model, (1, 28, 28), 10, np.random.default_rng(0))
    assert net.n_params == 23860
    assert [layer.kind for layer in net.layers] == ["flatten", "dense", "sigmoid", "dense", "sigmoid"]


def test_xor_hand_gives_the_slides_numbers():
    trainer = Trainer(preset_config("xor-hand"))
    x, y = trainer.dataset.split("train")
    np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    taps = dict(trainer.network.forward_with_taps(x))
    np.testing.assert_array_equal(taps["dense_1"], [[0, -1], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal(taps["relu_1"], [[0, 0], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal(taps["dense_2"][:, 0], [0, 1, 1, 0])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])


@pytest.mark.parametrize("size", [28, 27, 7])
@pytest.mark.parametrize("kernel", [1, 3, 5, 9])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv_output_shapes(size, kernel, stride, padding):
    if padding == "valid" and kernel > size:
        return
    layer = Conv2D(4, kernel_size=kernel, stride=stride, padding=padding)
    layer.build((2, size, size), np.random.default_rng(0), np.float32)
    out = layer.forward(np.zeros((3, 2, size, size), dtype=np.float32))
    expected = -(-size // stride) if padding == "same" else (size - kernel) // stride + 1
    assert out.shape == (3, 4, expected, expected)
    assert layer.output_shape == (4, expected, expected)
    assert conv_output_size(size, kernel, stride, padding) == expected


def test_conv_matches_a_direct_loop():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    layer = Conv2D(4, kernel_size=3, stride=2, padding="valid")
    layer.build((3, 6, 7), rng, np.float32)
    w, b = layer.params["W"], layer.params["b"]
    out = layer.forward(x)
    for n in range(2):
        for f in range(4):
            for i in range(out.shape[2]):
                for j in range(out.shape[3]):
                    patch = x[n, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
                    assert out[n, f, i, j] == pytest.approx(float(np.sum(patch * w[f]) + b[f]), abs=1e-5)


def test_training_runs_in_float32():
    trainer = Trainer(preset_config("xor-mlp"))
    trainer.step_batch()
    assert all(p.dtype == np.float32 for _, p, _ in trainer.network.param_list)


def test_save_then_load_gives_identical_predictions(tmp_path):
    trainer = Trainer(preset_config("xor-mlp"))
    trainer.run()
    path = tmp_path / "model.npz"
    save_model(path, trainer.network, trainer.config, trainer.dataset.class_names)
    loaded = load_model(path)
    x, _ = make_toy("xor-cloud", n_samples=100, seed=3)
    np.testing.assert_array_equal(loaded.network.predict(x), trainer.network.predict(x))
    assert loaded.config.preset == "xor-mlp"
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary left behind


def _write_npz(path, **arrays):
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def _meta(**changes):
    meta = {"format": "nnviz-model", "version": 1, "input_shape": [2],
            "layers": [{"type": "dense", "units": 1}], "config": None, "class_names": []}
    meta.update(changes)
    return np.array(json.dumps(meta))


@pytest.mark.parametrize("case,message", [
    ("not-a-zip", "not a readable nnviz model"),
    ("no-architecture", "no 'architecture' entry"),
    ("bad-json", "not valid JSON"),
    ("wrong-format", "not an nnviz model file"),
    ("bad-layer", "cannot be built"),
    ("missing-param", "missing: layers.0.b"),
    ("wrong-shape", "has shape (3, 1)"),
    ("nan", "NaN or infinite"),
    ("object-array", "not a readable nnviz model"),
    ("missing-file", "does not exist"),
])
def test_malformed_model_files_are_refused_clearly(tmp_path, case, message):
    path = tmp_path / "model.npz"
    w, b = np.zeros((2, 1), np.float32), np.zeros(1, np.float32)
    if case == "not-a-zip":
        path.write_bytes(b"this is not a zip file")
    elif case == "no-architecture":
        _write_npz(path, **{"layers.0.W": w, "layers.0.b": b})
    elif case == "bad-json":
        _write_npz(path, architecture=np.array("{oops"), **{"layers.0.W": w, "layers.0.b": b})
    elif case == "wrong-format":
        _write_npz(path, architecture=_meta(format="other"), **{"layers.0.W": w, "layers.0.b": b})
    elif case == "bad-layer":
        _write_npz(path, architecture=_meta(layers=[{"type": "teleport"}]))
    elif case == "missing-param":
        _write_npz(path, architecture=_meta(), **{"layers.0.W": w})
    elif case == "wrong-shape":
        _write_npz(path, architecture=_meta(), **{"layers.0.W": np.zeros((3, 1)), "layers.0.b": b})
    elif case == "nan":
        _write_npz(path, architecture=_meta(), **{"layers.0.W": w * np.nan, "layers.0.b": b})
    elif case == "object-array":
        _write_npz(path, architecture=_meta(), **{"layers.0.W": np.array([{"a": 1}], dtype=object),
                                                  "layers.0.b": b})
    with pytest.raises(ModelFileError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_core_never_imports_qt():
    code = ("import sys, pkgutil, importlib, nnviz.core as c, nnviz.sweep as s\n"
            "for m in [*pkgutil.walk_packages(c.__path__, 'nnviz.core.'), *pkgutil.walk_packages(s.__path__, 'nnviz.sweep.')]:\n"
            "    importlib.import_module(m.name)\n"
            "import nnviz.cli\n"
            "assert not any(k.startswith('PySide6') or k.startswith('pyqtgraph') for k in sys.modules), 'Qt'\n")
    subprocess.run([sys.executable, "-c", code], check=True)
