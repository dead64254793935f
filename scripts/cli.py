"""`edgebench`: benchmark the implemented designs and write results/<design>.json and results/summary.md.

    edgebench bench --design bnn --sim verilator --dataset digits -n 200 --out results/
    edgebench bench --design all            # every implemented design, default configuration
    edgebench report --out results/         # rebuild summary.md from the JSON files, no simulation
    edgebench simspeed --design bnn         # harness vs raw simulator speed -> results/simspeed.json
    edgebench list                          # designs and their configurations
    edgebench bench --design uleen --config bthowen-small --dataset fashion-mnist --model MODEL.npz
                                            # run a core with a given model file instead of the trained one
    edgebench import bthowen small.pickle.lzma --out MODEL.npz --dataset DATA   # a BTHOWeN model -> MODEL.npz

A user error (an option, a dataset, a cached model, a results file, a missing tool) is one line on stderr and
exit status 2, found before any simulation starts; Ctrl-C is exit status 130 with a line saying what was kept.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from tqdm import tqdm

from edgebench.golden.errors import EdgebenchError, one_line
from edgebench.golden.modelfile import GivenModel, atomic_write_text, given_model
from edgebench.scripts.report import REFERENCE_CLOCK_MHZ, SUMMARY_FILE, load_rows, load_simspeed, write_summary

if TYPE_CHECKING:
    from edgebench.tb.records import TestRecord
    from edgebench.tb.runner import SimResult

GATE_LEVEL_N = 24  # vectors simulated on the synthesized netlist (it is slow: every cell is an event)
# Above this many memory bits a design's tables are not mapped to generic gates and not synthesized for iCE40 or
# 7-series: no NAND2 area, no gate-level run, ECP5 place and route only; RTL energy is measured as for every core.
# Measured on BTHOWeN-Small (over 800 kbit of tables): Yosys' generic mapping 9 min, synth_ice40 13 min (for a part with
# 128 kbit of block RAM it cannot fit), synth_xilinx 4 min, and the gate-level run of 86 vectors did not finish in
# 17 min. The largest digits core (uleen, 145 kbit) stays below and keeps the full flow.
GATE_MAPPING_MAX_MEMORY_BITS = 1 << 18
# iCE40 synthesis and place and route are not attempted for a netlist of more generic gates than this many per
# logic cell of the iCE40HX8K. The digits cores map at 2.3 to 3.5 gates per LUT4 (uleen 44,105 gates -> 18,740 LUT4,
# lutnet-unrolled 21,828 -> 6,324), so above 8 a core needs more than twice the part; synth_ice40 on the 28x28
# unrolled LUTNet (384,612 gates) was still in ABC9 after 17 min, for a part it could never fit.
ICE40_MAX_GATES_PER_CELL = 8
# Above this many generic gates the gate-level run checks outputs only: no waves, no gate-level energy. Its toggle
# count reads the waveform one signal at a time (pywellen loads FST signals lazily, each a few ms): the 28x28
# unrolled LUTNet's netlist (384,612 gates) dumps 1.5 M signals, which took 4 to 13 ms each here, hours in all,
# while its simulation took 34 s. The largest digits core (uleen, 44,105 gates) keeps the cross-check.
GATE_ENERGY_MAX_CELLS = 100_000
# A run of more vectors than this simulates them without waves (accuracy, II) and dumps waves in a second run of
# the first ENERGY_RUN_VECTORS only: the energy window needs at most II_WARMUP + 64 results (measure/energy.py),
# and a waveform of 10,000 28x28 inferences at II 3,136 would hold 31 M cycles.
WAVE_RUN_MAX_VECTORS = 1000
ENERGY_RUN_VECTORS = 80
MAX_SEED = 2**32 - 1  # cocotb's random seed is a 32-bit value (its default is the time in seconds)
EXIT_USAGE, EXIT_INTERRUPTED = 2, 130


class CliError(EdgebenchError):
    """A user error: printed as one line, exit status 2."""


def _run_tag(tag: str, given: GivenModel | None) -> str:
    """The run folder's tag: a --model run gets its own folders (sim_build/<design>-<config>-<dataset>-<sim>-<tag>),
    named by the model's hash, so it never shares the memory files of the trained model's bench run."""
    return tag if given is None else f"{tag}-model-{given.sha256[:12]}"


def results_path(out: Path, design: str, config: str, default_config: str) -> Path:
    """results/<design>.json, or results/<design>-<config>.json for a non-default configuration."""
    return out / (f"{design}.json" if config == default_config else f"{design}-{config}.json")


def bench_one(design: str, config: str, args: argparse.Namespace, command: str) -> dict:
    from edgebench.designs.registry import get_design
    from edgebench.tb.builds import build_seconds
    from edgebench.tb.runner import simulate

    measure = not args.no_measure
    given = getattr(args, "given_model", None)  # GivenModel of --model, set by cmd_bench
    wave_run = measure and args.n_vectors > WAVE_RUN_MAX_VECTORS  # energy from a second, short run with waves
    result = simulate(design, config, args.sim, dataset=args.dataset, n=args.n, seed=args.seed,
                      tests=("DatasetStreaming",), tag=_run_tag("bench", given), waves=measure and not wave_run)
    if given is not None and not given.loads:  # the design built its model some other way than modelfile.cached
        raise CliError(f"design {design} does not load its model through golden.modelfile.cached, so --model "
                       "cannot replace it; run it without --model")
    record = result.records.get("DatasetStreaming")
    if record is None:
        raise CliError(f"{design}/{config}: simulation produced no metrics; see {result.build_dir}")
    ii = record.ii_cycles
    out = {
        "design": design,
        "config": config,
        "simulator": args.sim,
        "dataset": args.dataset,
        "n": result.n_dataset,
        "mismatches": record.mismatches + max(0, result.n_dataset - record.compared),
        "golden_accuracy": round(result.golden_accuracy, 4),
        "rtl_accuracy": round(record.rtl_correct / max(1, record.labelled), 4),
        "latency_cycles": record.latency_cycles,
        "ii_cycles": ii,
        "ii_bound_cycles": result.core.ii_bound,
        "clock_mhz": REFERENCE_CLOCK_MHZ,
        "inferences_per_s": round(REFERENCE_CLOCK_MHZ * 1e6 / ii, 1) if ii else None,
        "sim_wall_s": result.sim_wall_s,
        "build_wall_s": result.build_wall_s,
        # what the simulator build cost when it was made: build_wall_s is ~0 when this run reused it
        "simulator_build_s": build_seconds(result.exe_dir) if result.exe_dir else result.build_wall_s,
        "cocotb_tests_failed": result.failed,
        "seed": args.seed,
        "tool_versions": result.tool_versions,
        "config_info": result.core.config_info,
        **({"model_file": given.record()} if given is not None else {}),  # which model produced this result
        "command": command,
        "date": datetime.date.today().isoformat(),
    }
    if measure and record.compared:
        if wave_run:
            # the first ENERGY_RUN_VECTORS images of the same run again, now with waves (same vectors, same order)
            result = simulate(design, config, args.sim, dataset=args.dataset, n=ENERGY_RUN_VECTORS, seed=args.seed,
                              tests=("DatasetStreaming",), tag=_run_tag("energy", given), waves=True)
            record = result.records.get("DatasetStreaming")
            if record is None or result.failed or record.mismatches:
                raise CliError(f"{design}/{config}: the energy run of {ENERGY_RUN_VECTORS} vectors failed; "
                               f"see {result.build_dir}")
            out["energy_run_n"] = result.n_dataset
        out |= measure_core(result, record, args)
    path = results_path(args.out, design, config, get_design(design).default_config)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        # temporary name + rename: an interrupt or a full disk leaves the previous file, never half of a new one
        atomic_write_text(path, json.dumps(out, indent=1) + "\n")
    except OSError as exc:
        raise CliError(one_line(f"cannot write {path} ({exc}); free space or pass another --out")) from None
    return out


def measure_core(result: SimResult, record: TestRecord, args: argparse.Namespace) -> dict:
    """Area, place and route, toggle energy with the memory-bank model, and the gate-level cross-check."""
    from edgebench.measure.energy import ENERGY_MODEL, cross_check, gate_energy, rtl_energy, steady_window
    from edgebench.measure.pnr import xilinx_lut6
    from edgebench.measure.synth import coarse, synthesize, synthesize_ice40
    from edgebench.tb.runner import simulate

    synth_dir = result.build_dir / "synth"
    rough = coarse(result.core, synth_dir)
    if rough["memory_bits"] > GATE_MAPPING_MAX_MEMORY_BITS:
        return measure_large_core(result, record, rough, skip_pnr=args.no_pnr, pnr_timeout_min=args.pnr_timeout)
    area = synthesize(result.core, synth_dir, fpga=())
    ice40_skipped = ice40_out_of_reach(area["cells"])
    if ice40_skipped:
        tqdm.write(f"note: {result.core.design}/{result.core.config}: iCE40 {ice40_skipped}")
    else:
        area |= synthesize_ice40(result.core, synth_dir)
    # synth_xilinx through measure/pnr.py, which splits many-port ROMs that Yosys' wasm build cannot map
    area["xilinx"] = xilinx_lut6(result.core, result.build_dir / "xilinx")
    energy = rtl_energy(result.wave, result.core.toplevel, steady_window(record), synth_dir / "inferred.json",
                        area["ffs"])
    # every netlist cell is an Icarus event: long-II designs simulate fewer vectors (at least 12)
    n_gate = max(12, min(GATE_LEVEL_N, 2048 // max(1, int(record.ii_cycles or 1)) + 5))
    gate_tag = _run_tag("gate", getattr(args, "given_model", None))
    gate_waves = area["cells"] <= GATE_ENERGY_MAX_CELLS
    gate = simulate(result.core.design, result.core.config, "icarus", dataset=args.dataset, n=n_gate,
                    seed=args.seed, tests=("DatasetStreaming",), tag=gate_tag, waves=gate_waves, gate_level=True,
                    synth=area)
    grec = gate.records.get("DatasetStreaming")
    gate_out: dict = {"gate_level_n": gate.n_dataset, "gate_level_mismatches": grec.mismatches if grec else None,
                      "gate_level_failed": gate.failed}
    if gate_waves and grec is not None and grec.compared:
        gate_out |= gate_energy(gate.wave, result.core.toplevel, steady_window(grec), synth_dir / "netlist.json",
                                gate.synth["ffs"])
    check = cross_check(energy, gate_out) if gate_waves else {
        "rtl_gate_energy_ratio": None,
        "energy_warnings": [f"no gate-level energy: {area['cells']} generic gates (> {GATE_ENERGY_MAX_CELLS}) are "
                            "checked for outputs only, without waves"]}
    for warning in check["energy_warnings"]:
        tqdm.write(f"warning: {result.core.design}/{result.core.config}: {warning}")
    return {
        **energy,
        **gate_out,
        **check,
        **pnr_fields(result, record, ice40_skipped=ice40_skipped, skip=args.no_pnr, timeout_min=args.pnr_timeout),
        **{k: area[k] for k in ("cells", "nand2_eq", "ffs", "memory_bits", "luts", "logic_levels") if k in area},
        "fpga": {k: area[k] for k in ("ice40", "xilinx") if k in area},
        # the logic-depth rule of thumb, kept only as a labelled fallback beside the P&R figure
        "est_fmax_mhz_logic_depth_fallback": area["est_fmax_mhz"],
        "energy_model": ENERGY_MODEL,
    }


def ice40_out_of_reach(gates: int) -> str:
    """Why iCE40 synthesis and place and route are not attempted for a generic netlist of this many gates, or ""."""
    from edgebench.measure.pnr import DEVICES

    hx8k = DEVICES["ice40"][-1]
    limit = ICE40_MAX_GATES_PER_CELL * hx8k.luts
    if gates <= limit:
        return ""
    return (f"not attempted: {gates} generic gates, more than {limit} ({ICE40_MAX_GATES_PER_CELL} per logic cell of "
            f"the {hx8k.name}, whose {hx8k.luts} cells such a netlist would overflow)")


def pnr_fields(result: SimResult, record: TestRecord, ice40_skipped: str = "", skip: bool = False,
               timeout_min: float | None = None) -> dict:
    """ECP5 and iCE40 place and route of the core, and its throughput at the ECP5 post-route Fmax.
    ice40_skipped: why iCE40 is not attempted (then ECP5 only); skip: neither (--no-pnr); timeout_min: each
    nextpnr run's limit (--pnr-timeout)."""
    from edgebench.measure.pnr import place_and_route

    if skip:
        why = {"fits": None, "reason": "place and route skipped (--no-pnr)"}
        return {"fpga_pnr": {"family": "ecp5", **why}, "fpga_pnr_ice40": {"family": "ice40", **why},
                "inferences_per_s_at_fmax": None}
    pnr = place_and_route(result.core, result.build_dir / "pnr", families=("ecp5",) if ice40_skipped else
                          ("ecp5", "ice40"), timeout_s=timeout_min * 60 if timeout_min else None)
    ecp5 = pnr.get("ecp5", {})
    fmax, ii = ecp5.get("fmax_mhz"), record.ii_cycles
    return {
        "fpga_pnr": ecp5,
        "fpga_pnr_ice40": {"family": "ice40", "fits": False, "reason": ice40_skipped} if ice40_skipped else
        pnr.get("ice40", {}),
        "inferences_per_s_at_fmax": round(fmax * 1e6 / ii, 1) if fmax and ii else None,
    }


def measure_large_core(result: SimResult, record: TestRecord, rough: dict, skip_pnr: bool,
                       pnr_timeout_min: float | None = None) -> dict:
    """Tables too large to become gates (generic area, gate-level run): RTL energy from the coarse netlist and
    place and route, whose FPGA flow puts the tables in block RAM."""
    from edgebench.measure.energy import ENERGY_MODEL, rtl_energy, steady_window
    from edgebench.measure.pnr import DEVICES

    synth_dir = result.build_dir / "synth"
    energy = rtl_energy(result.wave, result.core.toplevel, steady_window(record), synth_dir / "inferred.json",
                        rough["ffs"])
    reason = (f"no gate-level cross-check: {rough['memory_bits']} memory bits (> {GATE_MAPPING_MAX_MEMORY_BITS}) "
              "are not mapped to gates")
    tqdm.write(f"warning: {result.core.design}/{result.core.config}: {reason}")
    # block RAMs of 4 kbit; synth_ice40 alone took 13 min on BTHOWeN-Small's tables the part could not hold
    hx8k = DEVICES["ice40"][-1]
    ice40 = (f"not attempted: {rough['memory_bits']} memory bits, more than the {hx8k.name}'s block RAM "
             f"({hx8k.brams * 4096}) and over the {GATE_MAPPING_MAX_MEMORY_BITS}-bit limit of the full flow")
    return {
        **energy,
        "rtl_gate_energy_ratio": None,
        "energy_warnings": [reason],
        **pnr_fields(result, record, ice40_skipped=ice40, skip=skip_pnr, timeout_min=pnr_timeout_min),
        "ffs": rough["ffs"],
        "memory_bits": rough["memory_bits"],
        "energy_model": ENERGY_MODEL,
    }


# ------------------------------------------------------------------------------------------------ checks


# `bench` has no default design. It used to mean every design, measured: about an hour of Yosys and nextpnr
# that also rewrites results/, from a bare command typed to see what it does. A "fast default set" would be no
# better: it would write a partial results/ whose summary silently covers only that set. Asking costs one flag,
# and `make bench` and `nox -s bench` already pass `--design all`.
def _no_design_message() -> str:
    from edgebench.designs.registry import styles

    return ("no --design given: pass --design NAME (" + ", ".join(styles()) + "; see `edgebench list`) or "
            "--design all (every design: about an hour with measurement, a few minutes at most with --no-measure)")


def check_out_dir(out: Path) -> None:
    """--out must be a directory that exists and is writable, or that can be created. Nothing is created here,
    so an error found later in the checks leaves no empty results folder behind."""
    if out.exists():
        if not out.is_dir():
            raise CliError(f"--out {out}: exists and is not a directory; pass a directory (created if missing)")
        if not os.access(out, os.W_OK | os.X_OK):
            raise CliError(f"--out {out}: directory is not writable; pass a directory you can write to")
        return
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise CliError(f"--out {out}: cannot be created, {parent} is a file; pass another directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CliError(f"--out {out}: cannot be created in {parent} (not writable); pass another directory")


def check_seed(seed: int) -> None:
    if not 0 <= seed <= MAX_SEED:
        raise CliError(f"--seed must be an integer in 0..{MAX_SEED}, got {seed}")


def plan_bench(args: argparse.Namespace) -> list[tuple[str, str, Path]]:
    """Every check `bench` can make before it simulates, cheapest first; returns (design, config, results path)
    per job. A mistake found only after an hour of simulation and measurement is the bug this prevents."""
    from edgebench.designs.registry import get_design, styles
    from edgebench.golden.datasets import load_dataset
    from edgebench.tb.toolchain import check_fst_headers, ensure_simulator

    if args.design is None:
        raise CliError(_no_design_message())
    if getattr(args, "model", None) is not None and (args.design == "all" or args.config == "all"):
        raise CliError(f"--model {args.model} is one design's model for one configuration: pass --design NAME and "
                       "--config NAME (or no --config: the default), not all")
    if args.design != "all" and args.design not in styles():
        raise CliError(f"unknown design {args.design!r}: choose from {', '.join(styles())} or all "
                       "(see `edgebench list`)")
    jobs = []
    for name in list(styles()) if args.design == "all" else [args.design]:
        design = get_design(name)
        if args.config == "all":
            configs = list(design.all_configs)
        elif args.config is None:
            configs = [design.default_config]
        elif args.config in design.all_configs:
            configs = [args.config]
        else:
            raise CliError(f"design {name} has no config {args.config!r}: choose from {', '.join(design.all_configs)} "
                           "or all (see `edgebench list`)")
        jobs += [(name, c, results_path(args.out, name, c, design.default_config)) for c in configs]
    check_seed(args.seed)
    if args.n is not None and args.n < 2:  # the II is measured between consecutive results
        raise CliError(f"-n must be >= 2 (test vectors to simulate; the II needs two results), got {args.n}; "
                       "omit -n for the whole test split")
    if args.pnr_timeout is not None:
        if not args.pnr_timeout > 0:
            raise CliError(f"--pnr-timeout must be > 0 minutes, got {args.pnr_timeout:g}; omit it for no limit")
        if args.no_pnr or args.no_measure:
            raise CliError("--pnr-timeout limits place and route, which --no-pnr / --no-measure skip: pass one or "
                           "the other")
    check_out_dir(args.out)
    if args.out.is_dir():  # the summary at the end reads every results file there: a malformed one fails now
        load_rows(args.out, skip=tuple(path.name for _, _, path in jobs))
        load_simspeed(args.out)
    ensure_simulator(args.sim)
    if not args.no_measure:
        if args.sim == "verilator":
            check_fst_headers()
        ensure_simulator("icarus")  # the gate-level cross-check simulates the netlist under Icarus
    if getattr(args, "model", None) is not None and not args.model.is_file():  # early; given_model checks again
        raise CliError(f"--model {args.model}: " + ("is a directory" if args.model.is_dir() else "no such file")
                       + "; pass a model file edgebench wrote (a cached model or the --out of `edgebench import`)")
    data = load_dataset(args.dataset)
    n_test = len(data.x_test)
    if args.n is not None and args.n > n_test:
        # an error, not a silent cap: the results file would record `-n 100000` beside n = 360
        raise CliError(f"-n {args.n} exceeds the {n_test} test samples of dataset {args.dataset!r}: pass -n {n_test} "
                       "or less, or omit -n for the whole test split")
    args.n_vectors = n_test if args.n is None else args.n  # what each job simulates (bench_one's wave-run choice)
    return jobs


# ------------------------------------------------------------------------------------------------ commands


def _file_state(path: Path) -> tuple[int, int] | None:
    """Identity of a results file: a rename (every write is one) gives a new inode."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """A second Ctrl-C while the summary is rebuilt would leave the stale one: hold it off for those seconds."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread (signals are the main thread's): nothing to hold off
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


def _rebuild_summary(out: Path) -> str:
    """After a run stopped early: summary.md again describes exactly the JSON files present."""
    with _sigint_ignored():
        try:
            write_summary(out)
        except (EdgebenchError, OSError) as exc:
            (out / SUMMARY_FILE).unlink(missing_ok=True)  # no summary rather than one that contradicts the files
            return one_line(f"{out / SUMMARY_FILE} removed, not rebuilt ({exc})")
    return f"{out / SUMMARY_FILE} rebuilt from the results files present"


def cmd_bench(args: argparse.Namespace) -> int:
    jobs = plan_bench(args)
    if getattr(args, "model", None) is None:
        return _bench_jobs(args, jobs)
    (design, config, _), = jobs  # plan_bench allows one job with --model
    with given_model(args.model, f"{design}/{config} on {args.dataset}") as given:
        args.given_model = given
        return _bench_jobs(args, jobs)


def _bench_jobs(args: argparse.Namespace, jobs: list[tuple[str, str, Path]]) -> int:
    command = "edgebench " + " ".join(shlex.quote(a) for a in args.argv)
    before = {path: _file_state(path) for _, _, path in jobs}
    failures = []
    try:
        for name, config, _ in tqdm(jobs, desc="bench", unit="design",
                                    disable=len(jobs) < 2 or not sys.stderr.isatty()):
            rec = bench_one(name, config, args, command)
            status = "OK" if rec["mismatches"] == 0 and rec["cocotb_tests_failed"] == 0 else "FAIL"
            ips = f"{rec['inferences_per_s']:,.0f}" if rec["inferences_per_s"] is not None else "-"
            tqdm.write(
                f"{status} {name}/{config} [{args.sim}] n={rec['n']} mismatches={rec['mismatches']} "
                f"golden_acc={rec['golden_accuracy']:.4f} rtl_acc={rec['rtl_accuracy']:.4f} "
                f"latency={rec['latency_cycles']} II={_cycles(rec['ii_cycles'])} (bound {rec['ii_bound_cycles']}) "
                f"{ips} inf/s @ {REFERENCE_CLOCK_MHZ:g} MHz, sim {rec['sim_wall_s']} s"
            )
            info = rec.get("config_info")
            published = info.get("published_accuracy") if isinstance(info, dict) else None
            if published:  # a paper's figure on its own dataset, printed for scale beside ours
                tqdm.write(f"   published: {published['model']} {published['accuracy']:.3f} on {published['dataset']} "
                           f"({published['source']}); ours {rec['golden_accuracy']:.4f} on {args.dataset}")
            if status == "FAIL":
                failures.append(f"{name}/{config}")
        notes: list[str] = []
        summary = write_summary(args.out, notes)
    except BaseException as exc:
        # Results written before the stop are kept (each file is complete); the summary is rebuilt from them
        # so it never describes a different set of files than the folder holds.
        done = [(f"{name}/{config}", path) for name, config, path in jobs if _file_state(path) != before[path]]
        note = _rebuild_summary(args.out) if done else f"nothing written, {args.out / SUMMARY_FILE} unchanged"
        if not isinstance(exc, KeyboardInterrupt):
            raise
        finished = ", ".join(f"{job} ({path})" for job, path in done) or "none"
        print(f"edgebench: interrupted after {len(done)} of {len(jobs)} designs; finished: {finished}; {note}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    _print_notes(notes)
    print(f"summary: {summary}")
    if failures:
        print(f"error: mismatches or failed checks in {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    if not args.out.exists():
        raise CliError(f"{args.out}: no results directory; run `edgebench bench --design NAME --out {args.out}` "
                       "first")
    if not args.out.is_dir():
        raise CliError(f"--out {args.out}: not a directory; pass the results directory `edgebench bench` wrote")
    notes: list[str] = []
    summary = write_summary(args.out, notes)
    _print_notes(notes)
    print(f"summary: {summary}")
    return 0


def _print_notes(notes: list[str]) -> None:
    for note in notes:  # a JSON file that is no bench result: left out, said once, not an error
        print(f"edgebench: note: {note}", file=sys.stderr)


def cmd_simspeed(args: argparse.Namespace) -> int:
    from edgebench.designs.registry import get_design, styles
    from edgebench.scripts import simspeed

    if args.design != "all" and args.design not in styles():
        raise CliError(f"unknown design {args.design!r}: choose from {', '.join(styles())} or all "
                       "(see `edgebench list`)")
    names = list(styles()) if args.design == "all" else [args.design]
    sims = [s.strip() for s in args.sim.split(",")]
    for sim in sims:
        if sim not in simspeed.DEFAULT_VECTORS:
            raise CliError(f"unknown simulator {sim!r}: choose from verilator, icarus")
    if args.repeats < 1 or (args.vectors is not None and args.vectors < 1):
        raise CliError("--repeats and --vectors must be >= 1")
    check_seed(args.seed)
    command = "edgebench " + " ".join(shlex.quote(a) for a in args.argv)
    jobs = [(name, args.config or get_design(name).default_config, sim) for name in names for sim in sims]
    for name, config, _ in jobs:  # every job checked before the first one runs
        if config not in get_design(name).all_configs:
            raise CliError(f"design {name} has no config {config!r}: "
                           f"choose from {', '.join(get_design(name).all_configs)}")
    check_out_dir(args.out)
    if args.out.is_dir():
        load_simspeed(args.out)  # simspeed.write merges into it after the first run: a malformed one fails now
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


def cmd_soak(args: argparse.Namespace) -> int:
    from edgebench.scripts import soak

    check_out_dir(args.out)
    check_seed(args.seed)
    args.command = "edgebench " + shlex.join(args.argv)
    return soak.run(args)


def cmd_mutants(args: argparse.Namespace) -> int:
    from edgebench.scripts import mutants

    check_out_dir(args.out)
    check_seed(args.seed)
    args.command = "edgebench " + shlex.join(args.argv)
    return mutants.run(args)


def check_model_out(out: Path) -> None:
    """`import --out` names a file to write: its folder must exist and be writable; nothing is created here."""
    if out.is_dir():
        raise CliError(f"--out {out}: is a directory; pass the model file to write, e.g. {out / 'model.npz'}")
    parent = out.absolute().parent
    if not parent.is_dir():
        raise CliError(f"--out {out}: folder {parent} does not exist; create it or pass another --out")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CliError(f"--out {out}: folder {parent} is not writable; pass another --out")


def matching_uleen_configs(model: object, data: object) -> list[str]:
    """The uleen configurations whose hardware and dataset properties an (imported) model has."""
    from edgebench.designs import uleen as uleen_design
    from edgebench.golden.modelfile import TRAINING_ONLY_PROPERTIES

    found = uleen_design.model_properties(model)
    names = []
    for name, hw in {**uleen_design.CONFIGS, **uleen_design.LARGE_CONFIGS}.items():
        want = uleen_design.expected_properties(hw.train, data)
        if all(found.get(k) == v for k, v in want.items() if k not in TRAINING_ONLY_PROPERTIES):
            names.append(name)
    return names


def cmd_import(args: argparse.Namespace) -> int:
    from edgebench.golden import bthowen, uleen
    from edgebench.golden.datasets import load_dataset

    check_model_out(args.out)
    data = load_dataset(args.dataset)
    try:
        model = bthowen.import_model(args.file, data, args.out)
    except OSError as exc:  # writing --out (the source's read errors are BthowenImportError)
        raise CliError(one_line(f"cannot write {args.out} ({exc}); free space or pass another --out")) from None
    sub = model.submodels[0]
    accuracy = uleen.accuracy(model, data.x_test, data.y_test)
    print(f"imported {args.file} -> {args.out}: {model.thresholds.shape[0]} inputs x {model.bits_per_feature} bits, "
          f"{sub.filters} filters of {sub.n} inputs, {sub.entries} entries, {sub.k} hashes, {model.n_classes} "
          f"classes; thresholds from the {data.name} training split; golden accuracy on its test split "
          f"{accuracy:.4f}")
    configs = matching_uleen_configs(model, data)
    if configs:
        print(f"run it: edgebench bench --design uleen --config {configs[0]} --dataset {args.dataset} "
              f"--model {args.out}" + (f" (also fits: {', '.join(configs[1:])})" if configs[1:] else ""))
    else:
        print(f"edgebench: note: no uleen configuration has this shape ({model.bits_per_feature} bits per input, "
              f"submodel ({sub.n}, {sub.entries}, {sub.k})); declare one in designs/uleen.py to run it on the "
              "core", file=sys.stderr)
    return 0


def _cycles(value: float | None) -> str:
    """A measured cycle count as a person reads it: 32, not 32.0 (a mean II may be fractional: 32.5)."""
    return "-" if value is None else f"{value:g}"


def cmd_list(args: argparse.Namespace) -> int:
    from edgebench.designs.registry import styles

    for style in styles().values():
        bench_only = f"\n    bench only (too large for the suite): {', '.join(style.bench_configs)}" \
            if style.bench_configs else ""
        print(f"{style.name}: {style.summary}\n    configurations: {', '.join(style.configs)}{bench_only}\n"
              f"    without --config: {style.default_config}")
    return 0


# ------------------------------------------------------------------------------------------------ parser


class _Parser(argparse.ArgumentParser):
    """argparse prints the usage block before an error; the project's rule is one line that says what to do."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


# Every option's help states its default (`--help` is where a user learns what a bare command will do).
def bench_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--design", default=None,
                   help="design name (see `edgebench list`) or 'all' (default: none, required)")
    p.add_argument("--config", default=None,
                   help="configuration name, or 'all' (default: each design's default configuration)")
    p.add_argument("--sim", default="verilator", choices=("verilator", "icarus"),
                   help="simulator (default: %(default)s)")
    p.add_argument("--dataset", default="digits",
                   help="digits, fashion-mnist, or a directory of MNIST-format IDX files (default: %(default)s)")
    p.add_argument("-n", type=int, default=None,
                   help="test vectors to simulate, 2 to the test split's size (default: the whole test split)")
    p.add_argument("--seed", type=int, default=1, help=f"seed for random choices, 0..{MAX_SEED} (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("results"), help="results directory (default: %(default)s)")
    p.add_argument("--no-measure", action="store_true",
                   help="skip synthesis, place and route, toggle energy and the gate-level cross-check: cycles and "
                        "accuracy only (default: measure everything)")
    p.add_argument("--no-pnr", action="store_true",
                   help="measure without place and route, its slowest step at 28x28 (nextpnr-ecp5 had not finished "
                        "a 24k-LUT core in 77 min): fpga_pnr records that it was skipped (default: place and route)")
    p.add_argument("--pnr-timeout", type=float, default=None, metavar="MIN",
                   help="stop each nextpnr run after MIN minutes and record that it did not finish, with the "
                        "synthesized cell counts (default: no limit)")
    p.add_argument("--model", type=Path, default=None,
                   help="run the core with this model file instead of the trained and cached one: a file edgebench "
                        "wrote for the same design, configuration and dataset (a cached model, or `edgebench "
                        "import`); recorded with its sha256 in the results (default: none, train or use the cache)")


def report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("results"),
                   help="results directory holding the JSON files (default: %(default)s)")


def simspeed_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--design", default="bnn", help="design name or 'all' (see `edgebench list`) (default: %(default)s)")
    p.add_argument("--config", default=None, help="configuration (default: each design's default)")
    p.add_argument("--sim", default="verilator,icarus", help="simulators, comma-separated (default: %(default)s)")
    p.add_argument("--vectors", type=int, default=None,
                   help="vectors per run (default: 10000 on Verilator, 200 on Icarus)")
    p.add_argument("--repeats", type=int, default=3,
                   help="interleaved harness/raw runs; medians are reported (default: %(default)s)")
    p.add_argument("--seed", type=int, default=1, help="seed for random vectors (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("results"), help="results directory (default: %(default)s)")


def soak_arguments(p: argparse.ArgumentParser) -> None:
    from edgebench.scripts import soak

    soak.add_arguments(p)


def mutants_arguments(p: argparse.ArgumentParser) -> None:
    from edgebench.scripts import mutants

    mutants.add_arguments(p)


def list_arguments(p: argparse.ArgumentParser) -> None:
    pass


def import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("format", choices=("bthowen",),
                   help="the model's origin: bthowen = a BTHOWeN .pickle.lzma (github.com/ZSusskind/BTHOWeN, "
                        "software_model/) (default: none, required)")
    p.add_argument("file", type=Path, help="the model file to convert (default: none, required)")
    p.add_argument("--out", type=Path, required=True,
                   help="the edgebench ULEEN model file to write (.npz; replaced atomically, never half-written) "
                        "(default: none, required)")
    p.add_argument("--dataset", required=True,
                   help="the dataset the model was trained on: digits, fashion-mnist or an MNIST-format IDX "
                        "directory. BTHOWeN files hold no thermometer thresholds (their evaluate.py recomputes them "
                        "from the training set), so they are recomputed from its training split as their code does "
                        "(default: none, required)")


@dataclass(frozen=True)
class Subcommand:
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# A subcommand is an entry here: its help line, a function adding its options, and the function it runs.
SUBCOMMANDS: dict[str, Subcommand] = {
    "bench": Subcommand("simulate designs on a dataset, check against golden, write results", bench_arguments,
                        cmd_bench),
    "report": Subcommand("rebuild results/summary.md from the JSON files", report_arguments, cmd_report),
    "simspeed": Subcommand("harness vs raw simulator speed and golden speed -> simspeed.json", simspeed_arguments,
                           cmd_simspeed),
    "soak": Subcommand("10,000 vectors under stalls, bursts and a mid-stream reset per core -> soak.json",
                       soak_arguments, cmd_soak),
    "mutants": Subcommand("mutation score: single-point RTL mutants against the tests -> mutation.json",
                          mutants_arguments, cmd_mutants),
    "list": Subcommand("list designs and configurations", list_arguments, cmd_list),
    "import": Subcommand("convert a foreign model file (BTHOWeN) to an edgebench model for `bench --model`",
                         import_arguments, cmd_import),
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="edgebench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="{" + ",".join(SUBCOMMANDS) + "}")
    for name, command in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help)
        command.arguments(p)
        p.set_defaults(func=command.run, parser=p)
    return parser


def main(argv: list[str] | None = None) -> int:
    from edgebench.measure.pnr import PlaceRouteError
    from edgebench.measure.rawsim import RawSimError
    from edgebench.measure.synth import SynthesisError
    from edgebench.tb.runner import SimulationError
    from edgebench.tb.toolchain import ToolchainError

    try:
        args, extra = build_parser().parse_known_args(argv)
        if extra:  # reported by the subcommand's parser, so the hint points at its --help
            args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed as one line
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args.argv = list(sys.argv[1:] if argv is None else argv)  # recorded in each results file as the command
    try:
        return args.func(args)
    # ValueError too: design builds and simulate() report a bad configuration that way
    except (EdgebenchError, ToolchainError, SimulationError, ValueError) as exc:
        print(f"edgebench: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    # A tool run that failed (Yosys, nextpnr, a raw simulator build): not the user's input, so exit 1, but one line
    # naming the tool's log is all the user can act on; the traceback would only point into edgebench's wrapper.
    except (SynthesisError, PlaceRouteError, RawSimError) as exc:
        print(f"edgebench: error: {one_line(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # outside `bench` (which says what it kept): nothing was half-written
        print("edgebench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `edgebench list | head`: the reader left; Python's recipe, no traceback at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
