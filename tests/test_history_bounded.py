"""A long run keeps only its newest iteration losses in memory, and nothing that reads them loses
one: the records a panel gets, the run folder's CSV and a resumed run (Qt-free)."""

from __future__ import annotations

import numpy as np

from nnviz.core.history import History
from nnviz.core.live_run import _iteration_losses
from nnviz.core.presets import preset_config
from nnviz.core.record import build_record
from nnviz.core.run_folder.streams import format_losses
from nnviz.core.trainer import Trainer


def xor_trainer(keep: int | None = None) -> Trainer:
    trainer = Trainer(preset_config("xor-mlp").with_changes(**{"training.epochs": 400}))
    if keep is not None:
        trainer.history.keep = keep
    return trainer


def test_the_history_holds_at_most_keep_losses_and_says_where_they_start():
    history = History(keep=64)
    for value in range(1000):
        history.add_iteration_loss(float(value))
    held = history.iteration_loss
    assert history.n_iterations == 1000 and 32 <= held.size <= 64
    assert history.start == 1000 - held.size
    np.testing.assert_array_equal(held, np.arange(history.start, 1000, dtype=np.float32))
    assert history._loss.shape[0] <= 64
    first, tail = history.losses_since(990)
    assert first == 990 and tail.tolist() == list(range(990, 1000))
    first, tail = history.losses_since(3)  # gone: the oldest still held instead
    assert first == history.start and tail[0] == history.start


def test_a_bounded_trainer_trains_exactly_as_an_unbounded_one():
    bounded, whole = xor_trainer(keep=16), xor_trainer()
    sent, received = 0, []
    for step in range(120):
        bounded.step_batches(1 + step % 3)  # XOR: one batch an epoch, so a chunk ends at each epoch
        whole.step_batches(1 + step % 3)
        record = build_record(bounded, loss_offset=sent, confusion_split=None)
        assert record.loss_offset == sent and record.losses_kept_from == bounded.history.start
        received.append(record.train_loss)
        sent = bounded.history.n_iterations
    assert bounded.history.start > 0 and bounded.history.iteration_loss.size <= 16
    # every loss reached the reader once, in order, identical to the run that kept them all
    np.testing.assert_array_equal(np.concatenate(received), whole.history.iteration_loss)
    np.testing.assert_array_equal(bounded.network.flat_params, whole.network.flat_params)


def test_a_reader_that_fell_behind_gets_the_oldest_losses_still_held():
    trainer = xor_trainer(keep=16)
    for _ in range(100):
        trainer.step_batches(1)
    record = build_record(trainer, loss_offset=0, confusion_split=None)
    assert record.loss_offset == record.losses_kept_from == trainer.history.start > 0
    np.testing.assert_array_equal(record.train_loss, trainer.history.iteration_loss)


def test_a_resumed_run_reads_only_the_losses_it_keeps(tmp_path):
    path = tmp_path / "iterations.csv"
    losses = np.linspace(1.0, 0.1, 3000).astype(np.float32)
    path.write_text("iteration,loss\n" + format_losses(0, losses))
    history = History()
    history.restore_losses(_iteration_losses(path, 3000), 3000)
    assert history.n_iterations == 3000 and history.start == 0
    np.testing.assert_allclose(history.iteration_loss, losses, rtol=1e-6)
    small = History(keep=1000)
    small.restore_losses(losses, 3000)
    assert small.start == 2500 and small.iteration_loss.size == 500
    small.add_iteration_loss(7.0)
    assert small.losses_since(2999)[1].tolist() == [losses[-1], 7.0]


def test_a_writer_taking_over_a_trained_run_writes_its_kept_losses_in_blocks(tmp_path, monkeypatch):
    import nnviz.core.live_run as live_run

    trainer = xor_trainer(keep=64)
    for _ in range(150):  # (XOR: one batch an epoch, and a chunk ends with its epoch)
        trainer.step_batches(1)
    # the window's run, finished, then given more epochs: a new folder takes it over
    monkeypatch.setattr(live_run, "LOSS_BLOCK", 7)  # blocks that do not divide what is kept
    writer = live_run.LiveRunWriter(live_run.plan_run_folder(tmp_path / "more", trainer.config), trainer)
    writer.finish("interrupted")
    lines = (tmp_path / "more" / "iterations.csv").read_text().splitlines()
    first, kept = trainer.history.losses_since(0)
    assert lines[0] == "iteration,loss"
    assert lines[1:] == format_losses(first, kept).splitlines()  # every kept loss once, in order
    assert int(lines[1].split(",")[0]) == trainer.history.start + 1 and len(lines) - 1 == kept.size > 7
