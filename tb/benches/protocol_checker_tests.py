"""cocotb script for tests/test_protocol_checker.py: drives tb/hdl/stream_protocol_checker.v alone through a clean
stretch and then one breach of each rule, at known cycles; the pytest wrapper reads what the checker printed.

PROTOCOL_X=1 (Icarus only: Verilator is two-state) adds the X/Z breaches."""

from __future__ import annotations

import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

# (rst_n, valid, ready, data) per cycle; inputs change on the falling edge, the checker samples on the rising one.
CLEAN = [(0, 0, 0, 0)] * 3 + [
    (1, 0, 1, 0), (1, 1, 0, 5), (1, 1, 0, 5), (1, 1, 1, 5),  # offered, held unchanged, taken
    (1, 1, 1, 6), (1, 0, 0, 9), (1, 1, 1, 7), (1, 0, 1, 0),  # valid may fall after a transfer; data free when idle
]
BREACHES = [
    (0, 1, 0, 0), (0, 1, 0, 0),  # valid during reset: legal at its first edge (a registered valid clears
                                 # there), a breach from the second on
    (1, 1, 0, 3), (1, 1, 0, 4),  # a held transfer changed
    (1, 1, 0, 4), (1, 0, 1, 4),  # a held transfer vanished
]
X_BREACHES = [(1, "x", 1, 0), (1, 0, "z", 0), (1, 1, 1, "x")]  # valid X, ready Z, data X while valid


@cocotb.test()
async def scripted_breaches(dut: object) -> None:
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    script = CLEAN + BREACHES + (X_BREACHES if os.environ.get("PROTOCOL_X") == "1" else [])
    for rst_n, valid, ready, data in script:
        await FallingEdge(dut.clk)
        dut.rst_n.value, dut.valid.value, dut.ready.value = rst_n, valid, ready
        dut.data.value = data if isinstance(data, int) else data * len(dut.data)
    await FallingEdge(dut.clk)
    dut.valid.value, dut.ready.value = 0, 1
    await FallingEdge(dut.clk)
