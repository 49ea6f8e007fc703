"""Sweep presets: the lectures' "tweak around" exercises as data.

Each is a training preset plus a grid; ``nnviz sweep --preset tweak-lr --out DIR`` runs it with no
``--grid`` needed, and extra ``--grid`` options add to (or replace) the preset's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnviz.core.config import RunConfig
from nnviz.core.errors import ConfigError
from nnviz.core.presets import PRESETS, get_preset

from nnviz.sweep.axes import GridAxis, parse_axis


@dataclass(frozen=True, slots=True)
class SweepPreset:
    name: str
    description: str
    base_preset: str  # a name in nnviz.core.presets.PRESETS
    grid: tuple[str, ...]  # --grid texts, e.g. "lr=0.001,1.0"

    def base_config(self) -> RunConfig:
        return get_preset(self.base_preset).config()

    def axes(self, base: RunConfig) -> list[GridAxis]:
        return [parse_axis(text, base) for text in self.grid]


SWEEP_PRESETS: dict[str, SweepPreset] = {p.name: p for p in [
    SweepPreset("tweak-lr", "Nielsen's [784, 30, 10] with learning rate 0.001, 1.0, 100.0 and his 3.0 as "
                "the reference", "nielsen", ("lr=0.001,1.0,3.0,100.0",)),
    SweepPreset("tweak-batch", "Nielsen's [784, 30, 10] with mini-batch 10, 50, 100 (eta 3.0)", "nielsen",
                ("batch=10,50,100",)),
    SweepPreset("tweak-hidden", "Nielsen's network with 15, 30, 100 hidden neurons", "nielsen",
                ("hidden=15,30,100",)),
    SweepPreset("tweak-depth", "Nielsen's network with 1, 2, 5 hidden layers of 30 sigmoid neurons", "nielsen",
                ("layers=1,2,5",)),
]}


def sweep_base(name: str) -> tuple[RunConfig, list[GridAxis]]:
    """The base config and preset grid for a sweep or training preset name."""
    if name in SWEEP_PRESETS:
        preset = SWEEP_PRESETS[name]
        base = preset.base_config()
        return base, preset.axes(base)
    if name in PRESETS:
        return get_preset(name).config(), []
    raise ConfigError(f"unknown preset {name!r}; sweep presets: {', '.join(SWEEP_PRESETS)}; "
                      f"training presets (with --grid): {', '.join(PRESETS)}")
