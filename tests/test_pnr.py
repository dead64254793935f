"""Place and route (measure/pnr.py): hand-known figures of tiny fixtures, the device choice, the netlist surgery.

Yosys and nextpnr run as WebAssembly that sees only the repository tree, so work directories live under
sim_build/ (pytest's tmp_path is outside it). The first call of each yowasp tool compiles it (tens of seconds).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from edgebench.designs.core import REPO_ROOT, CoreBuild
from edgebench.measure import pnr
from edgebench.measure.synth import synthesize

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def work_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    path = REPO_ROOT / "sim_build" / "test_pnr" / f"{request.node.name}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _fixture_core(top: str, **params: int) -> CoreBuild:
    config = "-".join(f"{k}{v}" for k, v in params.items())
    return CoreBuild(design=top, config=config, toplevel=top, sources=[FIXTURES / f"{top}.v"], parameters=params,
                     bus_width=1, input_bits=1, n_classes=1, score_width=0, score_signed=False, ii_bound=1,
                     golden=lambda x: (x, None), encode=lambda x: x)


@pytest.mark.parametrize("family", ["ecp5", "ice40"])
def test_counter_has_exactly_its_flip_flops_and_a_clock(family: str, work_dir: Path) -> None:
    width = 12
    res = pnr.place_and_route(_fixture_core("pnr_counter", W=width), work_dir, (family,))
    assert set(res) == {family}
    fig = res[family]
    assert fig["fits"] is True
    assert fig["device"] == {"ecp5": "LFE5U-25F", "ice40": "iCE40HX8K"}[family]
    assert fig["package"] == {"ecp5": "CABGA381", "ice40": "ct256"}[family]
    assert fig["io_ffs"] == 2 + width, "rst_n, en and every count_q bit become boundary flip-flops"
    assert fig["ffs"] == width, fig
    # a W-bit incrementer needs a LUT (or carry half) per bit plus a little control; not the flip-flop-only cells
    assert width <= fig["luts"] <= 2 * width, fig
    assert fig["brams"] == 0 and fig["dsps"] == 0
    assert fig["fmax_mhz"] is not None and 30.0 < fig["fmax_mhz"] < 1000.0, fig
    assert 0 < fig["lut_util_pct"] < 1
    assert fig["tool_versions"]["yosys"].startswith("0.70")
    assert fig["tool_versions"]["nextpnr"].startswith("nextpnr-")
    assert fig["pnr_wall_s"] >= 0 and fig["seed"] == 1 and fig["clock"] == "clk"


def test_design_too_large_for_ice40_is_reported_not_placed(work_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 4000 toggle flip-flops with their inverters, and 4001 boundary registers (en and q): 8001 logic cells, more
    # than the HX8K's 7680. The size check says so from the synthesis counts; forcing the device through shows that
    # nextpnr's own verdict is turned into the same answer.
    core = _fixture_core("pnr_toggle_bank", W=4000)
    res = pnr.place_and_route(core, work_dir, ("ice40",))["ice40"]
    assert res["fits"] is False, res
    assert res["reason"] == "exceeds iCE40HX8K: luts 8001 > 7680, ffs 8001 > 7680", res
    assert "fmax_mhz" not in res and res["io_ffs"] == 4001
    monkeypatch.setattr(pnr, "choose_device", lambda family, usage: (pnr.DEVICES["ice40"][0], ""))
    forced = pnr.place_and_route(core, work_dir / "forced", ("ice40",))["ice40"]
    assert forced["fits"] is False, forced
    assert "nextpnr on iCE40HX8K" in forced["reason"] and "ICESTORM_LC" in forced["reason"], forced


def test_timed_out_run_is_recorded_with_its_synthesis_counts(work_dir: Path) -> None:
    # --pnr-timeout: nextpnr stopped before it finishes (a tenth of a second is less than its start-up) gives no
    # figures and no fit verdict, only the part it was on, the limit and the synthesized counts
    res = pnr.place_and_route(_fixture_core("pnr_counter", W=12), work_dir, ("ecp5",), timeout_s=0.1)["ecp5"]
    assert res["fits"] is None and res["timed_out"] is True, res
    assert res["device"] == "LFE5U-25F"
    assert res["reason"].startswith("nextpnr-ecp5 did not finish on LFE5U-25F in 0.00166667 min"), res
    assert "luts" not in res and "fmax_mhz" not in res
    assert res["synth_usage"]["ffs"] == 12 + res["io_ffs"]
    assert res["pnr_wall_s"] < 30
    assert "stopped after 0.1 s" in (work_dir / "ecp5_LFE5U-25F_nextpnr.log").read_text()


# nextpnr-ecp5's table after packing, as BTHOWeN-Small's 28x28 run printed it (shortened)
_PACKED_LOG = """Info: Device utilisation:
Info: \t          TRELLIS_IO:       3/    197     1%
Info: \t              DP16KD:      47/     56    83%
Info: \t          MULT18X18D:       1/     28     3%
Info: \t          TRELLIS_FF:    5173/  24288    21%
Info: \t        TRELLIS_COMB:    9720/  24288    40%
Info: \t        TRELLIS_RAMW:       0/   3036     0%

Info: Placed 0 cells based on constraints.
"""


def test_timed_out_run_past_packing_keeps_the_packed_counts(work_dir: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # a run stopped after packing has the device's counts (placement and routing add no cells), but no Fmax
    monkeypatch.setattr(pnr, "_nextpnr", lambda *a, **k: (None, _PACKED_LOG + "Info: Routing..\n"))
    res = pnr.place_and_route(_fixture_core("pnr_counter", W=12), work_dir, ("ecp5",), timeout_s=60)["ecp5"]
    assert res["fits"] is None and res["timed_out"] is True, res
    assert res["reason"] == "nextpnr-ecp5 did not finish on LFE5U-25F in 1 min (--pnr-timeout): cell counts as " \
                            "packed, no Fmax", res
    assert (res["luts"], res["brams"], res["dsps"], res["fmax_mhz"]) == (9720, 47, 1, None)
    assert res["ffs"] == 5173 - res["io_ffs"]
    assert res["lut_util_pct"] == 40.02  # 9720 / 24288
    assert res["logic_cells"] == 9720


def test_log_utilisation_reads_the_first_table() -> None:
    util = pnr.log_utilisation(_PACKED_LOG + _PACKED_LOG.replace("9720", "1"))
    assert util["TRELLIS_COMB"] == {"used": 9720, "available": 24288}
    assert util["DP16KD"] == {"used": 47, "available": 56}
    assert len(util) == 6
    assert pnr.log_utilisation("Info: Packing IOs..\n") == {}


def _ecp5(luts: int = 0, ffs: int = 0, brams: int = 0, dsps: int = 0) -> dict[str, int]:
    return {"luts": luts, "ffs": ffs, "brams": brams, "dsps": dsps}


@pytest.mark.parametrize(("usage", "expected"), [
    (_ecp5(luts=100, ffs=100), "LFE5U-25F"),
    (_ecp5(luts=20000), "LFE5U-25F"),            # 82 % of the 25F's 24288 LUT4 sites
    (_ecp5(luts=21000), "LFE5U-45F"),            # 86 %: above the placement margin
    (_ecp5(luts=100, brams=57), "LFE5U-45F"),    # the 25F has 56 DP16KD
    (_ecp5(luts=100, dsps=29), "LFE5U-45F"),     # and 28 MULT18X18D
    (_ecp5(luts=100, dsps=72), "LFE5U-85F"),
    (_ecp5(luts=83640), "LFE5U-85F"),            # the largest part is tried while it holds the netlist at all
    (_ecp5(luts=83641), None),
    (_ecp5(luts=100, brams=209), None),
])
def test_ecp5_device_choice(usage: dict[str, int], expected: str | None) -> None:
    dev, reason = pnr.choose_device("ecp5", usage)
    assert (dev.name if dev else None) == expected
    assert (reason == "") == (expected is not None)
    if expected is None:
        assert reason.startswith("exceeds LFE5U-85F")


def test_ice40_device_choice() -> None:
    ok, _ = pnr.choose_device("ice40", pnr.synth_usage("ice40", {"SB_LUT4": 7000, "SB_DFFE": 3000}, io_ffs=300))
    assert ok is not None and ok.name == "iCE40HX8K"
    dev, reason = pnr.choose_device("ice40", pnr.synth_usage("ice40", {"SB_LUT4": 7681}))
    assert dev is None and reason == "exceeds iCE40HX8K: luts 7681 > 7680"
    dev, reason = pnr.choose_device("ice40", pnr.synth_usage("ice40", {"SB_LUT4": 10, "SB_RAM40_4K": 33}))
    assert dev is None and reason == "exceeds iCE40HX8K: brams 33 > 32"
    # flip-flops occupy logic cells too: 7000 of them plus 700 boundary registers do not fit either
    dev, _ = pnr.choose_device("ice40", pnr.synth_usage("ice40", {"SB_LUT4": 10, "SB_DFF": 7000}, io_ffs=700))
    assert dev is None


def test_synth_usage_counts_carry_cells_twice() -> None:
    cells = {"LUT4": 10, "CCU2C": 3, "TRELLIS_FF": 5, "DP16KD": 2, "MULT18X18D": 1, "PFUMX": 4}
    assert pnr.synth_usage("ecp5", cells, io_ffs=2) == {"luts": 16, "ffs": 7, "brams": 2, "dsps": 1}
    with pytest.raises(ValueError, match="unknown FPGA family"):
        pnr.synth_usage("gowin", cells)


def _tiny_netlist() -> dict:
    # clk (bit 2), a[1:0] (bits 3, 4) -> one LUT -> y (bit 5); a constant output bit
    lut = {"type": "LUT4", "parameters": {}, "attributes": {}, "port_directions": {"A": "input", "B": "input",
                                                                                    "Z": "output"},
           "connections": {"A": [3], "B": [4], "Z": [5]}}
    top = {"attributes": {"top": "00000000000000000000000000000001"},
           "ports": {"clk": {"direction": "input", "bits": [2]}, "a": {"direction": "input", "bits": [3, 4]},
                     "y": {"direction": "output", "bits": [5, "0"]}},
           "cells": {"lut": lut},
           "netnames": {"clk": {"bits": [2]}, "a": {"bits": [3, 4]}, "y": {"bits": [5, "0"]}}}
    return {"modules": {"t": top, "LUT4": {"attributes": {"blackbox": "1"}, "ports": {}, "cells": {},
                                           "netnames": {}}}}


@pytest.mark.parametrize("family", ["ecp5", "ice40"])
def test_boundary_registers_replace_ports(family: str) -> None:
    netlist = _tiny_netlist()
    assert pnr.add_boundary_registers(netlist, family) == 4
    top = netlist["modules"]["t"]
    assert set(top["ports"]) == {"clk", "si", "so"}
    si, so = top["ports"]["si"]["bits"][0], top["ports"]["so"]["bits"][0]
    assert si not in (2, 3, 4, 5) and so not in (2, 3, 4, 5, si)
    d, q, c = {"ecp5": ("DI", "Q", "CLK"), "ice40": ("D", "Q", "C")}[family]
    ffs = {name: cell["connections"] for name, cell in top["cells"].items() if name != "lut"}
    assert all(conn[c] == [2] for conn in ffs.values()), "every boundary register is on the clock"
    chain = sorted((conn[d][0], conn[q][0]) for name, conn in ffs.items() if "_in[" in name)
    assert chain == sorted([(si, 3), (3, 4)]), "inputs: a shift chain fed from si"
    captured = [conn[d][0] for name, conn in ffs.items() if "_out[" in name]
    assert captured == [5, "0"], "outputs: each bit captured, constants kept"
    assert top["cells"]["lut"]["connections"] == {"A": [3], "B": [4], "Z": [5]}, "core cells untouched"


def test_boundary_registers_need_the_clock() -> None:
    netlist = _tiny_netlist()
    with pytest.raises(pnr.SynthesisError, match="no 1-bit input clock port 'clock'"):
        pnr.add_boundary_registers(netlist, "ecp5", clock="clock")


def test_report_parser_picks_the_named_clock() -> None:
    report = {"fmax": {"$glbnet$other_clk$TRELLIS_IO_IN": {"achieved": 400.0, "constraint": 200},
                       "$glbnet$clk$TRELLIS_IO_IN": {"achieved": 123.4, "constraint": 200}},
              "utilization": {"TRELLIS_FF": {"used": 3, "available": 24288}}}
    fmax, util = pnr.parse_report(report)
    assert fmax == pytest.approx(123.4)
    assert util["TRELLIS_FF"]["used"] == 3
    assert pnr.parse_report({"fmax": {"clk$SB_IO_IN_$glb_clk": {"achieved": 99.0}}})[0] == pytest.approx(99.0)
    assert pnr.parse_report({"fmax": {}, "utilization": {}})[0] is None


@pytest.mark.parametrize(("family", "brams"), [("ecp5", 3), ("ice40", 12)])
def test_many_port_rom_is_split_into_block_rams(family: str, brams: int, work_dir: Path) -> None:
    # 6 read ports: more than SPLIT_ABOVE, so split into copies of 2 (ECP5) or 1 (iCE40) ports before mapping
    fig = pnr.place_and_route(_fixture_core("pnr_rom", P=6), work_dir, (family,))[family]
    assert fig["rom_copies"] == {"ecp5": 2, "ice40": 5}[family]
    assert fig["brams"] == brams, fig
    assert fig["ffs"] == 0, "the read registers are inside the RAMs"
    assert fig["io_ffs"] == 6 * 9 + 6 * 16
    assert fig["fmax_mhz"] is not None and fig["fmax_mhz"] > 30.0


def _mem_cell(rd_ports: int, wr_ports: int = 0, wide: str | None = None) -> dict:
    width, abits = 3, 3

    def bits(n: int, ch: str = "0") -> str:
        return ch * n

    return {"type": "$mem_v2", "attributes": {},
            "parameters": {"MEMID": "\\\\rom", "SIZE": format(8, "032b"), "OFFSET": format(0, "032b"),
                           "ABITS": format(abits, "032b"), "WIDTH": format(width, "032b"), "INIT": bits(24, "1"),
                           "RD_PORTS": format(rd_ports, "032b"), "WR_PORTS": format(wr_ports, "032b"),
                           "RD_CLK_ENABLE": bits(rd_ports, "1"), "RD_CLK_POLARITY": bits(rd_ports, "1"),
                           "RD_WIDE_CONTINUATION": wide or bits(rd_ports), "RD_CE_OVER_SRST": bits(rd_ports),
                           # port i's reset value is i in binary, to see which port went where
                           "RD_ARST_VALUE": "".join(format(i, "03b") for i in reversed(range(rd_ports))),
                           "RD_SRST_VALUE": bits(rd_ports * width, "x"), "RD_INIT_VALUE": bits(rd_ports * width, "x"),
                           "RD_TRANSPARENCY_MASK": "0", "RD_COLLISION_X_MASK": "0"},
            "connections": {"RD_CLK": [2] * rd_ports, "RD_EN": ["1"] * rd_ports, "RD_ARST": ["0"] * rd_ports,
                            "RD_SRST": ["0"] * rd_ports,
                            "RD_ADDR": [100 + i for i in range(rd_ports * abits)],
                            "RD_DATA": [200 + i for i in range(rd_ports * width)]}}


def test_rom_read_port_split_keeps_each_port_whole() -> None:
    # ports 1 and 2 form one wide port (continuation bit of port 2 set): they stay together, so port 0 is alone
    netlist = {"modules": {"t": {"cells": {"rom": _mem_cell(5, wide="00100"), "ram": _mem_cell(6, wr_ports=1),
                                           "few": _mem_cell(4)}}}}
    assert pnr.split_rom_read_ports(netlist, ports_per_copy=2, split_above=4) == 2
    cells = netlist["modules"]["t"]["cells"]
    assert set(cells) == {"rom$rd0", "rom$rd1", "rom$rd2", "ram", "few"}, "RAMs and few-port ROMs untouched"
    for k, ports in enumerate([[0], [1, 2], [3, 4]]):
        cell = cells[f"rom$rd{k}"]
        p, c = cell["parameters"], cell["connections"]
        assert int(p["RD_PORTS"], 2) == len(ports)
        assert p["MEMID"] == f"\\\\rom$rd{k}" and p["INIT"] == "1" * 24
        assert p["RD_ARST_VALUE"] == "".join(format(i, "03b") for i in reversed(ports))
        assert p["RD_WIDE_CONTINUATION"] == ("10" if k == 1 else "0" * len(ports))
        assert c["RD_ADDR"] == [100 + 3 * i + b for i in ports for b in range(3)]
        assert c["RD_DATA"] == [200 + 3 * i + b for i in ports for b in range(3)]
        assert c["RD_CLK"] == [2] * len(ports)


def test_no_fit_messages_of_nextpnr() -> None:
    # the two ways nextpnr 0.11 says the design is too large (seen on int8-mac and pnr_toggle_bank on the HX8K)
    heap = ("Info: \t         ICESTORM_LC:    7994/   7680   104%\n"
            "Info: \t        ICESTORM_RAM:       7/     32    21%\n"
            "Info: \t               SB_GB:       8/      8   100%\n"
            "ERROR: Failed to expand region (0, 0) |_> (33, 33) of 7994 ICESTORM_LCs\n1 warning, 1 error\n")
    assert pnr.no_fit_reason(heap, "iCE40HX8K") == ("nextpnr on iCE40HX8K: ERROR: Failed to expand region (0, 0) |_> "
                                                    "(33, 33) of 7994 ICESTORM_LCs (needs ICESTORM_LC 7994/7680)")
    bels = "ERROR: Unable to place cell 'q_LC', no BELs remaining to implement cell type 'ICESTORM_LC'\n"
    assert pnr.no_fit_reason(bels, "iCE40HX8K").startswith("nextpnr on iCE40HX8K: ERROR: Unable to place cell")
    assert pnr.no_fit_reason("ERROR: IO pin 'x' constrained to non-existent pin\n", "iCE40HX8K") is None


def test_xilinx_counts_of_the_fixtures(work_dir: Path) -> None:
    # 12-bit counter: 12 FDRE and a CARRY4 per 4 bits; a 6-port 1024 x 16 ROM: 3 copies of 2 ports, one RAMB18 each
    # (Yosys puts the 512-word one in LUTs on 7-series)
    counter = pnr.xilinx_lut6(_fixture_core("pnr_counter", W=12), work_dir / "counter")
    assert counter["ffs"] == 12 and counter["carry4"] == 3 and counter["bram18"] == 0, counter
    assert counter["lut6"] + counter["inv"] >= 1
    rom = pnr.xilinx_lut6(_fixture_core("pnr_rom", P=6, A=10), work_dir / "rom")
    assert rom["rom_copies"] == 2 and rom["bram18"] == 3 and rom["ffs"] == 0, rom
    # a registered 6-input AND is one LUT6, and the count means what measure/synth.py's xilinx entry means
    and6 = _fixture_core("pnr_and6")
    mine = pnr.xilinx_lut6(and6, work_dir / "and6")
    assert (mine["lut6"], mine["inv"], mine["ffs"], mine["carry4"]) == (1, 0, 1, 0), mine
    theirs = synthesize(and6, work_dir / "and6_synth", fpga=("xilinx",))["xilinx"]
    assert {k: mine[k] for k in theirs} == theirs


def test_critical_path_names_its_end_cells_and_splits_the_delay() -> None:
    def seg(kind: str, delay: float, src: str, dst: str) -> dict:
        return {"type": kind, "delay": delay, "from": {"cell": src}, "to": {"cell": dst}}

    report = {"critical_paths": [
        {"from": "posedge other", "to": "posedge other", "path": [seg("clk-to-q", 9.0, "x", "x")]},
        {"from": "posedge $glbnet$clk$TRELLIS_IO_IN", "to": "posedge $glbnet$clk$TRELLIS_IO_IN", "path": [
            seg("clk-to-q", 0.5, "u_a.q_ff", "u_a.q_ff"), seg("routing", 2.0, "u_a.q_ff", "lut1"),
            seg("logic", 0.25, "lut1", "lut1"), seg("routing", 1.0, "lut1", "out_ff"),
            seg("setup", 0.0, "out_ff", "out_ff"),
        ]},
    ]}
    path = pnr.critical_path(report)
    assert path == {"from": "u_a.q_ff", "to": "out_ff", "total_ns": 3.75, "routing_ns": 3.0, "logic_ns": 0.75,
                    "segments": 5}
    assert pnr.critical_path({"critical_paths": []}) is None
