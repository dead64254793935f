"""The one pyuvm environment that drives every edgebench core.

sequence item  : one input vector (its bus beats) and its golden output
sequences      : dataset replay, random vectors, corner cases (all-zeros, all-ones, alternating)
driver         : StreamSourceDriver (cocotb-bus) with optional random idle cycles
monitors       : input first-beat times, output results (cocotb-bus)
scoreboard     : compares every result (class and, where exposed, scores) with the golden output
metrics        : latency (first input beat accepted -> result valid), steady-state initiation interval
record         : one TestRecord per test (tb/records.py), its own file, read back by tb/runner.simulate
"""

from __future__ import annotations

import random
import time
import zlib
from fractions import Fraction
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, First, RisingEdge, Timer
from pyuvm import (
    ConfigDB,
    uvm_analysis_port,
    uvm_component,
    uvm_driver,
    uvm_env,
    uvm_sequence,
    uvm_sequence_item,
    uvm_sequencer,
    uvm_subscriber,
    uvm_test,
    uvm_tlm_analysis_fifo,
)

from edgebench.golden.encoding import pack_beats
from edgebench.tb.harness import (
    TIMEOUT_SIDES,
    HarnessResults,
    longest_stall,
    read_results,
    stall_schedule,
    write_run,
)
from edgebench.tb.records import II_WARMUP, TestRecord
from edgebench.tb.stream_bfm import (
    CycleClock,
    InputMonitor,
    OutputBeat,
    OutputMonitor,
    StallConfig,
    StreamSourceDriver,
    drive_ready,
    unpack_scores,
)
from edgebench.tb.vectors import SimSpec, VectorSet, load_set

MAX_REPORTED_MISMATCHES = 10


class StreamItem(uvm_sequence_item):
    def __init__(self, name: str, index: int, beats: list[int], exp_class: int,
                 exp_scores: list[int] | None, label: int, last: bool = True):
        super().__init__(name)
        self.index, self.beats, self.exp_class, self.exp_scores, self.label = index, beats, exp_class, exp_scores, label
        self.last = last  # in_last marks the final beat (else the frame ends by its beat count)

    def __str__(self) -> str:
        return f"#{self.index} class={self.exp_class} scores={self.exp_scores}"


class VectorSetSequence(uvm_sequence):
    """Replays one vector set of the run's vectors file, in order."""

    vector_set = "dataset"

    async def body(self) -> None:
        spec: SimSpec = ConfigDB().get(None, "", "SPEC")
        vectors: VectorSet = load_set(spec.vectors_path, self.vector_set)
        beats = pack_beats(vectors.bits, spec.bus_width)
        framed = vectors.frame_beats is not None and vectors.frame_last is not None
        for i in range(len(vectors)):
            scores = None if vectors.scores is None else [int(s) for s in vectors.scores[i]]
            vector_beats = beats[i][:int(vectors.frame_beats[i])] if framed else beats[i]
            item = StreamItem(f"{self.vector_set}{i}", i, vector_beats, int(vectors.classes[i]), scores,
                              int(vectors.labels[i]), bool(vectors.frame_last[i]) if framed else True)
            await self.start_item(item)
            await self.finish_item(item)


class DatasetReplaySequence(VectorSetSequence):
    vector_set = "dataset"


class RandomVectorSequence(VectorSetSequence):
    vector_set = "random"


class CornerCaseSequence(VectorSetSequence):
    vector_set = "corner"


class FrameSequence(VectorSetSequence):
    """Random vectors as short frames, frames without in_last and plain ones (tb/runner.make_frames)."""

    vector_set = "frames"


class LongSequence(VectorSetSequence):
    """Thousands of vectors (dataset and random), for long runs under stalls in the HDL-driven mode."""

    vector_set = "long"


class StreamDriver(uvm_driver):
    """Per-cycle mode: drives each item's beats through the cocotb-bus BFM as the sequence produces it.
    HDL-driven mode: collects the items; the test hands their beats to the HDL harness in one go."""

    def build_phase(self) -> None:
        self.expected_ap = uvm_analysis_port("expected_ap", self)
        self.hdl_driven = ConfigDB().get(self, "", "SPEC").drive == "hdl"
        self.collected: list[list[int]] = []
        self.lasts: list[bool] = []
        self.idle_cycles = 0

    def start_of_simulation_phase(self) -> None:
        if not self.hdl_driven:
            dut = cocotb.top
            self.bfm = StreamSourceDriver(dut, dut.clk, ConfigDB().get(self, "", "STALLS"),
                                          ConfigDB().get(self, "", "RNG"))

    async def run_phase(self) -> None:
        while True:
            item = await self.seq_item_port.get_next_item()
            self.expected_ap.write(item)  # the core is in-order: expectations queue in send order
            if self.hdl_driven:
                self.collected.append(item.beats)
                self.lasts.append(item.last)
            else:
                await self.bfm.send(item.beats)
                self.idle_cycles = self.bfm.idle_cycles
            self.seq_item_port.item_done()


class StreamMonitors(uvm_component):
    """Publishes input first-beat cycles and output results: from the cocotb-bus monitors cycle by cycle, or,
    HDL-driven, from the harness's record after the run (`publish`)."""

    def build_phase(self) -> None:
        self.input_ap = uvm_analysis_port("input_ap", self)
        self.output_ap = uvm_analysis_port("output_ap", self)
        self.spec: SimSpec = ConfigDB().get(self, "", "SPEC")
        self.hdl_backpressure = 0

    def start_of_simulation_phase(self) -> None:
        if self.spec.drive == "hdl":
            return
        dut = cocotb.top
        cycles: CycleClock = ConfigDB().get(self, "", "CYCLES")
        spec = self.spec
        self.inputs = InputMonitor(dut, dut.clk, cycles, callback=self.input_ap.write)
        self.outputs = OutputMonitor(dut, dut.clk, cycles, spec.n_classes, spec.score_width, spec.score_signed,
                                     callback=self.output_ap.write)

    def publish(self, record: HarnessResults) -> None:
        for cycle in record.input_cycles:
            self.input_ap.write(cycle)
        for valid_cycle, accept_cycle, cls, packed in record.results:
            scores = unpack_scores(packed, self.spec.n_classes, self.spec.score_width, self.spec.score_signed)
            self.output_ap.write(OutputBeat(cls, scores, valid_cycle, accept_cycle))
        self.hdl_backpressure = record.backpressure_cycles

    @property
    def backpressure_cycles(self) -> int:
        """Cycles with a result valid but not taken, from whichever path ran."""
        return self.hdl_backpressure if self.spec.drive == "hdl" else self.outputs.backpressure_cycles


class Scoreboard(uvm_component):
    def build_phase(self) -> None:
        self.expected_fifo = uvm_tlm_analysis_fifo("expected_fifo", self)
        self.actual_fifo = uvm_tlm_analysis_fifo("actual_fifo", self)
        self.expected_export = self.expected_fifo.analysis_export
        self.actual_export = self.actual_fifo.analysis_export
        self.compared = self.mismatches = self.correct = self.labelled = 0
        self.n_actual = 0

    def check_phase(self) -> None:
        while self.expected_fifo.can_get():
            _, exp = self.expected_fifo.try_get()
            ok, act = self.actual_fifo.try_get()
            if not ok:
                self.logger.error(f"no result for input {exp}")
                self.mismatches += 1
                continue
            self.compared += 1
            if exp.label >= 0:
                self.labelled += 1
                self.correct += int(act.cls == exp.label)
            bad = act.cls != exp.exp_class or (exp.exp_scores is not None and act.scores != exp.exp_scores)
            if bad:
                self.mismatches += 1
                if self.mismatches <= MAX_REPORTED_MISMATCHES:
                    self.logger.error(f"mismatch on input {exp}: RTL class={act.cls} scores={act.scores}")
        extra = 0
        while self.actual_fifo.can_get():
            self.actual_fifo.try_get()
            extra += 1
        if extra:
            self.logger.error(f"{extra} results with no input")
            self.mismatches += extra


class MetricsCollector(uvm_component):
    """Latency and initiation interval from monitor time stamps."""

    class _Inputs(uvm_subscriber):
        def write(self, cycle: int) -> None:
            self.parent.input_cycles.append(cycle)

    class _Outputs(uvm_subscriber):
        def write(self, beat: OutputBeat) -> None:
            self.parent.outputs.append(beat)

    def build_phase(self) -> None:
        self.input_cycles: list[int] = []
        self.outputs: list[OutputBeat] = []
        self.cycles: CycleClock = ConfigDB().get(self, "", "CYCLES")
        self.inputs_sub = self._Inputs("inputs_sub", self)
        self.outputs_sub = self._Outputs("outputs_sub", self)

    def summary(self) -> dict:
        """The timing fields of a TestRecord."""
        valid = [o.valid_cycle for o in self.outputs]
        latencies = [v - i for v, i in zip(valid, self.input_cycles, strict=False)]
        steady = valid[II_WARMUP:] if len(valid) > II_WARMUP + 1 else valid
        gaps = [b - a for a, b in zip(steady, steady[1:], strict=False)]
        ii = Fraction(steady[-1] - steady[0], len(steady) - 1) if len(steady) > 1 else None
        return {
            "results": len(valid),
            "latency_cycles": min(latencies) if latencies else None,
            "latency_max_cycles": max(latencies) if latencies else None,
            "ii_cycles": float(ii) if ii is not None else None,
            "ii_min_cycles": min(gaps) if gaps else None,
            "ii_max_cycles": max(gaps) if gaps else None,
            "total_cycles": (valid[-1] - self.input_cycles[0]) if valid and self.input_cycles else None,
            # raw time stamps, for measurements over a steady-state window (measure/energy.py)
            "valid_cycles": tuple(valid),
            "origin_ns": self.cycles.origin_ns,
            "clock_period_ns": self.cycles.period_ns,
        }


class StreamEnv(uvm_env):
    def build_phase(self) -> None:
        self.sequencer = uvm_sequencer("sequencer", self)
        self.driver = StreamDriver("driver", self)
        self.monitors = StreamMonitors("monitors", self)
        self.scoreboard = Scoreboard("scoreboard", self)
        self.metrics = MetricsCollector("metrics", self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.sequencer.seq_item_export)
        self.driver.expected_ap.connect(self.scoreboard.expected_export)
        self.monitors.output_ap.connect(self.scoreboard.actual_export)
        self.monitors.input_ap.connect(self.metrics.inputs_sub.analysis_export)
        self.monitors.output_ap.connect(self.metrics.outputs_sub.analysis_export)


class StreamTest(uvm_test):
    """Base test: reset, run one sequence, wait for every result, check, record metrics.

    Subclasses set SEQUENCE, STALLS (random idle cycles and back-pressure) and CHECK_II."""

    SEQUENCE: type[VectorSetSequence] = DatasetReplaySequence
    STALLS = False
    CHECK_II = False
    RESET_MID_STREAM = False  # HDL-driven only: reset once, part-way through the stream (tb/harness.write_run)
    HDL_ONLY = False  # the test needs the HDL harness (framing or reset the per-cycle BFM does not do)

    def build_phase(self) -> None:
        import os

        self.spec = SimSpec.load(os.environ["EDGEBENCH_SPEC"])
        self.cycles = CycleClock(self.spec.clock_period_ns)
        seed = self.spec.seed
        self.stalls = StallConfig(enabled=self.STALLS)
        self.rng = random.Random(seed)
        ConfigDB().set(None, "*", "SPEC", self.spec)
        ConfigDB().set(None, "*", "STALLS", self.stalls)
        ConfigDB().set(None, "*", "RNG", self.rng)
        ConfigDB().set(None, "*", "CYCLES", self.cycles)
        self.env = StreamEnv("env", self)

    async def run_phase(self) -> None:
        self.raise_objection()
        if self.HDL_ONLY and self.spec.drive != "hdl":
            raise AssertionError(f"{type(self).__name__} needs the HDL-driven harness (drive='hdl')")
        if self.spec.drive == "hdl":
            await self.run_hdl_driven()
        else:
            await self.run_per_cycle()
        self.drop_objection()

    def result_budget(self, expected: int) -> int:
        """Cycles every result must be out in; a generous bound that turns a hang into a clear failure."""
        return 1000 + expected * self.spec.ii_bound * (20 if self.STALLS else 3)

    async def run_per_cycle(self) -> None:
        dut = cocotb.top
        Clock(dut.clk, self.spec.clock_period_ns, unit="ns").start()
        dut.rst_n.value = 0
        dut.out_ready.value = 0
        for _ in range(4):
            await RisingEdge(dut.clk)
        dut.rst_n.value = 1
        self.cycles.mark_origin()
        cocotb.start_soon(drive_ready(dut.out_ready, dut.clk, self.stalls, random.Random(self.spec.seed + 1)))
        seq = self.SEQUENCE("seq")
        await seq.start(self.env.sequencer)
        expected = self.env.scoreboard.expected_fifo.used()
        budget, waited = self.result_budget(expected), 0
        while self.env.scoreboard.actual_fifo.used() < expected and waited < budget:
            await RisingEdge(dut.clk)
            waited += 1
        for _ in range(8):  # catch spurious extra results
            await RisingEdge(dut.clk)

    def reset_cycle(self, n_vectors: int) -> int:
        """When to reset mid-stream (0: never): a seeded cycle while about a quarter to half of the vectors have
        gone in; the harness waits from there for a vector that is part-way in, so the reset finds results in
        flight, queued, and a vector half-received (a deserializer that forgets to clear its beat count fails)."""
        if not self.RESET_MID_STREAM:
            return 0
        ii = self.spec.ii_bound
        rng = np.random.default_rng([self.spec.seed, zlib.crc32(f"{self.spec.design}/{self.spec.config}".encode())])
        return int(rng.integers(max(1, n_vectors // 4) * ii, max(2, n_vectors // 2) * ii + 1))

    async def run_hdl_driven(self) -> None:
        """The sequence fills the driver; the harness runs every beat and stall at the simulator's speed."""
        harness = cocotb.top.harness
        seq = self.SEQUENCE("seq")
        await seq.start(self.env.sequencer)
        beats = self.env.driver.collected
        run_dir = Path(self.spec.run_dir)
        schedule = None
        if self.STALLS:
            st = self.stalls
            # each design, configuration and test gets its own pattern under one run seed
            stream = zlib.crc32(f"{self.spec.design}/{self.spec.config}/{type(self).__name__}".encode())
            schedule = stall_schedule(np.random.default_rng([self.spec.seed, stream]), st.idle_prob, st.max_idle,
                                      st.ready_prob, ii=self.spec.ii_bound)
        budget = self.result_budget(len(beats))
        reset_at = self.reset_cycle(len(beats))
        # the watchdog: no beat taken and no result for this many cycles ends the run at once; it outwaits the
        # schedule's own longest stall, which is legal however long
        watchdog = 100 + 20 * self.spec.ii_bound + longest_stall(schedule)
        write_run(run_dir, beats, self.spec.bus_width, schedule, watchdog=watchdog, reset_at=reset_at,
                  lasts=self.env.driver.lasts, max_beats=1 << self.spec.beats_aw)
        harness.start.value = 1
        step = Timer(1000 * self.spec.clock_period_ns, unit="ns")  # loading and writing take one edge each
        await First(RisingEdge(harness.loaded), step)  # files in memory: the timed stretch is the run itself
        if not int(harness.loaded.value):
            raise AssertionError("the HDL harness did not start: is it idle? (see the simulator log)")
        began = time.perf_counter()
        await First(RisingEdge(harness.ran), Timer(budget * self.spec.clock_period_ns, unit="ns"))
        self.hdl_run_s = time.perf_counter() - began
        if not int(harness.ran.value):
            harness.start.value = 0
            raise AssertionError(f"the HDL harness did not finish within {budget} cycles (seed {self.spec.seed})")
        await First(RisingEdge(harness.done), step)  # results written
        harness.start.value = 0
        await First(FallingEdge(harness.done), step)  # the harness is idle again: the next test may start it
        record = read_results(run_dir)
        self.cycles.origin_ns = record.origin_ns
        self.hdl_record = record
        self.env.driver.idle_cycles = record.idle_cycles
        self.env.monitors.publish(record)
        if reset_at and record.reset is None:
            raise AssertionError(f"the mid-stream reset at cycle {reset_at} did not happen: the run ended at cycle "
                                 f"{record.cycles} (seed {self.spec.seed})")
        if record.timeout:
            self.logger.error(f"watchdog: the run stalled at cycle {record.cycles} on the "
                              f"{TIMEOUT_SIDES[record.timeout]} (seed {self.spec.seed})")

    def check_phase(self) -> None:
        pass

    def report_phase(self) -> None:
        sb, hdl = self.env.scoreboard, getattr(self, "hdl_record", None)
        name = type(self).__name__
        hdl_fields = {}
        if hdl is not None:  # HDL-driven: the run's cycles and wall time, for simulation-speed figures
            hdl_fields = {"sim_cycles": hdl.cycles, "hdl_run_s": round(self.hdl_run_s, 4), "watchdog": hdl.timeout,
                          "reset_cycle": hdl.reset[0] if hdl.reset else None,
                          "resumed_from_vector": hdl.reset[1] if hdl.reset else None}
        record = TestRecord(
            test=name,
            sequence=self.SEQUENCE.vector_set,
            stalls=self.STALLS,
            drive=self.spec.drive,
            compared=sb.compared,
            mismatches=sb.mismatches,
            rtl_correct=sb.correct,
            labelled=sb.labelled,
            idle_cycles_inserted=self.env.driver.idle_cycles,
            backpressure_cycles=self.env.monitors.backpressure_cycles,
            ii_bound_cycles=self.spec.ii_bound,
            **self.env.metrics.summary(),
            **hdl_fields,
        )
        record.save(Path(self.spec.records_dir))
        self.logger.info(f"{name}: {record}")
        if hdl is not None and hdl.timeout:
            raise AssertionError(f"watchdog fired: the {TIMEOUT_SIDES[hdl.timeout]} stalled (seed {self.spec.seed})")
        assert sb.compared > 0, "no results compared"
        assert sb.mismatches == 0, f"{sb.mismatches} mismatches against the golden model (seed {self.spec.seed})"
        stalled = record.idle_cycles_inserted > 0 and record.backpressure_cycles > 0
        if self.STALLS and sb.compared >= 30:  # long enough that "no stall at all" is ~1e-9 likely
            assert stalled, f"stalls were requested but none happened: {record}"
        if not self.STALLS:
            assert record.idle_cycles_inserted == 0 and record.backpressure_cycles == 0, record
        if self.CHECK_II:
            assert record.ii_cycles == self.spec.ii_bound, (
                f"initiation interval {record.ii_cycles} != bound {self.spec.ii_bound} cycles "
                f"(min {record.ii_min_cycles}, max {record.ii_max_cycles})"
            )
