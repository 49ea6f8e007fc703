"""Speed of the live window: ``python -m nnviz.ui.bench [--preset nielsen] [--presentation] [--size 1024x768]``.

Prints the samples per second of the same preset trained headless (as ``nnviz train`` trains it:
chunks of 50 ms, its run folder written as it goes, like the window's) and in the real window
(offscreen, every panel visible), side by side, and the worst gap a 10 ms timer on the GUI thread
saw while training ran (a frozen window shows as a long gap). Headless and window segments
alternate, and each window segment is compared with the mean of the headless segments either side
of it: this machine's speed drifts by a third within seconds, and a drift then slows both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time


def wait(seconds: float) -> None:
    """Let the event loop run for ``seconds`` (the worker's signals are delivered meanwhile)."""
    from PySide6 import QtCore

    loop = QtCore.QEventLoop()
    QtCore.QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def open_window(preset: str, data_dir: str | None, width: int = 1600, height: int = 1000):
    """The real main window, offscreen, with settings of its own, once its first run is built."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # measured offscreen, even with a display
    import nnviz.ui  # noqa: F401  (refcount guard before Qt)
    from PySide6 import QtCore

    from nnviz.ui.main_window import MainWindow
    from nnviz.ui.offscreen import ensure_app

    ensure_app("nnviz-bench")
    # Its settings file and run folders (beside the settings) are removed when the process ends.
    scratch = tempfile.TemporaryDirectory(prefix="nnviz-bench-")
    settings = QtCore.QSettings(os.path.join(scratch.name, "bench.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(data_dir=data_dir, preset=preset, settings=settings)
    window.bench_scratch = scratch  # lives as long as the window
    window.resize(width, height)
    window.show()
    while window.run_info is None:
        wait(0.05)
    return window


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnviz.ui.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="nielsen")
    parser.add_argument("--seconds", type=float, default=1.5, help="length of each measured segment")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--data-dir", default=os.environ.get("NNVIZ_DATA_DIR"))
    parser.add_argument("--presentation", action="store_true", help="measure in presentation mode (F5)")
    parser.add_argument("--size", default="1600x1000", help="window size, e.g. 1024x768 (a projector)")
    parser.add_argument("--budget", type=float, help="share of wall time drawing may take (default: the window's)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))

    from PySide6 import QtCore

    from nnviz.core.live_run import LiveRunWriter, plan_run_folder
    from nnviz.core.presets import preset_config
    from nnviz.core.trainer import Trainer

    window = open_window(args.preset, args.data_dir, width, height)
    if args.presentation:
        window.presentation.action.trigger()
    if args.budget:
        window.set_draw_budget(args.budget)
    # Epochs enough for any number of rounds: a finished run would measure nothing.
    window.on_live_setting("epochs", 10_000)
    headless = Trainer(preset_config(args.preset).with_changes(**{"training.epochs": 10_000}), data_dir=args.data_dir)
    writer = LiveRunWriter(plan_run_folder(os.path.join(window.bench_scratch.name, "headless"), headless.config), headless)
    batch = headless.batch_size
    frames: list[tuple[float, int]] = []
    window.worker.snapshot_ready.connect(lambda s: frames.append((time.perf_counter(), s.iteration)))
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    probe = QtCore.QTimer()
    probe.timeout.connect(tick)
    probe.start(10)

    def headless_segment() -> float:
        started, first = time.perf_counter(), headless.iteration
        while time.perf_counter() - started < args.seconds:
            result = headless.step_for(0.05)  # in chunks, as `nnviz train` trains
            writer.after_step()
            if result.epoch_finished is not None:
                writer.after_epoch(result.epoch_finished)
        return (headless.iteration - first) * batch / (time.perf_counter() - started)

    rows = []
    after = headless_segment()
    for _ in range(args.rounds):
        before, count = after, len(frames)
        window.worker.send("start")
        while len(frames) <= count:  # the first frame after a resume
            wait(0.05)
        t0, i0 = frames[-1]
        n0 = len(frames)
        gaps.clear()
        last[0] = time.perf_counter()
        wait(args.seconds)
        t1, i1 = frames[-1]
        window.worker.send("pause")
        wait(0.3)
        window_speed = (i1 - i0) * batch / (t1 - t0)
        fps, gap = (len(frames) - n0) / (t1 - t0), max(gaps)
        after = headless_segment()
        rows.append(((before + after) / 2, window_speed, fps, gap))
    window.close()
    mode = "presentation mode" if args.presentation else "default layout"
    print(f"{args.preset}: samples per second, headless vs live window (offscreen, {mode}, {width}x{height})")
    for h, w, fps, gap in rows:
        print(f"  headless {h:9,.0f}   window {w:9,.0f}   {w / h:6.1%}   {fps:5.1f} frames/s   "
              f"worst GUI gap {gap * 1000:4.0f} ms")
    ratio = statistics.median(w / h for h, w, _, _ in rows)
    total = sum(w for _, w, _, _ in rows) / sum(h for h, _, _, _ in rows)
    print(f"  median of rounds: the window keeps {ratio:.1%} of headless throughput (all rounds: {total:.1%}); "
          f"median {statistics.median(r[2] for r in rows):.1f} frames/s; "
          f"worst GUI-thread gap {max(r[3] for r in rows) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
