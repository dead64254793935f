"""Every sub-block bench a style declares (designs/style.UnitBench), on the simulators it names: the block alone
as the toplevel, driven by its cocotb module, every test passing."""

from __future__ import annotations

import pytest

from edgebench.designs.core import REPO_ROOT
from edgebench.designs.registry import unit_benches
from edgebench.tb.builds import build, run_cocotb
from edgebench.tb.checks import require_simulator
from edgebench.tb.runner import BUILD_ROOT

CASES = [(sim, style, unit) for style, unit in unit_benches() for sim in unit.sims]


@pytest.mark.parametrize(("sim", "style", "unit"), CASES, ids=[f"{s.name}-{u.name}-{sim}" for sim, s, u in CASES])
def test_unit(sim: str, style: object, unit: object, seed: int) -> None:
    require_simulator(sim)
    run_dir = BUILD_ROOT / "units" / f"{style.name}-{unit.name}-{sim}"
    run_dir.mkdir(parents=True, exist_ok=True)
    params, env = unit.setup(run_dir, seed)
    runner, build_dir, _ = build(sim, list(unit.sources), unit.toplevel, params, public={unit.toplevel: ["*"]})
    env["PYTHONPATH"] = str(REPO_ROOT)
    n_tests, n_failed = run_cocotb(runner, build_dir, run_dir, unit.bench, unit.toplevel, env=env,
                                   testcase=list(unit.testcases) or None, seed=seed)
    assert n_tests >= max(1, len(unit.testcases)) and n_failed == 0, (
        f"{n_failed} of {n_tests} tests failed (log and results.xml in {run_dir})")
