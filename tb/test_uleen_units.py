"""Directed unit tests of the ULEEN RTL sub-blocks against the golden functions (small cocotb builds, Icarus).

hash unit (uleen_h3), per-class popcount (uleen_popcount), a whole submodel engine (uleen_engine: permutation,
time-multiplexed hash units, Bloom lookup, pruning mask, accumulation) and the argmax stage, each as its own top.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from golden import uleen, uleen_design
from golden.core import REPO_ROOT, RTL_DIR
from tb.builds import build, run_cocotb
from tb.checks import require_simulator
from tb.runner import BUILD_ROOT

SIM = "icarus"


def _pack(values: np.ndarray, width: int) -> int:
    word = 0
    for i, v in enumerate(np.asarray(values).ravel().tolist()):
        word |= int(v) << (i * width)
    return word


def run_unit(toplevel: str, testcase: str, params: dict, spec: dict, tag: str) -> None:
    require_simulator(SIM)
    run_dir = BUILD_ROOT / f"uleen-unit-{tag}-{SIM}"
    run_dir.mkdir(parents=True, exist_ok=True)
    spec_path = run_dir / "unit_spec.json"
    spec_path.write_text(json.dumps(spec))
    sources = sorted((RTL_DIR / "uleen").glob("*.v")) + sorted((RTL_DIR / "common").glob("*.v"))
    runner, build_dir, _ = build(SIM, sources, toplevel, params, public={toplevel: ["*"]})
    env = {"ULEEN_UNIT_SPEC": str(spec_path), "PYTHONPATH": str(REPO_ROOT)}
    n_tests, n_failed = run_cocotb(runner, build_dir, run_dir, "tb.uleen_unit_tests", toplevel, env=env,
                                   testcase=[testcase])
    assert n_tests == 1 and n_failed == 0, f"{testcase} failed (log and results.xml in {run_dir})"


@pytest.mark.parametrize("n,w", [(16, 6), (7, 3), (12, 10)])
def test_h3_unit(n: int, w: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    count = 64
    x = rng.integers(0, 2, size=(count, n), dtype=np.uint8)
    x[0] = 0
    x[1] = 1
    m = rng.integers(0, 1 << w, size=(count, n))
    expected = [int(uleen.h3_hash(x[i][None, None, :], m[i][None, :], 1 << w)[0, 0, 0]) for i in range(count)]
    spec = {"x": [_pack(r, 1) for r in x], "m": [_pack(r, w) for r in m], "expected": expected}
    run_unit("uleen_h3", "h3_unit", {"N": n, "W": w}, spec, f"h3-n{n}-w{w}")


@pytest.mark.parametrize("u,c", [(16, 10), (1, 3), (11, 10)])
def test_popcount_unit(u: int, c: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(48, u, c), dtype=np.uint8)
    bits[0] = 1
    bits[1] = 0
    cw = int(u).bit_length()
    spec = {"cw": cw, "bits": [_pack(b, 1) for b in bits], "expected": bits.sum(1).astype(int).tolist()}
    run_unit("uleen_popcount", "popcount_unit", {"U": u, "C": c, "CW": cw}, spec, f"pop-u{u}-c{c}")


def _random_submodel(rng: np.random.Generator, input_bits: int, n: int, entries: int, k: int, classes: int,
                     density: float) -> uleen.Submodel:
    filters = -(-input_bits // n)
    return uleen.Submodel(
        perm=rng.permutation(filters * n),
        h3=rng.integers(0, entries, size=(k, n)),
        table=(rng.random((classes, filters, entries)) < density).astype(np.uint8),
        mask=(rng.random((classes, filters)) < 0.8).astype(np.uint8),
    )


@pytest.mark.parametrize(
    "n,entries,k,units,extra",
    [(8, 64, 2, 16, 0), (12, 128, 3, 5, 0), (16, 32, 1, 3, 4), (7, 16, 2, 32, 2)],
    ids=["n8-k2-u16", "n12-k3-u5", "n16-k1-u3-longer", "n7-k2-u32-padded"],
)
def test_engine_lookup(n: int, entries: int, k: int, units: int, extra: int, seed: int) -> None:
    """Filter lookup: a random submodel (dense tables so the AND over hashes matters, random pruning masks,
    padding filters when U does not divide F) against golden.uleen.submodel_scores."""
    rng = np.random.default_rng(seed)
    input_bits, classes = 100, 10
    sub = _random_submodel(rng, input_bits, n, entries, k, classes, density=0.7)
    x = rng.integers(0, 2, size=(12, input_bits), dtype=np.uint8)
    x[0] = 0
    x[1] = 1
    expected = uleen.submodel_scores(sub, x)
    g = uleen_design.groups(sub.filters, units)
    acc_w = int(sub.filters).bit_length()
    build_dir = BUILD_ROOT / f"uleen-unit-engine-{n}-{entries}-{k}-{units}-{SIM}"
    build_dir.joinpath("mem").mkdir(parents=True, exist_ok=True)
    files = uleen_design.write_submodel_files(sub, input_bits, units, build_dir / "mem", 0)
    params = {"IN_BITS": input_bits, "C": classes, "N": n, "K": k, "W": entries.bit_length() - 1, "U": units,
              "G": g, "ACC_W": acc_w} | {name: f'"{path}"' for name, path in files.items()}
    spec = {"acc_w": acc_w, "n_classes": classes, "active_len": k * g, "total_len": k * g + extra,
            "x": [_pack(r, 1) for r in x], "gaps": [0, 0, 0, 3, 0, 1, 0, 0, 5, 0, 0, 0],
            "expected": expected.astype(int).tolist()}
    run_unit("uleen_engine", "engine_lookup", params, spec, f"engine-{n}-{entries}-{k}-{units}")


def test_argmax_unit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    classes, sw = 10, 6
    scores = rng.integers(0, 4, size=(64, classes))  # small range: many ties
    scores[0] = 0
    scores[1] = (1 << sw) - 1
    spec = {"scores": [_pack(s, sw) for s in scores], "expected": np.argmax(scores, 1).astype(int).tolist()}
    run_unit("argmax_output", "argmax_unit", {"N_CLASSES": classes, "SCORE_W": sw}, spec, "argmax")
