"""`edgebench simspeed`: how fast the harness simulates a core, against what the simulator can do at all.

Per design and simulator, on the same vectors (the test split tiled and random bits, half each):
- harness: the cocotb + pyuvm environment, HDL-driven (tb/hdl/stream_harness.v), every result checked against golden;
  cycles of the run over the wall time between `start` and `done` (start-up is reported apart);
- raw: Verilator -> the plain C++ testbench (measure/rawsim.py); Icarus -> the same harness without cocotb (`vvp
  +autostart`), the simulator running the same HDL testbench on its own;
- golden: the NumPy model's inferences per second on the same vectors.
Harness and raw runs alternate (`--repeats` times), so a busy machine slows both alike; medians are reported.
"""

from __future__ import annotations

import datetime
import json
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np

from edgebench.tb.builds import build_seconds as harness_build_seconds
from edgebench.tb.harness import read_results
from edgebench.tb.records import TestRecord
from edgebench.tb.runner import BUILD_ROOT, SimResult, simulate
from edgebench.tb.vectors import load_set

DEFAULT_VECTORS = {"verilator": 10_000, "icarus": 200}  # Icarus runs some cores at ~1 k cycles/s
TEST = "LongStreaming"


def _harness_run(design: str, config: str, sim: str, n_vectors: int, seed: int) -> tuple[SimResult, TestRecord]:
    result = simulate(design, config, sim, n=16, n_random=1, n_long=n_vectors, seed=seed, tests=(TEST,),
                      tag="simspeed")
    record = result.records.get(TEST)
    if record is None or result.failed or record.mismatches or record.compared != n_vectors:
        raise RuntimeError(f"{design}/{config} on {sim}: the harness run failed or mismatched; log: {result.sim_log}")
    return result, record


def _icarus_raw(result: SimResult) -> tuple[int, float]:
    """The harness build run by vvp alone on the files the harness run left (cycles, seconds)."""
    exe = result.exe_dir / "sim.vvp"
    start = time.perf_counter()
    proc = subprocess.run(["vvp", "-n", str(exe), "+autostart"], cwd=result.build_dir, capture_output=True,
                          text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"vvp {exe} +autostart failed: {proc.stderr.strip()[-200:]}")
    return read_results(result.build_dir).cycles, seconds


def measure(design: str, config: str, sim: str, *, n_vectors: int, repeats: int, seed: int) -> dict:
    from edgebench.measure.rawsim import build_raw, build_seconds, run_raw

    harness_rates, raw_rates, startups, raw_seconds, raw_cycles = [], [], [], [], None
    result = record = None
    build_s = raw_build_s = None
    exe = None
    for i in range(repeats):
        result, record = _harness_run(design, config, sim, n_vectors, seed)
        if i == 0:
            build_s = harness_build_seconds(result.exe_dir)
            bits = load_set(result.build_dir / "vectors.npz", "long").bits
        harness_rates.append(record.sim_cycles / record.hdl_run_s)
        startups.append(result.sim_wall_s - record.hdl_run_s)
        if sim == "verilator":
            if exe is None:
                started = time.perf_counter()
                exe = build_raw(result.core, BUILD_ROOT / "raw" / f"{design}-{config}")
                raw_build_s = build_seconds(exe) or round(time.perf_counter() - started, 3)
            raw = run_raw(result.core, exe, bits, BUILD_ROOT / "raw" / f"{design}-{config}" / "run")
            expected, _ = result.core.golden(bits)
            if raw.timeout or not np.array_equal(raw.classes, expected):
                raise RuntimeError(f"{design}/{config}: the raw testbench's classes differ from golden")
            cycles, seconds = raw.cycles, raw.seconds
        else:
            cycles, seconds = _icarus_raw(result)
        raw_cycles = cycles
        raw_rates.append(cycles / seconds)
        raw_seconds.append(seconds)
    golden_times = []
    for _ in range(max(3, repeats)):
        started = time.perf_counter()
        result.core.golden(bits)
        golden_times.append(time.perf_counter() - started)
    harness, raw = statistics.median(harness_rates), statistics.median(raw_rates)
    return {
        "design": design, "config": config, "simulator": sim, "vectors": n_vectors, "repeats": repeats,
        "harness_cycles": record.sim_cycles, "raw_cycles": raw_cycles,
        "harness_cycles_per_s": round(harness), "raw_cycles_per_s": round(raw), "ratio": round(harness / raw, 3),
        "harness_cycles_per_s_runs": [round(r) for r in harness_rates],
        "raw_cycles_per_s_runs": [round(r) for r in raw_rates],
        "harness_inferences_per_s": round(n_vectors * harness / record.sim_cycles),
        "raw_inferences_per_s": round(n_vectors / statistics.median(raw_seconds)),
        "golden_inferences_per_s": round(n_vectors / min(golden_times)),
        "build_s": build_s, "raw_build_s": raw_build_s,
        "startup_s": round(statistics.median(startups), 3),
        "raw_yardstick": "plain Verilator C++ testbench (tb/hdl/raw_tb.cpp), -O3" if sim == "verilator"
        else "the same HDL harness run by vvp without cocotb (+autostart)",
    }


def write(out: Path, rows: list[dict], command: str) -> Path:
    """Merge rows into out/simspeed.json (keyed design/config/simulator), so designs can be measured one by one."""
    path = out / "simspeed.json"
    data = json.loads(path.read_text()) if path.exists() else {"runs": {}}
    for row in rows:
        row = {**row, "command": command, "date": datetime.date.today().isoformat()}
        data["runs"][f"{row['design']}/{row['config']}/{row['simulator']}"] = row
    out.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(path)
    return path
