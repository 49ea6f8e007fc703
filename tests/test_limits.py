"""Hostile inputs on the command line: each ends in one line on stderr, exit 2, fast and small.

Every case runs ``nnviz.cli.main`` in one child process (interpreter start-up paid once) that
measures each call's time and its peak Python/NumPy allocation (tracemalloc) and caps its address
space, so a regression ends in a MemoryError instead of taking gigabytes. Declared sizes in
the files below are huge; the files themselves are small (or sparse).
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
MB = 1024 * 1024

CHILD = r"""
import io, json, resource, sys, time, tracemalloc
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # 3 GiB: a regression fails, not swaps
import nnviz.cli, nnviz.core.trainer, nnviz.core.model_io, nnviz.core.run_folder, nnviz.core.data.downloads
import nnviz.cli.sweep, nnviz.core.run_folder, nnviz.cli.data, nnviz.core.lessons.parameters
import scipy.special  # (imported by the first network built: its import time is not what is measured)
cases = json.loads(sys.stdin.read())
results = {}
for name, argv in cases.items():
    err, real = io.StringIO(), sys.stderr
    sys.stderr = err
    tracemalloc.start()
    start = time.perf_counter()
    try:
        code = nnviz.cli.main(argv)
    except BaseException as exc:  # a crash: reported, not hidden
        code = f"{type(exc).__name__}: {exc}"[:300]
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    sys.stderr = real
    results[name] = {"code": code, "stderr": err.getvalue(), "seconds": seconds, "peak": peak,
                     "qt": any(m.startswith("PySide6") for m in sys.modules)}
print(json.dumps(results))
"""


def idx_header(type_code: int, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)


def write_mnist(folder: Path, *, train_images: bytes | None = None, test_images: bytes | None = None,
                name: str = "train-images-idx3-ubyte.gz") -> Path:
    """A tiny valid MNIST (20 train, 10 test) in ``folder/mnist``; hostile files replace parts."""
    mnist = folder / "mnist"
    mnist.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 20), ("t10k", 10)):
        images = idx_header(8, (n, 28, 28)) + rng.integers(0, 256, n * 784, dtype=np.uint8).tobytes()
        labels = idx_header(8, (n,)) + (np.arange(n) % 10).astype(np.uint8).tobytes()
        (mnist / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(images, 1))
        (mnist / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels, 1))
    if train_images is not None:
        (mnist / "train-images-idx3-ubyte.gz").unlink()
        (mnist / name).write_bytes(train_images)
    if test_images is not None:
        (mnist / "t10k-images-idx3-ubyte.gz").write_bytes(test_images)
    return folder


def npz_bytes(members: dict[str, bytes]) -> bytes:
    path_free = __import__("io").BytesIO()
    with zipfile.ZipFile(path_free, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path_free.getvalue()


def npy_header(descr: str, shape: tuple[int, ...]) -> bytes:
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def zip_bomb_npz(path: Path) -> None:
    """A real small .npz whose central directory says its member inflates to about 4 GB."""
    data = bytearray(npz_bytes({"architecture.npy": npy_header("<U2", ()) + "{}".encode("utf-32-le")}))
    offset = data.rfind(b"PK\x01\x02")  # the member's central-directory entry
    data[offset + 24:offset + 28] = struct.pack("<I", 0xFFFFFFF0)  # uncompressed size
    path.write_bytes(bytes(data))


def model_meta(units: int) -> bytes:
    meta = json.dumps({"format": "nnviz-model", "version": 1, "input_shape": [784],
                       "layers": [{"type": "dense", "units": units}], "config": None, "class_names": []})
    array = np.array(meta)
    buffer = __import__("io").BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("hostile")
    good = write_mnist(root / "good")
    # Data files that declare far more than they hold.
    huge_header = write_mnist(root / "huge-header", train_images=gzip.compress(idx_header(8, (60000, 100000, 100000))))
    small_member = gzip.compress(idx_header(8, (10, 28, 28)) + bytes(7840))
    gigabyte = small_member + gzip.compress(bytes(MB)) * 1024  # more gzip members: 1 GiB of zeros
    bomb = write_mnist(root / "bomb", train_images=gigabyte)
    sparse = write_mnist(root / "sparse")
    raw = sparse / "mnist" / "train-images-idx3-ubyte"
    (sparse / "mnist" / "train-images-idx3-ubyte.gz").unlink()
    with open(raw, "wb") as handle:
        handle.write(idx_header(8, (60000, 28, 28)))
        handle.truncate(8 << 30)  # 8 GiB, sparse
    sparse_exact = write_mnist(root / "sparse-exact")
    (sparse_exact / "mnist" / "train-images-idx3-ubyte.gz").unlink()
    with open(sparse_exact / "mnist" / "train-images-idx3-ubyte", "wb") as handle:
        handle.write(idx_header(8, (2, 65536, 65536)))
        handle.truncate(16 + (8 << 30))  # exactly what the header declares: 8 GiB
    empty_images = write_mnist(root / "zero", train_images=gzip.compress(idx_header(8, (20, 0, 0))),
                               test_images=gzip.compress(idx_header(8, (10, 0, 0))))
    mnist_c = root / "mnist-c-data" / "mnist-c" / "shot_noise"
    mnist_c.mkdir(parents=True)
    for split, n in (("train", 20), ("test", 10)):
        np.save(mnist_c / f"{split}_images.npy", np.zeros((n, 28, 28), np.uint8))
        np.save(mnist_c / f"{split}_labels.npy", np.arange(n) % 10)
    (mnist_c / "train_images.npy").write_bytes(npy_header("|u1", (10**6, 10**6, 28)) + bytes(64))

    # Model files.
    np.save(root / "plain.npy", np.zeros((3, 3), np.float32))
    zip_bomb_npz(root / "bomb.npz")
    (root / "big-shape.npz").write_bytes(npz_bytes({"architecture.npy": model_meta(30),
                                                    "layers.0.W.npy": npy_header("<f4", (10**5, 10**5)) + bytes(64)}))
    (root / "big-units.npz").write_bytes(npz_bytes({"architecture.npy": model_meta(10**9)}))

    # Configs.
    def config(name: str, text: str) -> str:
        (root / name).write_text(text)
        return str(root / name)

    configs = {
        "config-1e9": config("big.toml", "[model]\nhidden = [1000000000]\n"),
        "config-fraction": config("frac.json", '{"model": {"hidden": [1.5]}}'),
        "config-negative": config("neg.toml", "[model]\nhidden = [-3]\n"),
        "config-zero": config("zero.toml", "[model]\nhidden = [0]\n"),
        "config-true": config("true.toml", "[model]\nhidden = [true]\n"),
        "config-output-fraction": config("out.json", '{"model": {"output_units": 2.5}}'),
        "config-deep-toml": config("deep.toml", "[model]\nhidden = " + "[" * 5000 + "]" * 5000 + "\n"),
        "config-deep-json": config("deep.json", '{"model": {"hidden": ' + "[" * 100000 + "]" * 100000 + "}}"),
        "config-deep-weights": config("weights.toml", '[model.initial_weights]\n"layers.0.W" = '
                                      + "[" * 400 + "]" * 400 + "\n"),
        "config-wrong-outputs": config("outputs.toml", "[data]\nval_size = 5\n[model]\noutput_units = 3\n"),
        "config-wrong-layers": config("layers.toml", '[data]\nval_size = 5\n[model]\nlayers = [{type = "flatten"}, '
                                      '{type = "dense", units = 7}]\n'),
    }
    run = root / "runs" / "huge-field"
    run.mkdir(parents=True)
    (run / "config.toml").write_text("")
    (run / "metrics.json").write_text('{"state": "finished"}')
    (run / "metrics.csv").write_text("epoch,train_loss\n1," + "9" * 200_000 + "\n")
    a_file = root / "a-file"
    a_file.write_text("not a folder")

    train = ["train", "--quiet", "--epochs", "1"]
    cases = {
        "idx-huge-header": [*train, "--data-dir", str(huge_header)],
        "idx-gzip-bomb": [*train, "--data-dir", str(bomb)],
        "idx-sparse-8gib": [*train, "--data-dir", str(sparse)],
        "idx-sparse-8gib-declared": [*train, "--data-dir", str(sparse_exact)],
        "idx-zero-size-images": [*train, "--data-dir", str(empty_images)],
        "npy-huge-header": [*train, "--data", "mnist-c/shot_noise", "--data-dir", str(root / "mnist-c-data")],
        "cli-hidden-1e9": [*train, "--data-dir", str(good), "--hidden", "1000000000"],
        "info-sizes-1e9": ["info", "--sizes", "784,1000000000,10"],
        "info-sizes-zero": ["info", "--sizes", "784,0,10"],
        "info-hidden-1e9": ["info", "--hidden", "1000000000"],
        "model-plain-npy": ["evaluate", "--model", str(root / "plain.npy")],
        "model-zip-bomb": ["evaluate", "--model", str(root / "bomb.npz")],
        "model-npy-huge-shape": ["evaluate", "--model", str(root / "big-shape.npz")],
        "model-units-1e9": ["evaluate", "--model", str(root / "big-units.npz")],
        "timeout-inf": ["data", "fetch", "mnist", "--timeout", "inf"],
        "timeout-nan": ["data", "fetch", "mnist", "--timeout", "nan"],
        "compare-huge-field": ["compare", str(run)],
        "gui-unknown-preset": ["gui", "--preset", "nope"],
        "out-is-a-file": [*train, "--data-dir", str(good), "--out", str(a_file)],
        "png-under-a-file": [*train, "--data-dir", str(good), "--out", str(root / "o"), "--png", str(a_file / "png")],
        **{name: [*train, "--config", path, "--data-dir", str(good)] for name, path in configs.items()},
    }
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1", "NNVIZ_CACHE_DIR": str(root / "cache"),
           "QT_QPA_PLATFORM": "offscreen"}
    env.pop("NNVIZ_DATA_DIR", None)
    result = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(cases), capture_output=True, text=True,
                            env=env, cwd=root, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


EXPECTED = {
    "idx-huge-header": "declares 60000 x 100000 x 100000 pixel values",
    "idx-gzip-bomb": "trailing bytes",
    "idx-sparse-8gib": "trailing bytes",
    "idx-sparse-8gib-declared": "more than nnviz reads from one file",
    "idx-zero-size-images": "images are 0x0 pixels",
    "npy-huge-header": "declares an array of shape (1000000, 1000000, 28)",
    "cli-hidden-1e9": "model.hidden = [1000000000] is invalid",
    "info-sizes-1e9": "1,000,000,000 is more than nnviz allows",
    "info-sizes-zero": "layer sizes must be positive",
    "info-hidden-1e9": "model.hidden = [1000000000] is invalid",
    "model-plain-npy": "a single .npy array, not an .npz archive",
    "model-zip-bomb": "would inflate to 4.3 GB",
    "model-npy-huge-shape": "declares an array of shape (100000, 100000)",
    "model-units-1e9": "1,000,000,000 is more than nnviz allows",
    "timeout-inf": "--timeout must be positive, got inf",
    "timeout-nan": "--timeout must be positive, got nan",
    "compare-huge-field": "field larger than field limit",
    "gui-unknown-preset": "unknown preset 'nope'",
    "out-is-a-file": "--out",
    "png-under-a-file": "Could not create the PNG folder",
    "config-1e9": "model.hidden = [1000000000] is invalid",
    "config-fraction": "model.hidden = [1.5] is invalid",
    "config-negative": "model.hidden = [-3] is invalid",
    "config-zero": "model.hidden = [0] is invalid",
    "config-true": "model.hidden = [True] is invalid",
    "config-output-fraction": "model.output_units must be an integer, got 2.5",
    "config-deep-toml": "nests lists or tables too deeply",
    "config-deep-json": "nests lists or tables too deeply",
    "config-deep-weights": "model.initial_weights",
    "config-wrong-outputs": "the network has 3 output units but the data set has 10 classes",
    "config-wrong-layers": "the network has 7 output units but the data set has 10 classes",
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_hostile_input_is_one_line_fast_and_small(outcomes: dict[str, dict], case: str) -> None:
    outcome = outcomes[case]
    lines = outcome["stderr"].strip().splitlines()
    assert outcome["code"] == 2, outcome
    assert "Traceback" not in outcome["stderr"]
    assert all(line.startswith("nnviz:") for line in lines), lines
    if case != "compare-huge-field":  # (compare also names the folder it skipped, on a line of its own)
        assert len(lines) == 1, lines
    assert EXPECTED[case] in outcome["stderr"], outcome["stderr"]
    assert outcome["seconds"] < 1.0, outcome
    assert outcome["peak"] < 8 * MB, outcome
    assert not outcome["qt"]  # nothing here needs the window: gui --preset nope fails before Qt


def test_every_case_is_checked(outcomes: dict[str, dict]) -> None:
    assert set(outcomes) == set(EXPECTED)


def test_unsearchable_data_folder_is_one_line(tmp_path: Path) -> None:
    """A data folder the user may not enter (PermissionError on every file test) is named, not a crash.

    Root enters any folder, so as root the child runs without the capabilities that allow it."""
    import shutil

    prefix: list[str] = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: permissions cannot be enforced")
        drop = "-dac_override,-dac_read_search"
        prefix = ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}"]
    data = write_mnist(tmp_path / "data")
    (data / "mnist").chmod(0o000)
    env = {**os.environ, "PYTHONPATH": str(REPO), "NNVIZ_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("NNVIZ_DATA_DIR", None)
    try:
        result = subprocess.run([*prefix, sys.executable, "-m", "nnviz", "train", "--quiet", "--data-dir", str(data),
                                 "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=60)
    finally:
        (data / "mnist").chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "cannot look inside: Permission denied" in result.stderr
