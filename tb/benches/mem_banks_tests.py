"""cocotb side of tests/test_energy.py: drive mem_banks with a known access pattern and record cycle 0's time."""

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge
from cocotb.utils import get_sim_time

CYCLES = 120


def en0_at(cycle: int) -> int:
    """Port 0 of the ROM reads in one cycle out of three."""
    return int(cycle % 3 == 0)


@cocotb.test()
async def run_pattern(dut) -> None:  # noqa: ANN001
    aw = len(dut.a0)
    Clock(dut.clk, 10, unit="ns").start()
    for name in ("a0", "a1", "en0", "we", "wa", "ra", "wd"):
        getattr(dut, name).value = 0
    await RisingEdge(dut.clk)
    origin = get_sim_time("ps")  # rising edge 0
    for cycle in range(CYCLES):
        # set just after edge `cycle`, like a flop output: sampled by edge cycle+1
        dut.a0.value = (cycle * 7) % (1 << aw)
        dut.a1.value = (cycle * 5 + 3) % (1 << aw)
        dut.en0.value = en0_at(cycle)
        dut.we.value = cycle % 2
        dut.wa.value = cycle % 4
        dut.ra.value = (cycle + 1) % 4
        dut.wd.value = (cycle * 37) % 256
        await RisingEdge(dut.clk)
    with open(os.environ["MEM_WINDOW"], "w") as f:
        json.dump({"origin_ps": origin}, f)
