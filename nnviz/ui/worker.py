"""`TrainingWorker`: the only code that touches the trainer, in its own QThread.

The GUI calls :meth:`TrainingWorker.send` (a thread-safe ``queue.Queue``); the loop reads the queue
between batches because a busy slot would never see queued signals. Snapshots go back as the
``snapshot_ready`` signal: at most ``snapshot_rate`` per second while running, and only when the
GUI has drawn the previous one (so a slow projector laptop drops frames instead of lagging), but
always after a single step, a pause, an epoch end that is due, divergence and the end of a run.
While the GUI draws a snapshot the worker waits (at most ``MAX_DRAW_WAIT``) instead of fighting
it for the GIL; the window's frame budget keeps that to about 5 % of the time.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
import traceback

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from nnviz.core.config import RunConfig
from nnviz.core.errors import NnvizError, RunInterrupted
from nnviz.core.evaluation_record import EvaluationCache, EvaluationRequest
from nnviz.core.live_settings import apply_live_setting
from nnviz.core.model_io import load_model
from nnviz.core.run_folder import write_run_folder
from nnviz.core.trainer import DIVERGED, Trainer

from nnviz.core.record import build_record
from nnviz.ui.window_run_folder import INTERRUPTED, WindowRunFolder
from nnviz.core.trainer_queries import next_misclassified, run_info, usable_split

log = logging.getLogger(__name__)

# Run states shown in the status bar (the trainer itself knows ready / diverged / finished).
EMPTY, LOADING, READY, RUNNING, PAUSED, STOPPED = "empty", "loading", "ready", "running", "paused", "stopped"
FINISHED = "finished"
STEPPABLE = (READY, PAUSED)
MAX_DRAW_WAIT = 0.15  # seconds the worker waits for the GUI to draw a snapshot before training on
CHUNK_SECONDS = 0.01  # training time per chunk of batches at full speed


class TrainingWorker(QObject):
    snapshot_ready = Signal(object)  # RunRecord (its run_state is the worker's state)
    run_loaded = Signal(object)  # RunInfo of a freshly built trainer
    state_changed = Signal(str)
    error_raised = Signal(str, str)  # title, message
    load_failed = Signal(str)  # why a new run could not be built (the old one goes on)
    run_saved = Signal(str)  # path of a run folder just written (save_run)
    run_started = Signal(str)  # path of the run folder that a run writes as it trains
    config_changed = Signal(object)  # the RunConfig in force after a live change
    loop_finished = Signal()

    def __init__(self, data_dir: str | None = None, snapshot_rate: float = 20.0) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.trainer: Trainer | None = None
        self.config: RunConfig | None = None
        self.state = EMPTY
        self._commands: queue.Queue = queue.Queue()
        self._gui_ready = threading.Event()
        self._gui_ready.set()
        self._quit = False
        self._stopping = threading.Event()  # set by send("quit") at once: evaluations check it per chunk
        self._interval = 1.0 / snapshot_rate
        self._batches_per_second = 0.0  # 0: full speed
        self._next_batch_time = 0.0
        self._epoch_target: int | None = None  # set by "step epoch"
        self._probe_index = 0
        self._probe_split = "test"
        self._confusion_split = "val"
        self._loss_sent = 0  # iteration losses already delivered to the GUI
        self._last_emit = 0.0
        self._samples = 0  # samples trained since loading, for the wall-clock speed
        self._speed_mark = (0.0, 0)
        self._wall_speed = 0.0
        # Where the window's runs are written as they train (set by the window; None: nowhere).
        self.run_folder = WindowRunFolder(None)
        self._probe_image: np.ndarray | None = None  # a drawn digit or an image file, traced instead
        self._probe_source = "drawn"
        self._evaluations = EvaluationCache()  # the Evaluation view's: one forward pass per network state
        self._view_request: EvaluationRequest | None = None  # re-evaluated at each epoch's end while shown
        self._follow_evaluation = False

    # --- called from the GUI thread ----------------------------------------------------------
    def send(self, command: str, *args) -> None:
        """Queue a command; thread-safe. It runs before the next batch ("quit" also stops an evaluation)."""
        if command == "quit":
            self._stopping.set()
        self._commands.put((command, args))

    def frame_drawn(self) -> None:
        """The GUI has drawn the last snapshot: the next periodic one may be sent."""
        self._gui_ready.set()

    # --- the loop ----------------------------------------------------------------------------
    @Slot()
    def run_loop(self) -> None:
        while not self._quit:
            try:
                if self.state == RUNNING:
                    self._drain_commands()
                    if self.state == RUNNING and self._wait_for_speed_limit():
                        self._train_one_batch()
                else:
                    try:
                        command = self._commands.get(timeout=0.1)
                    except queue.Empty:
                        continue
                    self._handle(command)
            except RunInterrupted:  # the window is closing: the queued "quit" ends the loop next
                self._drain_commands()
            except (NnvizError, ValueError) as exc:
                self._fail("Training stopped", str(exc))
            except Exception:  # a bug: keep the window alive and say so
                log.exception("unexpected error in the training worker")
                self._fail("Unexpected error", traceback.format_exc(limit=6))
        self.loop_finished.emit()
        QThread.currentThread().quit()

    def _fail(self, title: str, message: str) -> None:
        if self.state == RUNNING:
            self._set_state(PAUSED)
        self.error_raised.emit(title, message)

    def _drain_commands(self) -> None:
        while not self._commands.empty():
            self._handle(self._commands.get_nowait())

    def _wait_for_speed_limit(self) -> bool:
        """With a batches-per-second limit, wait (still reading commands) until the next batch is due."""
        if self._batches_per_second <= 0:
            return True
        wait = self._next_batch_time - time.monotonic()
        if wait > 0:
            try:
                self._handle(self._commands.get(timeout=min(wait, 0.1)))
            except queue.Empty:
                pass
            return False
        self._next_batch_time = max(self._next_batch_time, time.monotonic() - 1.0) + 1.0 / self._batches_per_second
        return True

    def _train_one_batch(self, *, single: bool = False) -> None:
        trainer = self.trainer
        done = trainer.iteration
        started = self._write_folder(self.run_folder.before_step, trainer)
        if started:
            self.run_started.emit(started)
        # Full speed trains chunks of about 10 ms (commands still answered within that); single
        # steps and a batches-per-second limit train exactly one batch.
        result = trainer.step_batch() if single or self._batches_per_second > 0 else trainer.step_for(CHUNK_SECONDS)
        self._write_folder(self.run_folder.after_step, trainer, result)
        if result.epoch_finished is not None and self._follow_evaluation and self._view_request is not None:
            self._do_evaluate_view(self._view_request)  # the epoch's own weights (a chunk ends with its epoch)
        self._samples += (trainer.iteration - done) * trainer.batch_size
        if result.diverged or trainer.state == DIVERGED:
            self._set_state(DIVERGED)
        elif trainer.finished:
            self._set_state(FINISHED)
        elif self._epoch_target is not None and trainer.epoch >= self._epoch_target:
            self._set_state(PAUSED)
        elif not single:
            now = time.monotonic()
            if now - self._last_emit >= self._interval and (
                    self._gui_ready.is_set() or result.epoch_finished is not None):
                self._emit_snapshot()
                # Step aside while the GUI draws it. Drawing needs the GIL; competing for it, both
                # threads would crawl in turns (a frame would take 3-4 times its CPU time and the
                # window would stutter). Waiting costs training what the frame costs anyway.
                self._gui_ready.wait(MAX_DRAW_WAIT)
            return
        self._emit_snapshot()

    def _write_folder(self, write, *args):
        """A run-folder write; one that fails turns writing off for this run, and training goes on."""
        try:
            return write(*args)
        except NnvizError as exc:
            self.run_folder.give_up()
            self.error_raised.emit("The run folder is no longer written", str(exc))
            return None

    def _set_state(self, state: str) -> None:
        if state != RUNNING:
            self._epoch_target = None
        if state != self.state:
            if state == RUNNING:
                self._speed_mark = (time.monotonic(), self._samples)
                self._next_batch_time = time.monotonic()
            self.state = state
            self.state_changed.emit(state)

    def _emit_snapshot(self) -> None:
        trainer = self.trainer
        if trainer is None:
            return
        now = time.monotonic()
        mark_time, mark_samples = self._speed_mark
        if self.state == RUNNING and now - mark_time > 0.25:
            self._wall_speed = (self._samples - mark_samples) / (now - mark_time)
            self._speed_mark = (now, self._samples)
        snapshot = build_record(trainer, probe_index=self._probe_index, probe_split=self._probe_split,
                                confusion_split=self._confusion_split, loss_offset=self._loss_sent,
                                run_state=self.state,
                                wall_samples_per_second=self._wall_speed if self.state == RUNNING else 0.0,
                                probe_image=self._probe_image, probe_source=self._probe_source)
        self._loss_sent = trainer.history.n_iterations
        self._last_emit = now
        self._gui_ready.clear()
        self.snapshot_ready.emit(snapshot)

    # --- commands ----------------------------------------------------------------------------
    def _handle(self, command: tuple) -> None:
        name, args = command
        handler = getattr(self, f"_do_{name}", None)
        if handler is None:
            raise ValueError(f"unknown worker command {name!r}")
        handler(*args)

    def _do_quit(self) -> None:
        self._write_folder(self.run_folder.end, INTERRUPTED)
        self._quit = True

    def _do_load(self, config: RunConfig, model_path: str | None = None) -> None:
        """Build a new trainer (with the network of ``model_path``, a saved ``model.npz``, if given);
        on failure keep the old one and say why (load_failed)."""
        previous = self.state
        self._set_state(LOADING)
        try:
            network = load_model(model_path).network if model_path else None
            trainer = Trainer(config, data_dir=self.data_dir, network=network)
        except (NnvizError, ValueError) as exc:
            self._set_state(previous if self.trainer is not None else EMPTY)
            self.load_failed.emit(str(exc))
            return
        except Exception:
            self._set_state(previous if self.trainer is not None else EMPTY)
            raise
        self._write_folder(self.run_folder.reset)  # the previous run's folder ends interrupted
        self.trainer, self.config = trainer, config
        trainer.stop_flag = self._stopping
        self._loss_sent = 0
        self._samples = 0
        self._wall_speed = 0.0
        self._probe_index = min(self._probe_index, max(trainer.dataset.size(usable_split(trainer, "test")) - 1, 0))
        if self._probe_image is not None and self._probe_image.shape != trainer.network.input_shape:
            self._probe_image = None  # a drawn digit means nothing to a CIFAR or 2-D network
        self.run_loaded.emit(run_info(trainer))
        self._set_state(READY)
        self._emit_snapshot()

    def _do_save_run(self, out_dir: str) -> None:
        """Write the run folder (config, metrics, model) of the current trainer."""
        if self.trainer is not None:
            written = self.run_folder.complete_folder(self.trainer)  # written as it trained: nothing to add
            self.run_saved.emit(str(written or write_run_folder(out_dir, self.trainer)))

    def _do_reset(self) -> None:
        if self.config is not None:
            self._do_load(self.config)

    def _do_start(self) -> None:
        if self.trainer is not None and self.state in STEPPABLE:
            self._set_state(RUNNING)

    def _do_pause(self) -> None:
        if self.state == RUNNING:
            self._set_state(PAUSED)
            self._emit_snapshot()

    def _do_stop(self) -> None:
        if self.trainer is not None and self.state in (RUNNING, READY, PAUSED):
            self._write_folder(self.run_folder.end, INTERRUPTED)
            self._set_state(STOPPED)
            self._emit_snapshot()

    def _do_step_batch(self) -> None:
        if self.state == RUNNING:
            self._set_state(PAUSED)
        if self.trainer is None or self.state not in STEPPABLE:
            return
        self._set_state(PAUSED)
        self._train_one_batch(single=True)  # always followed by a snapshot

    def _do_step_epoch(self) -> None:
        if self.trainer is not None and self.state in STEPPABLE:
            self._set_state(RUNNING)
            self._epoch_target = self.trainer.epoch + 1

    def _do_set_live(self, name: str, value) -> None:
        """A setting of the live table (learning rate, momentum, batch size, epochs): it acts from
        the next batch; the new config goes back to the window, which keeps no copy of its own."""
        if self.trainer is None:
            return
        self.config = apply_live_setting(self.trainer, self.config, name, value)
        self.config_changed.emit(self.config)
        if self.state == FINISHED and not self.trainer.finished:  # more epochs for a finished run
            self._set_state(PAUSED)
        if self.state != RUNNING:
            self._emit_snapshot()

    def _do_set_probe(self, mode: str, value: int, split: str) -> None:
        """Choose the input the probe panels trace: by index, next, previous, random or next misclassified."""
        if self.trainer is None:
            return
        self._probe_image = None  # an example of the data set again, not the drawn input
        self._probe_split = split
        size = self.trainer.dataset.size(usable_split(self.trainer, split))
        if mode == "index":
            index = value
        elif mode == "next":
            index = self._probe_index + 1
        elif mode == "previous":
            index = self._probe_index - 1
        elif mode == "random":
            index = int(np.random.default_rng().integers(size))  # own generator: training stays reproducible
        elif mode == "misclassified":
            found = next_misclassified(self.trainer, split, self._probe_index)
            if found is None:
                self.error_raised.emit("Next misclassified", f"The network classifies every {split} example "
                                                             "correctly right now.")
                return
            index = found
        else:
            raise ValueError(f"unknown probe mode {mode!r}")
        self._probe_index = int(index) % max(size, 1)
        if self.state != RUNNING:
            self._emit_snapshot()

    def _do_set_confusion_split(self, split: str) -> None:
        self._confusion_split = split
        if self.state != RUNNING:
            self._emit_snapshot()

    def _do_evaluate(self) -> None:
        """Evaluate validation and test now, so the confusion matrix need not wait for an epoch end."""
        if self.trainer is None:
            return
        for split in ("val", "test"):
            if self.trainer.dataset.size(split):
                self.trainer.evaluate(split)
        if self.state != RUNNING:
            self._emit_snapshot()

    def _do_set_snapshot_rate(self, per_second: float) -> None:
        self._interval = 1.0 / max(float(per_second), 0.5)

    def _do_set_speed(self, batches_per_second: float) -> None:
        self._batches_per_second = max(float(batches_per_second), 0.0) if math.isfinite(batches_per_second) else 0.0
        self._next_batch_time = time.monotonic()

    def _do_resend(self) -> None:
        """The GUI lost track (e.g. its curves were cleared): send the whole loss curve again."""
        self._loss_sent = 0
        self._emit_snapshot()

    def _do_set_probe_image(self, image: np.ndarray | None, source: str = "drawn") -> None:
        """Trace ``image`` (the network's input shape, e.g. (1, 28, 28) in [0, 1]: a drawn digit or an
        image file, ``source`` "drawn" or "image") instead of an example of the data set; None goes
        back to the example chosen in the Input tool bar."""
        if self.trainer is None:
            return
        if image is not None:
            image = np.asarray(image, dtype=self.trainer.network.dtype)
            shape = self.trainer.network.input_shape
            problem = (f"This network takes inputs of shape {shape}; the image has shape {image.shape}."
                       if image.shape != shape else "" if np.all(np.isfinite(image)) else
                       "The image holds values that are not finite numbers.")
            if problem:
                self.error_raised.emit("Cannot use this input", problem)
                return
        self._probe_image, self._probe_source = image, source
        if self.state != RUNNING:
            self._emit_snapshot()
    # --- the Evaluation view -------------------------------------------------------------------
    evaluation_ready = Signal(object)  # EvaluationRecord

    def _do_evaluate_view(self, request: EvaluationRequest) -> None:
        """Per-class metrics, the confidence-sorted gallery and the two-class ROC of the network now."""
        self._view_request = request
        if self.trainer is None:
            return
        self.evaluation_ready.emit(self._evaluations.evaluate(self.trainer, request))
        if self.state != RUNNING:
            self._emit_snapshot()  # the confusion matrix counts the same predictions now

    def _do_follow_evaluation(self, on: bool) -> None:
        """Re-evaluate the view's request at every epoch's end (while the window shows the view)."""
        self._follow_evaluation = bool(on)
