"""`verilator --lint-only -Wall` is clean on every RTL file, each linted as its own top with default parameters.

Discovers files itself: a new style's folder under rtl/ is linted with rtl/common without any change here.
"""

import subprocess
from pathlib import Path

import pytest

from edgebench.designs.core import RTL_DIR
from edgebench.tb.harness import CHECK_DEFINE, CHECKER_SOURCE, HARNESS_SOURCE
from edgebench.tb.toolchain import ToolchainError, setup_verilator


def _rtl_files() -> list[Path]:
    return sorted(RTL_DIR.glob("*/*.v"))


@pytest.mark.parametrize("checked", [False, True], ids=["rtl", "checked"])
@pytest.mark.parametrize("source", _rtl_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_verilator_lint_clean(source: Path, checked: bool) -> None:
    """checked: as the tests build it, with a protocol checker on every stream the module produces."""
    try:
        setup_verilator()
    except ToolchainError as exc:
        pytest.fail(str(exc), pytrace=False)
    folders = {RTL_DIR / "common", source.parent}
    files = sorted({f for folder in folders for f in folder.glob("*.v")})
    extra = [f"-D{CHECK_DEFINE}", "-Wno-BLKSEQ", str(CHECKER_SOURCE)] if checked else []
    proc = subprocess.run(
        ["verilator", "--lint-only", "-Wall", "--top-module", source.stem, *extra, *map(str, files)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]


def test_stream_harness_lint_clean() -> None:
    """The HDL stream harness (testbench code, so `--timing`): clean but for BLKSEQ, since its bookkeeping
    (cycle, counters, file handles) is procedural on purpose."""
    try:
        setup_verilator()
    except ToolchainError as exc:
        pytest.fail(str(exc), pytrace=False)
    proc = subprocess.run(
        ["verilator", "--lint-only", "-Wall", "-Wno-BLKSEQ", "--timing", "--top-module", "stream_harness",
         str(HARNESS_SOURCE)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
