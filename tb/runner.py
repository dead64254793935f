"""Prepare one configured core and simulate it with cocotb's Python runner.

Used by the pytest wrappers (tests/test_*.py) and by `edgebench bench`. Each (design, config, simulator,
purpose) gets its own build directory, so `pytest -n auto` can build several at once.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from edgebench.designs.core import REPO_ROOT, CoreBuild
from edgebench.designs.registry import get_design
from edgebench.golden.datasets import load_dataset
from edgebench.golden.modelfile import CACHE_DIR
from edgebench.tb.builds import BuildError, build, relative_parameters, run_cocotb
from edgebench.tb.harness import (
    CHECK_DEFINE,
    CHECKER_SOURCE,
    HARNESS_SOURCE,
    TOP,
    beats_address_width,
    protocol_violations,
    top_source,
)
from edgebench.tb.records import TestRecord, load_records
from edgebench.tb.toolchain import check_fst_headers, ensure_simulator
from edgebench.tb.vectors import SimSpec, VectorSet, save_sets

BUILD_ROOT = REPO_ROOT / "sim_build"
TESTS_MODULE = "edgebench.tb.stream_tests"
ALL_TESTS = ("DatasetStreaming", "DatasetStalls", "RandomStreaming", "RandomStalls", "CornerStreaming",
             "CornerStalls")
LONG_TEST = "LongStalls"  # runs the "long" vector set (make_vector_sets' n_long) under stalls
RESET_TEST = "ResetMidStream"  # reset part-way through the dataset sequence (HDL-driven only)
FRAMES_TEST = "FrameVariants"  # short frames and frames without in_last, under stalls (HDL-driven only)
# what tb/checks.check_core (and a mutant's kill check) runs
CHECK_TESTS = (*ALL_TESTS, LONG_TEST, RESET_TEST, FRAMES_TEST)


class SimulationError(RuntimeError):
    """The RTL did not build or the simulator did not start; the message names the log file."""


@dataclass
class SimResult:
    core: CoreBuild
    sim: str
    tests: int
    failed: int
    records: dict[str, TestRecord]  # per cocotb test that reported: mismatches, latency, II, time stamps, ...
    golden_accuracy: float
    n_dataset: int
    tool_versions: dict
    sim_wall_s: float
    build_wall_s: float
    build_dir: Path
    wave: Path | None = None  # FST of the whole run when waves=True
    synth: dict | None = None  # synthesis figures (measure/synth.synthesize) when gate_level=True
    exe_dir: Path | None = None  # the simulator build this run used (tb/builds.py)
    protocol_violations: list[str] = field(default_factory=list)  # stream_protocol_checker lines of the log

    @property
    def sim_log(self) -> Path:
        return self.build_dir / "sim.log"


def corner_vectors(input_bits: int) -> np.ndarray:
    """All-zeros, all-ones and both alternating patterns."""
    alternating = np.arange(input_bits) % 2
    return np.stack([np.zeros(input_bits), np.ones(input_bits), alternating, 1 - alternating]).astype(np.uint8)


FRAME_VECTORS = 32  # the "frames" set: random vectors framed three ways (make_frames)


def make_frames(input_bits: int, bus_width: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Random vectors, each framed one of three ways the stream interface allows (rtl/README.md): every beat with
    in_last on the final one; every beat without in_last (the vector ends by its beat count); a short frame of
    1..beats-1 beats ending with in_last (vectors of one beat cannot be short). The bits a short frame never sends
    are zero, as the core reads them. Returns (bits, beats sent, in_last on the final beat sent)."""
    n_beats = -(-input_bits // bus_width)
    bits = rng.integers(0, 2, size=(n, input_bits), dtype=np.uint8)
    kinds = rng.integers(0, 3 if n_beats > 1 else 2, size=n)  # 0 full + in_last, 1 full without, 2 short
    sent = np.where(kinds == 2, rng.integers(1, max(2, n_beats), size=n), n_beats)
    bits[np.arange(input_bits)[None, :] >= (sent * bus_width)[:, None]] = 0
    return bits, sent, (kinds != 1).astype(np.uint8)


def make_vector_sets(core: CoreBuild, x: np.ndarray, y: np.ndarray, n_random: int, seed: int,
                     n_long: int = 0) -> list[VectorSet]:
    """dataset (with labels), random bits, corner patterns, `n_long` vectors for long runs (the dataset's vectors
    and random ones, half each, in a seeded order), and random vectors in every framing (make_frames)."""
    rng = np.random.default_rng(seed)
    encoded = core.encode(x)
    random_bits = rng.integers(0, 2, size=(n_random, core.input_bits), dtype=np.uint8)
    tiled = np.resize(encoded, (n_long - n_long // 2, core.input_bits))
    long = np.concatenate([tiled, rng.integers(0, 2, size=(n_long // 2, core.input_bits), dtype=np.uint8)])
    inputs = {
        "dataset": (encoded, y),
        "random": (random_bits, None),
        "corner": (corner_vectors(core.input_bits), None),
        "long": (long[rng.permutation(n_long)], None),
    }
    sets = []
    for name, (bits, labels) in inputs.items():
        classes, scores = core.golden(bits)  # every golden model takes an empty batch (an unused long set)
        if labels is None:
            labels = np.full(len(bits), -1)
        sets.append(VectorSet(name, bits, classes, scores if core.score_width else None, labels))
    # its own random stream: the other sets stay what they were for a seed
    bits, sent, last = make_frames(core.input_bits, core.bus_width, FRAME_VECTORS, np.random.default_rng([seed, 2]))
    classes, scores = core.golden(bits)
    sets.append(VectorSet("frames", bits, classes, scores if core.score_width else None, np.full(len(bits), -1),
                          sent, last))
    return sets


def simulate(
    design: str,
    config: str,
    sim: str,
    *,
    dataset: str = "digits",
    n: int | None = None,
    n_random: int = 16,
    n_long: int | Callable[[CoreBuild], int] = 0,
    seed: int = 1,
    tests: tuple[str, ...] = ALL_TESTS,
    tag: str = "test",
    waves: bool = False,
    gate_level: bool = False,
    synth: dict | None = None,
    drive: str = "hdl",
    quick_build: bool = False,
    source_override: dict[Path, Path] | None = None,
    checks: bool | None = None,
) -> SimResult:
    """Build and run `tests` of the shared environment on one core; never raises on a failing test
    (the caller asserts on `failed` and `records`), raises ToolchainError / ValueError on bad set-up.

    gate_level: simulate Yosys' generic-cell netlist of the configuration instead of its RTL; `synth` is an earlier
    measure/synth.synthesize() result of the same configuration whose netlist to reuse (else it is synthesized).

    drive="hdl": the HDL harness runs the stream at the simulator's speed (tb/harness.py); "python": cocotb drives
    and samples every cycle (for tests that react to the core cycle by cycle).
    checks: bind a valid/ready protocol checker to every stream of the core (tb/hdl/stream_protocol_checker.v);
    by default on, except in runs that dump waves for energy (the checkers' own nets would be counted).
    source_override maps RTL files to stand-ins (a mutant, `edgebench mutants`): the core is built from them.
    n_long: vectors of the long run, or a function of the built core that gives them."""
    if drive not in ("hdl", "python"):
        raise ValueError(f"drive must be 'hdl' or 'python', got {drive!r}")
    if synth is not None and not gate_level:
        raise ValueError("synth= gives the netlist of a gate-level run: pass gate_level=True with it")
    versions = ensure_simulator(sim)
    data = load_dataset(dataset)
    run_dir = BUILD_ROOT / f"{design}-{config}-{data.name}-{sim}-{tag}"
    run_dir.mkdir(parents=True, exist_ok=True)
    core = get_design(design).build(config, data, run_dir / "params", CACHE_DIR)
    if source_override:
        core = replace(core, sources=[source_override.get(path, path) for path in core.sources])
    synth_info = None
    if gate_level:
        # Simulate Yosys' generic-cell netlist of this very configuration instead of the RTL.
        from edgebench.measure.synth import simcells_path, synthesize

        synth_info = synth if synth is not None else synthesize(core, run_dir / "synth", fpga=())
        core = replace(core, sources=[Path(synth_info["netlist"]), simcells_path()], parameters={})
    x, y = data.x_test, data.y_test
    if n is not None:
        if n < 1:
            raise ValueError(f"-n must be >= 1, got {n}")
        x, y = x[:n], y[:n]
    if callable(n_long):  # sized by the built core (its II bound)
        n_long = n_long(core)
    sets = make_vector_sets(core, x, y, n_random, seed, n_long)
    golden_accuracy = float(np.mean(sets[0].classes == y))
    # the longest stream one test sends (every beat of every vector of its set, at most; a frame may end early)
    beats_per_vector = -(-core.input_bits // core.bus_width)
    beats_aw = beats_address_width(max(len(s) for s in sets) * beats_per_vector)
    spec = SimSpec(
        design=design, config=config, bus_width=core.bus_width, input_bits=core.input_bits,
        n_classes=core.n_classes, score_width=core.score_width, score_signed=core.score_signed,
        ii_bound=core.ii_bound, seed=seed, drive=drive,
        run_dir=str(run_dir), records_dir=str(run_dir / "records"), vectors_path=str(run_dir / "vectors.npz"),
        beats_aw=beats_aw,
    )
    save_sets(Path(spec.vectors_path), sets)
    spec.save(run_dir / "spec.json")
    shutil.rmtree(spec.records_dir, ignore_errors=True)  # only this run's tests report
    Path(spec.records_dir).mkdir()

    logging.getLogger("cocotb").setLevel(logging.WARNING)
    start = time.perf_counter()
    build_args: list[str] = []
    if sim == "verilator" and waves:
        check_fst_headers()
        build_args += ["--trace-fst"]
    if gate_level and sim == "verilator":
        build_args += ["-Wno-lint", "-Wno-style"]
    checks = (not waves and not gate_level) if checks is None else checks
    checker_sources = [CHECKER_SOURCE] if checks else []
    if checks:
        build_args += [f"-D{CHECK_DEFINE}"]
    # model files by paths relative to the run directory: one build serves every run and every retraining
    parameters = relative_parameters(core.parameters, run_dir)
    if drive == "hdl":
        top_file = run_dir / f"{TOP}.v"
        top_file.write_text(top_source(core, parameters, checks, beats_aw))
        sources, top, parameters, public = [*core.sources, *checker_sources, HARNESS_SOURCE, top_file], TOP, {}, None
    else:
        sources, top, public = [*core.sources, *checker_sources], core.toplevel, {core.toplevel: ["*"]}
    try:
        runner, exe_dir, _ = build(sim, sources, top, parameters, public=public, waves=waves,
                                   timing=drive == "hdl", build_args=build_args, tool_versions=versions,
                                   quick=quick_build)
    except BuildError as exc:
        raise SimulationError(f"{design}/{config}: {exc}") from None
    built = time.perf_counter()
    env_spec = {"EDGEBENCH_SPEC": str(run_dir / "spec.json"), "PYTHONPATH": str(REPO_ROOT),
                # cocotb rewrites the asserts of every imported module at start-up; only the tests need it
                "COCOTB_REWRITE_ASSERTION_FILES": "tb/uvm_env.py"}
    # Icarus' dump module names the build folder, which other runs share: this run's own file instead
    plusargs = [f"+dumpfile_path={run_dir / f'{top}.fst'}"] if waves and sim == "icarus" else []
    n_tests, n_failed = run_cocotb(runner, exe_dir, run_dir, TESTS_MODULE, top, env=env_spec, testcase=tests,
                                   seed=seed, waves=waves, plusargs=plusargs)
    done = time.perf_counter()
    records = load_records(Path(spec.records_dir))
    wave = None
    if waves:
        wave = run_dir / ("dump.fst" if sim == "verilator" else f"{top}.fst")
    result = SimResult(core, sim, n_tests, n_failed, records, golden_accuracy, len(x), versions,
                       round(done - built, 3), round(built - start, 3), run_dir, wave, synth_info, exe_dir)
    if checks:
        result.protocol_violations = protocol_violations(result.sim_log)
    return result
