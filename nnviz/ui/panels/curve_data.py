"""What the Curves panel (and the A/B twin) draw besides a snapshot's own figures: another run's
curves (`CurveOverlay`), and whether a snapshot's loss tail continues the losses already held."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.core.record import RunRecord


@dataclass(frozen=True)
class CurveOverlay:
    """Per-epoch curves of another run (a run folder, or the A/B twin), drawn over this run's."""

    label: str  # legend text, e.g. "run-3" or "B: lr=0.5"
    colour: str
    epoch: np.ndarray  # (n,) epochs 1..n
    loss: np.ndarray  # (n,) validation loss (or test / train when there is no validation split)
    accuracy: np.ndarray  # (n,) fraction in [0, 1]
    # Training loss per iteration, at x = epochs done (a live twin has it; run folders do not).
    iteration_x: np.ndarray | None = None
    iteration_loss: np.ndarray | None = None
    iteration_span: int = 1  # iterations behind each iteration_loss value (a mean, once a run is long)


def tail_continues(snapshot: RunRecord, held: int) -> bool:
    """Whether the snapshot's loss tail follows the ``held`` points, or is a whole curve (from the
    oldest loss the trainer still keeps: 0, or later in a long run)."""
    return snapshot.loss_offset in (held, snapshot.losses_kept_from)


def starts_over(snapshot: RunRecord, held: int) -> bool:
    """Whether the snapshot's losses replace what is held (a new run, or the whole curve again)."""
    return snapshot.loss_offset != held and snapshot.loss_offset == snapshot.losses_kept_from


def tail_x(snapshot: RunRecord, count: int, held: int) -> np.ndarray:
    """x (epochs done) of the last ``count`` iteration losses of a snapshot, ``held`` being kept."""
    if held == 0:
        return (snapshot.loss_offset + np.arange(1, count + 1)) / max(snapshot.iterations_per_epoch, 1.0)
    # anchored at the newest point, so a batch-size change bends nothing already drawn
    per_epoch = max(float(snapshot.batches_in_epoch or snapshot.iterations_per_epoch), 1.0)
    end = snapshot.epoch + snapshot.batch_in_epoch / per_epoch
    return end - np.arange(count - 1, -1, -1) / per_epoch
