"""Quantized MAC family (uniform INT-N, PoT, zero-skip pruned PoT, ASM) on both simulators, every configuration in
golden/mac_design.CONFIGS: all stream tests pass with 0 mismatches and the measured II equals the documented
cycles-per-inference formula (for zero-skip, evaluated on the actual nonzero-weight counts)."""

from pathlib import Path

import numpy as np
import pytest

from golden import mac_design
from golden.datasets import load_dataset
from tb.checks import case_ids, check_core, sim_cases
from tb.runner import CACHE_DIR

# Every variant and configuration on both simulators.
CASES = [(sim, d, c) for d, cs in mac_design.CONFIGS.items() for sim, c in sim_cases(list(cs))]


@pytest.mark.parametrize(("sim", "design", "config"), CASES, ids=case_ids(CASES))
def test_mac_core(sim: str, design: str, config: str, seed: int) -> None:
    result = check_core(design, config, sim, seed)
    info = result.core.config_info
    hw = mac_design.CONFIGS[design][config]
    beats = -(-result.core.input_bits // hw.bus_width)
    if hw.sparse:  # zero-skip: sum over neuron groups of the largest per-lane nonzero count (at least 1)
        model = mac_design.cached_model(hw, load_dataset("digits"), CACHE_DIR)
        depths = []
        for layer, p in enumerate(hw.p):
            nnz = [int(np.count_nonzero(row)) for row in model.weights(layer)]
            depths.append(sum(max(1, *nnz[g:g + p]) for g in range(0, len(nnz), p)))
        assert depths == info["depths"]
    else:  # dense: (MH / P) * MW per layer
        depths = [(layer["mh"] // p) * layer["mw"] for layer, p in zip(info["layers"], hw.p, strict=True)]
    expected = max(beats, *depths)
    assert result.metrics["DatasetStreaming"]["ii_cycles"] == expected == result.core.ii_bound


def test_zero_skip_cycles_fall_with_pruning(tmp_path: Path) -> None:
    """The zero-skip schedule is real: cycles per inference fall as the pruning ratio rises, and are below the
    dense PoT engine's with the same lanes."""
    data = load_dataset("digits")
    bounds = {}
    for design, config in [("pot", "default"), ("pot-pruned", "default"), ("pot-pruned", "p75")]:
        core = mac_design.build_design(design, config, data, tmp_path / f"{design}-{config}", CACHE_DIR)
        bounds[(design, config)] = core.ii_bound
    assert bounds[("pot", "default")] > bounds[("pot-pruned", "default")] > bounds[("pot-pruned", "p75")]
