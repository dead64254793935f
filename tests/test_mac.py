"""The MAC family's schedule, checked from the trained weights themselves (no simulation: tests/test_cores.py runs
every configuration): the zero-skip depths the build records are the per-lane nonzero counts, and cycles per
inference fall as pruning rises."""

from pathlib import Path

import numpy as np
import pytest

from edgebench.designs import mac as mac_design
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
