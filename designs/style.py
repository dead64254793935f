"""What a style declares: the one object a design module exports (`STYLES`), found by designs/registry.py.

A style is a folder of RTL (`rtl/<style>/`), a golden module (`golden/<style>.py`) and a design module
(`designs/<style>.py`) whose `STYLES` tuple holds one `Style` per design name. Everything else (the generic core
test, `edgebench bench`/`list`/`soak`/`mutants`, the claims table, the sub-block unit tests) reads the registry.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from edgebench.designs.core import CoreBuild
from edgebench.golden.datasets import Dataset


def result_field(row: dict, path: str) -> object:
    """A results field by dotted path (`fpga_pnr.fmax_mhz`), None when absent."""
    value: object = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


@dataclass(frozen=True)
class Claim:
    """A published comparison the report checks: `ours` against `baseline` on one results field.

    `ours`/`baseline` are results rows: a design name (its default configuration) or `design-config`."""

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
    # the same comparison at the papers' scale (28x28 inputs, paper-sized networks): (ours, baseline) results rows,
    # e.g. ("uleen-uleen-small", "bnn-sfc"); the claims table shows it beside the digits row
    large: tuple[str, str] | None = None

    def _ratio(self, rows: dict[str, dict], metric: str) -> float | None:
        a, b = result_field(rows.get(self.ours, {}), metric), result_field(rows.get(self.baseline, {}), metric)
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


def point_claim(text: str, source: str, metric: str, ours: str, baseline: str, paper: str, ratio: float,
                datapath_metric: str | None = None, large: tuple[str, str] | None = None) -> Claim:
    """A claim stated as one figure ("about 7x"): taken as +-20 %."""
    return Claim(text, source, metric, ours, baseline, paper, ratio / 1.2, ratio * 1.2, False, datapath_metric,
                 large)


def at_least_claim(text: str, source: str, metric: str, ours: str, baseline: str, paper: str, ratio: float,
                   datapath_metric: str | None = None, large: tuple[str, str] | None = None) -> Claim:
    """A claim stated as a lower bound (">= 1.4x"): no upper end."""
    return Claim(text, source, metric, ours, baseline, paper, ratio, math.inf, False, datapath_metric, large)


@dataclass(frozen=True)
class UnitBench:
    """One sub-block of a style built alone as the toplevel and driven by a cocotb module (tb/benches/ or the
    style's own), at one parameter set; tests/test_units.py runs every bench of every style on both simulators."""

    name: str  # unique among the style's benches, e.g. "mac_lane-8-24-8-4"
    toplevel: str
    sources: tuple[Path, ...]
    bench: str  # the cocotb module, importable in the simulator (e.g. edgebench.tb.benches.mac_lane_tests)
    parameters: Mapping[str, int]  # HDL parameters
    env: Mapping[str, str] = field(default_factory=dict)  # what the bench reads besides the parameters
    testcases: tuple[str, ...] = ()  # () = every test of the module
    sims: tuple[str, ...] = ("icarus", "verilator")
    # (run folder, seed) -> (more HDL parameters, more environment): stimuli and golden results made at run time,
    # memory files written into the run folder
    prepare: Callable[[Path, int], tuple[dict, dict]] | None = None

    def setup(self, run_dir: Path, seed: int) -> tuple[dict, dict[str, str]]:
        """The bench's HDL parameters and environment for one run (EDGEBENCH_UNIT_SEED carries the seed)."""
        params, env = dict(self.parameters), {**self.env, "EDGEBENCH_UNIT_SEED": str(seed)}
        if self.prepare is not None:
            more_params, more_env = self.prepare(run_dir, seed)
            params |= more_params
            env |= more_env
        return params, env


BuildFn = Callable[[str, Dataset, Path, Path], CoreBuild]


@dataclass(frozen=True)
class Style:
    """One design name: its configurations, how to build one, its cycles-per-inference formula, the published
    claims it is checked against and its unit-tested sub-blocks."""

    name: str
    summary: str  # one line for `edgebench list`
    rtl: str  # folder under rtl/
    configs: tuple[str, ...]  # the suite's configurations: every one runs in tests/test_cores.py on both simulators
    build: BuildFn  # (config, dataset, work dir, model cache dir) -> CoreBuild
    # The documented cycles-per-inference formula, evaluated on what the build recorded (CoreBuild.config_info):
    # the generic core test requires build, formula and the RTL's measured II to agree.
    ii_formula: Callable[[CoreBuild], int]
    default_config: str = "default"
    bench_configs: tuple[str, ...] = ()  # too large for the suite: `edgebench bench --config` only
    claims: tuple[Claim, ...] = ()
    units: tuple[UnitBench, ...] = ()

    def __post_init__(self) -> None:
        if self.default_config not in self.all_configs:
            raise ValueError(f"style {self.name}: default configuration {self.default_config!r} is not declared")
        if len(set(self.all_configs)) != len(self.all_configs):
            raise ValueError(f"style {self.name}: a configuration is declared twice")

    @property
    def all_configs(self) -> tuple[str, ...]:
        return self.configs + self.bench_configs
