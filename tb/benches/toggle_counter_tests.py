"""cocotb side of tests/test_toggles.py: run a fixture's free-running counter and record the window
[counter == 0 after its first wrap, +N cycles] (N = $TOGGLE_CYCLES) in $TOGGLE_WINDOW. The counter is the net
$TOGGLE_COUNTER (default count_q); empty: a netlist without that name (gate level), which is just clocked through
N cycles after the same reset (the caller takes the window of the RTL run, whose timing is the same)."""

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge
from cocotb.utils import get_sim_time


@cocotb.test()
async def run_counter(dut) -> None:  # noqa: ANN001
    n = int(os.environ["TOGGLE_CYCLES"])
    counter_name = os.environ.get("TOGGLE_COUNTER", "count_q")
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst_n.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst_n.value = 1
    await FallingEdge(dut.clk)
    if not counter_name:
        for _ in range(n):
            await FallingEdge(dut.clk)
        return
    counter = getattr(dut, counter_name)
    # Start at count 0 after one full wrap: every register fed from the counter is then periodic too.
    while int(counter.value) == 0:
        await FallingEdge(dut.clk)
    while int(counter.value) != 0:
        await FallingEdge(dut.clk)
    start = get_sim_time("ps")
    for _ in range(n):
        await FallingEdge(dut.clk)
    end = get_sim_time("ps")
    for _ in range(5):
        await FallingEdge(dut.clk)
    with open(os.environ["TOGGLE_WINDOW"], "w") as f:
        json.dump({"start_ps": start, "end_ps": end}, f)
