"""Datasets: the documented digits split, the IDX loader and its errors, the input encodings."""

import gzip
import struct

import numpy as np
import pytest

from edgebench.golden.datasets import FASHION_MNIST_DIR, DatasetError, load_dataset, load_idx_dir, read_idx
from edgebench.golden.encoding import pack_beats, thermometer_uniform


def test_digits_split_is_fixed_and_disjoint() -> None:
    d = load_dataset("digits")
    assert (len(d.x_train), len(d.x_val), len(d.x_test)) == (1293, 144, 360)
    assert d.n_features == 64 and d.n_classes == 10 and d.max_value == 16
    again = load_dataset("digits")
    assert np.array_equal(d.x_test, again.x_test)
    assert np.bincount(d.y_test).min() >= 35  # stratified


def _idx_bytes(arr: np.ndarray) -> bytes:
    return bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.astype(np.uint8).tobytes()


def _write_mnist_dir(path, n_train: int = 20, n_test: int = 10, gz: bool = False) -> None:  # noqa: ANN001
    rng = np.random.default_rng(0)
    path.mkdir(exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        for stem, arr in ((f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28))),
                          (f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n))):
            data = _idx_bytes(arr)
            (path / (stem + (".gz" if gz else ""))).write_bytes(gzip.compress(data) if gz else data)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_directory_loads(tmp_path, gz: bool) -> None:  # noqa: ANN001
    _write_mnist_dir(tmp_path / "m", gz=gz)
    d = load_idx_dir(tmp_path / "m")
    assert d.x_train.shape == (18, 784) and d.x_val.shape == (2, 784) and d.x_test.shape == (10, 784)
    assert d.max_value == 255


def test_truncated_idx_names_the_file(tmp_path) -> None:  # noqa: ANN001
    f = tmp_path / "bad-idx1-ubyte"
    f.write_bytes(_idx_bytes(np.arange(10))[:-3])
    with pytest.raises(DatasetError, match=f"{f}: truncated or corrupt"):
        read_idx(f)


def test_wrong_magic_names_the_file(tmp_path) -> None:  # noqa: ANN001
    f = tmp_path / "x"
    f.write_bytes(b"\x89PNG....")
    with pytest.raises(DatasetError, match=f"{f}: not an IDX file"):
        read_idx(f)


def test_corrupt_gzip_names_the_file(tmp_path) -> None:  # noqa: ANN001
    f = tmp_path / "x.gz"
    f.write_bytes(b"\x1f\x8b" + b"garbage")
    with pytest.raises(DatasetError, match=f"{f}: cannot read or decompress"):
        read_idx(f)


def test_label_count_mismatch(tmp_path) -> None:  # noqa: ANN001
    _write_mnist_dir(tmp_path / "m")
    (tmp_path / "m" / "t10k-labels-idx1-ubyte").write_bytes(_idx_bytes(np.arange(3)))
    with pytest.raises(DatasetError, match="3 labels for 10 images"):
        load_idx_dir(tmp_path / "m")


def test_missing_file(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="missing train-images-idx3-ubyte"):
        load_idx_dir(tmp_path / "empty")


@pytest.mark.skipif(not FASHION_MNIST_DIR.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_mnist_from_debian() -> None:
    d = load_dataset("fashion-mnist")
    assert d.n_features == 784 and len(d.x_test) == 10000 and d.n_classes == 10


def test_thermometer_uniform() -> None:
    bits = thermometer_uniform(np.array([[0, 6, 16], [5, 11, 10]]), levels=2, max_value=16)
    # thresholds: x*3 >= 16 and x*3 >= 32, i.e. x >= 6 and x >= 11; index feature*2 + level
    assert bits.tolist() == [[0, 0, 1, 0, 1, 1], [0, 0, 1, 1, 1, 0]]


def test_pack_beats_lsb_first_with_padding() -> None:
    bits = np.zeros((1, 10), dtype=np.uint8)
    bits[0, [0, 3, 4, 9]] = 1
    assert pack_beats(bits, 4) == [[0b1001, 0b0001, 0b10]]
    wide = np.ones((2, 130), dtype=np.uint8)
    assert pack_beats(wide, 128)[1] == [(1 << 128) - 1, 0b11]
