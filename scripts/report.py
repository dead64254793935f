"""results/summary.md and the plots, rebuilt from results/*.json alone (no simulation)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

REFERENCE_CLOCK_MHZ = 100.0

SUMMARY_COLUMNS = (
    ("design", "design"), ("config", "config"), ("simulator", "sim"), ("n", "n"), ("mismatches", "mism."),
    ("golden_accuracy", "golden acc"), ("rtl_accuracy", "RTL acc"), ("latency_cycles", "latency (cyc)"),
    ("ii_cycles", "II (cyc)"), ("ii_bound_cycles", "II bound"),
    ("inferences_per_s", f"inf/s @ {REFERENCE_CLOCK_MHZ:g} MHz"), ("est_fmax_mhz", "est. fmax (MHz)"),
    ("energy_pj_per_inf", "RTL pJ/inf"), ("gate_energy_pj_per_inf", "gate pJ/inf"),
    ("inferences_per_joule", "inf/J (RTL)"), ("nand2_eq", "NAND2 eq"), ("ffs", "FFs"),
    ("memory_bits", "mem bits"), ("luts", "LUT4 (iCE40)"), ("sim_wall_s", "sim wall (s)"),
)


@dataclass(frozen=True)
class Claim:
    text: str
    source: str
    metric: str  # results field compared
    ours: str  # design whose advantage is claimed
    baseline: str
    paper_ratio: str
    higher_is_better: bool

    def ratio(self, rows: dict[str, dict]) -> float | None:
        """The advantage of `ours` over `baseline` as the paper states it (>1 = ours better)."""
        a, b = rows.get(self.ours, {}).get(self.metric), rows.get(self.baseline, {}).get(self.metric)
        if not a or not b:
            return None
        return a / b if self.higher_is_better else b / a


CLAIMS = (
    Claim("ULEEN: more inferences per joule than FINN's BNN at similar accuracy", "Susskind et al., TACO 2023",
          "inferences_per_joule", "uleen", "bnn", "7.7x (13 M vs 1.69 M inf/J, Zynq, MNIST)", True),
    Claim("PoT: >= 1.4x more energy-efficient than uniform quantization", "Przewlocka-Rus & Kryjak, ICCVG 2022",
          "energy_pj_per_inf", "pot", "int8-mac", ">= 1.4x", False),
    Claim("PoT with zero-weight skipping vs uniform quantization", "Przewlocka-Rus & Kryjak, ICCVG 2022",
          "energy_pj_per_inf", "pot-pruned", "int8-mac", ">= 1.4x (pruning adds to it)", False),
    Claim("ASM {1,3,5,7}: 35-60 % lower energy than a MAC", "Sarwar et al., DATE 2016",
          "energy_pj_per_inf", "asm-1357", "int8-mac", "1.54x-2.5x (35 % / 60 % lower)", False),
    Claim("ASM {1}: lower energy than a MAC", "Sarwar et al., DATE 2016",
          "energy_pj_per_inf", "asm-1", "int8-mac", "1.54x-2.5x (35 % / 60 % lower)", False),
    Claim("LUTNet: about 2x fewer LUTs than the binarized baseline (both unrolled, same sizes 128-32-32-10)",
          "Wang et al., FCCM 2019", "luts", "lutnet-unrolled", "bnn-unfolded-32", "~2x", False),
)


def load_rows(out_dir: Path) -> dict[str, dict]:
    rows = {}
    for path in sorted(out_dir.glob("*.json")):
        try:
            rows[path.stem] = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc}); re-run the bench for it") from None
    return rows


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-2):
            return f"{value:.3g}"
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _largest_share(row: dict) -> str:
    parts = row.get("energy_breakdown_pj") or {}
    total = sum(parts.values())
    if not total:
        return "no breakdown"
    part = max(parts, key=parts.get)
    return f"{part} {100 * parts[part] / total:.0f} % of {total:.0f} pJ"


def _disagreement(c: Claim, r: float, rows: dict[str, dict]) -> str:
    """One sentence from the data: which way it went and where each side's energy (or area) goes."""
    side = "the baseline is better" if r < 1 else "the two are equal"
    text = f"- **{c.ours} vs {c.baseline}**: measured {r:.2f}x on {c.metric}, so here {side}; the paper reports " \
           f"{c.paper_ratio}."
    if c.metric != "luts":
        text += f" Largest energy share: {c.ours} {_largest_share(rows[c.ours])}, " \
                f"{c.baseline} {_largest_share(rows[c.baseline])}."
    return text


def claims_table(rows: dict[str, dict]) -> list[str]:
    lines = ["| claim | source | ours vs baseline | paper | measured here | same direction? |", "|---|---|---|---|---|---|"]
    notes = []
    for c in CLAIMS:
        r = c.ratio(rows)
        if r is None:
            measured, agrees = f"missing results for {c.ours} or {c.baseline}", ""
        else:
            measured = f"{r:.2f}x ({c.metric})"
            agrees = "yes" if r > 1 else "no"
            if r <= 1:
                notes.append(_disagreement(c, r, rows))
        lines.append(
            f"| {c.text} | {c.source} | {c.ours} vs {c.baseline} | {c.paper_ratio} | {measured} | {agrees} |"
        )
    return lines + [""] + notes


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
    ax.set_xlabel("energy per inference (pJ, RTL toggle model, 45 nm)")
    ax.set_ylabel("RTL accuracy (%)")
    ax.set_title("Accuracy vs energy (digits test split)")
    ax.grid(alpha=0.3)
    written.append(out_dir / "accuracy_vs_energy.png")
    fig.tight_layout()
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for n in names:
        x, y = measured[n].get("nand2_eq"), measured[n].get("inferences_per_s_at_est_fmax")
        if x and y:
            ax.scatter(x, y)
            ax.annotate(n, (x, y), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("area (NAND2 equivalents, memories mapped to logic)")
    ax.set_ylabel("inferences / s at estimated fmax")
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


def write_summary(out_dir: Path) -> Path:
    """results/summary.md (one row per results/*.json, the claims table) and the PNG plots."""
    rows = load_rows(out_dir)
    lines = [
        "# edgebench summary",
        "",
        f"Rebuilt by `edgebench report` from {len(rows)} results files in this directory; each file records the "
        "command that produced it. Latency = first input beat accepted -> result valid, no stalls; II = steady-state "
        f"cycles between results; inferences/s at the {REFERENCE_CLOCK_MHZ:g} MHz reference clock. Energy: toggle "
        "counts of every DUT net over a steady-state window, weighted by the 45 nm model in tb/energy.py "
        "(RTL level, SRAM reads by size) and by generic-cell type on the Yosys netlist (gate level, memories as "
        "logic). Area: Yosys generic cells in NAND2 equivalents; LUTs: synth_ice40.",
        "",
        "| " + " | ".join(h for _, h in SUMMARY_COLUMNS) + " |",
        "|" + "---|" * len(SUMMARY_COLUMNS),
    ]
    for row in rows.values():
        lines.append("| " + " | ".join(_fmt(row.get(k)) for k, _ in SUMMARY_COLUMNS) + " |")
    lines += ["", "## Seed-paper claims, measured here on the same data with the same bench settings", ""]
    lines += claims_table(rows)
    pngs = plots(rows, out_dir)
    if pngs:
        lines += ["", "## Plots", ""] + [f"![{p.stem}]({p.name})" for p in pngs]
    path = out_dir / "summary.md"
    path.write_text("\n".join(lines) + "\n")
    return path
