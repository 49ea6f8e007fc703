"""``nnviz evaluate``: a saved model's accuracy and confusion matrix on a data split."""

from __future__ import annotations

import argparse

import numpy as np

from nnviz.core.config import RunConfig

from nnviz.cli.arguments import DATA_DIR_HELP, CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    evaluate = subparsers.add_parser("evaluate", help="evaluate a saved model on a data split")
    evaluate.add_argument("--model", required=True, help="a model.npz written by nnviz")
    evaluate.add_argument("--data", help="data set (default: the one it was trained on)")
    evaluate.add_argument("--data-dir", help=DATA_DIR_HELP)
    evaluate.add_argument("--split", default="test", choices=["train", "val", "test"], help="which split to evaluate")

    evaluate.set_defaults(handler=command_evaluate)


def command_evaluate(args: argparse.Namespace) -> int:
    from nnviz.core.data.loading import load_dataset
    from nnviz.core.losses import make_loss
    from nnviz.core.metrics import confusion_matrix

    from nnviz.core.model_io import load_model

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
