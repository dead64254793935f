"""Toggle-based energy per inference, at RTL level and at gate level.

Window: N results after pipeline fill (results II_WARMUP .. II_WARMUP+N of a run with no idle cycles and no
back-pressure), N = min(64, 4096 cycles / II), from the first to the last of those results' valid cycles;
energy / (number of results in it).

Technology: 45 nm, 0.9 V, matching Horowitz (ISSCC 2014), whose figures are in shared/reference/accelerators.md
section 7. Switching energy per bit toggle is 1/2 C V^2 with the load capacitances below (first-order values for a
45 nm standard-cell library such as NanGate FreePDK45, where X1 gate input pins are ~1-1.6 fF):

  E_LOGIC_TOGGLE   combinational net (~2 gate inputs + local wire, ~3.6 fF)          1.5 fJ
  E_REG_TOGGLE     flip-flop output (Q net load + internal switching of the flop)   6.0 fJ
  E_CLOCK_PER_FF   clock pin + share of the clock tree, every flop, every cycle     1.5 fJ
  E_IO_TOGGLE      top-level port (bus wire to the neighbouring block, ~10 fF)      4.0 fJ
  E_MEM_ADDR/DATA  memory address/read-data net toggles count as register toggles (they are flop outputs
                   or feed the array decoders), the array access itself as below.
  Memory read      Horowitz 64-bit SRAM read: 10 pJ at 8 KB, 20 pJ at 32 KB (x2 per 4x size): modelled as
                   E_read = 10 pJ * (width / 64) * sqrt(bytes / 8192) per read port access; a read is a cycle
                   with the read port enabled (a constant-enable port reads every cycle).

Gate level (generic cells from tb/synth.py): every cell output toggle weighs E_CELL[type] (output load + internal,
scaled from the same capacitances), flops E_REG_TOGGLE plus the clock term; memories are mapped to logic there,
so its energy has no SRAM term: compare it with the RTL estimate's registers+logic+io part.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

from tb.toggles import NetToggles, count_toggles

V_DD = 0.9
E_LOGIC_TOGGLE_FJ = 1.5
E_REG_TOGGLE_FJ = 6.0
E_CLOCK_PER_FF_FJ = 1.5
E_IO_TOGGLE_FJ = 4.0
E_CELL_FJ = {  # generic cell output toggle, fJ
    "$_NOT_": 1.0, "$_BUF_": 1.0, "$_NAND_": 1.3, "$_NOR_": 1.3, "$_AND_": 1.6, "$_OR_": 1.6,
    "$_ANDNOT_": 1.6, "$_ORNOT_": 1.6, "$_XOR_": 2.2, "$_XNOR_": 2.2, "$_MUX_": 2.4,
}
FF_TYPES = ("$dff", "$dffe", "$sdff", "$sdffe", "$sdffce", "$adff", "$adffe", "$aldff", "$aldffe", "$dffsr",
            "$dffsre")
ENERGY_MODEL = {
    "technology": "45 nm, 0.9 V (Horowitz ISSCC 2014 reference point)",
    "e_logic_toggle_fj": E_LOGIC_TOGGLE_FJ, "e_reg_toggle_fj": E_REG_TOGGLE_FJ,
    "e_clock_per_ff_cycle_fj": E_CLOCK_PER_FF_FJ, "e_io_toggle_fj": E_IO_TOGGLE_FJ,
    "memory_read_pj": "10 * (width/64) * sqrt(bytes/8192)",
}


def memory_read_pj(width: int, depth: int) -> float:
    size_bytes = max(1.0, width * depth / 8)
    return 10.0 * (width / 64.0) * math.sqrt(size_bytes / 8192.0)


def _norm(name: str) -> str:
    return name.lstrip("\\").strip()


class NetClasses:
    """Which nets are flop outputs, memory ports or top-level ports, from Yosys' inferred (pre-mapping) netlist."""

    def __init__(self, inferred_json: Path, top: str) -> None:
        module = json.loads(inferred_json.read_text())["modules"][top]
        self.ports = set(module["ports"])
        bit_names: dict[int, list[str]] = defaultdict(list)
        name_bits: dict[str, list] = {}
        for name, net in module["netnames"].items():
            name_bits[_norm(name)] = net["bits"]
            for b in net["bits"]:
                if isinstance(b, int):
                    bit_names[b].append(_norm(name))
        ff_bits: set[int] = set()
        mem_bits: set[int] = set()
        self.memories = []
        for cell in module["cells"].values():
            conn = cell["connections"]
            if cell["type"] in FF_TYPES:
                ff_bits.update(b for b in conn["Q"] if isinstance(b, int))
            elif cell["type"] == "$mem_v2":
                for port in ("RD_DATA", "RD_ADDR"):
                    mem_bits.update(b for b in conn[port] if isinstance(b, int))
                width, size = int(cell["parameters"]["WIDTH"], 2), int(cell["parameters"]["SIZE"], 2)
                n_ports = int(cell["parameters"]["RD_PORTS"], 2)
                enables = []
                for p in range(n_ports):
                    en = conn["RD_EN"][p]
                    if en == "1":
                        enables.append(None)  # always enabled
                    else:
                        names = sorted(bit_names.get(en, []), key=len)
                        enables.append(names[0] if names else None)
                self.memories.append({"name": _norm(cell["parameters"]["MEMID"]), "width": width, "depth": size,
                                      "read_enables": enables})
        self.ff_names = {n for n, bits in name_bits.items() if bits and all(b in ff_bits for b in bits)}
        self.mem_names = {n for n, bits in name_bits.items() if bits and all(b in mem_bits for b in bits)}
        self.mem_names |= {m["name"] for m in self.memories}

    def classify(self, name: str) -> str:
        name = _norm(name)
        base = name.split("[")[0] if name not in self.ff_names else name
        if name in self.ports:
            return "io"
        if name in self.mem_names or base in self.mem_names:
            return "memory_ports"
        if name in self.ff_names or base in self.ff_names or any(n.startswith(name + "[") for n in ()):
            return "registers"
        return "logic"


def _high_cycles(wave: Path, top: str, signal_name: str, start_ps: float, end_ps: float, period_ps: float) -> float:
    """Cycles a 1-bit signal is high in the window (from its toggles: high time / period)."""
    import pywellen

    from tb.toggles import _as_int, _time_factor

    w = pywellen.Waveform(str(wave))
    f = _time_factor(w)
    for var in w.all_vars():
        if var.full_name.endswith(f"{top}.{signal_name}"):
            sig = var.signal
            high, prev_t, prev_v = 0.0, start_ps, 0
            for i in range(len(sig)):
                t, v = sig[i]
                t_ps = t / f
                if t_ps <= start_ps:
                    prev_v = _as_int(v) & 1
                    continue
                if t_ps > end_ps:
                    break
                high += (t_ps - prev_t) * prev_v
                prev_t, prev_v = t_ps, _as_int(v) & 1
            high += (end_ps - prev_t) * prev_v
            return high / period_ps
    raise KeyError(signal_name)


WINDOW_MAX_RESULTS = 64
WINDOW_MAX_CYCLES = 4096  # long-II designs get fewer results: the toggle parse is per net change, in Python


def steady_window(metrics: dict) -> tuple[float, float, int]:
    """(start_ps, end_ps, inferences) over results II_WARMUP.. of a streaming run: up to WINDOW_MAX_RESULTS
    results or WINDOW_MAX_CYCLES cycles, whichever is fewer (at least 4 results)."""
    from tb.uvm_env import II_WARMUP

    valid = metrics["valid_cycles"]
    ii = metrics.get("ii_cycles") or 1
    n_max = max(4, min(WINDOW_MAX_RESULTS, int(WINDOW_MAX_CYCLES // ii)))
    first = min(II_WARMUP, max(0, len(valid) - 2))
    last = min(len(valid) - 1, first + n_max)
    period_ps = metrics["clock_period_ns"] * 1e3
    origin_ps = metrics["origin_ns"] * 1e3
    # valid_cycles are sampled in ReadOnly after the edge that produced them: the window covers the edges
    # (first, last], each counted once.
    return origin_ps + valid[first] * period_ps, origin_ps + valid[last] * period_ps, last - first


def rtl_energy(wave: Path, top: str, metrics: dict, inferred_json: Path, ffs: int) -> dict:
    start, end, n_inf = steady_window(metrics)
    period_ps = metrics["clock_period_ns"] * 1e3
    cycles = (end - start) / period_ps
    classes = NetClasses(inferred_json, top)
    toggles: dict[str, int] = defaultdict(int)
    for net in count_toggles(wave, top, start, end):
        if net.name in ("clk",):
            continue
        toggles[classes.classify(net.name)] += net.toggles
    e_fj = {
        "registers": toggles["registers"] * E_REG_TOGGLE_FJ + ffs * cycles * E_CLOCK_PER_FF_FJ,
        "logic": toggles["logic"] * E_LOGIC_TOGGLE_FJ,
        "io": toggles["io"] * E_IO_TOGGLE_FJ,
        "memories": toggles["memory_ports"] * E_REG_TOGGLE_FJ,
    }
    reads = {}
    for mem in classes.memories:
        n_reads = 0.0
        for enable in mem["read_enables"]:
            n_reads += cycles if enable is None else _high_cycles(wave, top, enable, start, end, period_ps)
        reads[mem["name"]] = round(n_reads / n_inf, 2)
        e_fj["memories"] += n_reads * memory_read_pj(mem["width"], mem["depth"]) * 1e3
    per_inf = {k: v / n_inf / 1e3 for k, v in e_fj.items()}  # pJ
    total = sum(per_inf.values())
    return {
        "energy_pj_per_inf": round(total, 3),
        "inferences_per_joule": round(1e12 / total, 1) if total else None,
        "energy_breakdown_pj": {k: round(v, 3) for k, v in per_inf.items()},
        "toggles_per_inf": {k: round(v / n_inf, 1) for k, v in toggles.items()},
        "memory_reads_per_inf": reads,
        "energy_window": {"inferences": n_inf, "cycles": round(cycles, 1)},
    }


def gate_energy(wave: Path, top: str, metrics: dict, netlist_json: Path, ffs: int) -> dict:
    start, end, n_inf = steady_window(metrics)
    cycles = (end - start) / (metrics["clock_period_ns"] * 1e3)
    module = json.loads(netlist_json.read_text())["modules"][top]
    driver: dict[int, str] = {}
    for cell in module["cells"].values():
        for port, direction in cell["port_directions"].items():
            if direction == "output":
                for b in cell["connections"][port]:
                    if isinstance(b, int):
                        driver[b] = cell["type"]
    name_bits = {_norm(n): net["bits"] for n, net in module["netnames"].items()}
    ports = set(module["ports"])
    total_fj = ffs * cycles * E_CLOCK_PER_FF_FJ
    by_kind: dict[str, float] = defaultdict(float)
    nets: list[NetToggles] = count_toggles(wave, top, start, end)
    for net in nets:
        name = _norm(net.name)
        if name == "clk":
            continue
        bits = name_bits.get(name, [])
        kinds = [driver.get(b, "") for b in bits if isinstance(b, int)]
        kind = max(set(kinds), key=kinds.count) if kinds else ""
        if name in ports:
            e = E_IO_TOGGLE_FJ
        elif "DFF" in kind:
            e = E_REG_TOGGLE_FJ
        else:
            e = E_CELL_FJ.get(kind, E_LOGIC_TOGGLE_FJ)
        by_kind["registers" if "DFF" in kind else "io" if name in ports else "logic"] += net.toggles * e
        total_fj += net.toggles * e
    by_kind["registers"] += ffs * cycles * E_CLOCK_PER_FF_FJ
    return {
        "gate_energy_pj_per_inf": round(total_fj / n_inf / 1e3, 3),
        "gate_energy_breakdown_pj": {k: round(v / n_inf / 1e3, 3) for k, v in by_kind.items()},
    }
