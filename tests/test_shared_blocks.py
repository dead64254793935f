"""Cycle-exact unit tests of the shared control blocks of rtl/common (tb/benches/shared_blocks_tests.py) on both
simulators: fold_sequencer and fold_collector (the control of bnn_mvau, lutnet_tiled_layer and mac_layer) and
core_shell (the stream shell of every core top), each over several parameter sets, plus the proof that each bench
kills a mutant it was written against.

Each parameter set is its own build (cached in sim_build/builds/ by tb.builds), with the protocol checkers the
blocks carry (`EDGEBENCH_PROTOCOL_CHECK`), and its own run folder under sim_build/shared-blocks/. Parameters reach
the cocotb module as JSON in BLOCK_PARAMS.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgebench.designs.core import REPO_ROOT, RTL_DIR
from edgebench.tb.builds import build, failed_checks, failure_messages, run_cocotb
from edgebench.tb.checks import require_simulator
from edgebench.tb.harness import CHECK_DEFINE, CHECKER_SOURCE, protocol_violations
from edgebench.tb.toolchain import SIMULATORS

COMMON = RTL_DIR / "common"
# Every file a block's build reads: the block, then the blocks it instantiates.
SOURCES = {
    "fold_sequencer": (COMMON / "fold_sequencer.v",),
    "fold_collector": (COMMON / "fold_collector.v", COMMON / "stream_fifo.v"),
    "core_shell": (COMMON / "core_shell.v", COMMON / "stream_deserializer.v", COMMON / "stream_fifo.v",
                   COMMON / "argmax_output.v"),
}
TESTS = {
    "fold_sequencer": ["seq_directed", "seq_random"],
    "fold_collector": ["collect_directed", "collect_random"],
    "core_shell": ["shell_random"],
}
RUN_ROOT = REPO_ROOT / "sim_build" / "shared-blocks"
RANDOM_CYCLES = 3000

# fold_sequencer (VEC_W, STEPS, GROUPS, GROUP_STEPS, GROUP_END_IN): the defaults (bnn_mvau's shape); one step;
# one group; one step per group; non-powers of two everywhere (the counters' explicit wraps); data-dependent
# group lengths (mac_layer's zero-skip schedule), with groups of one step and of GROUP_STEPS.
SEQ_CASES = [(64, 32, 8, 4, 0), (8, 1, 1, 1, 0), (16, 4, 1, 4, 0), (12, 4, 4, 1, 0), (20, 15, 5, 3, 0),
             (40, 24, 4, 8, 1), (10, 7, 3, 5, 1), (6, 3, 3, 2, 1)]
# fold_collector (MH, PE, RES_W, OUT_DEPTH): the defaults (a hidden bnn layer); bnn's score layer (10 neurons by
# 2, 7-bit scores); one group and a one-entry FIFO; three groups (a 2-bit group index that names no group at 3)
# and depth 3; one neuron per group; mac-like 8-bit activations and depth 4.
COLLECT_CASES = [(64, 8, 1, 2), (10, 2, 7, 2), (8, 8, 3, 1), (12, 4, 3, 3), (5, 1, 4, 2), (32, 8, 8, 4)]
# core_shell (BUS_WIDTH, IN_BITS, N_CLASSES, SCORE_W, SIGNED, RES_DEPTH): the defaults; a vector that is not a
# whole number of beats with signed scores; one beat per vector with uleen's 8-deep result FIFO; a one-entry
# result FIFO with signed scores; depth 3; one class (CLASS_W = 1, the argmax is always 0).
SHELL_CASES = [(32, 64, 10, 8, 0, 0), (16, 40, 3, 5, 1, 0), (64, 64, 2, 4, 0, 8), (8, 20, 5, 3, 1, 1),
               (32, 96, 4, 7, 0, 3), (16, 16, 1, 2, 0, 2)]


def seq_params(case: tuple[int, ...]) -> dict[str, int]:
    return dict(zip(("VEC_W", "STEPS", "GROUPS", "GROUP_STEPS", "GROUP_END_IN"), case, strict=True))


def collect_params(case: tuple[int, ...]) -> dict[str, int]:
    return dict(zip(("MH", "PE", "RES_W", "OUT_DEPTH"), case, strict=True))


def shell_params(case: tuple[int, ...]) -> dict[str, int]:
    return dict(zip(("BUS_WIDTH", "IN_BITS", "N_CLASSES", "SCORE_W", "SIGNED", "RES_DEPTH"), case, strict=True))


# Every (block, parameters) case, named; Verilator gets a subset (each parameter set is a ~15 s C++ build, and
# the blocks are the same two-state logic on both simulators; Icarus, which also sees X, runs them all).
CASES = ([("fold_sequencer", seq_params(c), "seq-" + "-".join(map(str, c))) for c in SEQ_CASES]
         + [("fold_collector", collect_params(c), "collect-" + "-".join(map(str, c))) for c in COLLECT_CASES]
         + [("core_shell", shell_params(c), "shell-" + "-".join(map(str, c))) for c in SHELL_CASES])
VERILATOR_CASES = {"seq-64-32-8-4-0", "seq-10-7-3-5-1", "collect-10-2-7-2", "collect-12-4-3-3",
                   "shell-16-40-3-5-1-0", "shell-64-64-2-4-0-8"}
SIM_CASES = [(sim, top, params, name) for sim in SIMULATORS for top, params, name in CASES
             if sim == "icarus" or name in VERILATOR_CASES]

# Mutants (exact text replaced once in a copy of the block), one each bench must kill, each on the check named:
#   the sequencer's group counter advancing on every step instead of on a group's last one;
#   the collector's credit letting one vector more start than the FIFO holds (its FIFO then drops a vector);
#   the shell's result FIFO offering vectors whatever its credit (results are refused once it is full).
MUTANTS = {
    "fold_sequencer": ("if (last) group_q <= group_q + 1'b1;", "group_q <= group_q + 1'b1;",
                       seq_params((20, 15, 5, 3, 0)), "schedule"),
    "fold_collector": ("assign room = (inflight_q < CREDIT_W'(OUT_DEPTH));",
                       "assign room = (inflight_q <= CREDIT_W'(OUT_DEPTH));", collect_params((12, 4, 3, 3)), "room"),
    "core_shell": ("assign vec_valid   = deser_valid && room;", "assign vec_valid   = deser_valid;",
                   shell_params((64, 64, 2, 4, 0, 8)), "result_refused"),
}


def run_block(sim: str, sources: list[Path], top: str, params: dict[str, int], tests: list[str], tag: str, seed: int,
              repro: str) -> tuple[int, int, list[str]]:
    """Build `sources` (the block first) with `top`, `params` and the protocol checkers, run `tests` from
    tb/benches/shared_blocks_tests.py in its own run folder; returns (tests run, tests failed, failure messages).
    A protocol-checker report in the log counts as a failure of every test."""
    require_simulator(sim)
    run_dir = RUN_ROOT / f"{tag}-{sim}"
    run_dir.mkdir(parents=True, exist_ok=True)
    runner, build_dir, _ = build(sim, [*sources, CHECKER_SOURCE], top, params, public={top: ["*"]}, quick=True,
                                 build_args=[f"-D{CHECK_DEFINE}"])
    env = {"PYTHONPATH": str(REPO_ROOT), "BLOCK_TOP": top, "BLOCK_PARAMS": json.dumps(params),
           "BLOCK_SEED": str(seed), "BLOCK_CYCLES": str(RANDOM_CYCLES), "BLOCK_REPRO": repro}
    n_tests, n_failed = run_cocotb(runner, build_dir, run_dir, "edgebench.tb.benches.shared_blocks_tests", top,
                                   env=env, testcase=tests, seed=seed)
    messages = failure_messages(run_dir)
    protocol = protocol_violations(run_dir / "sim.log")
    if protocol:
        n_failed, messages = n_tests, [*messages, *protocol[:4]]
    return n_tests, n_failed, messages


@pytest.mark.parametrize(("sim", "top", "params", "name"), SIM_CASES, ids=[f"{s}-{n}" for s, _, _, n in SIM_CASES])
def test_shared_block(sim: str, top: str, params: dict[str, int], name: str, seed: int,
                      repro: str) -> None:
    tests = TESTS[top]
    n_tests, n_failed, messages = run_block(sim, list(SOURCES[top]), top, params, tests, name, seed, repro)
    assert (n_tests, n_failed) == (len(tests), 0), (
        f"{top} {params} on {sim}, seed {seed}: {n_failed} of {n_tests} cocotb tests failed "
        f"(sim.log in {RUN_ROOT / f'{name}-{sim}'})\n" + "\n".join(messages) + f"\nreproduce: {repro}")


# ------------------------------------------------------------------------------------------------ mutants
# Icarus only: its builds take a fraction of a second, and which simulator runs a mutant does not change whether
# the tests see it.


@pytest.mark.parametrize("top", list(MUTANTS))
def test_bench_kills_mutant(top: str, seed: int, repro: str) -> None:
    """The mutant of MUTANTS[top], in a copy of the block: every test of its bench must fail, on the named check."""
    old, new, params, check = MUTANTS[top]
    source, *others = SOURCES[top]
    text = source.read_text()
    # The mutation must still match the RTL; otherwise this would silently test the unmutated block.
    assert text.count(old) == 1, f"{source.name}: mutation target {old!r} found {text.count(old)} times"
    mutant = RUN_ROOT / "mutants" / top / source.name
    mutant.parent.mkdir(parents=True, exist_ok=True)
    mutant.write_text(text.replace(old, new))
    tests = TESTS[top]
    n_tests, n_failed, messages = run_block("icarus", [mutant, *others], top, params, tests, f"mutant-{top}", seed,
                                            repro)
    assert (n_tests, n_failed) == (len(tests), len(tests)), (
        f"{top} mutant {new!r} not killed by every test, seed {seed}: {n_failed} of {n_tests} failed\n{messages}")
    assert all(check in failed_checks(m) for m in messages), f"killed, but not by the {check} check: {messages}"
