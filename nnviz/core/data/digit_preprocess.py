"""Your own digit as MNIST made its digits: the input the "Draw a digit" canvas and File → Open image
as probe give the network (Qt-free).

MNIST (LeCun et al.): the NIST digits were "size normalized to fit in a 20x20 pixel box while
preserving their aspect ratio"; the anti-aliasing of the normalisation made them grey levels; then
they were "centered in a 28x28 image by computing the center of mass of the pixels, and translating
the image so as to position this point at the center of the 28x28 field". Measured on the MNIST test
set the centre of mass sits at pixel (14.0, 14.0) (row, column from 0) with an s.d. of 0.3: a whole-
pixel shift, which is what :func:`mnist_digit` does. Fashion-MNIST was made differently (the longest
side scaled to 28, centred by its bounding box): ``box=28, centre="box"``.

Resampling is separable and exact: shrinking averages the area each output pixel covers (the
anti-aliasing), enlarging (a dot drawn small) interpolates bilinearly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MNIST_SIZE, MNIST_BOX = 28, 20
MNIST_CENTRE = 14.0  # the centre of mass of real MNIST digits, row and column (pixel centres at 0..27)
INK_THRESHOLD = 0.1  # of the ink's range: fainter pixels are paper (noise, shadows), not the digit
NOISE_SIGMAS = 5.0  # in a photo, paper grain this many noise s.d.s above the paper is still paper
MIN_CONTRAST = 0.05  # a darkest-to-lightest spread below this is an empty page (grey levels 0..1)
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601, as Qt's and PIL's grey


@dataclass(frozen=True, slots=True)
class DigitInput:
    """The network's view of a drawing or photo: ``pixels`` (size×size float32 in [0, 1], white ink
    on black as in MNIST) or None when nothing is drawn; ``inverted`` when dark ink on light paper
    was turned round."""

    pixels: np.ndarray | None
    inverted: bool = False

    @property
    def empty(self) -> bool:
        return self.pixels is None

    @property
    def message(self) -> str:
        return "nothing drawn" if self.pixels is None else ""


def to_grey(image: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 3) or (H, W, 4) in 0..1 or 0..255 -> (H, W) float32 grey levels in [0, 1]."""
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        array = array[..., :3].astype(np.float32) @ LUMA
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(f"expected a grey (H, W) or colour (H, W, 3) image, got an array of shape {array.shape}")
    grey = array.astype(np.float32, copy=True)
    grey[~np.isfinite(grey)] = 0.0
    if grey.max(initial=0.0) > 1.0:  # 0..255 values
        grey *= np.float32(1.0 / 255.0)
    return np.clip(grey, 0.0, 1.0, out=grey)


def ink_image(image: np.ndarray, *, invert: bool | None = None) -> tuple[np.ndarray | None, bool]:
    """Grey levels -> ink in [0, 1] (1 = the darkest stroke on white paper, or the brightest on black)
    with the paper at 0; None if the page is blank. ``invert=None`` decides from the paper: the
    median pixel is paper (ink covers far less than half a page), and light paper means dark ink."""
    grey = to_grey(image)
    paper = float(np.median(grey))
    inverted = paper > 0.5 if invert is None else bool(invert)
    ink = 1.0 - grey if inverted else grey
    paper = 1.0 - paper if inverted else paper
    ink -= np.float32(paper)  # shadows and grey paper count as no ink
    top = float(ink.max())
    if top < MIN_CONTRAST:
        return None, inverted
    ink *= np.float32(1.0 / top)
    # The paper's grain (a photo's noise) would otherwise stretch the ink's box over the whole page:
    # its s.d., from the median absolute deviation (robust: the ink is a small minority), sets the floor.
    noise = 1.4826 * float(np.median(np.abs(ink - np.median(ink))))
    ink[ink < max(INK_THRESHOLD, NOISE_SIGMAS * noise)] = 0.0
    if not ink.any():  # nothing stands out of the grain: a blank (or wrongly inverted) page
        return None, inverted
    return np.clip(ink, 0.0, 1.0, out=ink), inverted


def resample_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) float32 weights: out = M @ in along one axis. Shrinking: each output pixel is
    the mean of the input it covers (exact area overlaps); enlarging: bilinear between pixel centres."""
    if n_out <= n_in:
        scale = n_in / n_out
        edges_in = np.arange(n_in + 1, dtype=np.float64)
        start = np.arange(n_out, dtype=np.float64)[:, None] * scale
        overlap = (np.minimum(edges_in[None, 1:], start + scale) - np.maximum(edges_in[None, :-1], start))
        return (np.clip(overlap, 0.0, None) / scale).astype(np.float32)
    # Output pixel centre i maps to input coordinate (i + 0.5) * n_in / n_out - 0.5.
    position = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0.0, n_in - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, n_in - 1)
    frac = position - low
    weights = np.zeros((n_out, n_in), dtype=np.float64)
    rows = np.arange(n_out)
    np.add.at(weights, (rows, low), 1.0 - frac)
    np.add.at(weights, (rows, high), frac)
    return weights.astype(np.float32)


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W) or (H, W, C) -> (height, width[, C]) float32, area-averaged down, bilinear up."""
    rows = resample_matrix(image.shape[0], height)
    cols = resample_matrix(image.shape[1], width)
    array = np.asarray(image, dtype=np.float32)
    if array.ndim == 2:
        return rows @ array @ cols.T
    return np.einsum("ij,jkc,lk->ilc", rows, array, cols, optimize=True).astype(np.float32)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the intensity-weighted mean pixel (pixel centres at 0, 1, ...)."""
    total = float(image.sum())
    if total <= 0:
        return (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2
    rows = float(image.sum(axis=1) @ np.arange(image.shape[0])) / total
    cols = float(image.sum(axis=0) @ np.arange(image.shape[1])) / total
    return rows, cols


def mnist_digit(image: np.ndarray, *, invert: bool | None = None, size: int = MNIST_SIZE, box: int = MNIST_BOX,
                centre: str = "mass") -> DigitInput:
    """A grey image of any size (white ink on black, or dark ink on light paper, found out unless
    ``invert`` says) -> the ``size``×``size`` input MNIST would have made of it: the ink's bounding box
    scaled (aspect kept) so its longer side is ``box`` pixels, placed so that its centre of mass
    (``centre="mass"``; no further than keeps the ink inside) or the middle of its box (``"box"``)
    lands in the middle. Nothing drawn:
    ``DigitInput(None)``."""
    if centre not in ("mass", "box"):
        raise ValueError(f"centre must be 'mass' or 'box', not {centre!r}")
    if not 1 <= box <= size:
        raise ValueError(f"the box ({box} px) must fit in the image ({size} px)")
    ink, inverted = ink_image(image, invert=invert)
    if ink is None:
        return DigitInput(None, inverted)
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    cols = np.flatnonzero(ink.max(axis=0) > 0)
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = box / max(crop.shape)
    height = min(box, max(1, round(crop.shape[0] * scale)))
    width = min(box, max(1, round(crop.shape[1] * scale)))
    digit = np.clip(resize(crop, height, width), 0.0, 1.0)
    if centre == "mass":
        middle = MNIST_CENTRE * size / MNIST_SIZE
        com_row, com_col = centre_of_mass(digit)
        top, left = round(middle - com_row), round(middle - com_col)
    else:
        top, left = (size - height) // 2, (size - width) // 2
    # A digit whose mass sits far from its box's middle (a 7 with a heavy bar) would stick out of the
    # field: it is moved only as far as keeps all its ink inside (MNIST's own digits all fit).
    top, left = min(max(top, 0), size - height), min(max(left, 0), size - width)
    out = np.zeros((size, size), dtype=np.float32)
    out[top:top + height, left:left + width] = digit
    return DigitInput(out, inverted)


def colour_input(image: np.ndarray, size: int) -> np.ndarray:
    """An RGB(A) or grey photo -> (3, size, size) float32 in [0, 1], the whole picture squeezed to the
    square as CIFAR-10's 32×32 images were (no centring: CIFAR photos are not cut out)."""
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or 0 in array.shape:
        raise ValueError(f"expected a colour (H, W, 3) image, got an array of shape {array.shape}")
    rgb = array[..., :3].astype(np.float32)
    rgb[~np.isfinite(rgb)] = 0.0
    if rgb.max(initial=0.0) > 1.0:
        rgb *= np.float32(1.0 / 255.0)
    resized = np.clip(resize(rgb, size, size), 0.0, 1.0)
    return np.ascontiguousarray(resized.transpose(2, 0, 1))


# How each data set's images were made, where it differs from MNIST's 20-px box centred by mass.
STYLES = {"fashion-mnist": {"box": 28, "centre": "box"}}  # Fashion-MNIST: longest side 28, centred by box


def unusable_reason(input_shape: tuple[int, ...], *, drawing: bool = False) -> str:
    """Why a network with inputs of ``input_shape`` cannot take a drawing (``drawing``) or an image
    file as its probe; "" when it can. Drawings: 28×28 grey (MNIST and its kin); image files also
    square colour inputs (CIFAR-10's 3×32×32)."""
    shape = tuple(input_shape)
    if shape == (1, MNIST_SIZE, MNIST_SIZE):
        return ""
    what = "2-D points" if len(shape) == 1 else "×".join(map(str, shape)) + " inputs"
    if drawing:
        return f"Drawing needs a network of 28×28 grey images (MNIST, Fashion-MNIST, KMNIST…); this one takes {what}."
    if len(shape) == 3 and shape[0] == 3 and shape[1] == shape[2]:
        return ""
    return f"Images can be the input of 28×28 grey or square colour (CIFAR-10) networks; this one takes {what}."


def network_input(image: np.ndarray, input_shape: tuple[int, ...], dataset: str = "") -> np.ndarray | None:
    """A drawing or photo (grey or RGB, any size) -> the (C, H, W) input of a network taking
    ``input_shape``, made as the data set ``dataset`` made its images; None when nothing is drawn.
    ValueError when the network takes no images (see :func:`unusable_reason`)."""
    reason = unusable_reason(input_shape)
    if reason:
        raise ValueError(reason)
    if input_shape[0] == 3:
        return colour_input(image, input_shape[1])
    digit = mnist_digit(image, **STYLES.get(dataset, {}))
    return None if digit.empty else digit.pixels[None]
