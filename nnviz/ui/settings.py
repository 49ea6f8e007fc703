"""What the window remembers between lectures (QSettings, an INI file in the user's config folder)
and the run it opens with."""

from __future__ import annotations

import json
from dataclasses import dataclass

from PySide6 import QtCore

from nnviz.core.config import RunConfig
from nnviz.core.data.loading import dataset_status
from nnviz.core.errors import NnvizError
from nnviz.core.presets import get_preset, preset_config

ORGANISATION = "nnviz"
APPLICATION = "nnviz"


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
        return RunConfig.from_dict(json.loads(saved))
    except (ValueError, NnvizError, TypeError):
        return None  # settings from another version: start afresh


def save_config(settings: QtCore.QSettings, config: RunConfig) -> None:
    settings.setValue("run/config", json.dumps(config.to_dict()))


def saved_data_dir(settings: QtCore.QSettings) -> str | None:
    """The data folder chosen in the window (File → data folder), if any."""
    value = settings.value("data/dir", "")
    return str(value) if value else None


def save_data_dir(settings: QtCore.QSettings, folder: str) -> None:
    settings.setValue("data/dir", folder)


def read_float(settings: QtCore.QSettings, key: str, default: float) -> float:
    try:
        return float(settings.value(key, default))
    except (TypeError, ValueError):
        return default


def read_bool(settings: QtCore.QSettings, key: str, default: bool) -> bool:
    value = settings.value(key, default)
    return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")
