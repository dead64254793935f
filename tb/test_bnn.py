"""BNN baseline (FINN-style MVAU network) on both simulators, for every folding in golden/bnn_design.CONFIGS."""

import pytest

from golden import bnn_design
from tb.checks import case_ids, check_core, sim_cases

# Every folding on both simulators.
CASES = sim_cases(list(bnn_design.CONFIGS))


@pytest.mark.parametrize(("sim", "config"), CASES, ids=case_ids(CASES))
def test_bnn_core(sim: str, config: str, seed: int) -> None:
    result = check_core("bnn", config, sim, seed)
    # The bound differs between configurations, so this also proves the folding parameters reach the RTL.
    assert result.metrics["DatasetStreaming"]["ii_cycles"] == bnn_design.ii_bound(
        [(layer["mh"], layer["mw"]) for layer in result.core.config_info["layers"]], bnn_design.CONFIGS[config]
    )
