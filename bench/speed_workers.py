"""The three implementations `bench_core.py` times, each in its own process: nnviz's core, a
network.py-style per-sample loop and PyTorch, speaking JSON lines on stdin / stdout
(``python bench/bench_core.py --worker NAME`` runs one), and the fixed work per round.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent

# Fixed work: (normal, quick) number of mini-batches per round.
# Short rounds, many of them: a shared 2-core machine has slow spells of seconds, and the best of
# many short rounds finds each implementation's undisturbed speed (timeit's rule) far more
# reliably than the best of a few long ones.
WORK = {
    "nielsen": {"batch": 10, "batches": (1000, 300)},
    "two-layer-net": {"batch": 100, "batches": (400, 100)},
    "cnn": {"batch": 64, "batches": (40, 10)},
}
INFER_SAMPLES = (2000, 1000)  # cnn inference: test images per round
# The bench's cnn trains with the same optimiser as PyTorch's (bench/torch_models.py), without the
# preset's Adam and random shifts: the comparison is of the same work.
CNN_AS_IN_TORCH = {"optimizer.name": "momentum", "optimizer.learning_rate": 0.05, "optimizer.momentum": 0.9,
                   "optimizer.lr_decay": 1.0, "data.augment_shift": 0}
WARMUP_BATCHES = 30


def _ensure_nnviz_importable() -> None:
    """Use the installed / PYTHONPATH nnviz if there is one (so a private copy can be tried), else the repo's."""
    if importlib.util.find_spec("nnviz") is None:
        sys.path.insert(0, str(REPO))


class NnvizWorker:
    def __init__(self, data_dir: str) -> None:
        _ensure_nnviz_importable()
        from nnviz.core.presets import preset_config
        from nnviz.core.trainer import Trainer

        self.preset_config, self.Trainer, self.data_dir = preset_config, Trainer, data_dir
        self.trainers = {}
        for name in WORK:
            # Never finish (no iteration cap, many epochs): rounds may cross epoch boundaries.
            cfg = preset_config(name).with_changes(**{"training.epochs": 10000, "training.iterations": None})
            if name == "cnn":
                cfg = cfg.with_changes(**CNN_AS_IN_TORCH)
            self.trainers[name] = Trainer(cfg, data_dir=data_dir)
            self._train(name, WARMUP_BATCHES)
        self.x_test = self.trainers["cnn"].dataset.x_test
        import nnviz

        self.info = {"numpy": np.__version__, "nnviz": str(Path(nnviz.__file__).parent)}

    def _train(self, name: str, n_batches: int) -> tuple[float, int]:
        trainer = self.trainers[name]
        eval_seconds = 0.0
        seen = 0
        started = time.perf_counter()
        done = 0
        while done < n_batches:  # in chunks, as `nnviz train` does; a chunk stops at an epoch's end
            before = trainer.iteration
            result = trainer.step_batches(n_batches - done)
            done += trainer.iteration - before
            seen += (trainer.iteration - before) * trainer.batch_size
            if result.epoch_finished is not None:
                eval_seconds += result.epoch_finished.eval_seconds
        seconds = time.perf_counter() - started - eval_seconds
        if trainer.state != "ready":
            raise RuntimeError(f"{name} trainer is {trainer.state}: {trainer.message}")
        return seconds, seen

    def train(self, name: str, n_batches: int) -> dict:
        seconds, seen = self._train(name, n_batches)
        return {"seconds": seconds, "samples": seen}

    def infer(self, n: int) -> dict:
        network = self.trainers["cnn"].network
        x = self.x_test[:n]
        started = time.perf_counter()
        network.predict(x)
        return {"seconds": time.perf_counter() - started, "samples": int(x.shape[0])}

    def full(self) -> dict:
        started = time.perf_counter()
        trainer = self.Trainer(self.preset_config("nielsen"), data_dir=self.data_dir)
        records = trainer.run()
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "epochs": len(records),
                "train_seconds": sum(r.seconds for r in records),
                "eval_seconds": sum(r.eval_seconds for r in records),
                "test_accuracy": records[-1].test_accuracy,
                "best_val_accuracy": max(r.val_accuracy for r in records)}


class LoopWorker:
    """network.py-style per-sample loop: float64 parameters; inputs float32 as his loader gives them
    ("nielsen"), or pure float64 ("nielsen-f64", reported as a footnote)."""

    def __init__(self, data_dir: str) -> None:
        _ensure_nnviz_importable()
        sys.path.insert(0, str(BENCH_DIR))
        from network_py_loop import LoopNetwork, load_mnist, to_training_pairs

        data = load_mnist(data_dir)
        self.pairs = {
            "nielsen": to_training_pairs(data.x_train, data.y_train, input_dtype=np.float32),
            "nielsen-f64": to_training_pairs(data.x_train, data.y_train, input_dtype=np.float64),
        }
        self.rng = np.random.default_rng(0)
        self.nets = {name: LoopNetwork([784, 30, 10], seed=0, dtype=np.float64) for name in self.pairs}
        for name, net in self.nets.items():
            net.train_epoch(self.pairs[name][:WARMUP_BATCHES * 10], 10, 3.0, self.rng)
        self.info = {"parameters": "float64", "inputs": "float32 (nielsen), float64 (nielsen-f64)"}

    def train(self, name: str, n_batches: int) -> dict:
        if name not in self.pairs:
            raise ValueError("the per-sample loop runs the nielsen network only")
        pairs = self.pairs[name][:n_batches * 10]
        started = time.perf_counter()
        self.nets[name].train_epoch(pairs, 10, 3.0, self.rng)
        return {"seconds": time.perf_counter() - started, "samples": len(pairs)}


class TorchWorker:
    def __init__(self, data_dir: str) -> None:
        _ensure_nnviz_importable()
        sys.path.insert(0, str(BENCH_DIR))
        import torch
        import torch_models
        from nnviz.core.data.loading import load_dataset

        self.torch = torch
        nielsen_data = load_dataset("mnist", data_dir=data_dir, val_size=10000)  # 50k train, as the presets
        full_data = load_dataset("mnist", data_dir=data_dir, val_size=0)  # two-layer-net trains on 60k
        self.trainers = {}
        for name in ("nielsen", "nielsen-hand", "two-layer-net", "cnn"):
            data = full_data if name == "two-layer-net" else nielsen_data
            self.trainers[name] = torch_models.make_trainer(name, data.x_train, data.y_train)
            self.trainers[name].train_batches(WARMUP_BATCHES)
        self.x_test = torch_models.to_tensor(nielsen_data.x_test)
        self.info = {"torch": torch.__version__, "threads": torch.get_num_threads()}

    def train(self, name: str, n_batches: int) -> dict:
        trainer = self.trainers[name]
        started = time.perf_counter()
        seen = trainer.train_batches(n_batches)
        return {"seconds": time.perf_counter() - started, "samples": seen}

    def infer(self, n: int) -> dict:
        x = self.x_test[:n]
        started = time.perf_counter()
        self.trainers["cnn"].predict(x)
        return {"seconds": time.perf_counter() - started, "samples": int(x.shape[0])}


WORKERS = {"nnviz": NnvizWorker, "loop": LoopWorker, "torch": TorchWorker}


def worker_main(kind: str, data_dir: str, threads: int) -> None:
    os.environ["TORCH_NUM_THREADS"] = str(threads)
    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints must not corrupt the protocol
    try:
        worker = WORKERS[kind](data_dir)
        out.write(json.dumps({"ok": True, "info": worker.info}) + "\n")
    except Exception as exc:  # e.g. torch not installed
        out.write(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}) + "\n")
        out.flush()
        return
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = getattr(worker, request["do"])(*request.get("args", []))
            reply["ok"] = True
        except Exception as exc:
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
