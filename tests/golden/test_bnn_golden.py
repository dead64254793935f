"""The BNN golden model against independent references, and its model file against corruption."""

import json

import numpy as np
import pytest

from edgebench.designs.bnn import layer_folds, write_mvau_files
from edgebench.golden import bnn


def _reference_forward(model: bnn.BnnModel, bits: np.ndarray) -> tuple[list[int], list[list[int]]]:
    """Per-sample, per-neuron loops in plain Python: an independent statement of the same semantics."""
    classes, all_scores = [], []
    for row in bits.tolist():
        a = row
        for layer, w in enumerate(model.weights):
            acc = [sum(1 for x, wb in zip(a, wrow, strict=True) if x == wb) for wrow in w.tolist()]
            if layer < len(model.thresholds):
                a = [int(p >= t) for p, t in zip(acc, model.thresholds[layer].tolist(), strict=True)]
            else:
                best = max(range(len(acc)), key=lambda c: (acc[c], -c))
                classes.append(best)
                all_scores.append(acc)
    return classes, all_scores


def _random_model(rng: np.random.Generator, sizes: tuple[int, ...] = (24, 16, 8, 5)) -> bnn.BnnModel:
    weights = [rng.integers(0, 2, size=(sizes[i + 1], sizes[i]), dtype=np.uint8) for i in range(len(sizes) - 1)]
    thresholds = [rng.integers(0, sizes[i] + 2, size=sizes[i + 1]) for i in range(len(sizes) - 2)]
    return bnn.BnnModel(1, 16, weights, thresholds)


def test_forward_matches_per_sample_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    model = _random_model(rng)
    bits = rng.integers(0, 2, size=(50, 24), dtype=np.uint8)
    bits[:4] = [[0] * 24, [1] * 24, [0, 1] * 12, [1, 0] * 12]
    classes, scores = bnn.forward(model, bits)
    ref_classes, ref_scores = _reference_forward(model, bits)
    assert classes.tolist() == ref_classes
    assert scores.tolist() == ref_scores


def test_argmax_ties_go_to_lowest_index() -> None:
    w = np.array([[1, 0], [0, 1], [1, 0]], dtype=np.uint8)  # classes 0 and 2 always tie
    model = bnn.BnnModel(1, 16, [w], [])
    classes, scores = bnn.forward(model, np.array([[1, 0], [0, 0]], dtype=np.uint8))
    assert scores.tolist() == [[2, 0, 2], [1, 1, 1]]
    assert classes.tolist() == [0, 0]


def test_folded_thresholds_equal_float_batchnorm_sign(seed: int) -> None:
    """sign(gamma*(s-mean)/std + beta) on s = 2p - MW equals the folded integer rule, including negative
    and zero gamma (row inversion, constant outputs)."""
    rng = np.random.default_rng(seed)
    mh, mw = 40, 33
    w = rng.uniform(-1, 1, size=(mh, mw))
    mean, std = rng.normal(0, 3, mh), rng.uniform(0.5, 4, mh)
    gamma, beta = rng.normal(0, 1, mh), rng.normal(0, 1, mh)
    gamma[:4] = [0, 0, -1e-3, 1e-3]
    bits_w, t = bnn.fold_thresholds(w, mean, std, gamma, beta)
    x = rng.integers(0, 2, size=(500, mw), dtype=np.uint8)
    s = (2.0 * x - 1) @ np.where(w >= 0, 1.0, -1.0).T
    y = gamma * (s - mean) / std + beta
    expected = (y >= 0).astype(np.uint8)
    got = (bnn.xnor_popcount(x, bits_w) >= t).astype(np.uint8)
    clear = np.abs(y) > 1e-9  # exact float ties are not meaningful
    assert np.array_equal(got[clear], expected[clear])
    assert t.min() >= 0 and t.max() <= mw + 1


def test_xnor_popcount_is_bipolar_dot(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, w = rng.integers(0, 2, size=(30, 17)), rng.integers(0, 2, size=(9, 17))
    dot = (2 * x - 1) @ (2 * w - 1).T
    assert np.array_equal(2 * bnn.xnor_popcount(x, w) - 17, dot)


def test_memory_layout_matches_documentation() -> None:
    """Word nf*SF + sf, bit pe*SIMD + s holds w[nf*PE + pe][sf*SIMD + s] (rtl/bnn/bnn_mvau.v)."""
    import tempfile
    from pathlib import Path

    rng = np.random.default_rng(3)
    w = rng.integers(0, 2, size=(6, 8), dtype=np.uint8)
    t = np.arange(6)
    pe, simd = 2, 4
    with tempfile.TemporaryDirectory() as d:
        files = write_mvau_files(w, t, pe, simd, Path(d), "x")
        words = [int(line, 16) for line in files["w"].read_text().split()]
        twords = [int(line, 16) for line in files["t"].read_text().split()]
    sf = 8 // simd
    for n in range(6):
        for i in range(8):
            word = words[(n // pe) * sf + i // simd]
            assert (word >> ((n % pe) * simd + i % simd)) & 1 == w[n, i]
        assert (twords[n // pe] >> ((n % pe) * 4)) & 0xF == t[n]  # ACC_W = clog2(8 + 2) = 4


def test_folding_must_divide() -> None:
    assert layer_folds([(64, 128)], (8,), (32,)) == [32]
    with pytest.raises(ValueError, match="PE=3 must divide MH=64"):
        layer_folds([(64, 128)], (3,), (32,))


@pytest.fixture
def saved_model(tmp_path):  # noqa: ANN001, ANN201
    model = _random_model(np.random.default_rng(0))
    return model, bnn.save(model, tmp_path / "m.npz")


def test_model_file_roundtrip(saved_model) -> None:  # noqa: ANN001
    model, path = saved_model
    loaded = bnn.load(path)
    bits = np.random.default_rng(1).integers(0, 2, size=(20, 24), dtype=np.uint8)
    assert np.array_equal(bnn.forward(loaded, bits)[1], bnn.forward(model, bits)[1])


def _rewrite(path, **changes) -> None:  # noqa: ANN001
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    for key, value in changes.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
    np.savez(path.with_suffix(""), **arrays)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"w1": None}, "missing field 'w1'"),
        ({"t0": np.zeros(3, dtype=np.int64)}, r"field 't0' has shape \(3,\)"),
        ({"w1": np.zeros((8, 5), dtype=np.uint8)}, r"field 'w1' has shape \(8, 5\)"),
        ({"t0": np.full(16, 99)}, "field 't0' out of range"),
        ({"w0": np.full((16, 24), 2, dtype=np.uint8)}, "field 'w0' must hold bits"),
        ({"manifest": np.array(json.dumps({"format": "edgebench-bnn", "version": 99}))}, "version 99"),
        ({"manifest": None}, "missing field 'manifest'"),
    ],
)
def test_corrupt_model_file_is_rejected(saved_model, change: dict, message: str) -> None:  # noqa: ANN001
    _, path = saved_model
    _rewrite(path, **change)
    with pytest.raises(bnn.ModelFileError, match=message):
        bnn.load(path)


def test_truncated_model_file_is_rejected(saved_model) -> None:  # noqa: ANN001
    _, path = saved_model
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(bnn.ModelFileError, match="not a readable model file"):
        bnn.load(path)
