"""`verilator --lint-only -Wall` on the generated unrolled LUTNet circuit (a build output tests/test_lint.py never
sees); the cores themselves run in tests/test_cores.py."""

import subprocess
from pathlib import Path

import pytest

from edgebench.designs import lutnet as lutnet_design
from edgebench.designs import lutnet_verilog
from edgebench.designs.core import RTL_DIR
from edgebench.golden.datasets import load_dataset
from edgebench.tb.runner import BUILD_ROOT, CACHE_DIR
from edgebench.tb.toolchain import ToolchainError, setup_verilator


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
