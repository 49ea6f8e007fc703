"""Is a run learning? Two ways a run trains without NaN or explosion and still learns nothing.

- **Stuck at chance**: after an epoch the accuracy is at chance level (at most 1.5 / K) and nearly
  every output value is saturated (0 or 1): σ'(z) ≈ 0, so the gradients vanish and the weights stop
  moving. A far too large learning rate does this (``nnviz train --preset nielsen --lr 1000``). With
  the cross-entropy loss the output error a − y does not vanish; there the hidden units saturate or
  die and the network gives (almost) every input the same confident answer (``--loss cross-entropy
  --lr 30``).
- **Dead output units** (sigmoid outputs): a class is (almost) never predicted right and its
  output unit's weighted input is saturated for almost every input (99 % of the sample). With the quadratic cost the unit's gradient carries
  the factor σ'(z) ≈ 0, so it learns very slowly; the confusion matrix shows an empty column.
  Nielsen's [784, 100, 10] network does this for some seeds.

The check runs after each epoch's evaluation (``Trainer.health``) on at most ``SAMPLE`` examples of
the evaluated split; the record carries its result to the window and the CLI prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from nnviz.core.models import output_activation

STUCK, DEAD_OUTPUTS = "stuck", "dead-outputs"
SAMPLE = 1000  # examples whose outputs are inspected: about a millisecond for nielsen
SATURATED = 0.01  # an output value y with y(1 - y) below this counts as saturated (y < 0.01 or > 0.99)
STUCK_SATURATED_SHARE = 0.95  # ... for this share of all output values: the whole output layer
DEAD_RECALL = 0.05  # a class at most this often right whose output unit is saturated has a dead unit


@dataclass(frozen=True, slots=True)
class RunHealth:
    """A run that trains but does not learn: what is wrong, in one message, and what to try."""

    kind: str  # STUCK or DEAD_OUTPUTS
    message: str
    epoch: int  # the epoch after which it was seen
    accuracy: float  # on ``split``
    split: str
    saturated_share: float  # share of output values that are saturated
    dead_outputs: tuple[int, ...] = ()  # classes whose output unit is saturated and never predicted
    suggested_learning_rate: float | None = None  # for a run stuck at chance


def chance_limit(n_classes: int) -> float:
    """Accuracy at or below which a run is at chance: 1.5 / K, and at most 5 points above 1 / K."""
    return min(1.5 / n_classes, 1.0 / n_classes + 0.05)


def check_run_health(trainer) -> RunHealth | None:
    """The health of ``trainer`` after its last epoch's evaluation (None: nothing to say)."""
    split = next((s for s in ("val", "test") if s in trainer.last_eval and trainer.last_eval[s].total), None)
    model = trainer.config.model
    cross_entropy = model.loss == "cross-entropy"  # logits out; its output values are softmax probabilities
    activation = "softmax" if cross_entropy else output_activation(model)
    if split is None or model.loss == "perceptron" or activation not in ("sigmoid", "softmax"):
        return None  # step or linear outputs have no σ'(z) to vanish
    result = trainer.last_eval[split]
    x, labels = trainer.dataset.split(split)
    values = np.asarray(trainer.loss.output_values(trainer.network.predict(x[:SAMPLE])), dtype=np.float64)
    return diagnose(values, result.predictions, labels, accuracy=result.accuracy,
                    n_classes=trainer.dataset.n_classes, epoch=trainer.epoch, split=split,
                    sigmoid_outputs=activation == "sigmoid", learning_rate=trainer.learning_rate,
                    preset_learning_rate=_preset_learning_rate(trainer.config.preset),
                    class_names=tuple(trainer.dataset.class_names), cross_entropy=cross_entropy)


def diagnose(values: np.ndarray, predictions: np.ndarray, labels: np.ndarray, *, accuracy: float,
             n_classes: int, epoch: int, split: str = "val", sigmoid_outputs: bool = True,
             learning_rate: float = 0.0, preset_learning_rate: float | None = None,
             class_names: tuple[str, ...] = (), cross_entropy: bool = False) -> RunHealth | None:
    """The verdict from the output values ``(n, units)`` in [0, 1] of a sample of the split, and the
    predicted and true class of every example of the split. ``cross_entropy``: softmax probabilities
    of a cross-entropy run, whose output error a − y does not vanish when they saturate."""
    if values.size == 0 or n_classes < 2 or not np.isfinite(accuracy):
        return None
    slopes = values * (1.0 - values)  # σ'(z) for a sigmoid output, ∂p/∂z for a softmax one
    share = float(np.mean(slopes < SATURATED))
    split_name = {"val": "validation", "test": "test"}.get(split, split)
    if accuracy <= chance_limit(n_classes) and share >= STUCK_SATURATED_SHARE:
        suggestion = _suggest(learning_rate, preset_learning_rate)
        at_chance = (f"the run is stuck at chance: {split_name} accuracy {accuracy:.1%} after epoch {epoch} "
                     f"(chance is {1 / n_classes:.0%})")
        if cross_entropy:  # the output error stays large: what stopped is the input reaching the output
            message = (f"{at_chance} with {share:.0%} of the output probabilities at 0 or 1"
                       f"{_one_answer(predictions, n_classes, class_names)}: its steps left the hidden units "
                       f"saturated or dead, so the input barely reaches the output and the network learns "
                       f"nothing.")
        else:
            what = "σ'(z) ≈ 0" if sigmoid_outputs else "probabilities of 0 or 1"
            message = (f"{at_chance} with {share:.0%} of the output values saturated ({what}), so the gradients "
                       f"vanish and the network learns nothing.")
        message += f" The learning rate {learning_rate:g} is probably far too large: try {suggestion:g}."
        return RunHealth(STUCK, message, epoch, accuracy, split, share, suggested_learning_rate=suggestion)
    if not sigmoid_outputs or values.shape[1] != n_classes or n_classes < 3:
        return None
    predictions, labels = np.asarray(predictions, dtype=np.int64), np.asarray(labels, dtype=np.int64)
    predicted = np.bincount(predictions, minlength=n_classes)[:n_classes]
    right = np.bincount(labels[predictions == labels], minlength=n_classes)[:n_classes]
    present = np.bincount(labels, minlength=n_classes)[:n_classes]
    recall = right / np.maximum(present, 1)
    saturated = np.quantile(slopes, 0.99, axis=0) < SATURATED  # for (almost) every input
    dead = tuple(int(c) for c in range(n_classes) if present[c] and recall[c] <= DEAD_RECALL and saturated[c])
    if not dead:
        return None
    return RunHealth(DEAD_OUTPUTS, _dead_message(dead, predicted, values, class_names, split_name),
                     epoch, accuracy, split, share, dead_outputs=dead)


def _dead_message(dead: tuple[int, ...], predicted: np.ndarray, values: np.ndarray,
                  class_names: tuple[str, ...], split_name: str) -> str:
    names = [_unit_name(c, class_names) for c in dead]
    never = all(predicted[c] == 0 for c in dead)
    how = "never predicted" if never else "(almost) never predicted"
    near = "0" if all(values[:, c].mean() < 0.5 for c in dead) else "0 or 1"
    if len(dead) == 1:
        units, inputs = f"output unit {names[0]} is {how}", "Its weighted input z keeps"
        columns = f"{'an empty' if never else 'an (almost) empty'} column {dead[0]}"
    else:
        units, inputs = f"output units {_join(names)} are {how}", "Their weighted inputs z keep"
        columns = f"{'empty' if never else '(almost) empty'} columns {_join([str(c) for c in dead])}"
    counts = "" if never else (f" ({_join([f'{predicted[c]:,}' for c in dead])} of {predicted.sum():,} "
                               f"{split_name} predictions)")
    return (f"{units}: saturated{counts}. {inputs} the sigmoid output near {near} for almost every input, so "
            f"σ'(z) ≈ 0 and, with the quadratic cost, it learns very slowly; the confusion matrix has {columns}. "
            f"Another seed or the cross-entropy loss avoids it.")


def _one_answer(predictions: np.ndarray, n_classes: int, class_names: tuple[str, ...]) -> str:
    """", answering class 7 for 98% of the inputs" when one class gets most answers, else nothing."""
    counts = np.bincount(np.asarray(predictions, dtype=np.int64), minlength=n_classes)
    if counts.sum() == 0 or counts.max() < 0.5 * counts.sum():
        return ""
    top = int(counts.argmax())
    return f", answering class {_unit_name(top, class_names)} for {counts[top] / counts.sum():.0%} of the inputs"


def _suggest(learning_rate: float, preset_learning_rate: float | None) -> float:
    """The preset's own learning rate when it is smaller, else a hundredth, rounded to one figure."""
    if preset_learning_rate is not None and 0 < preset_learning_rate < learning_rate:
        return preset_learning_rate
    value = learning_rate / 100 if learning_rate > 0 else 0.1
    return float(f"{value:.1g}")


@lru_cache(maxsize=None)
def _preset_learning_rate(name: str) -> float | None:
    """Cached: it is asked once an epoch, and building a preset's config is not free."""
    from nnviz.core.presets import PRESETS

    preset = PRESETS.get(name)
    return preset.config().optimizer.learning_rate if preset is not None else None


def _unit_name(index: int, class_names: tuple[str, ...]) -> str:
    name = class_names[index] if index < len(class_names) else str(index)
    return str(index) if name == str(index) else f"{index} ({name})"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
