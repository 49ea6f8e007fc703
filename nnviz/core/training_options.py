"""Training heuristics as settings: learning-rate schedules and the optimiser/momentum pair.

Learning-rate schedules (``optimizer.lr_decay``, ``nnviz train --lr-decay``) are written as text:

- ``none``: a constant learning rate;
- ``exp:F``: multiply the learning rate by F after every epoch (``exp:0.95``);
- ``step:N:F``: multiply it by F after every N epochs (``step:10:0.5`` halves it every 10 epochs);
- a bare number F means ``exp:F`` (older configs store the per-epoch factor as a number; 1 = none).

The factor is applied to the optimiser's current rate at each epoch's end, so a rate changed by
hand between steps (the window's spin box) keeps decaying from its new value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SCHEDULE_KINDS = ("none", "exp", "step")
LR_DECAY_SYNTAX = "none, exp:F (times F every epoch) or step:N:F (times F every N epochs), with 0 < F <= 1"


@dataclass(frozen=True, slots=True)
class LearningRateSchedule:
    """``kind`` is "none", "exp" or "step"; ``factor`` in (0, 1]; ``every`` epochs (step only)."""

    kind: str = "none"
    factor: float = 1.0
    every: int = 1

    def factor_after_epoch(self, epoch: int) -> float:
        """What the rate is multiplied by when epoch ``epoch`` (counted from 1) ends."""
        if self.kind == "exp":
            return self.factor
        if self.kind == "step" and epoch % self.every == 0:
            return self.factor
        return 1.0

    def rate_in_epoch(self, base_rate: float, epoch: int) -> float:
        """The learning rate during epoch ``epoch`` (from 1) of a run starting at ``base_rate``."""
        rate = base_rate
        for done in range(1, epoch):
            rate *= self.factor_after_epoch(done)
        return rate

    def __str__(self) -> str:
        if self.kind == "exp":
            return f"exp:{self.factor:g}"
        if self.kind == "step":
            return f"step:{self.every}:{self.factor:g}"
        return "none"


def parse_lr_schedule(value: Any) -> LearningRateSchedule:
    """A schedule from its text (or a bare per-epoch factor); ValueError says what is wrong."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected {LR_DECAY_SYNTAX}, got {value!r}")
    if not isinstance(value, str):
        return _exp_or_none(float(value), value)
    text = value.strip().lower()
    if text in ("none", "constant", ""):
        return LearningRateSchedule()
    kind, _, rest = text.partition(":")
    parts = rest.split(":") if rest else []
    if kind == "exp" and len(parts) == 1:
        schedule = _exp_or_none(_number(parts[0], float, value), value)
        return LearningRateSchedule("exp", schedule.factor)
    if kind == "step" and len(parts) == 2:
        every, factor = _number(parts[0], int, value), _number(parts[1], float, value)
        if every < 1:
            raise ValueError(f"step:N:F needs N >= 1 epochs, got {value!r}")
        _check_factor(factor, value)
        return LearningRateSchedule("step", factor, every)
    if not parts:  # a bare number given as text, e.g. "0.9" on the command line
        return _exp_or_none(_number(text, float, value), value)
    raise ValueError(f"expected {LR_DECAY_SYNTAX}, got {value!r}")


def _number(text: str, kind: type, original: Any) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"expected {LR_DECAY_SYNTAX}, got {original!r}") from None


def _exp_or_none(factor: float, original: Any) -> LearningRateSchedule:
    _check_factor(factor, original)
    return LearningRateSchedule("exp", factor) if factor != 1.0 else LearningRateSchedule()


def _check_factor(factor: float, original: Any) -> None:
    if not (math.isfinite(factor) and 0.0 < factor <= 1.0):
        raise ValueError(f"the decay factor must be in (0, 1], got {original!r}")


# --- optimiser and momentum ---------------------------------------------------------------------
DEFAULT_MOMENTUM = 0.9  # what "momentum" means when no value is given (as in Keras and PyTorch examples)


def optimizer_changes(current_name: str, current_momentum: float, name: str | None,
                      momentum: float | None) -> dict[str, Any]:
    """The config changes for choosing optimiser ``name`` and/or ``momentum`` on top of a preset.

    Works for every preset: "momentum" without a value gets 0.9 (a preset's 0 would make it plain
    SGD); switching to "sgd" or "adam" without a value drops the preset's momentum; "sgd" with a
    momentum is the heavy-ball method. Adam has no momentum setting (its beta1 = 0.9 plays that
    role), so asking for one is a ValueError rather than a silently ignored number.
    """
    if name is None and momentum is None:
        return {}
    target = name or current_name
    if momentum is not None and not (math.isfinite(momentum) and 0.0 <= momentum < 1.0):
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    if target == "adam" and momentum:
        raise ValueError("Adam takes no momentum (its beta1 = 0.9 plays that role); "
                         "use --optimizer momentum or sgd with --momentum")
    if momentum is None:
        if target == "momentum":
            momentum = current_momentum if current_name == "momentum" and current_momentum else DEFAULT_MOMENTUM
        elif name is not None and name != current_name:
            momentum = 0.0
    changes: dict[str, Any] = {}
    if name is not None:
        changes["optimizer.name"] = name
    if momentum is not None:
        changes["optimizer.momentum"] = float(momentum)
    return changes
