"""Every configuration of every registered style, on both simulators: all stream sequences pass against the golden
model (tb/checks.check_core: 0 mismatches, no protocol violation, reset and framing variants) and the measured
II equals the style's declared formula. The cases come from the registry, so a new style is tested by declaring
it (designs/style.py)."""

import pytest

from edgebench.designs.registry import styles
from edgebench.tb.checks import check_core
from edgebench.tb.toolchain import SIMULATORS

CASES = [(sim, name, config) for name, style in styles().items() for config in style.configs for sim in SIMULATORS]


@pytest.mark.parametrize(("sim", "design", "config"), CASES, ids=["-".join(case) for case in CASES])
def test_core(sim: str, design: str, config: str, seed: int) -> None:
    result = check_core(design, config, sim, seed)  # measured II == core.ii_bound is asserted there
    # The build's bound is the style's documented formula on the configuration it recorded; configurations of
    # one style have different bounds, so this also proves the folding parameters reached the RTL.
    assert result.core.ii_bound == styles()[design].ii_formula(result.core)
