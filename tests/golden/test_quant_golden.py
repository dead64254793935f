"""Golden side of the quantized MAC family: codes, quantizers, integer model, memory files, model files."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from edgebench.designs import mac as mac_design
from edgebench.golden import quant
from edgebench.golden.datasets import Dataset, load_dataset


@pytest.fixture(scope="module")
def data():
    return load_dataset("digits")


@pytest.fixture(scope="module")
def float_model(data: Dataset):
    return quant.train_float(quant.FloatTrainConfig(hidden=32), data)


# --------------------------------------------------------------------------------------------- codes


def test_asm_representable_quartets() -> None:
    assert sorted(quant.asm_quartet_table(1)) == [0, 1, 2, 4, 8]
    assert sorted(quant.asm_quartet_table(2)) == [0, 1, 2, 3, 4, 6, 8, 12]
    assert sorted(quant.asm_quartet_table(4)) == [q for q in range(16) if q not in (9, 11, 13, 15)]


def test_asm_codes_decode_to_their_quartets() -> None:
    for na in (1, 2, 4):
        mags = quant.asm_representable(na)
        for sign in (0, 1):
            codes = quant.encode_asm(mags, np.full(len(mags), sign), na)
            assert np.array_equal(quant.decode_asm(codes), -mags if sign else mags)
            sel = np.concatenate([(codes >> 2) & 3, (codes >> 7) & 3])
            assert sel.max() < na  # only this alphabet's bank entries are selected
    with pytest.raises(ValueError):
        quant.encode_asm(np.array([9]), np.array([0]), 4)


def test_pot_decode_all_codes() -> None:
    codes = np.arange(16)
    want = [0, 1, 2, 4, 8, 16, 32, 64, 0, -1, -2, -4, -8, -16, -32, -64]
    assert quant.decode_pot(codes).tolist() == want


def test_uniform_decode_all_codes() -> None:
    assert quant.decode_uniform(np.arange(256), 8).tolist() == list(range(128)) + list(range(-128, 0))
    assert quant.decode_uniform(np.arange(16), 4).tolist() == list(range(8)) + list(range(-8, 0))


def test_lane_product_scalar_matches_python() -> None:
    rng = np.random.default_rng(0)
    for kind, cw in (("uniform", 8), ("pot", 4), ("asm", 11)):
        codes = rng.integers(0, 1 << cw, 50)
        xs = rng.integers(0, 256, 50)
        got = quant.lane_product(kind, codes, xs, 8)
        for c, x, g in zip(codes, xs, got, strict=True):
            assert g == int(quant.decode(np.array(c), kind, 8)) * int(x)


# --------------------------------------------------------------------------------------------- quantizers


@pytest.mark.parametrize("qc", [quant.QuantConfig("uniform", 8, 8), quant.QuantConfig("uniform", 4, 4),
                                quant.QuantConfig("pot"), quant.QuantConfig("asm", alphabet=1),
                                quant.QuantConfig("asm", alphabet=2), quant.QuantConfig("asm", alphabet=4)],
                         ids=lambda q: f"{q.kind}-{q.w_bits}-{q.alphabet}")
def test_quantize_weights_nearest(qc: quant.QuantConfig) -> None:
    rng = np.random.default_rng(1)
    w = rng.normal(size=(16, 40))
    codes, scale = quant.quantize_weights(w, qc)
    deq = quant.decode(codes, qc.kind, qc.w_bits)
    assert np.abs(deq).max() == quant.wmax(qc.kind, qc.w_bits, qc.alphabet)
    # every weight maps to its nearest level (levels = all values the code can express)
    levels = np.unique(quant.decode(np.arange(1 << quant.code_width(qc.kind, qc.w_bits)), qc.kind, qc.w_bits))
    if qc.kind == "asm":
        levels = np.concatenate([-quant.asm_representable(qc.alphabet), quant.asm_representable(qc.alphabet)])
    if qc.kind == "uniform":
        levels = levels[np.abs(levels) <= quant.wmax("uniform", qc.w_bits)]
    err = np.abs(w / scale - deq)
    best = np.min(np.abs(w[..., None] / scale - levels), axis=-1)
    assert np.allclose(err, best)


def test_requant_rounding_relu_saturation() -> None:
    acc = np.array([-100, -1, 0, 7, 8, 9, 23, 24, 4095, 5000])
    assert quant.requant(acc, 4, 8).tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 255, 255]
    assert quant.requant(acc, 0, 4).tolist() == [0, 0, 0, 7, 8, 9, 15, 15, 15, 15]


def test_pack_unpack_fields() -> None:
    x = np.array([[0, 16, 31], [1, 2, 3]])
    bits = quant.pack_fields(x, 5)
    assert bits.shape == (2, 15)
    assert bits[0, 5:10].tolist() == [0, 0, 0, 0, 1]
    assert np.array_equal(quant.unpack_fields(bits, 5), x)


# --------------------------------------------------------------------------------------------- integer model


def _scalar_reference(model: quant.QuantMlp, x: np.ndarray) -> tuple[int, list[int]]:
    """Per-sample, per-neuron Python-int reference of the integer semantics (loops on purpose)."""
    a = [int(v) for v in x]
    for layer in range(len(model.codes)):
        w = model.weights(layer)
        out = []
        for n in range(w.shape[0]):
            acc = int(model.bias[layer][n]) + sum(int(w[n, i]) * a[i] for i in range(len(a)))
            assert -(1 << (model.acc_widths[layer] - 1)) <= acc < (1 << (model.acc_widths[layer] - 1))
            if layer < len(model.codes) - 1:
                s = model.shifts[layer]
                v = (acc + ((1 << (s - 1)) if s else 0)) >> s
                acc = min(max(v, 0), (1 << model.a_bits) - 1)
            out.append(acc)
        a = out
    best = max(range(len(a)), key=lambda c: (a[c], -c))
    return best, a


@pytest.mark.parametrize("design", mac_design.DESIGN_NAMES)
def test_vectorized_golden_matches_scalar_reference(design: str, data: Dataset, tmp_path: Path) -> None:
    model = mac_design.cached_model(mac_design.CONFIGS[design]["default"], data, tmp_path)
    rng = np.random.default_rng(3)
    x = np.concatenate([data.x_test[:8], rng.integers(0, 32, size=(8, 64)), np.full((1, 64), 31)])
    cls, scores = quant.forward(model, quant.pack_fields(x, 5))
    for k in range(len(x)):
        c, s = _scalar_reference(model, x[k])
        assert cls[k] == c and scores[k].tolist() == s


def test_three_layer_golden_matches_scalar_reference(data: Dataset, tmp_path: Path) -> None:
    """N layers: the vectorized golden of a 3-layer model (two requantized hidden layers) is the per-sample one."""
    model = mac_design.cached_model(mac_design.CONFIGS["int4-mac"]["three-layer"], data, tmp_path)
    assert model.layer_shapes == [(16, 64), (16, 16), (10, 16)] and len(model.shifts) == 2
    rng = np.random.default_rng(4)
    x = np.concatenate([data.x_test[:8], rng.integers(0, 32, size=(8, 64)), np.full((1, 64), 31)])
    cls, scores = quant.forward(model, quant.pack_fields(x, 5))
    for k in range(len(x)):
        c, s = _scalar_reference(model, x[k])
        assert cls[k] == c and scores[k].tolist() == s
    assert quant.accuracy(model, data.x_test, data.y_test) > 0.9


def test_hidden_sizes_and_cache_keys() -> None:
    """An int `hidden` is one hidden layer and stays an int in asdict() (the cache key of every earlier model)."""
    assert quant.FloatTrainConfig().hidden_sizes == (32,)
    assert quant.FloatTrainConfig(hidden=(256, 256)).hidden_sizes == (256, 256)
    assert asdict(quant.FloatTrainConfig(hidden=32)) == {"hidden": 32, "max_iter": 400, "alpha": 1e-4, "seed": 0}
    assert quant._classifier(quant.FloatTrainConfig(hidden=(16, 8))).hidden_layer_sizes == (16, 8)


def test_accuracies_close_to_float(data: Dataset, float_model: tuple) -> None:
    _, fm = float_model
    f = fm.accuracy(data.x_test, data.y_test)
    assert f > 0.94
    for qc, tol in ((quant.QuantConfig("uniform", 8, 8), 0.01), (quant.QuantConfig("uniform", 4, 4), 0.03),
                    (quant.QuantConfig("pot"), 0.03), (quant.QuantConfig("asm", alphabet=1), 0.03),
                    (quant.QuantConfig("asm", alphabet=4), 0.02)):
        m = quant.quantize(fm, qc, data)
        assert quant.accuracy(m, data.x_test, data.y_test) >= f - tol, qc


def test_pruning_sets_zero_codes(data: Dataset) -> None:
    hw = mac_design.CONFIGS["pot-pruned"]["default"]
    model = mac_design.make_model(hw, data)
    for layer in range(2):
        w = model.weights(layer)
        assert np.mean(w == 0) >= hw.quant.prune - 1e-9
    assert quant.accuracy(model, data.x_test, data.y_test) > 0.9


def test_model_file_roundtrip(data: Dataset, tmp_path: Path) -> None:
    model = mac_design.cached_model(mac_design.CONFIGS["asm-13"]["default"], data, tmp_path)
    loaded = quant.load(quant.save(model, tmp_path / "m.npz"))
    bits = model.encode(data.x_test)
    assert np.array_equal(quant.forward(model, bits)[1], quant.forward(loaded, bits)[1])
    (tmp_path / "bad.npz").write_bytes(b"junk")
    with pytest.raises(quant.ModelFileError):
        quant.load(tmp_path / "bad.npz")
    with pytest.raises(quant.ModelFileError):
        quant.load(tmp_path / "missing.npz")


# --------------------------------------------------------------------------------------------- memory layout


def test_sparse_words_reconstruct_weights() -> None:
    rng = np.random.default_rng(5)
    w = rng.integers(-3, 4, size=(8, 20)) * (rng.random((8, 20)) < 0.3)
    codes = np.where(w == 0, 0, (w < 0).astype(np.int64) << 3 | np.abs(w))  # any code with zero = 0
    entries, last = mac_design.sparse_words(codes, w, 4, 4)
    rebuilt = np.zeros_like(w)
    g, p = 0, 4
    for row, fl in zip(entries, last, strict=True):
        for q in range(p):
            idx, code = row[q] >> 4, row[q] & 15
            if code:
                rebuilt[g * p + q, idx] = w[g * p + q, idx]
        g += int(fl)
    assert g == 2 and np.array_equal(rebuilt, w)
    nnz = np.count_nonzero(w, axis=1).reshape(2, 4)
    assert len(entries) == int(np.maximum(1, nnz.max(axis=1)).sum())


def test_dense_words_layout() -> None:
    codes = np.arange(8 * 3).reshape(8, 3)
    entries, last = mac_design.dense_words(codes, 4)
    assert entries.shape == (6, 4) and entries[4].tolist() == [13, 16, 19, 22] and last.tolist() == [0, 0, 1] * 2
