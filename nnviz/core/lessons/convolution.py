"""The convolution lecture's numbers, Qt-free: a filter slid over a patch of a digit by hand.

Slides (the convolution lecture): the edge filter [[-1, 0, 1]] * 3 slid over a "5x6" patch near the
tip of a '7' gives a 3x5 feature map; 2x2 max pooling reduces it to 2x3. A 3x3 'valid' filter maps
5x6 to 3x4, so the patch here is 5x7 (rows x columns), which gives the slides' 3x5 and 2x3. Like every
deep-learning framework we compute *cross-correlation* (the filter is not flipped) with 'valid' windows:
``m[i, j] = sum_{u, v} W[u, v] * x[i + u, j + v]``.

2x2 pooling with stride 2 of a 3x5 map gives 2x3 only in *ceil* mode ('same' pooling: the map is
padded with -inf, so the last row and column are pooled on their own); floor mode, as nnviz's
`MaxPool2D` layer and Keras' default 'valid' pooling, would give 1x2. The lab says so on screen.

The whole-image map uses the networks' own `Conv2D`, so the lab shows exactly what they compute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nnviz.core.conv import Conv2D, conv_output_size, same_padding
from nnviz.core.errors import NnvizError
from nnviz.core.network import Sequential

PATCH_SHAPE = (5, 7)  # rows, columns: a 3x3 filter gives the slides' 3x5 'valid' map (5x6 would give 3x4)
POOL_SIZE = 2
STRIDES = (1, 2)
PADDINGS = ("same", "valid")

EDGE_FILTER = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], dtype=np.float64)


@dataclass(frozen=True, slots=True)
class FilterPreset:
    name: str
    weights: np.ndarray  # (3, 3)
    meaning: str  # what its highest values mean, one line for the screen


FILTER_PRESETS: dict[str, FilterPreset] = {p.name: p for p in [
    FilterPreset("Edge (slides)", EDGE_FILTER,
                 "high where ink lies to the right of paper: left edges of strokes (negative: right edges)"),
    FilterPreset("Sobel x", np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64),
                 "vertical edges, the middle row weighted twice (left edges positive)"),
    FilterPreset("Sobel y", np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64),
                 "horizontal edges: high where ink lies below paper (top edges of strokes)"),
    FilterPreset("Blur", np.full((3, 3), 1 / 9), "the local average: a smoothed copy of the image"),
    FilterPreset("Sharpen", np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
                 "the pixel minus its neighbours' excess: contrast is boosted"),
    FilterPreset("Identity", np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float64),
                 "a copy of the centre pixel: the image itself"),
]}


def describe_filter(weights: np.ndarray) -> str:
    """The preset's meaning if ``weights`` equals one, else a generic sentence."""
    for preset in FILTER_PRESETS.values():
        if preset.weights.shape == weights.shape and np.allclose(preset.weights, weights):
            return preset.meaning
    return "high where the patch under the window looks like the filter (positive weights on ink)"


# --- picking the image and the patch ---------------------------------------------------------
def first_index_of(labels: np.ndarray, digit: int) -> int:
    """Index of the first example labelled ``digit`` (the first MNIST test image is a 7)."""
    hits = np.flatnonzero(np.asarray(labels) == digit)
    if hits.size == 0:
        raise ValueError(f"no example of class {digit}")
    return int(hits[0])


def drawn_seven(size: int = 28) -> np.ndarray:
    """A hand-drawn '7' (H, W) in [0, 1], used when MNIST is not on this computer."""
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    bar = (np.abs(rows - 8) <= 1) & (cols >= 6) & (cols <= 21)
    # the stem: a 3-pixel-wide line from (8, 20) down to (26, 11)
    t = np.clip((rows - 8) / 18, 0, 1)
    distance = np.abs(cols - (20 - 9 * t)) * (rows >= 8) * (rows <= 26) + 99 * ((rows < 8) | (rows > 26))
    stem = np.clip(2.0 - distance, 0, 1)
    return np.clip(np.maximum(bar * 1.0, stem), 0, 1).astype(np.float32)


def clamp_origin(row: int, col: int, image_shape: tuple[int, int],
                 shape: tuple[int, int] = PATCH_SHAPE) -> tuple[int, int]:
    """Top-left corner kept inside the image."""
    return (int(min(max(row, 0), image_shape[0] - shape[0])), int(min(max(col, 0), image_shape[1] - shape[1])))


def patch_origin_around(row: int, col: int, image_shape: tuple[int, int],
                        shape: tuple[int, int] = PATCH_SHAPE) -> tuple[int, int]:
    """The patch whose centre is nearest the clicked pixel (row, col)."""
    return clamp_origin(row - (shape[0] - 1) // 2, col - (shape[1] - 1) // 2, image_shape, shape)


def default_patch_origin(image: np.ndarray, shape: tuple[int, int] = PATCH_SHAPE) -> tuple[int, int]:
    """A patch at the tip of the stroke: its bottom row is the lowest row with ink (> 0.5), and it
    is centred on the ink of its rows. For the first MNIST test '7' this is rows 22-26, columns 10-15,
    where the stroke's left and right edges give a clear +/- feature map."""
    inked = np.flatnonzero(image.max(axis=1) > 0.5)
    if inked.size == 0:
        return clamp_origin((image.shape[0] - shape[0]) // 2, (image.shape[1] - shape[1]) // 2, image.shape, shape)
    bottom = int(inked[-1])
    top = max(bottom - shape[0] + 1, 0)
    rows = image[top:bottom + 1]
    weights = rows.sum(axis=0)
    centre = float((weights * np.arange(image.shape[1])).sum() / weights.sum())
    return clamp_origin(top, int(math.floor(centre - (shape[1] - 1) / 2 + 0.5)), image.shape, shape)


# --- the arithmetic --------------------------------------------------------------------------
def cross_correlate_valid(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """'Valid' cross-correlation of a 2-D array: ``(H, W) * (KH, KW) -> (H-KH+1, W-KW+1)``."""
    windows = sliding_window_view(x, weights.shape)
    return np.einsum("ijuv,uv->ij", windows, weights)


def window_products(x: np.ndarray, weights: np.ndarray, i: int, j: int) -> np.ndarray:
    """The KH x KW products W[u, v] * x[i+u, j+v] summed into the map's cell (i, j)."""
    kh, kw = weights.shape
    return weights * x[i:i + kh, j:j + kw]


def pool_windows(shape: tuple[int, int], size: int = POOL_SIZE) -> list[list[tuple[slice, slice]]]:
    """Ceil-mode pooling windows of a map of ``shape``: ``windows[r][c]`` = (rows, cols) slices."""
    rows, cols = math.ceil(shape[0] / size), math.ceil(shape[1] / size)
    return [[(slice(r * size, min((r + 1) * size, shape[0])), slice(c * size, min((c + 1) * size, shape[1])))
             for c in range(cols)] for r in range(rows)]


def max_pool_ceil(feature_map: np.ndarray, size: int = POOL_SIZE) -> np.ndarray:
    """Max pooling, window = stride = ``size``, in ceil mode (pad with -inf): 3x5 -> 2x3."""
    h, w = feature_map.shape
    ho, wo = math.ceil(h / size), math.ceil(w / size)
    padded = np.full((ho * size, wo * size), -np.inf)
    padded[:h, :w] = feature_map
    return padded.reshape(ho, size, wo, size).max(axis=(1, 3))


@dataclass(frozen=True, slots=True)
class PatchLesson:
    """Everything the explainer shows, in the chosen units (bytes 0-255 or network inputs 0-1)."""

    origin: tuple[int, int]  # top-left (row, column) of the patch in the image
    patch: np.ndarray  # (5, 6)
    weights: np.ndarray  # (3, 3)
    feature_map: np.ndarray  # (3, 5)
    pooled: np.ndarray  # (2, 3)
    scale: int  # 255: pixel bytes; 1: the [0, 1] values the network sees

    @property
    def n_cells(self) -> int:
        return int(self.feature_map.size)

    def cell(self, index: int) -> tuple[int, int]:
        return divmod(int(index), self.feature_map.shape[1])

    def products(self, index: int) -> np.ndarray:
        return window_products(self.patch, self.weights, *self.cell(index))

    @property
    def argmax_cell(self) -> int:
        return int(np.argmax(self.feature_map))


def patch_lesson(image: np.ndarray, origin: tuple[int, int], weights: np.ndarray, *,
                 scale: int = 255, shape: tuple[int, int] = PATCH_SHAPE) -> PatchLesson:
    """The patch at ``origin`` of ``image`` (H, W) in [0, 1], its feature map and pooled map.

    ``scale=255`` works on the stored bytes (MNIST pixels are bytes / 255), so an integer filter
    gives integer maps; ``scale=1`` works on the network's inputs."""
    r, c = clamp_origin(*origin, image.shape, shape)
    patch = image[r:r + shape[0], c:c + shape[1]].astype(np.float64)
    patch = np.rint(patch * 255) if scale == 255 else patch
    weights = np.asarray(weights, dtype=np.float64)
    feature_map = cross_correlate_valid(patch, weights)
    return PatchLesson((r, c), patch, weights, feature_map, max_pool_ceil(feature_map), scale)


def whole_image_map(image: np.ndarray, weights: np.ndarray, stride: int, padding: str) -> np.ndarray:
    """The feature map of the whole image (H, W) through nnviz's own `Conv2D` (bias 0, no ReLU)."""
    kernel = np.asarray(weights, dtype=np.float32)
    layer = Conv2D(filters=1, kernel_size=kernel.shape[0], stride=stride, padding=padding)
    layer.build((1,) + image.shape, np.random.default_rng(0), np.float32)
    layer.params["W"][...] = kernel[None, None]
    layer.params["b"][...] = 0.0
    return np.array(layer.forward(image[None, None].astype(np.float32))[0, 0])


def padding_amounts(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int]:
    """Zeros added (before, after) along one axis."""
    return same_padding(size, kernel, stride) if padding == "same" else (0, 0)


def output_size_formula(size: int, kernel: int, stride: int, padding: str) -> str:
    """E.g. ``out = floor((28 + 2·1 − 3)/1) + 1 = 28``: the padded size minus the kernel, over the stride."""
    before, after = padding_amounts(size, kernel, stride, padding)
    out = conv_output_size(size, kernel, stride, padding)
    if before == after == 0:
        pad = ""
    elif before == after:
        pad = f" + 2·{before}"
    else:
        pad = f" + {before} + {after}"
    return f"out = floor(({size}{pad} − {kernel})/{stride}) + 1 = {out}"


def padding_note(size: int, kernel: int, stride: int, padding: str) -> str:
    """One line on where the padding comes from."""
    if padding == "valid":
        return "'valid': no padding, every window lies inside the image"
    before, after = padding_amounts(size, kernel, stride, padding)
    text = (f"'same': ceil({size}/{stride}) = {math.ceil(size / stride)} outputs, so {before} "
            f"zero{'s' if before != 1 else ''} before and {after} after")
    return text + (" (the odd one after, as in TensorFlow)" if before != after else "")


# --- learned filters -------------------------------------------------------------------------
def first_layer_maps(network: Sequential, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first conv layer's filters ``(C_out, KH, KW)`` (input channel 0) and the feature maps
    ``(C_out, H', W')`` they give for ``image`` (H, W), after the activation that follows (ReLU)."""
    conv_index = next((i for i, layer in enumerate(network.layers) if isinstance(layer, Conv2D)), None)
    if conv_index is None:
        raise ValueError("this network has no convolution layer; train or open a cnn model")
    weights = network.layers[conv_index].params["W"]
    if weights.shape[1] != 1:
        raise ValueError(f"the first conv layer expects {weights.shape[1]} input channels, not a grey image")
    taps = network.forward_with_taps(image.reshape((1,) + network.input_shape).astype(network.dtype))
    maps = taps[conv_index][1]
    if conv_index + 1 < len(network.layers) and not network.layers[conv_index + 1].params:
        maps = taps[conv_index + 1][1]  # the activation after the convolution
    return np.array(weights[:, 0]), np.array(maps[0])


@dataclass(frozen=True, slots=True)
class TrainingProgress:
    batches_done: int
    batches_total: int
    network: Sequential | None = None  # set once training has finished
    summary: str = ""


def training_summary(trainer) -> str:
    """E.g. "cnn preset · 1 epoch on 20,000 MNIST training images · 96.1 % on 2,000 test images"."""
    record = trainer.history.epochs[-1] if trainer.history.epochs else None
    n_epochs = trainer.epoch
    text = (f"{trainer.config.preset} preset · {n_epochs} epoch{'s' if n_epochs != 1 else ''} on "
            f"{trainer.n_train:,} {trainer.dataset.name.upper()} training images")
    if record is not None and record.test_total:
        text += f" · {100 * record.test_accuracy:.1f} % on {record.test_total:,} test images"
    return text


class FirstLayerTraining:
    """Trains preset ``preset`` (cnn, cnn-9x9) for ``epochs`` on the first ``train_size`` training images
    (all 60,000 when None: no validation split) and tests on the first ``test_size`` test images.

    A runner for `nnviz.ui.labs.background`: ``step()`` trains one batch and says whether it is done;
    ``snapshot()`` reports progress, and the network once finished."""

    def __init__(self, preset: str, data_dir: str | None = None, *, train_size: int | None = None,
                 epochs: int = 1, test_size: int = 2000) -> None:
        from nnviz.core.presets import preset_config
        from nnviz.core.trainer import Trainer

        changes = {"data.val_size": 0, "data.test_size": test_size, "training.epochs": epochs}
        if train_size is not None:
            changes["data.train_size"] = train_size
        self.trainer = Trainer(preset_config(preset).with_changes(**changes), data_dir=data_dir)
        self.batches_total = self.trainer.batches_in_epoch * epochs

    @property
    def done(self) -> bool:
        return self.trainer.finished

    def step(self) -> bool:
        if not self.done:
            self.trainer.step_batch()
        if self.trainer.state == "diverged":
            raise NnvizError(self.trainer.message)
        return self.done

    def snapshot(self) -> TrainingProgress:
        if not self.done:
            return TrainingProgress(self.trainer.iteration, self.batches_total)
        return TrainingProgress(self.trainer.iteration, self.batches_total, self.trainer.network,
                                training_summary(self.trainer))


class TrainingSequence:
    """`FirstLayerTraining` runs one after another, e.g. ``[("cnn", None), ("cnn-9x9", 20000)]`` for the
    slides' two figures; a runner like them (see ``snapshot``)."""

    def __init__(self, jobs: list[tuple[str, int | None]], data_dir: str | None = None, *, epochs: int = 1,
                 test_size: int = 2000) -> None:
        self.jobs, self.data_dir, self.epochs, self.test_size = list(jobs), data_dir, epochs, test_size
        self.trainers: list = []
        self._run: FirstLayerTraining | None = None
        self._last: tuple[str, TrainingProgress] = (self.jobs[0][0], TrainingProgress(0, 1))

    def step(self) -> bool:
        if len(self.trainers) == len(self.jobs):
            return True
        preset, train_size = self.jobs[len(self.trainers)]
        if self._run is None:
            self._run = FirstLayerTraining(preset, self.data_dir, train_size=train_size, epochs=self.epochs,
                                           test_size=self.test_size)
        done = self._run.step()
        self._last = (preset, self._run.snapshot())
        if done:
            self.trainers.append(self._run.trainer)
            self._run = None
        return len(self.trainers) == len(self.jobs)

    def snapshot(self) -> tuple[str, TrainingProgress, tuple]:
        """(current preset, its progress, the trainers finished so far)."""
        return (*self._last, tuple(self.trainers))


def train_first_layer(preset: str, data_dir: str | None = None, *, train_size: int | None = None,
                      epochs: int = 1, test_size: int = 2000):
    """`FirstLayerTraining` run to the end; returns its `Trainer`."""
    run = FirstLayerTraining(preset, data_dir, train_size=train_size, epochs=epochs, test_size=test_size)
    while not run.step():
        pass
    return run.trainer


# --- text ------------------------------------------------------------------------------------
def format_value(value: float, decimals: int = 2, *, exact_integers: bool = True) -> str:
    """``decimals`` places, or a plain integer when ``exact_integers`` and the value is one; the
    minus sign is U+2212 (it reads better on a projector) and -0 is written 0."""
    if not math.isfinite(value):
        return "−∞" if value < 0 else "∞"
    if exact_integers and abs(value - round(value)) < 1e-9:
        text = str(int(round(value)))
    else:
        text = f"{value:.{decimals}f}"
    if text.strip("-0.") == "":
        text = text.lstrip("-")
    return text.replace("-", "−")


def value_text(value: float, scale: int) -> str:
    """A pixel or map value: integers for bytes, two decimals for the network's 0-1 inputs (0 stays 0)."""
    return format_value(value, 1 if scale == 255 else 2, exact_integers=scale == 255 or value == 0)


def format_grid(values: np.ndarray, scale: int | None = 255) -> str:
    """Rows of right-aligned numbers; ``scale=None`` formats weights."""
    cells = [[value_text(float(v), scale) if scale else format_value(float(v)) for v in row] for row in values]
    width = max(len(c) for row in cells for c in row)
    return "\n".join("  ".join(c.rjust(width) for c in row) for row in cells)


def lesson_tables(lesson: PatchLesson, image_shape: tuple[int, int] = (28, 28), title: str = "") -> str:
    """The explainer's numbers as plain text (``nnviz lab convolution --tables``)."""
    r, c = lesson.origin
    kh, kw = lesson.weights.shape
    fh, fw = lesson.feature_map.shape
    unit = "pixel bytes 0-255" if lesson.scale == 255 else "network inputs 0-1"
    parts = [
        title,
        f"Patch {lesson.patch.shape[0]}x{lesson.patch.shape[1]} at rows {r + 1}-{r + lesson.patch.shape[0]}, "
        f"columns {c + 1}-{c + lesson.patch.shape[1]} (counting from 1; {unit}):",
        format_grid(lesson.patch, lesson.scale), "",
        f"Filter {kh}x{kw}:", format_grid(lesson.weights, None), "",
        f"Feature map {fh}x{fw} ('valid' cross-correlation, as in every DL framework: the filter is not flipped):",
        format_grid(lesson.feature_map, lesson.scale), "",
        f"Max pooling 2x2, stride 2, ceil mode ('same' pooling, padded with -inf) -> "
        f"{lesson.pooled.shape[0]}x{lesson.pooled.shape[1]} (floor mode would give {fh // 2}x{fw // 2}):",
        format_grid(lesson.pooled, lesson.scale), "",
        f"Output size of the whole {image_shape[0]}x{image_shape[1]} image with a {kh}x{kw} filter:",
    ]
    for stride in STRIDES:
        for padding in PADDINGS:
            rows = output_size_formula(image_shape[0], kh, stride, padding)
            line = f"  stride {stride}, {padding:<5}: {rows}"
            if image_shape[1] != image_shape[0]:
                line += f" (rows); {output_size_formula(image_shape[1], kw, stride, padding)} (columns)"
            parts.append(line)
    return "\n".join(parts).strip("\n") + "\n"
