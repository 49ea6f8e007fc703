"""``nnviz evaluate``: a saved model on one data split, as a lecturer evaluates it.

    nnviz evaluate --model runs/x/model.npz --split test --json eval.json --png figures/
    nnviz evaluate --model runs/x/model.npz --binary 4 9 --threshold 0.5 --json roc.json

Without ``--binary``: accuracy, the confusion matrix (rows = true class), per-class precision,
recall, F1 and support, and the most confused pairs. With ``--binary POS NEG``: only the split's
examples of those two classes, each scored p(POS) / (p(POS) + p(NEG)), called POS when the score
reaches the threshold: TP/FP/TN/FN, TPR, FPR, the ROC curve and its AUC. Both print a table;
``--json`` writes the figures, ``--png`` the figures as images. Mistakes (bad class, missing
model, unwritable output) are found before the data is read, and exit with code 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path
from typing import Any

from nnviz.core.atomic import atomic_write_bytes
from nnviz.cli.arguments import DATA_DIR_HELP
from nnviz.core.errors import NnvizError


class EvaluateError(NnvizError):
    """A mistake in the arguments of ``nnviz evaluate``."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``nnviz evaluate``."""
    parser.add_argument("--model", required=True, help="a model.npz written by nnviz (required)")
    parser.add_argument("--data", help="data set (default: the one it was trained on)")
    parser.add_argument("--data-dir", help=DATA_DIR_HELP)
    parser.add_argument("--split", default="test", choices=["train", "val", "test"], help="which split to evaluate (default: test)")
    parser.add_argument("--binary", nargs=2, metavar=("POS", "NEG"), help="two-class view: positive and negative "
                        "class, by index or name, or NEG = rest (one-vs-rest); scores "
                        "p(POS)/(p(POS)+p(NEG)), ROC curve and AUC (default: none, all classes)")
    parser.add_argument("--threshold", type=float, default=0.5, help="with --binary: call an example POS when "
                        "its score is at least this (default 0.5: whichever class is likelier)")
    parser.add_argument("--top", type=int, default=5, help="how many confused pairs to list (default 5)")
    parser.add_argument("--json", metavar="OUT", help="write the figures to this JSON file (default: none)")
    parser.add_argument("--png", metavar="DIR", help="write the evaluation figures as PNG files into DIR (default: none)")


def command_evaluate(args: argparse.Namespace) -> int:
    from nnviz.core.evaluation import evaluate_split
    from nnviz.core.losses import make_loss
    from nnviz.core.model_io import load_model

    if args.binary is None and args.threshold != 0.5:
        raise EvaluateError("--threshold applies to the two-class view: add --binary POS NEG")
    if not (math.isfinite(args.threshold) and 0.0 <= args.threshold <= 1.0):
        raise EvaluateError(f"--threshold must be between 0 and 1, got {args.threshold:g}")
    if args.top < 0:
        raise EvaluateError(f"--top must be 0 or more, got {args.top}")
    json_path = Path(args.json) if args.json else None
    if json_path is not None:
        check_writable_file(json_path, "--json")
    if args.png:
        check_writable_folder(Path(args.png), "--png")
    loaded = load_model(args.model)
    config = loaded.config
    n_outputs = int(loaded.network.output_shape[0])
    n_classes = 2 if n_outputs == 1 else n_outputs
    names = list(loaded.class_names) if len(loaded.class_names) == n_classes else [str(i) for i in range(n_classes)]
    classes = None
    if args.binary is not None:
        negative = None if args.binary[1].lower() == "rest" else resolve_class(args.binary[1], names)
        classes = (resolve_class(args.binary[0], names), negative)
    if classes is not None and classes[0] == classes[1]:
        raise EvaluateError(f"--binary needs two different classes, got {names[classes[0]]!r} twice")

    dataset, data_name = _load_data(args, loaded)  # the long work starts here
    x, y = dataset.split(args.split)
    if y.size == 0:
        raise EvaluateError(f"the {args.split} split of {data_name} is empty for this model's settings")
    loss_name = config.model.loss if config else "cross-entropy"
    evaluation = evaluate_split(loaded.network, make_loss(loss_name), x, y, n_classes, args.split)
    names = list(dataset.class_names) if len(dataset.class_names) == n_classes else names
    head = {"model": str(args.model), "data": data_name, "split": args.split}
    if classes is None:
        result = {**head, **multiclass_summary(evaluation, names, args.top, loss_name)}
        print_multiclass(result)
    else:
        missing = [names[c] for c in classes if c is not None and not (y == c).any()]
        if classes[1] is None and (y == classes[0]).all():
            missing.append("any other class")
        if missing:
            raise EvaluateError(f"the {args.split} split has no examples of {' or '.join(map(repr, missing))}")
        binary = evaluation.binary(*classes, threshold=args.threshold)
        result = {**head, **binary_summary(binary, names)}
        print_binary(result)
    if json_path is not None:
        text = json.dumps(result, indent=2) + "\n"
        try:
            atomic_write_bytes(json_path, text.encode())
        except OSError as exc:
            raise EvaluateError(f"cannot write {json_path}: {exc.strerror or exc}") from None
        print(f"Wrote {json_path}")
    if args.png:
        from nnviz.ui.evaluation_figures import write_evaluation_pngs  # Qt (offscreen) only when asked

        title = f"{data_name} {'validation' if args.split == 'val' else args.split}"
        for path in write_evaluation_pngs(Path(args.png), evaluation, names, title,
                                          binary=None if classes is None else binary):
            print(f"Wrote {path}")
    return 0


# --- checks before the long work ---------------------------------------------------------------
def check_writable_file(path: Path, option: str) -> None:
    """The file can be created or replaced: its folder exists (or is made) and is writable."""
    if path.is_dir():
        raise EvaluateError(f"{option} {path} is a folder; give a file name such as {path / 'evaluation.json'}")
    folder = path.parent if str(path.parent) else Path(".")
    check_writable_folder(folder, option)
    if path.exists() and not os.access(path, os.W_OK):
        raise EvaluateError(f"{option} {path} exists and is read-only")


def check_writable_folder(folder: Path, option: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EvaluateError(f"{option}: cannot create the folder {folder}: {exc.strerror or exc}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise EvaluateError(f"{option}: the folder {folder} is read-only")


def resolve_class(text: str, names: list[str]) -> int:
    """A class given by index ("4") or by name ("Coat", any case)."""
    try:
        index = int(text)
    except ValueError:
        lowered = [n.lower() for n in names]
        if text.lower() in lowered:
            return lowered.index(text.lower())
        raise EvaluateError(f"--binary: no class {text!r}; classes are 0-{len(names) - 1}: "
                            f"{', '.join(names)}") from None
    if not 0 <= index < len(names):
        raise EvaluateError(f"--binary: class {index} does not exist; this model has classes 0-{len(names) - 1}")
    return index


def _load_data(args: argparse.Namespace, loaded):
    from nnviz.core.config import RunConfig
    from nnviz.core.data.loading import load_dataset

    config = loaded.config or RunConfig()
    name = args.data or config.data.name
    d = config.data
    same_data = name == d.name
    dataset = load_dataset(name, data_dir=args.data_dir, val_size=d.val_size if same_data else 10000,
                           train_size=d.train_size if same_data else None, seed=config.training.seed)
    if dataset.input_shape != loaded.network.input_shape:
        raise EvaluateError(f"the model expects inputs of shape {loaded.network.input_shape}, "
                            f"{name} has {dataset.input_shape}")
    return dataset, name


# --- results -----------------------------------------------------------------------------------
def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def multiclass_summary(evaluation, names: list[str], top: int, loss_name: str) -> dict[str, Any]:
    from nnviz.core.evaluation import macro_average, most_confused_pairs

    per_class = evaluation.per_class(names)
    return {
        "examples": int(evaluation.labels.size), "correct": evaluation.correct,
        "accuracy": _number(evaluation.accuracy), "loss": _number(evaluation.loss), "loss_name": loss_name,
        "class_names": names, "confusion": evaluation.confusion.tolist(),
        "per_class": [m.to_dict() for m in per_class],
        "macro_average": {k: _number(v) for k, v in macro_average(per_class).items()},
        "most_confused": [p.to_dict() for p in most_confused_pairs(evaluation.confusion, top)],
    }


def binary_summary(binary, names: list[str]) -> dict[str, Any]:
    point = binary.point
    return {**binary.to_dict(), "positive_name": names[binary.scores.positive],
            "negative_name": negative_name(binary, names), "precision": _number(point.precision),
            "accuracy": _number(point.accuracy)}


def negative_name(binary, names: list[str]) -> str:
    return "rest" if binary.scores.negative is None else names[binary.scores.negative]


def class_label(index: int | str, name: str) -> str:
    """"4 Coat", or just "4" where the name is the index (digits)."""
    return str(index) if name == str(index) else f"{index} {name}"


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def print_multiclass(result: dict[str, Any]) -> None:
    """Accuracy, the per-class table, the most confused pairs, then the confusion matrix (last)."""
    names = result["class_names"]
    split = "validation" if result["split"] == "val" else result["split"]
    print(f"{result['data']} {split}: {result['correct']} / {result['examples']} correct, "
          f"accuracy {result['accuracy']:.2%}, {result['loss_name']} loss {_fmt(result['loss'], 4)}")
    label_width = max(14, max(len(class_label(i, n)) for i, n in enumerate(names)) + 2)
    print(f"{'class':<{label_width}}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>10}")
    for row in result["per_class"]:
        label = class_label(row["class"], row["name"])
        print(f"{label:<{label_width}}{_fmt(row['precision']):>10}{_fmt(row['recall']):>10}{_fmt(row['f1']):>10}"
              f"{row['support']:>10}")
    macro = result["macro_average"]
    print(f"{'macro average':<{label_width}}{_fmt(macro['precision']):>10}{_fmt(macro['recall']):>10}"
          f"{_fmt(macro['f1']):>10}{result['examples']:>10}")
    if result["most_confused"]:
        print("most confused (true -> predicted: examples, share of the true class)")
        for pair in result["most_confused"]:
            print(f"  {names[pair['true']]} -> {names[pair['predicted']]}: {pair['count']} "
                  f"({pair['fraction']:.1%})")
    short = [n[:9] for n in names]
    width = max(6, max(len(n) for n in short) + 1)
    print("confusion matrix (rows: true class, columns: predicted)")
    print(" " * width + "".join(f"{n:>{width}}" for n in short))
    for name, row in zip(short, result["confusion"]):
        print(f"{name:>{width}}" + "".join(f"{v:>{width}}" for v in row))


def print_binary(result: dict[str, Any]) -> None:
    split = "validation" if result["split"] == "val" else result["split"]
    pos, neg = result["positive_name"], result["negative_name"]
    print(f"{result['data']} {split}, {class_label(result['positive'], pos)} (positive) vs "
          f"{class_label(result['negative'], neg)} (negative): {result['examples']} examples")
    print(f"score = p({pos}) / (p({pos}) + p({neg})); called positive when score >= {result['threshold']:g}")
    print(f"{'':<12}{'called POS':>14}{'called NEG':>14}")
    print(f"{'true POS':<12}{'TP ' + str(result['tp']):>14}{'FN ' + str(result['fn']):>14}")
    print(f"{'true NEG':<12}{'FP ' + str(result['fp']):>14}{'TN ' + str(result['tn']):>14}")
    print(f"TPR = TP/(TP+FN) = {_fmt(result['tpr'])}   FPR = FP/(FP+TN) = {_fmt(result['fpr'])}   "
          f"AUC = {_fmt(result['auc'], 4)} ({len(result['roc'])} ROC points)")


def register(subparsers: argparse._SubParsersAction) -> None:
    evaluate = subparsers.add_parser("evaluate", help="evaluate a saved model on a data split: per-class metrics, "
                                     "confused pairs, or two classes with ROC and AUC (--binary)")
    add_arguments(evaluate)
    evaluate.set_defaults(handler=command_evaluate)
