"""The no-multiplier rule of the MAC family's PoT and ASM datapaths (the lanes' directed benches are declared in
designs/mac.py and run by tests/test_units.py)."""

from __future__ import annotations

import re

import pytest

from edgebench.designs.core import RTL_DIR

MAC_DIR = RTL_DIR / "mac"


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
        assert (MAC_DIR / name).exists(), name
