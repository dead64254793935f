"""Bit toggles of every net of the DUT in a time window, from an FST waveform (read with pywellen).

Method: the simulation dumps the whole DUT hierarchy to FST (Icarus: cocotb's $dumpvars module; Verilator:
--trace-fst). For every signal under the DUT's top scope we take its value at the window start, then every
change inside the window (several changes at one time step count as their last one), and count, per bit, the
changes of that bit between consecutive values (x/z read as 0). Bit 0 is the least significant bit.

What is counted once -- the identity of a net:
  waveform signal  Vars that are one signal of the file (one FST id code) are counted once, under the preferred
                   name (fewest hierarchy levels, then a reg before the wires assigned from it, then shortest), the
                   others listed as aliases. pywellen's `Var.signal_ref` (a SignalId) has no __eq__/__hash__ and
                   a new object per access: its text "SignalId(<n>)" is the identity (`signal_key`). Without a
                   netlist that is all that is merged, so what the total means depends on the simulator:
                     Icarus     a scalar net connected through module ports (`clk`, `u.clk`, `u.v.clk`) is one
                                signal, counted once. A vector through a port (`x1`, `u_l0.out_data`,
                                `u_l1.in_data`) and a wire assigned from another net (`assign b = a;`) are
                                signals of their own, counted again (Icarus 11).
                     Verilator  every traced variable is its own signal, port copies of scalars included; each
                                is counted (Verilator 5.48). `$rootio` copies of the top ports are outside the DUT.
                   The total is an upper bound of the distinct-net toggles, tighter on Icarus.
  Yosys bit        With `netlist_json` (Yosys' flattened JSON of the same design: measure/synth.py's `inferred.json`
                   for an RTL dump, `netlist.json` for a dump of the gate-level netlist), each waveform signal is
                   matched by name to a net of the top module and merged per bit by Yosys bit id: a bit is counted
                   under the first signal that has it, never again under an alias; constant bits ("0"/"1"/"x")
                   are not counted. Signals are taken in the order: the net is a module port or the whole output
                   of one cell (a register, an operator), then the preferred-name order above -- so a bit is
                   counted under its driver's or port's name rather than a concatenation or slice of it. Both
                   simulators then count each bit of the synthesised netlist once. Signals with no matching net
                   are counted by waveform identity as above, with `bits` None: memory words and other arrays
                   Yosys made $mem cells, names Yosys dropped when it merged or absorbed logic (e.g. an async
                   FIFO read port folded into the reader's register), integers, and at gate level the wires
                   pywellen cannot tell apart (below).

Name mapping (waveform -> Yosys), checked on RTL and gate-level dumps of both simulators: the path below the scope
named `top` (Verilator's `TOP.<top>.` and Icarus' `<top>.` alike), hierarchy joined with "."; generate scopes `g[3]`
as they are, `g(3)` read as `g[3]`; Verilator's unpacked-array words `a.[2]` as Yosys' `a[2]`; an escaped identifier
(gate level: "\\u_l0.acc_q", Icarus doubling backslashes inside it) unescaped; Yosys names without their leading
backslash. Gate level also: a cell instance's port "<cell>.A" maps to the cell's connection, and bit-blasted wires
"w[3]", which pywellen reads as a bit index (joining the ones declared next to each other into a vector "w"), map
to the one run of that width, when there is one. Parameters are skipped (they are not nets).

Limit seen on real dumps: Icarus does not dump unpacked arrays (register arrays, FIFO/memory words) at all,
Verilator does, so an RTL total over the same window is larger on Verilator when the design has such arrays.

Cost: the dump slows the simulation (about 1.5-3x here). Reading: one pywellen load per signal (~0.2 ms each,
the main cost for a gate-level dump), then the changes in the window, counted per bit with NumPy.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pywellen

_PS_PER_UNIT = {"fs": 1e-3, "ps": 1.0, "ns": 1e3, "us": 1e6, "ms": 1e9, "s": 1e12}
_SIGNAL_ID = re.compile(r"SignalId\((\d+)\)")
_PAREN_INDEX = re.compile(r"\((\d+)\)")
_INDEXED = re.compile(r"(.*)\[(\d+)\]")
_XZ_AS_0 = str.maketrans("xXzZ", "0000")
_REGISTER_KINDS = ("Reg", "Logic")  # pywellen var_type of a Verilog reg: Icarus "Reg", Verilator "Logic"


@dataclass
class NetToggles:
    name: str  # hierarchical name below the DUT top, e.g. "u_l0.acc_q"
    width: int  # number of bits counted under this name (fewer than the signal's if some are aliases/constants)
    toggles: int
    bits: tuple | None = None  # Yosys bit ids of the counted bits, LSB first; None: not matched to the netlist
    aliases: tuple[str, ...] = ()  # other names merged into this one (same waveform signal or same Yosys bits)
    bit_toggles: tuple[int, ...] = field(default=(), repr=False)  # toggles of each counted bit, LSB first


@dataclass
class SignalToggles:
    """One signal of the waveform file, all its names below the DUT top, and its toggles per bit."""

    names: tuple[str, ...]  # preferred name first
    width: int
    bit_toggles: np.ndarray  # int64, [i] = toggles of bit i (bit 0 = LSB)
    kinds: tuple[str, ...] = ()  # pywellen var_type of each name ("Wire", "Reg", "Logic", "Integer", ...)

    @property
    def preference(self) -> tuple:
        return _preference(self.names[0], self.kinds[0] if self.kinds else "")


def _as_int(value: object) -> int:
    if isinstance(value, int):
        return value
    text = str(value).translate(_XZ_AS_0)
    return int(text, 2) if text else 0


def _time_factor(wave: pywellen.Waveform) -> float:
    """Waveform time units per picosecond."""
    ts = wave.timescale
    unit = str(ts.unit).split(".")[-1].lower()
    return 1.0 / (ts.factor * _PS_PER_UNIT[unit])


def signal_key(var: pywellen.Var) -> int:
    """Identity of the waveform signal behind `var`: equal for vars that are one signal of the file (one FST id
    code). pywellen's SignalId has no __eq__/__hash__ (every access makes a new object); its text carries the index."""
    text = str(var.signal_ref)
    match = _SIGNAL_ID.fullmatch(text)
    if match is None:
        raise RuntimeError(f"unexpected pywellen signal id {text!r}: the pywellen API changed")
    return int(match.group(1))


def dut_path(full_name: str, top: str, name: str | None = None) -> str | None:
    """Name below the scope `top` ("TOP.top.u.x" and "top.u.x" -> "u.x"), None outside it. `name` is the var's own
    name: given, an escaped identifier in it (dots and all) is taken whole and unescaped (a gate-level netlist's
    "\\u_l0.acc_q" -> "u_l0.acc_q"; Icarus doubles the backslashes inside one)."""
    leaf: list[str] = []
    if name and full_name.endswith("." + name):
        full_name, leaf = full_name[: -len(name) - 1], [_unescape(name)]
    parts = full_name.split(".")
    try:
        at = parts.index(top)
    except ValueError:
        return None
    return ".".join([_unescape(p) for p in parts[at + 1:]] + leaf) or None


def _unescape(name: str) -> str:
    """An escaped identifier as the simulator wrote it (Icarus doubles inner backslashes) -> the name itself."""
    if name.startswith("\\"):
        return name[1:].replace("\\\\", "\\")
    return name


def yosys_names(path: str) -> list[str]:
    """Candidate Yosys netnames (without backslash) of a waveform path, most literal first."""
    candidates = [path]
    alt = _PAREN_INDEX.sub(r"[\1]", path).replace(".[", "[")
    if alt != path:
        candidates.append(alt)
    return candidates


def _preference(name: str, kind: str = "") -> tuple:
    """Sort key of the names of one net: fewest hierarchy levels, then a register's own name before the wires
    assigned from it, then shortest."""
    return (name.count("."), kind not in _REGISTER_KINDS, len(name), name)


def _last_at_or_before(signal: pywellen.Signal, time: float, n: int) -> int:
    """Index of the last change at or before `time`, -1 if none."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if signal[mid][0] <= time:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


def _window_values(signal: pywellen.Signal, t0: float, t1: float) -> list:
    """Values from the window start (if known) through every change in (t0, t1], one per time step."""
    n = len(signal)
    if n == 0:
        return []
    if n <= 32:  # short: one slice, no search
        changes = signal[0:n]
        before = [i for i, (t, _) in enumerate(changes) if t <= t0]
        changes = [c for c in changes[before[-1] if before else 0:] if c[0] <= t1]
    else:
        start = max(_last_at_or_before(signal, t0, n), 0)
        stop = _last_at_or_before(signal, t1, n) + 1
        changes = signal[start:stop] if stop > start else []
    return [v for i, (t, v) in enumerate(changes) if i + 1 == len(changes) or changes[i + 1][0] != t]


def bit_toggles(values: list, width: int) -> np.ndarray:
    """Toggles of each bit (LSB first) along a sequence of values (ints or 0/1/x/z strings)."""
    out = np.zeros(width, dtype=np.int64)
    if len(values) < 2 or width <= 0:
        return out
    if width == 1:  # most nets of a gate-level netlist: no array round trip
        ints = [_as_int(v) & 1 for v in values]
        out[0] = sum(a != b for a, b in zip(ints[:-1], ints[1:], strict=True))
        return out
    nbytes = (width + 7) // 8
    mask = (1 << width) - 1
    raw = b"".join((_as_int(v) & mask).to_bytes(nbytes, "little") for v in values)
    a = np.frombuffer(raw, dtype=np.uint8).reshape(len(values), nbytes)
    flips = a[1:] ^ a[:-1]
    per_byte_bit = np.empty((nbytes, 8), dtype=np.int64)
    for b in range(8):
        per_byte_bit[:, b] = ((flips >> b) & 1).sum(axis=0, dtype=np.int64)
    out[:] = per_byte_bit.reshape(-1)[:width]
    return out


def count_signal_toggles(path: str | Path, top: str, start_ps: float, end_ps: float) -> list[SignalToggles]:
    """Per-bit toggles in (start_ps, end_ps] of each waveform signal under the scope `top`, each signal once."""
    wave = pywellen.Waveform(str(path))
    factor = _time_factor(wave)
    t0, t1 = start_ps * factor, end_ps * factor
    groups: dict[int, dict[str, tuple[str, pywellen.Var]]] = {}
    for var in wave.all_vars():
        if var.is_real or var.is_string or var.var_type in ("Parameter", "Event"):
            continue
        name = dut_path(var.full_name, top, var.name)
        if name is None:
            continue
        groups.setdefault(signal_key(var), {})[name] = (var.var_type, var)
    if not groups:
        raise ValueError(f"no signal under a scope named {top!r} in {path}")
    out = []
    for members in groups.values():
        names = sorted(members, key=lambda n: _preference(n, members[n][0]))
        var = members[names[0]][1]
        width = int(var.bitwidth or 1)
        values = _window_values(var.signal, t0, t1)
        out.append(SignalToggles(tuple(names), width, bit_toggles(values, width),
                                 tuple(members[n][0] for n in names)))
    return out


class YosysNets:
    """Net names -> bit ids of the top module of a Yosys JSON netlist, and which of them are canonical (a module
    port or the whole output of one cell: the name a bit is best counted under). Cell pins "<cell>.<port>" map to
    their connections too: a gate-level simulation dumps each cell instance's ports (Verilator as signals of their
    own)."""

    def __init__(self, netlist_json: str | Path, top: str) -> None:
        modules = json.loads(Path(netlist_json).read_text())["modules"]
        if top not in modules:
            raise ValueError(f"module {top!r} not in {netlist_json} (has {sorted(modules)[:5]}...)")
        module = modules[top]
        self.bits: dict[str, list] = {n.lstrip("\\"): net["bits"] for n, net in module["netnames"].items()}
        whole: set[tuple] = {tuple(p["bits"]) for p in module.get("ports", {}).values()}
        pins: dict[str, list] = {}
        for cell_name, cell in module.get("cells", {}).items():
            for port, conn in cell.get("connections", {}).items():
                pins[cell_name.lstrip("\\") + "." + port] = conn
                if cell.get("port_directions", {}).get(port) == "output":
                    whole.add(tuple(conn))
        self.canonical = {n for n, bits in self.bits.items() if tuple(bits) in whole}
        for pin, conn in pins.items():
            self.bits.setdefault(pin, conn)
        # Nets named "x[3]" (a gate-level netlist's bit-blasted wires): pywellen reads "[3]" as a bit index and
        # joins the ones declared next to each other (write_verilog sorts them by name: x[0], x[10], x[11], ...,
        # x[1], x[2], ...) with consecutive indices into one vector "x". Those runs, by base name and width.
        indexed: dict[str, list[tuple[str, int]]] = {}
        for n, bits in self.bits.items():
            m = _INDEXED.fullmatch(n)
            if m and len(bits) == 1:
                indexed.setdefault(m.group(1), []).append((n, int(m.group(2))))
        self.runs: dict[tuple[str, int], list[list[str]]] = {}
        for base, items in indexed.items():
            items.sort()
            runs = [[items[0]]]
            for item in items[1:]:
                run = runs[-1]
                step = item[1] - run[-1][1]
                if abs(step) == 1 and (len(run) == 1 or step == run[-1][1] - run[-2][1]):
                    run.append(item)
                else:
                    runs.append([item])
            for run in runs:
                self.runs.setdefault((base, len(run)), []).append([n for n, _ in sorted(run, key=lambda r: r[1])])

    def match(self, names: tuple[str, ...], width: int) -> list | None:
        """Yosys bits (LSB first) of the first of `names` that is a net (or cell pin) of that width, or the one run
        of `width` consecutive bit-blasted nets "name[i]"; None if there is none."""
        for name in names:
            for candidate in yosys_names(name):
                bits = self.bits.get(candidate)
                if bits is not None and len(bits) == width:
                    return bits
        for name in names:
            runs = self.runs.get((name, width), [])
            if len(runs) == 1:
                return [self.bits[n][0] for n in runs[0]]
        return None

    def is_canonical(self, names: tuple[str, ...], width: int) -> bool:
        return any(c in self.canonical and len(self.bits[c]) == width for n in names for c in yosys_names(n))


def count_toggles(path: str | Path, top: str, start_ps: float, end_ps: float,
                  netlist_json: str | Path | None = None) -> list[NetToggles]:
    """Toggles in (start_ps, end_ps] of each DUT net, each counted once (see the module doc for what "once" means
    without and with `netlist_json`); `top` is the DUT's module name. Sorted by name."""
    signals = count_signal_toggles(path, top, start_ps, end_ps)
    if netlist_json is None:
        nets = [NetToggles(s.names[0], s.width, int(s.bit_toggles.sum()), None, s.names[1:],
                           tuple(int(t) for t in s.bit_toggles)) for s in signals]
        return sorted(nets, key=lambda n: n.name)
    yosys = YosysNets(netlist_json, top)
    matched = [(s, yosys.match(s.names, s.width)) for s in signals]
    matched.sort(key=lambda m: (m[1] is None, not yosys.is_canonical(m[0].names, m[0].width), m[0].preference))
    nets: list[NetToggles] = []
    owner: dict[int, int] = {}  # Yosys bit id -> index in nets
    for s, ybits in matched:
        if ybits is None:
            nets.append(NetToggles(s.names[0], s.width, int(s.bit_toggles.sum()), None, s.names[1:],
                                   tuple(int(t) for t in s.bit_toggles)))
            continue
        counted: list[int] = []
        merged_into: set[int] = set()
        for i, bit in enumerate(ybits):
            if not isinstance(bit, int):
                continue  # constant
            if bit in owner:
                merged_into.add(owner[bit])
            else:
                owner[bit] = len(nets)
                counted.append(i)
        for j in sorted(merged_into - {len(nets)}):
            known = set(nets[j].aliases) | {nets[j].name}
            nets[j].aliases += tuple(n for n in s.names if n not in known)
        if counted:
            per_bit = tuple(int(s.bit_toggles[i]) for i in counted)
            nets.append(NetToggles(s.names[0], len(counted), sum(per_bit), tuple(ybits[i] for i in counted),
                                   s.names[1:], per_bit))
    return sorted(nets, key=lambda n: n.name)
