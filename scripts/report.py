"""results/summary.md and the plots, rebuilt from results/*.json alone (no simulation)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

REFERENCE_CLOCK_MHZ = 100.0

CYCLE_COLUMNS = (
    ("design", "design"), ("config", "config"), ("simulator", "sim"), ("dataset", "dataset"), ("n", "n"),
    ("mismatches", "mism."), ("golden_accuracy", "golden acc"), ("rtl_accuracy", "RTL acc"),
    ("latency_cycles", "latency (cyc)"), ("ii_cycles", "II (cyc)"), ("ii_bound_cycles", "II bound"),
    ("inferences_per_s", f"inf/s @ {REFERENCE_CLOCK_MHZ:g} MHz"), ("sim_wall_s", "sim wall (s)"),
)
MEASURE_COLUMNS = (
    ("design", "design"), ("config", "config"),
    ("energy_pj_per_inf", "pJ/inf"), ("datapath_energy_pj_per_inf", "datapath pJ/inf"),
    ("energy_alternatives_pj_per_inf.tables_in_sram", "pJ/inf, tables in SRAM"),
    ("gate_energy_pj_per_inf", "gate pJ/inf"), ("rtl_gate_energy_ratio", "RTL/gate"),
    ("energy_warnings", "warnings"), ("inferences_per_joule", "inf/J"),
    ("fpga_pnr.device", "ECP5 part"), ("fpga_pnr.luts", "LUT4"), ("fpga_pnr.ffs", "FFs"),
    ("fpga_pnr.brams", "BRAM"), ("fpga_pnr.dsps", "DSP"), ("fpga_pnr.fmax_mhz", "P&R fmax (MHz)"),
    ("inferences_per_s_at_fmax", "inf/s @ fmax"), ("fpga.xilinx.lut6", "LUT6 (synth_xilinx)"),
    ("nand2_eq", "NAND2 eq"), ("memory_bits", "mem bits"),
)
MEMORY_MODEL = ("memories by physical bank: constant-address reads free; banks (64-bit slices) below 16 kbit as "
                "standard-cell memory / ROM in logic, larger ones as SRAM macros (Horowitz 45 nm law)")


def field(row: dict, path: str) -> object:
    """A results field by dotted path (`fpga_pnr.fmax_mhz`), None when absent."""
    value: object = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


@dataclass(frozen=True)
class Claim:
    text: str
    source: str
    metric: str  # results field compared (dotted path)
    ours: str  # design whose advantage is claimed
    baseline: str
    paper: str  # the paper's figure as it states it
    low: float  # the paper's ratio range, ours over baseline, >1 = ours better
    high: float
    higher_is_better: bool
    datapath_metric: str | None = None  # the same comparison with memories left out

    def _ratio(self, rows: dict[str, dict], metric: str) -> float | None:
        a, b = field(rows.get(self.ours, {}), metric), field(rows.get(self.baseline, {}), metric)
        if not isinstance(a, int | float) or not isinstance(b, int | float) or not a or not b:
            return None
        return a / b if self.higher_is_better else b / a

    def ratio(self, rows: dict[str, dict]) -> float | None:
        """The advantage of `ours` over `baseline` as the paper states it (>1 = ours better)."""
        return self._ratio(rows, self.metric)

    def datapath_ratio(self, rows: dict[str, dict]) -> float | None:
        return self._ratio(rows, self.datapath_metric) if self.datapath_metric else None

    def sram_ratio(self, rows: dict[str, dict]) -> float | None:
        if not self.datapath_metric:
            return None
        return self._ratio(rows, "energy_alternatives_pj_per_inf.tables_in_sram")

    def gate_ratio(self, rows: dict[str, dict]) -> float | None:
        """The same energy comparison measured on the gate-level netlists (memories as logic there)."""
        return self._ratio(rows, "gate_energy_pj_per_inf") if self.datapath_metric else None

    def verdict(self, r: float) -> str:
        """within / below / above the paper's range, or reversed when the baseline wins."""
        if r < 1 <= self.low:
            return "reversed"
        if r < self.low:
            return "below"
        if r > self.high:
            return "above"
        return "within"


_ENERGY = "energy_pj_per_inf"
_DATAPATH = "datapath_energy_pj_per_inf"
# Paper ranges: a point figure ("about 7x", "about 2x") is taken as +-20 %; "at least" has no upper end.
CLAIMS = (
    Claim("ULEEN: more inferences per joule than FINN's BNN at similar accuracy", "Susskind et al., TACO 2023",
          _ENERGY, "uleen", "bnn", "7.7x (13 M vs 1.69 M inf/J, Zynq, MNIST)", 7.7 / 1.2, 7.7 * 1.2, False,
          _DATAPATH),
    Claim("PoT: >= 1.4x more energy-efficient than uniform quantization", "Przewlocka-Rus & Kryjak, ICCVG 2022",
          _ENERGY, "pot", "int8-mac", ">= 1.4x", 1.4, math.inf, False, _DATAPATH),
    Claim("PoT with zero-weight skipping vs uniform quantization", "Przewlocka-Rus & Kryjak, ICCVG 2022",
          _ENERGY, "pot-pruned", "int8-mac", ">= 1.4x (pruning adds to it)", 1.4, math.inf, False, _DATAPATH),
    Claim("ASM {1,3,5,7}: 35-60 % lower energy than a MAC", "Sarwar et al., DATE 2016",
          _ENERGY, "asm-1357", "int8-mac", "1.54x-2.5x (35 % / 60 % lower)", 1.54, 2.5, False, _DATAPATH),
    Claim("ASM {1}: lower energy than a MAC", "Sarwar et al., DATE 2016",
          _ENERGY, "asm-1", "int8-mac", "1.54x-2.5x (35 % / 60 % lower)", 1.54, 2.5, False, _DATAPATH),
    Claim("LUTNet: about 2x fewer LUTs than the binarized baseline (both unrolled, same sizes 128-32-32-10), "
          "6-input LUTs", "Wang et al., FCCM 2019", "fpga.xilinx.lut6", "lutnet-unrolled", "bnn-unfolded-32",
          "~2x", 2 / 1.2, 2 * 1.2, False),
    Claim("LUTNet, same comparison in placed ECP5 4-input LUTs", "Wang et al., FCCM 2019", "fpga_pnr.luts",
          "lutnet-unrolled", "bnn-unfolded-32", "~2x (6-input LUTs)", 2 / 1.2, 2 * 1.2, False),
)


SIMSPEED_FILE = "simspeed.json"  # written by `edgebench simspeed`, not a bench result


def load_rows(out_dir: Path) -> dict[str, dict]:
    rows = {}
    for path in sorted(out_dir.glob("*.json")):
        if path.name == SIMSPEED_FILE:
            continue
        try:
            rows[path.stem] = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc}); re-run the bench for it") from None
    return rows


def simspeed_table(out_dir: Path) -> list[str]:
    """The simulation-speed section from simspeed.json, when `edgebench simspeed` has written one."""
    path = out_dir / SIMSPEED_FILE
    if not path.exists():
        return []
    runs = json.loads(path.read_text()).get("runs", {})
    lines = ["## Simulation speed", "",
             "`edgebench simspeed`: the HDL-driven harness (every result checked) against the simulator alone on the "
             "same vectors (Verilator: plain C++ testbench at -O3; Icarus: the same harness without cocotb); medians "
             "of interleaved runs.", "",
             "| design | sim | vectors | harness cycles/s | raw cycles/s | ratio | raw inf/s | golden inf/s "
             "| start-up s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for run in runs.values():
        lines.append(f"| {run['design']}/{run['config']} | {run['simulator']} | {run['vectors']:,} | "
                     f"{run['harness_cycles_per_s']:,} | {run['raw_cycles_per_s']:,} | {run['ratio']} | "
                     f"{run['raw_inferences_per_s']:,} | {run['golden_inferences_per_s']:,} | {run['startup_s']} |")
    return ["", *lines]


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e5:
            return str(int(value))
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-2):
            return f"{value:.3g}"
        return f"{value:.4g}"
    if isinstance(value, list):
        return str(len(value)) if value else ""
    return "" if value is None else str(value)


def _largest_share(row: dict) -> str:
    parts = row.get("energy_breakdown_pj") or {}
    total = sum(parts.values())
    if not total:
        return "no breakdown"
    part = max(parts, key=parts.get)
    return f"{part} {100 * parts[part] / total:.0f} % of {total:.0f} pJ"


def _explain(c: Claim, r: float, verdict: str, rows: dict[str, dict]) -> str:
    """One sentence from the data: where each side's energy (or area) goes."""
    text = f"- **{c.ours} vs {c.baseline}** ({verdict}): measured {r:.2f}x on {c.metric}; the paper reports {c.paper}."
    if c.metric.startswith("energy"):
        text += f" Largest energy share: {c.ours} {_largest_share(rows[c.ours])}, " \
                f"{c.baseline} {_largest_share(rows[c.baseline])}."
        d = c.datapath_ratio(rows)
        if d is not None:
            text += f" Without memories the ratio is {d:.2f}x."
    return text


def _x(r: float | None) -> str:
    return "" if r is None else f"{r:.2f}x"


def claims_table(rows: dict[str, dict]) -> list[str]:
    lines = ["| claim | source | ours vs baseline | paper | measured | tables in SRAM | datapath only | gate level "
             "| verdict |", "|---|---|---|---|---|---|---|---|---|"]
    notes = []
    for c in CLAIMS:
        r = c.ratio(rows)
        if r is None:
            measured, verdict = f"missing results for {c.ours} or {c.baseline}", ""
        else:
            measured = f"{r:.2f}x ({c.metric})"
            verdict = c.verdict(r)
            if verdict != "within":
                notes.append(_explain(c, r, verdict, rows))
        lines.append(f"| {c.text} | {c.source} | {c.ours} vs {c.baseline} | {c.paper} | {measured} | "
                     f"{_x(c.sram_ratio(rows))} | {_x(c.datapath_ratio(rows))} | {_x(c.gate_ratio(rows))} | "
                     f"{verdict} |")
    legend = (
        f"Energy rows use the headline memory model ({MEMORY_MODEL}); 'tables in SRAM' charges every read-only table "
        "bank as an SRAM macro; 'datapath only' leaves memories out (registers, logic, I/O), as papers that count "
        "arithmetic alone do; 'gate level' is the ratio of the gate-level estimates (a second method: every cell "
        "output of the synthesized netlist, memories as logic). Verdict: the measured ratio against the paper's "
        "range (a point figure taken as +-20 %)."
    )
    return lines + ["", legend, ""] + notes


def plots(rows: dict[str, dict], out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measured = {k: v for k, v in rows.items() if v.get("energy_pj_per_inf")}
    written = []
    if not measured:
        return written
    names = list(measured)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for n in names:
        ax.scatter(measured[n]["energy_pj_per_inf"], 100 * measured[n]["rtl_accuracy"])
        ax.annotate(n, (measured[n]["energy_pj_per_inf"], 100 * measured[n]["rtl_accuracy"]), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("energy per inference (pJ, toggle + memory-bank model, 45 nm)")
    ax.set_ylabel("RTL accuracy (%)")
    ax.set_title("Accuracy vs energy")
    ax.grid(alpha=0.3)
    written.append(out_dir / "accuracy_vs_energy.png")
    fig.tight_layout()
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for n in names:
        x = field(measured[n], "fpga_pnr.luts")
        y = measured[n].get("inferences_per_s_at_fmax")
        if x and y:
            ax.scatter(x, y)
            ax.annotate(n, (x, y), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ECP5 LUT4s after place and route")
    ax.set_ylabel("inferences / s at post-route fmax")
    ax.set_title("Throughput vs area")
    ax.grid(alpha=0.3)
    written.append(out_dir / "throughput_vs_area.png")
    fig.tight_layout()
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    parts = ("registers", "logic", "memories", "io")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    bottom = [0.0] * len(names)
    for part in parts:
        vals = [measured[n]["energy_breakdown_pj"].get(part, 0.0) for n in names]
        ax.bar(names, vals, bottom=bottom, label=part)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax.set_ylabel("pJ per inference")
    ax.set_title("Energy breakdown per design (RTL toggle model)")
    ax.legend()
    ax.tick_params(axis="x", labelrotation=45)
    written.append(out_dir / "energy_breakdown.png")
    fig.tight_layout()
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)
    return written


def _table(rows: dict[str, dict], columns: tuple[tuple[str, str], ...]) -> list[str]:
    lines = ["| " + " | ".join(h for _, h in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows.values():
        lines.append("| " + " | ".join(_fmt(field(row, k)) for k, _ in columns) + " |")
    return lines


def write_summary(out_dir: Path) -> Path:
    """results/summary.md (one row per results/*.json, the claims table) and the PNG plots."""
    rows = load_rows(out_dir)
    lines = [
        "# edgebench summary",
        "",
        f"Written from {len(rows)} results files in this directory (by `edgebench bench`, or again by "
        "`edgebench report`); each file records the command that produced it.",
        "",
        "## Cycles and accuracy",
        "",
        f"Latency = first input beat accepted -> result valid, no stalls; II = steady-state cycles between results; "
        f"inferences/s at the {REFERENCE_CLOCK_MHZ:g} MHz reference clock.",
        "",
        *_table(rows, CYCLE_COLUMNS),
        "",
        "## Energy, area and place-and-route",
        "",
        "Energy (45 nm, 0.9 V): toggles of every net bit, counted once per physical net, over a steady-state "
        f"window, weighted by net class, plus memory accesses ({MEMORY_MODEL}); `datapath` leaves memories out; "
        "`gate` is the Yosys generic-cell netlist simulated on the first test vectors (memories as logic), and "
        "RTL/gate compares it with the RTL estimate when memories are modelled as logic too. P&R: `synth_ecp5` + "
        "nextpnr-ecp5 on the smallest ECP5 part that holds the design, post-route fmax of `clk`. LUT6: "
        "`synth_xilinx` (no place and route).",
        "",
        *_table({k: v for k, v in rows.items() if v.get("energy_pj_per_inf")}, MEASURE_COLUMNS),
    ]
    warned = [f"- {name}: {w}" for name, row in rows.items() for w in row.get("energy_warnings") or []]
    if warned:
        lines += ["", "Energy warnings:", "", *warned]
    lines += ["", "## Seed-paper claims, measured here on the same data with the same bench settings", ""]
    lines += claims_table(rows)
    lines += simspeed_table(out_dir)
    pngs = plots(rows, out_dir)
    if pngs:
        lines += ["", "## Plots", ""] + [f"![{p.stem}]({p.name})" for p in pngs]
    path = out_dir / "summary.md"
    path.write_text("\n".join(lines) + "\n")
    return path
