"""Simulator builds, made once and reused: one build per (simulator, sources, parameters, flags).

A build lives in `sim_build/builds/<top>-<sim>-<key>/`, where the key hashes everything that changes the
executable: source contents, parameters, flags and tool versions. Model data (tables, weights, thresholds) is
not in the key: the cores read it with `$readmemh` at run time from paths relative to the run directory, so
retraining a model or running another seed reuses the build. Concurrent pytest workers wanting the same build
wait on a file lock instead of building it twice. A finished Verilator build keeps only its executable.

Verilator builds are lean (cocotb's runner is subclassed): no `--public-flat-rw`, only the signals cocotb
touches are public (a generated `.vlt` control file), C++ at -O3, and `--timing` when the clock is in HDL.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from cocotb_tools.runner import Icarus, Runner, Verilator

from edgebench.designs.core import REPO_ROOT
from edgebench.tb.toolchain import FAST_MAKE_VARS, TIMING_MAKE_VARS

BUILDS_ROOT = REPO_ROOT / "sim_build" / "builds"
TIMESCALE = ("1ns", "1ps")
STAMP = "edgebench-build.json"
QUICK_MAKE_VARS = ("OPT_FAST=-O1", "OPT_GLOBAL=-O1")
# Bump when the flags or the way builds are made change, so old builds are not reused.
BUILD_FORMAT = 3


class BuildError(RuntimeError):
    """The simulator could not build the sources; the message names the log."""


class LeanVerilator(Verilator):
    """cocotb's Verilator runner without `--public-flat-rw` and with C++ at -O3 (and --timing's flags)."""

    timing = False
    make_vars: Sequence[str] = FAST_MAKE_VARS

    def _build_command(self) -> list:
        cmds = super()._build_command()
        cmds[0] = [arg for arg in cmds[0] if arg != "--public-flat-rw"]
        cmds[1] = [*cmds[1], *self.make_vars, *(TIMING_MAKE_VARS if self.timing else ())]
        return cmds


def public_control_file(path: Path, public: dict[str, Sequence[str]]) -> Path:
    """A Verilator control file making exactly these signals visible to cocotb: {module: [signal or "*"]}."""
    lines = ["`verilator_config"]
    for module, names in public.items():
        lines += [f'public_flat_rw -module "{module}" -var "{name}"' for name in names]
    path.write_text("\n".join(lines) + "\n")
    return path


def _digest(sources: Sequence[Path], record: dict) -> str:
    h = hashlib.sha256(json.dumps(record, sort_keys=True).encode())
    for source in sources:
        h.update(source.name.encode())
        h.update(source.read_bytes())
    return h.hexdigest()[:16]


def _shrink(build_dir: Path, top: str) -> None:
    """Keep only what running needs: the Verilator executable (the C++ and objects are 10-100x its size)."""
    for item in build_dir.iterdir():
        if item.name in (top, STAMP, "build.log") or item.suffix == ".vlt":
            continue
        if item.is_dir():
            shutil.rmtree(item, ignore_errors=True)
        else:
            item.unlink(missing_ok=True)


def build(
    sim: str,
    sources: Sequence[Path],
    top: str,
    parameters: dict[str, object],
    *,
    public: dict[str, Sequence[str]] | None = None,
    waves: bool = False,
    timing: bool = False,
    build_args: Sequence[str] = (),
    tool_versions: dict[str, str] | None = None,
    quick: bool = False,
) -> tuple[Runner, Path, bool]:
    """Build (or find) the simulator executable; returns (runner to call `.test` on, build dir, built now).

    quick: Verilator's C++ at -O1 instead of -O3 (builds about 1.5x faster, runs about 0.9x as fast), for tests."""
    make_vars = QUICK_MAKE_VARS if quick else FAST_MAKE_VARS
    sources = [Path(s) for s in sources]
    record = {
        "format": BUILD_FORMAT, "sim": sim, "top": top, "parameters": {k: str(v) for k, v in parameters.items()},
        "public": {k: list(v) for k, v in (public or {}).items()}, "waves": waves, "timing": timing,
        "make": list(make_vars),
        "args": list(build_args), "tools": tool_versions or {},
    }
    build_dir = BUILDS_ROOT / f"{top}-{sim}-{_digest(sources, record)}"
    runner: Runner
    if sim == "verilator":
        runner = LeanVerilator()
        runner.timing = timing
        runner.make_vars = make_vars
    else:
        runner = Icarus()
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second worker wanting this build waits here, then reuses it
        if (build_dir / STAMP).exists():
            return runner, build_dir, False
        args = list(build_args)
        all_sources = list(sources)
        if sim == "verilator":
            args += ["-Wno-fatal"] + (["--timing"] if timing else [])
            if public:
                all_sources.append(public_control_file(build_dir / "public.vlt", public))
        log = build_dir / "build.log"
        started = time.perf_counter()
        try:
            runner.build(sources=all_sources, hdl_toplevel=top, parameters=parameters, build_dir=build_dir,
                         timescale=TIMESCALE, build_args=args, waves=waves, always=True, log_file=log)
        except (RuntimeError, SystemExit):
            tail = log.read_text().strip().splitlines()[-1:] if log.exists() else []
            raise BuildError(f"{sim} build of {top} failed ({' '.join(tail)[:200]}); log: {log}") from None
        if sim == "verilator":
            _shrink(build_dir, top)
        record["build_s"] = round(time.perf_counter() - started, 3)
        (build_dir / STAMP).write_text(json.dumps(record, indent=1) + "\n")
        os.utime(build_dir)
    return runner, build_dir, True


def relative_parameters(parameters: dict[str, object], run_dir: Path) -> dict[str, object]:
    """String parameters naming files inside `run_dir` made relative to it (the simulator runs there), so the
    build does not depend on which run directory the model files were written to."""
    prefix = f'"{run_dir.resolve()}/'
    return {k: '"' + v[len(prefix):] if isinstance(v, str) and v.startswith(prefix) else v
            for k, v in parameters.items()}


def build_seconds(build_dir: Path) -> float | None:
    """How long the build in `build_dir` took when it was made (a reused build costs nothing now)."""
    try:
        return json.loads((build_dir / STAMP).read_text()).get("build_s")
    except (OSError, ValueError):
        return None


def run_cocotb(runner: Runner, build_dir: Path, run_dir: Path, test_module: str, top: str, *,
               env: dict[str, str], testcase: Sequence[str] | None = None, seed: int | None = None,
               waves: bool = False, plusargs: Sequence[str] = ()) -> tuple[int, int]:
    """Run cocotb tests on a build from `build`, in `run_dir`; returns (tests, failed) from its results file.

    cocotb's runner exits the process on failure when it sees PYTEST_CURRENT_TEST; callers report failures
    themselves (from the counts, the log `run_dir/sim.log` and their own records), so it is hidden meanwhile."""
    from cocotb_tools.runner import get_results

    results = run_dir / "results.xml"
    results.unlink(missing_ok=True)
    saved = os.environ.pop("PYTEST_CURRENT_TEST", None)
    try:
        runner.test(test_module=test_module, hdl_toplevel=top, hdl_toplevel_lang="verilog",
                    testcase=list(testcase) if testcase else None, seed=seed, extra_env=env, build_dir=build_dir,
                    test_dir=run_dir, results_xml=str(results), timescale=TIMESCALE, waves=waves,
                    log_file=run_dir / "sim.log", plusargs=list(plusargs))
    except SystemExit:
        pass  # the simulator itself failed: no results file, counted as failed below
    finally:
        if saved is not None:
            os.environ["PYTEST_CURRENT_TEST"] = saved
    try:
        return get_results(results)
    except RuntimeError:
        n = len(testcase) if testcase else 1
        return n, n


def failure_messages(run_dir: Path) -> list[str]:
    """`<test>: <message>` for each failed cocotb test in the run's results.xml (empty if none or no file)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(run_dir / "results.xml").getroot()
    except (OSError, ET.ParseError):
        return []
    return [f"{case.get('name')}: {failure.get('message', '')}" for case in root.iter("testcase")
            for failure in case.iter("failure")]


def failed_checks(message: str) -> set[str]:
    """The check names in a bench's failure message's first line ("... failed checks: out_data x3, drain x1"):
    the benches in tb/benches/ name every check that failed, so a test can tell which one killed a mutant."""
    first = message.split("\n", 1)[0]
    if "failed checks: " not in first:
        return set()
    return {item.rsplit(" x", 1)[0] for item in first.split("failed checks: ", 1)[1].split(", ")}
