"""Train every image preset on the full real data and print the README's accuracy table.

    python bench/presets_accuracy.py --data-dir DIR [--sets mnist,fashion-mnist] [--presets a,b]

Figures: final test accuracy, the best per-epoch test accuracy, and wall-clock seconds (training
plus the per-epoch evaluation) on this machine.
"""

from __future__ import annotations

import argparse
import time

from nnviz.core.data.loading import dataset_status
from nnviz.core.presets import PRESETS
from nnviz.core.trainer import Trainer

IMAGE_PRESETS = ["nielsen", "two-layer-net", "keras-dense", "softmax-2layer", "mlp-3layer", "cnn", "cnn-9x9"]
TARGETS = {"nielsen": 0.945, "two-layer-net": 0.94, "softmax-2layer": 0.915, "mlp-3layer": 0.94, "cnn": 0.985}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--sets", default="mnist,fashion-mnist")
    parser.add_argument("--presets", default=",".join(IMAGE_PRESETS))
    args = parser.parse_args()
    print("| preset | data set | test accuracy (final) | best epoch | slide | target | seconds |")
    print("|---|---|---|---|---|---|---|")
    for data in args.sets.split(","):
        if dataset_status(data, args.data_dir) is None:
            print(f"| (skipped: {data} not found) |")
            continue
        for name in args.presets.split(","):
            preset = PRESETS[name]
            config = preset.config().with_changes(**{"data.name": data})
            started = time.perf_counter()
            trainer = Trainer(config, data_dir=args.data_dir)
            trainer.run()
            seconds = time.perf_counter() - started
            epochs = trainer.history.epochs
            final = epochs[-1].test_accuracy
            best = max(r.test_accuracy for r in epochs)
            target = TARGETS.get(name) if data == "mnist" else None
            verdict = "" if target is None else (f">= {target:.1%} " + ("met" if final >= target else "MISSED"))
            slide = preset.slide_figure if data == "mnist" else "-"
            print(f"| `{name}` | {data} | {final:.2%} | {best:.2%} | {slide} | {verdict} | {seconds:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
