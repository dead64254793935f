"""Cycle-exact cocotb tests of the shared control blocks in rtl/common (run by tests/test_shared_blocks.py, never
collected):

rtl/common/fold_sequencer.v  input double buffer, step / group counters, issue -> compute control registers
rtl/common/fold_collector.v  neuron-group collection, output FIFO, in-flight credit
rtl/common/core_shell.v      stream_deserializer -> datapath ports -> [result FIFO + credit] -> argmax_output

Each block is checked two ways every cycle (in the ReadOnly phase, after that cycle's inputs are applied):
1. against a small Python reference model of the block (`SeqModel`, `CollectModel`, `ShellModel`), register by
   register as the block's header comment describes it, on every output; the model runs on the same inputs and its
   own state, so a wrong output shows at the first cycle it appears;
2. against properties that do not use the model: the order in which a sequencer issues its steps and which vector
   it works on, the vectors a collector assembles from the group results it was given, the vectors a shell
   delivers for the beats it took and the argmax of the scores it was given, and the credit rules (a block never
   holds more than its FIFO depth, a result is never refused). These name the behaviour the cores rely on.

Inputs are random every cycle (data also while valid is low), in phases with their own probabilities, so the blocks
spend long stretches full, empty and stalled. A reset also comes in the middle of traffic.

Environment (set by the runner): BLOCK_TOP (fold_sequencer | fold_collector | core_shell), BLOCK_PARAMS (JSON of
the Verilog parameters), BLOCK_SEED, BLOCK_CYCLES (random cycles), BLOCK_REPRO (the command that reproduces the
run, printed in every failure).
"""

from __future__ import annotations

import json
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
    """The signal as an int, or None when it holds X/Z."""
    try:
        return int(handle.value)
    except ValueError:
        return None


def _width(n: int) -> int:
    """The RTL's index width for n values: clog2(n), at least 1."""
    return max(1, (n - 1).bit_length())


def _credit_width(depth: int) -> int:
    """clog2(depth + 1): a counter that holds 0..depth."""
    return depth.bit_length()


class Bench:
    """Drives one block cycle by cycle and collects every failed check (named, counted, the first few in full)."""

    def __init__(self, dut: SimHandleBase) -> None:
        self.dut = dut
        self.top = os.environ["BLOCK_TOP"]
        self.params: dict[str, int] = json.loads(os.environ["BLOCK_PARAMS"])
        self.seed = int(os.environ["BLOCK_SEED"])
        self.cycles = int(os.environ.get("BLOCK_CYCLES", "3000"))
        self.repro = os.environ.get("BLOCK_REPRO", "")
        # A string seed is hashed with SHA-512 by `random`, so the stream is the same on every run and machine.
        self.rng = random.Random(f"{self.seed}-{self.top}-{sorted(self.params.items())}")
        self.cycle_no = 0
        self.failures: Counter[str] = Counter()
        self.details: list[str] = []
        self.coverage: Counter[str] = Counter()
        # The block's state is unknown until a reset edge: at power-up, and at the start of every test but the
        # first of a run (the previous test left it in some state). Outputs are compared from then on.
        self.known = False
        Clock(dut.clk, 10, unit="ns").start()

    def expect(self, ok: bool, check: str, message: str) -> bool:
        if not ok:
            self.failures[check] += 1
            if len(self.details) < MAX_DETAILS:
                self.details.append(f"cycle {self.cycle_no} ({get_sim_time('ns'):.0f} ns) [{check}] {message}")
        return ok

    def finish(self, wanted_coverage: tuple[str, ...] = ()) -> None:
        """Fail the test if any check failed (or a wanted situation never occurred), naming the block, its
        parameters, the seed and how to rerun."""
        for item in wanted_coverage:
            self.expect(self.coverage[item] > 0, "coverage", f"never reached {item!r}: {dict(self.coverage)}")
        self.dut._log.info(f"{self.cycle_no} cycles, coverage {dict(self.coverage)}")
        summary = ", ".join(f"{name} x{n}" for name, n in sorted(self.failures.items()))
        if self.failures:
            # Raised rather than asserted (cocotb's assertion rewriting would append the Counter's repr). The
            # first line's format ("failed checks: name xN, ...") is parsed by tests/test_shared_blocks.py.
            raise AssertionError(f"{self.top} {self.params} seed={self.seed}: failed checks: {summary}\n  "
                                 + "\n  ".join(self.details) + f"\n  reproduce: {self.repro}")

    async def apply(self, inputs: dict[str, int], want: dict[str, int]) -> dict[str, int | None]:
        """One cycle: drive `inputs`, compare every output named in `want` with the model's value in ReadOnly,
        then wait for the edge. Returns the sampled outputs."""
        for name, value in inputs.items():
            getattr(self.dut, name).value = value
        await ReadOnly()
        got = {name: _sample(getattr(self.dut, name)) for name in want}
        for name, value in want.items():
            if self.known:
                self.expect(got[name] == value, name, f"{name}={got[name]}, model {value} (inputs {inputs})")
        self.cycle_no += 1
        await RisingEdge(self.dut.clk)
        if inputs.get("rst_n", 1) == 0:
            self.known = True
        return got

    def phases(self, options: list[tuple[float, ...]]):  # noqa: ANN201 - a generator of probability tuples
        """Random-traffic phases of 5-60 cycles, each with its own probabilities, until BLOCK_CYCLES are used."""
        left = self.cycles
        while left > 0:
            probs = self.rng.choice(options)
            for _ in range(min(left, self.rng.randint(5, 60))):
                left -= 1
                yield probs


# ============================================================================================ fold_sequencer


class SeqModel:
    """fold_sequencer, register by register."""

    def __init__(self, p: dict[str, int]) -> None:
        self.vec_w, self.steps, self.groups = p["VEC_W"], p["STEPS"], p["GROUPS"]
        self.group_steps, self.end_in = p["GROUP_STEPS"], p.get("GROUP_END_IN", 0)
        self.step_mask = (1 << _width(self.steps)) - 1
        self.inner_mask = (1 << _width(self.group_steps)) - 1
        self.group_mask = (1 << _width(self.groups)) - 1
        self.reset()

    def reset(self) -> None:
        self.in_full = self.busy = 0
        self.in_buf = self.work = 0
        self.step = self.inner = self.group = 0
        self.first_q = 1
        self.c = {"c_valid": 0, "c_first": 0, "c_last": 0, "c_final": 0, "c_group": 0}

    def comb(self, in_valid: int, room: int, group_end: int) -> dict[str, int]:
        final = int(self.step == self.steps - 1)
        last = group_end if self.end_in else int(self.inner == self.group_steps - 1)
        first = self.first_q if self.end_in else int(self.inner == 0)
        start = int(bool(self.in_full and (not self.busy or final) and room))
        in_ready = int(not self.in_full or start)
        return {"in_ready": in_ready, "start": start, "work": self.work, "issue": self.busy, "step": self.step,
                "inner": self.inner, "group": self.group, **self.c, "_final": final, "_last": last,
                "_first": first, "_accept": int(bool(in_valid and in_ready))}

    def clock(self, rst_n: int, inputs: dict[str, int]) -> None:
        if not rst_n:
            self.reset()
            return
        o = self.comb(inputs["in_valid"], inputs["room"], inputs["group_end"])
        start, last = o["start"], o["_last"]
        self.c = {"c_valid": self.busy, "c_first": o["_first"], "c_last": last, "c_final": o["_final"],
                  "c_group": self.group}
        if self.end_in:
            self.first_q = 1 if start else (last if self.busy else self.first_q)
        old_buf = self.in_buf
        if o["_accept"]:
            self.in_buf = inputs["in_data"]
        if start:
            self.work = old_buf
        self.in_full = int(bool(o["_accept"] or (self.in_full and not start)))
        if start:
            self.busy, self.step, self.inner, self.group = 1, 0, 0, 0
        elif self.busy:
            self.busy = int(not o["_final"])
            self.step = (self.step + 1) & self.step_mask
            self.inner = 0 if last else (self.inner + 1) & self.inner_mask
            if last:
                self.group = (self.group + 1) & self.group_mask


def _partition(rng: random.Random, steps: int, groups: int, most: int) -> list[int]:
    """Group lengths for GROUP_END_IN=1: `groups` lengths in 1..most summing to `steps` (a schedule a weight
    memory could hold); one at the longest and one of 1 where the numbers allow it."""
    lengths = [1] * groups
    for _ in range(steps - groups):
        lengths[rng.choice([g for g in range(groups) if lengths[g] < most])] += 1
    rng.shuffle(lengths)
    return lengths


class SeqBench(Bench):
    """fold_sequencer: the model every cycle, plus the issue order, the vector worked on and the compute stage
    checked against the schedule itself."""

    def __init__(self, dut: SimHandleBase) -> None:
        super().__init__(dut)
        self.model = SeqModel(self.params)
        m = self.model
        if m.end_in:
            lengths = _partition(self.rng, m.steps, m.groups, m.group_steps)
        else:
            lengths = [m.group_steps] * m.groups
        # the schedule of one vector: (inner, group, first, last) of every step; `ends` is the group_end memory
        self.schedule: list[tuple[int, int, int, int]] = []
        for g, n in enumerate(lengths):
            self.schedule += [(i, g, int(i == 0), int(i == n - 1)) for i in range(n)]
        self.ends = [s[3] for s in self.schedule]
        self.accepted: deque[int] = deque()  # vectors taken and not yet started
        self.working: int | None = None  # the vector the last start moved into `work`
        self.prev: dict[str, int | None] | None = None  # last cycle's issue stage
        self.starts: list[int] = []  # cycles of every start
        self.dut._log.info(f"group lengths {lengths}")

    async def cycle(self, in_valid: int, room: int, rst_n: int = 1) -> dict[str, int | None]:
        m = self.model
        data = self.rng.getrandbits(m.vec_w)
        # group_end is read from the "memory" at the issued step, as mac_layer reads its word's last flag
        group_end = self.ends[m.step] if m.end_in and m.step < len(self.ends) else 0
        inputs = {"rst_n": rst_n, "in_valid": in_valid, "in_data": data, "room": room, "group_end": group_end}
        want = {k: v for k, v in m.comb(in_valid, room, group_end).items() if not k.startswith("_")}
        known = self.known
        got = await self.apply(inputs, want)
        if known:
            self.check_schedule(got, room, rst_n)
        m.clock(rst_n, inputs)
        if not rst_n:
            self.accepted.clear()
            self.working, self.prev = None, None
            return got
        if got["start"] == 1:
            self.starts.append(self.cycle_no)
            self.coverage["start"] += 1
            self.working = self.accepted.popleft() if self.accepted else None
        if in_valid and got["in_ready"] == 1:
            self.accepted.append(data)
        self.coverage["buffer full"] += int(got["in_ready"] == 0)
        self.coverage["no room"] += int(not room and bool(self.accepted))
        return got

    def check_schedule(self, got: dict[str, int | None], room: int, rst_n: int) -> None:
        """Properties that do not use the model."""
        if got["start"] == 1:
            self.expect(room == 1, "start_without_room", "a vector started while room was low")
        if got["issue"] == 1:
            step = got["step"]
            if self.expect(step is not None and step < len(self.schedule), "step_range", f"issued step {step}"):
                inner, group, _, _ = self.schedule[step]
                self.expect((got["inner"], got["group"]) == (inner, group), "schedule",
                            f"step {step}: inner={got['inner']} group={got['group']}, schedule says {inner}, {group}")
            # consecutive steps: after step s comes s+1, or step 0 of the next vector after a start
            if self.prev is not None and self.prev["issue"] == 1 and self.prev["step"] is not None:
                follows = 0 if self.prev["start"] == 1 else self.prev["step"] + 1
                self.expect(step == follows, "step_order", f"step {step} after step {self.prev['step']}")
            self.expect(got["work"] == self.working, "work",
                        f"issuing from work={got['work']}, the vector started last was {self.working}")
        if self.prev is not None and rst_n:
            p = self.prev
            issued = p["issue"] == 1 and p["step"] is not None and p["step"] < len(self.schedule)
            self.expect(got["c_valid"] == p["issue"], "c_valid", f"c_valid={got['c_valid']}, issue was {p['issue']}")
            if issued and got["c_valid"] == 1:
                _, group, first, last = self.schedule[p["step"]]
                final = int(p["step"] == len(self.schedule) - 1)
                want = (first, last, final, group)
                have = (got["c_first"], got["c_last"], got["c_final"], got["c_group"])
                self.expect(have == want, "compute_stage", f"(c_first, c_last, c_final, c_group)={have}, "
                            f"step {p['step']} of the schedule is {want}")
        self.prev = dict(got) if rst_n else None

    async def reset(self, cycles: int = 2) -> None:
        for _ in range(cycles):
            await self.cycle(0, 0, rst_n=0)


@cocotb.test()
async def seq_directed(dut: SimHandleBase) -> None:
    """One vector alone; back-to-back vectors (a start every STEPS cycles, no gap); a full buffer held by
    `room` low (in_ready drops, no start), then released; a reset in the middle of a vector."""
    b = SeqBench(dut)
    steps = b.model.steps
    await b.reset()
    # one vector: accepted, started the next cycle, STEPS issue cycles, then idle
    got = await b.cycle(1, 1)
    b.expect(got["in_ready"] == 1, "idle_ready", "an empty sequencer does not take a vector")
    issues = 0
    for _ in range(steps + 4):
        issues += (await b.cycle(0, 1))["issue"] or 0
    b.expect(issues == steps, "one_vector", f"{issues} issue cycles for one vector, want {steps}")
    # back to back: input and room always there -> starts exactly STEPS cycles apart
    first = len(b.starts)
    for _ in range(6 * steps + 4):
        await b.cycle(1, 1)
    gaps = [y - x for x, y in zip(b.starts[first:], b.starts[first + 1:], strict=False)]
    b.expect(len(gaps) >= 4 and set(gaps) == {steps}, "back_to_back", f"cycles between starts {gaps}, want {steps}")
    # room low: the current vector finishes, one waits in the buffer, in_ready falls, nothing starts
    before = len(b.starts)
    readies = [(await b.cycle(1, 0))["in_ready"] for _ in range(steps + 6)]
    b.expect(len(b.starts) == before and readies[-1] == 0, "no_room",
             f"with room low: {len(b.starts) - before} starts, in_ready per cycle {readies}")
    got = await b.cycle(1, 1)  # room back: the waiting vector starts this very cycle, and a new one is taken
    b.expect(got["start"] == 1 and got["in_ready"] == 1, "room_back", f"room back: {got}")
    # reset in the middle of a vector, then the sequencer works again
    for _ in range(max(1, steps // 2)):
        await b.cycle(1, 1)
    await b.reset(1)
    for _ in range(3 * steps + 4):
        await b.cycle(1, 1)
    b.finish(("start", "buffer full"))


@cocotb.test()
async def seq_random(dut: SimHandleBase) -> None:
    """Random in_valid / room traffic in phases, with an occasional reset, against the model and the schedule."""
    b = SeqBench(dut)
    await b.reset()
    for p_in, p_room in b.phases([(0.9, 0.9), (1.0, 1.0), (0.3, 0.9), (0.9, 0.1), (1.0, 0.0), (0.5, 0.5)]):
        if b.rng.random() < 0.002:
            await b.reset(1)
        await b.cycle(int(b.rng.random() < p_in), int(b.rng.random() < p_room))
    b.finish(("start", "buffer full", "no room"))


# ============================================================================================ fold_collector


class CollectModel:
    """fold_collector, register by register (its FIFO as a deque)."""

    def __init__(self, p: dict[str, int]) -> None:
        self.mh, self.pe, self.res_w, self.depth = p["MH"], p["PE"], p["RES_W"], p["OUT_DEPTH"]
        self.credit_mask = (1 << _credit_width(self.depth)) - 1
        self.reset()

    def reset(self) -> None:
        self.inflight, self.collect = 0, 0
        self.fifo: deque[int] = deque()

    def collect_d(self, c: dict[str, int]) -> int:
        out, mask = self.collect, (1 << self.res_w) - 1
        if c["c_valid"] and c["c_last"]:
            for n in range(self.mh):
                if c["c_group"] == n // self.pe:
                    field = (c["c_res"] >> ((n % self.pe) * self.res_w)) & mask
                    out = out & ~(mask << (n * self.res_w)) | (field << (n * self.res_w))
        return out

    def comb(self) -> dict[str, int]:
        want = {"room": int(self.inflight < self.depth), "out_valid": int(bool(self.fifo))}
        if self.fifo:
            want["out_data"] = self.fifo[0]
        return want

    def clock(self, rst_n: int, inputs: dict[str, int]) -> None:
        if not rst_n:
            self.reset()
            return
        pop = int(bool(self.fifo) and inputs["out_ready"])
        # stream_fifo takes a push only when it is not full at the start of the cycle (no bypass)
        push = inputs["c_valid"] and inputs["c_final"] and len(self.fifo) < self.depth
        data = self.collect_d(inputs)
        if pop:
            self.fifo.popleft()
        if push:
            self.fifo.append(data)
        self.inflight = (self.inflight + inputs["start"] - pop) & self.credit_mask
        self.collect = data


class CollectBench(Bench):
    """fold_collector: the model every cycle, plus every vector out checked against the group results that were
    given for it, and the credit bound."""

    def __init__(self, dut: SimHandleBase) -> None:
        super().__init__(dut)
        self.model = CollectModel(self.params)
        m = self.model
        self.groups = m.mh // m.pe
        self.group_w = _width(self.groups)
        self.started = 0  # vectors started and not yet pushed (their final step not yet given)
        self.expected: deque[int] = deque()  # vectors pushed, as assembled from the results given (no model)
        self.assembly = 0  # the vector being assembled, from the results given since reset
        self.received = 0

    async def cycle(self, inputs: dict[str, int], rst_n: int = 1) -> dict[str, int | None]:
        m = self.model
        full = {"rst_n": rst_n, "start": 0, "c_valid": 0, "c_last": 0, "c_final": 0, "c_group": 0, "c_res": 0,
                "out_ready": 0, **inputs}
        got = await self.apply(full, m.comb())
        m.clock(rst_n, full)
        if not rst_n:
            self.started, self.assembly = 0, 0
            self.expected.clear()
            return got
        # independent bookkeeping: fields of the group given with c_last, the vector pushed on c_final
        if full["c_valid"] and full["c_last"] and full["c_group"] < self.groups:
            mask = (1 << m.res_w) - 1
            for p in range(m.pe):
                n = full["c_group"] * m.pe + p
                field = (full["c_res"] >> (p * m.res_w)) & mask
                self.assembly = self.assembly & ~(mask << (n * m.res_w)) | (field << (n * m.res_w))
        if full["c_valid"] and full["c_final"]:
            self.expected.append(self.assembly)
            self.started -= 1
        if got["out_valid"] == 1 and full["out_ready"]:
            want = self.expected.popleft() if self.expected else None
            self.expect(got["out_data"] == want, "vector_out", f"vector out {got['out_data']}, assembled {want}")
            self.received += 1
        self.started += full["start"]
        self.expect(len(self.expected) <= m.depth, "occupancy", f"{len(self.expected)} vectors waiting")
        self.coverage["room low"] += int(got["room"] == 0)
        self.coverage["vector out"] += int(got["out_valid"] == 1 and bool(full["out_ready"]))
        return got

    def random_inputs(self, p_start: float, p_valid: float, p_ready: float) -> dict[str, int]:
        """Any group value (also those that name no group), any c_last; c_final only for a started vector and a
        start only with room, as a layer drives it: then the FIFO can never be full when a vector is pushed."""
        m, rng = self.model, self.rng
        valid = int(rng.random() < p_valid)
        inputs = {"start": int(m.inflight < m.depth and rng.random() < p_start),
                  "c_valid": valid, "c_last": int(rng.random() < 0.6), "c_group": rng.getrandbits(self.group_w),
                  "c_res": rng.getrandbits(m.pe * m.res_w), "out_ready": int(rng.random() < p_ready)}
        inputs["c_final"] = int(self.started > 0 and rng.random() < 0.3)
        return inputs

    async def layer_vector(self, results: list[int], out_ready: int) -> None:
        """One vector as a layer delivers it: started, then each group in order over 1-3 steps, c_last on the
        group's last step, c_final on the vector's last."""
        await self.cycle({"start": 1, "out_ready": out_ready})
        for g in range(self.groups):
            n_steps = self.rng.randint(1, 3)
            for s in range(n_steps):
                last = int(s == n_steps - 1)
                await self.cycle({"c_valid": 1, "c_last": last, "c_final": int(last and g == self.groups - 1),
                                  "c_group": g, "c_res": results[g] if last else self.rng.getrandbits(
                                      self.model.pe * self.model.res_w), "out_ready": out_ready})


@cocotb.test()
async def collect_directed(dut: SimHandleBase) -> None:
    """Vectors delivered group by group as a layer does: each comes out as the concatenation of its groups'
    results; OUT_DEPTH vectors fill the credit (room falls) and one pop gives it back; a reset empties it."""
    b = CollectBench(dut)
    m = b.model
    await b.cycle({}, rst_n=0)
    got = await b.cycle({})
    b.expect(got["room"] == 1 and got["out_valid"] == 0, "after_reset", f"after reset {got}")
    wanted: list[int] = []
    for _ in range(m.depth):  # out_ready low: every vector stays in the FIFO
        results = [b.rng.getrandbits(m.pe * m.res_w) for _ in range(b.groups)]
        wanted.append(sum(r << (g * m.pe * m.res_w) for g, r in enumerate(results)))
        await b.layer_vector(results, 0)
    got = await b.cycle({})
    b.expect(got["room"] == 0, "credit_full", f"room={got['room']} with {m.depth} vectors started and held")
    outs = []
    for _ in range(m.depth + 2):
        got = await b.cycle({"out_ready": 1})
        if got["out_valid"] == 1:
            outs.append(got["out_data"])
    b.expect(outs == wanted, "concatenation", f"vectors out {outs}, groups given {wanted}")
    got = await b.cycle({})
    b.expect(got["room"] == 1 and got["out_valid"] == 0, "drained", f"after draining {got}")
    await b.layer_vector([b.rng.getrandbits(m.pe * m.res_w) for _ in range(b.groups)], 0)
    await b.cycle({}, rst_n=0)
    got = await b.cycle({})
    b.expect(got["room"] == 1 and got["out_valid"] == 0, "reset_empties", f"after a reset with a vector held {got}")
    b.finish(("room low", "vector out"))


@cocotb.test()
async def collect_random(dut: SimHandleBase) -> None:
    """Random starts, compute steps (any group, c_last, c_final) and out_ready in phases, with an occasional
    reset, against the model and the independent assembly."""
    b = CollectBench(dut)
    await b.cycle({}, rst_n=0)
    for probs in b.phases([(0.5, 0.7, 0.9), (0.9, 0.9, 0.1), (0.2, 0.5, 1.0), (1.0, 1.0, 0.0), (0.5, 0.5, 0.5)]):
        if b.rng.random() < 0.002:
            await b.cycle({}, rst_n=0)
        await b.cycle(b.random_inputs(*probs))
    b.finish(("room low", "vector out"))


# ================================================================================================ core_shell


def _argmax(scores: int, n: int, w: int, signed: int) -> int:
    vals = [(scores >> (c * w)) & ((1 << w) - 1) for c in range(n)]
    if signed:
        vals = [v - (1 << w) if v >> (w - 1) else v for v in vals]
    return vals.index(max(vals))  # first maximum: ties to the lowest index


class ShellModel:
    """core_shell: stream_deserializer, [stream_fifo + credit], argmax_output, register by register."""

    def __init__(self, p: dict[str, int]) -> None:
        self.bus, self.bits, self.n, self.w = p["BUS_WIDTH"], p["IN_BITS"], p["N_CLASSES"], p["SCORE_W"]
        self.signed, self.depth = p.get("SIGNED", 0), p.get("RES_DEPTH", 0)
        self.n_beats = -(-self.bits // self.bus)
        self.credit_mask = (1 << _credit_width(self.depth)) - 1 if self.depth else 0
        self.reset()

    def reset(self) -> None:
        self.asm = self.beat = self.held = self.vec = self.vec_valid_q = 0
        self.fifo: deque[int] = deque()
        self.inflight = 0
        self.out_valid = self.out_class = self.out_scores = 0

    def asm_d(self, data: int) -> int:
        """asm_q with the current beat written in and later beats cleared."""
        out = 0
        for b in range(self.n_beats):
            lo, hi = b * self.bus, min((b + 1) * self.bus, self.bits)
            if b == self.beat:
                chunk = data & ((1 << (hi - lo)) - 1)
            elif b < self.beat and b != self.n_beats - 1:
                chunk = (self.asm >> lo) & ((1 << (hi - lo)) - 1)
            else:
                chunk = 0
            out |= chunk << lo
        return out

    def comb(self, i: dict[str, int]) -> dict[str, int]:
        room = int(self.inflight < self.depth) if self.depth else 1
        vec_valid = int(self.vec_valid_q and room)
        deser_ready = int(i["vec_ready"] and room)
        res_ready = int(not self.out_valid or i["out_ready"])
        if self.depth:
            res_valid, res_data = int(bool(self.fifo)), (self.fifo[0] if self.fifo else None)
            scores_ready = int(len(self.fifo) < self.depth)
        else:
            res_valid, res_data, scores_ready = i["scores_valid"], i["scores"], res_ready
        want = {"in_ready": int(not self.held), "vec_valid": vec_valid, "scores_ready": scores_ready,
                "out_valid": self.out_valid, "out_class": self.out_class, "out_scores": self.out_scores}
        want["vec_data"] = self.vec
        return {**want, "_deser_ready": deser_ready, "_res_valid": res_valid, "_res_data": res_data,
                "_res_ready": res_ready}

    def clock(self, rst_n: int, i: dict[str, int]) -> None:
        if not rst_n:
            self.reset()
            return
        o = self.comb(i)
        # deserializer
        accept = i["in_valid"] and not self.held
        last_beat = i["in_last"] or self.beat == self.n_beats - 1
        complete = accept and last_beat
        asm_d = self.asm_d(i["in_data"])
        out_free = not self.vec_valid_q or o["_deser_ready"]
        old_asm = self.asm
        if accept:
            self.asm = asm_d
            self.beat = 0 if last_beat else self.beat + 1
        if self.held and out_free:
            self.vec, self.vec_valid_q, self.held = old_asm, 1, 0
        elif complete and out_free:
            self.vec, self.vec_valid_q = asm_d, 1
        else:
            if complete:
                self.held = 1
            if o["_deser_ready"]:
                self.vec_valid_q = 0
        # result FIFO and credit
        pop = int(o["_res_valid"] and o["_res_ready"])
        if self.depth:
            take = int(o["vec_valid"] and i["vec_ready"])
            push = i["scores_valid"] and o["scores_ready"]
            if pop:
                self.fifo.popleft()
            if push:
                self.fifo.append(i["scores"])
            self.inflight = (self.inflight + take - pop) & self.credit_mask
        # argmax_output
        if o["_res_ready"]:
            self.out_valid = o["_res_valid"]
            if o["_res_valid"]:
                self.out_scores = o["_res_data"]
                self.out_class = _argmax(o["_res_data"], self.n, self.w, self.signed)


class ShellBench(Bench):
    """core_shell: the model every cycle, plus the vectors delivered for the beats taken, the results out for
    the scores given (in order, class = argmax), and the credit rule with a result FIFO."""

    def __init__(self, dut: SimHandleBase) -> None:
        super().__init__(dut)
        self.model = ShellModel(self.params)
        self.clear()

    def clear(self) -> None:
        self.frame: list[int] = []  # beats of the frame being sent
        self.frames: deque[int] = deque()  # complete frames not yet delivered on vec_*
        self.pending: list[int] = []  # RES_DEPTH > 0: cycles at which the datapath pushes a result
        self.scores_out: deque[int] = deque()  # scores given and not yet out
        self.source: int | None = None  # RES_DEPTH = 0: the score the source offers until it is taken
        self.taken = 0  # vectors taken by the datapath, results not yet out (RES_DEPTH > 0)

    def score(self) -> int:
        """Random scores, often from a few values so that ties (and with SIGNED, negative ones) are common."""
        m = self.model
        if self.rng.random() < 0.5:
            pool = [self.rng.getrandbits(m.w) for _ in range(2)]
            return sum(self.rng.choice(pool) << (c * m.w) for c in range(m.n))
        return self.rng.getrandbits(m.n * m.w)

    async def cycle(self, p_in: float, p_vec: float, p_out: float, p_score: float, rst_n: int = 1) -> None:
        m, rng = self.model, self.rng
        inputs = {"rst_n": rst_n, "in_valid": int(rng.random() < p_in), "in_data": rng.getrandbits(m.bus),
                  "in_last": int(rng.random() < 0.15), "vec_ready": int(rng.random() < p_vec),
                  "out_ready": int(rng.random() < p_out), "scores_valid": 0, "scores": rng.getrandbits(m.n * m.w)}
        if m.depth:  # a datapath: one result per vector taken, a few cycles later, pushed without waiting
            if self.pending and self.pending[0] <= self.cycle_no:
                self.pending.pop(0)
                inputs["scores_valid"], inputs["scores"] = 1, self.score()
        else:  # a source that obeys valid/ready: an offer stays until taken
            if self.source is None and rng.random() < p_score:
                self.source = self.score()
            if self.source is not None:
                inputs["scores_valid"], inputs["scores"] = 1, self.source
        o = m.comb(inputs)
        got = await self.apply(inputs, {k: v for k, v in o.items() if not k.startswith("_")})
        m.clock(rst_n, inputs)
        if not rst_n:
            self.clear()
            return
        self.track(inputs, got)

    def track(self, i: dict[str, int], got: dict[str, int | None]) -> None:
        """The properties that do not use the model."""
        m = self.model
        if i["in_valid"] and got["in_ready"] == 1:
            self.frame.append(i["in_data"])
            if i["in_last"] or len(self.frame) == m.n_beats:
                vec = sum(beat << (k * m.bus) for k, beat in enumerate(self.frame)) & ((1 << m.bits) - 1)
                self.frames.append(vec)
                self.coverage["short frame" if len(self.frame) < m.n_beats else "full frame"] += 1
                self.frame = []
        if got["vec_valid"] == 1 and i["vec_ready"]:
            want = self.frames.popleft() if self.frames else None
            self.expect(got["vec_data"] == want, "vector", f"vector {got['vec_data']}, beats sent make {want}")
            if m.depth:
                self.pending.append(self.cycle_no + self.rng.randint(1, 8))
                self.taken += 1
        if i["scores_valid"] and got["scores_ready"] == 1:
            self.scores_out.append(i["scores"])
            if not m.depth:
                self.source = None
        if m.depth and i["scores_valid"]:
            # the credit rule: the FIFO always has room for the result of a vector the shell offered
            self.expect(got["scores_ready"] == 1, "result_refused", "the result FIFO refused a result")
        if got["out_valid"] == 1 and i["out_ready"]:
            want = self.scores_out.popleft() if self.scores_out else None
            self.expect(got["out_scores"] == want, "result", f"scores out {got['out_scores']}, given {want}")
            if want is not None:
                cls = _argmax(want, m.n, m.w, m.signed)
                self.expect(got["out_class"] == cls, "argmax", f"class {got['out_class']} for {want}, want {cls}")
            self.taken -= 1
            self.coverage["result out"] += 1
        if m.depth:
            # the credit rule: at most RES_DEPTH results in the FIFO or on their way, plus one in argmax_output
            self.expect(self.taken <= m.depth + 1, "credit", f"{self.taken} vectors taken and their results not out")
            self.coverage["credit exhausted"] += int(self.taken == m.depth + 1)
        self.coverage["input stalled"] += int(got["in_ready"] == 0)


@cocotb.test()
async def shell_random(dut: SimHandleBase) -> None:
    """Random beats (short frames too), datapath readiness, back-pressure and scores, in phases, with an
    occasional reset, against the model, the frames, the argmax and the credit rule."""
    b = ShellBench(dut)
    for _ in range(2):
        await b.cycle(0, 0, 0, 0, rst_n=0)
    for probs in b.phases([(0.9, 0.9, 0.9, 0.9), (1.0, 1.0, 1.0, 1.0), (1.0, 0.2, 0.9, 0.5), (0.9, 0.9, 0.05, 0.9),
                           (1.0, 1.0, 0.0, 1.0), (0.3, 0.6, 0.6, 0.3)]):
        if b.rng.random() < 0.002:
            await b.cycle(0, 0, 0, 0, rst_n=0)
        await b.cycle(*probs)
    wanted = ("full frame", "result out", "input stalled") + (("credit exhausted",) if b.model.depth else ())
    b.finish(wanted)
