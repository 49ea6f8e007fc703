"""Data augmentation: "more data" for free, a remedy for over-fitting."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def random_shift(images: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Shift each ``(N, C, H, W)`` image by up to ``max_shift`` pixels in x and y (zero fill).

    One padded copy and one gather over a window view: no loop over samples.
    """
    if max_shift <= 0 or images.ndim != 4:
        return images
    n, _, h, w = images.shape
    s = int(max_shift)
    padded = np.pad(images, ((0, 0), (0, 0), (s, s), (s, s)))
    windows = sliding_window_view(padded, (h, w), axis=(2, 3))  # (N, C, 2s+1, 2s+1, H, W)
    dy = rng.integers(0, 2 * s + 1, size=n)
    dx = rng.integers(0, 2 * s + 1, size=n)
    return windows[np.arange(n), :, dy, dx]  # (N, C, H, W)
