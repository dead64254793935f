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
    assert any(str(v).startswith('"params/') for v in params.values()), params
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
