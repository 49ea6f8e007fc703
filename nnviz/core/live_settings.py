"""Settings a running trainer accepts between batches, in one table.

The window's controls take their ranges from it, the worker applies a change through it (trainer
setter and config key together), the A/B twin and ``nnviz train`` name settings by it. So a live
setting is defined once: adding one here is all the controls, the worker and the CLI need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nnviz.core.config import RunConfig
from nnviz.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class LiveSetting:
    name: str  # the command's and the signal's name, e.g. "learning_rate"
    config_key: str  # dotted RunConfig key
    setter: str  # Trainer method taking the new value
    kind: type  # float or int
    minimum: float
    maximum: float
    label: str  # shown beside the control
    short: str  # in overlay names: "lr=0.5"

    def parse(self, value: Any) -> int | float:
        """The value as this setting's type, in range; ConfigError (one line) otherwise: an empty or
        invalid field never reaches the trainer."""
        try:
            number = float(str(value).strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{self.label} ({self.config_key}): {value!r} is not a number") from None
        if not math.isfinite(number) or not self.minimum <= number <= self.maximum:
            raise ConfigError(f"{self.label} ({self.config_key}) must be between {self.minimum:g} and {self.maximum:g}, "
                              f"got {value}")
        if self.kind is int:
            if number != int(number):
                raise ConfigError(f"{self.label} ({self.config_key}) must be a whole number, got {value}")
            return int(number)
        return number

    def config_changes(self, value: int | float) -> dict[str, Any]:
        changes: dict[str, Any] = {self.config_key: value}
        if self.name == "epochs":
            changes["training.iterations"] = None  # an explicit epoch count replaces an iteration limit
        return changes


LIVE_SETTINGS: dict[str, LiveSetting] = {s.name: s for s in (
    LiveSetting("learning_rate", "optimizer.learning_rate", "set_learning_rate", float, 1e-6, 1e6,
                "Learning rate η", "lr"),
    LiveSetting("momentum", "optimizer.momentum", "set_momentum", float, 0.0, 0.999, "Momentum", "momentum"),
    LiveSetting("batch_size", "training.batch_size", "set_batch_size", int, 1, 60000, "Batch size", "batch"),
    LiveSetting("epochs", "training.epochs", "set_epochs", int, 1, 10000, "Epochs", "epochs"),
)}


def apply_live_setting(trainer, config: RunConfig, name: str, value: Any) -> RunConfig:
    """Give ``trainer`` the new value (from its next batch) and return ``config`` with it."""
    try:
        setting = LIVE_SETTINGS[name]
    except KeyError:
        raise ConfigError(f"{name!r} cannot change while training; live settings: {', '.join(LIVE_SETTINGS)}") \
            from None
    value = setting.parse(value)
    getattr(trainer, setting.setter)(value)
    return config.with_changes(**setting.config_changes(value))
