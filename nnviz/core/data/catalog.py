"""What nnviz knows about each image data set before its files are found: names, classes,
file names, format, licence. :mod:`nnviz.core.data.loading` finds and loads them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from nnviz.core.data.cifar import CIFAR10_CLASS_NAMES, CIFAR10_FILES

FILE_KEYS = ("train_images", "train_labels", "test_images", "test_labels")

# The names LeCun used; Fashion-MNIST, KMNIST and Debian's dataset-fashion-mnist use them too.
STANDARD_FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

# EMNIST's gzip release names its files after the split; nnviz uses the "digits" split (10 classes).
EMNIST_DIGITS_FILES: dict[str, str] = {
    "train_images": "emnist-digits-train-images-idx3-ubyte.gz",
    "train_labels": "emnist-digits-train-labels-idx1-ubyte.gz",
    "test_images": "emnist-digits-test-images-idx3-ubyte.gz",
    "test_labels": "emnist-digits-test-labels-idx1-ubyte.gz",
}
NPY_FILES: dict[str, str] = {key: f"{key}.npy" for key in FILE_KEYS}  # MNIST-C's names
# The MNIST-C corruptions nnviz offers (the zip holds 16 folders; these are extracted).
MNIST_C_CORRUPTIONS: tuple[str, ...] = ("shot_noise", "motion_blur", "rotate", "fog", "zigzag")
MNIST_C_SPELLING = "mnist-c/<corruption>"  # the one way help texts and messages write MNIST-C's names


def spelled_names(names: Iterable[str]) -> str:
    """Data set names for a message, comma-separated: the MNIST-C sets (or the ``mnist-c``
    download) once, as ``mnist-c/<corruption> (shot_noise|motion_blur|...)``."""
    out: list[str] = []
    mnist_c = f"{MNIST_C_SPELLING} ({'|'.join(MNIST_C_CORRUPTIONS)})"
    for name in names:
        entry = mnist_c if name == "mnist-c" or name.startswith("mnist-c/") else name
        if entry not in out:
            out.append(entry)
    return ", ".join(out)



@dataclass(frozen=True)
class DatasetInfo:
    """What the app knows about one image data set before its files are found."""

    name: str
    title: str
    class_names: tuple[str, ...]
    files: dict[str, str] = field(default_factory=lambda: dict(STANDARD_FILES))
    licence: str = ""
    homepage: str = ""
    debian_package: str | None = None  # e.g. "dataset-fashion-mnist"
    format: str = "idx"  # "idx", "npy" (MNIST-C) or "cifar10-bin"
    input_shape: tuple[int, int, int] = (1, 28, 28)  # (C, H, W) of one image
    transposed: bool = False  # EMNIST stores each image transposed; fixed on load

    @property
    def download_name(self) -> str:
        """The name ``nnviz data fetch`` takes: ``mnist-c`` for every ``mnist-c/<corruption>``."""
        return self.name.split("/")[0]


IMAGE_DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        name="mnist",
        title="MNIST handwritten digits",
        class_names=tuple(str(digit) for digit in range(10)),
        licence="CC BY-SA 3.0 (Yann LeCun, Corinna Cortes, Christopher J.C. Burges)",
        homepage="http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion-mnist": DatasetInfo(
        name="fashion-mnist",
        title="Fashion-MNIST (Zalando article images)",
        class_names=(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ),
        licence="MIT (Zalando SE)",
        homepage="https://github.com/zalandoresearch/fashion-mnist",
        debian_package="dataset-fashion-mnist",
    ),
    "kmnist": DatasetInfo(
        name="kmnist",
        title="Kuzushiji-MNIST (cursive Japanese hiragana)",
        # Romanisations of お き す つ な は ま や れ を, in label order.
        class_names=("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
        licence="CC BY-SA 4.0 (ROIS-DS Center for Open Data in the Humanities)",
        homepage="https://github.com/rois-codh/kmnist",
    ),
    "emnist": DatasetInfo(
        name="emnist",
        title="EMNIST digits (240,000 + 40,000 handwritten digits from NIST SD 19)",
        class_names=tuple(str(digit) for digit in range(10)),
        files=dict(EMNIST_DIGITS_FILES),
        licence="no formal licence; NIST Special Database 19 derivative (cite Cohen et al., 2017)",
        homepage="https://www.nist.gov/itl/products-and-services/emnist-dataset",
        transposed=True,
    ),
    **{
        f"mnist-c/{corruption}": DatasetInfo(
            name=f"mnist-c/{corruption}",
            title=f"MNIST-C: MNIST digits, {corruption.replace('_', ' ')} corruption (Mu and Gilmer, 2019)",
            class_names=tuple(str(digit) for digit in range(10)),
            files=dict(NPY_FILES),
            licence="CC BY 4.0 (Norman Mu, Justin Gilmer)",
            homepage="https://github.com/google-research/mnist-c",
            format="npy",
        )
        for corruption in MNIST_C_CORRUPTIONS
    },
    "cifar10": DatasetInfo(
        name="cifar10",
        title="CIFAR-10 (32x32 colour images, 10 classes)",
        class_names=CIFAR10_CLASS_NAMES,
        files={name: name for name in CIFAR10_FILES},
        licence="no formal licence (Alex Krizhevsky, 2009; cite the tech report)",
        homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
        format="cifar10-bin",
        input_shape=(3, 32, 32),
    ),
}
