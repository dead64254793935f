"""Assertions every core's pytest wrapper makes on a simulation (tb/runner.simulate)."""

from __future__ import annotations

import pytest

from edgebench.tb.runner import (
    CHECK_TESTS,
    FRAME_VECTORS,
    FRAMES_TEST,
    LONG_TEST,
    RESET_TEST,
    SimResult,
    SimulationError,
    simulate,
)
from edgebench.tb.toolchain import ToolchainError, ensure_simulator


def case_ids(cases: list[tuple[str, ...]]) -> list[str]:
    return ["-".join(case) for case in cases]


def require_simulator(sim: str) -> dict:
    """The simulator's tool versions, or the test fails with the one line saying how to install it."""
    try:
        return ensure_simulator(sim)
    except ToolchainError as exc:
        pytest.fail(str(exc), pytrace=False)


def simulate_or_fail(design: str, config: str, sim: str, **kwargs: object) -> SimResult:
    try:
        return simulate(design, config, sim, **kwargs)
    except (ToolchainError, SimulationError) as exc:
        pytest.fail(str(exc), pytrace=False)


# Vectors of the long run under stalls and bursts (HDL-driven): on Verilator the soak itself (a few seconds a
# core). Icarus runs the larger cores at a few dozen inferences per second: 300 here, 10,000 in `edgebench soak`.
LONG_VECTORS = {"verilator": 10_000, "icarus": 300}
# Icarus' long run is also held to a cycle budget: the MAC family's digits cores (II 128-256) spent most of their
# Icarus test time in it (300 x 256 = 77 k cycles). Short-II cores keep all 300 vectors; none gets fewer than 64.
ICARUS_LONG_CYCLES, LONG_MIN_VECTORS = 8192, 64


def vectors_for_cycles(cycles: int, ii: int, lo: int, hi: int) -> int:
    """Vectors that fill about `cycles` of a core with this II, held between lo and hi."""
    return max(lo, min(hi, cycles // max(1, ii)))


def long_vectors(sim: str, ii_bound: int) -> int:
    """Vectors of check_core's long run on `sim` for a core of this II bound."""
    n = LONG_VECTORS[sim]
    return n if sim != "icarus" else vectors_for_cycles(ICARUS_LONG_CYCLES, ii_bound, min(n, LONG_MIN_VECTORS), n)


def check_core(design: str, config: str, sim: str, seed: int, n: int = 40) -> SimResult:
    """Every sequence with and without stalls, and a long run under stalls: all cocotb tests pass, 0 mismatches,
    II == bound."""
    tests = CHECK_TESTS
    # quick builds: on a fresh machine (no ccache yet) the suite's 60 core builds dominate its time
    result = simulate_or_fail(design, config, sim, n=n, seed=seed, tag=f"test-s{seed}", tests=tests,
                              n_long=lambda core: long_vectors(sim, core.ii_bound), quick_build=True)
    log_hint = f"(simulator log: {result.sim_log})"
    assert not result.protocol_violations, "stream protocol violations:\n" + "\n".join(result.protocol_violations[:20])
    missing = set(tests) - set(result.records)
    assert not missing, f"tests without metrics: {sorted(missing)} {log_hint}"
    for name, record in result.records.items():
        assert record.mismatches == 0, f"{name}: {record.mismatches} mismatches {log_hint}"
        assert record.compared > 0, f"{name}: nothing compared {log_hint}"
    streaming = result.records["DatasetStreaming"]
    assert streaming.ii_cycles == result.core.ii_bound, (
        f"measured II {streaming.ii_cycles} != bound {result.core.ii_bound} {log_hint}"
    )
    assert result.records[LONG_TEST].compared == long_vectors(sim, result.core.ii_bound), log_hint
    assert result.records[FRAMES_TEST].compared == FRAME_VECTORS, log_hint
    reset = result.records[RESET_TEST]
    assert reset.reset_cycle is not None and reset.compared == n, f"mid-stream reset: {reset} {log_hint}"
    assert result.failed == 0, f"{result.failed} of {result.tests} cocotb tests failed {log_hint}"
    return result
