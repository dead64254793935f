"""The per-cycle Python path (cocotb drives and samples every cycle through the cocotb-bus BFMs) still passes every
sequence, and agrees cycle for cycle with the HDL-driven harness: same result times, latency and II."""

import pytest

from edgebench.tb.checks import case_ids, simulate_or_fail
from edgebench.tb.runner import ALL_TESTS

# One core per style; bnn and uleen on both simulators, the others on Icarus (a Verilator build each is 10-20 s;
# the per-cycle build makes every signal public, which took uleen's ensemble 80 s to compile: its single config).
CASES = [("icarus", "bnn", "default"), ("verilator", "bnn", "default"), ("icarus", "uleen", "ensemble"),
         ("verilator", "uleen", "single"), ("icarus", "int8-mac", "default"), ("icarus", "lutnet-tiled", "k4"),
         ("icarus", "lutnet-unrolled", "k4")]


@pytest.mark.parametrize(("sim", "design", "config"), CASES, ids=case_ids(CASES))
def test_per_cycle_path_agrees_with_hdl_driven(sim: str, design: str, config: str, seed: int) -> None:
    runs = {drive: simulate_or_fail(design, config, sim, n=24, n_random=8, seed=seed, tag=f"drive-{drive}-s{seed}",
                                    drive=drive, quick_build=True)
            for drive in ("python", "hdl")}
    for drive, result in runs.items():
        assert result.failed == 0, f"{drive}-driven: {result.failed} cocotb tests failed (log: {result.sim_log})"
        assert set(result.records) == set(ALL_TESTS)
        for name, record in result.records.items():
            assert record.drive == drive
            assert record.mismatches == 0 and record.compared > 0, (drive, name, record)
    python, hdl = runs["python"].records, runs["hdl"].records
    for name in ("DatasetStreaming", "RandomStreaming", "CornerStreaming"):  # without stalls both are deterministic
        for key in ("valid_cycles", "latency_cycles", "latency_max_cycles", "ii_cycles", "total_cycles"):
            py, hd = getattr(python[name], key), getattr(hdl[name], key)
            assert py == hd, f"{name}.{key}: per-cycle {py}, HDL-driven {hd}"
