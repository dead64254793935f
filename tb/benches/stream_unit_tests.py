"""Cycle-exact cocotb tests of two valid/ready stream blocks (run by tests/test_stream_units.py, never collected).

rtl/common/stream_fifo.v   DEPTH-entry register FIFO: in_ready = fewer than DEPTH beats held, out_valid = at
                           least one held, out_data = the oldest held beat; no bypass in either direction.
rtl/lutnet/lutnet_pipe_reg.v one-entry pipeline register: in_ready = empty or being emptied this cycle.

Both are checked against one reference model, a deque of the beats the DUT has accepted and not yet delivered
(`StreamModel`). The model follows the DUT's actual handshakes, so after a mismatch it stays in step with what the
DUT really holds and every later check still means something (a mutant shows up in every check it breaks, not
only in the first). Every cycle the DUT's in_ready, out_valid and out_data are compared with the model in the
ReadOnly phase, after the inputs of that cycle are applied.

The source puts fresh random data on in_data every cycle, also while in_valid is low or in_ready is low. That is
stricter than the valid/ready rule asks of a source, on purpose: a block that captures data without a handshake,
or overwrites a held beat, then stores a value the model never accepted, and the out_data check sees it.

Environment (set by the runner): STREAM_UNIT_TOP (stream_fifo | lutnet_pipe_reg), STREAM_UNIT_WIDTH,
STREAM_UNIT_DEPTH (FIFO only), STREAM_UNIT_SEED, STREAM_UNIT_CYCLES (random cycles), STREAM_UNIT_REPRO (the
command that reproduces the run, printed in every failure).
"""

from __future__ import annotations

import os
import random
from collections import Counter, deque

import cocotb
from cocotb.clock import Clock
from cocotb.handle import SimHandleBase
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

MAX_DETAILS = 8  # failure messages kept in full; the rest are only counted per check


def _sample(handle: SimHandleBase) -> int | None:
    """The signal as an int, or None when it holds X/Z (an unwritten FIFO entry reads as X on Icarus)."""
    try:
        return int(handle.value)
    except ValueError:
        return None


class StreamModel:
    """Beats accepted and not yet delivered, in order.

    capacity: the most beats the block may hold (DEPTH, or 1 for the pipeline register).
    ready_through: in_ready may also be high when full if the held beat leaves in the same cycle (the pipeline
    register does this; the FIFO does not, so a full FIFO never accepts, even with out_ready high)."""

    def __init__(self, capacity: int, ready_through: bool) -> None:
        self.capacity, self.ready_through = capacity, ready_through
        self.beats: deque[int] = deque()

    def in_ready(self, out_ready: int) -> int:
        return int(len(self.beats) < self.capacity or bool(self.ready_through and out_ready))

    def out_valid(self) -> int:
        return int(len(self.beats) > 0)


class Bench:
    """Drives one block cycle by cycle, checks it against `StreamModel` and collects every mismatch.

    Mismatches are collected rather than raised at once, so one run reports every check a bug breaks (each
    named, counted, the first few in full with their cycle) and `finish` fails the test with all of them."""

    def __init__(self, dut: SimHandleBase) -> None:
        self.dut = dut
        self.top = os.environ["STREAM_UNIT_TOP"]
        self.width = int(os.environ["STREAM_UNIT_WIDTH"])
        self.depth = int(os.environ.get("STREAM_UNIT_DEPTH", "1"))
        self.seed = int(os.environ["STREAM_UNIT_SEED"])
        self.cycles = int(os.environ.get("STREAM_UNIT_CYCLES", "3000"))
        self.repro = os.environ.get("STREAM_UNIT_REPRO", "")
        self.is_fifo = self.top == "stream_fifo"
        # A string seed is hashed with SHA-512 by `random`, so the stream is the same on every run and machine.
        self.rng = random.Random(f"{self.seed}-{self.top}-{self.depth}-{self.width}")
        self.model = StreamModel(self.depth if self.is_fifo else 1, ready_through=not self.is_fifo)
        self.cycle_no = 0
        self.seen: tuple[int | None, int | None, int | None] = (None, None, None)  # last cycle's outputs
        self.failures: Counter[str] = Counter()
        self.details: list[str] = []
        self.sent: list[int] = []  # every beat accepted, in order
        self.received: list[int] = []  # every beat delivered, in order
        Clock(dut.clk, 10, unit="ns").start()

    # ------------------------------------------------------------------------------------------- reporting

    def expect(self, ok: bool, check: str, message: str) -> bool:
        """Record a failed check (by name) unless `ok`; returns `ok` so callers can branch on it."""
        if not ok:
            self.failures[check] += 1
            if len(self.details) < MAX_DETAILS:
                # Cycles count from reset release; the simulation time finds the spot in a waveform.
                self.details.append(f"cycle {self.cycle_no} ({get_sim_time('ns'):.0f} ns) [{check}] {message}")
        return ok

    def finish(self) -> None:
        """Fail the test if any check failed, naming the block, its parameters, the seed and how to rerun."""
        params = f"WIDTH={self.width}" + (f" DEPTH={self.depth}" if self.is_fifo else "")
        summary = ", ".join(f"{name} x{n}" for name, n in sorted(self.failures.items()))
        if self.failures:
            # Raised rather than asserted: cocotb's assertion rewriting would append the Counter's repr. The first
            # line's format ("failed checks: name xN, ...") is parsed by tests/test_stream_units.py.
            raise AssertionError(f"{self.top} {params} seed={self.seed}: failed checks: {summary}\n  "
                                 + "\n  ".join(self.details) + f"\n  reproduce: {self.repro}")

    # ------------------------------------------------------------------------------------------- driving

    async def reset(self) -> None:
        """Two reset cycles with the inputs idle; the model empties with the DUT. Then the reset state is
        checked: nothing to deliver and room to accept (DEPTH >= 1)."""
        d = self.dut
        d.rst_n.value = 0
        d.in_valid.value = 0
        d.out_ready.value = 0
        d.in_data.value = 0
        for _ in range(2):
            await RisingEdge(d.clk)
        d.rst_n.value = 1
        self.model.beats.clear()
        await ReadOnly()
        self.expect(_sample(d.out_valid) == 0, "reset", f"out_valid={_sample(d.out_valid)} after reset, want 0")
        self.expect(_sample(d.in_ready) == 1, "reset", f"in_ready={_sample(d.in_ready)} after reset, want 1")
        await RisingEdge(d.clk)

    async def cycle(self, in_valid: int, out_ready: int) -> tuple[bool, bool]:
        """One clock cycle: apply inputs (fresh random in_data), compare every output with the model in ReadOnly,
        follow the DUT's handshakes, then wait for the edge. Returns (pushed, popped) as the DUT did them."""
        d, m = self.dut, self.model
        data = self.rng.getrandbits(self.width)
        d.in_valid.value = in_valid
        d.in_data.value = data
        d.out_ready.value = out_ready
        await ReadOnly()
        in_ready, out_valid, out_data = _sample(d.in_ready), _sample(d.out_valid), _sample(d.out_data)
        self.seen = (in_ready, out_valid, out_data)
        held = len(m.beats)
        ctx = f"(in_valid={in_valid} out_ready={out_ready}, model holds {held})"
        want_ready = m.in_ready(out_ready)
        self.expect(in_ready == want_ready, "in_ready", f"in_ready={in_ready}, want {want_ready} {ctx}")
        self.expect(out_valid == m.out_valid(), "out_valid", f"out_valid={out_valid}, want {m.out_valid()} {ctx}")
        if out_valid == 1 and m.beats:
            # Checked on every valid cycle, not only on transfers: a held beat must not change while it waits.
            want = m.beats[0]
            self.expect(out_data == want, "out_data", f"out_data={out_data}, want {want} (oldest held beat) {ctx}")
        if self.is_fifo:
            # The FIFO's own counter, read through the public handle: it must track the beats held, which also
            # bounds it by DEPTH (a counter that overflows would wrap and hide a full FIFO).
            count = _sample(d.count_q)
            self.expect(count == held and count is not None and count <= self.depth, "count_q",
                        f"count_q={count}, want {held} (beats held, at most DEPTH={self.depth})")
        pushed = bool(in_valid and in_ready == 1)
        popped = bool(out_valid == 1 and out_ready)
        if popped:
            # A transfer with nothing accepted before it is a beat made up or delivered twice.
            if self.expect(bool(m.beats), "spurious_pop", f"out transfer of {out_data} with nothing held {ctx}"):
                m.beats.popleft()
            self.received.append(out_data if out_data is not None else -1)
        if pushed:
            m.beats.append(data)
            self.sent.append(data)
        # Beats accepted and not delivered must fit in the block: more means one was overwritten or dropped.
        self.expect(len(m.beats) <= m.capacity, "occupancy",
                    f"{len(m.beats)} beats accepted and not delivered, capacity {m.capacity}")
        self.cycle_no += 1
        await RisingEdge(d.clk)
        return pushed, popped

    async def drain(self) -> None:
        """Deliver everything still held (out_ready high, no input); the block must end empty, with every beat
        accepted delivered exactly once and in order (nothing lost inside, nothing made up)."""
        for _ in range(self.model.capacity + 4):
            if not self.model.beats:
                break
            await self.cycle(0, 1)
        # One idle cycle, through `cycle` like every other, so no clock edge goes by unchecked.
        await self.cycle(0, 0)
        out_valid = self.seen[1]
        self.expect(not self.model.beats and out_valid == 0, "drain",
                    f"after draining: model holds {len(self.model.beats)}, out_valid={out_valid}")
        pairs = zip(self.sent, self.received, strict=False)  # unequal lengths are part of what is reported
        first = next((i for i, (a, b) in enumerate(pairs) if a != b), "the end of the shorter")
        self.expect(self.received == self.sent, "end_to_end",
                    f"{len(self.sent)} beats in, {len(self.received)} out, first difference at beat {first}")

    async def random_traffic(self) -> None:
        """Random push/pop traffic in phases of 5-60 cycles, each with its own valid and ready probabilities,
        so the block spends long stretches full, empty, and in between (plain 50/50 traffic rarely fills an
        8-deep FIFO). Every beat is checked by `cycle`, the whole stream again by `drain`."""
        phases = [(0.9, 0.1), (0.1, 0.9), (0.5, 0.5), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.8, 0.6), (0.6, 0.8)]
        levels: Counter[str] = Counter()
        left = self.cycles
        while left > 0:
            p_in, p_out = self.rng.choice(phases)
            for _ in range(min(left, self.rng.randint(5, 60))):
                held = len(self.model.beats)
                levels["full" if held == self.model.capacity else "empty" if held == 0 else "between"] += 1
                await self.cycle(int(self.rng.random() < p_in), int(self.rng.random() < p_out))
                left -= 1
        await self.drain()
        # The traffic must have reached every occupancy class, or the run proved less than it claims.
        wanted = ("full", "empty") if self.model.capacity == 1 else ("full", "empty", "between")
        for state in wanted:
            self.expect(levels[state] > 0, "coverage", f"random traffic never {state}: {dict(levels)}")
        self.dut._log.info(f"{self.cycle_no} cycles, {len(self.sent)} beats, cycles per level {dict(levels)}")


# ----------------------------------------------------------------------------------------------- stream_fifo


@cocotb.test()
async def fifo_directed(dut: SimHandleBase) -> None:
    """Fill to full, hold full, push+pop when full / empty / at every level in between, drain, reset."""
    b = Bench(dut)
    depth = b.depth
    await b.reset()

    # Fill with out_ready low and in_valid high for DEPTH + 3 cycles: exactly DEPTH beats go in, in_ready drops
    # in the cycle after the DEPTH-th (the per-cycle in_ready check pins the exact cycle).
    accepted = [(await b.cycle(1, 0))[0] for _ in range(depth + 3)]
    b.expect(accepted == [True] * depth + [False] * 3, "fill", f"accepted per cycle {accepted}, want {depth} then none")
    filled = list(b.sent)

    # Full with both in_valid and out_ready high: one beat leaves and none enters (no bypass into a full FIFO).
    pushed, popped = await b.cycle(1, 1)
    b.expect((pushed, popped) == (False, True), "full_push_pop", f"when full: pushed={pushed} popped={popped}")

    # Drain with in_valid low: the beats come out in the order they went in, with their values.
    for _ in range(depth + 2):
        await b.cycle(0, 1)
    b.expect(b.received == filled, "drain_order", f"drained {b.received} after filling {filled}")

    # Empty with both high: the beat goes in, nothing comes out the same cycle (no fall-through bypass).
    pushed, popped = await b.cycle(1, 1)
    b.expect((pushed, popped) == (True, False), "empty_push_pop", f"when empty: pushed={pushed} popped={popped}")
    await b.drain()

    # At every level k in between: push and pop together for a while; both happen each cycle and the level stays.
    for k in range(1, depth):
        for _ in range(k):
            await b.cycle(1, 0)
        for _ in range(2 * depth + 3):  # long enough for both pointers to wrap at least once
            pushed, popped = await b.cycle(1, 1)
            b.expect(pushed and popped and len(b.model.beats) == k, "steady_push_pop",
                     f"at level {k}: pushed={pushed} popped={popped}, level now {len(b.model.beats)}")
        await b.drain()

    # Reset while holding beats: the FIFO empties (pointers and count together), and works afterwards.
    for _ in range(depth):
        await b.cycle(1, 0)
    await b.reset()
    b.sent, b.received = [], []
    for _ in range(depth):
        await b.cycle(1, 0)
    await b.drain()
    b.finish()


@cocotb.test()
async def fifo_random(dut: SimHandleBase) -> None:
    """A few thousand cycles of random push/pop traffic against the deque model."""
    b = Bench(dut)
    await b.reset()
    await b.random_traffic()
    b.finish()


# ------------------------------------------------------------------------------------------- lutnet_pipe_reg


@cocotb.test()
async def pipe_backpressure(dut: SimHandleBase) -> None:
    """Held back-pressure: out_ready low for 64 cycles while new input is offered every cycle. The held beat
    must not change, in_ready must stay low, and after release the held beat comes out first, then the next,
    one transfer per cycle."""
    b = Bench(dut)
    await b.reset()
    pushed, _ = await b.cycle(1, 0)  # the empty register takes beat A
    b.expect(pushed, "hold_setup", "the empty register did not take the first beat")
    held = b.sent[-1] if b.sent else None  # None (nothing taken) fails every hold_value check below
    for _ in range(64):
        pushed, _ = await b.cycle(1, 0)
        in_ready, out_valid, out_data = b.seen
        # Checked here against beat A itself, as well as against the model in `cycle`: these are the properties
        # this test is about, and they must not depend on the model following the DUT.
        b.expect(not pushed and in_ready == 0, "hold_ready", f"in_ready={in_ready} while full and blocked")
        b.expect(out_valid == 1 and out_data == held, "hold_value",
                 f"held beat became valid={out_valid} data={out_data}, want {held}")
    # Release with input still offered: full throughput, one in and one out per cycle, in order.
    for _ in range(16):
        pushed, popped = await b.cycle(1, 1)
        b.expect(pushed and popped, "throughput", f"streaming: pushed={pushed} popped={popped}, want both")
    b.expect(b.received[:1] == [held], "release", f"first beat out after release {b.received[:1]}, want [{held}]")
    # Toggling back-pressure (1 cycle blocked, 1 free): still nothing lost or duplicated.
    for i in range(32):
        await b.cycle(1, i % 2)
    # Reset while holding a beat: the register empties.
    await b.cycle(1, 0)
    await b.reset()
    b.sent, b.received = [], []
    await b.cycle(1, 0)
    await b.drain()
    b.finish()


@cocotb.test()
async def pipe_random(dut: SimHandleBase) -> None:
    """A few thousand cycles of random traffic against the one-entry model."""
    b = Bench(dut)
    await b.reset()
    await b.random_traffic()
    b.finish()
