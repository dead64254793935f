"""The LUTNet golden model against an independent reference, its training pieces, memory layout, generator
and model file against corruption."""

import json
import re

import numpy as np
import pytest

from edgebench.designs import lutnet_verilog
from edgebench.designs.lutnet import write_tiled_files
from edgebench.golden import bnn, lutnet


def _random_model(rng: np.random.Generator, k: int, sizes: tuple[int, ...] = (24, 16, 8, 5)) -> lutnet.LutnetModel:
    conns = [lutnet.random_connections(sizes[i], k, rng) for i in range(len(sizes) - 1)]
    tables = [rng.integers(0, 2, size=(sizes[i + 1], sizes[i], 1 << k), dtype=np.uint8)
              for i in range(len(sizes) - 1)]
    for t in tables:  # some pruned (all-zero) and constant-one synapses
        t[0, :3] = 0
        t[-1, -2:] = 1
    thresholds = [rng.integers(0, sizes[i] + 2, size=sizes[i + 1]) for i in range(len(sizes) - 2)]
    return lutnet.LutnetModel(1, 16, k, conns, tables, thresholds)


def _reference_forward(model: lutnet.LutnetModel, bits: np.ndarray) -> tuple[list[int], list[list[int]]]:
    """Per-sample, per-neuron, per-synapse loops in plain Python: an independent statement of the semantics."""
    classes, all_scores = [], []
    for row in bits.tolist():
        a = row
        for layer, (conn, tab) in enumerate(zip(model.conns, model.tables, strict=True)):
            addrs = [sum(a[c] << j for j, c in enumerate(conn_row)) for conn_row in conn.tolist()]
            acc = [sum(tab_row[i][addrs[i]] for i in range(len(addrs))) for tab_row in tab.tolist()]
            if layer < len(model.thresholds):
                a = [int(p >= t) for p, t in zip(acc, model.thresholds[layer].tolist(), strict=True)]
            else:
                classes.append(max(range(len(acc)), key=lambda c: (acc[c], -c)))
                all_scores.append(acc)
    return classes, all_scores


@pytest.mark.parametrize("k", [2, 4, 6])
def test_forward_matches_per_sample_reference(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    model = _random_model(rng, k)
    bits = rng.integers(0, 2, size=(40, 24), dtype=np.uint8)
    bits[:4] = [[0] * 24, [1] * 24, [0, 1] * 12, [1, 0] * 12]
    classes, scores = lutnet.forward(model, bits)
    ref_classes, ref_scores = _reference_forward(model, bits)
    assert classes.tolist() == ref_classes
    assert scores.tolist() == ref_scores


def test_argmax_ties_go_to_lowest_index() -> None:
    conn = np.array([[0, 1], [1, 0]])
    tab = np.zeros((3, 2, 4), dtype=np.uint8)
    tab[0, 0, :] = 1  # class 0 and class 2 always score 1
    tab[2, 1, :] = 1
    model = lutnet.LutnetModel(1, 16, 2, [conn], [tab], [])
    classes, scores = lutnet.forward(model, np.array([[1, 0], [0, 0]], dtype=np.uint8))
    assert scores.tolist() == [[1, 0, 1], [1, 0, 1]]
    assert classes.tolist() == [0, 0]


@pytest.mark.parametrize("k", [2, 4, 6])
def test_random_connections(k: int, seed: int) -> None:
    conn = lutnet.random_connections(20, k, np.random.default_rng(seed))
    assert conn.shape == (20, k)
    assert np.array_equal(conn[:, 0], np.arange(20))
    assert all(len(set(row)) == k for row in conn.tolist())  # x_i plus K-1 distinct other inputs
    assert conn.min() >= 0 and conn.max() < 20


@pytest.mark.parametrize("k", [2, 4, 6])
def test_xnor_initialization_reproduces_pruned_bnn(k: int, seed: int) -> None:
    """LUTs initialized from the BNN compute XNOR(x_i, w) whatever their extra inputs; pruned ones add 0."""
    rng = np.random.default_rng(seed)
    w = rng.integers(0, 2, size=(7, 30), dtype=np.uint8)
    mask = rng.random((7, 30)) < 0.6
    tab = lutnet.xnor_tables(w, mask, k)
    conn = lutnet.random_connections(30, k, rng)
    x = rng.integers(0, 2, size=(50, 30), dtype=np.uint8)
    expected = ((x[:, None, :] == w[None, :, :]) & mask[None]).sum(2)
    assert np.array_equal(lutnet.lut_popcount(x, conn, tab), expected)


def test_folded_thresholds_equal_float_batchnorm_sign(seed: int) -> None:
    """sign(gamma*(s-mean)/std + beta) on s = 2p - m equals the folded integer rule, including negative gamma
    (table inversion: p' = m - p) and zero gamma (constant outputs)."""
    rng = np.random.default_rng(seed)
    mh, m = 40, 21
    mean, std = rng.normal(0, 3, mh), rng.uniform(0.5, 4, mh)
    gamma, beta = rng.normal(0, 1, mh), rng.normal(0, 1, mh)
    gamma[:4] = [0, 0, -1e-3, 1e-3]
    flip, t = lutnet.fold_thresholds(mean, std, gamma, beta, m)
    p = rng.integers(0, m + 1, size=(500, mh))
    y = gamma * ((2.0 * p - m) - mean) / std + beta
    got = (np.where(flip, m - p, p) >= t).astype(np.uint8)
    clear = np.abs(y) > 1e-9
    assert np.array_equal(got[clear], (y >= 0).astype(np.uint8)[clear])
    assert t.min() >= 0 and t.max() <= m + 1


def test_training_step_pieces_agree_with_the_integer_model(seed: int) -> None:
    """The training layer's forward (sign of the latent coefficients) equals the exported tables' popcount."""
    rng = np.random.default_rng(seed)
    conn = lutnet.random_connections(16, 4, rng)
    mask = np.zeros((6, 16), dtype=bool)
    mask[:, :10] = True
    layer = lutnet._LutLayer(conn, lutnet.xnor_tables(rng.integers(0, 2, (6, 16)), mask, 4), mask)
    layer.c += rng.normal(0, 0.6, layer.c.shape)
    x = rng.integers(0, 2, size=(30, 16), dtype=np.uint8)
    s, _ = layer.forward(x)
    p = lutnet.lut_popcount(x, conn, layer.tables())
    assert np.array_equal(s, 2 * p - 10)  # s = 2p - m over the m kept synapses


@pytest.mark.parametrize("k", [2, 4])
def test_kept_synapse_path_equals_the_dense_one(k: int, seed: int) -> None:
    """A layer keeping fewer than half its synapses trains on them alone (_forward_kept / _backward_kept); its s,
    coefficient gradient and input gradient equal the dense path's (dx up to float32 rounding), and s equals the
    exported tables' popcount."""
    rng = np.random.default_rng(seed)
    mh, mw, m = 12, 40, 9
    conn = lutnet.random_connections(mw, k, rng)
    mask = np.zeros((mh, mw), dtype=bool)
    for h in range(mh):
        mask[h, rng.choice(mw, m, replace=False)] = True
    tables = lutnet.xnor_tables(rng.integers(0, 2, (mh, mw)), mask, k)
    sparse, dense = lutnet._LutLayer(conn, tables, mask), lutnet._LutLayer(conn, tables, mask)
    assert sparse.kept is not None
    dense.kept = None
    sparse.c = dense.c = rng.normal(0, 0.6, sparse.c.shape)
    x = rng.integers(0, 2, size=(25, mw), dtype=np.uint8)
    ds = rng.normal(size=(25, mh))
    (s1, c1), (s2, c2) = sparse.forward(x), dense.forward(x)
    assert np.array_equal(s1, s2)
    assert np.array_equal(s1, 2 * lutnet.lut_popcount(x, conn, sparse.tables()) - m)
    (g1, dx1), (g2, dx2) = sparse.backward(ds, c1, True), dense.backward(ds, c2, True)
    assert np.array_equal(g1, g2) and np.abs(dx2).max() > 0 and np.allclose(dx1, dx2, rtol=0, atol=1e-5)


def test_memory_layout_matches_documentation(tmp_path) -> None:  # noqa: ANN001
    rng = np.random.default_rng(0)
    mh, mw, k, pe, simd = 6, 8, 2, 3, 4
    conn = lutnet.random_connections(mw, k, rng)
    tab = rng.integers(0, 2, size=(mh, mw, 1 << k), dtype=np.uint8)
    t = rng.integers(0, mw + 2, size=mh)
    files = write_tiled_files(conn, tab, t, pe, simd, tmp_path, "l")
    tt_words = [int(line, 16) for line in files["tt"].read_text().split()]
    c_words = [int(line, 16) for line in files["c"].read_text().split()]
    t_words = [int(line, 16) for line in files["t"].read_text().split()]
    sf_n, v, idx_w, acc_w = mw // simd, 1 << k, 3, 4
    for n in range(mh):
        nf, p = divmod(n, pe)
        assert (t_words[nf] >> (p * acc_w)) & 0xF == t[n]
        for i in range(mw):
            sf, s = divmod(i, simd)
            for a in range(v):
                assert (tt_words[nf * sf_n + sf] >> ((p * simd + s) * v + a)) & 1 == tab[n, i, a]
    for i in range(mw):
        sf, s = divmod(i, simd)
        for j in range(k):
            assert (c_words[sf] >> ((s * k + j) * idx_w)) & 7 == conn[i, j]


def test_generated_verilog_names_every_live_lut(seed: int) -> None:
    rng = np.random.default_rng(seed)
    model = _random_model(rng, 4, sizes=(24, 16, 8, 5))
    text = lutnet_verilog.unrolled_verilog(model, 8)
    assert text.count("module lutnet_unrolled_top") == 1
    live = sum(int((t.any(2) & ~t.all(2)).sum()) for t in model.tables)
    assert len(re.findall(r"\|\(16'h[0-9a-f]+ & l\d+_d\d+\)", text)) == live


# --------------------------------------------------------------------------------------------- model file


@pytest.fixture
def saved(tmp_path, seed: int):  # noqa: ANN001
    model = _random_model(np.random.default_rng(seed), 4)
    return model, lutnet.save(model, tmp_path / "m.npz")


def test_save_load_roundtrip(saved) -> None:  # noqa: ANN001
    model, path = saved
    back = lutnet.load(path)
    assert back.k == model.k and back.levels == model.levels and back.max_value == model.max_value
    for a, b in zip(model.tables + model.conns + model.thresholds, back.tables + back.conns + back.thresholds,
                    strict=True):
        assert np.array_equal(a, b)
    bits = np.random.default_rng(1).integers(0, 2, size=(20, 24), dtype=np.uint8)
    assert np.array_equal(lutnet.forward(model, bits)[1], lutnet.forward(back, bits)[1])


def _rewrite(path, **changes) -> None:  # noqa: ANN001, ANN003
    with np.load(path, allow_pickle=False) as npz:
        files = {k: npz[k] for k in npz.files}
    for key, value in changes.items():
        if value is None:
            files.pop(key)
        else:
            files[key] = value
    np.savez(path, **files)


def _manifest(path) -> dict:  # noqa: ANN001
    with np.load(path, allow_pickle=False) as npz:
        return json.loads(str(npz["manifest"]))


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("tables1", lambda m: None),
        ("tables0", lambda m: np.full((16, 24, 16), 2, dtype=np.uint8)),
        ("tables1", lambda m: np.zeros((8, 15, 16), dtype=np.uint8)),
        ("conn0", lambda m: np.zeros((24, 3), dtype=np.int64)),
        ("conn0", lambda m: np.full((24, 4), 24, dtype=np.int64)),
        ("conn1", lambda m: np.zeros((16, 4), dtype=np.int64)),
        ("t0", lambda m: np.full(16, 26)),
        ("t1", lambda m: None),
        ("manifest", lambda m: np.array("{not json")),
        ("k", lambda m: np.array(json.dumps(m | {"k": 7}))),
        ("format", lambda m: np.array(json.dumps(m | {"format": "edgebench-bnn"}))),
        ("layers", lambda m: np.array(json.dumps(m | {"layers": 0}))),
    ],
)
def test_corrupt_model_file_names_the_field(saved, field: str, make) -> None:  # noqa: ANN001
    _, path = saved
    manifest = _manifest(path)
    key = field if field in ("tables0", "tables1", "conn0", "conn1", "t0", "t1", "manifest") else "manifest"
    _rewrite(path, **{key: make(manifest)})
    with pytest.raises(lutnet.ModelFileError, match=re.escape(field) if field != "manifest" else "manifest"):
        lutnet.load(path)


def test_missing_or_unreadable_file(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(lutnet.ModelFileError, match="not found"):
        lutnet.load(tmp_path / "none.npz")
    (tmp_path / "bad.npz").write_bytes(b"garbage")
    with pytest.raises(lutnet.ModelFileError, match="not a readable"):
        lutnet.load(tmp_path / "bad.npz")


def test_bnn_and_lutnet_files_are_not_interchangeable(tmp_path) -> None:  # noqa: ANN001
    w = [np.zeros((3, 4), dtype=np.uint8)]
    path = bnn.save(bnn.BnnModel(1, 16, w, []), tmp_path / "b.npz")
    with pytest.raises(lutnet.ModelFileError, match="format"):
        lutnet.load(path)
