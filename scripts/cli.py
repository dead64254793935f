"""`edgebench`: benchmark the implemented designs and write results/<design>.json and results/summary.md.

    edgebench bench --design bnn --sim verilator --dataset digits -n 200 --out results/
    edgebench bench --design all            # every implemented design, default configuration
    edgebench report --out results/         # rebuild summary.md from the JSON files, no simulation
    edgebench simspeed --design bnn         # harness vs raw simulator speed -> results/simspeed.json
    edgebench list                          # designs and their configurations
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
from pathlib import Path

from tqdm import tqdm

from scripts.report import REFERENCE_CLOCK_MHZ, write_summary
from tb.runner import SimResult

GATE_LEVEL_N = 24  # vectors simulated on the synthesized netlist (it is slow: every cell is an event)
# Above this many memory bits a design's tables are not mapped to generic gates (Yosys would build megabits of
# ROM as logic for hours): no NAND2 area, no gate-level run; energy and place and route still are measured.
GATE_MAPPING_MAX_MEMORY_BITS = 1 << 20


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def _results_name(design: str, config: str, default_config: str) -> str:
    return design if config == default_config else f"{design}-{config}"


def bench_one(design: str, config: str, args: argparse.Namespace, command: str) -> dict:
    from golden.designs import get_design
    from tb.runner import simulate

    measure = not args.no_measure
    result = simulate(design, config, args.sim, dataset=args.dataset, n=args.n, seed=args.seed,
                      tests=("DatasetStreaming",), tag="bench", waves=measure)
    record = result.metrics.get("DatasetStreaming")
    if record is None:
        raise CliError(f"{design}/{config}: simulation produced no metrics; see {result.build_dir}")
    ii = record["ii_cycles"]
    out = {
        "design": design,
        "config": config,
        "simulator": args.sim,
        "dataset": args.dataset,
        "n": result.n_dataset,
        "mismatches": record["mismatches"] + max(0, result.n_dataset - record["compared"]),
        "golden_accuracy": round(result.golden_accuracy, 4),
        "rtl_accuracy": round(record["rtl_correct"] / max(1, record["labelled"]), 4),
        "latency_cycles": record["latency_cycles"],
        "ii_cycles": ii,
        "ii_bound_cycles": result.core.ii_bound,
        "clock_mhz": REFERENCE_CLOCK_MHZ,
        "inferences_per_s": round(REFERENCE_CLOCK_MHZ * 1e6 / ii, 1) if ii else None,
        "sim_wall_s": result.sim_wall_s,
        "build_wall_s": result.build_wall_s,
        "cocotb_tests_failed": result.failed,
        "seed": args.seed,
        "tool_versions": result.tool_versions,
        "config_info": result.core.config_info,
        "command": command,
        "date": datetime.date.today().isoformat(),
    }
    if measure and record["compared"]:
        out |= measure_core(result, record, args)
    name = _results_name(design, config, get_design(design).default_config)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(out, indent=1) + "\n")
    tmp.replace(path)
    return out


def measure_core(result: SimResult, record: dict, args: argparse.Namespace) -> dict:
    """Area, place and route, toggle energy with the memory-bank model, and the gate-level cross-check."""
    from tb.energy import ENERGY_MODEL, cross_check, gate_energy, rtl_energy
    from tb.pnr import xilinx_lut6
    from tb.runner import simulate
    from tb.synth import coarse, synthesize

    synth_dir = result.build_dir / "synth"
    rough = coarse(result.core, synth_dir)
    if rough["memory_bits"] > GATE_MAPPING_MAX_MEMORY_BITS:
        return measure_large_core(result, record, rough)
    area = synthesize(result.core, synth_dir, fpga=("ice40",))
    # synth_xilinx through tb/pnr.py, which splits many-port ROMs that Yosys' wasm build cannot map
    area["xilinx"] = xilinx_lut6(result.core, result.build_dir / "xilinx")
    energy = rtl_energy(result.wave, result.core.toplevel, record, synth_dir / "inferred.json", area["ffs"])
    # every netlist cell is an Icarus event: long-II designs simulate fewer vectors (at least 12)
    n_gate = max(12, min(GATE_LEVEL_N, 2048 // max(1, int(record["ii_cycles"] or 1)) + 5))
    gate = simulate(result.core.design, result.core.config, "icarus", dataset=args.dataset, n=n_gate,
                    seed=args.seed, tests=("DatasetStreaming",), tag="gate", waves=True, gate_level=area)
    grec = gate.metrics.get("DatasetStreaming", {})
    gate_out: dict = {"gate_level_n": gate.n_dataset, "gate_level_mismatches": grec.get("mismatches"),
                      "gate_level_failed": gate.failed}
    if grec.get("compared"):
        gate_out |= gate_energy(gate.wave, result.core.toplevel, grec, synth_dir / "netlist.json",
                                gate.synth["ffs"])
    check = cross_check(energy, gate_out)
    for warning in check["energy_warnings"]:
        tqdm.write(f"warning: {result.core.design}/{result.core.config}: {warning}")
    return {
        **energy,
        **gate_out,
        **check,
        **pnr_fields(result, record),
        **{k: area[k] for k in ("cells", "nand2_eq", "ffs", "memory_bits", "luts", "logic_levels")},
        "fpga": {k: area[k] for k in ("ice40", "xilinx") if k in area},
        # the logic-depth rule of thumb, kept only as a labelled fallback beside the P&R figure
        "est_fmax_mhz_logic_depth_fallback": area["est_fmax_mhz"],
        "energy_model": ENERGY_MODEL,
    }


def pnr_fields(result: SimResult, record: dict) -> dict:
    """ECP5 and iCE40 place and route of the core, and its throughput at the ECP5 post-route Fmax."""
    from tb.pnr import place_and_route

    pnr = place_and_route(result.core, result.build_dir / "pnr")
    ecp5 = pnr.get("ecp5", {})
    fmax, ii = ecp5.get("fmax_mhz"), record["ii_cycles"]
    return {
        "fpga_pnr": ecp5,
        "fpga_pnr_ice40": pnr.get("ice40", {}),
        "inferences_per_s_at_fmax": round(fmax * 1e6 / ii, 1) if fmax and ii else None,
    }


def measure_large_core(result: SimResult, record: dict, rough: dict) -> dict:
    """Tables too large to become gates (generic area, gate-level run): RTL energy from the coarse netlist and
    place and route, whose FPGA flow puts the tables in block RAM."""
    from tb.energy import ENERGY_MODEL, rtl_energy

    synth_dir = result.build_dir / "synth"
    energy = rtl_energy(result.wave, result.core.toplevel, record, synth_dir / "inferred.json", rough["ffs"])
    reason = (f"no gate-level cross-check: {rough['memory_bits']} memory bits (> {GATE_MAPPING_MAX_MEMORY_BITS}) "
              "are not mapped to gates")
    tqdm.write(f"warning: {result.core.design}/{result.core.config}: {reason}")
    return {
        **energy,
        "rtl_gate_energy_ratio": None,
        "energy_warnings": [reason],
        **pnr_fields(result, record),
        "ffs": rough["ffs"],
        "memory_bits": rough["memory_bits"],
        "energy_model": ENERGY_MODEL,
    }


def cmd_bench(args: argparse.Namespace) -> int:
    from golden.designs import DESIGNS, get_design

    names = list(DESIGNS) if args.design == "all" else [args.design]
    jobs = []
    for name in names:
        design = get_design(name)
        if args.config == "all":
            configs = list(design.configs)
        elif args.config is None:
            configs = [design.default_config]
        elif args.config in design.configs:
            configs = [args.config]
        else:
            raise CliError(f"design {name} has no config {args.config!r}; choose from {', '.join(design.configs)}")
        jobs += [(name, c) for c in configs]
    command = "edgebench " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    failures = []
    for name, config in tqdm(jobs, desc="bench", unit="design", disable=len(jobs) < 2 or not sys.stderr.isatty()):
        rec = bench_one(name, config, args, command)
        status = "OK" if rec["mismatches"] == 0 and rec["cocotb_tests_failed"] == 0 else "FAIL"
        tqdm.write(
            f"{status} {name}/{config} [{args.sim}] n={rec['n']} mismatches={rec['mismatches']} "
            f"golden_acc={rec['golden_accuracy']:.4f} rtl_acc={rec['rtl_accuracy']:.4f} "
            f"latency={rec['latency_cycles']} II={rec['ii_cycles']} (bound {rec['ii_bound_cycles']}) "
            f"{rec['inferences_per_s']:,.0f} inf/s @ {REFERENCE_CLOCK_MHZ:g} MHz, sim {rec['sim_wall_s']} s"
        )
        if status == "FAIL":
            failures.append(f"{name}/{config}")
    print(f"summary: {write_summary(args.out)}")
    if failures:
        print(f"error: mismatches or failed checks in {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    if not args.out.is_dir():
        raise CliError(f"{args.out}: no results directory; run `edgebench bench` first")
    print(f"summary: {write_summary(args.out)}")
    return 0


def cmd_simspeed(args: argparse.Namespace) -> int:
    from golden.designs import DESIGNS, get_design
    from scripts import simspeed

    names = list(DESIGNS) if args.design == "all" else [args.design]
    sims = [s.strip() for s in args.sim.split(",")]
    for sim in sims:
        if sim not in simspeed.DEFAULT_VECTORS:
            raise CliError(f"unknown simulator {sim!r}: choose from verilator, icarus")
    if args.repeats < 1 or (args.vectors is not None and args.vectors < 1):
        raise CliError("--repeats and --vectors must be >= 1")
    command = "edgebench " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    jobs = [(name, args.config or get_design(name).default_config, sim) for name in names for sim in sims]
    for name, config, _ in jobs:  # every job checked before the first one runs
        if config not in get_design(name).configs:
            raise CliError(f"design {name} has no config {config!r}")
    path = None
    for name, config, sim in tqdm(jobs, desc="simspeed", unit="run", disable=len(jobs) < 2 or not sys.stderr.isatty()):
        n = args.vectors or simspeed.DEFAULT_VECTORS[sim]
        try:
            row = simspeed.measure(name, config, sim, n_vectors=n, repeats=args.repeats, seed=args.seed)
        except RuntimeError as exc:
            raise CliError(str(exc)) from None
        path = simspeed.write(args.out, [row], command)
        tqdm.write(
            f"{name}/{config} [{sim}] harness {row['harness_cycles_per_s']:,} cycles/s, raw "
            f"{row['raw_cycles_per_s']:,} -> ratio {row['ratio']}; inferences/s: raw {row['raw_inferences_per_s']:,}, "
            f"golden {row['golden_inferences_per_s']:,}; start-up {row['startup_s']} s, build {row['build_s']} s"
        )
    print(f"written: {path}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from golden.designs import DESIGNS

    for design in DESIGNS.values():
        print(f"{design.name}: configs {', '.join(design.configs)} (default {design.default_config})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edgebench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    bench = sub.add_parser("bench", help="simulate designs on a dataset, check against golden, write results")
    bench.add_argument("--design", default="all", help="design name or 'all' (see `edgebench list`)")
    bench.add_argument("--config", default=None, help="configuration name, or 'all' (default: the design's default)")
    bench.add_argument("--sim", default="verilator", choices=("verilator", "icarus"))
    bench.add_argument("--dataset", default="digits",
                       help="digits, fashion-mnist, or a directory of MNIST-format IDX files")
    bench.add_argument("-n", type=int, default=None, help="test vectors to simulate (default: the whole test split)")
    bench.add_argument("--seed", type=int, default=1, help="seed for random choices (default 1)")
    bench.add_argument("--out", type=Path, default=Path("results"), help="results directory")
    bench.add_argument("--no-measure", action="store_true",
                       help="skip synthesis, toggle energy and the gate-level cross-check (cycles only)")
    bench.set_defaults(func=cmd_bench)
    report = sub.add_parser("report", help="rebuild results/summary.md from the JSON files")
    report.add_argument("--out", type=Path, default=Path("results"))
    report.set_defaults(func=cmd_report)
    speed = sub.add_parser("simspeed", help="harness vs raw simulator speed and golden speed -> simspeed.json",
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    speed.add_argument("--design", default="bnn", help="design name or 'all' (see `edgebench list`)")
    speed.add_argument("--config", default=None, help="configuration (default: each design's default)")
    speed.add_argument("--sim", default="verilator,icarus", help="simulators, comma-separated")
    speed.add_argument("--vectors", type=int, default=None,
                       help="vectors per run (default: 10000 on Verilator, 200 on Icarus)")
    speed.add_argument("--repeats", type=int, default=3, help="interleaved harness/raw runs; medians are reported")
    speed.add_argument("--seed", type=int, default=1)
    speed.add_argument("--out", type=Path, default=Path("results"), help="results directory")
    speed.set_defaults(func=cmd_simspeed)
    lst = sub.add_parser("list", help="list designs and configurations")
    lst.set_defaults(func=cmd_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    from golden.datasets import DatasetError
    from golden.modelfile import ModelFileError
    from tb.runner import SimulationError
    from tb.toolchain import ToolchainError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CliError, ToolchainError, SimulationError, DatasetError, ModelFileError, ValueError) as exc:
        print(f"edgebench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
