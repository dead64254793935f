"""Directed lane tests of the MAC family (tb/mac_lane_tests.py) on both simulators, plus the no-multiplier rule.

Each lane module is built alone as the toplevel with cocotb's runner, in its own build directory under sim_build/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from golden.core import REPO_ROOT, RTL_DIR
from tb.builds import build, run_cocotb
from tb.checks import require_simulator
from tb.toolchain import SIMULATORS

MAC_DIR = RTL_DIR / "mac"
# (toplevel, IN_W, ACC_W, W_W, NA)
LANES = [
    ("mac_lane", 8, 24, 8, 4),
    ("mac_lane", 5, 16, 4, 4),
    ("pot_lane", 8, 24, 8, 4),
    ("pot_lane", 5, 16, 8, 4),
    ("asm_lane", 8, 24, 8, 4),
    ("asm_lane", 8, 24, 8, 2),
    ("asm_lane", 5, 20, 8, 1),
    ("asm_precompute", 8, 0, 8, 4),
    ("asm_precompute", 5, 0, 8, 2),
    ("asm_precompute", 5, 0, 8, 1),
]


def _params(top: str, in_w: int, acc_w: int, w_w: int, na: int) -> dict[str, int]:
    if top == "mac_lane":
        return {"IN_W": in_w, "W_W": w_w, "ACC_W": acc_w}
    if top == "pot_lane":
        return {"IN_W": in_w, "ACC_W": acc_w}
    if top == "asm_lane":
        return {"IN_W": in_w, "ACC_W": acc_w}
    return {"IN_W": in_w, "NA": na}


@pytest.mark.parametrize("lane", LANES, ids=lambda t: "-".join(map(str, t)))
@pytest.mark.parametrize("sim", SIMULATORS)
def test_lane(sim: str, lane: tuple, seed: int) -> None:
    top, in_w, acc_w, w_w, na = lane
    require_simulator(sim)
    run_dir = REPO_ROOT / "sim_build" / f"maclane-{'-'.join(map(str, lane))}-{sim}"
    run_dir.mkdir(parents=True, exist_ok=True)
    runner, build_dir, _ = build(sim, [MAC_DIR / f"{top}.v"], top, _params(*lane), public={top: ["*"]})
    env = {"PYTHONPATH": str(REPO_ROOT), "MAC_LANE_TOP": top, "MAC_LANE_IN_W": str(in_w),
           "MAC_LANE_ACC_W": str(acc_w), "MAC_LANE_W_W": str(w_w), "MAC_LANE_NA": str(na),
           "MAC_LANE_SEED": str(seed)}
    n_tests, n_failed = run_cocotb(runner, build_dir, run_dir, "tb.mac_lane_tests", top, env=env, seed=seed)
    assert n_tests == 1 and n_failed == 0, f"lane test failed (log and results.xml in {run_dir})"


# --------------------------------------------------------------------------------------------- no multiplier


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)  # string literals


# Pure PoT / ASM datapath modules: no '*' at all.
DATAPATH_FILES = ["pot_lane.v", "asm_lane.v", "asm_precompute.v", "mac_requant.v"]
# Shared engine files (also instantiate the PoT / ASM lanes): '*' only between elaboration-time constants
# (integer literals, UPPERCASE parameters, genvars), i.e. bit-index arithmetic, never a runtime multiplier.
SHARED_FILES = ["mac_layer.v", "mac_top.v"]


@pytest.mark.parametrize("name", DATAPATH_FILES)
def test_no_multiply_in_pot_asm_datapath(name: str) -> None:
    text = strip_comments((MAC_DIR / name).read_text())
    lines = [ln for ln in text.splitlines() if "*" in ln]
    assert not lines, f"{name}: '*' in a multiplier-free datapath: {lines}"


@pytest.mark.parametrize("name", SHARED_FILES)
def test_shared_engine_multiplies_constants_only(name: str) -> None:
    text = strip_comments((MAC_DIR / name).read_text())
    genvars = set(re.findall(r"\bgenvar\s+(\w+)", text))
    const = r"(?:\d+|[A-Z_][A-Z0-9_]*|" + "|".join(map(re.escape, genvars or {"__none__"})) + r")"
    operand = rf"(?:{const}|\({const}\s*[%/+-]\s*{const}\))"
    bad = []
    for m in re.finditer(r"\*", text):
        left, right = text[: m.start()].rstrip(), text[m.end():].lstrip()
        lm = re.search(rf"{operand}$", left)
        rm = re.match(operand, right)
        if not (lm and rm):
            bad.append(text[max(0, m.start() - 30): m.end() + 30].replace("\n", " "))
    assert not bad, f"{name}: '*' with a non-constant operand: {bad}"


def test_multiply_rule_sees_a_multiplier() -> None:
    """The checks above are not vacuous: the uniform lane's real multiplier is caught by both."""
    text = strip_comments((MAC_DIR / "mac_lane.v").read_text())
    assert "*" in text
    assert re.search(r"\$signed\([^;]*\)\s*\*\s*\$signed", text)


def test_sources_exist() -> None:
    for name in DATAPATH_FILES + SHARED_FILES + ["mac_lane.v"]:
        assert Path(MAC_DIR / name).exists(), name
