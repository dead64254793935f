"""Cycle-exact unit tests of the stream FIFO and the LUTNet pipeline register (tb/benches/stream_unit_tests.py), on both
simulators, plus the proof that they kill the two mutants they were written against.

Each parameter set is its own build (cached in sim_build/builds/ by tb.builds) and its own run directory under
sim_build/stream-units/. Parameters reach the cocotb module through STREAM_UNIT_* environment variables.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edgebench.designs.core import REPO_ROOT, RTL_DIR
from edgebench.tb.builds import build, failed_checks, failure_messages, run_cocotb
from edgebench.tb.checks import require_simulator
from edgebench.tb.toolchain import SIMULATORS

FIFO_RTL = RTL_DIR / "common" / "stream_fifo.v"
PIPE_RTL = RTL_DIR / "lutnet" / "lutnet_pipe_reg.v"
RUN_ROOT = REPO_ROOT / "sim_build" / "stream-units"
RANDOM_CYCLES = 3000

# (DEPTH, WIDTH). DEPTH >= 1 (DEPTH 0 would declare `mem_q[0:-1]` and a 0-bit counter); the set covers the
# one-entry case, the powers of two and every non-power of two up to 8 (3, 5, 6 and 7 exercise the explicit
# pointer wrap, which the powers of two get for free from the pointer width), and words of 1 to 32 bits.
FIFO_CASES = [(1, 8), (2, 1), (3, 8), (4, 16), (5, 8), (6, 8), (7, 3), (8, 32)]
PIPE_WIDTHS = [8, 32]  # 32: the width the unrolled LUTNet instantiates; not 1, so a held beat and the next differ

FIFO_TESTS = ["fifo_directed", "fifo_random"]
PIPE_TESTS = ["pipe_backpressure", "pipe_random"]

# The mutants (exact text replaced once in a copy of the RTL). The FIFO wrap mutant is equivalent where the
# pointer is 1 bit wide (DEPTH 1 and 2): PTR_W'(DEPTH + 1) truncates to the same value as PTR_W'(DEPTH - 1).
# From DEPTH 3 on it changes the pointer cycle (stuck at 0 for DEPTH 3 and 7, two entries for 4 and 8, out of
# range entries for 5 and 6), so it must be killed there.
WRAP_MUTANT = ("PTR_W'(DEPTH - 1)", "PTR_W'(DEPTH + 1)")
READY_MUTANT = ("assign in_ready = !out_valid || out_ready;", "assign in_ready = 1'b1;")
WRAP_MUTANT_DEPTHS = [d for d, _ in FIFO_CASES if d >= 3]
# Verilator gets a subset: each parameter set is a ~15 s C++ build on a machine without a warm ccache, and the
# module's behaviour is the same two-state logic on both simulators (Icarus, which also sees X, runs them all).
VERILATOR_FIFO_CASES = [(1, 8), (3, 8), (8, 32)]
VERILATOR_PIPE_WIDTHS = [32]
FIFO_SIM_CASES = [(sim, d, w) for sim in SIMULATORS for d, w in FIFO_CASES
                  if sim == "icarus" or (d, w) in VERILATOR_FIFO_CASES]
PIPE_SIM_CASES = [(sim, w) for sim in SIMULATORS for w in PIPE_WIDTHS if sim == "icarus" or w in VERILATOR_PIPE_WIDTHS]


def run_unit(sim: str, source: Path, top: str, params: dict[str, int], tests: list[str], tag: str, seed: int,
             repro: str) -> tuple[int, int, list[str]]:
    """Build `source` with `top` and `params`, run `tests` from tb/benches/stream_unit_tests.py in its own run folder;
    returns (tests run, tests failed, failure messages)."""
    require_simulator(sim)
    run_dir = RUN_ROOT / f"{tag}-{sim}"
    run_dir.mkdir(parents=True, exist_ok=True)
    runner, build_dir, _ = build(sim, [source], top, params, public={top: ["*"]}, quick=True)
    env = {"PYTHONPATH": str(REPO_ROOT), "STREAM_UNIT_TOP": top, "STREAM_UNIT_WIDTH": str(params["WIDTH"]),
           "STREAM_UNIT_SEED": str(seed), "STREAM_UNIT_CYCLES": str(RANDOM_CYCLES), "STREAM_UNIT_REPRO": repro}
    if "DEPTH" in params:
        env["STREAM_UNIT_DEPTH"] = str(params["DEPTH"])
    n_tests, n_failed = run_cocotb(runner, build_dir, run_dir, "edgebench.tb.benches.stream_unit_tests", top, env=env,
                                   testcase=tests, seed=seed)
    return n_tests, n_failed, failure_messages(run_dir)


def _mutant(source: Path, mutation: tuple[str, str], tag: str) -> Path:
    """A copy of `source` with the mutation applied once, under sim_build/ (the RTL itself is never touched)."""
    old, new = mutation
    text = source.read_text()
    # The mutation must still match the RTL; otherwise this would silently test the unmutated design.
    assert text.count(old) == 1, f"{source.name}: mutation target {old!r} found {text.count(old)} times"
    path = RUN_ROOT / "mutants" / tag / source.name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize("sim,depth,width", FIFO_SIM_CASES, ids=[f"{s}-d{d}-w{w}" for s, d, w in FIFO_SIM_CASES])
def test_stream_fifo(sim: str, depth: int, width: int, seed: int, repro: str) -> None:
    n_tests, n_failed, messages = run_unit(sim, FIFO_RTL, "stream_fifo", {"WIDTH": width, "DEPTH": depth},
                                           FIFO_TESTS, f"fifo-d{depth}-w{width}", seed, repro)
    assert (n_tests, n_failed) == (len(FIFO_TESTS), 0), (
        f"stream_fifo DEPTH={depth} WIDTH={width} on {sim}, seed {seed}: {n_failed} of {n_tests} cocotb tests "
        f"failed (sim.log in {RUN_ROOT / f'fifo-d{depth}-w{width}-{sim}'})\n" + "\n".join(messages)
        + f"\nreproduce: {repro}")


@pytest.mark.parametrize("sim,width", PIPE_SIM_CASES, ids=[f"{s}-w{w}" for s, w in PIPE_SIM_CASES])
def test_lutnet_pipe_reg(sim: str, width: int, seed: int, repro: str) -> None:
    n_tests, n_failed, messages = run_unit(sim, PIPE_RTL, "lutnet_pipe_reg", {"WIDTH": width}, PIPE_TESTS,
                                           f"pipe-w{width}", seed, repro)
    assert (n_tests, n_failed) == (len(PIPE_TESTS), 0), (
        f"lutnet_pipe_reg WIDTH={width} on {sim}, seed {seed}: {n_failed} of {n_tests} cocotb tests failed "
        f"(sim.log in {RUN_ROOT / f'pipe-w{width}-{sim}'})\n" + "\n".join(messages) + f"\nreproduce: {repro}")


# ------------------------------------------------------------------------------------------------ mutants
# Icarus only: its builds take a fraction of a second, and which simulator runs a mutant does not change whether
# the tests see it (both simulators were shown to kill these mutants when the tests were written).


@pytest.mark.parametrize("depth", WRAP_MUTANT_DEPTHS, ids=[f"d{d}" for d in WRAP_MUTANT_DEPTHS])
def test_fifo_kills_wrap_mutant(depth: int, seed: int, repro: str) -> None:
    """`DEPTH - 1` -> `DEPTH + 1` in the pointer wrap: each FIFO test on its own must fail, on the data."""
    width = dict(FIFO_CASES)[depth]
    source = _mutant(FIFO_RTL, WRAP_MUTANT, f"fifo-wrap-d{depth}")
    n_tests, n_failed, messages = run_unit("icarus", source, "stream_fifo", {"WIDTH": width, "DEPTH": depth},
                                           FIFO_TESTS, f"mutant-fifo-wrap-d{depth}", seed, repro)
    assert (n_tests, n_failed) == (len(FIFO_TESTS), len(FIFO_TESTS)), (
        f"wrap mutant at DEPTH={depth} not killed by every FIFO test, seed {seed}: {n_failed} of {n_tests} failed "
        f"\n{messages}\nreproduce: {repro}")
    # The wrap mutant reorders and loses stored beats, so the per-cycle data check must be what sees it.
    assert all("out_data" in failed_checks(m) for m in messages), f"killed, but not by the data check: {messages}"


def test_pipe_reg_kills_ready_mutant(seed: int, repro: str) -> None:
    """`in_ready` tied to 1: the held beat is overwritten under back-pressure; both tests must fail, the
    back-pressure test on the held value and on in_ready."""
    source = _mutant(PIPE_RTL, READY_MUTANT, "pipe-ready")
    n_tests, n_failed, messages = run_unit("icarus", source, "lutnet_pipe_reg", {"WIDTH": 8}, PIPE_TESTS,
                                           "mutant-pipe-ready", seed, repro)
    assert (n_tests, n_failed) == (len(PIPE_TESTS), len(PIPE_TESTS)), (
        f"in_ready=1 mutant not killed by every pipe test, seed {seed}: {n_failed} of {n_tests} failed"
        f"\n{messages}\nreproduce: {repro}")
    backpressure = next(m for m in messages if m.startswith("pipe_backpressure"))
    assert {"hold_value", "hold_ready"} <= failed_checks(backpressure), backpressure
