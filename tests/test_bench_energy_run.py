"""A measured bench of many vectors takes its energy from a second, short run with waves (scripts/cli.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

import pytest

from edgebench.scripts import cli


def _fake_run(n: int, waves: bool, tag: str) -> SimpleNamespace:
    record = SimpleNamespace(ii_cycles=4.0, mismatches=0, compared=n, rtl_correct=n, labelled=n, latency_cycles=9)
    core = SimpleNamespace(ii_bound=4, config_info={})
    return SimpleNamespace(records={"DatasetStreaming": record}, n_dataset=n, golden_accuracy=1.0, core=core,
                           sim_wall_s=0.1, build_wall_s=0.1, failed=0, tool_versions={}, build_dir=Path(tag),
                           exe_dir=None, waves=waves)


@pytest.mark.parametrize(("n", "max_vectors", "runs"), [
    (360, 1000, [(360, True, "bench")]),  # digits: one run, its waves measured
    (360, 100, [(360, False, "bench"), (cli.ENERGY_RUN_VECTORS, True, "energy")]),
])
def test_energy_from_a_short_wave_run(n: int, max_vectors: int, runs: list[tuple[int, bool, str]],
                                      monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[int, bool, str]] = []
    measured: list[SimpleNamespace] = []

    def simulate(design: str, config: str, sim: str, *, n: int, waves: bool, tag: str, **_: object) -> SimpleNamespace:
        calls.append((n, waves, tag))
        return _fake_run(n, waves, tag)

    def measure_core(result: SimpleNamespace, record: object, args: object) -> dict:
        measured.append(result)
        return {"energy_pj_per_inf": 1.0}

    monkeypatch.setattr("edgebench.tb.runner.simulate", simulate)
    monkeypatch.setattr(cli, "measure_core", measure_core)
    monkeypatch.setattr(cli, "WAVE_RUN_MAX_VECTORS", max_vectors)
    args = argparse.Namespace(no_measure=False, no_pnr=False, dataset="digits", n=n, n_vectors=n, sim="verilator",
                              seed=1, out=tmp_path)
    row = cli.bench_one("bnn", "default", args, "edgebench bench")
    assert calls == runs
    # accuracy and cycles from the full run; energy from the run with waves
    assert row["n"] == n and measured[0].waves and measured[0].n_dataset == runs[-1][0]
    assert row.get("energy_run_n") == (None if len(runs) == 1 else cli.ENERGY_RUN_VECTORS)


def test_no_pnr_records_the_skip_without_running_nextpnr(monkeypatch: pytest.MonkeyPatch) -> None:
    def place_and_route(*_: object, **__: object) -> dict:
        raise AssertionError("place and route ran under --no-pnr")

    monkeypatch.setattr("edgebench.measure.pnr.place_and_route", place_and_route)
    fields = cli.pnr_fields(SimpleNamespace(), SimpleNamespace(ii_cycles=4.0), skip=True)
    assert fields["fpga_pnr"]["fits"] is None and "--no-pnr" in fields["fpga_pnr"]["reason"]
    assert fields["fpga_pnr_ice40"]["fits"] is None and fields["inferences_per_s_at_fmax"] is None


def test_ice40_is_not_attempted_for_a_netlist_far_beyond_the_hx8k() -> None:
    limit = cli.ICE40_MAX_GATES_PER_CELL * 7680  # the iCE40HX8K's logic cells
    assert cli.ice40_out_of_reach(limit) == ""
    why = cli.ice40_out_of_reach(limit + 1)
    assert why.startswith(f"not attempted: {limit + 1} generic gates") and "iCE40HX8K" in why, why


def test_a_skipped_ice40_is_recorded_and_only_ecp5_is_placed(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, ...]] = []

    def place_and_route(_core: object, _work: Path, families: tuple[str, ...], timeout_s: float | None) -> dict:
        seen.append(families)
        return {"ecp5": {"family": "ecp5", "fits": True, "fmax_mhz": 40.0}}

    monkeypatch.setattr("edgebench.measure.pnr.place_and_route", place_and_route)
    result = SimpleNamespace(core=None, build_dir=Path("unused"))
    fields = cli.pnr_fields(result, SimpleNamespace(ii_cycles=4.0), ice40_skipped="not attempted: too big")
    assert seen == [("ecp5",)]
    assert fields["fpga_pnr_ice40"] == {"family": "ice40", "fits": False, "reason": "not attempted: too big"}
    assert fields["inferences_per_s_at_fmax"] == 10e6


@pytest.mark.parametrize("cells", [cli.ICE40_MAX_GATES_PER_CELL * 7680, cli.GATE_ENERGY_MAX_CELLS,
                                   cli.GATE_ENERGY_MAX_CELLS + 1])
def test_measure_core_scales_its_steps_to_the_netlist(monkeypatch: pytest.MonkeyPatch, cells: int) -> None:
    """iCE40 only for a netlist the HX8K could hold; gate-level waves and energy only up to GATE_ENERGY_MAX_CELLS."""
    calls: dict[str, object] = {}
    area = {"cells": cells, "nand2_eq": 1.0, "ffs": 1, "memory_bits": 0, "logic_levels": 1, "est_fmax_mhz": 1.0,
            "netlist": "netlist.v"}

    def simulate(*_: object, waves: bool, **__: object) -> SimpleNamespace:
        calls["waves"] = waves
        rec = SimpleNamespace(mismatches=0, compared=24)
        return SimpleNamespace(records={"DatasetStreaming": rec}, n_dataset=24, failed=0, wave="w.fst",
                               synth={"ffs": 1})

    def gate_energy(*_: object) -> dict:
        calls["gate_energy"] = True
        return {"gate_energy_pj_per_inf": 2.0}

    monkeypatch.setattr("edgebench.measure.synth.coarse", lambda *_: {"memory_bits": 0, "ffs": 1})
    monkeypatch.setattr("edgebench.measure.synth.synthesize", lambda *_, **__: dict(area))
    monkeypatch.setattr("edgebench.measure.synth.synthesize_ice40",
                        lambda *_: calls.setdefault("ice40", {"luts": 1, "ice40": {"lut4": 1}}))
    monkeypatch.setattr("edgebench.measure.pnr.xilinx_lut6", lambda *_: {"lut6": 1})
    monkeypatch.setattr("edgebench.measure.energy.rtl_energy",
                        lambda *_: {"energy_alternatives_pj_per_inf": {"memories_as_logic": 2.0}})
    monkeypatch.setattr("edgebench.measure.energy.steady_window", lambda *_: (0.0, 1.0))
    monkeypatch.setattr("edgebench.measure.energy.gate_energy", gate_energy)
    monkeypatch.setattr("edgebench.tb.runner.simulate", simulate)
    core = SimpleNamespace(design="d", config="c", toplevel="top")
    result = SimpleNamespace(core=core, build_dir=Path("unused"), wave="rtl.fst")
    args = argparse.Namespace(no_pnr=True, pnr_timeout=None, dataset="digits", seed=1)
    row = cli.measure_core(result, SimpleNamespace(ii_cycles=4.0), args)

    small = cells <= cli.GATE_ENERGY_MAX_CELLS
    assert calls["waves"] is small and ("gate_energy" in calls) is small, calls
    assert row["rtl_gate_energy_ratio"] == (1.0 if small else None), row
    assert small or "no gate-level energy" in row["energy_warnings"][0], row["energy_warnings"]
    assert ("ice40" in calls) is (cells <= cli.ICE40_MAX_GATES_PER_CELL * 7680), calls
    assert ("luts" in row) is ("ice40" in calls) and row["gate_level_mismatches"] == 0, row
