"""`FrameBudget`: how often the worker may send snapshots so that drawing them costs training little.

Drawing holds Python's GIL (PySide6 does not release it inside QPainter calls), so the worker
steps aside while the GUI draws a snapshot (see worker.py): each frame costs training its wall-clock
drawing time. The budget adds up that time (``add_frame``) and, twice a second while training runs,
scales the snapshot rate so that drawing takes about ``budget`` of the time (5 %: measured, the
window then keeps 93-96 % of headless speed; 10 % kept only 70-75 %, as event handling outside
the measured frames also holds the GIL). Cheap panels (a 2-D demo) get the full rate, a busy window or a
slow laptop fewer frames.
"""

from __future__ import annotations

import time

DEFAULT_DRAW_BUDGET = 0.05
MIN_RATE = 1.0  # never fewer than one frame a second: the class must see it move
# Presentation mode: motion a class perceives as smooth matters more there than the last percent of
# speed (a frame of nielsen at 1024x768 costs about 10 ms). 11 asked gives 10 drawn: the worker
# sends at the end of a training chunk, a few milliseconds after the frame is due.
PRESENTATION_MIN_RATE = 11.0


class FrameBudget:
    def __init__(self, max_rate: float = 20.0, budget: float = DEFAULT_DRAW_BUDGET) -> None:
        self.max_rate = max_rate
        self.budget = budget
        self.rate = max_rate
        self.min_rate = MIN_RATE
        self.last_share = 0.0
        self._mark: tuple[float, float] | None = None
        self._busy = 0.0

    def restart(self) -> None:
        """Start measuring afresh (training started or resumed)."""
        self._mark = (time.perf_counter(), 0.0)
        self._busy = 0.0

    def add_frame(self, seconds: float) -> None:
        """A frame took ``seconds`` from the snapshot's arrival until every panel had drawn it."""
        self._busy += seconds

    def update(self) -> float | None:
        """Call from the GUI thread; returns a new rate to send to the worker, or None."""
        now = time.perf_counter()
        if self._mark is None:
            self.restart()
            return None
        wall = now - self._mark[0]
        if wall < 0.2:
            return None
        share = self._busy / wall
        self.restart()
        self.last_share = share
        factor = self.budget / share if share > 1e-6 else 2.0
        wanted = min(max(self.rate * min(max(factor, 0.5), 1.5), self.min_rate), self.max_rate)
        if abs(wanted - self.rate) > 0.1 * self.rate:
            self.rate = wanted
            return wanted
        return None

    def set_max_rate(self, rate: float) -> float:
        self.max_rate = rate
        self.rate = min(self.rate, rate) if self.rate else rate
        return self.rate

    def set_min_rate(self, rate: float) -> float:
        """The fewest frames a second whatever they cost (never above the most); the rate to send."""
        self.min_rate = min(rate, self.max_rate)
        self.rate = max(self.rate, self.min_rate)
        return self.rate
