"""The per-iteration loss of a run as the Curves panel keeps it: bounded, however long the class.

A run at full speed makes thousands of mini-batches a second (nielsen: 5,000 an epoch, about
20 million in 90 minutes); keeping each one made the window grow by tens of MB a minute and every
frame draw them all. `LossHistory` keeps at most ``capacity`` buckets of consecutive iterations and,
per bucket, the lowest and highest loss, the smoothed loss at its end and the mean. When the
buckets run out, neighbours are merged (each bucket then spans twice as many iterations), so a
bucket is always narrower than a pixel column of any screen (capacity 8192 > 3840 px) and drawing
the buckets' min and max shows exactly the band the losses span in each column: every spike
stays visible, nothing is sampled at random. Pure NumPy (tested without Qt).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

BLOCK = 256  # EMA block length (see smooth_continue)
CAPACITY = 8192  # buckets kept (between half and all of it once the run is long)


def smooth_continue(values: np.ndarray, weight: float, state: tuple[float, int]) -> tuple[np.ndarray, tuple]:
    """TensorBoard's debiased exponential moving average, continued from ``state`` = (accumulator,
    count). Vectorised in blocks: within a block y_j = w^(j+1) y_-1 + (1 - w) sum_i w^(j-i) x_i."""
    last, count = state
    out = np.empty(values.shape[0], dtype=np.float64)
    if weight <= 0:
        return values.astype(np.float64), (float(values[-1]) if values.size else last, count + values.size)
    j = np.arange(BLOCK)
    powers = _block_powers(weight)
    for start in range(0, values.shape[0], BLOCK):
        x = np.nan_to_num(values[start:start + BLOCK].astype(np.float64), nan=0.0, posinf=1e30, neginf=-1e30)
        n = x.shape[0]
        accumulated = weight ** (j[:n] + 1) * last + (1 - weight) * (powers[:n, :n] @ x)
        out[start:start + n] = accumulated / (1 - weight ** (count + j[:n] + 1))
        last, count = float(accumulated[-1]), count + n
    return out, (last, count)


@lru_cache(maxsize=4)
def _block_powers(weight: float) -> np.ndarray:
    """Lower-triangular w^(j-i): one block of the moving average as a matrix product."""
    j = np.arange(BLOCK)
    return np.tril(weight ** np.maximum(j[:, None] - j[None, :], 0))


class LossHistory:
    """Bucketed min/max/mean/smoothed history of one run's iteration losses (see the module's doc)."""

    FIELDS = ("lo", "hi", "total", "count", "x_first", "x_last", "smooth")

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = max(int(capacity), 4) // 2 * 2
        size = self.capacity + 1
        self.lo = np.zeros(size, np.float32)
        self.hi = np.zeros(size, np.float32)
        self.total = np.zeros(size, np.float64)  # sum of the finite losses (for the mean)
        self.count = np.zeros(size, np.int64)  # iterations in the bucket
        self.finite = np.zeros(size, np.int64)  # finite losses in the bucket
        self.x_first = np.zeros(size, np.float64)
        self.x_last = np.zeros(size, np.float64)
        self.smooth = np.zeros(size, np.float64)  # the moving average at the bucket's last iteration
        self.clear()

    def clear(self) -> None:
        self.span = 1  # iterations per full bucket
        self.buckets = 0
        self.n = 0  # iterations appended in all
        self.ema_state: tuple[float, int] = (0.0, 0)

    # --- appending ---------------------------------------------------------------------------
    def append(self, loss: np.ndarray, x: np.ndarray, weight: float) -> None:
        """Add the next iterations' losses at x (epochs done), smoothing with ``weight``."""
        loss = np.asarray(loss, dtype=np.float32)
        if loss.size == 0:
            return
        smoothed, self.ema_state = smooth_continue(loss, weight, self.ema_state)
        start = 0
        while start < loss.size:
            room = self._room()
            stop = min(loss.size, start + room)
            self._add(loss[start:stop], np.asarray(x[start:stop], np.float64), smoothed[start:stop])
            start = stop
            if self.buckets >= self.capacity:
                self._halve()
        self.n += loss.size

    def _room(self) -> int:
        """Iterations that fit before the buckets run out (the last bucket's free places included)."""
        partial = self.span - int(self.count[self.buckets - 1]) if self.buckets else 0
        return partial + (self.capacity - self.buckets) * self.span

    def _add(self, loss: np.ndarray, x: np.ndarray, smoothed: np.ndarray) -> None:
        finite = np.isfinite(loss)
        clean = np.where(finite, loss, 0.0).astype(np.float64)
        if self.buckets and self.count[self.buckets - 1] < self.span:  # top up the partial last bucket
            k = min(self.span - int(self.count[self.buckets - 1]), loss.size)
            b = self.buckets - 1
            self.lo[b] = np.fmin(self.lo[b], np.fmin.reduce(loss[:k]))
            self.hi[b] = np.fmax(self.hi[b], np.fmax.reduce(loss[:k]))
            self.total[b] += clean[:k].sum()
            self.count[b] += k
            self.finite[b] += int(finite[:k].sum())
            self.x_last[b], self.smooth[b] = x[k - 1], smoothed[k - 1]
            loss, x, smoothed, clean, finite = loss[k:], x[k:], smoothed[k:], clean[k:], finite[k:]
        if loss.size == 0:
            return
        starts = np.arange(0, loss.size, self.span)
        ends = np.minimum(starts + self.span, loss.size)
        new = slice(self.buckets, self.buckets + starts.size)
        self.lo[new] = np.fmin.reduceat(loss, starts)  # fmin/fmax: a NaN loss does not hide the band
        self.hi[new] = np.fmax.reduceat(loss, starts)
        self.total[new] = np.add.reduceat(clean, starts)
        self.count[new] = ends - starts
        self.finite[new] = np.add.reduceat(finite.astype(np.int64), starts)
        self.x_first[new], self.x_last[new], self.smooth[new] = x[starts], x[ends - 1], smoothed[ends - 1]
        self.buckets += starts.size

    def _halve(self) -> None:
        """Merge neighbouring buckets: half as many, each spanning twice the iterations."""
        b = self.buckets
        pairs = b // 2
        first, second = slice(0, 2 * pairs, 2), slice(1, 2 * pairs, 2)
        merged = {
            "lo": np.fmin(self.lo[first], self.lo[second]), "hi": np.fmax(self.hi[first], self.hi[second]),
            "total": self.total[first] + self.total[second], "count": self.count[first] + self.count[second],
            "finite": self.finite[first] + self.finite[second], "x_first": self.x_first[first],
            "x_last": self.x_last[second], "smooth": self.smooth[second]}
        odd = b % 2 == 1
        for name, values in merged.items():
            array = getattr(self, name)
            tail = array[b - 1] if odd else None
            array[:pairs] = values
            if odd:
                array[pairs] = tail
        self.buckets = pairs + int(odd)
        self.span *= 2

    # --- reading -----------------------------------------------------------------------------
    def means(self) -> np.ndarray:
        b = self.buckets
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.finite[:b] > 0, self.total[:b] / np.maximum(self.finite[:b], 1), np.nan)

    def resmooth(self, weight: float) -> None:
        """A new smoothing weight: the moving average again, over the buckets' means (exact while
        every bucket holds one iteration; the per-bucket weight is ``weight ** span`` after that)."""
        b = self.buckets
        if b == 0:
            self.ema_state = (0.0, 0)
            return
        smoothed, (last, _) = smooth_continue(self.means(), weight ** self.span if weight > 0 else 0.0, (0.0, 0))
        self.smooth[:b] = smoothed
        self.ema_state = (last, self.n)

    def raw_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, loss) to draw the raw losses: each loss while buckets hold one iteration, then each
        bucket's lowest and highest loss at its middle (the band drawn as a vertical stroke)."""
        b = self.buckets
        if self.span == 1:
            return self.x_last[:b], self.lo[:b]
        middle = 0.5 * (self.x_first[:b] + self.x_last[:b])
        return np.repeat(middle, 2), np.column_stack((self.lo[:b], self.hi[:b])).ravel()

    def column_band(self, x_start: float, x_end: float, columns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, lowest, highest) loss per pixel column of a view showing x_start..x_end in ``columns``
        pixels: at most one value each per column, so a frame hands the plot a few hundred points,
        not 16,384, and the band is exactly what each column spans (min/max, no sampling)."""
        b = self.buckets
        if b == 0 or x_end <= x_start or columns < 1:
            return np.zeros(0), np.zeros(0, np.float32), np.zeros(0, np.float32)
        width = (x_end - x_start) / columns
        column = self._columns(x_start, x_end, columns)
        starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
        return (x_start + (column[starts] + 0.5) * width, np.fmin.reduceat(self.lo[:b], starts),
                np.fmax.reduceat(self.hi[:b], starts))

    def column_smooth(self, x_start: float, x_end: float, columns: int) -> tuple[np.ndarray, np.ndarray]:
        """(x, smoothed loss) at the last bucket of each pixel column (see ``column_band``): the
        moving average changes little within a column, so this is the line as drawn."""
        b = self.buckets
        if b == 0 or x_end <= x_start or columns < 1:
            return np.zeros(0), np.zeros(0)
        column = self._columns(x_start, x_end, columns)
        last = np.flatnonzero(np.r_[column[1:] != column[:-1], True])
        return self.x_last[last], self.smooth[last]

    def _columns(self, x_start: float, x_end: float, columns: int) -> np.ndarray:
        """The pixel column of each bucket's middle (buckets are in x order, so these never decrease)."""
        b = self.buckets
        middle = 0.5 * (self.x_first[:b] + self.x_last[:b])
        return np.clip(((middle - x_start) / ((x_end - x_start) / columns)).astype(np.int64), 0, columns - 1)

    def smooth_curve(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x_last[: self.buckets], self.smooth[: self.buckets]

    def last_x(self) -> float:
        return float(self.x_last[self.buckets - 1]) if self.buckets else 0.0

    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in self.FIELDS + ("finite",))
