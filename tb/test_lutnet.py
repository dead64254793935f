"""LUTNet cores (unrolled and tiled) on both simulators, for every configuration in golden/lutnet_design.py,
and `verilator --lint-only -Wall` on the generated unrolled circuit (a build output tb/test_lint.py never sees)."""

import subprocess
from pathlib import Path

import pytest

from golden import lutnet_design, lutnet_verilog
from golden.core import RTL_DIR
from golden.datasets import load_dataset
from tb.checks import case_ids, check_core, sim_cases
from tb.runner import BUILD_ROOT, CACHE_DIR
from tb.toolchain import ToolchainError, setup_verilator

# Every configuration on both simulators.
UNROLLED_CASES = sim_cases(list(lutnet_design.UNROLLED_CONFIGS))
TILED_CASES = sim_cases(list(lutnet_design.TILED_CONFIGS))


@pytest.mark.parametrize(("sim", "config"), UNROLLED_CASES, ids=case_ids(UNROLLED_CASES))
def test_lutnet_unrolled_core(sim: str, config: str, seed: int) -> None:
    result = check_core("lutnet-unrolled", config, sim, seed)
    assert result.metrics["DatasetStreaming"]["ii_cycles"] == lutnet_design.unrolled_ii_bound(
        result.core.input_bits, lutnet_design.UNROLLED_CONFIGS[config]
    )


@pytest.mark.parametrize(("sim", "config"), TILED_CASES, ids=case_ids(TILED_CASES))
def test_lutnet_tiled_core(sim: str, config: str, seed: int) -> None:
    result = check_core("lutnet-tiled", config, sim, seed)
    # The bound differs between configurations, so this also proves the folding parameters reach the RTL.
    assert result.metrics["DatasetStreaming"]["ii_cycles"] == lutnet_design.tiled_ii_bound(
        [(layer["mh"], layer["mw"]) for layer in result.core.config_info["layers"]],
        lutnet_design.TILED_CONFIGS[config],
    )


@pytest.mark.parametrize("config", list(lutnet_design.UNROLLED_CONFIGS))
def test_generated_unrolled_lint_clean(config: str) -> None:
    try:
        setup_verilator()
    except ToolchainError as exc:
        pytest.fail(str(exc), pytrace=False)
    work = BUILD_ROOT / f"lutnet-unrolled-{config}-lint"
    core = lutnet_design.build_unrolled(config, load_dataset("digits"), work, CACHE_DIR)
    generated = Path(core.config_info["generated_source"])
    assert generated.parent == work and generated.name == f"{lutnet_verilog.MODULE}.v"
    files = [*sorted((RTL_DIR / "common").glob("*.v")), *sorted((RTL_DIR / "lutnet").glob("*.v")), generated]
    proc = subprocess.run(
        ["verilator", "--lint-only", "-Wall", "--top-module", lutnet_verilog.MODULE, *map(str, files)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
