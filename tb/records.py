"""What one cocotb test of the shared environment measured: a TestRecord per test.

Inside the simulator each test (tb/uvm_env.StreamTest.report_phase) writes its own record file in the run's records
directory: one file per test, written once (the file is only the process boundary). tb/runner.simulate() reads them
back as objects (SimResult.records); measure/energy.steady_window() turns one into a measurement window.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Results before this index are pipeline fill: left out of the initiation interval (and of the energy window).
II_WARMUP = 4


@dataclass(frozen=True)
class TestRecord:
    """One cocotb test's scoreboard counts, latency / initiation interval, and the raw time stamps behind them."""

    __test__ = False  # a class named Test* that pytest must not collect

    test: str  # the cocotb test (tb/stream_tests.py)
    sequence: str  # the vector set it replayed (tb/vectors.SETS)
    stalls: bool  # random idle cycles and back-pressure requested
    drive: str  # "hdl" | "python" (tb/runner.simulate)
    # scoreboard
    compared: int
    mismatches: int
    rtl_correct: int  # results equal to the dataset label
    labelled: int  # results whose input had a label
    # stalls that happened
    idle_cycles_inserted: int
    backpressure_cycles: int
    # timing, in clock cycles from reset release
    ii_bound_cycles: int
    results: int
    latency_cycles: int | None  # first input beat accepted -> result valid, min and max over the results
    latency_max_cycles: int | None
    ii_cycles: float | None  # mean result-to-result gap after II_WARMUP results
    ii_min_cycles: int | None
    ii_max_cycles: int | None
    total_cycles: int | None  # first input beat -> last result
    valid_cycles: tuple[int, ...] = field(repr=False)  # cycle of every result (sampled after its edge)
    origin_ns: float  # simulation time of cycle 0
    clock_period_ns: float
    # HDL-driven runs only (None when cocotb drove the stream cycle by cycle)
    sim_cycles: int | None = None  # cycles of the harness run
    hdl_run_s: float | None = None  # its wall time
    watchdog: int | None = None  # 0, or the side that stalled (tb/harness.TIMEOUT_SIDES)
    reset_cycle: int | None = None  # the mid-stream reset's first cycle (ResetMidStream)
    resumed_from_vector: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "valid_cycles", tuple(self.valid_cycles))

    def save(self, directory: Path) -> Path:
        """This test's own file in the records directory (temporary name + rename: never half a file)."""
        path = record_path(directory, self.test)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> TestRecord:
        return cls(**json.loads(Path(path).read_text()))


def record_path(directory: Path, test: str) -> Path:
    return Path(directory) / f"{test}.json"


def load_records(directory: Path) -> dict[str, TestRecord]:
    """Every record in the directory, by test name ({} when the simulator wrote none)."""
    records = [TestRecord.load(path) for path in sorted(Path(directory).glob("*.json"))]
    return {record.test: record for record in records}
