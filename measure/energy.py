"""Toggle-based energy per inference, at RTL level and at gate level, with a memory model by physical bank.

Window (SteadyWindow, from one test's TestRecord by `steady_window`): N results after pipeline fill (results
II_WARMUP .. II_WARMUP+N of a run with no idle cycles and no back-pressure), N = min(64, 4096 cycles / II), from the
first to the last of those results' valid cycles; energy / (number of results in it).

Technology: 45 nm, 0.9 V, the operating point of Horowitz, "Computing's energy problem", ISSCC 2014 (the source
of every published per-operation figure the seed papers compare against). Switching energy per bit toggle is
1/2 C V^2 with first-order load capacitances of a 45 nm standard-cell library (X1 input pins ~1-1.6 fF):

  E_LOGIC_TOGGLE   combinational net (~2 gate inputs + local wire, ~3.6 fF)          1.5 fJ
  E_REG_TOGGLE     flip-flop output (Q net load + internal switching of the flop)   6.0 fJ
  E_CLOCK_PER_FF   clock pin + share of the clock tree, every flop, every cycle     1.5 fJ
  E_IO_TOGGLE      top-level port (bus wire to the neighbouring block, ~10 fF)      4.0 fJ

Every net bit is counted once (measure/toggles.py merges aliases by Yosys bit identity) and classed by what drives it
in Yosys' flattened coarse netlist (`inferred.json`): flop output -> registers, top-level port -> io, memory
address/data port -> memories (weighted as register toggles), anything else -> logic.

Memories (`memory_banks`), the same rules for every design, read from the coarse netlist:
  1. A read port whose address is constant (all address bits constant, e.g. a ROM indexed by a genvar) is
     folded into wiring/constants by synthesis: no access energy.
  2. Every other port is its own physical bank: it can reach 2^(non-constant address bits) words (capped at the
     memory's size), so an array that the RTL addresses as {unit, local address} is charged as one bank per unit.
     A word wider than 64 bits is split into side-by-side slices of at most 64 bits (no macro reads 8 kbit words).
  3. A slice of at least SRAM_MIN_BITS (16 kbit) with a registered read is an SRAM macro:
     E = 10 pJ * (w/64) * sqrt(bytes/8 KB) per access, the square-root law through Horowitz' 45 nm 64-bit reads
     (8 KB 10 pJ, 32 KB 20 pJ; it gives 113 pJ at 1 MB against his 100 pJ). Smaller slices are standard-cell
     memory (flop/latch array, or ROM in logic): one-hot word select and an OR tree,
     E = E_LOGIC * (w * (log2(D)/2 + 1) + 2 * log2(D)) per access (two word lines switch, half of the log2(D)
     OR levels of each bit toggle, the decoder switches 2 log2(D) nets). The threshold is our assumption: below
     a few kbit per bank, real flows use register files or logic (FPGA tools: LUT-RAM or logic), and the
     square-root law is fitted on 8 KB-1 MB only. A combinational (asynchronous) read port is a register file
     or logic whatever its size: no SRAM macro reads that way.
  4. Accesses are the cycles the port's enable is high in the window (a constant 1 every cycle, a constant 0 never;
     an enable no net names or the waveform lacks: every cycle, an upper bound listed in
     `memory_enables_not_in_dump`).

Headline `energy_pj_per_inf` uses rule 3 as stated ("size" policy). Inference-only tables can be built either way,
so two alternatives are reported beside it: `tables_in_sram` (every registered-read bank of a read-only table an
SRAM macro, whatever its size) and `memories_as_logic` (every bank standard-cell/ROM logic, which is what the
gate-level netlist builds).

Gate level (generic cells from measure/synth.py, memories mapped to logic): every cell output toggle weighs
E_CELL[type], flops E_REG_TOGGLE plus the clock term. `rtl_gate_energy_ratio` compares the RTL estimate under the
`memories_as_logic` policy with it (both then describe the same circuit); a ratio outside
[1/ENERGY_WARN_FACTOR, ENERGY_WARN_FACTOR] is reported in `energy_warnings`.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from edgebench.measure.toggles import NetToggles, count_toggles

if TYPE_CHECKING:
    from edgebench.tb.records import TestRecord

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
SRAM_MIN_BITS = 16384
MACRO_MAX_WIDTH = 64
ENERGY_WARN_FACTOR = 2.0
POLICIES = ("size", "tables_in_sram", "memories_as_logic")
ENERGY_MODEL = {
    "technology": "45 nm, 0.9 V (Horowitz ISSCC 2014 reference point)",
    "e_logic_toggle_fj": E_LOGIC_TOGGLE_FJ, "e_reg_toggle_fj": E_REG_TOGGLE_FJ,
    "e_clock_per_ff_cycle_fj": E_CLOCK_PER_FF_FJ, "e_io_toggle_fj": E_IO_TOGGLE_FJ,
    "memory_banks": "one bank per port x constant high address bits x 64-bit slice; constant address = no access",
    "sram_access_pj": f"10 * (w/64) * sqrt(w*words/8/8192), slices >= {SRAM_MIN_BITS} bits",
    "logic_memory_access_fj": f"{E_LOGIC_TOGGLE_FJ} * (w*(log2(words)/2+1) + 2*log2(words)), slices < "
                              f"{SRAM_MIN_BITS} bits",
    "headline_policy": "size",
    "warn_factor": ENERGY_WARN_FACTOR,
}


def _norm(name: str) -> str:
    return name.lstrip("\\").strip()


def slice_widths(width: int) -> list[int]:
    """A word split into ceil(width / 64) slices as equal as possible."""
    n = max(1, -(-width // MACRO_MAX_WIDTH))
    return [width // n + (1 if i < width % n else 0) for i in range(n)]


def sram_access_pj(width: int, words: int) -> float:
    return 10.0 * (width / 64.0) * math.sqrt(width * words / 8 / 8192.0)


def logic_access_pj(width: int, words: int) -> float:
    levels = math.log2(words) if words > 1 else 0.0
    return E_LOGIC_TOGGLE_FJ * (width * (levels / 2 + 1) + 2 * levels) / 1e3


@dataclass(frozen=True)
class MemoryPort:
    """One read or write port of a memory in the coarse netlist, i.e. one physical bank."""

    memory: str
    access: str  # "read" | "write"
    port: int
    width: int
    words: int  # words this port can reach
    memory_words: int
    writable: bool
    constant_address: bool
    sync_read: bool  # a registered read (writes count as synchronous)
    # True: a constant 1 (every cycle); False: a constant 0 or x (never); else the candidate net names of the
    # enable bit, which may be none at all (a bit no net names: it cannot be found in the waveform)
    enable: bool | tuple[str, ...]

    def slice_kinds(self, policy: str = "size") -> list[tuple[int, str]]:
        """(width, 'sram' | 'logic') per 64-bit slice, or [] when the access costs nothing."""
        if self.constant_address:
            return []
        out = []
        for w in slice_widths(self.width):
            if not self.sync_read or policy == "memories_as_logic":
                kind = "logic"  # an SRAM macro reads through a register: a combinational read is logic
            elif policy == "tables_in_sram" and not self.writable:
                kind = "sram"
            else:
                kind = "sram" if w * self.words >= SRAM_MIN_BITS else "logic"
            out.append((w, kind))
        return out

    def access_pj(self, policy: str = "size") -> float:
        total = 0.0
        for w, kind in self.slice_kinds(policy):
            total += sram_access_pj(w, self.words) if kind == "sram" else logic_access_pj(w, self.words)
        return total

    def kind(self, policy: str = "size") -> str:
        kinds = {k for _, k in self.slice_kinds(policy)}
        return "constant" if not kinds else "+".join(sorted(kinds))


def _param_int(cell: dict, name: str) -> int:
    value = cell["parameters"].get(name, "0")
    return int(value, 2) if isinstance(value, str) else int(value)


class Netlist:
    """The flattened coarse netlist (`inferred.json`): bit classes for toggles and the memories' ports."""

    def __init__(self, inferred_json: Path, top: str) -> None:
        module = json.loads(Path(inferred_json).read_text())["modules"][top]
        self.bit_names: dict[int, list[str]] = defaultdict(list)
        self.name_bits: dict[str, list] = {}
        for name, net in module["netnames"].items():
            self.name_bits[_norm(name)] = net["bits"]
            for b in net["bits"]:
                if isinstance(b, int):
                    self.bit_names[b].append(_norm(name))
        self.port_bits = {b for p in module["ports"].values() for b in p["bits"] if isinstance(b, int)}
        self.ports = set(module["ports"])
        self.ff_bits: set[int] = set()
        self.mem_bits: set[int] = set()
        self.ports_of_memories: list[MemoryPort] = []
        # bits that are another bit under a new name: $pos/$buf, and $mux(A=0, B=1, S) as `proc` writes enables
        self.same_as: dict[int, object] = {}
        for cell in module["cells"].values():
            conn = cell["connections"]
            if cell["type"] == "$mux" and conn["A"] == ["0"] and conn["B"] == ["1"]:
                self.same_as[conn["Y"][0]] = conn["S"][0]
            elif cell["type"] in ("$pos", "$buf") and len(conn["A"]) == len(conn["Y"]):
                self.same_as.update(zip(conn["Y"], conn["A"], strict=True))
        for cell in module["cells"].values():
            conn = cell["connections"]
            if cell["type"] in FF_TYPES:
                self.ff_bits.update(b for b in conn["Q"] if isinstance(b, int))
            elif cell["type"] == "$mem_v2":
                for port in ("RD_DATA", "RD_ADDR", "WR_ADDR", "WR_DATA"):
                    self.mem_bits.update(b for b in conn.get(port, []) if isinstance(b, int))
                self.ports_of_memories += self._memory_ports(cell)
        self.memory_names = {p.memory for p in self.ports_of_memories}

    def _enable(self, bit: object) -> bool | tuple[str, ...]:
        for _ in range(8):
            if bit not in self.same_as:
                break
            bit = self.same_as[bit]
        if bit == "1":
            return True
        if isinstance(bit, str):  # constant 0 / x: never enabled
            return False
        names = sorted(self.bit_names.get(bit, []), key=lambda n: ("$" in n, len(n)))
        # the name and the position of this bit in it, e.g. ("u_l0.rd_en", 0)
        out = []
        for n in names:
            idx = self.name_bits[n].index(bit)
            out.append(n if len(self.name_bits[n]) == 1 else f"{n}[{idx}]")
        return tuple(out)

    def _memory_ports(self, cell: dict) -> list[MemoryPort]:
        conn = cell["connections"]
        name = _norm(cell["parameters"]["MEMID"])
        width, size, abits = _param_int(cell, "WIDTH"), _param_int(cell, "SIZE"), _param_int(cell, "ABITS")
        n_rd, n_wr = _param_int(cell, "RD_PORTS"), _param_int(cell, "WR_PORTS")
        rd_clocked = str(cell["parameters"].get("RD_CLK_ENABLE", "0")).rjust(max(1, n_rd), "0")[::-1]
        ports = []
        for access, n, addr_key, en_key in (("read", n_rd, "RD_ADDR", "RD_EN"), ("write", n_wr, "WR_ADDR", "WR_EN")):
            for p in range(n):
                addr = conn[addr_key][p * abits:(p + 1) * abits]
                free = sum(1 for b in addr if isinstance(b, int))
                en_bits = conn[en_key]
                en_bit = en_bits[p] if access == "read" else en_bits[p * width]
                ports.append(MemoryPort(
                    memory=name, access=access, port=p, width=width, words=min(size, 1 << free), memory_words=size,
                    writable=n_wr > 0, constant_address=free == 0, enable=self._enable(en_bit),
                    sync_read=access == "write" or rd_clocked[p] == "1",
                ))
        return ports

    def bit_class(self, bit: int) -> str:
        if bit in self.port_bits:
            return "io"
        if bit in self.ff_bits:
            return "registers"
        if bit in self.mem_bits:
            return "memory_ports"
        return "logic"

    def classify(self, net: NetToggles) -> str:
        bits = [b for b in (net.bits or self.name_bits.get(_norm(net.name), [])) if isinstance(b, int)]
        if bits:
            classes = [self.bit_class(b) for b in bits]
            return max(sorted(set(classes)), key=classes.count)  # sorted: a tie goes the same way every run
        name = _norm(net.name)
        if name.split("[")[0].rstrip(".") in self.memory_names:
            return "memory_ports"  # a memory's words (Verilator dumps unpacked arrays): stored bits, flop-like
        return "io" if name in self.ports else "logic"


def high_cycles(wave: Path, top: str, names: dict[str, tuple[str, ...]], start_ps: float, end_ps: float,
                period_ps: float) -> dict[str, float | None]:
    """Cycles each 1-bit signal is high in the window (high time / period); key -> None when none of its
    candidate names (a name, or `name[i]` for bit i of a vector) is in the waveform."""
    import pywellen

    from edgebench.measure.toggles import _as_int, _time_factor, dut_path, yosys_names

    w = pywellen.Waveform(str(wave))
    f = _time_factor(w)
    by_name = {}  # under the Yosys spelling of each name, as measure/toggles.py maps them
    for var in w.all_vars():
        path = dut_path(var.full_name, top, var.name)
        if path is not None and not var.is_real and not var.is_string:
            for name in yosys_names(path):
                by_name.setdefault(name, var)
    out: dict[str, float | None] = {}
    for key, cands in names.items():
        out[key] = None
        for cand in cands:
            var, bit = by_name.get(cand), 0
            if var is not None and int(var.bitwidth or 1) != 1:
                var = None  # a vector under the plain name is not this 1-bit net
            if var is None and cand.endswith("]") and "[" in cand:
                head, idx = cand[:-1].rsplit("[", 1)
                vec = by_name.get(head)
                if idx.isdigit() and vec is not None and int(vec.bitwidth or 1) > int(idx):
                    var, bit = vec, int(idx)
            if var is None:
                continue
            sig = var.signal
            high, prev_t, prev_v = 0.0, start_ps, 0
            for i in range(len(sig)):
                t, v = sig[i]
                t_ps = t / f
                value = (_as_int(v) >> bit) & 1
                if t_ps <= start_ps:
                    prev_v = value
                    continue
                if t_ps > end_ps:
                    break
                high += (t_ps - prev_t) * prev_v
                prev_t, prev_v = t_ps, value
            high += (end_ps - prev_t) * prev_v
            out[key] = high / period_ps
            break
    return out


WINDOW_MAX_RESULTS = 64
WINDOW_MAX_CYCLES = 4096  # long-II designs get fewer results: the toggle parse is per net change, in Python


@dataclass(frozen=True)
class SteadyWindow:
    """The stretch of a waveform energy is measured over: (start_ps, end_ps], `inferences` results in it."""

    start_ps: float
    end_ps: float
    inferences: int
    period_ps: float

    @property
    def cycles(self) -> float:
        return (self.end_ps - self.start_ps) / self.period_ps


def steady_window(record: TestRecord) -> SteadyWindow:
    """The window over results II_WARMUP.. of one streaming test: up to WINDOW_MAX_RESULTS results or
    WINDOW_MAX_CYCLES cycles, whichever is fewer (at least 4 results)."""
    from edgebench.tb.records import II_WARMUP

    valid = record.valid_cycles
    if len(valid) < 2:
        raise ValueError(f"{record.test}: {len(valid)} results, an energy window needs at least 2")
    ii = record.ii_cycles or 1
    n_max = max(4, min(WINDOW_MAX_RESULTS, int(WINDOW_MAX_CYCLES // ii)))
    first = min(II_WARMUP, len(valid) - 2)
    last = min(len(valid) - 1, first + n_max)
    period_ps = record.clock_period_ns * 1e3
    origin_ps = record.origin_ns * 1e3
    # valid_cycles are sampled in ReadOnly after the edge that produced them: the window covers the edges
    # (first, last], each counted once.
    return SteadyWindow(origin_ps + valid[first] * period_ps, origin_ps + valid[last] * period_ps, last - first,
                        period_ps)


def memory_energy(ports: list[MemoryPort], accesses: dict[str, float], n_inf: int) -> dict:
    """Per-policy memory access energy (pJ per inference) and a per-memory table for the results file."""
    per_policy = {p: 0.0 for p in POLICIES}
    table: dict[str, dict] = {}
    for port in ports:
        key = f"{port.memory}/{port.access}{port.port}"
        n = accesses.get(key, 0.0) / n_inf
        for policy in POLICIES:
            per_policy[policy] += n * port.access_pj(policy)
        row = table.setdefault(port.memory, {
            "width": port.width, "words": port.memory_words, "writable": port.writable, "banks": [],
        })
        row["banks"].append({
            "access": f"{port.access}{port.port}", "words": port.words, "kind": port.kind(),
            "accesses_per_inf": round(n, 3), "pj_per_access": round(port.access_pj(), 4),
            "pj_per_inf": round(n * port.access_pj(), 4),
        })
    for row in table.values():
        row["pj_per_inf"] = round(sum(b["pj_per_inf"] for b in row["banks"]), 3)
        kinds = sorted({b["kind"] for b in row["banks"]})
        row["kind"] = "+".join(kinds)
        if len(row["banks"]) > 8:  # many identical banks (one per hash unit): keep the totals and one example
            row["banks"] = row["banks"][:1] + [{"more_banks": len(row["banks"]) - 1}]
    return {"per_policy": per_policy, "table": table}


def rtl_energy(wave: Path, top: str, window: SteadyWindow, inferred_json: Path, ffs: int) -> dict:
    start, end, n_inf, period_ps = window.start_ps, window.end_ps, window.inferences, window.period_ps
    cycles = window.cycles
    netlist = Netlist(inferred_json, top)
    toggles: dict[str, int] = defaultdict(int)
    for net in count_toggles(wave, top, start, end, netlist_json=inferred_json):
        if _norm(net.name) == "clk":
            continue
        toggles[netlist.classify(net)] += net.toggles
    # the enables to look up in the waveform (a name-less one is looked up under no name: not found, below)
    enables = {f"{p.memory}/{p.access}{p.port}": p.enable for p in netlist.ports_of_memories
               if isinstance(p.enable, tuple) and not p.constant_address}
    found = high_cycles(wave, top, enables, start, end, period_ps) if enables else {}
    accesses: dict[str, float] = {}
    unresolved = []
    for p in netlist.ports_of_memories:
        key = f"{p.memory}/{p.access}{p.port}"
        if p.constant_address or p.enable is False:
            accesses[key] = 0.0
        elif p.enable is True:
            accesses[key] = cycles
        elif found.get(key) is None:
            accesses[key] = cycles  # enable not in the dump: charged every cycle (an upper bound), and said so
            unresolved.append(key)
        else:
            accesses[key] = found[key]
    mem = memory_energy(netlist.ports_of_memories, accesses, n_inf)
    e_fj = {
        "registers": toggles["registers"] * E_REG_TOGGLE_FJ + ffs * cycles * E_CLOCK_PER_FF_FJ,
        "logic": toggles["logic"] * E_LOGIC_TOGGLE_FJ,
        "io": toggles["io"] * E_IO_TOGGLE_FJ,
        "memory_ports": toggles["memory_ports"] * E_REG_TOGGLE_FJ,
    }
    per_inf = {k: v / n_inf / 1e3 for k, v in e_fj.items()}  # pJ
    datapath = per_inf["registers"] + per_inf["logic"] + per_inf["io"]
    totals = {p: datapath + per_inf["memory_ports"] + mem["per_policy"][p] for p in POLICIES}
    breakdown = {
        "registers": per_inf["registers"], "logic": per_inf["logic"], "io": per_inf["io"],
        "memories": per_inf["memory_ports"] + mem["per_policy"]["size"],
    }
    total = totals["size"]
    out = {
        "energy_pj_per_inf": round(total, 3),
        "inferences_per_joule": round(1e12 / total, 1) if total else None,
        "datapath_energy_pj_per_inf": round(datapath, 3),
        "energy_breakdown_pj": {k: round(v, 3) for k, v in breakdown.items()},
        "energy_alternatives_pj_per_inf": {p: round(totals[p], 3) for p in POLICIES if p != "size"},
        "memories": mem["table"],
        "toggles_per_inf": {k: round(v / n_inf, 1) for k, v in toggles.items()},
        "energy_window": {"inferences": n_inf, "cycles": round(cycles, 1)},
    }
    if unresolved:
        out["memory_enables_not_in_dump"] = unresolved
    return out


def gate_energy(wave: Path, top: str, window: SteadyWindow, netlist_json: Path, ffs: int) -> dict:
    start, end, n_inf, cycles = window.start_ps, window.end_ps, window.inferences, window.cycles
    module = json.loads(netlist_json.read_text())["modules"][top]
    driver: dict[int, str] = {}
    for cell in module["cells"].values():
        for port, direction in cell["port_directions"].items():
            if direction == "output":
                for b in cell["connections"][port]:
                    if isinstance(b, int):
                        driver[b] = cell["type"]
    name_bits = {_norm(n): net["bits"] for n, net in module["netnames"].items()}
    port_bits = {b for p in module["ports"].values() for b in p["bits"] if isinstance(b, int)}
    by_kind: dict[str, float] = defaultdict(float)
    for net in count_toggles(wave, top, start, end, netlist_json=netlist_json):
        if _norm(net.name) == "clk":
            continue
        bits = [b for b in (net.bits or name_bits.get(_norm(net.name), [])) if isinstance(b, int)]
        kinds = [driver.get(b, "") for b in bits]
        kind = max(sorted(set(kinds)), key=kinds.count) if kinds else ""  # sorted: ties decided alike every run
        if bits and all(b in port_bits for b in bits):
            by_kind["io"] += net.toggles * E_IO_TOGGLE_FJ
        elif "DFF" in kind:
            by_kind["registers"] += net.toggles * E_REG_TOGGLE_FJ
        else:
            by_kind["logic"] += net.toggles * E_CELL_FJ.get(kind, E_LOGIC_TOGGLE_FJ)
    by_kind["registers"] += ffs * cycles * E_CLOCK_PER_FF_FJ
    total_fj = sum(by_kind.values())
    return {
        "gate_energy_pj_per_inf": round(total_fj / n_inf / 1e3, 3),
        "gate_energy_breakdown_pj": {k: round(v / n_inf / 1e3, 3) for k, v in by_kind.items()},
    }


def cross_check(rtl: dict, gate: dict) -> dict:
    """RTL (memories as logic) over gate level, and a warning line when they differ by more than the factor."""
    rtl_logic = rtl["energy_alternatives_pj_per_inf"]["memories_as_logic"]
    g = gate.get("gate_energy_pj_per_inf")
    if not g:
        return {"rtl_gate_energy_ratio": None, "energy_warnings": ["no gate-level energy to cross-check"]}
    ratio = rtl_logic / g
    warnings = []
    if not 1 / ENERGY_WARN_FACTOR <= ratio <= ENERGY_WARN_FACTOR:
        warnings.append(f"RTL energy with memories as logic ({rtl_logic:.1f} pJ/inf) and gate-level energy "
                        f"({g:.1f} pJ/inf) differ by {max(ratio, 1 / ratio):.2f}x (> {ENERGY_WARN_FACTOR:g}x)")
    return {"rtl_gate_energy_ratio": round(ratio, 3), "energy_warnings": warnings}
