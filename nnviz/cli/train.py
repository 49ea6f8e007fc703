"""``nnviz train``: train a preset or a config headless, print one line per epoch, write the run
folder (and with --png the window's panels as PNG files)."""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

from nnviz.core.config import RunConfig, load_config
from nnviz.core.initializers import INITIALIZERS
from nnviz.core.live_settings import LIVE_SETTINGS
from nnviz.core.presets import PRESETS, get_preset

from nnviz.cli.arguments import DATA_DIR_HELP, PRESET_DEFAULT, CliError, int_list


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser("train", help="train a preset headless and write a run folder")
    train.add_argument("--preset", default=None, help=f"one of: {', '.join(PRESETS)} (default: nielsen)")
    train.add_argument("--config", help="a config.toml to run; settings on the command line override it "
                       "(default: none, the preset's settings)")
    train.add_argument("--data", help="data set: mnist, fashion-mnist, kmnist, emnist, mnist-c/<corruption>, cifar10, "
                       "or a 2-D toy set (xor, blobs, circles, moons, spiral, diabetes) " + PRESET_DEFAULT)
    train.add_argument("--data-dir", help=DATA_DIR_HELP)
    train.add_argument("--epochs", type=int, help=f"epochs to train {PRESET_DEFAULT}")
    train.add_argument("--iterations", type=int, help=f"stop after this many mini-batches {PRESET_DEFAULT}; "
                       "--epochs alone trains whole epochs")
    train.add_argument("--lr", type=float, help=f"learning rate eta {PRESET_DEFAULT}")
    train.add_argument("--momentum", type=float, help=f"momentum of the momentum optimiser {PRESET_DEFAULT}")
    train.add_argument("--optimizer", choices=["sgd", "momentum", "adam"], help=f"update rule {PRESET_DEFAULT}")
    train.add_argument("--lr-decay", metavar="SCHEDULE", help="learning-rate schedule: none, exp:F (times F after "
                       "every epoch, e.g. exp:0.95) or step:N:F (times F every N epochs, e.g. step:10:0.5) "
                       f"{PRESET_DEFAULT}")
    train.add_argument("--weight-decay", type=float, metavar="LAMBDA", help="L2 weight decay on the weights, not "
                       f"the biases; 0 = off {PRESET_DEFAULT}")
    train.add_argument("--dropout", type=float, metavar="P", help="inverted dropout rate after each hidden layer, "
                       f"off at evaluation; 0 = off {PRESET_DEFAULT}")
    train.add_argument("--input-dropout", type=float, metavar="P", help="inverted dropout rate on the input "
                       f"pixels; 0 = off {PRESET_DEFAULT}")
    train.add_argument("--init", choices=INITIALIZERS, help=f"weight initialisation {PRESET_DEFAULT}")
    train.add_argument("--init-std", type=float, help="standard deviation for normal/truncated-normal init "
                       f"{PRESET_DEFAULT}")
    train.add_argument("--early-stopping", type=int, metavar="PATIENCE", help="stop when the validation loss has "
                       "not improved for PATIENCE epochs and keep the best epoch's weights; 0 = off "
                       f"{PRESET_DEFAULT}")
    train.add_argument("--train-eval-size", type=int, metavar="N", help="measure train loss/accuracy after each "
                       "epoch on a fixed sample of N training examples, 0 = all (default 10000)")
    train.add_argument("--batch", type=int, help=f"mini-batch size {PRESET_DEFAULT}")
    train.add_argument("--hidden", type=int_list, help=f"hidden layer sizes, e.g. 30 or 100,30 {PRESET_DEFAULT}")
    train.add_argument("--activation", help=f"hidden activation: sigmoid, tanh, relu {PRESET_DEFAULT}")
    train.add_argument("--loss", help=f"quadratic, mse, cross-entropy {PRESET_DEFAULT}")
    train.add_argument("--seed", type=int, help=f"seed of the initial weights and the batch order {PRESET_DEFAULT}")
    train.add_argument("--train-size", type=int, help=f"train on the first N examples only {PRESET_DEFAULT}")
    train.add_argument("--out", help="run folder (default: runs/<preset>-<time>)")
    train.add_argument("--png", metavar="DIR", help="also write every panel as PNG into this folder (default: no PNGs)")
    train.add_argument("--png-every", type=int, default=0, metavar="N",
                       help="with --png: also every N epochs (default: 0, only at the end)")
    train.add_argument("--quiet", action="store_true", help="no per-epoch lines")

    train.set_defaults(handler=command_train)


def config_from_args(args: argparse.Namespace) -> RunConfig:
    if args.config and args.preset:
        raise CliError("give either --preset or --config (a config file names its own preset)")
    if args.config:
        config = load_config(args.config)
    else:
        config = get_preset(args.preset or "nielsen").config()
    from nnviz.core.training_options import optimizer_changes

    live = {"learning_rate": args.lr, "batch_size": args.batch, "epochs": args.epochs}
    changes = {LIVE_SETTINGS[name].config_key: LIVE_SETTINGS[name].parse(value)
               for name, value in live.items() if value is not None}
    changes.update({
        "data.name": args.data, "training.iterations": args.iterations,
        "model.hidden": args.hidden, "model.activation": args.activation, "model.loss": args.loss,
        "training.seed": args.seed, "data.train_size": args.train_size, "optimizer.lr_decay": args.lr_decay,
        "optimizer.weight_decay": args.weight_decay, "model.dropout": args.dropout, "model.init": args.init,
        "model.input_dropout": args.input_dropout, "model.init_std": args.init_std,
        "training.early_stopping": args.early_stopping, "training.train_eval_size": args.train_eval_size,
        **optimizer_changes(config.optimizer.name, config.optimizer.momentum, args.optimizer, args.momentum),
    })
    changes = {k: v for k, v in changes.items() if v is not None}
    if args.epochs is not None and args.iterations is None:
        changes["training.iterations"] = None  # an explicit epoch count wins over a preset's iterations
    return config.with_changes(**changes) if changes else config


def _default_out(config: RunConfig) -> Path:
    return Path("runs") / f"{config.preset}-{datetime.now():%Y%m%d-%H%M%S}"


class _ProgressBar:
    """One line rewritten in place, at most 10 times a second (only when stdout is a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._last = 0.0

    def update(self, trainer) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < 0.1:
            return
        self._last = now
        done, total = trainer.batch_in_epoch, trainer.batches_in_epoch
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stdout.write(f"\rEpoch {trainer.epoch + 1} [{'#' * filled}{'.' * (width - filled)}] "
                         f"batch {done} / {total}")
        sys.stdout.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stdout.write("\r" + " " * 70 + "\r")


def epoch_line(record) -> str:
    if record.test_total:
        head = f"Epoch {record.epoch}: {record.test_correct} / {record.test_total}"
    elif record.val_total:
        head = f"Epoch {record.epoch}: {record.val_correct} / {record.val_total} (validation)"
    else:
        head = f"Epoch {record.epoch}: train accuracy {record.train_accuracy:.2%}"
    return f"{head}, train loss {record.train_loss:.4f}, {record.seconds + record.eval_seconds:.2f} s"


def command_train(args: argparse.Namespace) -> int:
    from nnviz.core.live_run import INTERRUPTED, LiveRunWriter, plan_run_folder
    from nnviz.core.run_folder import check_output_folder, final_metrics
    from nnviz.core.trainer import DIVERGED, Trainer

    config = config_from_args(args)
    if args.png_every and not args.png:
        raise CliError("--png-every needs --png DIR")
    out = Path(args.out) if args.out else _default_out(config)
    check_output_folder(out, "--out")  # before loading data and training, not after
    exporter = None
    if args.png and Path(args.png).exists() and not Path(args.png).is_dir():
        raise CliError(f"--png {args.png} is a file, not a folder; give a folder for the PNGs")
    if args.png:
        from nnviz.ui.headless_export import HeadlessExporter  # imports Qt (offscreen) only when asked

        exporter = HeadlessExporter(Path(args.png))  # checks the folder: refused before any training
    plan = plan_run_folder(out, config)
    trainer = Trainer(config, data_dir=args.data_dir)
    writer = LiveRunWriter(plan, trainer)
    bar = _ProgressBar(sys.stdout.isatty() and not args.quiet)
    if not args.quiet:
        print(f"{config.preset}: {trainer.dataset.name}, {trainer.n_train:,} training examples, "
              f"{trainer.network.n_params:,} parameters")
    if plan.resume_epoch:  # said even with --quiet: the run does not start from scratch
        print(f"Resuming {out} after epoch {plan.resume_epoch}", flush=True)
    with _StopSignals() as stop:
        try:
            _train(trainer, writer, stop, bar, exporter, args)
        except BaseException:
            bar.clear()
            with contextlib.suppress(Exception):  # the folder keeps its finished epochs either way
                writer.finish(INTERRUPTED)
            raise
        bar.clear()
        if stop.signal:
            writer.finish(INTERRUPTED)
            print(f"nnviz: interrupted ({stop.name}) during epoch {trainer.epoch + 1}; {out} keeps "
                  f"{trainer.epoch} finished epochs (state interrupted); the same command continues it",
                  file=sys.stderr)
            return 128 + stop.signal
        writer.finish(trainer.state)
    if exporter:
        exporter.export(trainer)
    metrics = final_metrics(trainer)
    if trainer.state == DIVERGED:
        print(f"nnviz: {trainer.message}", file=sys.stderr)
        print(f"Run folder: {out}")
        return 1
    if trainer.message and not args.quiet:  # e.g. early stopping: which epoch's weights were kept
        print(trainer.message)
    accuracy = metrics["test_accuracy"] if metrics["test_accuracy"] is not None else metrics["val_accuracy"]
    print(f"Finished: test accuracy {_pct(accuracy)}, {metrics['seconds']:.1f} s "
          f"({metrics['samples_per_second']:,.0f} samples/s). Run folder: {out}")
    if trainer.health is not None:  # the run ended normally but learned nothing (or left a class out)
        _warn(trainer.health.message)
    return 0


def _warn(message: str) -> None:
    sys.stdout.flush()  # after the lines it explains
    print(f"nnviz: warning: {message}", file=sys.stderr, flush=True)


class _StopSignals:
    """SIGINT and SIGTERM end training between two chunks of batches (at most ~0.05 s later),
    so the run folder is finished consistently; a second signal acts at once."""

    def __init__(self) -> None:
        self.signal = 0
        self.name = ""
        self._previous: dict[int, object] = {}

    def _handle(self, number: int, _frame) -> None:
        if self.signal:
            raise KeyboardInterrupt
        self.signal, self.name = number, signal.Signals(number).name

    def __enter__(self) -> "_StopSignals":
        for number in (signal.SIGINT, signal.SIGTERM):
            self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *_exc) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)


def _train(trainer, writer, stop: "_StopSignals", bar: _ProgressBar, exporter, args: argparse.Namespace) -> None:
    """Train until finished, diverged or a stop signal, writing the run folder as it goes."""
    from nnviz.core.trainer import DIVERGED

    warned = None  # the health message said last: said once when it appears, and again at the end
    while trainer.state != DIVERGED and not trainer.finished and not stop.signal:
        result = trainer.step_for(0.05)  # chunks of batches: a per-batch loop costs a tenth of the speed
        writer.after_step()
        bar.update(trainer)
        if result.epoch_finished is not None:
            writer.after_epoch(result.epoch_finished)
            bar.clear()
            if not args.quiet:
                print(epoch_line(result.epoch_finished), flush=True)
            if trainer.health is not None and trainer.health.kind != getattr(warned, "kind", None) \
                    and not trainer.finished:
                _warn(trainer.health.message)
            warned = trainer.health
            if exporter and args.png_every and trainer.epoch % args.png_every == 0 and not trainer.finished:
                exporter.export(trainer, suffix=f"-epoch{trainer.epoch:03d}")


def _pct(value: float | None) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2%}"
