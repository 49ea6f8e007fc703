"""``nnviz info`` (an architecture with its parameter counts) and ``nnviz presets``."""

from __future__ import annotations

import argparse

import numpy as np

from nnviz.core.presets import PRESETS, get_preset

from nnviz.cli.arguments import CliError, int_list


def register(subparsers: argparse._SubParsersAction) -> None:
    info = subparsers.add_parser("info", help="print an architecture with its parameter counts")
    info.add_argument("--preset", help="a preset's network (default: nielsen)")
    info.add_argument("--hidden", type=int_list, help="hidden sizes, with the preset's data (default: the preset's)")
    info.add_argument("--sizes", type=int_list, help="a fully connected net, e.g. 3-5-4-5-2 or 784,30,10 "
                      "(default: none, the preset's network)")
    info.add_argument("--data", help="data set whose input shape to use (default: the preset's)")

    subparsers.add_parser("presets", help="list the presets").set_defaults(handler=command_presets)
    info.set_defaults(handler=command_info)


def command_info(args: argparse.Namespace) -> int:
    from nnviz.core.lessons.parameters import ArchitectureCount, fully_connected_specs
    from nnviz.core.models import build_network
    from nnviz.core.network import Sequential

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
    from nnviz.core.data.loading import IMAGE_DATASETS
    from nnviz.core.data.toy import TOY_DATASETS

    if name in IMAGE_DATASETS:
        info = IMAGE_DATASETS[name]
        return tuple(info.input_shape), len(info.class_names)
    if name in TOY_DATASETS:
        return (2,), 2
    raise CliError(f"unknown data set {name!r}; choose one of: {', '.join([*IMAGE_DATASETS, *TOY_DATASETS])}")


def command_presets(args: argparse.Namespace) -> int:
    for preset in PRESETS.values():
        print(f"{preset.name:<18}{preset.description}")
    return 0
