"""The raw Verilator testbench (measure/rawsim.py, tb/hdl/raw_tb.cpp) agrees with the golden model, output by output.

One build per core (bnn default: 32-bit bus, unsigned scores in a VlWide; uleen single: 64-bit bus), in a
fresh folder under sim_build/ that is removed afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from edgebench.designs.core import REPO_ROOT
from edgebench.designs.registry import get_design
from edgebench.golden.datasets import load_dataset
from edgebench.golden.encoding import pack_beats
from edgebench.measure.rawsim import EXE_NAME, STAMP_NAME, build_raw, run_raw, write_beats
from edgebench.tb.runner import CACHE_DIR

CASES = [("bnn", "default"), ("uleen", "single")]
N_RANDOM = 64


@pytest.fixture
def work_dir() -> Iterator[Path]:
    root = REPO_ROOT / "sim_build"
    root.mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="raw-test-", dir=root))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("bus_width", [1, 7, 32, 64, 100])
def test_write_beats_matches_pack_beats(bus_width: int, work_dir: Path, seed: int) -> None:
    bits = np.random.default_rng(seed).integers(0, 2, size=(5, 130), dtype=np.uint8)
    path = work_dir / "beats.hex"
    n = write_beats(bits, bus_width, path)
    values = [int(line, 16) for line in path.read_text().splitlines()]
    expected = [beat for row in pack_beats(bits, bus_width) for beat in row]
    per_vector = -(-130 // bus_width)
    assert n == len(values) == len(expected) == 5 * per_vector
    assert [v & ((1 << bus_width) - 1) for v in values] == expected
    assert [v >> bus_width for v in values] == [int(k % per_vector == per_vector - 1) for k in range(n)]


@pytest.mark.parametrize(("design", "config"), CASES, ids=[f"{d}-{c}" for d, c in CASES])
def test_raw_matches_golden(design: str, config: str, work_dir: Path, seed: int) -> None:
    data = load_dataset("digits")
    core = get_design(design).build(config, data, work_dir / "params", CACHE_DIR)
    exe = build_raw(core, work_dir / "build")
    assert sorted(p.name for p in exe.parent.iterdir()) == sorted([EXE_NAME, STAMP_NAME])
    built = exe.stat().st_mtime_ns
    assert build_raw(core, work_dir / "build") == exe and exe.stat().st_mtime_ns == built  # stamp hit: no rebuild

    random = np.random.default_rng(seed).integers(0, 2, size=(N_RANDOM, core.input_bits), dtype=np.uint8)
    bits = np.concatenate([core.encode(data.x_test), random])
    run = run_raw(core, exe, bits, work_dir / "run")
    classes, scores = core.golden(bits)

    assert not run.timeout
    assert run.results == len(bits)
    assert run.cycles >= len(bits) * core.ii_bound
    np.testing.assert_array_equal(run.classes, classes)
    if core.score_width:
        assert run.scores is not None
        np.testing.assert_array_equal(run.scores, scores)
    else:
        assert run.scores is None
    assert run.seconds > 0 and run.wall_s >= run.seconds
    assert run.cycles_per_s == pytest.approx(run.cycles / run.seconds)
    assert run.inferences_per_s == pytest.approx(run.results / run.seconds)
