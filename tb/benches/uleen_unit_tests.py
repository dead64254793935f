"""Directed cocotb tests of the ULEEN sub-blocks (run by tests/test_uleen_units.py, never collected by pytest).

The pytest side computes the stimuli and the golden results (golden/uleen.py) and hands them over in a JSON
file named by ULEEN_UNIT_SPEC; these tests drive the block and compare every output.
"""

from __future__ import annotations

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge, Timer


def _spec() -> dict:
    with open(os.environ["ULEEN_UNIT_SPEC"]) as f:
        return json.load(f)


@cocotb.test()
async def h3_unit(dut) -> None:  # noqa: ANN001
    """uleen_h3: hash of every (x, m) pair equals golden.uleen.h3_hash."""
    spec = _spec()
    for x, m, expected in zip(spec["x"], spec["m"], spec["expected"], strict=True):
        dut.x.value = x
        dut.m.value = m
        await Timer(1, unit="ns")
        assert int(dut.hash.value) == expected, f"x={x:#x} m={m:#x}: hash {int(dut.hash.value)} != {expected}"


@cocotb.test()
async def popcount_unit(dut) -> None:  # noqa: ANN001
    """uleen_popcount: per-class counts equal a NumPy popcount."""
    spec = _spec()
    cw = spec["cw"]
    for bits, expected in zip(spec["bits"], spec["expected"], strict=True):
        dut.bits.value = bits
        await Timer(1, unit="ns")
        word = int(dut.counts.value)
        got = [(word >> (c * cw)) & ((1 << cw) - 1) for c in range(len(expected))]
        assert got == expected, f"bits={bits:#x}: counts {got} != {expected}"


@cocotb.test()
async def engine_lookup(dut) -> None:  # noqa: ANN001
    """uleen_engine (hash units + Bloom lookup + mask + popcount): per-class sums equal
    golden.uleen.submodel_scores, for vectors back to back and with idle gaps, and with the global
    vector length longer than the engine's own (as in an ensemble)."""
    spec = _spec()
    Clock(dut.clk, 10, unit="ns").start()
    acc_w, n_classes = spec["acc_w"], spec["n_classes"]
    active_len, total_len = spec["active_len"], spec["total_len"]
    # per-cycle schedule: (vector index or None, active, last)
    schedule: list[tuple[int | None, int, int]] = []
    for i, gap in enumerate(spec["gaps"]):
        schedule += [(None, 0, 0)] * gap
        schedule += [(i, int(t < active_len), int(t == total_len - 1)) for t in range(total_len)]
    schedule += [(None, 0, 0)] * 8
    dut.rst_n.value = 0
    dut.active.value = 0
    dut.last.value = 0
    dut.x.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst_n.value = 1
    got = []
    for vec, active, last in schedule:
        await RisingEdge(dut.clk)
        if vec is not None:
            dut.x.value = spec["x"][vec]
        dut.active.value = active
        dut.last.value = last
        await ReadOnly()
        if int(dut.done.value):
            word = int(dut.sums.value)
            got.append([(word >> (c * acc_w)) & ((1 << acc_w) - 1) for c in range(n_classes)])
    assert len(got) == len(spec["expected"]), f"{len(got)} results for {len(spec['expected'])} vectors"
    for i, (g, e) in enumerate(zip(got, spec["expected"], strict=True)):
        assert g == e, f"vector {i}: sums {g} != golden {e}"


@cocotb.test()
async def argmax_unit(dut) -> None:  # noqa: ANN001
    """argmax_output on popcount-style scores with many ties: class equals np.argmax (lowest index)."""
    spec = _spec()
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst_n.value = 0
    dut.in_valid.value = 0
    dut.out_ready.value = 1
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst_n.value = 1
    for scores, expected in zip(spec["scores"], spec["expected"], strict=True):
        await RisingEdge(dut.clk)
        dut.in_scores.value = scores
        dut.in_valid.value = 1
        await RisingEdge(dut.clk)
        dut.in_valid.value = 0
        await ReadOnly()
        assert int(dut.out_valid.value) == 1
        got = int(dut.out_class.value)
        assert got == expected, f"scores={scores:#x}: class {got} != {expected}"
