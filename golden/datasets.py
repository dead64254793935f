"""Datasets: scikit-learn's bundled digits (default) and IDX files (MNIST / Fashion-MNIST format).

Every dataset is returned as unsigned integer features (N, F) in [0, max_value] and labels (N,), already split
into train / validation / test so every design sees exactly the same samples.

Digits split (fixed, documented): stratified, `random_state=0`; 20 % test (360 samples), then 10 % of the
remainder for validation (144), the rest training (1293).
IDX split: the files' own train / test partition; the last 10 % of the training file is the validation split.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgebench.golden.errors import EdgebenchError

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")


class DatasetError(EdgebenchError, ValueError):
    """A dataset file or directory is missing, truncated or malformed (a ValueError too, as it always was)."""


@dataclass(frozen=True)
class Dataset:
    name: str
    max_value: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)


def load_digits_split() -> Dataset:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x = bunch.data.astype(np.int64)  # pixel intensities 0..16
    y = bunch.target.astype(np.int64)
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=0.1, random_state=0, stratify=y_rest
    )
    return Dataset("digits", 16, x_train, y_train, x_val, y_val, x_test, y_test)


_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (optionally gzip-compressed); any malformation raises DatasetError naming the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise DatasetError(f"{path}: file not found") from None
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError; a damaged deflate stream is zlib's
        raise DatasetError(f"{path}: cannot read or decompress ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DatasetError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DatasetError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = math.prod(shape) * dtype.itemsize  # Python ints: np.prod of four uint32 sizes can wrap around
    if len(raw) - header != expected:
        raise DatasetError(
            f"{path}: truncated or corrupt IDX data "
            f"({len(raw) - header} bytes of payload, shape {shape} needs {expected})"
        )
    try:
        return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    except ValueError:  # a zero dimension matches an empty payload, but the other sizes are beyond any array
        raise DatasetError(f"{path}: IDX shape {shape} cannot be an array (corrupt header)") from None


def _find(directory: Path, stem: str) -> Path:
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if candidate.exists():
            return candidate
    raise DatasetError(f"{directory}: missing {stem}[.gz] (expected MNIST-format IDX files)")


IDX_FIX = "the directory needs the four MNIST-format IDX files, intact (download them again)"


def load_idx_dir(directory: str | Path, name: str | None = None) -> Dataset:
    """Load an MNIST-format directory (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-...); every problem
    is a DatasetError naming the file and saying what to do."""
    try:
        return _load_idx_dir(Path(directory), name)
    except DatasetError as exc:
        raise DatasetError(f"{exc}; {IDX_FIX}") from None


def _load_idx_dir(directory: Path, name: str | None) -> Dataset:
    if not directory.is_dir():
        raise DatasetError(f"{directory}: dataset directory not found")
    xs, ys = [], []
    shape: tuple[int, ...] = ()
    for prefix in ("train", "t10k"):
        img_path, lbl_path = _find(directory, f"{prefix}-images-idx3-ubyte"), _find(
            directory, f"{prefix}-labels-idx1-ubyte"
        )
        images, labels = read_idx(img_path), read_idx(lbl_path)
        if images.ndim != 3:
            raise DatasetError(f"{img_path}: expected images (N, H, W), got shape {images.shape}")
        if labels.ndim != 1:
            raise DatasetError(f"{lbl_path}: expected labels (N,), got shape {labels.shape}")
        # MNIST-format pixels and labels are unsigned bytes (IDX type 0x08); the designs encode pixels as 0..255
        for path, arr in ((img_path, images), (lbl_path, labels)):
            if arr.dtype != np.uint8:
                raise DatasetError(f"{path}: expected unsigned bytes (IDX type 0x08), got {arr.dtype}")
        if images.shape[0] != labels.shape[0]:
            raise DatasetError(f"{lbl_path}: {labels.shape[0]} labels for {images.shape[0]} images")
        if xs and images.shape[1:] != shape:
            raise DatasetError(f"{img_path}: images are {images.shape[1:]}, the training images {shape}")
        shape = images.shape[1:]
        if images.shape[1] * images.shape[2] == 0:
            raise DatasetError(f"{img_path}: images have no pixels (shape {images.shape})")
        xs.append(images.reshape(images.shape[0], shape[0] * shape[1]).astype(np.int64))  # (not -1: N may be 0)
        ys.append(labels.astype(np.int64))
    # the last 10 % of train is validation: fewer than 10 training images would leave it empty (and x[:-0]
    # would empty the training split instead)
    if xs[0].shape[0] < 10:
        raise DatasetError(f"{directory}: {xs[0].shape[0]} training images; at least 10 are needed (10 % validation)")
    if xs[1].shape[0] < 1:
        raise DatasetError(f"{directory}: the t10k files hold no test images")
    n_val = xs[0].shape[0] // 10
    return Dataset(
        name or directory.name or directory.resolve().name,  # `--dataset .` has no name of its own
        255,
        xs[0][:-n_val],
        ys[0][:-n_val],
        xs[0][-n_val:],
        ys[0][-n_val:],
        xs[1],
        ys[1],
    )


def load_dataset(name: str) -> Dataset:
    """`digits`, `fashion-mnist` (Debian's dataset-fashion-mnist), or a path to an IDX directory."""
    if name == "digits":
        return load_digits_split()
    if name == "fashion-mnist":
        if not FASHION_MNIST_DIR.is_dir():
            raise DatasetError(
                f"{FASHION_MNIST_DIR}: Fashion-MNIST not installed; run `apt-get install -y dataset-fashion-mnist`"
            )
        return load_idx_dir(FASHION_MNIST_DIR, "fashion-mnist")
    if not Path(name).is_dir():
        raise DatasetError(
            f"unknown dataset {name!r}: use digits, fashion-mnist, or a directory of MNIST-format IDX files "
            "(train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...)"
        )
    return load_idx_dir(name)
