"""results/summary.md and the plots, rebuilt from results/*.json alone (no simulation)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import replace
from pathlib import Path

from edgebench.designs.registry import claims
from edgebench.designs.style import Claim, result_field
from edgebench.golden.errors import EdgebenchError, one_line
from edgebench.golden.modelfile import atomic_write_text

REFERENCE_CLOCK_MHZ = 100.0

CYCLE_COLUMNS = (
    ("design", "design"), ("config", "config"), ("simulator", "sim"), ("dataset", "dataset"), ("n", "n"),
    ("mismatches", "mism."), ("golden_accuracy", "golden acc"), ("rtl_accuracy", "RTL acc"),
    ("latency_cycles", "latency (cyc)"), ("ii_cycles", "II (cyc)"), ("ii_bound_cycles", "II bound"),
    ("inferences_per_s", f"inf/s @ {REFERENCE_CLOCK_MHZ:g} MHz"), ("sim_wall_s", "sim wall (s)"),
    ("published", "paper acc (its dataset)"),
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
    return result_field(row, path)


# Every style's published claims (designs/<style>.py declares them; designs/style.Claim holds the ranges)
CLAIMS = claims()


SIMSPEED_FILE = "simspeed.json"  # written by `edgebench simspeed`, not a bench result
SUMMARY_FILE = "summary.md"


class ResultsFileError(EdgebenchError, ValueError):
    """A results file is unreadable or not what `edgebench bench` / `edgebench simspeed` write; or there is none."""


# What the summary needs from a results file, checked when it is read so that a damaged or foreign JSON file is
# one named error instead of a traceback (or a blank row) somewhere in the tables or plots.
REQUIRED_TEXT = ("design", "config", "simulator")
REQUIRED_COUNTS = ("n", "mismatches")  # integers >= 0
REQUIRED_NUMBERS = ("golden_accuracy", "rtl_accuracy")
OPTIONAL_TEXT = ("dataset", "fpga_pnr.device")
OBJECTS = ("fpga", "fpga.xilinx", "fpga_pnr", "energy_alternatives_pj_per_inf")  # parents of dotted fields
# every other table column, and every field a claim compares or a plot draws: a number or null when present
OPTIONAL_NUMBERS = tuple(dict.fromkeys(
    [k for k, _ in (*CYCLE_COLUMNS, *MEASURE_COLUMNS)
     if k not in (*REQUIRED_TEXT, *REQUIRED_COUNTS, *REQUIRED_NUMBERS, *OPTIONAL_TEXT, "energy_warnings",
                  "published")]
    + [m for c in CLAIMS for m in (c.metric, c.datapath_metric) if m]
    + ["gate_energy_pj_per_inf", "energy_alternatives_pj_per_inf.tables_in_sram"]
))
SIMSPEED_TEXT = ("design", "config", "simulator")
SIMSPEED_NUMBERS = ("vectors", "harness_cycles_per_s", "raw_cycles_per_s", "ratio", "raw_inferences_per_s",
                    "golden_inferences_per_s", "startup_s")
_MISSING = object()


def _is_number(value: object) -> bool:
    """A finite int or float (not bool): what the tables format and the claims and plots compute with."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float range: the ratios and plots could not use it
        return False


def _lookup(row: dict, path: str) -> object:
    value: object = row
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _kind(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def _read_json(path: Path) -> object:
    if not path.is_file():
        raise ResultsFileError(f"{path}: not a file; results are files, remove or rename this one")
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ResultsFileError(one_line(f"{path}: cannot read ({exc}); check its permissions")) from None
    except UnicodeDecodeError:
        raise ResultsFileError(f"{path}: not valid JSON (not UTF-8 text); re-run the bench for it") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, an over-long integer, nesting too deep
        raise ResultsFileError(one_line(f"{path}: not valid JSON ({exc}); re-run the bench for it")) from None


def check_row(row: dict) -> str | None:
    """Why a bench result (a JSON object with a 'design' field) cannot be a row of the summary, or None."""
    for key in REQUIRED_TEXT + REQUIRED_COUNTS + REQUIRED_NUMBERS:
        if key not in row:
            return f"missing field '{key}'"
    for key in REQUIRED_TEXT:
        if not isinstance(row[key], str):
            return f"field '{key}' must be a string, found {_kind(row[key])}"
    for key in REQUIRED_NUMBERS:  # not null either: the accuracy plot draws every measured row's rtl_accuracy
        if not _is_number(row[key]):
            return f"field '{key}' must be a finite number, found {row[key]!r:.40}"
    for key in REQUIRED_COUNTS:
        if not _is_number(row[key]) or not isinstance(row[key], int) or row[key] < 0:
            return f"field '{key}' must be an integer >= 0, found {row[key]!r:.40}"
    for key in OBJECTS:
        value = _lookup(row, key)
        if value is not _MISSING and value is not None and not isinstance(value, dict):
            return f"field '{key}' must be an object, found {_kind(value)}"
    for key in OPTIONAL_TEXT:
        value = _lookup(row, key)
        if value is not _MISSING and value is not None and not isinstance(value, str):
            return f"field '{key}' must be a string, found {_kind(value)}"
    for key in OPTIONAL_NUMBERS:
        value = _lookup(row, key)
        if value is not _MISSING and value is not None and not _is_number(value):
            return f"field '{key}' must be a finite number, found {value!r:.40}"
    warnings = row.get("energy_warnings")
    if warnings is not None and (not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings)):
        return "field 'energy_warnings' must be a list of strings"
    parts = row.get("energy_breakdown_pj")
    if parts is not None and (not isinstance(parts, dict) or not all(_is_number(v) for v in parts.values())):
        return "field 'energy_breakdown_pj' must map names to finite numbers"
    return None


# Other subcommands keep their own JSON in the results folder; they are not bench results and are left out
# silently. (Any other JSON without a 'design' field is left out too, with a note.)
OTHER_OUTPUTS = (SIMSPEED_FILE, "soak.json", "mutation.json")


def read_results_file(path: Path) -> dict | None:
    """One results/<design>.json validated for the summary, or None when the file is JSON but no bench result
    (no 'design' field: `{}`, an array, another tool's output). A damaged bench result (unreadable, not JSON,
    a field of the wrong type) is a ResultsFileError naming the file and the reason."""
    data = _read_json(path)
    if not isinstance(data, dict) or "design" not in data:
        return None
    reason = check_row(data)
    if reason is not None:
        raise ResultsFileError(f"{path}: {reason}; re-run the bench for it or remove the file")
    return data


def results_files(out_dir: Path) -> list[Path]:
    return [p for p in sorted(out_dir.glob("*.json")) if p.name not in OTHER_OUTPUTS]


def load_rows(out_dir: Path, skip: tuple[str, ...] = (), notes: list[str] | None = None) -> dict[str, dict]:
    """Every bench result in out_dir by name (file stem). `skip`: files a bench run is about to replace.
    `notes` receives one line per JSON file left out because it is no bench result."""
    rows = {}
    for path in results_files(out_dir):
        if path.name in skip:
            continue
        row = read_results_file(path)
        if row is not None:
            rows[path.stem] = row
        elif notes is not None:
            notes.append(f"{path}: not a bench result (no 'design' field), left out of the summary")
    return rows


def load_simspeed(out_dir: Path) -> dict[str, dict]:
    """The runs of simspeed.json (empty when `edgebench simspeed` has not written one), validated."""
    path = out_dir / SIMSPEED_FILE
    if not path.exists():
        return {}
    data = _read_json(path)
    runs = data.get("runs") if isinstance(data, dict) else None
    reason = None
    if not isinstance(runs, dict):
        reason = "expected {\"runs\": {...}}"
    else:
        for name, run in runs.items():
            if not isinstance(run, dict):
                reason = f"run {name!r} must be an object, found {_kind(run)}"
            else:
                bad = [k for k in SIMSPEED_TEXT if not isinstance(run.get(k), str)]
                bad += [k for k in SIMSPEED_NUMBERS if not _is_number(run.get(k))]
                if bad:
                    reason = f"run {name!r}: field '{bad[0]}' missing or of the wrong type"
            if reason:
                break
    if reason:
        raise ResultsFileError(f"{path}: {reason}; re-run `edgebench simspeed` or remove the file")
    return runs


def simspeed_table(runs: dict[str, dict]) -> list[str]:
    """The simulation-speed section from simspeed.json's runs, when `edgebench simspeed` has written one."""
    if not runs:
        return []
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
    """One row per claim and scale: the suite's digits designs, then (where the claim names them) the paper-scale
    28x28 configurations, so the two measurements of one claim stand side by side."""
    lines = ["| claim | source | scale | ours vs baseline | paper | measured | tables in SRAM | datapath only "
             "| gate level | verdict |", "|---|---|---|---|---|---|---|---|---|---|"]
    notes = []
    for claim in CLAIMS:
        scales = [("digits 8x8", claim)]
        if claim.large is not None:
            scales.append(("28x28", replace(claim, ours=claim.large[0], baseline=claim.large[1], large=None)))
        for scale, c in scales:
            r = c.ratio(rows)
            if r is None and c.ours in rows and c.baseline in rows:  # benched with --no-measure
                lacking = [n for n in (c.ours, c.baseline) if field(rows[n], c.metric) is None]
                measured, verdict = f"not measured: no {c.metric} in {' or '.join(lacking or [c.ours, c.baseline])}", ""
            elif r is None:
                measured, verdict = f"missing results for {c.ours} or {c.baseline}", ""
            else:
                measured = f"{r:.2f}x ({c.metric})"
                verdict = c.verdict(r)
                if verdict != "within":
                    notes.append(_explain(c, r, verdict, rows))
            lines.append(f"| {c.text} | {c.source} | {scale} | {c.ours} vs {c.baseline} | {c.paper} | {measured} | "
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


def _save_png(fig: object, path: Path) -> None:
    """Written under a temporary name and renamed, like every results file: an interrupt leaves no half PNG."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        fig.savefig(tmp, dpi=120, format="png")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


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
    _save_png(fig, written[-1])
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
    _save_png(fig, written[-1])
    plt.close(fig)

    parts = ("registers", "logic", "memories", "io")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    bottom = [0.0] * len(names)
    for part in parts:
        vals = [(measured[n].get("energy_breakdown_pj") or {}).get(part, 0.0) for n in names]
        ax.bar(names, vals, bottom=bottom, label=part)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax.set_ylabel("pJ per inference")
    ax.set_title("Energy breakdown per design (RTL toggle model)")
    ax.legend()
    ax.tick_params(axis="x", labelrotation=45)
    written.append(out_dir / "energy_breakdown.png")
    fig.tight_layout()
    _save_png(fig, written[-1])
    plt.close(fig)
    return written


def _published(row: dict) -> str:
    """The paper's accuracy for this configuration's network, with the dataset it was measured on (a paper-scale
    configuration records it in config_info.published_accuracy), e.g. `0.934 (MNIST)`."""
    pub = field(row, "config_info.published_accuracy")
    if not isinstance(pub, dict) or not _is_number(pub.get("accuracy")):
        return ""
    return f"{pub['accuracy']:.4g} ({pub.get('dataset', '?')})"


DERIVED = {"published": _published}  # table columns computed from a row rather than read from one field


def _table(rows: dict[str, dict], columns: tuple[tuple[str, str], ...]) -> list[str]:
    lines = ["| " + " | ".join(h for _, h in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows.values():
        cells = [DERIVED[k](row) if k in DERIVED else _fmt(field(row, k)) for k, _ in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def summary_lines(rows: dict[str, dict], runs: dict[str, dict], pngs: list[Path]) -> list[str]:
    """summary.md's text from validated rows (load_rows), simspeed runs (load_simspeed) and the plots' paths."""
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
        "nextpnr-ecp5 on the smallest ECP5 part that holds the design, post-route fmax of `clk`; a part with "
        "counts and no fmax: nextpnr was stopped by `--pnr-timeout` after packing, and the counts are as packed "
        "(placement and routing add no cells). LUT6: `synth_xilinx` (no place and route).",
        "",
        *_table({k: v for k, v in rows.items() if v.get("energy_pj_per_inf")}, MEASURE_COLUMNS),
    ]
    warned = [f"- {name}: {w}" for name, row in rows.items() for w in row.get("energy_warnings") or []]
    if warned:
        lines += ["", "Energy warnings:", "", *warned]
    lines += ["", "## Seed-paper claims, measured here on the same data with the same bench settings", ""]
    lines += claims_table(rows)
    lines += simspeed_table(runs)
    if pngs:
        lines += ["", "## Plots", ""] + [f"![{p.stem}]({p.name})" for p in pngs]
    return lines


def write_summary(out_dir: Path, notes: list[str] | None = None) -> Path:
    """results/summary.md (one row per bench result in results/*.json, the claims table) and the PNG plots;
    `notes` receives a line per JSON file left out (load_rows).

    Every file is read and checked before anything is written, and each output appears complete (temporary
    name + rename): a malformed file or an interrupt leaves the previous summary, never half of a new one."""
    notes = [] if notes is None else notes
    rows = load_rows(out_dir, notes=notes)
    if not rows:
        others = f" ({len(notes)} other JSON files there have none)" if notes else ""
        raise ResultsFileError(f"{out_dir}: no bench results (*.json with a 'design' field) to summarize{others}; "
                               f"run `edgebench bench --design NAME --out {out_dir}` first")
    runs = load_simspeed(out_dir)
    pngs = plots(rows, out_dir)
    return atomic_write_text(out_dir / SUMMARY_FILE, "\n".join(summary_lines(rows, runs, pngs)) + "\n")
