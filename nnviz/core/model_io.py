"""Model files: ``.npz`` with arrays ``layers.<i>.<param>`` and the architecture as JSON.

No pickle anywhere: loading uses ``allow_pickle=False`` and checks every key and shape against
the stored architecture, so a malformed or mismatched file is refused with a readable reason.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nnviz.core.atomic import atomic_write
from nnviz.core.config import RunConfig
from nnviz.core.errors import ConfigError, ModelFileError
from nnviz.core.limits import MAX_MODEL_FILE_BYTES
from nnviz.core.network import Sequential
from nnviz.core.npy_check import UnsafeArrayFile, check_npz_file

FORMAT = "nnviz-model"
FORMAT_VERSION = 1


def save_model(path: str | Path, network: Sequential, config: RunConfig | None = None,
               class_names: list[str] | None = None) -> None:
    """Write ``network`` (and the run's config) to ``path`` atomically."""
    meta = {
        "format": FORMAT, "version": FORMAT_VERSION, "input_shape": list(network.input_shape),
        "layers": network.layer_specs, "config": config.to_dict() if config else None,
        "class_names": list(class_names or []),
    }
    arrays = {key: np.asarray(p) for key, p, _ in network.param_list}
    arrays["architecture"] = np.array(json.dumps(meta))
    atomic_write(Path(path), lambda handle: np.savez(handle, **arrays))


class LoadedModel:
    """A network read from a file, with the config and class names stored beside it."""

    def __init__(self, network: Sequential, config: RunConfig | None, class_names: list[str],
                 meta: dict[str, Any]) -> None:
        self.network, self.config, self.class_names, self.meta = network, config, class_names, meta


def load_model(path: str | Path) -> LoadedModel:
    """Read a model file; ModelFileError says what is wrong with it."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file {path} does not exist")
    try:
        check_npz_file(path, MAX_MODEL_FILE_BYTES)
    except UnsafeArrayFile as exc:
        raise ModelFileError(f"{path} is not a readable nnviz model (.npz) file: {exc}") from None
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise ModelFileError(f"model file {path} does not exist") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"{path} is not a readable nnviz model (.npz) file: {exc}") from None
    if "architecture" not in arrays:
        raise ModelFileError(f"{path} has no 'architecture' entry: not an nnviz model file")
    try:
        meta = json.loads(str(arrays.pop("architecture")))
    except RecursionError:
        raise ModelFileError(f"{path}: its architecture nests too deeply to be an nnviz model") from None
    except (json.JSONDecodeError, TypeError) as exc:
        raise ModelFileError(f"{path}: its architecture is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not an nnviz model file (format tag missing)")
    if meta.get("version") != FORMAT_VERSION:
        raise ModelFileError(f"{path}: model format version {meta.get('version')!r} is not supported")
    try:
        network = Sequential(meta["layers"], tuple(meta["input_shape"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: its architecture cannot be built ({exc})") from None
    expected = network.state_dict()
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise ModelFileError(f"{path}: parameters do not match the architecture "
                             f"(missing: {', '.join(missing) or 'none'}; unexpected: {', '.join(extra) or 'none'})")
    for key, target in expected.items():
        value = arrays[key]
        if value.shape != target.shape:
            raise ModelFileError(f"{path}: {key} has shape {value.shape}, the architecture needs {target.shape}")
        if not np.issubdtype(value.dtype, np.floating):
            raise ModelFileError(f"{path}: {key} has type {value.dtype}, expected floating point")
        if not np.all(np.isfinite(value)):
            raise ModelFileError(f"{path}: {key} contains NaN or infinite values (a diverged run?)")
        target[...] = value
    config = None
    if meta.get("config"):
        try:
            config = RunConfig.from_dict(meta["config"])
        except ConfigError as exc:
            raise ModelFileError(f"{path}: stored configuration is invalid ({exc})") from None
    return LoadedModel(network, config, list(meta.get("class_names") or []), meta)
