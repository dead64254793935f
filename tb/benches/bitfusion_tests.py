"""Directed cocotb tests of the Bit Fusion blocks against golden.bitfusion (run by tests/test_units.py for every
bench designs/bitfusion.py declares; never collected by pytest).

brick_exhaustive: bitfusion_brick alone, every (a, a_signed, w, w_signed): 64 cases.
unit_vs_golden:   bitfusion_unit at the precision in BITFUSION_A_W / BITFUSION_W_W (activations signed when
                  BITFUSION_A_SIGNED=1, weights always signed). Every (activation, weight) pair when there are at
                  most 2^12 of them (all but 8x8), else the extremes of each operand crossed plus random pairs;
                  pair t goes to product position t mod K while the other K-1 positions get random operands, so
                  every position sees every pair's share. Then fully random vectors. The expected dot product is
                  golden.bitfusion.fusion_unit_dot (built from bricks), itself checked against the plain products.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.triggers import Timer

from edgebench.golden import bitfusion as bf

EXHAUSTIVE_MAX = 1 << 12  # (activation, weight) pairs applied one by one at most
RANDOM_PAIRS = 2000  # the 8x8 unit's random pairs besides the extremes
RANDOM_VECTORS = 300


def _signed(v: int, width: int) -> int:
    v &= (1 << width) - 1
    return v - (1 << width) if v >> (width - 1) else v


def _pack(values: np.ndarray, width: int) -> int:
    word = 0
    for k, v in enumerate(values.tolist()):
        word |= (int(v) & ((1 << width) - 1)) << (k * width)
    return word


@cocotb.test()
async def brick_exhaustive(dut) -> None:  # noqa: ANN001
    errors = 0
    for a in range(4):
        for w in range(4):
            for a_signed in (0, 1):
                for w_signed in (0, 1):
                    dut.a.value, dut.w.value, dut.a_signed.value, dut.w_signed.value = a, w, a_signed, w_signed
                    await Timer(1, unit="ns")
                    got = _signed(int(dut.p.value), 5)
                    want = int(bf.brick(a, bool(a_signed), w, bool(w_signed)))
                    if got != want:
                        errors += 1
                        dut._log.error(f"a={a} a_signed={a_signed} w={w} w_signed={w_signed}: got {got}, want {want}")
    assert errors == 0, f"{errors} of 64 brick products wrong"


def _extremes(bits: int, signed: bool) -> np.ndarray:
    """The operand values where slicing goes wrong first: the range ends and their neighbours, 0, +-1, every slice
    at 1 (0b0101..), at 2 (0b1010..), only the lowest or only the top slice at 3."""
    lo, hi = bf.operand_range(bits, signed)
    ones = sum(1 << (2 * i) for i in range(bits // 2))
    top3 = 3 << (bits - 2)
    raw = {lo, lo + 1, hi, hi - 1, 0, 1, -1, ones, 2 * ones, 3, top3}
    # a raw bit pattern beyond a signed operand's range stands for its two's complement value
    values = {v - (1 << bits) if signed and v > hi else v for v in raw}
    return np.array(sorted(v for v in values if lo <= v <= hi))


@cocotb.test()
async def unit_vs_golden(dut) -> None:  # noqa: ANN001
    a_bits, w_bits = int(os.environ["BITFUSION_A_W"]), int(os.environ["BITFUSION_W_W"])
    a_signed = os.environ.get("BITFUSION_A_SIGNED", "0") == "1"
    rng = np.random.default_rng(int(os.environ["EDGEBENCH_UNIT_SEED"]))
    k = bf.products_per_unit(a_bits, w_bits)
    out_w = bf.unit_out_width(a_bits, w_bits, a_signed, True)
    assert len(dut.dot) == out_w, f"dot has {len(dut.dot)} bits, golden says {out_w}"
    (alo, ahi), (wlo, whi) = bf.operand_range(a_bits, a_signed), bf.operand_range(w_bits, True)

    # the (activation, weight) pairs each given its own step
    if (1 << (a_bits + w_bits)) <= EXHAUSTIVE_MAX:
        pa, pw = (x.ravel() for x in np.meshgrid(np.arange(alo, ahi + 1), np.arange(wlo, whi + 1)))
    else:
        ea, ew = _extremes(a_bits, a_signed), _extremes(w_bits, True)
        pa, pw = (x.ravel() for x in np.meshgrid(ea, ew))
        pa = np.concatenate([pa, rng.integers(alo, ahi + 1, RANDOM_PAIRS)])
        pw = np.concatenate([pw, rng.integers(wlo, whi + 1, RANDOM_PAIRS)])
    n = len(pa)
    a_vec = rng.integers(alo, ahi + 1, (n + RANDOM_VECTORS, k))
    w_vec = rng.integers(wlo, whi + 1, (n + RANDOM_VECTORS, k))
    pos = np.arange(n) % k
    a_vec[np.arange(n), pos], w_vec[np.arange(n), pos] = pa, pw
    want = bf.fusion_unit_dot(a_vec, w_vec, a_bits, w_bits, a_signed, True)
    assert np.array_equal(want, (a_vec * w_vec).sum(axis=1)), "golden brick model != plain products"

    errors = 0
    for t in range(len(want)):
        dut.a.value, dut.w.value = _pack(a_vec[t], a_bits), _pack(w_vec[t], w_bits)
        await Timer(1, unit="ns")
        got = _signed(int(dut.dot.value), out_w)
        if got != int(want[t]):
            errors += 1
            if errors <= 10:
                dut._log.error(f"{a_bits}x{w_bits} a={a_vec[t].tolist()} w={w_vec[t].tolist()}: "
                               f"got {got}, want {int(want[t])}")
    dut._log.info(f"{a_bits}x{w_bits} (K={k}): {n} pairs + {RANDOM_VECTORS} random vectors checked")
    assert errors == 0, f"{errors} of {len(want)} dot products wrong"
