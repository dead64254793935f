"""The valid/ready protocol checker (tb/hdl/stream_protocol_checker.v) flags each rule's breach, once, where it
happens, and nothing in a clean stream; on Icarus also X and Z. Every core's checked build relies on it
(tb/runner.simulate(checks=True), tb/checks.check_core)."""

from __future__ import annotations

import pytest

from edgebench.designs.core import REPO_ROOT
from edgebench.tb.builds import build, run_cocotb
from edgebench.tb.checks import require_simulator
from edgebench.tb.harness import CHECKER_SOURCE, protocol_violations
from edgebench.tb.toolchain import SIMULATORS

TOP = "stream_protocol_checker"
# What benches/protocol_checker_tests.py breaks, in order: (reset or after reset, cycle count, rule). The cycle counts
# edges since reset release (the clean stretch has 8 cycles after reset; the breaches' reset restarts the count).
EXPECTED = [
    ("in reset", 0, "valid is not low during reset"),
    ("after reset", 1, "a transfer changed while valid was high and ready low"),
    ("after reset", 3, "a transfer vanished: valid fell while ready was low"),
]
EXPECTED_X = [
    ("after reset", 4, "valid is X or Z"),
    ("after reset", 5, "ready is X or Z"),
    ("after reset", 6, "data has X or Z bits while valid"),
]


@pytest.mark.parametrize("sim", SIMULATORS)
def test_checker_flags_each_breach(sim: str, seed: int) -> None:
    require_simulator(sim)
    run_dir = REPO_ROOT / "sim_build" / f"protocol-checker-{sim}"
    run_dir.mkdir(parents=True, exist_ok=True)
    runner, build_dir, _ = build(sim, [CHECKER_SOURCE], TOP, {"WIDTH": 8, "MAX_REPORTS": 16},
                                 public={TOP: ["*"]}, build_args=["-Wno-BLKSEQ"] if sim == "verilator" else [])
    x_rules = sim == "icarus"  # Verilator has no X or Z to drive
    n_tests, n_failed = run_cocotb(runner, build_dir, run_dir, "edgebench.tb.benches.protocol_checker_tests", TOP,
                                   env={"PROTOCOL_X": str(int(x_rules))}, seed=seed)
    log = run_dir / "sim.log"
    assert n_tests == 1 and n_failed == 0, f"the checker script failed; see {log}"
    lines = protocol_violations(log)
    found = []
    for line in lines:
        where, rest = line.split(": ", 1)[1].split(", cycle ")
        cycle, rule = rest.split(" (t=")[0], rest.split("): ", 1)[1]
        found.append((where, int(cycle), rule.strip()))
    assert found == EXPECTED + (EXPECTED_X if x_rules else []), "checker lines:\n" + "\n".join(lines)
