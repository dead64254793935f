"""ULEEN weightless core on both simulators, for every configuration in golden/uleen_design.CONFIGS."""

import pytest

from golden import uleen_design
from tb.checks import case_ids, check_core, sim_cases

# Every configuration on both simulators (the Fashion-MNIST one is the bench's, in uleen_design.LARGE_CONFIGS).
CASES = sim_cases(list(uleen_design.CONFIGS))


@pytest.mark.parametrize(("sim", "config"), CASES, ids=case_ids(CASES))
def test_uleen_core(sim: str, config: str, seed: int) -> None:
    result = check_core("uleen", config, sim, seed)
    # The bound differs between configurations, so this also proves the hash-unit / bus parameters reach the RTL.
    measured = result.metrics["DatasetStreaming"]["ii_cycles"]
    assert measured == uleen_design.ii_bound(result.core.input_bits, uleen_design.CONFIGS[config])
