"""`edgebench report` rebuilds summary.md, the claims table and the plots from JSON files alone."""

import json
import math
from pathlib import Path

import pytest

from edgebench.designs.style import Claim
from edgebench.scripts.cli import main
from edgebench.scripts.report import field


def _row(design: str, energy: float, luts: int, acc: float = 0.9, datapath: float | None = None) -> dict:
    datapath = energy / 2 if datapath is None else datapath
    return {"design": design, "config": "default", "simulator": "verilator", "n": 10, "mismatches": 0,
            "golden_accuracy": acc, "rtl_accuracy": acc, "ii_cycles": 8.0, "ii_bound_cycles": 8,
            "energy_pj_per_inf": energy, "inferences_per_joule": 1e12 / energy, "datapath_energy_pj_per_inf": datapath,
            "energy_alternatives_pj_per_inf": {"tables_in_sram": 2 * energy, "memories_as_logic": energy},
            "fpga": {"xilinx": {"lut6": luts}}, "fpga_pnr": {"device": "LFE5U-25F", "luts": 2 * luts, "fmax_mhz": 99.5},
            "inferences_per_s_at_fmax": 1e6, "nand2_eq": 1000.0, "rtl_gate_energy_ratio": 1.1,
            "energy_warnings": [],
            "energy_breakdown_pj": {"registers": energy / 4, "logic": energy / 4, "memories": energy / 2, "io": 0.0}}


def test_report_from_json_only(tmp_path: Path) -> None:
    rows = {"bnn": _row("bnn", 100.0, 500), "uleen": _row("uleen", 20.0, 300, datapath=8.0),
            "int8-mac": _row("int8-mac", 50.0, 900), "pot": _row("pot", 80.0, 700, datapath=20.0),
            "bnn-unfolded-32": _row("bnn", 90.0, 4000), "lutnet-unrolled": _row("lutnet-unrolled", 70.0, 2000),
            "uleen-uleen-small": _row("uleen", 10.0, 300), "bnn-sfc": _row("bnn", 80.0, 500, acc=0.85)}
    for name in ("pot-fashion", "int8-mac-fashion"):
        rows[name] = {k: v for k, v in _row(name.removesuffix("-fashion"), 1.0, 1).items() if "energy" not in k}
    rows["bnn-sfc"]["config_info"] = {"published_accuracy": {"accuracy": 0.9583, "dataset": "MNIST"}}
    rows["pot"]["energy_warnings"] = ["RTL and gate differ by 3.00x"]
    rows["uleen"]["gate_energy_pj_per_inf"], rows["bnn"]["gate_energy_pj_per_inf"] = 40.0, 100.0
    rows["pot"]["gate_energy_pj_per_inf"], rows["int8-mac"]["gate_energy_pj_per_inf"] = 80.0, 50.0
    for name, row in rows.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(row))
    assert main(["report", "--out", str(tmp_path)]) == 0
    summary = (tmp_path / "summary.md").read_text()
    # uleen 20 pJ vs bnn 100 pJ: 5x, below the paper's 7.7x +-20 %; datapath 50 / 8 = 6.25x
    assert "| uleen vs bnn | 7.7x (13 M vs 1.69 M inf/J, Zynq, MNIST) | 5.00x (energy_pj_per_inf) | 5.00x | 6.25x | " \
           "2.50x | below |" in summary
    # the same claim at 28x28 beside it: uleen-uleen-small 10 pJ vs bnn-sfc 80 pJ = 8x, within 7.7x +-20 %
    assert "| digits 8x8 | uleen vs bnn |" in summary
    assert "| 28x28 | uleen-uleen-small vs bnn-sfc | 7.7x (13 M vs 1.69 M inf/J, Zynq, MNIST) | 8.00x " \
           "(energy_pj_per_inf) |" in summary
    assert "| 0.85 | 0.85 |" in summary and "| 0.9583 (MNIST) |" in summary  # ours beside the paper's accuracy
    assert "| 2.00x (fpga.xilinx.lut6) |  |  |  | within |" in summary  # 4000 / 2000 LUT6
    # PoT costs more than INT8 here: reversed, and a sentence explains with the breakdowns
    assert "| 0.62x (energy_pj_per_inf) | 0.62x | 1.25x | 0.62x | reversed |" in summary
    assert "**pot vs int8-mac** (reversed): measured 0.62x" in summary and "pot memories 50 % of 80 pJ" in summary
    assert "Without memories the ratio is 1.25x" in summary
    assert "missing results for asm-1357 or int8-mac" in summary
    # both rows there but without energy (a --no-measure bench): said so, not "missing"
    assert "| 28x28 | pot-fashion vs int8-mac-fashion | >= 1.4x | not measured: no energy_pj_per_inf in " \
           "pot-fashion or int8-mac-fashion |" in summary
    assert "- pot: RTL and gate differ by 3.00x" in summary
    assert "| LFE5U-25F | 4000 |" in summary  # bnn-unfolded-32's placed LUT4s
    for png in ("accuracy_vs_energy.png", "throughput_vs_area.png", "energy_breakdown.png"):
        assert (tmp_path / png).stat().st_size > 1000


@pytest.mark.parametrize(("ratio", "verdict"), [(0.5, "reversed"), (1.2, "below"), (1.5, "within"), (2.5, "within"),
                                                (2.6, "above")])
def test_claim_verdict_against_paper_range(ratio: float, verdict: str) -> None:
    claim = Claim("x", "y", "energy_pj_per_inf", "a", "b", "1.5x-2.5x", 1.5, 2.5, False)
    assert claim.verdict(ratio) == verdict
    open_ended = Claim("x", "y", "energy_pj_per_inf", "a", "b", ">= 1.4x", 1.4, math.inf, False)
    assert open_ended.verdict(100.0) == "within"


def test_field_by_dotted_path() -> None:
    row = {"fpga_pnr": {"fmax_mhz": 120.5}, "n": 3}
    assert field(row, "fpga_pnr.fmax_mhz") == 120.5
    assert field(row, "fpga_pnr.luts") is None and field(row, "n.x") is None


def test_report_rejects_corrupt_json(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    (tmp_path / "bnn.json").write_text("{not json")
    assert main(["report", "--out", str(tmp_path)]) == 2
    assert "bnn.json: not valid JSON" in capsys.readouterr().err


def test_simspeed_file_is_a_table_not_a_results_row(tmp_path: Path) -> None:
    (tmp_path / "bnn.json").write_text(json.dumps(_row("bnn", 100.0, 500)))
    run = {"design": "bnn", "config": "default", "simulator": "verilator", "vectors": 10000,
           "harness_cycles_per_s": 1700000, "raw_cycles_per_s": 3200000, "ratio": 0.531,
           "raw_inferences_per_s": 99000, "golden_inferences_per_s": 2400000, "startup_s": 0.97}
    (tmp_path / "simspeed.json").write_text(json.dumps({"runs": {"bnn/default/verilator": run}}))
    assert main(["report", "--out", str(tmp_path)]) == 0
    summary = (tmp_path / "summary.md").read_text()
    assert "Written from 1 results files" in summary
    assert "| bnn/default | verilator | 10,000 | 1,700,000 | 3,200,000 | 0.531 | 99,000 | 2,400,000 | 0.97 |" in summary
