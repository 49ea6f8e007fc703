"""``nnviz train ... --png DIR`` on a machine without a display writes the window's panels as PNGs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def run_train(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run([sys.executable, "-m", "nnviz", "train", "--quiet", "--out", str(tmp_path / "run"), *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def read_png(path: Path) -> np.ndarray:
    import nnviz.ui  # noqa: F401  (refcount guard)
    from PySide6 import QtGui

    image = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_RGB32)
    assert not image.isNull(), f"{path} is not a PNG"
    bits = np.frombuffer(image.constBits(), dtype=np.uint8)
    pixels = bits.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4]
    return pixels.copy()  # the QImage is freed on return


def test_xor_mlp_writes_every_panel_without_a_display(tmp_path):
    out = tmp_path / "png"
    result = run_train(tmp_path, "--preset", "xor-mlp", "--epochs", "60", "--png", str(out), "--png-every", "30")
    assert result.returncode == 0, result.stderr[-2000:]
    names = sorted(p.name for p in out.glob("*.png"))
    final = ["activations.png", "confusion.png", "curves.png", "decision-boundary.png", "feature-maps.png",
             "filters.png"]
    assert [n for n in names if "epoch" not in n] == final
    assert "curves-epoch030.png" in names  # --png-every 30 (the final epoch 60 is the unsuffixed set)
    for name in final:
        pixels = read_png(out / name)
        assert pixels.shape[1] == 1920 * 4 and pixels.shape[0] == 1080, name  # a full-HD slide
        assert pixels.std() > 10, f"{name} is blank"


def test_nielsen_pngs_show_filters_and_confusion(tmp_path, shared_data_dir):
    from nnviz.core.presets import preset_config
    from nnviz.core.trainer import Trainer
    from nnviz.ui.headless_export import HeadlessExporter

    config = preset_config("nielsen").with_changes(**{"data.train_size": 1000, "data.val_size": 1000})
    trainer = Trainer(config, data_dir=str(shared_data_dir))
    trainer.step_epoch()
    written = HeadlessExporter(tmp_path).export(trainer)
    assert sorted(p.name for p in written) == ["activations.png", "confusion.png", "curves.png",
                                               "feature-maps.png", "filters.png"]  # no input plane for images
    for path in written:
        assert read_png(path).std() > 10, path.name


def test_unwritable_png_folder_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_train(tmp_path, "--preset", "xor-mlp", "--epochs", "2", "--png", str(blocker / "png"))
    assert result.returncode == 2
    assert "Could not create the PNG folder" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("preset", ["perceptron-blobs", "xor-hand"])
def test_headless_exporter_in_process(tmp_path, preset):
    from nnviz.core.presets import preset_config
    from nnviz.core.trainer import Trainer
    from nnviz.ui.headless_export import HeadlessExporter

    trainer = Trainer(preset_config(preset))
    trainer.step_epoch()
    written = HeadlessExporter(tmp_path, width=1280).export(trainer, suffix="-epoch001")
    assert {p.name for p in written} >= {"curves-epoch001.png", "decision-boundary-epoch001.png"}
    assert read_png(tmp_path / "filters-epoch001.png").shape == (720, 1280 * 4)
