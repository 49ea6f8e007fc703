"""What the window remembers between lectures (QSettings, an INI file in the user's config folder)
and the run it opens with."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass

from PySide6 import QtCore

from nnviz.core.config import RunConfig
from nnviz.core.data.loading import dataset_status
from nnviz.core.errors import NnvizError
from nnviz.core.limits import MAX_TEXT_FILE_BYTES
from nnviz.core.presets import get_preset, preset_config

ORGANISATION = "nnviz"
APPLICATION = "nnviz"
SETTINGS_NOTE = "the window's settings file"
log = logging.getLogger(__name__)


def default_settings() -> QtCore.QSettings:
    """~/.config/nnviz/nnviz.ini on Linux; tests pass their own QSettings instead."""
    return QtCore.QSettings(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                            ORGANISATION, APPLICATION)


def default_config(data_dir: str | None) -> RunConfig:
    """nielsen on MNIST if present, else on Fashion-MNIST, else the 2-D XOR network."""
    if dataset_status("mnist", data_dir):
        return preset_config("nielsen")
    if dataset_status("fashion-mnist", data_dir):
        return preset_config("nielsen").with_changes(**{"data.name": "fashion-mnist"})
    return preset_config("xor-mlp")


@dataclass(frozen=True)
class StartRun:
    """The run the window opens with. When the data of the run the user chose is missing, the window
    opens a fallback instead and ``missing`` / ``wanted`` say what to offer; the fallback is never
    saved as the user's choice."""

    config: RunConfig
    missing: str | None = None  # the data set the chosen run needs and that is not here
    wanted: RunConfig | None = None  # that run, to load once its data is here


def initial_config(settings: QtCore.QSettings, data_dir: str | None, preset: str | None) -> RunConfig:
    """The config the window opens with (see :func:`start_run` for what is missing)."""
    return start_run(settings, data_dir, preset).config


def start_run(settings: QtCore.QSettings, data_dir: str | None, preset: str | None) -> StartRun:
    """An explicit preset wins; then the last run's settings; then nielsen on MNIST. If that run's
    data is not here, a fallback (see :func:`default_config`) opens and the choice stays as it was."""
    wanted = get_preset(preset).config() if preset else saved_config(settings) or preset_config("nielsen")
    try:
        present = dataset_status(wanted.data.name, data_dir) is not None
    except NnvizError:  # a data set this version does not know: start afresh
        return StartRun(default_config(data_dir))
    if present:
        return StartRun(wanted)
    return StartRun(default_config(data_dir), missing=wanted.data.name, wanted=wanted)


def saved_config(settings: QtCore.QSettings) -> RunConfig | None:
    saved = settings.value("run/config", "")
    if not saved:
        return None
    try:
        if not isinstance(saved, str) or len(saved) > MAX_TEXT_FILE_BYTES:
            raise TypeError("not a run configuration")
        return RunConfig.from_dict(json.loads(saved))
    except (ValueError, NnvizError, TypeError, RecursionError) as exc:
        _ignored("run/config", saved, f"a run configuration ({exc})")  # another version's, or damaged
        return None


def save_config(settings: QtCore.QSettings, config: RunConfig) -> None:
    settings.setValue("run/config", json.dumps(config.to_dict()))


def saved_data_dir(settings: QtCore.QSettings) -> str | None:
    """The data folder chosen in the window (File → data folder), if any."""
    value = read_text(settings, "data/dir", "")
    return value or None


def save_data_dir(settings: QtCore.QSettings, folder: str) -> None:
    settings.setValue("data/dir", folder)


def _ignored(key: str, value: object, expected: str) -> None:
    """A saved value the window cannot use: say so in the log once, and carry on with the default."""
    shown = repr(value)
    log.warning("ignoring the saved setting %s = %s in %s: expected %s", key,
                shown if len(shown) <= 80 else shown[:77] + "...", SETTINGS_NOTE, expected)


def read_float(settings: QtCore.QSettings, key: str, default: float, low: float = -math.inf,
               high: float = math.inf) -> float:
    """A number in [low, high]; anything else (garbage, NaN, out of range) gives ``default``."""
    raw = settings.value(key, default)
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if math.isfinite(value) and low <= value <= high:
        return value
    _ignored(key, raw, f"a number from {low:g} to {high:g}")
    return default


def read_index(settings: QtCore.QSettings, key: str, count: int, default: int = 0) -> int:
    """An index into a list of ``count`` choices (a combo box's), else ``default``."""
    raw = settings.value(key, default)
    text = str(raw).strip()
    if text.isdigit() and int(text) < count:
        return int(text)
    _ignored(key, raw, f"a whole number from 0 to {count - 1}")
    return default


def read_text(settings: QtCore.QSettings, key: str, default: str = "") -> str:
    """A string setting (a folder); QSettings turns "a,b" into a list, which is no folder."""
    raw = settings.value(key, default)
    if raw is None or raw == "":
        return default
    if isinstance(raw, str) and len(raw) <= 4096 and "\0" not in raw:
        return raw
    _ignored(key, raw, "a folder name")
    return default


def read_bool(settings: QtCore.QSettings, key: str, default: bool) -> bool:
    value = settings.value(key, default)
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "1", "yes", "false", "0", "no"):
        return text in ("true", "1", "yes")
    _ignored(key, value, "true or false")
    return default


def read_bytes(settings: QtCore.QSettings, key: str) -> QtCore.QByteArray | None:
    """Saved window geometry or dock state: a QByteArray, else None (nothing to restore)."""
    raw = settings.value(key)
    if raw is None or isinstance(raw, QtCore.QByteArray):
        return raw
    _ignored(key, raw, "saved window layout data")
    return None
