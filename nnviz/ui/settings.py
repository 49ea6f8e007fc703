"""What the window remembers between lectures (QSettings, an INI file in the user's config folder)
and the run it opens with."""

from __future__ import annotations

import json

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


def initial_config(settings: QtCore.QSettings, data_dir: str | None, preset: str | None) -> RunConfig:
    """An explicit preset wins; then the last run's settings (if its data is still there); then the default."""
    if preset:
        return get_preset(preset).config()
    saved = settings.value("run/config", "")
    if saved:
        try:
            config = RunConfig.from_dict(json.loads(saved))
            if dataset_status(config.data.name, data_dir):
                return config
        except (ValueError, NnvizError, TypeError):
            pass  # settings from another version: start afresh
    return default_config(data_dir)


def save_config(settings: QtCore.QSettings, config: RunConfig) -> None:
    settings.setValue("run/config", json.dumps(config.to_dict()))


def read_float(settings: QtCore.QSettings, key: str, default: float) -> float:
    try:
        return float(settings.value(key, default))
    except (TypeError, ValueError):
        return default


def read_bool(settings: QtCore.QSettings, key: str, default: bool) -> bool:
    value = settings.value(key, default)
    return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")
