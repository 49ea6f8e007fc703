"""Run a lesson's MNIST computation off the GUI thread (Qt's worker-object pattern, style guide §4).

A *runner* is any object with ``step() -> bool`` (one small unit of work; True when done) and
``snapshot()`` (copies of what to draw). The worker builds the runner in its own thread (loading
MNIST happens there too), steps it, and reads a command queue between steps, since a busy slot
never sees queued signals. Snapshots go out at most ``rate`` times a second and only once the GUI
has drawn the previous one, plus always at the end.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, QThread, Signal, Slot

from nnviz.core.errors import NnvizError


class Runner(Protocol):
    def step(self) -> bool: ...

    def snapshot(self) -> Any: ...


class LessonWorker(QObject):
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, build_runner: Callable[[], Runner], rate: float = 12.0) -> None:
        super().__init__()
        self._build_runner = build_runner
        self._commands: queue.Queue[str] = queue.Queue()
        self._interval = 1.0 / rate
        self.gui_ready = threading.Event()
        self.gui_ready.set()

    def send(self, command: str) -> None:
        """"pause", "resume" or "stop"; thread-safe, acted on between steps."""
        self._commands.put(command)

    @Slot()
    def run_loop(self) -> None:
        try:
            self._loop()
        except NnvizError as exc:
            self.failed.emit(str(exc))
        except Exception:  # a bug: report it instead of killing the thread silently
            self.failed.emit("Unexpected error:\n" + traceback.format_exc(limit=6))
        QThread.currentThread().quit()

    def _loop(self) -> None:
        runner = self._build_runner()
        paused, last_emit = False, 0.0
        while True:
            try:
                command = self._commands.get(timeout=0.1) if paused else self._commands.get_nowait()
            except queue.Empty:
                command = None
            if command == "stop":
                return
            if command in ("pause", "resume"):
                paused = command == "pause"
                if paused:
                    self.progress.emit(runner.snapshot())
                continue
            if paused:
                continue
            if runner.step():
                self.finished.emit(runner.snapshot())
                return
            now = time.monotonic()
            if now - last_emit >= self._interval and self.gui_ready.is_set():
                self.gui_ready.clear()
                last_emit = now
                self.progress.emit(runner.snapshot())


class BackgroundRun(QObject):
    """Owns one worker thread at a time: ``start`` a runner, ``pause``/``resume``, ``stop`` (joins)."""

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread: QThread | None = None
        self.worker: LessonWorker | None = None

    def is_running(self) -> bool:
        return self.thread is not None and self.thread.isRunning()

    def start(self, build_runner: Callable[[], Runner]) -> None:
        self.stop()
        self.thread = QThread()
        self.worker = LessonWorker(build_runner)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run_loop)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.thread.start()

    def pause(self) -> None:
        if self.worker is not None:
            self.worker.send("pause")

    def resume(self) -> None:
        if self.worker is not None:
            self.worker.send("resume")

    def stop(self, timeout_ms: int = 10000) -> None:
        """Ask the worker to stop after its current step and wait for the thread to end."""
        if self.thread is None:
            return
        self.worker.send("stop")
        self.thread.quit()
        if not self.thread.wait(timeout_ms):  # a step never takes this long; leave it to the OS
            self.thread.terminate()
            self.thread.wait()
        self.worker.deleteLater()
        self.thread.deleteLater()
        self.thread, self.worker = None, None

    def frame_drawn(self) -> None:
        """The GUI drew the last snapshot: the worker may send the next one."""
        if self.worker is not None:
            self.worker.gui_ready.set()

    @Slot(object)
    def _on_progress(self, snapshot: Any) -> None:
        self.progress.emit(snapshot)

    @Slot(object)
    def _on_finished(self, snapshot: Any) -> None:
        self.finished.emit(snapshot)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)
