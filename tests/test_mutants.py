"""`edgebench mutants` (scripts/mutants.py): the mutant generator on every RTL file, the score bookkeeping, the
command line, and a handful of stream FIFO mutants run end to end on Icarus (killed, stillborn, timed out,
survived)."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from edgebench.designs.core import REPO_ROOT
from edgebench.scripts import mutants as mt

FIFO = REPO_ROOT / "rtl" / "common" / "stream_fifo.v"
FIFO_REL = "rtl/common/stream_fifo.v"
# Comments and strings, found independently of the generator's lexer.
NOT_CODE = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"', re.S)


def _fifo_mutant(old: str, new: str, operator: str = "manual") -> mt.Mutant:
    """A hand-made mutant of the FIFO: `old` (found exactly once) replaced by `new`."""
    text = FIFO.read_text()
    assert text.count(old) == 1, f"{old!r} is no longer in {FIFO_REL} exactly once"
    start = text.index(old)
    line = text.count("\n", 0, start) + 1
    return mt.Mutant(FIFO_REL, line, operator, old, new, start, start + len(old), text.splitlines()[line - 1])


def _generated(operator: str, original: str, mutated: str, line_has: str) -> mt.Mutant:
    hits = [m for m in mt.generate_mutants(FIFO) if m.operator == operator and m.original == original
            and m.mutated == mutated and line_has in m.line_text]
    assert len(hits) == 1, f"expected one {operator} {original!r} -> {mutated!r} on a line with {line_has!r}: {hits}"
    return hits[0]


# ---------------------------------------------------------------------------------------------- generator


def test_sample_is_deterministic_for_a_seed() -> None:
    files = mt.rtl_files()
    first = [m.key for m in mt.sample_mutants(files, 60, seed=3)]
    again = [m.key for m in mt.sample_mutants(files, 60, seed=3)]
    other = [m.key for m in mt.sample_mutants(files, 60, seed=4)]
    assert len(first) == 60
    assert first == again, "the same seed drew a different sample"
    assert first != other, "the seed does not change the sample"


def test_default_sample_covers_every_file() -> None:
    files = mt.rtl_files()
    sample = mt.sample_mutants(files, 160, seed=1)
    per_file = Counter(m.file for m in sample)
    assert len(sample) >= 150
    for path in files:
        available = len(mt.generate_mutants(path))
        assert per_file[mt._relative(path)] >= min(3, available), f"{path.name}: {per_file[mt._relative(path)]}"
    assert len({m.id for m in sample}) == len(sample), "two mutants share an id"
    # larger files get more: the biggest logic file gets more than the smallest one
    weights = {mt._relative(p): mt.logic_lines(p) for p in files}
    assert per_file[max(weights, key=weights.get)] > per_file[min(weights, key=weights.get)]


@pytest.mark.parametrize("path", mt.rtl_files(), ids=lambda p: p.name)
def test_every_mutant_is_one_point_in_the_logic(path: Path) -> None:
    text = path.read_text()
    not_code = [m.span() for m in NOT_CODE.finditer(text)]
    compiled_out = [m.span() for m in re.finditer(r"`ifn?def.*?`endif", text, re.S)]
    code_only = NOT_CODE.sub(" ", text)
    mutants = mt.generate_mutants(path)
    assert mutants, f"{path.name}: no mutants"
    for m in mutants:
        mutated = m.apply(text)
        # the one changed region, from the two texts alone: longest common prefix and suffix
        prefix = len(os.path.commonprefix([text, mutated]))
        suffix = len(os.path.commonprefix([text[prefix:][::-1], mutated[prefix:][::-1]]))
        changed = (prefix, len(text) - suffix)
        assert mutated != text, m
        assert m.start <= changed[0] <= changed[1] <= m.end, f"{m}: changed {changed} outside its span"
        assert text.count("\n", 0, changed[0]) + 1 == m.line, f"{m}: changed line != reported line"
        assert not any(s < changed[1] and changed[0] < e for s, e in not_code), f"{m}: inside a comment or string"
        assert not any(s <= changed[0] < e for s, e in compiled_out), f"{m}: inside `ifdef (simulation only)"
        assert NOT_CODE.sub(" ", mutated) != code_only, f"{m}: the code without comments is unchanged"
        assert not re.match(r"\s*(module|localparam|parameter|input|output|reg\s|integer|genvar)\b", m.line_text), (
            f"{m}: a declaration or header line")


def test_fifo_mutants_include_every_operator_class() -> None:
    mutants = mt.generate_mutants(FIFO)
    classes = Counter(m.operator for m in mutants)
    for name in ("arith", "relational", "logical", "literal", "condition", "reset", "stuck-at"):
        assert classes[name] > 0, f"no {name} mutant of {FIFO_REL}: {classes}"
    _generated("arith", "-", "+", "DEPTH - 1")  # the pointer wrap
    _generated("stuck-at", "(count_q != CNT_W'(DEPTH))", "1'b1", "assign in_ready")
    _generated("stuck-at", "(count_q != {CNT_W{1'b0}})", "1'b0", "assign out_valid")
    assert {m.line for m in mutants if m.operator == "reset"} == {
        n for n, line in enumerate(FIFO.read_text().splitlines(), 1) if re.search(r"<= \{\w+\{1'b0\}\};", line)}
    # the header (ports, parameters) and the nonblocking assignments' `<=` are never mutated
    header_end = next(n for n, line in enumerate(FIFO.read_text().splitlines(), 1) if line.strip() == ");")
    assert min(m.line for m in mutants) > header_end
    assert not [m for m in mutants if m.original == "<=" and m.operator == "relational"]


def test_identity_survives_an_edit_elsewhere(tmp_path: Path) -> None:
    """A verdict's key depends on its own line, not on where that line sits in the file."""
    text = FIFO.read_text()
    moved = tmp_path / "stream_fifo.v"
    moved.write_text("// a new first line\n" + text.replace("wire push", "wire  push"))
    keys = {m.key.split("|", 1)[1] for m in mt.generate_mutants(FIFO)}
    moved_keys = {m.key.split("|", 1)[1] for m in mt.generate_mutants(moved)}
    wrap = _generated("arith", "-", "+", "DEPTH - 1").key.split("|", 1)[1]
    assert wrap in keys and wrap in moved_keys
    assert keys != moved_keys  # the edited line's mutants did change identity


# ---------------------------------------------------------------------------------------------- bookkeeping


def test_score_counts_timeouts_as_killed_and_drops_equivalents() -> None:
    records = [{"key": f"k{i}", "outcome": o} for i, o in
               enumerate(["killed", "killed", "timed_out", "stillborn", "survived", "survived"])]
    mt.apply_verdicts(records, {"k4": "unobservable", "k0": "a killed mutant's verdict is ignored"})
    assert [r["outcome"] for r in records] == ["killed", "killed", "timed_out", "stillborn", "equivalent",
                                               "survived"]
    counts = mt.tally(records)
    assert counts["generated"] == 6 and counts["equivalent"] == 1 and counts["survived"] == 1
    assert counts["score"] == 0.75  # (2 killed + 1 timed out) / (6 - 1 stillborn - 1 equivalent)


def test_equivalence_verdicts_are_current() -> None:
    """Every committed verdict names a mutant the generator still makes (a changed line needs a new judgment) and
    gives a reason."""
    entries = json.loads(mt.EQUIVALENT_FILE.read_text())
    keys = [e["key"] for e in entries]
    assert len(keys) == len(set(keys)), "a verdict is listed twice"
    current = {m.key for path in mt.rtl_files() for m in mt.generate_mutants(path)}
    for entry in entries:
        assert entry["key"] in current, f"stale verdict (its line changed): {entry['key']}"
        assert len(entry["reason"].split()) >= 5, f"no real reason given for {entry['key']}"


# ---------------------------------------------------------------------------------------------- command line


@pytest.mark.parametrize("argv", [["--max", "0"], ["--file", "rtl/common/nope.v"], ["--jobs", "x"],
                                  ["--config", "nope", "--list"], ["--timeout-factor", "0.5"]])
def test_bad_arguments_give_one_line_and_status_2(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    try:
        status = mt.main(argv)
    except SystemExit as exc:
        status = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1 and err[0].startswith("edgebench mutants: error:"), err


def test_list_prints_the_sample(capsys: pytest.CaptureFixture) -> None:
    assert mt.main(["--list", "--file", FIFO_REL, "--max", "5", "--seed", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 6 and lines[-1].startswith("5 mutants")
    assert all(FIFO_REL in line for line in lines[:5])


# ---------------------------------------------------------------------------------------------- end to end


@pytest.fixture
def mutant_root() -> Path:
    root = REPO_ROOT / "sim_build" / f"mutants-test-{os.getpid()}"
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_fifo_mutants_end_to_end(mutant_root: Path, seed: int) -> None:
    """On uleen/single (a FIFO of depth 8 whose in_ready nothing reads): out_valid stuck at 0 is killed, a typo is
    stillborn, a zero-delay loop times out, in_ready stuck at 1 survives, and nothing is left but the mutants."""
    pytest.importorskip("cocotb")
    # timeout = baseline + 15 s: the hang costs little, and a normal run would have to be 3-4x slower than its
    # baseline to be taken for one
    settings = mt.Settings(seed=seed, n=6, long_cycles=200, timeout_factor=1.0, timeout_margin_s=15.0)
    configs = mt.kill_configs(settings, ["uleen/single"])
    baselines = mt.measure_baselines(configs, settings, jobs=2, progress=False, root=mutant_root)
    assert "stream_fifo" in baselines["uleen/single"].modules
    mutants = {  # the hang first: the other three run on the second job while it waits out its timeout
        # an endless loop inside a clocked block from the first edge out of reset (Icarus rejects `always #0`)
        "timed_out": _fifo_mutant("wire push", "reg spin; always @(posedge clk) while (rst_n) spin = ~spin; "
                                  "wire push"),
        "killed": _generated("stuck-at", "(count_q != {CNT_W{1'b0}})", "1'b0", "assign out_valid"),
        "stillborn": _fifo_mutant("count_q <= count_q + 1'b1", "count_q <= count_qq + 1'b1"),
        "survived": _generated("stuck-at", "(count_q != CNT_W'(DEPTH))", "1'b1", "assign in_ready"),
    }
    records = mt.run_mutants(list(mutants.values()), configs, baselines, settings, jobs=2, progress=False,
                             root=mutant_root)
    outcomes = {expected: r for expected, r in zip(mutants, records, strict=True)}
    for expected, record in outcomes.items():
        assert record["outcome"] == expected, f"{expected}: {record}"
        assert record["configs_run"] == ["uleen/single"], record
        # only the mutated copy is left of each mutant: no build, no run folder, no symlinked originals
        left = sorted(str(p.relative_to(mutant_root / record["id"])) for p in (mutant_root / record["id"]).rglob("*")
                      if p.is_file() or p.is_symlink())
        assert left == [FIFO_REL], f"{expected}: left behind {left}"
    assert outcomes["killed"]["killed_by"] == "uleen/single" and outcomes["killed"]["reason"]
    assert outcomes["timed_out"]["seconds"] < 3 * settings.timeout(baselines["uleen/single"].seconds)
    assert "build" in outcomes["stillborn"]["reason"]
    assert outcomes["survived"]["killed_by"] is None
