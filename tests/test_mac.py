"""The MAC family's schedule, checked from the trained weights themselves (no simulation: tests/test_cores.py runs
every configuration, the 3-layer `int4-mac/three-layer` included): the zero-skip depths the build records are the
per-lane nonzero counts, cycles per inference fall as pruning rises, and N-layer builds pass mac_top one parameter
set per layer."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from edgebench.designs import mac as mac_design
from edgebench.golden import quant
from edgebench.golden.datasets import load_dataset
from edgebench.tb.runner import CACHE_DIR

SPARSE = [(d, c) for d, cs in mac_design.CONFIGS.items() for c, hw in cs.items() if hw.sparse]


@pytest.mark.parametrize(("design", "config"), SPARSE, ids=["-".join(c) for c in SPARSE])
def test_zero_skip_depths_are_the_nonzero_counts(design: str, config: str, tmp_path: Path) -> None:
    """DEPTH per layer = sum over neuron groups of the largest per-lane nonzero count (at least 1), counted here
    row by row on the model's weights, apart from designs/mac.layer_depth's vectorized count."""
    data = load_dataset("digits")
    hw = mac_design.CONFIGS[design][config]
    core = mac_design.build_design(design, config, data, tmp_path, CACHE_DIR)
    model = mac_design.cached_model(hw, data, CACHE_DIR)
    depths = []
    for layer, p in enumerate(hw.p):
        nnz = [int(np.count_nonzero(row)) for row in model.weights(layer)]
        depths.append(sum(max(1, *nnz[g:g + p]) for g in range(0, len(nnz), p)))
    assert depths == core.config_info["depths"]
    dense = [(layer["mh"] // p) * layer["mw"] for layer, p in zip(core.config_info["layers"], hw.p, strict=True)]
    assert all(d < full for d, full in zip(depths, dense, strict=True)), "pruning skipped nothing"


def test_zero_skip_cycles_fall_with_pruning(tmp_path: Path) -> None:
    """The zero-skip schedule is real: cycles per inference fall as the pruning ratio rises, and are below the
    dense PoT engine's with the same lanes."""
    data = load_dataset("digits")
    bounds = {}
    for design, config in [("pot", "default"), ("pot-pruned", "default"), ("pot-pruned", "p75")]:
        core = mac_design.build_design(design, config, data, tmp_path / f"{design}-{config}", CACHE_DIR)
        bounds[(design, config)] = core.ii_bound
    assert bounds[("pot", "default")] > bounds[("pot-pruned", "default")] > bounds[("pot-pruned", "p75")]


def test_three_layer_build_parameters(tmp_path: Path) -> None:
    """The suite's 3-layer configuration: one parameter set per layer, memory files l0..l2 in MEM_DIR, and the
    bound (the output layer's 80 words) is the documented formula."""
    data = load_dataset("digits")
    core = mac_design.build_design("int4-mac", "three-layer", data, tmp_path, CACHE_DIR)
    params = core.parameters
    assert params["N_LAYERS"] == 3 and (params["H1"], params["H2"]) == (16, 16) and "H3" not in params
    assert [params[f"P{i}"] for i in range(3)] == [16, 4, 2]
    assert [params[f"DEPTH{i}"] for i in range(3)] == core.config_info["depths"] == [64, 64, 80]
    assert {"SHIFT0", "SHIFT1"} <= set(params) and "SHIFT2" not in params
    assert params["MEM_DIR"] == f'"{tmp_path}"'
    assert sorted(f.name for f in tmp_path.glob("l*.hex")) == [f"l{i}_{k}.hex" for i in range(3) for k in "bw"]
    assert core.ii_bound == mac_design.ii_formula(core) == 80


def test_too_many_layers_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """mac_top has parameters for MAX_LAYERS layers: a deeper network is refused before anything is trained."""
    hw = mac_design.MacHwConfig(quant.QuantConfig("uniform", w_bits=4, a_bits=4), p=(1, 1, 1, 1, 1),
                                train=quant.FloatTrainConfig(hidden=(4, 4, 4, 4)))
    monkeypatch.setitem(mac_design.ALL_CONFIGS["int4-mac"], "too-deep", hw)
    with pytest.raises(ValueError, match="1 to 3 hidden layers"):
        mac_design.build_design("int4-mac", "too-deep", load_dataset("digits"), tmp_path, tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("design", mac_design.DESIGN_NAMES)
def test_fashion_config_dense_schedule(design: str) -> None:
    """The bench-only paper-scale configuration (784-256-256-10, 8-bit pixels, lanes 64/32/10), checked on a
    stand-in model of its shapes: dense depths 3136, 2048, 256 and 98 input beats -> II 3136; zero-skip never more."""
    hw = mac_design.LARGE_CONFIGS[design]["fashion"]
    assert design not in {d for d, _ in SPARSE} or hw.sparse
    assert hw.quant.in_bits == 8 and hw.p == (64, 32, 10) and hw.train.hidden_sizes == (256, 256)
    sizes = [784, 256, 256, 10]
    codes = [np.ones((mh, mw), dtype=np.int64) for mw, mh in zip(sizes, sizes[1:], strict=False)]
    model = quant.QuantMlp(hw.quant.kind, hw.quant.w_bits, hw.quant.a_bits, hw.quant.in_bits, hw.quant.alphabet,
                           codes, [np.zeros(c.shape[0], dtype=np.int64) for c in codes], [0, 0], [32, 32, 32])
    assert -(-model.input_bits // hw.bus_width) == 98
    assert mac_design.layer_depths(model, replace(hw, sparse=False)) == [3136, 2048, 256]
    assert mac_design.ii_bound(model, hw) == 3136  # all weights nonzero: zero-skip takes as long as dense
