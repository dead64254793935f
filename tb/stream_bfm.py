"""Bus-functional models of the edgebench stream interface, built on cocotb-bus.

Every core has the same ports (rtl/README.md): `in_data/in_valid/in_ready/in_last` and
`out_class/out_scores/out_valid/out_ready`. A transfer happens on a rising edge where valid and ready
are both high; all BFMs sample in the ReadOnly phase after the edge, so they agree on which cycle a
transfer belongs to. Time stamps are clock cycles since reset release.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from cocotb.handle import SimHandleBase
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb.utils import get_sim_time
from cocotb_bus.drivers import BusDriver
from cocotb_bus.monitors import BusMonitor


class CycleClock:
    """Converts simulation time to a cycle number relative to a start time (reset release)."""

    def __init__(self, period_ns: float) -> None:
        self.period_ns = period_ns
        self.origin_ns = 0.0

    def mark_origin(self) -> None:
        self.origin_ns = get_sim_time("ns")

    def now(self) -> int:
        return int(round((get_sim_time("ns") - self.origin_ns) / self.period_ns))


@dataclass
class StallConfig:
    """Random idle cycles between input beats and random back-pressure on the output."""

    enabled: bool
    idle_prob: float = 0.3
    max_idle: int = 3
    ready_prob: float = 0.6


class StreamSourceDriver(BusDriver):
    """Drives one input vector (a list of beats) per transaction, `in_last` on its final beat."""

    _signals = ["data", "valid", "ready", "last"]

    def __init__(self, entity: SimHandleBase, clock: SimHandleBase, stalls: StallConfig, rng: random.Random):
        super().__init__(entity, "in", clock)
        self.stalls, self.rng = stalls, rng
        self.idle_cycles = 0  # idle cycles inserted, so a test can prove the knob did something
        self.bus.valid.value = 0
        self.bus.last.value = 0
        self.bus.data.value = 0

    async def _driver_send(self, transaction: list[int], sync: bool = True) -> None:
        for i, beat in enumerate(transaction):
            if self.stalls.enabled and self.rng.random() < self.stalls.idle_prob:
                self.bus.valid.value = 0
                for _ in range(self.rng.randint(1, self.stalls.max_idle)):
                    await RisingEdge(self.clock)
                    self.idle_cycles += 1
            self.bus.data.value = beat
            self.bus.last.value = int(i == len(transaction) - 1)
            self.bus.valid.value = 1
            while True:
                await ReadOnly()
                accepted = int(self.bus.ready.value) == 1
                await RisingEdge(self.clock)
                if accepted:
                    break
        self.bus.valid.value = 0
        self.bus.last.value = 0


class InputMonitor(BusMonitor):
    """Reports the cycle in which the first beat of each input vector was accepted."""

    _signals = ["valid", "ready", "last"]

    def __init__(self, entity: SimHandleBase, clock: SimHandleBase, cycles: CycleClock, callback=None):  # noqa: ANN001
        self.cycles = cycles
        super().__init__(entity, "in", clock, callback=callback)

    async def _monitor_recv(self) -> None:
        first_beat = True
        while True:
            await RisingEdge(self.clock)
            await ReadOnly()
            if int(self.bus.valid.value) and int(self.bus.ready.value):
                if first_beat:
                    self._recv(self.cycles.now())
                first_beat = bool(int(self.bus.last.value))


def unpack_scores(packed: int, n_classes: int, score_width: int, signed: bool) -> list[int] | None:
    """`out_scores` -> one int per class (class c in bits [c*W +: W]); None when the core has no scores."""
    if score_width == 0:
        return None
    mask = (1 << score_width) - 1
    fields = [(packed >> (c * score_width)) & mask for c in range(n_classes)]
    if signed:
        half = 1 << (score_width - 1)
        fields = [f - (1 << score_width) if f >= half else f for f in fields]
    return fields


@dataclass
class OutputBeat:
    cls: int
    scores: list[int] | None
    valid_cycle: int  # first cycle this result was valid
    accept_cycle: int  # cycle it was taken (valid and ready)


class OutputMonitor(BusMonitor):
    """Reports every result with the cycle it became valid and the cycle it was accepted."""

    _signals = ["class", "valid", "ready"]
    _optional_signals = ["scores"]

    def __init__(
        self,
        entity: SimHandleBase,
        clock: SimHandleBase,
        cycles: CycleClock,
        n_classes: int,
        score_width: int,
        score_signed: bool,
        callback=None,  # noqa: ANN001
    ):
        self.cycles, self.n_classes, self.score_width = cycles, n_classes, score_width
        self.score_signed = score_signed
        self.backpressure_cycles = 0  # cycles with a result valid but not taken
        super().__init__(entity, "out", clock, callback=callback)

    def _scores(self) -> list[int] | None:
        if self.score_width == 0 or not hasattr(self.bus, "scores"):
            return None
        return unpack_scores(int(self.bus.scores.value), self.n_classes, self.score_width, self.score_signed)

    async def _monitor_recv(self) -> None:
        valid_since = None
        while True:
            await RisingEdge(self.clock)
            await ReadOnly()
            if not int(self.bus.valid.value):
                valid_since = None
                continue
            now = self.cycles.now()
            if valid_since is None:
                valid_since = now
            if not int(self.bus.ready.value):
                self.backpressure_cycles += 1
            else:
                self._recv(OutputBeat(int(getattr(self.bus, "class").value), self._scores(), valid_since, now))
                valid_since = None


async def drive_ready(signal: SimHandleBase, clock: SimHandleBase, stalls: StallConfig, rng: random.Random) -> None:
    """Output back-pressure: ready high every cycle, or high with probability `ready_prob` when stalls are on."""
    while True:
        signal.value = int(not stalls.enabled or rng.random() < stalls.ready_prob)
        await RisingEdge(clock)
