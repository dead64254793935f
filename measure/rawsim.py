"""Plain Verilator C++ testbench for any core: the "raw" yardstick of simulation speed.

`edgebench simspeed` compares the cocotb + pyuvm harness (tb/runner.py, tb/uvm_env.py) with this: the same
configured core, verilated with a hand-written C++ main (tb/hdl/raw_tb.cpp) at -O3, no VPI, no `--public`, no
tracing, streaming vectors back to back with no idle cycles and no back-pressure. Only the streaming loop is
timed, so cycles/s here is what Verilator itself can do for that core.

    exe = build_raw(core, BUILD_ROOT / "raw" / "bnn-default")   # cached: rebuilt only when something changed
    run = run_raw(core, exe, bits, BUILD_ROOT / "raw" / "bnn-default" / "run")
    run.classes, run.scores, run.cycles_per_s, run.inferences_per_s

Nothing here checks results: the caller compares `classes` / `scores` with `core.golden(bits)`.
Build and run directories belong under sim_build/.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgebench.designs.core import REPO_ROOT, CoreBuild
from edgebench.tb.toolchain import FAST_MAKE_VARS, setup_verilator

RAW_TB = Path(__file__).resolve().parent.parent / "tb" / "hdl" / "raw_tb.cpp"
RAW_ROOT = REPO_ROOT / "sim_build" / "raw"  # default home of raw builds (see default_build_dir)
EXE_NAME = "raw_tb"
STAMP_NAME = "raw_tb.stamp.json"
OBJ_DIR_NAME = "obj"
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


class RawSimError(RuntimeError):
    """The raw testbench could not be built or run; the message names the log file."""


class RawBuildError(RawSimError):
    """Verilator or the C++ compiler failed."""


class RawRunError(RawSimError):
    """The raw executable failed or wrote nothing readable."""


@dataclass
class RawRun:
    cycles: int  # clock cycles of the timed loop (after reset)
    seconds: float  # steady_clock time of the timed loop only
    results: int  # results received
    timeout: bool  # max_cycles ran out before every result arrived
    classes: np.ndarray  # (results,) int64
    scores: np.ndarray | None  # (results, n_classes) int64, signed when the core's scores are; None without out_scores
    cycles_per_s: float
    inferences_per_s: float
    wall_s: float  # the whole process: start-up, $readmemh, loading beats, the loop, writing results


def default_build_dir(core: CoreBuild) -> Path:
    return RAW_ROOT / f"{core.design}-{core.config}"


def _tool_version(*cmd: str) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError:
        return "missing"
    return (out.stdout + out.stderr).strip()


def _param_value(value: object) -> str:
    return str(int(value)) if isinstance(value, bool) else str(value)


def _verilator_args(core: CoreBuild, obj_dir: Path, jobs: int) -> list[str]:
    make_vars = [arg for var in FAST_MAKE_VARS for arg in ("-MAKEFLAGS", var)]
    return [
        "verilator", "--cc", "--exe", "--build", "-j", str(jobs),
        "--top-module", core.toplevel, "-Wno-fatal", "--timescale", "1ns/1ps",
        *[f"-G{name}={_param_value(value)}" for name, value in core.parameters.items()],
        "-Mdir", str(obj_dir), "--prefix", "Vtop", "-o", EXE_NAME,
        "-CFLAGS", f"-DRAW_BUS_WIDTH={core.bus_width}",
        *make_vars,
        str(RAW_TB), *[str(source) for source in core.sources],
    ]


def _build_hash(core: CoreBuild, args: list[str], verilator_version: str) -> str:
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)

    add("raw_tb", RAW_TB.read_bytes())
    for source in core.sources:
        add(f"source {Path(source).resolve()}", Path(source).read_bytes())
    add("args", json.dumps(args).encode())  # toplevel, parameters (parameter file paths included), flags
    add("verilator", verilator_version.encode())
    add("g++", _tool_version("g++", "-dumpfullversion").encode())
    # the make variables that shape the binary (ccache, OBJCACHE=..., does not)
    make_flags = [flag for flag in os.environ.get("MAKEFLAGS", "").split() if not flag.startswith("OBJCACHE=")]
    add("MAKEFLAGS", " ".join(make_flags).encode())
    return digest.hexdigest()


def _read_stamp(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def build_raw(core: CoreBuild, build_dir: Path, *, jobs: int = 2) -> Path:
    """Verilate `core` with tb/hdl/raw_tb.cpp into `build_dir`; returns the executable.

    Rebuilds only when raw_tb.cpp, a source file, the parameters, the flags or the toolchain changed (a stamp
    file holds their hash). After a build only the executable and the stamp stay (objects and generated C++
    are deleted; build.log stays only when the build failed). Raises RawBuildError, ToolchainError.
    """
    verilator_version = setup_verilator()
    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    exe, stamp, log = build_dir / EXE_NAME, build_dir / STAMP_NAME, build_dir / "build.log"
    obj_dir = build_dir / OBJ_DIR_NAME
    args = _verilator_args(core, obj_dir, jobs)
    lock = os.open(build_dir, os.O_RDONLY)  # two processes building the same folder take turns
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        key = _build_hash(core, args, verilator_version)
        if exe.exists() and _read_stamp(stamp).get("hash") == key:
            return exe
        stamp.unlink(missing_ok=True)
        exe.unlink(missing_ok=True)
        shutil.rmtree(obj_dir, ignore_errors=True)
        start = time.perf_counter()
        with open(log, "w") as out:
            out.write(" ".join(args) + "\n")
            out.flush()
            try:
                proc = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, cwd=build_dir, check=False)
            except OSError as err:
                raise RawBuildError(f"cannot start verilator ({err}); log: {log}") from None
        built = obj_dir / EXE_NAME
        if proc.returncode != 0 or not built.exists():
            lines = log.read_text(errors="replace").splitlines()
            errors = [line for line in lines if "%Error" in line or "error:" in line]
            first = (errors[0] if errors else f"exit status {proc.returncode}").strip()[:200]
            raise RawBuildError(f"raw Verilator build of {core.design}/{core.config} failed ({first}); log: {log}")
        os.replace(built, exe)
        shutil.rmtree(obj_dir, ignore_errors=True)
        log.unlink(missing_ok=True)
        stamp.write_text(json.dumps({
            "hash": key, "design": core.design, "config": core.config, "toplevel": core.toplevel,
            "build_s": round(time.perf_counter() - start, 3), "verilator": verilator_version, "command": args,
        }, indent=1) + "\n")
    finally:
        os.close(lock)  # releases the lock
    return exe


def build_seconds(exe: Path) -> float | None:
    """Wall time of the build that made `exe` (from its stamp), None when unknown."""
    value = _read_stamp(Path(exe).parent / STAMP_NAME).get("build_s")
    return float(value) if value is not None else None


def write_beats(bits: np.ndarray, bus_width: int, path: Path) -> int:
    """Write vectors (N, input_bits) of 0/1 as raw_tb.cpp's beats file; returns the number of beats.

    Beat k of a vector carries bits [k*bus_width, (k+1)*bus_width), LSB first (golden.encoding.pack_beats);
    each line is the hex of (last << bus_width) | data.
    """
    bits = np.asarray(bits)
    if bits.ndim != 2 or bits.shape[1] < 1:
        raise ValueError(f"bits must be (n_vectors, input_bits), got shape {bits.shape}")
    if bus_width < 1:
        raise ValueError(f"bus_width must be >= 1, got {bus_width}")
    if bits.size and (bits.min() < 0 or bits.max() > 1):
        raise ValueError("bits must be 0 or 1")
    n, width = bits.shape
    n_beats = -(-width // bus_width)
    digits = -(-(bus_width + 1) // 4)
    # one row per beat: data bits, the last bit at bus_width, zeros up to whole hex digits
    padded = np.zeros((n, n_beats * bus_width), dtype=np.uint8)
    padded[:, :width] = bits
    rows = np.zeros((n, n_beats, digits * 4), dtype=np.uint8)
    rows[:, :, :bus_width] = padded.reshape(n, n_beats, bus_width)
    rows[:, -1, bus_width] = 1
    nibbles = rows.reshape(n * n_beats, digits, 4) @ np.array([1, 2, 4, 8], dtype=np.uint8)
    text = np.empty((n * n_beats, digits + 1), dtype=np.uint8)
    text[:, :digits] = _HEX[nibbles[:, ::-1]]  # most significant digit first
    text[:, digits] = ord("\n")
    Path(path).write_bytes(text.tobytes())
    return n * n_beats


def _decode_scores(hexes: list[str], n_classes: int, score_width: int, signed: bool) -> np.ndarray:
    n = len(hexes)
    if n == 0:
        return np.zeros((0, n_classes), dtype=np.int64)
    length = max(len(h) for h in hexes)
    if 4 * length < n_classes * score_width:
        raise RawRunError(f"out_scores has {4 * length} bits, expected {n_classes * score_width}")
    chars = np.frombuffer("".join(h.rjust(length, "0") for h in hexes).encode(), dtype=np.uint8).reshape(n, length)
    lookup = np.full(256, 255, dtype=np.uint8)
    lookup[_HEX] = np.arange(16, dtype=np.uint8)
    lookup[np.frombuffer(b"ABCDEF", dtype=np.uint8)] = np.arange(10, 16, dtype=np.uint8)
    nibbles = lookup[chars][:, ::-1]  # least significant digit first
    if (nibbles == 255).any():
        raise RawRunError("out_scores is not hex")
    bits = ((nibbles[:, :, None] >> np.arange(4, dtype=np.uint8)) & 1).reshape(n, 4 * length)
    fields = bits[:, : n_classes * score_width].reshape(n, n_classes, score_width).astype(np.int64)
    values = fields @ (np.int64(1) << np.arange(score_width, dtype=np.int64))
    if signed:
        values = np.where(values >= 1 << (score_width - 1), values - (1 << score_width), values)
    return values


def run_raw(core: CoreBuild, exe: Path, bits: np.ndarray, run_dir: Path, *,
            max_cycles: int | None = None) -> RawRun:
    """Stream `bits` (N, input_bits) through the raw executable in `run_dir`; returns what came out.

    `max_cycles` (default: 8x the cycles the vectors need at the larger of the II bound and the beat count,
    plus 100k) ends a hung run with timeout=True. Raises RawRunError when the process fails.
    """
    run_dir = Path(run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    beats_path, results_path, log = run_dir / "beats.hex", run_dir / "results.txt", run_dir / "run.log"
    n_vectors = len(bits)
    write_beats(bits, core.bus_width, beats_path)
    if max_cycles is None:
        beats_per_vector = -(-core.input_bits // core.bus_width)
        max_cycles = 8 * n_vectors * max(core.ii_bound, beats_per_vector) + 100_000
    results_path.unlink(missing_ok=True)
    cmd = [str(exe), f"+beats={beats_path}", f"+results={results_path}", f"+max_cycles={max_cycles}"]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=run_dir, check=False)
    except OSError as err:
        raise RawRunError(f"cannot start {exe} ({err})") from None
    wall_s = time.perf_counter() - start
    log.write_text(f"$ {' '.join(cmd)}\n--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}--- exit {proc.returncode}\n")
    summary = None
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            try:
                summary = json.loads(line)
            except ValueError:
                continue
            break
    # the model's own complaints (a missing $readmemh file only warns, and the memory reads as zero)
    problems = [line for line in (proc.stdout + proc.stderr).splitlines()
                if line.startswith("%Error") or "file not found" in line]
    if proc.returncode != 0 or summary is None or not results_path.exists() or problems:
        detail = (problems or proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1][:200]
        raise RawRunError(f"raw run of {core.design}/{core.config} failed ({detail}); log: {log}")
    tokens = results_path.read_text().split()
    per_line = 2 if core.score_width else 1
    if len(tokens) != per_line * summary["results"]:
        raise RawRunError(f"raw run of {core.design}/{core.config}: results file does not match "
                          f"{summary['results']} results; log: {log}")
    classes = np.array(tokens[0::per_line], dtype=np.int64)
    scores = None
    if core.score_width:
        scores = _decode_scores(tokens[1::2], core.n_classes, core.score_width, core.score_signed)
    seconds = float(summary["seconds"])
    cycles, results = int(summary["cycles"]), int(summary["results"])
    return RawRun(
        cycles=cycles, seconds=seconds, results=results, timeout=bool(summary["timeout"]), classes=classes,
        scores=scores, cycles_per_s=cycles / seconds if seconds > 0 else float("inf"),
        inferences_per_s=results / seconds if seconds > 0 else float("inf"), wall_s=wall_s,
    )
