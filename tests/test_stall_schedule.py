"""The HDL harness's stall schedule and the watchdog that must outwait it (tb/harness.py)."""

import numpy as np

from edgebench.tb.harness import longest_stall, stall_schedule


def test_longest_stall_by_hand() -> None:
    assert longest_stall(None) == 0
    assert longest_stall(np.array([1, 0, 0, 2, 2, 3, 0, 0], np.uint8)) == 3  # either bit keeps the core quiet
    assert longest_stall(np.array([1, 1, 0, 0, 1], np.uint8)) == 3  # the schedule repeats: a run wraps around
    assert longest_stall(np.array([2, 2, 2], np.uint8)) == 3


def test_overlapping_bursts_outlast_twenty_iis() -> None:
    """Why the watchdog counts the schedule's own longest stall: overlapping back-pressure bursts of up to 12 IIs
    each make legal stalls longer than the former fixed 100 + 20 II cycles (lutnet-tiled/k4-output-bound, seed
    616406010, LongStalls on Verilator: the watchdog fired on a core that was only back-pressured)."""
    ii = 40
    longest = max(longest_stall(stall_schedule(np.random.default_rng([seed, 7]), 0.2, 3, 0.7, ii=ii))
                  for seed in range(20))
    assert longest > 100 + 20 * ii
