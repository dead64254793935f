"""Directed cocotb tests of one MAC-family lane against the golden scalar function (golden.quant.lane_product).

The runner builds one lane module as the toplevel and sets MAC_LANE_* in the environment:
MAC_LANE_TOP (mac_lane | pot_lane | asm_lane | asm_precompute), MAC_LANE_IN_W, MAC_LANE_ACC_W, MAC_LANE_W_W,
MAC_LANE_NA, and EDGEBENCH_UNIT_SEED (tests/test_units.py runs it for every bench designs/mac.py declares).
Every weight code the lane's code port can hold is applied (exhaustive), with the extreme and random activations,
and random sequences check accumulation (first / en, bias, two's-complement wrap of the ACC_W-bit register).
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge, Timer

from edgebench.golden import quant

ALPHABET = (1, 3, 5, 7)


def _env(name: str) -> int:
    return int(os.environ[f"MAC_LANE_{name}"])


def _signed(v: int, width: int) -> int:
    v &= (1 << width) - 1
    return v - (1 << width) if v >> (width - 1) else v


def _multiples(x: int, in_w: int, na: int) -> int:
    m_w = in_w + 3
    word = 0
    for k, a in enumerate(ALPHABET):
        word |= ((a * x) if k < na else 0) << (k * m_w)
    return word


class LaneDriver:
    def __init__(self, dut, top: str, in_w: int, na: int) -> None:  # noqa: ANN001
        self.dut, self.top, self.in_w, self.na = dut, top, in_w, na

    def apply(self, en: int, first: int, bias: int, code: int, x: int) -> None:
        d = self.dut
        d.en.value, d.first.value, d.bias.value, d.code.value = en, first, bias, code
        if self.top == "asm_lane":
            d.multiples.value = _multiples(x, self.in_w, self.na)
        else:
            d.x.value = x


async def _run_lane(dut) -> None:  # noqa: ANN001
    top = os.environ["MAC_LANE_TOP"]
    in_w, acc_w, w_w, na = _env("IN_W"), _env("ACC_W"), _env("W_W"), _env("NA")
    rng = np.random.default_rng(int(os.environ["EDGEBENCH_UNIT_SEED"]))
    kind = {"mac_lane": "uniform", "pot_lane": "pot", "asm_lane": "asm"}[top]
    code_w = quant.code_width(kind, w_w)
    x_max = (1 << in_w) - 1
    drv = LaneDriver(dut, top, in_w, na)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    mask = (1 << acc_w) - 1
    errors = 0

    # 1) every code, single-step products (first=1, bias 0 and a random bias), extreme + random activations
    codes = np.arange(1 << code_w)
    if top == "asm_lane":  # codes of this alphabet: a quartet with nz set selects one of the NA bank entries
        q0, q1 = codes & 31, (codes >> 5) & 31
        ok = lambda q: ((q >> 4) == 0) | (((q >> 2) & 3) < na)  # noqa: E731
        codes = codes[ok(q0) & ok(q1)]
    xs = [0, 1, x_max, *rng.integers(0, x_max + 1, size=3).tolist()]
    if top == "pot_lane":
        xs = list(range(x_max + 1))  # 16 codes x all activations: exhaustive
    checked = 0
    for code in codes.tolist():
        for x in xs:
            bias = int(rng.integers(-(1 << (acc_w - 3)), 1 << (acc_w - 3)))
            drv.apply(0, 1, bias & mask, code, x)
            await Timer(1, unit="ns")
            got = _signed(int(dut.acc_next.value), acc_w)
            want = int(quant.lane_product(kind, np.array(code), np.array(x), w_w)) + bias
            if got != want:
                errors += 1
                if errors < 10:
                    dut._log.error(f"{top} code={code:#x} x={x} bias={bias}: got {got}, want {want}")
            checked += 1
    dut._log.info(f"{top}: {checked} (code, x) products checked")

    # 2) accumulation sequences with en / first
    await RisingEdge(dut.clk)
    acc = 0
    for step in range(600):
        en, first = int(rng.integers(0, 4) > 0), int(rng.integers(0, 5) == 0)
        if step == 0:
            en, first = 1, 1  # the accumulator register has no reset: the first step loads it
        code, x = int(rng.choice(codes)), int(rng.integers(0, x_max + 1))
        bias = int(rng.integers(-(1 << (acc_w - 2)), 1 << (acc_w - 2)))
        drv.apply(en, first, bias & mask, code, x)
        await Timer(1, unit="ns")
        want = ((bias if first else acc) + int(quant.lane_product(kind, np.array(code), np.array(x), w_w))) & mask
        got = int(dut.acc_next.value)
        if got != want:
            errors += 1
            if errors < 10:
                dut._log.error(f"{top} sequence: got {got:#x}, want {want:#x}")
        await RisingEdge(dut.clk)
        if en:
            acc = want
    assert errors == 0, f"{errors} mismatches"


async def _run_bank(dut) -> None:  # noqa: ANN001
    in_w, na = _env("IN_W"), _env("NA")
    m_w = in_w + 3
    for x in range(1 << in_w):  # exhaustive
        dut.x.value = x
        await Timer(1, unit="ns")
        word = int(dut.multiples.value)
        for k, a in enumerate(ALPHABET):
            got = (word >> (k * m_w)) & ((1 << m_w) - 1)
            want = a * x if k < na else 0
            assert got == want, f"x={x} entry {k}: got {got}, want {want}"


@cocotb.test()
async def lane_vs_golden(dut) -> None:  # noqa: ANN001
    if os.environ["MAC_LANE_TOP"] == "asm_precompute":
        await _run_bank(dut)
    else:
        await _run_lane(dut)
