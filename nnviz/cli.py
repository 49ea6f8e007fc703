"""`nnviz` on the command line: headless training, architecture info and evaluation.

A user's mistake (unknown preset, bad value, unreadable file) prints one line to stderr and exits
with code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from .core.config import RunConfig, load_config
from .core.errors import NnvizError
from .core.initializers import INITIALIZERS
from .core.presets import PRESETS, get_preset
from .evaluate_command import add_arguments as add_evaluate_arguments
from .evaluate_command import command_evaluate as command_evaluate_model

USER_ERROR = 2
# Feature modules that add sub-commands (labs, data downloads, sweeps): each defines
# register(subparsers), and every parser it adds sets `handler=function(args) -> int`.
EXTENSIONS = ("nnviz.labs.commands", "nnviz.data_commands", "nnviz.sweep.commands")


class CliError(Exception):
    """A mistake on the command line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors become our one-line form
        raise CliError(message)


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.replace("-", ",").split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 30 or 100,30, got {text!r}") from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return values


def _optional_module(name: str):
    """Import a feature module; None only when that module itself is not installed."""
    import importlib

    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nnviz", description="Train and look inside small NumPy neural networks.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    train = sub.add_parser("train", help="train a preset headless and write a run folder")
    train.add_argument("--preset", default=None, help=f"one of: {', '.join(PRESETS)} (default nielsen)")
    train.add_argument("--config", help="a config.toml to run (settings on the command line override it)")
    train.add_argument("--data", help="data set: mnist, fashion-mnist, kmnist, emnist, mnist-c/<corruption>, cifar10, "
                       "or a 2-D toy set (xor, blobs, circles, moons, spiral, diabetes)")
    train.add_argument("--data-dir", help="folder holding <data set>/<IDX files> (also $NNVIZ_DATA_DIR)")
    train.add_argument("--epochs", type=int)
    train.add_argument("--iterations", type=int, help="stop after this many mini-batches")
    train.add_argument("--lr", type=float, help="learning rate eta")
    train.add_argument("--momentum", type=float, help="momentum mu in [0, 1) for sgd/momentum (default: the "
                       "preset's; 0.9 for --optimizer momentum)")
    train.add_argument("--optimizer", choices=["sgd", "momentum", "adam"], help="default: the preset's")
    train.add_argument("--lr-decay", metavar="SCHEDULE", help="learning-rate schedule: none, exp:F (times F after "
                       "every epoch, e.g. exp:0.95) or step:N:F (times F every N epochs, e.g. step:10:0.5); "
                       "default: the preset's, mostly none")
    train.add_argument("--weight-decay", type=float, metavar="LAMBDA", help="L2 weight decay lambda on the weights, "
                       "not the biases (default: the preset's; 0 = off)")
    train.add_argument("--dropout", type=float, metavar="P", help="inverted dropout rate after each hidden layer, "
                       "off at evaluation (default: the preset's; 0 = off)")
    train.add_argument("--input-dropout", type=float, metavar="P", help="inverted dropout rate on the input "
                       "pixels (default: the preset's; 0 = off)")
    train.add_argument("--init", choices=INITIALIZERS, help="weight initialisation (default: the preset's)")
    train.add_argument("--init-std", type=float, help="standard deviation for normal/truncated-normal init "
                       "(default: the preset's, mostly 1.0; TensorFlow's tutorials use 0.1)")
    train.add_argument("--early-stopping", type=int, metavar="PATIENCE", help="stop when the validation loss has "
                       "not improved for PATIENCE epochs and keep the best epoch's weights "
                       "(default: the preset's; 0 = off)")
    train.add_argument("--train-eval-size", type=int, metavar="N", help="measure train loss/accuracy after each "
                       "epoch on a fixed sample of N training examples, 0 = all (default 10000)")
    train.add_argument("--batch", type=int, help="mini-batch size")
    train.add_argument("--hidden", type=_int_list, help="hidden layer sizes, e.g. 30 or 100,30")
    train.add_argument("--activation", help="hidden activation: sigmoid, tanh, relu")
    train.add_argument("--loss", help="quadratic, mse, cross-entropy")
    train.add_argument("--seed", type=int)
    train.add_argument("--train-size", type=int, help="train on the first N examples only")
    train.add_argument("--out", help="run folder (default runs/<preset>-<time>)")
    train.add_argument("--png", help="also write every panel as PNG into this folder")
    train.add_argument("--png-every", type=int, default=0, help="with --png: also every N epochs")
    train.add_argument("--quiet", action="store_true", help="no per-epoch lines")

    info = sub.add_parser("info", help="print an architecture with its parameter counts")
    info.add_argument("--preset", help="a preset's network")
    info.add_argument("--hidden", type=_int_list, help="hidden sizes (with the preset's data)")
    info.add_argument("--sizes", type=_int_list, help="a fully connected net, e.g. 3-5-4-5-2 or 784,30,10")
    info.add_argument("--data", help="data set whose input shape to use")

    evaluate = sub.add_parser("evaluate", help="evaluate a saved model on a data split: per-class metrics, "
                              "confused pairs, or two classes with ROC and AUC (--binary)")
    add_evaluate_arguments(evaluate)
    evaluate.set_defaults(handler=command_evaluate_model)

    sub.add_parser("presets", help="list the presets")

    for module_name in EXTENSIONS:
        module = _optional_module(module_name)
        if module is not None:
            module.register(sub)  # adds its sub-commands, each with set_defaults(handler=...)

    gui = sub.add_parser("gui", help="open the window (same as python main.py)")
    gui.add_argument("--data-dir", help="folder holding <data set>/<IDX files> (also $NNVIZ_DATA_DIR)")
    gui.add_argument("--preset", help="preset to open with")
    return parser


# --- train -------------------------------------------------------------------------------------
def config_from_args(args: argparse.Namespace) -> RunConfig:
    from .core.training_options import optimizer_changes

    if args.config and args.preset:
        raise CliError("give either --preset or --config (a config file names its own preset)")
    if args.config:
        config = load_config(args.config)
    else:
        config = get_preset(args.preset or "nielsen").config()
    changes = {
        "data.name": args.data, "training.epochs": args.epochs, "training.iterations": args.iterations,
        "optimizer.learning_rate": args.lr, "training.batch_size": args.batch, "model.hidden": args.hidden,
        "model.activation": args.activation, "model.loss": args.loss, "training.seed": args.seed,
        "data.train_size": args.train_size, "optimizer.lr_decay": args.lr_decay,
        "optimizer.weight_decay": args.weight_decay, "model.dropout": args.dropout, "model.init": args.init,
        "model.input_dropout": args.input_dropout,
        "model.init_std": args.init_std, "training.early_stopping": args.early_stopping,
        "training.train_eval_size": args.train_eval_size,
        **optimizer_changes(config.optimizer.name, config.optimizer.momentum, args.optimizer, args.momentum),
    }
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
    from .core.run_folder import final_metrics, write_run_folder
    from .core.trainer import DIVERGED, Trainer

    config = config_from_args(args)
    if args.png_every and not args.png:
        raise CliError("--png-every needs --png DIR")
    trainer = Trainer(config, data_dir=args.data_dir)
    out = Path(args.out) if args.out else _default_out(config)
    exporter = None
    if args.png:
        from .headless import HeadlessExporter  # imports Qt (offscreen) only when asked

        exporter = HeadlessExporter(Path(args.png))
    bar = _ProgressBar(sys.stdout.isatty() and not args.quiet)
    if not args.quiet:
        print(f"{config.preset}: {trainer.dataset.name}, {trainer.n_train:,} training examples, "
              f"{trainer.network.n_params:,} parameters")
    while trainer.state != DIVERGED and not trainer.finished:
        result = trainer.step_for(0.05)  # chunks of batches: a per-batch loop costs a tenth of the speed
        bar.update(trainer)
        if result.epoch_finished is not None:
            bar.clear()
            if not args.quiet:
                print(epoch_line(result.epoch_finished), flush=True)
            if exporter and args.png_every and trainer.epoch % args.png_every == 0 and not trainer.finished:
                exporter.export(trainer, suffix=f"-epoch{trainer.epoch:03d}")
    bar.clear()
    write_run_folder(out, trainer)
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
    return 0


def _pct(value: float | None) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2%}"


# --- info --------------------------------------------------------------------------------------
def command_info(args: argparse.Namespace) -> int:
    from .core.lessons.parameters import ArchitectureCount, fully_connected_specs
    from .core.models import build_network
    from .core.network import Sequential

    if args.sizes:
        sizes = args.sizes
        if len(sizes) < 2:
            raise CliError("--sizes needs at least an input and an output size, e.g. 3-5-4-5-2")
        network = Sequential(fully_connected_specs(tuple(sizes)), (sizes[0],))
        title = "fully connected " + "-".join(map(str, sizes))
    else:
        config = get_preset(args.preset or "nielsen").config()
        changes = {k: v for k, v in {"model.hidden": args.hidden, "data.name": args.data}.items() if v is not None}
        config = config.with_changes(**changes) if changes else config
        input_shape, n_classes = data_shape(config.data.name)
        network = build_network(config.model, input_shape, n_classes, np.random.default_rng(0))
        title = f"{config.preset} on {config.data.name}"
    counts = ArchitectureCount(title, title, network.input_shape, network.layer_counts())
    print(title)
    print(network.summary())
    print(f"{counts.neurons:,} neurons, {counts.weights:,} weights, {counts.biases:,} biases: {counts.total:,} "
          f"learnable parameters; {counts.macs:,} multiply-accumulates per sample")
    return 0


def data_shape(name: str) -> tuple[tuple[int, ...], int]:
    """Input shape and class count of a data set, without reading it."""
    from .core.datasets import IMAGE_DATASETS
    from .core.toy import TOY_DATASETS

    if name in IMAGE_DATASETS:
        info = IMAGE_DATASETS[name]
        return tuple(info.input_shape), len(info.class_names)
    if name in TOY_DATASETS:
        return (2,), 2
    raise CliError(f"unknown data set {name!r}; choose one of: {', '.join([*IMAGE_DATASETS, *TOY_DATASETS])}")


# --- evaluate ----------------------------------------------------------------------------------
def command_evaluate(args: argparse.Namespace) -> int:
    from .core.datasets import load_dataset
    from .core.losses import make_loss
    from .core.metrics import confusion_matrix

    from .core.model_io import load_model

    loaded = load_model(args.model)
    config = loaded.config or RunConfig()
    name = args.data or config.data.name
    d = config.data
    same_data = name == d.name
    dataset = load_dataset(name, data_dir=args.data_dir, val_size=d.val_size if same_data else 10000,
                           train_size=d.train_size if same_data else None, seed=config.training.seed)
    if dataset.input_shape != loaded.network.input_shape:
        raise CliError(f"the model expects inputs of shape {loaded.network.input_shape}, "
                       f"{name} has {dataset.input_shape}")
    x, y = dataset.split(args.split)
    if y.size == 0:
        raise CliError(f"the {args.split} split of {name} is empty for this model's settings")
    loss = make_loss(config.model.loss)
    outputs = loaded.network.predict(x)
    value = loss.forward(outputs, y)
    predicted = loss.predict_labels(outputs)
    correct = int(np.count_nonzero(predicted == y))
    print(f"{name} {args.split}: {correct} / {y.size} correct, accuracy {correct / y.size:.2%}, "
          f"{config.model.loss} loss {value:.4f}")
    matrix = confusion_matrix(y, predicted, dataset.n_classes)
    names = [n[:9] for n in dataset.class_names]
    width = max(6, max(len(n) for n in names) + 1)
    print("confusion matrix (rows: true class, columns: predicted)")
    print(" " * width + "".join(f"{n:>{width}}" for n in names))
    for name_row, row in zip(names, matrix):
        print(f"{name_row:>{width}}" + "".join(f"{v:>{width}}" for v in row))
    return 0


def command_presets(args: argparse.Namespace) -> int:
    for preset in PRESETS.values():
        print(f"{preset.name:<18}{preset.description}")
    return 0


def command_gui(args: argparse.Namespace) -> int:
    from .ui.app import run_app  # Qt is imported only for the window

    return run_app(data_dir=args.data_dir, preset=args.preset)


COMMANDS = {"gui": command_gui, "train": command_train, "info": command_info, "evaluate": command_evaluate,
            "presets": command_presets}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return USER_ERROR
        handler = getattr(args, "handler", None) or COMMANDS[args.command]
        return handler(args)
    except (CliError, NnvizError, ValueError) as exc:
        print(f"nnviz: error: {exc}", file=sys.stderr)
        return USER_ERROR
    except KeyboardInterrupt:
        print("nnviz: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
