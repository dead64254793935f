"""The fast golden paths (golden/packed.py and the forward functions built on it) against straightforward
formulations: plain sums, int64 matmuls and the modules' own simple vectorized primitives (xnor_popcount,
lut_popcount, submodel_scores, forward_int), on random models sized to reach every branch (several words per
row, packed fields spread over several words, filter chunks, hash lanes, sample blocks, empty batches)."""

from __future__ import annotations

import numpy as np
import pytest

from edgebench.golden import bnn, lutnet, packed, quant, uleen

# ------------------------------------------------------------------------------------------------ helpers


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 64 samples, so that a few hundred samples already span several blocks."""
    monkeypatch.setattr(packed, "BLOCK_BYTES", 1)


def _batches(rng: np.random.Generator, width: int) -> list[np.ndarray]:
    dense = (rng.random((300, width)) < 0.85).astype(np.uint8)
    return [np.zeros((0, width), np.uint8), rng.integers(0, 2, (1, width), dtype=np.uint8),
            rng.integers(0, 2, (7, width), dtype=np.uint8), rng.integers(0, 2, (300, width), dtype=np.uint8),
            dense, np.vstack([np.zeros((1, width), np.uint8), np.ones((1, width), np.uint8)])]


def test_popcount_matches_bin_count(seed: int) -> None:
    rng = np.random.default_rng(seed)
    v = rng.integers(0, 1 << 64, size=500, dtype=np.uint64, endpoint=False)
    v[:3] = [0, np.iinfo(np.uint64).max, 1 << 63]
    want = [bin(int(x)).count("1") for x in v]
    assert packed.popcount(v).tolist() == want
    assert packed._popcount64(v).tolist() == want  # the NumPy < 2.0 fallback
    assert packed._popcount64(v).dtype == np.uint8


@pytest.mark.parametrize("m", [1, 8, 63, 64, 65, 200])
def test_pack_words_and_xnor_mismatches(m: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, (40, m), dtype=np.uint8)
    w = rng.integers(0, 2, (9, m), dtype=np.uint8)
    words = packed.pack_words(x)
    assert words.shape == (40, -(-m // 64)) and words.dtype == np.uint64
    unpacked = np.unpackbits(words.view(np.uint8), axis=1, bitorder="little")
    assert np.array_equal(unpacked[:, :m], x) and not unpacked[:, m:].any()  # padding bits are 0
    d = bnn.xnor_mismatches(words, np.ascontiguousarray(packed.pack_words(w).T), m)
    assert np.array_equal(d, (x[:, None, :] != w[None, :, :]).sum(-1))


@pytest.mark.parametrize("n", [0, 1, 8, 13])
def test_bit_planes_and_plane_bytes(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, (n, 21), dtype=np.uint8)
    planes = packed.bit_planes(x)
    assert planes.shape == (22, -(-n // 8) * 8) and not planes[21].any()
    assert np.array_equal(planes[:21, :n], x.T)
    src = rng.integers(0, 22, size=(5, 8))
    src[0] = 21  # the zero row only
    got = packed.plane_bytes(planes, src)[:, :n]
    want = np.zeros((5, n), dtype=np.int64)
    for g in range(5):
        for j in range(8):
            want[g] += planes[src[g, j], :n].astype(np.int64) << j
    assert np.array_equal(got, want)


@pytest.mark.parametrize("n_out, max_total", [(10, 63), (10, 64), (32, 128), (3, 1), (70, 1)])
def test_fields_sums_never_carry(n_out: int, max_total: int, seed: int) -> None:
    """Summing max_total packed 0/1 vectors gives every output's plain count, the all-ones worst case included."""
    rng = np.random.default_rng(seed)
    fields = packed.Fields(n_out, max_total)
    bits = rng.integers(0, 2, (n_out, max_total, 6), dtype=np.uint8)
    bits[:, :, 0] = 1
    acc = fields.pack(bits).sum(axis=1, dtype=np.uint64)  # (words, 6)
    assert np.array_equal(fields.unpack(acc), bits.sum(axis=1))


def test_sample_blocks_cover_the_batch() -> None:
    for n in (0, 1, 63, 64, 65, 10_000):
        blocks = packed.sample_blocks(n, 3000)
        covered = np.concatenate([np.arange(n)[b] for b in blocks])
        assert np.array_equal(covered, np.arange(n))
        assert all((b.stop - b.start) % 64 == 0 for b in blocks[:-1])


def test_check_bits_rejects_non_bits() -> None:
    with pytest.raises(ValueError, match="must be 0 or 1"):
        packed.check_bits(np.array([[0, 2]]), 2)
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        packed.check_bits(np.zeros((2, 2)), 3)
    assert packed.check_bits(np.array([[True, False]]), 2).tolist() == [[1, 0]]


def test_cached_plan_follows_in_place_edits() -> None:
    class Model:
        pass

    model, built = Model(), []
    w = np.zeros(4)

    def build() -> int:
        built.append(1)
        return int(w.sum())

    assert packed.cached_plan(model, [w], build) == 0
    assert packed.cached_plan(model, [w], build) == 0 and len(built) == 1
    w[2] = 5
    assert packed.cached_plan(model, [w], build) == 5 and len(built) == 2


# ------------------------------------------------------------------------------------------------ BNN


def _bnn_plain(model: bnn.BnnModel, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = bits
    for w, t in zip(model.weights[:-1], model.thresholds, strict=True):
        a = (bnn.xnor_popcount(a, w) >= t[None, :]).astype(np.uint8)
    scores = bnn.xnor_popcount(a, model.weights[-1])
    return np.argmax(scores, axis=1), scores


@pytest.mark.parametrize("sizes", [(24, 16, 8, 5), (130, 70, 64, 10), (300, 20, 3), (64, 10)])
def test_bnn_fast_forward_matches_int_matmul(sizes: tuple[int, ...], seed: int, small_blocks: None) -> None:
    rng = np.random.default_rng(seed)
    weights = [rng.integers(0, 2, (sizes[i + 1], sizes[i]), dtype=np.uint8) for i in range(len(sizes) - 1)]
    # thresholds beyond [0, MW + 1] too: the fast path clips them, which must not change any outcome
    thresholds = [rng.integers(-2, sizes[i] + 4, size=sizes[i + 1]) for i in range(len(sizes) - 2)]
    for t, mw in zip(thresholds, sizes, strict=False):
        t[:2] = [0, mw + 1]
        t[2:4] = mw // 2  # near the mean of a random popcount: many exact ties
    model = bnn.BnnModel(1, 16, weights, thresholds)
    w2 = weights[0][2:3]
    extremes = np.vstack([w2, 1 - w2])  # neuron 2 (T = MW // 2) sees MW matches, then MW mismatches (> 255)
    for bits in [*_batches(rng, sizes[0]), extremes]:
        classes, scores = bnn.forward(model, bits)
        ref_classes, ref_scores = _bnn_plain(model, bits)
        assert scores.dtype == np.int64 and scores.shape == ref_scores.shape
        assert np.array_equal(scores, ref_scores) and np.array_equal(classes, ref_classes)


# ------------------------------------------------------------------------------------------------ LUTNet


def _lutnet_plain(model: lutnet.LutnetModel, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = bits
    for conn, tab, t in zip(model.conns[:-1], model.tables[:-1], model.thresholds, strict=True):
        a = (lutnet.lut_popcount(a, conn, tab) >= t[None, :]).astype(np.uint8)
    scores = lutnet.lut_popcount(a, model.conns[-1], model.tables[-1])
    return np.argmax(scores, axis=1), scores


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("sizes", [(24, 16, 8, 5), (131, 40, 33, 10)])
def test_lutnet_fast_forward_matches_onehot_matmul(k: int, sizes: tuple[int, ...], seed: int,
                                                   small_blocks: None) -> None:
    rng = np.random.default_rng(seed)
    conns = [lutnet.random_connections(sizes[i], k, rng) for i in range(len(sizes) - 1)]
    tables = [(rng.random((sizes[i + 1], sizes[i], 1 << k)) < 0.5).astype(np.uint8) for i in range(len(sizes) - 1)]
    for t in tables:
        t[0] = 0  # a neuron with every synapse pruned
        t[-1] = 1  # and one whose LUTs are all constant one (count = MW)
    thresholds = [rng.integers(-2, sizes[i] + 4, size=sizes[i + 1]) for i in range(len(sizes) - 2)]
    for i, t in enumerate(thresholds):
        t[1:3] = [sizes[i], sizes[i] + 1]  # the all-ones neuron's count MW passes the first, never the second
    model = lutnet.LutnetModel(1, 16, k, conns, tables, thresholds)
    for bits in _batches(rng, sizes[0]):
        classes, scores = lutnet.forward(model, bits)
        ref_classes, ref_scores = _lutnet_plain(model, bits)
        assert scores.dtype == np.int64 and np.array_equal(scores, ref_scores)
        assert np.array_equal(classes, ref_classes)


# ------------------------------------------------------------------------------------------------ ULEEN


def _uleen_plain(model: uleen.UleenModel, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = model.bias[None, :].astype(np.int64) + sum(uleen.submodel_scores(s, bits) for s in model.submodels)
    return np.argmax(scores, axis=1), scores


@pytest.mark.parametrize(
    "specs, input_bits, classes",
    [
        (((8, 16, 2), (7, 32, 3)), 50, 4),  # direct tables, one byte per filter, padding
        (((12, 128, 2), (9, 64, 1), (16, 256, 2)), 101, 10),  # direct with two bytes; hashed with two bytes
        (((28, 1024, 2), (20, 1024, 7), (14, 1024, 3)), 300, 10),  # hashed, 2-4 bytes, 7 hashes -> two lanes
        (((2, 4, 2),), 200, 10),  # 100 filters: narrower fields, filters summed in chunks
        (((8, 64, 2),), 64, 70),  # more classes than bits in a word: several words per table entry
    ],
)
def test_uleen_fast_forward_matches_submodel_scores(specs: tuple, input_bits: int, classes: int, seed: int,
                                                    small_blocks: None) -> None:
    rng = np.random.default_rng(seed)
    subs = []
    for n, entries, k in specs:
        filters = -(-input_bits // n)
        table = (rng.random((classes, filters, entries)) < 0.7).astype(np.uint8)
        table[0] = 1  # class 0 hits every filter: the largest possible count
        mask = (rng.random((classes, filters)) < 0.8).astype(np.uint8)
        mask[0] = 1
        subs.append(uleen.Submodel(rng.permutation(filters * n), rng.integers(0, entries, size=(k, n)), table, mask))
    model = uleen.UleenModel(1, np.zeros((input_bits, 1)), subs, rng.integers(0, 5, size=classes))
    for bits in _batches(rng, input_bits):
        cls, scores = uleen.forward(model, bits)
        ref_cls, ref_scores = _uleen_plain(model, bits)
        assert scores.dtype == np.int64 and np.array_equal(scores, ref_scores)
        assert np.array_equal(cls, ref_cls)
    # in-place edits after a call are seen by the next one (the cached plan is rebuilt)
    subs[0].table[:] = 1 - subs[0].table
    subs[-1].mask[:, ::2] = 0
    bits = rng.integers(0, 2, (50, input_bits), dtype=np.uint8)
    assert np.array_equal(uleen.forward(model, bits)[1], _uleen_plain(model, bits)[1])


# ------------------------------------------------------------------------------------------------ MAC family


def _quant_model(rng: np.random.Generator, w_bits: int, a_bits: int, in_bits: int, mw: int, h: int) -> quant.QuantMlp:
    codes = [rng.integers(0, 1 << w_bits, size=(h, mw)), rng.integers(0, 1 << w_bits, size=(5, h))]
    codes[0][0] = 1 << (w_bits - 1)  # the most negative weight in a full row: the largest |partial sum|
    codes[1][0] = (1 << (w_bits - 1)) - 1
    wmax = 1 << (w_bits - 1)
    widths = [quant.acc_width(mw, wmax, (1 << in_bits) - 1) + 1, quant.acc_width(h, wmax, (1 << a_bits) - 1) + 1]
    bias = [rng.integers(-wmax, wmax, size=h), rng.integers(-wmax, wmax, size=5)]
    return quant.QuantMlp("uniform", w_bits, a_bits, in_bits, 4, codes, bias, [w_bits + in_bits - a_bits], widths)


@pytest.mark.parametrize(
    "w_bits, a_bits, in_bits, mw, dtypes",
    [
        (8, 8, 5, 64, (np.float32, np.float32)),
        (12, 12, 8, 40, (np.float64, np.float64)),  # bounds above 2**24: float64
        (26, 26, 4, 3, (np.float64, np.int64)),  # above 2**53: int64 matmul
    ],
)
def test_quant_fast_forward_matches_int_matmul(w_bits: int, a_bits: int, in_bits: int, mw: int, dtypes: tuple,
                                               seed: int, small_blocks: None) -> None:
    rng = np.random.default_rng(seed)
    model = _quant_model(rng, w_bits, a_bits, in_bits, mw, 6)
    assert tuple(d for _, d in quant._float_layers(model)) == dtypes
    for bits in _batches(rng, model.input_bits):
        cls, scores = quant.forward(model, bits)
        if len(bits) == 0:  # forward_int cannot reshape an empty batch
            assert cls.shape == (0,) and scores.shape == (0, 5)
            continue
        ref_cls, ref_scores, _ = quant.forward_int(model, bits)
        assert scores.dtype == np.int64 and np.array_equal(scores, ref_scores)
        assert np.array_equal(cls, ref_cls)


def test_float32_products_at_the_exactness_bound() -> None:
    """The float32 choice rests on integers below 2**24 being exact: a partial sum of 2**24 - 1 survives, while
    one step past the bound (2**24 + 1) would not, which is why the bound is checked."""
    w = np.full((1, 255), 65793, dtype=np.int64)  # 255 * 65793 = 2**24 - 1
    assert int(np.abs(w).sum()) == (1 << 24) - 1
    assert int((np.ones((1, 255), np.float32) @ w.T.astype(np.float32))[0, 0]) == (1 << 24) - 1
    assert int(np.float32((1 << 24) + 1)) != (1 << 24) + 1
