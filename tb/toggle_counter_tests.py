"""cocotb side of tb/test_toggles.py: run the counter and record the window [count == 0, +N cycles]."""

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge
from cocotb.utils import get_sim_time


@cocotb.test()
async def run_counter(dut) -> None:  # noqa: ANN001
    n = int(os.environ["TOGGLE_CYCLES"])
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst_n.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst_n.value = 1
    await FallingEdge(dut.clk)
    while int(dut.count_q.value) != 0:
        await FallingEdge(dut.clk)
    start = get_sim_time("ps")
    for _ in range(n):
        await FallingEdge(dut.clk)
    end = get_sim_time("ps")
    for _ in range(5):
        await FallingEdge(dut.clk)
    with open(os.environ["TOGGLE_WINDOW"], "w") as f:
        json.dump({"start_ps": start, "end_ps": end}, f)
