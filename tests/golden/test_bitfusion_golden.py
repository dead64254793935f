"""Golden side of Bit Fusion: bricks and their decomposition (exhaustive), widths, requantization, the three inference
paths against a per-sample reference, accumulator bounds, memory layout and model files."""

from __future__ import annotations

import warnings
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from edgebench.designs import bitfusion as bf_design
from edgebench.golden import bitfusion as bf
from edgebench.golden import quant
from edgebench.golden.datasets import Dataset, load_dataset
from edgebench.golden.modelfile import ModelFileError

PAIRS = [(a, w) for a in bf.PRECISIONS for w in bf.PRECISIONS]


@pytest.fixture(scope="module")
def data() -> Dataset:
    return load_dataset("digits")


@pytest.fixture(scope="module")
def model(data: Dataset) -> bf.BitFusionMlp:
    hw = bf_design.CONFIGS["default"]
    return bf.train(hw.train, hw.precision, data)


# --------------------------------------------------------------------------------------------- bricks


def test_brick_every_operand() -> None:
    for a in range(4):
        for w in range(4):
            for a_signed in (False, True):
                for w_signed in (False, True):
                    av = a - 4 if a_signed and a >= 2 else a
                    wv = w - 4 if w_signed and w >= 2 else w
                    assert bf.brick(a, a_signed, w, w_signed) == av * wv
                    assert -6 <= av * wv <= 9  # 5 bits hold every brick product


def test_products_per_unit() -> None:
    want = {(2, 2): 16, (4, 2): 8, (2, 4): 8, (4, 4): 4, (8, 2): 4, (2, 8): 4, (8, 4): 2, (4, 8): 2, (8, 8): 1}
    assert {p: bf.products_per_unit(*p) for p in PAIRS} == want
    with pytest.raises(ValueError, match="precision 3x8"):
        bf.products_per_unit(3, 8)


@pytest.mark.parametrize("a_signed", [False, True], ids=["a-unsigned", "a-signed"])
@pytest.mark.parametrize(("a_bits", "w_bits"), PAIRS, ids=[f"{a}x{w}" for a, w in PAIRS])
def test_brick_decomposition_exhaustive(a_bits: int, w_bits: int, a_signed: bool) -> None:
    """sum over slices (i, j) of brick(a_i, w_j) << 2(i+j) == a * w for every operand pair (8x8: 65,536)."""
    (alo, ahi), (wlo, whi) = bf.operand_range(a_bits, a_signed), bf.operand_range(w_bits, True)
    a, w = np.meshgrid(np.arange(alo, ahi + 1), np.arange(wlo, whi + 1))
    assert np.array_equal(bf.fused_product(a, w, a_bits, w_bits, a_signed, True), a * w)


@pytest.mark.parametrize(("a_bits", "w_bits"), PAIRS, ids=[f"{a}x{w}" for a, w in PAIRS])
def test_fusion_unit_dot_and_width(a_bits: int, w_bits: int) -> None:
    """The unit's sum of K products equals the plain dot product, and its extremes fit OUT_W bits signed."""
    k = bf.products_per_unit(a_bits, w_bits)
    rng = np.random.default_rng(a_bits * 10 + w_bits)
    for a_signed in (False, True):
        (alo, ahi), (wlo, whi) = bf.operand_range(a_bits, a_signed), bf.operand_range(w_bits, True)
        a, w = rng.integers(alo, ahi + 1, (500, k)), rng.integers(wlo, whi + 1, (500, k))
        a[0], w[0], a[1], w[1] = ahi, wlo, alo, wlo  # most negative and most positive sums
        dots = bf.fusion_unit_dot(a, w, a_bits, w_bits, a_signed, True)
        assert np.array_equal(dots, (a * w).sum(axis=1))
        lim = 1 << (bf.unit_out_width(a_bits, w_bits, a_signed, True) - 1)
        assert -lim <= dots.min() and dots.max() < lim
    with pytest.raises(ValueError, match="operand pairs"):
        bf.fusion_unit_dot(np.zeros((1, k + 1)), np.zeros((1, k + 1)), a_bits, w_bits)


# --------------------------------------------------------------------------------------------- widths, requant


def test_requant_rounding_relu_saturation() -> None:
    acc = np.array([-9, -1, 0, 3, 4, 5, 11, 12, 1000])
    assert quant.requant(acc, 3, 2).tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 3]  # (acc + 4) >> 3, clip 0..3
    assert quant.requant(acc, 0, 4).tolist() == [0, 0, 0, 3, 4, 5, 11, 12, 15]
    assert quant.requant(acc, 1, 8).tolist() == [0, 0, 0, 2, 2, 3, 6, 6, 255]  # round half up: 3 -> 2, 5 -> 3


@pytest.mark.parametrize(("a_bits", "w_bits"), PAIRS, ids=[f"{a}x{w}" for a, w in PAIRS])
def test_accumulators_cannot_overflow(a_bits: int, w_bits: int) -> None:
    """The worst weights (every code -2^(W-1), or every +2^(W-1)-1), the largest activations and the bias at its
    bound stay inside ACC_W bits, which the golden model asserts; and ACC_W is not wastefully wide."""
    mw, mh = 32, 4
    lim = bf.product_limit(mw, a_bits, w_bits)
    width = bf.acc_width(mw, a_bits, w_bits)
    wlo, whi = bf.operand_range(w_bits, True)
    weights = np.array([[wlo] * mw, [whi] * mw, [wlo] * mw, [whi] * mw])
    bias = np.array([-lim, lim, lim, -lim])
    model = bf.BitFusionMlp([a_bits, 8], [w_bits, 8], [weights, np.zeros((2, mh), dtype=np.int64)],
                            [bias, np.zeros(2, dtype=np.int64)], [0], [width, bf.acc_width(mh, 8, 8)])
    x = np.full((2, mw), (1 << a_bits) - 1)
    x[1] = 0
    _, scores = bf.forward_int(model, quant.pack_fields(x, a_bits))  # asserts no overflow in any layer
    acc = x @ weights.T + bias
    assert acc.min() == -2 * lim and 2 * lim < 1 << (width - 1) <= 4 * lim
    assert scores.shape == (2, 2)


# --------------------------------------------------------------------------------------------- inference


def _reference(model: bf.BitFusionMlp, bits: np.ndarray) -> list[list[int]]:
    """Per sample, plain Python ints, no NumPy arithmetic."""
    out = []
    for row in bits.tolist():
        ab = model.a_bits[0]
        a = [sum(row[f * ab + j] << j for j in range(ab)) for f in range(model.n_inputs)]
        for layer in range(model.n_layers):
            w, b = model.weights[layer].tolist(), model.bias[layer].tolist()
            acc = [b[n] + sum(wi * ai for wi, ai in zip(w[n], a, strict=True)) for n in range(len(w))]
            assert all(-(1 << (model.acc_widths[layer] - 1)) <= v < 1 << (model.acc_widths[layer] - 1) for v in acc)
            if layer < model.n_layers - 1:
                s, top = model.shifts[layer], (1 << model.a_bits[layer + 1]) - 1
                a = [min(max((v + ((1 << (s - 1)) if s else 0)) >> s, 0), top) for v in acc]
            else:
                a = acc
        out.append(a)
    return out


def test_inference_paths_agree(model: bf.BitFusionMlp, data: Dataset) -> None:
    """forward (float BLAS), forward_int (int64), forward_bricks (slice matmuls) and a per-sample Python reference
    give the same scores, on test images and on the corner inputs the core tests send (all-ones = 255 pixels)."""
    rng = np.random.default_rng(1)
    bits = np.concatenate([model.encode(data.x_test[:40]), np.zeros((1, model.input_bits), np.uint8),
                           np.ones((1, model.input_bits), np.uint8),
                           rng.integers(0, 2, (20, model.input_bits), dtype=np.uint8)])
    cls, scores = bf.forward(model, bits)
    for other in (bf.forward_int, bf.forward_bricks):
        c2, s2 = other(model, bits)
        assert np.array_equal(scores, s2) and np.array_equal(cls, c2)
    assert scores.tolist() == _reference(model, bits[:12]) + scores[12:].tolist()
    assert scores[-21:].tolist() == _reference(model, bits[-21:])
    assert np.array_equal(cls, np.argmax(scores, axis=1))


def test_empty_batch(model: bf.BitFusionMlp) -> None:
    """The harness may ask for the golden results of no vectors (`bench -n` smaller than a vector set)."""
    for fwd in (bf.forward, bf.forward_int, bf.forward_bricks):
        cls, scores = fwd(model, np.zeros((0, model.input_bits), np.uint8))
        assert cls.shape == (0,) and scores.shape == (0, model.layer_shapes[-1][0])


def test_accuracy_close_to_float(model: bf.BitFusionMlp, data: Dataset) -> None:
    assert model.info["test_accuracy"] >= 0.92
    assert model.info["test_accuracy"] >= model.info["float_test_accuracy"] - 0.03
    assert model.precision == [(8, 8), (4, 4), (8, 8)]
    assert all(np.abs(w).max() <= (1 << (b - 1)) - 1 for w, b in zip(model.weights, model.w_bits, strict=True))


def test_weight_words_layout(model: bf.BitFusionMlp) -> None:
    """Word g*SF + s, field u*K + k holds the weight of neuron g*U + u, input s*K + k (bitfusion_layer.v)."""
    for layer, units in enumerate(bf_design.CONFIGS["default"].units):
        w, (ab, wb) = model.weights[layer], model.precision[layer]
        k = bf.products_per_unit(ab, wb)
        words = bf_design.weight_words(w, wb, k, units)
        mh, mw = w.shape
        sf = mw // k
        assert words.shape == ((mh // units) * sf, units * k)
        for n, i in [(0, 0), (mh - 1, mw - 1), (units % mh, k % mw), (mh // 2, mw // 3), (mh // 3, mw // 2 + 1)]:
            code = words[(n // units) * sf + i // k, (n % units) * k + i % k]
            assert quant.from_twos(code, wb) == w[n, i]


def test_ii_per_configuration(data: Dataset) -> None:
    """The documented cycles per layer and II of every configuration (docs/styles.md, rtl/bitfusion/README.md)."""
    want = {"default": ([64, 128, 64], 128), "hidden2": ([64, 64, 64], 64), "fashion": ([6272, 4096, 2560], 6272)}
    for name, (cycles, ii) in want.items():
        hw = bf_design.ALL_CONFIGS[name]
        n_in = 784 if name == "fashion" else data.n_features
        sizes = [n_in, *hw.train.hidden, 10]
        got = [bf_design.layer_cycles(sizes[i + 1], sizes[i], a, w, u)
               for i, ((a, w), u) in enumerate(zip(hw.precision.layers, hw.units, strict=True))]
        assert got == cycles, name
        assert max(-(-n_in * hw.precision.a_bits[0] // hw.bus_width), *got) == ii, name


# --------------------------------------------------------------------------------------------- model files


def test_model_file_round_trip(model: bf.BitFusionMlp, tmp_path: Path) -> None:
    path = bf.save(model, tmp_path / "m.npz")
    back = bf.load(path)
    assert (back.a_bits, back.w_bits, back.shifts, back.acc_widths) == (
        model.a_bits, model.w_bits, model.shifts, model.acc_widths)
    for a, b in zip(back.weights + back.bias, model.weights + model.bias, strict=True):
        assert np.array_equal(a, b)
    assert back.info["test_accuracy"] == model.info["test_accuracy"]


def _damaged(model: bf.BitFusionMlp, **changes: object) -> bf.BitFusionMlp:
    return replace(model, **changes)


@pytest.mark.parametrize(("change", "message"), [
    (lambda m: _damaged(m, weights=[m.weights[0] * 0 + 200, *m.weights[1:]]), "field 'w0'"),
    (lambda m: _damaged(m, bias=[m.bias[0], m.bias[1] + 10**6, m.bias[2]]), "field 'b1'"),
    (lambda m: _damaged(m, acc_widths=[m.acc_widths[0] - 1, *m.acc_widths[1:]]), "field 'acc_widths'"),
    (lambda m: _damaged(m, shifts=[m.shifts[0], 99]), "field 'shifts'"),
    (lambda m: _damaged(m, a_bits=[8, 3, 8]), "field 'a_bits'"),
    (lambda m: _damaged(m, weights=[m.weights[0], m.weights[1][:, :5], m.weights[2]]), "inconsistent shape"),
], ids=["weight-range", "bias-bound", "acc-width", "shift", "precision", "shape"])
def test_model_file_rejects_inconsistent_fields(model: bf.BitFusionMlp, tmp_path: Path, change, message: str) -> None:  # noqa: ANN001
    path = tmp_path / "bad.npz"
    bad = change(model)
    # save() writes int8 weights: write the out-of-range one as it would arrive from elsewhere
    if message == "field 'w0'":
        bf.save(model, path)
        with np.load(path) as npz:
            arrays = {k: npz[k] for k in npz.files}
        arrays["w0"] = bad.weights[0].astype(np.int64)
        np.savez_compressed(path, **arrays)
    else:
        bf.save(bad, path)
    with pytest.raises(ModelFileError, match=message) as err:
        bf.load(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_corrupt_model_file_clear_error(model: bf.BitFusionMlp, data: Dataset, tmp_path: Path) -> None:
    """A truncated file, another format or version, a missing array: one ModelFileError naming the file; through the
    design's cache the message adds the `rm` that retrains it."""
    hw = bf_design.CONFIGS["default"]
    path = bf_design.model_path(hw, data, tmp_path)
    bf.save(model, path)
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ModelFileError, match="not a readable model file"):
        bf.load(path)
    with pytest.raises(ModelFileError, match=r"rm '.*bitfusion-digits-") as err:
        bf_design.cached_model(hw, data, tmp_path)
    assert "\n" not in str(err.value)
    path.write_bytes(good)
    with zipfile.ZipFile(path, "a") as z, warnings.catch_warnings():  # numpy reads the later of two same names
        warnings.simplefilter("ignore", UserWarning)
        z.writestr("manifest.npy", b"not an array")
    with pytest.raises(ModelFileError, match="corrupt cached model|manifest"):
        bf_design.cached_model(hw, data, tmp_path)
    quant.save(quant.QuantMlp("uniform", 8, 8, 5, 4, [np.zeros((2, 2), np.int64)], [np.zeros(2, np.int64)], [],
                              [8]), path)
    with pytest.raises(ModelFileError, match="field 'version'"):
        bf.load(path)
    bf.save(_damaged(model, weights=model.weights[:2], bias=model.bias[:2]), path)
    with pytest.raises(ModelFileError, match="must be a list of 2 integers|missing field"):
        bf.load(path)
    # a valid file of another configuration is not taken for this one
    other = bf_design.CONFIGS["hidden2"]
    bf.save(model, bf_design.model_path(other, data, tmp_path))
    with pytest.raises(ModelFileError, match="precision"):
        bf_design.cached_model(other, data, tmp_path)
