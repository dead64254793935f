"""`edgebench report` rebuilds summary.md, the claims table and the plots from JSON files alone."""

import json
from pathlib import Path

from scripts.cli import main


def _row(design: str, energy: float, luts: int, acc: float = 0.9) -> dict:
    return {"design": design, "config": "default", "simulator": "verilator", "n": 10, "mismatches": 0,
            "golden_accuracy": acc, "rtl_accuracy": acc, "ii_cycles": 8.0, "ii_bound_cycles": 8,
            "energy_pj_per_inf": energy, "inferences_per_joule": 1e12 / energy, "luts": luts, "nand2_eq": 1000.0,
            "inferences_per_s_at_est_fmax": 1e6, "energy_breakdown_pj": {"registers": energy / 4, "logic": energy / 4,
                                                                         "memories": energy / 2, "io": 0.0}}


def test_report_from_json_only(tmp_path: Path) -> None:
    rows = {"bnn": _row("bnn", 100.0, 500), "uleen": _row("uleen", 20.0, 300), "int8-mac": _row("int8-mac", 50.0, 900),
            "pot": _row("pot", 80.0, 700), "bnn-unfolded-32": _row("bnn", 90.0, 4000),
            "lutnet-unrolled": _row("lutnet-unrolled", 70.0, 2000)}
    for name, row in rows.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(row))
    assert main(["report", "--out", str(tmp_path)]) == 0
    summary = (tmp_path / "summary.md").read_text()
    assert "| uleen vs bnn | 7.7x" in summary and "| 5.00x (inferences_per_joule) | yes |" in summary
    assert "| 2.00x (luts) | yes |" in summary  # 4000 / 2000 LUTs
    # PoT costs more than INT8 here: the table says "no" and a sentence explains with the breakdowns
    assert "| 0.62x (energy_pj_per_inf) | no |" in summary
    assert "**pot vs int8-mac**: measured 0.62x" in summary and "pot memories 50 % of 80 pJ" in summary
    assert "missing results for asm-1357 or int8-mac" in summary
    for png in ("accuracy_vs_energy.png", "throughput_vs_area.png", "energy_breakdown.png"):
        assert (tmp_path / png).stat().st_size > 1000


def test_report_rejects_corrupt_json(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    (tmp_path / "bnn.json").write_text("{not json")
    assert main(["report", "--out", str(tmp_path)]) == 2
    assert "bnn.json: not valid JSON" in capsys.readouterr().err
