"""The toggle counter (tb/toggles.py) on a circuit with known toggles, on both simulators."""

import json
from pathlib import Path

import pytest

from golden.core import REPO_ROOT
from tb.runner import BUILD_ROOT
from tb.toggles import count_toggles
from tb.toolchain import SIMULATORS, ToolchainError, ensure_simulator

N_CYCLES = 256
WIDTH = 8


@pytest.mark.parametrize("sim", SIMULATORS)
def test_counter_bit_i_toggles_n_over_2_to_the_i(sim: str) -> None:
    try:
        ensure_simulator(sim)
    except ToolchainError as exc:
        pytest.fail(str(exc), pytrace=False)
    from cocotb_tools.runner import get_runner

    build_dir = BUILD_ROOT / f"toggle-counter-{sim}"
    window_file = build_dir / "window.json"
    runner = get_runner(sim)
    runner.build(sources=[REPO_ROOT / "tb" / "fixtures" / "toggle_counter.v"], hdl_toplevel="toggle_counter",
                 parameters={"W": WIDTH}, build_dir=build_dir, timescale=("1ns", "1ps"), waves=True, always=True,
                 build_args=["--trace-fst"] if sim == "verilator" else [], log_file=build_dir / "build.log")
    runner.test(test_module="tb.toggle_counter_tests", hdl_toplevel="toggle_counter", build_dir=build_dir,
                test_dir=build_dir, waves=True, timescale=("1ns", "1ps"), log_file=build_dir / "sim.log",
                extra_env={"TOGGLE_CYCLES": str(N_CYCLES), "TOGGLE_WINDOW": str(window_file),
                           "PYTHONPATH": str(REPO_ROOT)})
    window = json.loads(window_file.read_text())
    wave = build_dir / ("dump.fst" if sim == "verilator" else "toggle_counter.fst")
    nets = {n.name: n for n in count_toggles(wave, "toggle_counter", window["start_ps"], window["end_ps"])}
    for i in range(WIDTH):
        bit = nets.get(f"g_bit[{i}].b") or nets.get(f"g_bit({i}).b")
        assert bit is not None, f"bit net {i} not in the dump: {sorted(nets)}"
        assert bit.toggles == N_CYCLES >> i, f"bit {i}: {bit.toggles} toggles, expected {N_CYCLES >> i}"
    assert nets["count_q"].toggles == sum(N_CYCLES >> i for i in range(WIDTH))
    assert nets["clk"].toggles == 2 * N_CYCLES


def test_window_excludes_changes_outside(tmp_path: Path) -> None:
    """Changes before the window only set the starting value; changes after it are ignored."""
    sim_dir = BUILD_ROOT / "toggle-counter-icarus"
    wave = sim_dir / "toggle_counter.fst"
    if not wave.exists():
        pytest.skip("runs after the icarus counter test")
    window = json.loads((sim_dir / "window.json").read_text())
    half = (window["start_ps"] + window["end_ps"]) / 2
    full = {n.name: n.toggles for n in count_toggles(wave, "toggle_counter", window["start_ps"], window["end_ps"])}
    first = {n.name: n.toggles for n in count_toggles(wave, "toggle_counter", window["start_ps"], half)}
    assert first["g_bit[0].b"] == full["g_bit[0].b"] // 2
