"""Fuzzing the readers and the config parser with hypothesis.

Whatever the bytes, each reader either succeeds or raises nnviz's one-line error (`NnvizError`):
never another exception, and never a large allocation (tracemalloc's peak is checked per example,
so a header declaring terabytes must be refused before NumPy is asked for them).
"""

from __future__ import annotations

import gzip
import io
import json
import math
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnviz.core.config import RunConfig, load_config
from nnviz.core.errors import NnvizError
from nnviz.core.limits import GZIP_MAX_RATIO
from nnviz.core.data.idx import load_idx_pair, read_idx
from nnviz.core.model_io import load_model, save_model
from nnviz.core.network import Sequential
from nnviz.core.run_folder import load_run

# Derandomized: the suite is a gate, so each run tries the same examples (a new failure is found by
# raising max_examples locally, not by chance in CI); no deadline, since a busy CI box is slow, not wrong.
FUZZ = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
PEAK_LIMIT = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def outcome(read, *args, room: int = 0):
    """Call the reader; return its result or the NnvizError, and check its peak allocation.

    ``room``: what the input can honestly hold beyond PEAK_LIMIT (a gzip file inflates up to
    GZIP_MAX_RATIO times its size, and reading what is really there is no bomb).

    tracemalloc runs only around the call: tracing hypothesis' own work would triple its time."""
    tracemalloc.start()
    try:
        result = read(*args)
    except NnvizError as exc:
        result = exc
        assert "\n" not in str(exc)  # one line
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < PEAK_LIMIT + room, f"{read.__name__} took {peak:,} bytes"
    return result


# --- IDX ---------------------------------------------------------------------------------------
hostile_dims = st.one_of(st.integers(0, 12), st.sampled_from([2**16, 2**31 - 1, 2**32 - 1]), st.integers(0, 2**32 - 1))


@st.composite
def idx_files(draw) -> bytes:
    """Mostly well-formed headers with hostile sizes, payload lengths that fit or do not, gzip or raw."""
    type_code = draw(st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0x07, 0xFF]))
    ndim = draw(st.integers(0, 6))
    dims = draw(st.lists(hostile_dims, min_size=max(0, ndim - 1), max_size=ndim + 1))
    head = bytes([0, 0, type_code, ndim]) + b"".join(struct.pack(">I", d) for d in dims)
    if draw(st.booleans()):
        head = draw(st.binary(max_size=4)) + head[draw(st.integers(0, 4)):]  # a damaged magic number
    payload = draw(st.binary(max_size=64)) * draw(st.integers(0, 40))
    data = head + payload
    kind = draw(st.sampled_from(["raw", "gzip", "gzip-cut", "gzip-bomb", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "raw":
        return data
    packed = gzip.compress(data, 1)
    if kind == "gzip-cut":
        return packed[: draw(st.integers(0, len(packed)))]
    if kind == "gzip-bomb":  # the header and then far more than it declares, as more gzip members
        return packed + gzip.compress(bytes(1 << 20), 1) * draw(st.integers(1, 16))
    return packed


def can_hold(data: bytes) -> int:
    """The most bytes a file can truly deliver: its length, or what deflate can make of it."""
    return len(data) * GZIP_MAX_RATIO if data[:2] == b"\x1f\x8b" else len(data)


@settings(FUZZ, max_examples=600)
@given(data=idx_files())
def test_idx_reader_fuzz(work: Path, data: bytes) -> None:
    path = work / "file-idx3-ubyte"
    path.write_bytes(data)
    result = outcome(read_idx, path, room=can_hold(data))
    if isinstance(result, np.ndarray):
        assert result.nbytes <= len(data) or data[:2] == b"\x1f\x8b"


@settings(FUZZ, max_examples=150)
@given(images=idx_files(), labels=idx_files())
def test_idx_pair_fuzz(work: Path, images: bytes, labels: bytes) -> None:
    (work / "images").write_bytes(images)
    (work / "labels").write_bytes(labels)
    result = outcome(load_idx_pair, work / "images", work / "labels", room=can_hold(images) + can_hold(labels))
    if not isinstance(result, NnvizError):
        assert result[0].shape[0] == result[1].shape[0]


# --- config ------------------------------------------------------------------------------------
FIELDS = {
    "data": ["name", "train_size", "val_size", "test_size", "n_samples", "noise", "augment_shift", "other"],
    "model": ["kind", "hidden", "activation", "output_activation", "loss", "init", "init_std", "output_units",
              "dropout", "conv_filters", "kernel_size", "conv_stride", "padding", "pool", "layers",
              "initial_weights", "bias_init", "other"],
    "optimizer": ["name", "learning_rate", "momentum", "weight_decay", "lr_decay"],
    "training": ["batch_size", "epochs", "iterations", "seed", "shuffle"],
}
scalars = st.one_of(st.booleans(), st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, 1, 30, 10**9, -1]),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                    st.sampled_from(["mnist", "xor", "sigmoid", "relu", "cross-entropy", "sgd", "cnn", "dense"]))
toml_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                           st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=10)


@st.composite
def config_tables(draw) -> dict:
    table: dict = {}
    for section, keys in FIELDS.items():
        if draw(st.booleans()):
            chosen = draw(st.lists(st.sampled_from(keys), max_size=3, unique=True))
            table[section] = {key: draw(toml_values) for key in chosen}
    if draw(st.booleans()):
        table[draw(st.sampled_from(["preset", "schema_version", "extra"]))] = draw(toml_values)
    return table


def _load_text(path: Path, text: str) -> RunConfig | NnvizError:
    path.write_text(text, encoding="utf-8")
    return outcome(load_config, path)


@FUZZ
@given(table=config_tables(), as_json=st.booleans())
def test_config_fuzz(work: Path, table: dict, as_json: bool) -> None:
    if as_json:
        text = json.dumps(table, allow_nan=True)
    else:
        try:
            text = tomli_w.dumps(table)
        except (TypeError, ValueError):  # not expressible in TOML: JSON then
            text, as_json = json.dumps(table, allow_nan=True), True
    result = _load_text(work / ("config.json" if as_json else "config.toml"), text)
    if isinstance(result, RunConfig):
        again = RunConfig.from_dict(json.loads(json.dumps(result.to_dict())))  # what is accepted round-trips
        assert again == result
        assert all(isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= 100_000 for h in result.model.hidden)


@FUZZ
@given(text=st.one_of(st.text(max_size=400),
                      st.integers(1, 3000).map(lambda n: "[model]\nhidden = " + "[" * n + "]" * n + "\n"),
                      st.integers(1, 3000).map(lambda n: '{"model": ' + "{\"a\": " * n + "1" + "}" * n + "}")))
def test_config_text_fuzz(work: Path, text: str) -> None:
    result = _load_text(work / ("c.json" if text.startswith("{") else "c.toml"), text)
    assert isinstance(result, (RunConfig, NnvizError))


# --- networks and model files ------------------------------------------------------------------
sizes = st.one_of(st.integers(1, 16), st.sampled_from([0, -1, 10**9, 10**18, 2**63, 1.5, True, "8", None]))


@FUZZ
@given(shape=st.lists(sizes, min_size=1, max_size=3), units=st.lists(sizes, min_size=1, max_size=4),
       conv=st.booleans())
def test_network_spec_fuzz(shape: list, units: list, conv: bool) -> None:
    specs: list[dict] = [{"type": "conv2d", "filters": units[0], "kernel_size": 3}, {"type": "flatten"}] if conv else []
    specs += [{"type": "dense", "units": u} for u in units]

    def build() -> Sequential:
        try:
            return Sequential(specs, tuple(shape))
        except ValueError as exc:  # build_network and load_model turn this into a one-line NnvizError
            raise NnvizError(str(exc)) from None

    result = outcome(build)
    if isinstance(result, Sequential):
        assert result.n_params <= 25_000_000


@pytest.fixture(scope="module")
def good_model(work: Path) -> bytes:
    from nnviz.core.presets import preset_config
    from nnviz.core.trainer import Trainer

    trainer = Trainer(preset_config("xor-mlp"))
    save_model(work / "good.npz", trainer.network, trainer.config, trainer.dataset.class_names)
    return (work / "good.npz").read_bytes()


@settings(FUZZ, max_examples=400)
@given(edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6),
       cut=st.one_of(st.none(), st.integers(0, 10**6)))
def test_model_file_fuzz(work: Path, good_model: bytes, edits: list, cut: int | None) -> None:
    data = bytearray(good_model)
    for position, value in edits:
        data[position % len(data)] = value
    if cut is not None:
        del data[cut % (len(data) + 1):]
    (work / "model.npz").write_bytes(bytes(data))
    outcome(load_model, work / "model.npz")


@st.composite
def npy_members(draw) -> bytes:
    shape = tuple(draw(st.lists(st.one_of(st.integers(0, 8), st.integers(0, 2**62)), max_size=4)))
    descr = draw(st.sampled_from(["<f4", "<f8", "|u1", "|O", "<U4", "V8", "<c16"]))
    header = repr({"descr": descr, "fortran_order": draw(st.booleans()), "shape": shape})
    if draw(st.booleans()):
        header = draw(st.text(max_size=80))
    encoded = header.encode("latin1", "replace") + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(encoded)) + encoded + draw(st.binary(max_size=128))


@settings(FUZZ, max_examples=400)
@given(members=st.dictionaries(st.sampled_from(["architecture.npy", "layers.0.W.npy", "layers.0.b.npy", "x"]),
                               npy_members(), max_size=3))
def test_npz_member_fuzz(work: Path, members: dict) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    (work / "members.npz").write_bytes(buffer.getvalue())
    outcome(load_model, work / "members.npz")


# --- run folders -------------------------------------------------------------------------------
@settings(FUZZ, max_examples=150)
@given(csv_text=st.one_of(st.text(max_size=300), st.integers(1, 300_000).map(lambda n: "epoch,x\n1," + "9" * n)),
       metrics=st.one_of(st.text(max_size=100), st.integers(1, 5000).map(lambda n: "[" * n + "]" * n)))
def test_run_folder_fuzz(work: Path, csv_text: str, metrics: str) -> None:
    folder = work / "run"
    folder.mkdir(exist_ok=True)
    (folder / "config.toml").write_text("")
    (folder / "metrics.csv").write_text(csv_text)
    (folder / "metrics.json").write_text(metrics)
    result = outcome(load_run, folder)
    if not isinstance(result, NnvizError):
        assert all(np.all(np.isnan(v) | np.isfinite(v) | np.isinf(v)) for v in result.curves.values())
        assert math.isnan(result.seconds) or isinstance(result.seconds, float)
