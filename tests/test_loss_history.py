"""The Curves panel's bounded loss history: a fixed number of buckets however long the run, and each
bucket's min/max/mean exactly those of the iterations it covers (no random sampling). No Qt."""

from __future__ import annotations

import numpy as np

from nnviz.core.loss_history import LossHistory, smooth_continue


def feed(history: LossHistory, losses: np.ndarray, seed: int = 0, weight: float = 0.6) -> None:
    """In chunks of random size, as snapshots arrive (1 to ~2000 iterations each)."""
    rng = np.random.default_rng(seed)
    x = np.arange(1, losses.size + 1) / 500.0
    start = 0
    while start < losses.size:
        stop = min(losses.size, start + int(rng.integers(1, 2000)))
        history.append(losses[start:stop], x[start:stop], weight)
        start = stop


def bucket_bounds(history: LossHistory) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(history.count[: history.buckets])])


def test_memory_is_bounded_and_every_bucket_holds_its_iterations_exact_extremes():
    rng = np.random.default_rng(1)
    losses = (np.exp(-np.arange(400_000) / 80_000) + rng.gamma(1.0, 0.2, 400_000)).astype(np.float32)
    losses[123_457] = 9.0  # one spike: it must survive every merge
    history = LossHistory(capacity=1024)
    size = history.nbytes()
    feed(history, losses)
    assert history.n == losses.size and history.nbytes() == size  # nothing grows
    assert history.capacity // 2 <= history.buckets <= history.capacity
    bounds = bucket_bounds(history)
    assert bounds[-1] == losses.size
    starts = bounds[:-1]
    np.testing.assert_array_equal(history.lo[: history.buckets], np.minimum.reduceat(losses, starts))
    np.testing.assert_array_equal(history.hi[: history.buckets], np.maximum.reduceat(losses, starts))
    np.testing.assert_allclose(history.means(), np.add.reduceat(losses.astype(np.float64), starts)
                               / np.diff(bounds), rtol=1e-6)
    assert np.all(history.count[: history.buckets - 1] == history.span)  # only the newest is partial
    x, y = history.raw_curve()
    assert y.max() == 9.0 and y.min() == losses.min() and x.size == 2 * history.buckets


def test_the_smoothed_curve_is_the_moving_average_at_each_buckets_end():
    rng = np.random.default_rng(2)
    losses = rng.random(50_000).astype(np.float32)
    history = LossHistory(capacity=256)
    feed(history, losses, weight=0.9)
    exact, _ = smooth_continue(losses, 0.9, (0.0, 0))
    ends = bucket_bounds(history)[1:] - 1
    np.testing.assert_allclose(history.smooth_curve()[1], exact[ends], rtol=1e-9)
    np.testing.assert_allclose(history.smooth_curve()[0], (ends + 1) / 500.0)


def test_a_short_run_is_kept_point_by_point_and_resmoothing_is_exact_there():
    losses = np.linspace(2.0, 0.1, 3000, dtype=np.float32)
    history = LossHistory()
    feed(history, losses, weight=0.0)
    x, y = history.raw_curve()
    np.testing.assert_array_equal(y, losses)
    history.resmooth(0.8)
    np.testing.assert_allclose(history.smooth_curve()[1], smooth_continue(losses, 0.8, (0.0, 0))[0], rtol=1e-9)


def test_diverged_losses_do_not_hide_the_band():
    losses = np.ones(5000, np.float32)
    losses[::7] = np.nan
    losses[4000] = np.inf
    history = LossHistory(capacity=64)
    feed(history, losses)
    lo = history.lo[: history.buckets]
    assert np.all(lo == 1.0)  # NaN ignored by the min
    assert np.isinf(history.hi[: history.buckets]).sum() == 1
    assert np.all(np.isfinite(history.means()))


def test_a_columns_band_is_the_lowest_and_highest_loss_of_the_buckets_in_it():
    rng = np.random.default_rng(4)
    losses = rng.gamma(1.0, 0.2, 50_000).astype(np.float32)
    losses[31_000] = 7.5  # a spike: its column must reach it
    history = LossHistory(capacity=2048)
    feed(history, losses)  # x = 1/500 ... 100 epochs
    x, low, high = history.column_band(-2.0, 102.0, 400)
    assert x.size <= 400 and low.size == high.size == x.size
    assert np.all(np.diff(x) > 0) and x[0] > -2.0 and x[-1] < 102.0
    # brute force: every bucket, by the column its middle falls in
    b = history.buckets
    middle = 0.5 * (history.x_first[:b] + history.x_last[:b])
    column = ((middle + 2.0) / (104.0 / 400)).astype(int)
    for k in np.unique(column)[::37]:
        at = np.argmin(np.abs(x - (-2.0 + (k + 0.5) * 104.0 / 400)))
        assert low[at] == history.lo[:b][column == k].min()
        assert high[at] == history.hi[:b][column == k].max()
    assert high.max() == np.float32(7.5) and low.min() == losses.min()
    assert history.column_band(0.0, 1.0, 0)[0].size == 0 and LossHistory().column_band(0.0, 1.0, 10)[0].size == 0


def test_the_smoothed_line_per_column_is_the_moving_average_at_each_columns_last_bucket():
    rng = np.random.default_rng(5)
    history = LossHistory(capacity=2048)
    feed(history, rng.gamma(1.0, 0.2, 30_000).astype(np.float32))  # x up to 60 epochs
    x, smooth = history.column_smooth(0.0, 60.0, 300)
    assert 0 < x.size <= 300 and np.all(np.diff(x) > 0)
    every_x, every_smooth = history.smooth_curve()
    at = np.searchsorted(every_x, x)
    np.testing.assert_array_equal(every_x[at], x)  # points of the line itself, not resampled
    np.testing.assert_array_equal(every_smooth[at], smooth)
    assert x[-1] == every_x[-1]  # the newest point is always drawn
    few_x, _ = history.column_smooth(0.0, 60.0, 100_000)  # more columns than buckets: every bucket
    assert few_x.size == history.buckets
