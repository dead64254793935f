"""Builds are reused when only model data changes, and remade when a source or a parameter does."""

import secrets
from pathlib import Path

from edgebench.designs.core import REPO_ROOT
from edgebench.designs.registry import get_design
from edgebench.golden.datasets import load_dataset
from edgebench.tb.builds import build, relative_parameters
from edgebench.tb.runner import CACHE_DIR


def test_model_data_does_not_rebuild_a_source_change_does(tmp_path: Path) -> None:
    run_dir = REPO_ROOT / "sim_build" / f"builds-test-{tmp_path.name}"
    core = get_design("bnn").build("tiny", load_dataset("digits"), run_dir / "params", CACHE_DIR)
    params = relative_parameters(core.parameters, run_dir)
    assert all(not str(v).startswith(f'"{run_dir}') for v in params.values())
    assert params["MEM_DIR"] == '"params"', params  # the memory folder, relative to the run directory
    sources = [tmp_path / s.name for s in core.sources]  # private copies, so one can change
    for src, dst in zip(core.sources, sources, strict=True):
        dst.write_bytes(src.read_bytes())
    _, first, _ = build("icarus", sources, core.toplevel, params)
    # retrained weights: same files, new contents -> the same build
    weights = next(run_dir.glob("params/*.hex"))
    weights.write_text(weights.read_text().replace("0", "1", 1))
    _, again, built = build("icarus", sources, core.toplevel, params)
    assert again == first and not built
    # a changed source -> a new build
    sources[-1].write_text(sources[-1].read_text() + f"\n// changed {secrets.token_hex(8)}\n")  # never built before
    _, other, built = build("icarus", sources, core.toplevel, params)
    assert other != first and built


def test_beat_memory_grows_only_for_long_streams() -> None:
    """The suite's runs keep the default 2^18-beat harness (their builds unchanged); 10,000 vectors of 98 beats
    (784 8-bit pixels on a 64-bit bus) get 2^20; beyond 2^22 is a clear error."""
    from edgebench.tb.harness import BEATS_AW, beats_address_width, top_source

    assert beats_address_width(1) == beats_address_width(1 << 18) == BEATS_AW == 18
    assert beats_address_width((1 << 18) + 1) == 19 and beats_address_width(10_000 * 98) == 20
    core = get_design("bnn").build("tiny", load_dataset("digits"), REPO_ROOT / "sim_build" / "beats-aw-test",
                                   CACHE_DIR)
    assert "BEATS_AW" not in top_source(core, {}) and ".BEATS_AW(20)" in top_source(core, {}, beats_aw=20)
    try:
        beats_address_width((1 << 22) + 1)
    except ValueError as exc:
        assert "run fewer vectors (-n)" in str(exc)
    else:
        raise AssertionError("a stream longer than 2^22 beats must be refused")
