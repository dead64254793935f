"""A Yosys-synthesized netlist of a core, simulated through the same environment, still matches golden."""

from tb.checks import simulate_or_fail


def test_bnn_netlist_matches_golden(seed: int) -> None:
    result = simulate_or_fail("bnn", "tiny", "icarus", n=12, n_random=4, seed=seed, tag=f"gate-s{seed}",
                              tests=("DatasetStreaming", "DatasetStalls"), gate_level=True)
    assert result.synth is not None and result.synth["cells"] > 300, "the netlist, not the RTL, was simulated"
    assert result.core.sources[0].name == "netlist.v"
    for name in ("DatasetStreaming", "DatasetStalls"):
        record = result.metrics[name]
        assert record["compared"] == 12 and record["mismatches"] == 0, record
    assert result.metrics["DatasetStreaming"]["ii_cycles"] == result.core.ii_bound
    assert result.failed == 0
