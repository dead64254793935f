"""Assertions every core's pytest wrapper makes on a simulation (tb/runner.simulate)."""

from __future__ import annotations

import pytest

from tb.runner import ALL_TESTS, SimResult, SimulationError, simulate
from tb.toolchain import SIMULATORS, ToolchainError


def sim_cases(configs: list[str] | tuple[str, ...], both: tuple[str, ...]) -> list[tuple[str, str]]:
    """(simulator, config) pairs: every config on Icarus, the configs in `both` on Verilator too.

    Verilator builds cost 20-60 s each on this machine kind; the configs left to Icarus only differ from a
    `both` config by parameters (bus width, folding), not by RTL, so the suite stays within its time budget."""
    unknown = set(both) - set(configs)
    if unknown:
        raise ValueError(f"unknown configs {sorted(unknown)}")
    return [(sim, c) for c in configs for sim in SIMULATORS if sim == "icarus" or c in both]


def case_ids(cases: list[tuple[str, ...]]) -> list[str]:
    return ["-".join(case) for case in cases]


def simulate_or_fail(design: str, config: str, sim: str, **kwargs: object) -> SimResult:
    try:
        return simulate(design, config, sim, **kwargs)
    except (ToolchainError, SimulationError) as exc:
        pytest.fail(str(exc), pytrace=False)


def check_core(design: str, config: str, sim: str, seed: int, n: int = 40) -> SimResult:
    """Every sequence with and without stalls: all cocotb tests pass, 0 mismatches, II == bound."""
    result = simulate_or_fail(design, config, sim, n=n, seed=seed, tag=f"test-s{seed}")
    log_hint = f"(simulator log: {result.sim_log})"
    missing = set(ALL_TESTS) - set(result.metrics)
    assert not missing, f"tests without metrics: {sorted(missing)} {log_hint}"
    for name, record in result.metrics.items():
        assert record["mismatches"] == 0, f"{name}: {record['mismatches']} mismatches {log_hint}"
        assert record["compared"] > 0, f"{name}: nothing compared {log_hint}"
    streaming = result.metrics["DatasetStreaming"]
    assert streaming["ii_cycles"] == result.core.ii_bound, (
        f"measured II {streaming['ii_cycles']} != bound {result.core.ii_bound} {log_hint}"
    )
    assert result.failed == 0, f"{result.failed} of {result.tests} cocotb tests failed {log_hint}"
    return result
