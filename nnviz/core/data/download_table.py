"""The one table of every data set's official download: URLs, hashes, sizes, licences.

Hashes (``RemoteFile.known_hash``): SHA-256 where we could check it against the real bytes,
else the MD5 the authors (or torchvision) publish; ``DatasetDownload.hash_source`` says which.
:mod:`nnviz.core.data.downloads` fetches what this table describes.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnviz.core.data.loading import IMAGE_DATASETS, MNIST_C_CORRUPTIONS


@dataclass(frozen=True)
class RemoteFile:
    name: str  # on the server and in the cache
    urls: tuple[str, ...]  # official first, then stable mirrors; tried in order
    known_hash: str  # pooch's form: "sha256:<hex>" or "md5:<hex>"
    size: int  # bytes (approximate when size_exact is False)
    size_exact: bool = True


@dataclass(frozen=True)
class DatasetDownload:
    """One ``nnviz data fetch NAME``: its files and the registry data sets they provide."""

    name: str
    provides: tuple[str, ...]  # names in datasets.IMAGE_DATASETS
    files: tuple[RemoteFile, ...]
    licence: str
    homepage: str
    hash_source: str
    extract: tuple[tuple[str, str], ...] = ()  # (archive member, path in the cache folder)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def size_exact(self) -> bool:
        return all(f.size_exact for f in self.files)


def _files(bases: tuple[str, ...], table: dict[str, tuple[str, int]], exact: bool = True) -> tuple[RemoteFile, ...]:
    return tuple(RemoteFile(name, tuple(f"{base}/{name}" for base in bases), known_hash, size, exact)
                 for name, (known_hash, size) in table.items())


_IDX = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz")
_CIFAR_MEMBERS = ("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                  "data_batch_5.bin", "test_batch.bin", "batches.meta.txt")

# The one table of official sources. Sizes are the servers' byte counts.
DOWNLOADS: dict[str, DatasetDownload] = {d.name: d for d in [
    DatasetDownload(
        "mnist", ("mnist",),
        _files(("https://ossci-datasets.s3.amazonaws.com/mnist", "https://storage.googleapis.com/cvdf-datasets/mnist"),
               dict(zip(_IDX, [
                   ("sha256:440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9_912_422),
                   ("sha256:3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28_881),
                   ("sha256:8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1_648_877),
                   ("sha256:f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4_542)]))),
        IMAGE_DATASETS["mnist"].licence, "http://yann.lecun.com/exdb/mnist/",
        "SHA-256 of LeCun's original .gz files, checked against verified copies (whose MD5s match "
        "the published f68b3c2d..., d53e105e..., 9fb629c4..., ec29112d...)"),
    DatasetDownload(
        "fashion-mnist", ("fashion-mnist",),
        _files(("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
                "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion"),
               dict(zip(_IDX, [
                   ("sha256:3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26_421_880),
                   ("sha256:a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29_515),
                   ("sha256:346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4_422_102),
                   ("sha256:67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5_148)]))),
        IMAGE_DATASETS["fashion-mnist"].licence, IMAGE_DATASETS["fashion-mnist"].homepage,
        "SHA-256 of Zalando's originals, rebuilt from Debian's dataset-fashion-mnist (same deflate "
        "data, gzip name and time stripped) until the README's MD5s 8d4fb7e6..., 25c81989..., "
        "bef4ecab..., bb300cfd... matched"),
    DatasetDownload(
        "kmnist", ("kmnist",),
        _files(("https://codh.rois.ac.jp/kmnist/dataset/kmnist", "http://codh.rois.ac.jp/kmnist/dataset/kmnist"),
               dict(zip(_IDX, [("md5:bdb82020997e1d708af4cf47b453dcf7", 18_165_135),
                               ("md5:e144d726b3acfaa3e44228e80efcd344", 29_497),
                               ("md5:5c965bf0a639b31b8f53240b1b52f4d7", 3_041_136),
                               ("md5:7320c461ea6c1c855c0b718fb2a4b134", 5_120)]))),
        IMAGE_DATASETS["kmnist"].licence, IMAGE_DATASETS["kmnist"].homepage,
        "MD5 as published for CODH's files (torchvision uses the same); not checked here: no copy "
        "of KMNIST was available offline"),
    DatasetDownload(
        "emnist", ("emnist",),
        _files(("https://biometrics.nist.gov/cs_links/EMNIST",),
               {"gzip.zip": ("md5:58c8d27c78d21e728a6bc7b3cc06412e", 561_753_746)}),
        IMAGE_DATASETS["emnist"].licence, IMAGE_DATASETS["emnist"].homepage,
        "MD5 of NIST's gzip.zip as used by torchvision (NIST publishes none); not checked here",
        extract=tuple((f"gzip/{name}", name) for name in IMAGE_DATASETS["emnist"].files.values())),
    DatasetDownload(
        "mnist-c", tuple(f"mnist-c/{c}" for c in MNIST_C_CORRUPTIONS),
        _files(("https://zenodo.org/records/3239543/files",),
               {"mnist_c.zip": ("md5:4b34b33045869ee6d424616cd3a65da3", 246_650_000)}, exact=False),
        "CC BY 4.0 (Norman Mu, Justin Gilmer)", "https://github.com/google-research/mnist-c",
        "MD5 Zenodo publishes for mnist_c.zip; not checked here (size: about 235 MiB)",
        extract=tuple((f"mnist_c/{c}/{split}_{kind}.npy", f"{c}/{split}_{kind}.npy")
                      for c in MNIST_C_CORRUPTIONS for split in ("train", "test") for kind in ("images", "labels"))),
    DatasetDownload(
        "cifar10", ("cifar10",),
        _files(("https://www.cs.toronto.edu/~kriz",),
               {"cifar-10-binary.tar.gz": ("md5:c32a1d4ab5d03f1284b67883e8d87530", 170_052_171)}),
        IMAGE_DATASETS["cifar10"].licence, IMAGE_DATASETS["cifar10"].homepage,
        "MD5 Krizhevsky publishes on the CIFAR page; not checked here",
        extract=tuple((f"cifar-10-batches-bin/{name}", name) for name in _CIFAR_MEMBERS)),
]}
