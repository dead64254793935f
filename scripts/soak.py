"""`edgebench soak`: long runs under random stalls and bursts, every core on both simulators, 0 mismatches.

Each (design, configuration, simulator) runs the `LongStalls` sequence (dataset and random vectors, half each,
in a seeded order) through the HDL-driven harness with the protocol checkers on, and the mid-stream reset test.
The test suite runs the same sequence at 10,000 vectors on Verilator (tb/checks.LONG_VECTORS); Icarus runs the
larger cores at a few dozen inferences per second, so its 10,000-vector soak lives here (`nox -s soak`).
Writes results/soak.json: per run the vectors, mismatches, cycles, stall cycles, protocol violations and wall time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import sys
from pathlib import Path

from tqdm import tqdm

from edgebench.designs.registry import get_design, styles
from edgebench.golden.errors import EdgebenchError
from edgebench.tb.runner import LONG_TEST, RESET_TEST, SimulationError, simulate
from edgebench.tb.toolchain import SIMULATORS, ToolchainError

SOAK_FILE = "soak.json"


class SoakError(EdgebenchError):
    """A user error: printed as one line, exit status 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--design", default="all",
                        help="design name or 'all' (see `edgebench list`) (default: %(default)s)")
    parser.add_argument("--config", default=None, help="configuration, or 'all' (default: each design's default)")
    parser.add_argument("--sim", default=",".join(SIMULATORS),
                        help="simulators, comma-separated (default: %(default)s)")
    parser.add_argument("-n", "--vectors", type=int, default=10_000, help="vectors per run (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed of the vectors and the stall schedule (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("results"), help="results directory (default: %(default)s)")


def _cases(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    sims = [s.strip() for s in args.sim.split(",") if s.strip()]
    bad = [s for s in sims if s not in SIMULATORS]
    if bad or not sims:
        raise SoakError(f"--sim takes {', '.join(SIMULATORS)} (comma-separated), got {args.sim!r}")
    if args.vectors < 1:
        raise SoakError(f"--vectors must be >= 1, got {args.vectors}")
    if args.seed < 0:
        raise SoakError(f"--seed must be >= 0, got {args.seed}")
    try:
        designs = list(styles()) if args.design == "all" else [get_design(args.design).name]
    except ValueError as exc:
        raise SoakError(str(exc)) from None
    cases = []
    for name in designs:
        design = styles()[name]
        configs = design.all_configs if args.config == "all" else (args.config or design.default_config,)
        for config in configs:
            if config not in design.all_configs:
                raise SoakError(f"{name} has no configuration {config!r}; it has {', '.join(design.all_configs)}")
            cases += [(name, config, sim) for sim in sims]
    return cases


def soak_one(design: str, config: str, sim: str, vectors: int, seed: int) -> dict:
    result = simulate(design, config, sim, n=40, seed=seed, tag=f"soak-s{seed}", tests=(LONG_TEST, RESET_TEST),
                      n_long=vectors, checks=True)
    long, reset = result.records.get(LONG_TEST), result.records.get(RESET_TEST)
    compared = long.compared if long else 0
    missing = vectors - compared
    return {
        "design": design, "config": config, "simulator": sim, "vectors": vectors,
        "compared": compared,
        "mismatches": (long.mismatches if long else 0) + max(0, missing),
        "sim_cycles": long.sim_cycles if long else None,
        "idle_cycles": long.idle_cycles_inserted if long else None,
        "backpressure_cycles": long.backpressure_cycles if long else None,
        "watchdog": long.watchdog if long else None,
        "ii_bound_cycles": result.core.ii_bound,
        "latency_max_cycles": long.latency_max_cycles if long else None,
        "reset_test": {key: getattr(reset, key) if reset else None
                       for key in ("compared", "mismatches", "reset_cycle", "resumed_from_vector")},
        "protocol_violations": result.protocol_violations[:10],
        "cocotb_failed": result.failed,
        "sim_wall_s": result.sim_wall_s,
        "build_wall_s": result.build_wall_s,
        "passed": result.failed == 0 and not result.protocol_violations and missing == 0
                  and long is not None and long.mismatches == 0,
        "log": str(result.sim_log),
    }


def run(args: argparse.Namespace) -> int:
    cases = _cases(args)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / SOAK_FILE
    data = json.loads(path.read_text()) if path.exists() else {}
    if not isinstance(data, dict) or not isinstance(data.get("runs", {}), dict):
        raise SoakError(f"{path} is not a soak results file; move it away or choose another --out")
    runs = data.setdefault("runs", {})
    command = getattr(args, "command", None) or "edgebench soak " + shlex.join(sys.argv[1:])
    failed = []
    for design, config, sim in tqdm(cases, desc="soak", unit="run", disable=None):
        try:
            record = soak_one(design, config, sim, args.vectors, args.seed)
        except (ToolchainError, SimulationError) as exc:
            raise SoakError(str(exc)) from None
        record |= {"seed": args.seed, "command": command, "date": datetime.date.today().isoformat()}
        runs[f"{design}/{config}/{sim}"] = record
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n")
        os.replace(tmp, path)  # after each run: an interrupted soak keeps what it finished
        tqdm.write(f"{design}/{config} {sim}: {record['compared']} vectors, {record['mismatches']} mismatches, "
                   f"{record['sim_cycles']} cycles, {record['sim_wall_s']} s"
                   + ("" if record["passed"] else f"  FAILED (log: {record['log']})"))
        if not record["passed"]:
            failed.append(f"{design}/{config}/{sim}")
    print(f"soak: {len(cases) - len(failed)} of {len(cases)} runs passed -> {path}")
    if failed:
        print(f"failed: {', '.join(failed)} (seed {args.seed}; rerun one with "
              f"`edgebench soak --design D --config C --sim S -n {args.vectors} --seed {args.seed}`)")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="edgebench soak", description=__doc__.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.command = "edgebench soak " + shlex.join(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except SoakError as exc:
        print(f"edgebench soak: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
