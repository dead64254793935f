"""A Yosys-synthesized netlist of a core, simulated through the same environment, still matches golden."""

import json
import re
from collections import Counter
from pathlib import Path

from edgebench.tb.checks import simulate_or_fail

# A scope in Icarus' compiled design: `S_<id> .scope <kind>, "<instance>" "<module>" ..., S_<parent>;` (kinds: module,
# generate, begin, autotask, function, ...)
_SCOPE = re.compile(r'^(S_0x[0-9a-f]+) \.scope (\w+), "(?:[^"\\]|\\.)*" "((?:[^"\\]|\\.)*)"[^;]*?'
                    r'(?:, (S_0x[0-9a-f]+))?;$')


def instances_below(vvp: Path, module: str) -> Counter:
    """Module instances below every instance of `module` in an Icarus build (sim.vvp), counted by module type: what
    the simulator elaborated and ran, whatever list of sources the runner was given."""
    scopes = {}
    for line in vvp.read_text(errors="replace").splitlines():
        match = _SCOPE.match(line)
        if match:
            scopes[match[1]] = (match[2], match[3], match[4])
    roots = {scope for scope, (kind, name, _) in scopes.items() if kind == "module" and name == module}
    assert roots, f"no instance of {module} in {vvp}"
    below: Counter = Counter()
    for kind, name, parent in scopes.values():
        while parent is not None and parent not in roots:
            parent = scopes[parent][2]
        if parent is not None and kind == "module":
            below[name] += 1
    return below


def test_bnn_netlist_matches_golden(seed: int) -> None:
    result = simulate_or_fail("bnn", "tiny", "icarus", n=12, n_random=4, seed=seed, tag=f"gate-s{seed}",
                              tests=("DatasetStreaming", "DatasetStalls"), gate_level=True)
    assert result.synth is not None and result.synth["cells"] > 300
    # The netlist ran: the core the simulator elaborated is made of exactly the netlist's generic cells, type by
    # type (the RTL build instantiates the core's own modules below bnn_top and not one Yosys cell).
    cells = json.loads(Path(result.synth["netlist"]).with_name("netlist.json").read_text())
    netlist_cells = Counter(cell["type"] for cell in cells["modules"][result.core.toplevel]["cells"].values())
    simulated = instances_below(result.exe_dir / "sim.vvp", result.core.toplevel)
    assert simulated == netlist_cells, (f"simulated below {result.core.toplevel}: {simulated.most_common(5)}; "
                                        f"netlist: {netlist_cells.most_common(5)}")
    for name in ("DatasetStreaming", "DatasetStalls"):
        record = result.records[name]
        assert record.compared == 12 and record.mismatches == 0, record
    assert result.records["DatasetStreaming"].ii_cycles == result.core.ii_bound
    assert result.failed == 0
