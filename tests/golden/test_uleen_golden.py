"""ULEEN golden model: bit-exactness against scalar references, training, pruning, memory files, model file."""

from __future__ import annotations

import json
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

from edgebench.designs import uleen as uleen_design
from edgebench.golden import uleen
from edgebench.golden.datasets import load_digits_split
from edgebench.golden.uleen import ModelFileError, SubmodelConfig, UleenTrainConfig
from edgebench.tb.runner import CACHE_DIR

DIGITS = load_digits_split()


def _random_model(rng: np.random.Generator, input_bits: int = 50, classes: int = 4) -> uleen.UleenModel:
    subs = []
    for n, entries, k in ((8, 16, 2), (7, 32, 3)):  # 50 bits: padding for both
        filters = -(-input_bits // n)
        subs.append(uleen.Submodel(rng.permutation(filters * n), rng.integers(0, entries, size=(k, n)),
                                   (rng.random((classes, filters, entries)) < 0.6).astype(np.uint8),
                                   (rng.random((classes, filters)) < 0.8).astype(np.uint8)))
    features = input_bits // 2
    return uleen.UleenModel(2, np.zeros((features, 2)), subs, rng.integers(0, 3, size=classes))


def _scalar_scores(model: uleen.UleenModel, x: np.ndarray) -> list[int]:
    """One sample, written out loop by loop from the definitions (reference for the vectorized model)."""
    scores = [int(b) for b in model.bias]
    for sub in model.submodels:
        padded = list(x) + [0] * (sub.perm.size - len(x))
        xp = [padded[p] for p in sub.perm]
        for f in range(sub.filters):
            bits = xp[f * sub.n:(f + 1) * sub.n]
            hashes = []
            for h in range(sub.k):
                value = 0
                for j, bit in enumerate(bits):
                    if bit:
                        value ^= int(sub.h3[h][j])
                hashes.append(value)
            for c in range(len(scores)):
                if sub.mask[c][f] and all(sub.table[c][f][v] for v in hashes):
                    scores[c] += 1
    return scores


def test_gaussian_thresholds_and_flatten_order() -> None:
    x = np.array([[0, 10], [4, 20], [8, 30]])
    t = uleen.gaussian_thresholds(x, 3)
    for f in range(2):
        for i in range(3):
            expected = x[:, f].mean() + x[:, f].std() * NormalDist().inv_cdf((i + 1) / 4)
            assert t[f, i] == pytest.approx(expected)
    bits = uleen.thermometer_encode(np.array([[4, 30]]), t)
    # index feature * B + i; thermometer: bit i set iff x >= t_i
    assert bits.tolist() == [[1, 1, 0, 1, 1, 1]]
    lin = uleen.linear_thresholds(x, 3)
    assert lin[0].tolist() == [2.0, 4.0, 6.0]


def test_h3_hash_matches_xor_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    xf = rng.integers(0, 2, size=(5, 3, 9), dtype=np.uint8)
    h3 = rng.integers(0, 64, size=(2, 9))
    got = uleen.h3_hash(xf, h3, 64)
    for s in range(5):
        for f in range(3):
            for h in range(2):
                expected = 0
                for j in range(9):
                    if xf[s, f, j]:
                        expected ^= int(h3[h, j])
                assert got[s, f, h] == expected


def test_forward_matches_scalar_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    model = _random_model(rng)
    x = rng.integers(0, 2, size=(20, model.input_bits), dtype=np.uint8)
    x[0] = 0
    x[1] = 1
    classes, scores = uleen.forward(model, x)
    for i in range(len(x)):
        assert scores[i].tolist() == _scalar_scores(model, x[i])
        assert classes[i] == int(np.argmax(scores[i]))


def test_argmax_ties_lowest_index() -> None:
    model = _random_model(np.random.default_rng(0))
    for sub in model.submodels:
        sub.table[:] = 1
        sub.mask[:] = 1
    zeros = np.zeros((1, model.input_bits), np.uint8)
    model.bias[:] = 0
    classes, scores = uleen.forward(model, zeros)
    assert len(set(scores[0].tolist())) == 1 and classes[0] == 0  # all equal -> class 0
    model.bias[:] = [0, 5, 5, 0]
    classes, _ = uleen.forward(model, zeros)
    assert classes[0] == 1  # tie between 1 and 2 -> 1


def test_counting_bloom_insertion_rule() -> None:
    # one filter of 2 inputs, 4 entries, 2 hashes: x=(1,0) -> hashes (1, 2); x=(0,1) -> hashes (2, 3)
    sub = uleen.Submodel(np.arange(2), np.array([[1, 2], [2, 3]]), np.zeros((1, 1, 4), np.uint8),
                         np.ones((1, 1), np.uint8))
    x = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.uint8)
    counts = uleen.counting_tables(sub, x, np.zeros(3, np.int64), 1)
    # after 2x (1,0): entries 1,2 -> 2,2; then (0,1) hits 2,3: min(2, 0)+1 = 1 -> max(2,1)=2, max(0,1)=1
    assert counts[0, 0].tolist() == [0, 2, 2, 1]


def test_trained_ensemble_accuracy_full_test_split() -> None:
    # the suite's model cache (EDGEBENCH_CACHE), not a folder of the checkout; speed is the bench's business
    model = uleen_design.cached_model(uleen_design.CONFIGS["ensemble"].train, DIGITS, CACHE_DIR)
    classes, _ = uleen.forward(model, model.encode(DIGITS.x_test))
    assert float(np.mean(classes == DIGITS.y_test)) >= 0.9


@pytest.mark.parametrize("config,min_acc", [("single", 0.85), ("ensemble", 0.92), ("pruned", 0.92)])
def test_training_accuracy(config: str, min_acc: float) -> None:
    model = uleen.train(uleen_design.CONFIGS[config].train, DIGITS)
    assert uleen.accuracy(model, DIGITS.x_test, DIGITS.y_test) >= min_acc
    assert model.bias.min() == 0


def test_pruning_drops_fraction_per_class() -> None:
    cfg = UleenTrainConfig(bits_per_feature=4, submodels=(SubmodelConfig(8, 64, 2), SubmodelConfig(16, 64, 2)),
                           prune_fraction=0.25)
    model = uleen.train(cfg, DIGITS)
    for sub in model.submodels:
        dropped = sub.filters - sub.mask.sum(1)
        assert (dropped == round(0.25 * sub.filters)).all()


def test_ii_bound_formula() -> None:
    expected = {"single": 4, "ensemble": 6, "pruned": 6, "pair": 8, "bw32-u8": 8, "bw64-u32": 4, "bw128-u4": 16,
                "bw16-u2": 32}
    for name, hw in uleen_design.CONFIGS.items():
        bits = 64 * hw.train.bits_per_feature
        assert uleen_design.ii_bound(bits, hw) == expected[name], name


def test_large_configs_ii_is_the_bus_and_their_published_shape() -> None:
    """The paper-scale Fashion-MNIST (784-feature) configurations: the II their comments state, bus-bound (one
    hash unit fewer in any submodel would make it hash-bound), and the seeds' published topologies."""
    expected = {"fashion-small": 25, "bthowen-small": 25, "bthowen-medium": 37, "uleen-small": 25}
    for name, hw in uleen_design.LARGE_CONFIGS.items():
        bits = 784 * hw.train.bits_per_feature
        beats = -(-bits // hw.bus_width)
        assert uleen_design.ii_bound(bits, hw) == expected[name] == beats, name
        for s in range(len(hw.units)):
            fewer = uleen_design.UleenHwConfig(hw.bus_width, tuple(u - (i == s) for i, u in enumerate(hw.units)),
                                               hw.train)
            assert uleen_design.ii_bound(bits, fewer) > beats, f"{name}: submodel {s} has a spare hash unit"
    shapes = {name: (hw.train.bits_per_feature, [(c.inputs_per_filter, c.entries, c.hashes)
                                                 for c in hw.train.submodels], hw.train.prune_fraction)
              for name, hw in uleen_design.LARGE_CONFIGS.items()}
    assert shapes["bthowen-small"] == (2, [(28, 1024, 2)], 0.0)  # BTHOWeN MNIST-Small (PACT 2022, Table 3)
    assert shapes["bthowen-medium"] == (3, [(28, 2048, 2)], 0.0)  # BTHOWeN MNIST-Medium
    assert shapes["uleen-small"] == (2, [(12, 64, 2), (16, 64, 2), (20, 64, 2)], 0.3)  # ULEEN ULN-S
    assert set(uleen_design.PUBLISHED_ACCURACY) <= set(uleen_design.LARGE_CONFIGS)


def test_memory_file_layout(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    model = _random_model(rng)
    sub = model.submodels[1]
    units = 3
    files = uleen_design.write_submodel_files(sub, model.input_bits, units, tmp_path, 1)
    words = {k: [int(line, 16) for line in v.read_text().split()] for k, v in files.items()}
    g = uleen_design.groups(sub.filters, units)
    n_pad = g * units
    gcw = max(1, (g - 1).bit_length())  # the engine's GCW: groups padded to 2^GCW per unit bank
    e = sub.entries
    assert len(words["TAB_FILE"]) == units * (1 << gcw) * e and len(words["MASK_FILE"]) == units * (1 << gcw)
    for f in range(n_pad):
        u, grp = f % units, f // units  # filter f = grp*U + u sits in unit u's bank at {u, grp, entry}
        bank_word = (u << gcw) | grp
        for c in range(4):
            assert (words["MASK_FILE"][bank_word] >> c) & 1 == (sub.mask[c, f] if f < sub.filters else 0)
            for v in range(e):
                want = sub.table[c, f, v] if f < sub.filters else 0
                assert (words["TAB_FILE"][(bank_word * e) + v] >> c) & 1 == want
    assert words["H3_FILE"] == sub.h3.ravel().tolist()
    perm = words["PERM_FILE"]
    assert len(perm) == n_pad * sub.n
    for p, src in enumerate(perm):
        want = sub.perm[p] if p < sub.perm.size else model.input_bits
        assert src == min(want, model.input_bits)


# ------------------------------------------------------------------------------------------- model file


@pytest.fixture
def saved(tmp_path: Path, seed: int) -> tuple[uleen.UleenModel, Path]:
    model = _random_model(np.random.default_rng(seed))
    return model, uleen.save(model, tmp_path / "m.npz")


def _rewrite(path: Path, **changes: object) -> None:
    with np.load(path, allow_pickle=False) as npz:
        files = {k: npz[k] for k in npz.files}
    for key, value in changes.items():
        if value is None:
            files.pop(key)
        else:
            files[key] = value
    np.savez(path, **files)


def test_model_file_round_trip(saved: tuple[uleen.UleenModel, Path]) -> None:
    model, path = saved
    loaded = uleen.load(path)
    x = np.random.default_rng(1).integers(0, 2, size=(30, model.input_bits), dtype=np.uint8)
    assert np.array_equal(uleen.forward(model, x)[1], uleen.forward(loaded, x)[1])
    with np.load(path, allow_pickle=False) as npz:
        manifest = json.loads(str(npz["manifest"]))
    assert manifest["format"] == "edgebench-uleen" and manifest["version"] == uleen.MODEL_VERSION


@pytest.mark.parametrize("key", ["table0", "h3_1", "perm0", "mask1", "bias", "thresholds", "manifest"])
def test_model_file_missing_field(saved: tuple[uleen.UleenModel, Path], key: str) -> None:
    _, path = saved
    _rewrite(path, **{key: None})
    with pytest.raises(ModelFileError, match=f"'{key}'"):
        uleen.load(path)


@pytest.mark.parametrize("key", ["table0", "h3_1", "perm0", "mask1", "bias"])
def test_model_file_wrong_shape(saved: tuple[uleen.UleenModel, Path], key: str) -> None:
    _, path = saved
    with np.load(path, allow_pickle=False) as npz:
        arr = npz[key]
    _rewrite(path, **{key: arr.reshape(-1)[:-1]})
    with pytest.raises(ModelFileError, match=f"'{key}' has shape"):
        uleen.load(path)


def test_model_file_hash_parameter_out_of_range(saved: tuple[uleen.UleenModel, Path]) -> None:
    model, path = saved
    h3 = model.submodels[0].h3.copy()
    h3[1, 2] = model.submodels[0].entries  # one past the last entry
    _rewrite(path, h3_0=h3)
    with pytest.raises(ModelFileError, match="'h3_0' out of range"):
        uleen.load(path)


def test_model_file_bad_permutation_and_table_values(saved: tuple[uleen.UleenModel, Path]) -> None:
    model, path = saved
    perm = model.submodels[0].perm.copy()
    perm[0] = perm[1]
    _rewrite(path, perm0=perm)
    with pytest.raises(ModelFileError, match="'perm0' is not a permutation"):
        uleen.load(path)
    _rewrite(path, perm0=model.submodels[0].perm, table1=model.submodels[1].table * 2)
    with pytest.raises(ModelFileError, match="'table1' out of range"):
        uleen.load(path)


@pytest.mark.parametrize("change", [{"version": 99}, {"format": "edgebench-bnn"}])
def test_model_file_wrong_version(saved: tuple[uleen.UleenModel, Path], change: dict) -> None:
    _, path = saved
    with np.load(path, allow_pickle=False) as npz:
        manifest = json.loads(str(npz["manifest"]))
    _rewrite(path, manifest=np.array(json.dumps(manifest | change)))
    with pytest.raises(ModelFileError, match="version"):
        uleen.load(path)


def test_model_file_not_found_and_not_npz(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not found"):
        uleen.load(tmp_path / "absent.npz")
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(ModelFileError, match="not a readable model file"):
        uleen.load(bad)
