"""`edgebench mutants`: how many single-point bugs in the RTL the test environment catches (mutation score).

    python -m scripts.mutants --out results/                     # the tracked figure: results/mutation.json
    python -m scripts.mutants --file rtl/common/stream_fifo.v --max 10
    python -m scripts.mutants --list                             # the sampled mutants, nothing simulated

1. Mutants: every hand-written RTL file (rtl/*/*.v) is lexed (comments, strings and compiler directives are never
   touched) and every point in its logic gets candidate mutations: operator swaps (+/-, &/|, ^, <</>>, ==/!=,
   </<=, >/>=, &&/||), removal of a logical `!` or bitwise `~`, integer literals +-1, negated `if` and `?:`
   conditions, flipped reset values, and handshake signals (`*_valid`, `*_ready`) stuck at 0 or 1. Module
   headers, declarations and (local)parameters are skipped: a mutation there only changes widths at elaboration
   and is stillborn or meaningless. A seeded sample, spread over the files in proportion to their lines of
   logic (at least a few each) and over the operator classes, is what runs.
2. Kill configurations: every test-suite configuration of every design whose build instantiates the file
   (`tb.runner.simulate` with the checks of `checks.check_core`: all seven stream tests, 0 mismatches, every
   result out, II = bound), plus the sub-block unit tests (the benches the styles declare, tests/test_units.py) for the
   modules they build alone. An un-mutated baseline run of each one, first, proves it passes, measures its time
   (a mutant's timeout is a multiple of it) and lists the modules it elaborates (from the Icarus .vvp scopes).
   Each mutant runs its configurations cheapest first in a subprocess with a timeout, and stops at the first
   that kills it: killed (a test fails, a mismatch, a missing result, a runtime error), stillborn (it does not
   build), timed out, or survived (none kills it).
3. results/mutation.json: counts per file and overall, every mutant's record, survivors' diffs and the survivors
   judged equivalent (scripts/mutants_equivalent.json, human verdicts keyed by a stable mutant identity).

Icarus, not Verilator: a mutant is a new build for every configuration it runs, and an Icarus build takes about
a second where a Verilator one takes 20-40 s; the short vector sets used here run in seconds on Icarus.
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from edgebench.designs.core import REPO_ROOT, RTL_DIR
from edgebench.golden.errors import EdgebenchError

if TYPE_CHECKING:
    from edgebench.tb.runner import SimResult

MUTANTS_ROOT = REPO_ROOT / "sim_build" / "mutants"
EQUIVALENT_FILE = Path(__file__).with_name("mutants_equivalent.json")
SIM = "icarus"
OUTCOMES = ("killed", "timed_out", "stillborn", "survived", "equivalent", "error")
SCORE_DEFINITION = ("score = (killed + timed_out) / (generated - stillborn - equivalent - error): a mutant that runs "
                    "past its timeout counts as killed (the harness has its own watchdog, so only a simulator hang "
                    "gets there); equivalent = survivors judged equivalent in scripts/mutants_equivalent.json; "
                    "error = the tool could not judge it (none expected)")
OUTCOME_DEFINITIONS = {
    "killed": "a configuration failed: a cocotb test, a check_core assertion (mismatch, missing result, II, "
              "protocol checker, ...), a unit test, or a simulator runtime error",
    "timed_out": "a configuration ran past factor x its baseline time + margin; its process group was killed",
    "stillborn": "the first build failure ends the mutant (Icarus compile or elaboration error)",
    "survived": "every configuration that elaborates the file passed",
    "equivalent": "survived, and judged equivalent (reason given)",
}


class MutantsError(EdgebenchError):
    """A user error: one line, exit status 2."""


# ============================================================================================== lexer


@dataclass(frozen=True)
class Token:
    kind: str  # ws, comment, string, directive, number, ident, sysid, op
    text: str
    start: int
    end: int
    line: int


_OPERATORS = ("<<<", ">>>", "===", "!==", "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "~&", "~|", "~^", "^~",
              "+:", "-:", "**", "->", "::")
_TOKEN_RE = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<comment>//[^\n]*|/\*.*?\*/)"
    r'|(?P<string>"(?:[^"\\\n]|\\.)*")'
    r"|(?P<directive>`[A-Za-z_]\w*)"
    r"|(?P<number>\d[\d_]*'[sS]?[bBoOdDhH][0-9a-fA-FxXzZ?_]+|'[sS]?[bBoOdDhH][0-9a-fA-FxXzZ?_]+|\d[\d_]*(?:\.\d+)?)"
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_$]*)"
    r"|(?P<sysid>\$[A-Za-z_][A-Za-z0-9_$]*)"
    r"|(?P<op>" + "|".join(re.escape(op) for op in _OPERATORS) + r"|[-+*/%&|^~!<>=?:;,.()\[\]{}#@'])",
    re.S,
)


def lex(text: str) -> list[Token]:
    """Verilog tokens covering the whole text; raises ValueError on a character no token starts with."""
    tokens, pos, line = [], 0, 1
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise ValueError(f"line {line}: cannot lex {text[pos:pos + 20]!r}")
        tokens.append(Token(m.lastgroup or "op", m.group(), pos, m.end(), line))
        line += m.group().count("\n")
        pos = m.end()
    return tokens


# ============================================================================================== mutants


@dataclass(frozen=True)
class Mutant:
    file: str  # repository-relative, e.g. rtl/common/stream_fifo.v
    line: int
    operator: str  # class: arith, bitwise, shift, relational, logical, negation, literal, condition, reset, stuck-at
    original: str
    mutated: str
    start: int  # text[start:end] is replaced by `mutated`
    end: int
    line_text: str
    occurrence: int = 0  # among the file's candidates with the same line text, operator and change

    @property
    def key(self) -> str:
        """Stable identity (survives edits elsewhere in the file): where equivalence verdicts are keyed."""
        line_hash = hashlib.sha1(self.line_text.strip().encode()).hexdigest()[:10]
        return f"{self.file}|{line_hash}|{self.operator}:{self.original}->{self.mutated}|{self.occurrence}"

    @property
    def id(self) -> str:
        return f"{Path(self.file).stem}-{hashlib.sha1(self.key.encode()).hexdigest()[:8]}"

    def apply(self, text: str) -> str:
        return text[:self.start] + self.mutated + text[self.end:]


# Statements that only declare (their widths and parameter values are elaboration-time): not mutated, except a
# net's initializer (`wire x = expr;`, a continuous assignment).
_DECLARATIONS = {"wire", "reg", "logic", "integer", "genvar", "input", "output", "inout", "real", "time", "tri"}
_PARAMETERS = {"localparam", "parameter", "defparam"}
# Tokens after which a `<=` at statement level is a nonblocking assignment (what may precede an lvalue).
_STATEMENT_BOUNDARIES = {";", "begin", "end", "else", ")", ":", "default", "fork", "join"}
# Tokens after which a condition starts (what may precede `cond ? a : b` when cond is a whole operand).
_CONDITION_OPENERS = {"=", "(", ",", "?", ":", "[", "{", "assign", "return"}
_SWAPS = {
    "+": ("arith", "-"), "-": ("arith", "+"),
    "&": ("bitwise", "|"), "|": ("bitwise", "&"), "^": ("bitwise", "|"), "~^": ("bitwise", "^"),
    "^~": ("bitwise", "^"),
    "<<": ("shift", ">>"), ">>": ("shift", "<<"), ">>>": ("shift", ">>"),
    "==": ("relational", "!="), "!=": ("relational", "=="), "<": ("relational", "<="),
    "<=": ("relational", "<"), ">": ("relational", ">="), ">=": ("relational", ">"),
    "&&": ("logical", "||"), "||": ("logical", "&&"),
}
_HANDSHAKE = re.compile(r"(^|_)(valid|ready)$")
_RESET = re.compile(r"rst|reset", re.I)


class _Source:
    """One file's significant tokens (no whitespace or comments) with bracket matching and the logic mask."""

    def __init__(self, file: str, text: str) -> None:
        self.file, self.text = file, text
        self.lines = text.splitlines()
        self.toks = [t for t in lex(text) if t.kind not in ("ws", "comment")]
        self.match = self._match_brackets()
        self.depth = self._depths()
        self.logic = self._logic_mask()

    def _match_brackets(self) -> dict[int, int]:
        pairs, stacks, match = {")": "(", "]": "[", "}": "{"}, defaultdict(list), {}
        for i, t in enumerate(self.toks):
            if t.kind != "op":
                continue
            if t.text in "([{":
                stacks[t.text].append(i)
            elif t.text in pairs and stacks[pairs[t.text]]:
                j = stacks[pairs[t.text]].pop()
                match[i], match[j] = j, i
        return match

    def _depths(self) -> list[int]:
        """Paren/bracket/brace nesting depth of every token (an opening token has its outer depth)."""
        depth, out = 0, []
        for t in self.toks:
            if t.kind == "op" and t.text in ")]}":
                depth -= 1
            out.append(depth)
            if t.kind == "op" and t.text in "([{":
                depth += 1
        return out

    def _endif(self, i: int) -> int:
        depth = 0
        for j in range(i, len(self.toks)):
            depth += {"`ifdef": 1, "`ifndef": 1, "`endif": -1}.get(self.toks[j].text, 0)
            if depth == 0:
                return j
        return len(self.toks) - 1

    def _statement_end(self, i: int) -> int:
        """Index of the `;` ending the statement that starts at token i (same nesting depth)."""
        d = self.depth[i]
        for j in range(i, len(self.toks)):
            if self.toks[j].text == ";" and self.depth[j] == d:
                return j
        return len(self.toks) - 1

    def _logic_mask(self) -> list[bool]:
        toks, logic = self.toks, [True] * len(self.toks)
        i = 0
        while i < len(toks):
            if toks[i].text in ("`ifdef", "`ifndef"):  # simulation-only code (protocol checkers): not the design
                end = self._endif(i)
                logic[i:end + 1] = [False] * (end + 1 - i)
                i = end + 1
                continue
            word = toks[i].text if toks[i].kind in ("ident", "op") else ""
            if word in ("module", "function", "task") or word in _PARAMETERS:
                end = self._statement_end(i)  # module/function header, parameter statement
                logic[i:end + 1] = [False] * (end + 1 - i)
                i = end + 1
                continue
            if word in _DECLARATIONS:
                end = self._statement_end(i)
                in_init = False  # after `=` of one declarator until its `,`
                for j in range(i, end + 1):
                    at_top = self.depth[j] == self.depth[i]
                    if at_top and toks[j].text in (",", ";"):
                        in_init = False
                    logic[j] = in_init
                    if at_top and toks[j].text == "=":
                        in_init = True
                i = end + 1
                continue
            if word == "@" and i + 1 < len(toks):  # sensitivity list
                end = self.match.get(i + 1, i + 1) if toks[i + 1].text == "(" else i + 1
                logic[i:end + 1] = [False] * (end + 1 - i)
                i = end + 1
                continue
            if word == "for" and toks[i + 1].text == "(":  # the loop step: its mutants only hang elaboration
                close = self.match[i + 1]
                semis = [j for j in range(i + 2, close) if toks[j].text == ";" and self.depth[j] == self.depth[i] + 1]
                if len(semis) == 2:
                    logic[semis[1]:close] = [False] * (close - semis[1])
            logic[i] = logic[i] and toks[i].kind not in ("string", "directive")
            i += 1
        return logic

    # ------------------------------------------------------------------------- helpers for the operators

    def prev(self, i: int) -> Token | None:
        return self.toks[i - 1] if i > 0 else None

    def is_nonblocking(self, i: int) -> bool:
        """toks[i] is `<=`: an assignment (lvalue before it, a statement boundary before that) or a comparison."""
        if self.depth[i] > 0:
            return False
        j = i - 1
        seen = False
        while j >= 0:
            t = self.toks[j]
            if t.text in ("]", "}"):
                j = self.match.get(j, j) - 1
            elif t.kind == "ident" or t.text == ".":
                j -= 1
            else:
                break
            seen = True
        return seen and (j < 0 or self.toks[j].text in _STATEMENT_BOUNDARIES)

    def is_binary(self, i: int) -> bool:
        p = self.prev(i)
        return p is not None and (p.kind in ("ident", "number", "string") or p.text in (")", "]", "}"))

    def operand_before(self, i: int) -> int | None:
        """Start index of the operand ending at token i-1 (an identifier with selects, a call, a cast or a
        parenthesized group), if what precedes it shows the operand is a whole condition."""
        j = i - 1
        if j < 0:
            return None
        if self.toks[j].text == ")":
            j = self.match.get(j, j)
            if j > 0 and (self.toks[j - 1].kind in ("ident", "sysid") or self.toks[j - 1].text == "'"):
                j -= 1
                if self.toks[j].text == "'" and j > 0:
                    j -= 1
        elif self.toks[j].text == "]":
            while self.toks[j].text == "]":
                j = self.match.get(j, j) - 1
            if self.toks[j].kind != "ident":
                return None
        elif self.toks[j].kind not in ("ident", "number"):
            return None
        before = self.toks[j - 1] if j > 0 else None
        if before is None or before.text in _CONDITION_OPENERS or (
                before.text == "<=" and self.is_nonblocking(j - 1)):
            return j
        return None

    def line_of(self, offset: int) -> tuple[int, str]:
        line = self.text.count("\n", 0, offset) + 1
        return line, self.lines[line - 1]


def _literal_value(text: str) -> tuple[int | None, str, int | None]:
    """(value, base letter or '', width or None) of an integer literal; value None when it has x/z/? digits."""
    m = re.fullmatch(r"(\d[\d_]*)?'([sS]?)([bBoOdDhH])([0-9a-fA-FxXzZ?_]+)", text)
    if m is None:
        return (int(text.replace("_", "")) if text.replace("_", "").isdigit() else None), "", None
    width = int(m.group(1).replace("_", "")) if m.group(1) else None
    base = m.group(3).lower()
    digits = m.group(4).replace("_", "")
    if re.search(r"[xXzZ?]", digits):
        return None, base, width
    return int(digits, {"b": 2, "o": 8, "d": 10, "h": 16}[base]), base, width


def _format_literal(original: str, value: int) -> str:
    _, base, width = _literal_value(original)
    if not base:
        return str(value)
    head = original[:original.index("'") + 1] + ("s" if re.search(r"'[sS]", original) else "") + base
    return head + {"b": format(value, "b"), "o": format(value, "o"), "d": str(value), "h": format(value, "x")}[base]


def _literal_tweaks(text: str) -> list[str]:
    value, _, width = _literal_value(text)
    if value is None:
        return []
    out = []
    for v in (value + 1, value - 1):
        if v >= 0 and (width is None or v < (1 << width)):
            out.append(_format_literal(text, v))
    return out


def _reset_flip(text: str) -> str | None:
    """A sized literal whose bits are all 0 or all 1 (a reset value), with every bit flipped."""
    value, _, width = _literal_value(text)
    if value is None or width is None:
        return None
    ones = (1 << width) - 1
    if value not in (0, ones):
        return None
    return f"{width}'b" + format(ones - value, "b").zfill(width) if width <= 8 else f"{width}'h{ones - value:x}"


class _Collector:
    """Candidate mutations of one file, each a single replacement of a text span."""

    def __init__(self, src: _Source) -> None:
        self.src, self.out = src, []

    def add(self, operator: str, start: int, end: int, mutated: str) -> None:
        original = self.src.text[start:end]
        if mutated == original:
            return
        line, line_text = self.src.line_of(start)
        self.out.append(Mutant(self.src.file, line, operator, original, mutated, start, end, line_text))

    def span(self, i: int, j: int) -> tuple[int, int]:
        return self.src.toks[i].start, self.src.toks[j].end


def _operator_mutants(c: _Collector) -> None:
    src = c.src
    for i, t in enumerate(src.toks):
        if not src.logic[i] or t.kind != "op":
            continue
        if t.text in _SWAPS:
            operator, to = _SWAPS[t.text]
            if t.text == "<=" and src.is_nonblocking(i):
                continue
            if t.text in ("+", "-") and not src.is_binary(i):
                continue  # unary sign
            c.add(operator, t.start, t.end, to)
        elif t.text in ("!", "~"):
            c.add("logical" if t.text == "!" else "negation", t.start, t.end, "")


def _literal_mutants(c: _Collector, reserved: set[int]) -> None:
    src = c.src
    for i, t in enumerate(src.toks):
        if not src.logic[i] or t.kind != "number" or i in reserved:
            continue
        nxt = src.toks[i + 1] if i + 1 < len(src.toks) else None
        if nxt is not None and nxt.text == "'":
            continue  # the width of a cast: W'(x)
        for to in _literal_tweaks(t.text):
            c.add("literal", t.start, t.end, to)


def _condition_mutants(c: _Collector) -> None:
    src = c.src
    for i, t in enumerate(src.toks):
        if not src.logic[i]:
            continue
        if t.text == "if" and i + 1 < len(src.toks) and src.toks[i + 1].text == "(":
            close = src.match.get(i + 1)
            # `if (!x)`: negating it is removing the `!`, which the logical operator already does
            if close is not None and not (close == i + 4 and src.toks[i + 2].text == "!"):
                start, end = c.span(i + 1, close)
                inner = src.text[src.toks[i + 1].end:src.toks[close].start]
                c.add("condition", start, end, f"(!({inner}))")
        elif t.text == "?":
            first = src.operand_before(i)
            if first is not None:
                start, end = c.span(first, i - 1)
                cond = src.text[start:end]
                grouped = src.toks[first].text == "(" and src.match.get(first) == i - 1
                c.add("condition", start, end, f"!{cond}" if grouped else f"!({cond})")


def _reset_branch(src: _Source, i: int) -> range | None:
    """Token range of the branch of `if (!rst...)` at token i, or None if it is not a reset test."""
    toks = src.toks
    if not (i + 5 < len(toks) and toks[i].text == "if" and toks[i + 1].text == "(" and toks[i + 2].text in ("!", "~")
            and toks[i + 3].kind == "ident" and _RESET.search(toks[i + 3].text) and toks[i + 4].text == ")"):
        return None
    first = i + 5
    if toks[first].text != "begin":
        return range(first, src._statement_end(first) + 1)
    depth = 0
    for j in range(first, len(toks)):
        depth += {"begin": 1, "end": -1}.get(toks[j].text, 0)
        if depth == 0:
            return range(first, j + 1)
    return None


def _reset_mutants(c: _Collector) -> set[int]:
    """Flip each constant reset value; returns the literal tokens used (the literal operator leaves them)."""
    src, used = c.src, set()
    for i in range(len(src.toks)):
        branch = _reset_branch(src, i) if src.logic[i] else None
        if branch is None:
            continue
        for j in branch:
            if src.toks[j].text != "<=" or not src.is_nonblocking(j):
                continue
            value = _reset_value(src, j + 1, src._statement_end(j))
            flipped = _reset_flip(src.toks[value].text) if value is not None else None
            if flipped is not None:
                c.add("reset", src.toks[value].start, src.toks[value].end, flipped)
                used.add(value)
    return used


def _reset_value(src: _Source, first: int, end: int) -> int | None:
    """The literal token of a constant right-hand side toks[first:end]: `N'b0` or `{COUNT{N'b0}}`."""
    texts = [t.text for t in src.toks[first:end]]
    if len(texts) == 1 and src.toks[first].kind == "number":
        return first
    replication = (len(texts) >= 5 and texts[0] == "{" and texts[-4] == "{" and texts[-2:] == ["}", "}"]
                   and src.match.get(first) == end - 1)
    if replication and src.toks[end - 3].kind == "number":
        return end - 3
    return None


def _stuck_at_mutants(c: _Collector) -> None:
    """`assign x_valid = expr;` (or `wire x_ready = expr;`) with expr replaced by 1'b0 and by 1'b1."""
    src = c.src
    for i, t in enumerate(src.toks):
        if t.kind != "ident" or not _HANDSHAKE.search(t.text) or i + 1 >= len(src.toks):
            continue
        before = src.prev(i)
        if src.toks[i + 1].text != "=" or before is None or before.text not in ("assign", "wire", "]"):
            continue
        end = src._statement_end(i)
        if end <= i + 2 or not src.logic[i + 2]:
            continue
        start, stop = c.span(i + 2, end - 1)
        for value in ("1'b0", "1'b1"):
            c.add("stuck-at", start, stop, value)


def generate_mutants(path: Path) -> list[Mutant]:
    """Every candidate single-point mutant of one RTL file, in file order, duplicates (same text) removed."""
    text = path.read_text()
    src = _Source(_relative(path), text)
    c = _Collector(src)
    _operator_mutants(c)
    _literal_mutants(c, _reset_mutants(c))
    _condition_mutants(c)
    _stuck_at_mutants(c)
    seen, unique = set(), []
    for m in sorted(c.out, key=lambda m: (m.start, m.end, m.operator, m.mutated)):
        result = m.apply(text)
        if result not in seen:
            seen.add(result)
            unique.append(m)
    counts: Counter = Counter()
    numbered = []
    for m in unique:
        ident = (m.line_text.strip(), m.operator, m.original, m.mutated)
        numbered.append(replace(m, occurrence=counts[ident]))
        counts[ident] += 1
    return numbered


def logic_lines(path: Path) -> int:
    """Lines holding at least one mutable token: the weight of a file in the sample."""
    src = _Source(_relative(path), path.read_text())
    return len({t.line for t, ok in zip(src.toks, src.logic, strict=True) if ok})


def rtl_files() -> list[Path]:
    return sorted(RTL_DIR.glob("*/*.v"))


def _relative(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def allocate(weights: dict[str, int], capacity: dict[str, int], total: int, minimum: int) -> dict[str, int]:
    """Mutants per file: at least `minimum` each (or all it has), the rest in proportion to the weights (largest
    remainder), never more than a file has."""
    alloc = {f: min(minimum, capacity[f]) for f in weights}
    while sum(alloc.values()) < total:
        open_files = [f for f in weights if alloc[f] < capacity[f]]
        if not open_files:
            break
        left = total - sum(alloc.values())
        weight = sum(weights[f] for f in open_files) or len(open_files)
        shares = {f: left * (weights[f] or 1) / weight for f in open_files}
        step = {f: min(int(shares[f]), capacity[f] - alloc[f]) for f in open_files}
        if not any(step.values()):  # hand the remainder out one by one, largest fraction first
            for f in sorted(open_files, key=lambda f: (-(shares[f] % 1), f))[:left]:
                step[f] = 1
        for f, k in step.items():
            alloc[f] += k
    return alloc


def stratified_sample(candidates: list[Mutant], k: int, rng: random.Random) -> list[Mutant]:
    """k mutants, taken in turn from each operator class (classes and members in random order), so a class with
    many candidates (literals) does not crowd out the rest."""
    by_class: dict[str, list[Mutant]] = defaultdict(list)
    for m in candidates:
        by_class[m.operator].append(m)
    classes = sorted(by_class)
    rng.shuffle(classes)
    for name in classes:
        rng.shuffle(by_class[name])
    picked: list[Mutant] = []
    while len(picked) < k and any(by_class.values()):
        for name in classes:
            if by_class[name] and len(picked) < k:
                picked.append(by_class[name].pop())
    return picked


def sample_mutants(files: Sequence[Path], total: int, seed: int, minimum: int = 3) -> list[Mutant]:
    """The seeded sample: `total` mutants over `files`, in file and position order."""
    candidates = {_relative(f): generate_mutants(f) for f in files}
    weights = {_relative(f): logic_lines(f) for f in files}
    minimum = min(minimum, max(1, total // max(1, len(files))))
    alloc = allocate(weights, {f: len(c) for f, c in candidates.items()}, total, minimum)
    picked = []
    for name, cands in candidates.items():
        picked += stratified_sample(cands, alloc[name], random.Random(f"{seed}/{name}"))
    return sorted(picked, key=lambda m: (m.file, m.start, m.operator, m.mutated))


# ============================================================================================== kill configurations


@dataclass(frozen=True)
class KillConfig:
    """One way to test a file: a core configuration (`design/config`) or a sub-block unit test (`unit:...`)."""

    name: str
    kind: str  # core, unit_bench, stream_unit, shared_block
    spec: dict = field(hash=False)
    sources: tuple[str, ...] = ()  # repository-relative files the build reads


@dataclass
class Baseline:
    seconds: float
    modules: list[str]


@dataclass(frozen=True)
class Settings:
    seed: int = 1
    n: int = 12  # dataset vectors per core test
    long_cycles: int = 3000  # the long run under stalls gets about this many cycles: n_long = cycles / II
    min_long: int = 40  # >= 30, so the environment's "stalls did happen" check is on
    max_long: int = 300
    timeout_factor: float = 3.0
    timeout_margin_s: float = 20.0

    def n_long(self, ii: int) -> int:
        # bursts of back-pressure come about once per 64 IIs (at least every 1024 cycles): a cycle budget, not a
        # vector count, decides whether the long run sees them
        from edgebench.tb.checks import vectors_for_cycles

        return vectors_for_cycles(self.long_cycles, ii, self.min_long, self.max_long)

    def timeout(self, baseline_s: float) -> float:
        return self.timeout_factor * baseline_s + self.timeout_margin_s


def _suite_configs() -> list[tuple[str, str]]:
    """(design, config) for every configuration the test suite checks (not the bench-only large ones)."""
    from edgebench.designs.registry import styles

    return [(d.name, c) for d in styles().values() for c in d.configs]


def _core_configs(settings: Settings, wanted: Callable[[str], bool]) -> list[KillConfig]:
    """The wanted core configurations, each built once (trains its model if not cached) to learn its sources
    and II."""
    from edgebench.designs.registry import get_design
    from edgebench.golden.datasets import load_dataset
    from edgebench.tb.runner import CACHE_DIR

    data = load_dataset("digits")
    params = MUTANTS_ROOT / f"_probe-{os.getpid()}"  # model files only; a concurrent run has its own
    out = []
    for design, config in _suite_configs():
        if not wanted(f"{design}/{config}"):
            continue
        core = get_design(design).build(config, data, params / f"{design}-{config}", CACHE_DIR)
        sources = tuple(_relative(s) for s in core.sources)
        spec = {"design": design, "config": config, "n": settings.n, "n_long": settings.n_long(core.ii_bound)}
        out.append(KillConfig(f"{design}/{config}", "core", spec, sources))
    shutil.rmtree(params, ignore_errors=True)
    return out


def _unit_configs() -> list[KillConfig]:
    from edgebench.designs.registry import unit_benches

    out = []
    for style, unit in unit_benches():  # each declared sub-block bench alone (Icarus only here)
        out.append(KillConfig(f"unit:{unit.name}", "unit_bench", {"style": style.name, "unit": unit.name},
                              tuple(_relative(src) for src in unit.sources)))
    return out


def _stream_unit_configs() -> list[KillConfig]:
    """tests/test_stream_units.py's cases (the FIFO and the LUTNet pipeline register alone), where it exists."""
    try:
        from edgebench.tests import test_stream_units as units

        fifo = [(f"unit:stream_fifo-d{d}-w{w}", "stream_fifo", {"WIDTH": w, "DEPTH": d}, list(units.FIFO_TESTS))
                for d, w in units.FIFO_CASES]
        pipe = [(f"unit:lutnet_pipe_reg-w{w}", "lutnet_pipe_reg", {"WIDTH": w}, list(units.PIPE_TESTS))
                for w in units.PIPE_WIDTHS]
        files = {"stream_fifo": _relative(units.FIFO_RTL), "lutnet_pipe_reg": _relative(units.PIPE_RTL)}
    except (ImportError, AttributeError):
        return []
    return [KillConfig(name, "stream_unit", {"top": top, "params": params, "tests": tests}, (files[top],))
            for name, top, params, tests in fifo + pipe] + _shared_block_configs()


def _shared_block_configs() -> list[KillConfig]:
    """tests/test_shared_blocks.py's cases (rtl/common's fold_sequencer, fold_collector and core_shell alone)."""
    try:
        from edgebench.tests import test_shared_blocks as blocks

        cases = [(f"unit:{name}", top, params, blocks.TESTS[top], tuple(_relative(s) for s in blocks.SOURCES[top]))
                 for top, params, name in blocks.CASES]
    except (ImportError, AttributeError):
        return []
    return [KillConfig(name, "shared_block", {"top": top, "params": params, "tests": tests}, sources)
            for name, top, params, tests, sources in cases]


def _matches(name: str, pattern: str) -> bool:
    return name == pattern or (pattern.endswith("*") and name.startswith(pattern[:-1]))


def check_config_names(only: Sequence[str] | None) -> None:
    """Raise MutantsError on a name or pattern that matches no kill configuration (nothing is built)."""
    names = [f"{d}/{c}" for d, c in _suite_configs()] + [u.name for u in _unit_configs() + _stream_unit_configs()]
    for pattern in only or ():
        if not any(_matches(name, pattern) for name in names):
            raise MutantsError(f"unknown configuration {pattern!r}; e.g. {names[0]}, bnn/*, unit:argmax")


def kill_configs(settings: Settings, only: Sequence[str] | None = None) -> list[KillConfig]:
    """Every kill configuration, or those named in `only` (names as in the report: `uleen/single`,
    `unit:h3-n16-w6`; a trailing `*` matches any ending: `bnn/*`, `unit:*`). Only the wanted cores are built."""
    check_config_names(only)
    units = _unit_configs() + _stream_unit_configs()

    def wanted(name: str) -> bool:
        return not only or any(_matches(name, p) for p in only)

    return _core_configs(settings, wanted) + [u for u in units if wanted(u.name)]


# ============================================================================================== worker (subprocess)


def _scopes(root: Path) -> list[str]:
    """Module names Icarus elaborated, from every .vvp under root."""
    names: set[str] = set()
    for vvp in root.rglob("*.vvp"):
        names |= set(re.findall(r'\.scope module, "[^"]*" "([^"]+)"', vvp.read_text(errors="replace")))
    return sorted(names)


def _failure_messages(run_dir: Path) -> list[str]:
    """`<test>: <message>` for each failed test in cocotb's results.xml."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(run_dir / "results.xml").getroot()
    except (OSError, ET.ParseError):
        return []
    out = []
    for case in root.iter("testcase"):
        for failure in list(case.iter("failure")) + list(case.iter("error")):
            message = (failure.get("message") or failure.text or "").strip().splitlines()
            out.append(f"{case.get('name')}: {message[0][:160] if message else 'failed'}")
    return out


class _BuildFailed(Exception):
    """The mutant did not build (check_core reports it as a test failure; here it means stillborn)."""


def _missing_results(result: SimResult) -> str | None:
    """A result that never came out is a kill even where check_core only asks for some (`compared > 0`)."""
    from edgebench.tb.runner import ALL_TESTS, LONG_TEST
    from edgebench.tb.vectors import load_set

    for name in (*ALL_TESTS, LONG_TEST):
        record = result.records.get(name)
        if record is None:
            return f"{name}: no metrics"
        expected = len(load_set(result.build_dir / "vectors.npz", record.sequence).bits)
        if record.compared != expected:
            return f"{name}: {record.compared} of {expected} results"
    return None


def _run_core(spec: dict, override: dict[Path, Path], seed: int, tag: str) -> str | None:
    """checks.check_core on the mutant: the suite's own assertions decide (cocotb failures, mismatches, II,
    protocol checkers, ...), so a mutant is judged exactly as a core is. Only its simulate call is redirected (the
    mutant's sources, its own tag) and its long run shortened; a build failure is told apart from a failure."""
    import pytest

    from edgebench.tb import checks
    from edgebench.tb.runner import SimulationError, simulate

    build_failure: list[str] = []

    def simulate_mutant(*args: object, **kwargs: object) -> SimResult:
        kwargs.update(tag=tag, source_override=override or None)
        try:
            return simulate(*args, **kwargs)
        except SimulationError as exc:
            build_failure.append(str(exc))
            raise

    checks.simulate = simulate_mutant
    checks.LONG_VECTORS = {**checks.LONG_VECTORS, SIM: spec["n_long"]}
    try:
        result = checks.check_core(spec["design"], spec["config"], SIM, seed, n=spec["n"])
    except (AssertionError, pytest.fail.Exception) as exc:
        if build_failure:
            raise _BuildFailed(build_failure[0]) from None
        return _first_line(exc)
    return _missing_results(result)


def _first_line(exc: BaseException) -> str:
    """The assertion's message, its first two lines (a header line is often followed by the detail)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return " | ".join(lines[:2])[:300] if lines else type(exc).__name__


def _run_unit_bench(spec: dict, rtl: Path, work: Path, seed: int) -> str | None:
    """A sub-block bench a style declares (tests/test_units.py's case) on Icarus, its sources taken from `rtl`
    (the mutant beside the other originals), its run folder under `work`."""
    from edgebench.designs.registry import get_design
    from edgebench.tb.builds import build, run_cocotb

    unit = next(u for u in get_design(spec["style"]).units if u.name == spec["unit"])
    run_dir = work / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    sources = [rtl / src.relative_to(RTL_DIR) for src in unit.sources]
    params, env = unit.setup(run_dir, seed)
    runner, build_dir, _ = build(SIM, sources, unit.toplevel, params, public={unit.toplevel: ["*"]})
    env["PYTHONPATH"] = str(REPO_ROOT)
    n_tests, n_failed = run_cocotb(runner, build_dir, run_dir, unit.bench, unit.toplevel, env=env,
                                   testcase=list(unit.testcases) or None, seed=seed)
    if n_tests >= 1 and n_failed == 0:
        return None
    messages = _failure_messages(run_dir)
    return messages[0] if messages else "unit bench failed"


def _run_stream_unit(spec: dict, source: Path, work: Path, seed: int) -> str | None:
    """A tests/test_stream_units.py case on Icarus, built from `source`, its run folder under `work`."""
    from edgebench.tests import test_stream_units

    test_stream_units.RUN_ROOT = work
    n_tests, n_failed, messages = test_stream_units.run_unit(SIM, source, spec["top"], spec["params"], spec["tests"],
                                                             "unit", seed, "edgebench mutants")
    if n_tests == len(spec["tests"]) and n_failed == 0:
        return None
    return messages[0].strip().splitlines()[0][:240] if messages else f"{n_failed} of {n_tests} unit tests failed"


def _run_shared_block(spec: dict, sources: list[Path], work: Path, seed: int) -> str | None:
    """A tests/test_shared_blocks.py case on Icarus, built from `sources`, its run folder under `work`."""
    from edgebench.tests import test_shared_blocks

    test_shared_blocks.RUN_ROOT = work
    n_tests, n_failed, messages = test_shared_blocks.run_block(SIM, sources, spec["top"], spec["params"],
                                                               spec["tests"], "unit", seed, "edgebench mutants")
    if n_tests == len(spec["tests"]) and n_failed == 0:
        return None
    return messages[0].strip().splitlines()[0][:240] if messages else f"{n_failed} of {n_tests} unit tests failed"


def _worker(request: dict) -> dict:
    """Run one configuration (on one mutant, or the originals). Everything it builds or writes lands under
    request["work"] (the builds root and the run root are pointed there), so one rmtree cleans up even after a
    timeout kill, and the suite's own builds and run folders are never touched."""
    from edgebench.tb import builds, runner
    from edgebench.tb.builds import BuildError
    from edgebench.tb.runner import SimulationError

    work = Path(request["work"])
    builds.BUILDS_ROOT = work / "builds"
    runner.BUILD_ROOT = work
    override = {Path(k): Path(v) for k, v in request["override"].items()}
    config, seed = request["config"], request["seed"]
    started = time.perf_counter()
    try:
        if config["kind"] == "core":
            reason = _run_core(config["spec"], override, seed, request["tag"])
        elif config["kind"] == "unit_bench":
            reason = _run_unit_bench(config["spec"], Path(request["rtl"]), work, seed)
        elif config["kind"] == "stream_unit":
            source = Path(request["rtl"]).parent / config["sources"][0]
            reason = _run_stream_unit(config["spec"], source, work, seed)
        elif config["kind"] == "shared_block":
            sources = [Path(request["rtl"]).parent / src for src in config["sources"]]
            reason = _run_shared_block(config["spec"], sources, work, seed)
        else:
            raise ValueError(f"unknown kill configuration kind {config['kind']!r}")
        status = "pass" if reason is None else "fail"
    except (_BuildFailed, SimulationError, BuildError) as exc:
        status, reason = "build_error", str(exc)[:300]
    except Exception as exc:  # noqa: BLE001 - a simulator runtime error is a kill; its text is recorded
        status, reason = "fail", f"runtime error: {type(exc).__name__}: {str(exc)[:200]}"
    return {"status": status, "reason": reason, "seconds": round(time.perf_counter() - started, 3),
            "modules": _scopes(work)}


def worker_main(request_path: str) -> int:
    request = json.loads(Path(request_path).read_text())
    outcome = _worker(request)
    Path(request["result"]).write_text(json.dumps(outcome))
    return 0


# ============================================================================================== running


class _Processes:
    """Live worker processes, so an interrupt kills every one of them (and their simulators) by process group."""

    def __init__(self) -> None:
        self.lock, self.live = threading.Lock(), set()

    def run(self, cmd: list[str], timeout: float, log: Path) -> bool:
        """Run cmd in its own process group; False if it had to be killed at the timeout."""
        with open(log, "w") as out:
            proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            with self.lock:
                self.live.add(proc)
            try:
                proc.wait(timeout=timeout)
                return True
            except subprocess.TimeoutExpired:
                self._kill(proc)
                return False
            finally:
                with self.lock:
                    self.live.discard(proc)

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()

    def kill_all(self) -> None:
        with self.lock:
            for proc in list(self.live):
                self._kill(proc)


_PROCESSES = _Processes()


def _shadow_rtl(root: Path, mutant_file: str | None, mutated_text: str | None) -> Path:
    """root/rtl: the repository's RTL as symlinks, with the mutant (if any) as a real file in its place."""
    rtl = root / "rtl"
    for original in rtl_files():
        target = rtl / original.relative_to(RTL_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        if mutant_file is not None and _relative(original) == mutant_file:
            target.write_text(mutated_text or "")
        else:
            target.symlink_to(original)
    return rtl


def run_config(config: KillConfig, *, root: Path, rtl: Path, override: dict[str, str], settings: Settings,
               timeout: float, tag: str, keep_failed: bool = False) -> dict:
    """One configuration in a worker subprocess under `root`; its work folder is removed afterwards (kept when it
    did not pass and keep_failed is set: a failing baseline must be inspectable)."""
    slug = re.sub(r"[^\w.-]+", "_", config.name)
    work = root / "work" / slug
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    request = {"config": asdict(config), "work": str(work), "rtl": str(rtl), "override": override,
               "seed": settings.seed, "tag": tag, "result": str(work / "result.json")}
    (work / "request.json").write_text(json.dumps(request))
    cmd = [sys.executable, "-c", "import sys; from edgebench.scripts.mutants import worker_main; "
           "sys.exit(worker_main(sys.argv[1]))", str(work / "request.json")]
    started = time.perf_counter()
    finished = _PROCESSES.run(cmd, timeout, root / f"{slug}.log")
    elapsed = round(time.perf_counter() - started, 3)
    result_path = work / "result.json"
    if not finished:
        outcome = {"status": "timeout", "reason": f"no result within {timeout:.0f} s", "modules": []}
    elif result_path.exists():
        outcome = json.loads(result_path.read_text())
    else:
        log = (root / f"{slug}.log").read_text(errors="replace").strip().splitlines()
        outcome = {"status": "error", "reason": f"worker died: {' '.join(log[-1:])[:200]}", "modules": []}
    outcome["wall_s"] = elapsed
    if keep_failed and outcome["status"] != "pass":
        return outcome
    shutil.rmtree(work, ignore_errors=True)
    if outcome["status"] != "error":  # the worker's own output only matters when it could not report
        (root / f"{slug}.log").unlink(missing_ok=True)
    return outcome


def _parallel(items: Sequence, fn: Callable, jobs: int, desc: str, progress: bool,
              label: Callable[[object], str] | None = None) -> list:
    """fn over items on `jobs` threads (each waits on its own worker processes), results in input order. With
    progress a tqdm bar; without (not a terminal), one line per finished item when `label` is given, for logs."""
    from tqdm import tqdm

    results: list = [None] * len(items)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(fn, item): k for k, item in enumerate(items)}
        bar = tqdm(total=len(items), desc=desc, disable=not progress, dynamic_ncols=True)
        try:
            for done, future in enumerate(as_completed(futures), 1):
                result = results[futures[future]] = future.result()
                bar.update()
                if label is not None:
                    if progress:
                        bar.set_postfix_str(label(result))
                    else:
                        print(f"[{done}/{len(items)}] {label(result)}", file=sys.stderr, flush=True)
        except BaseException:
            for future in futures:
                future.cancel()
            _PROCESSES.kill_all()
            raise
        finally:
            bar.close()
    return results


def measure_baselines(configs: Sequence[KillConfig], settings: Settings, jobs: int = 2, progress: bool = True,
                      root: Path = MUTANTS_ROOT) -> dict[str, Baseline]:
    """Run every configuration on the original RTL: it must pass; its time and elaborated modules are kept."""
    root = root / f"_baseline-{os.getpid()}"
    rtl = _shadow_rtl(root, None, None)

    def one(config: KillConfig) -> tuple[KillConfig, dict]:
        # the baseline gets a generous fixed timeout: there is nothing to compare it with yet
        return config, run_config(config, root=root, rtl=rtl, override={}, settings=settings, timeout=900,
                                  tag="mutant-baseline", keep_failed=True)

    out = {}
    for config, outcome in _parallel(list(configs), one, jobs, "baseline", progress):
        if outcome["status"] != "pass":
            raise RuntimeError(f"baseline {config.name} does not pass on the original RTL: {outcome['reason']} "
                               f"(its run: {root / 'work'})")
        out[config.name] = Baseline(outcome["wall_s"], outcome["modules"])
    shutil.rmtree(root, ignore_errors=True)
    return out


def module_files() -> dict[str, str]:
    """module name -> repository-relative file defining it."""
    out = {}
    for path in rtl_files():
        for name in re.findall(r"^\s*module\s+(\w+)", path.read_text(), flags=re.M):
            out[name] = _relative(path)
    return out


def configs_for(file: str, configs: Sequence[KillConfig], baselines: dict[str, Baseline]) -> list[KillConfig]:
    """The configurations that elaborate a module of `file`, cheapest (baseline time) first."""
    modules = {name for name, f in module_files().items() if f == file}
    hits = [c for c in configs if file in c.sources and modules & set(baselines[c.name].modules)]
    return sorted(hits, key=lambda c: (baselines[c.name].seconds, c.name))


def run_mutant(mutant: Mutant, configs: Sequence[KillConfig], baselines: dict[str, Baseline],
               settings: Settings, root: Path = MUTANTS_ROOT) -> dict:
    """Run the mutant's configurations cheapest first until one kills it; the record of the outcome.
    Everything it writes is under root/<id>/; afterwards only the mutated copy, root/<id>/rtl/<style>/<file>.v,
    is left."""
    root = root / mutant.id
    shutil.rmtree(root, ignore_errors=True)
    original = (REPO_ROOT / mutant.file).read_text()
    mutated = mutant.apply(original)
    rtl = _shadow_rtl(root, mutant.file, mutated)  # root/rtl/<style>/<file>.v is the mutated copy
    mutant_path = rtl / Path(mutant.file).relative_to("rtl")
    override = {str(REPO_ROOT / mutant.file): str(mutant_path)}
    record = {"id": mutant.id, "key": mutant.key, "file": mutant.file, "line": mutant.line,
              "operator": mutant.operator, "original": mutant.original, "mutated": mutant.mutated,
              "line_text": mutant.line_text.strip(), "outcome": "survived", "killed_by": None, "reason": None,
              "configs_run": []}
    started = time.perf_counter()
    for config in configs_for(mutant.file, configs, baselines):
        outcome = run_config(config, root=root, rtl=rtl, override=override, settings=settings,
                             timeout=settings.timeout(baselines[config.name].seconds), tag=f"mutant-{mutant.id}")
        record["configs_run"].append(config.name)
        status = outcome["status"]
        if status == "pass":
            continue
        record["outcome"] = {"fail": "killed", "timeout": "timed_out", "build_error": "stillborn"}.get(status, "error")
        record["killed_by"] = config.name if status in ("fail", "timeout") else None
        # a build error names its log, which is deleted with the work folder below
        record["reason"] = re.sub(r";? log: \S+$", "", outcome["reason"] or "")
        break
    if not record["configs_run"]:
        record["outcome"], record["reason"] = "error", "no configuration elaborates this file"
    record["seconds"] = round(time.perf_counter() - started, 1)
    # the mutated copy stays (a few kB) so a survivor can be inspected; every build and run folder is gone
    for item in root.iterdir():
        if item.is_dir() and item != rtl:
            shutil.rmtree(item, ignore_errors=True)
    for link in rtl.rglob("*"):
        if link.is_symlink():
            link.unlink()
    return record


def run_mutants(mutants: Sequence[Mutant], configs: Sequence[KillConfig], baselines: dict[str, Baseline],
                settings: Settings, jobs: int = 2, progress: bool = True, root: Path = MUTANTS_ROOT) -> list[dict]:
    def label(record: dict) -> str:
        return (f"{record['id']} {record['outcome']} {record['seconds']:.0f}s"
                + (f" by {record['killed_by']}" if record["killed_by"] else ""))

    return _parallel(list(mutants), lambda m: run_mutant(m, configs, baselines, settings, root), jobs, "mutants",
                     progress, label)


# ============================================================================================== report


def load_equivalent(path: Path = EQUIVALENT_FILE) -> dict[str, str]:
    """key -> reason, from the committed verdicts."""
    if not path.exists():
        return {}
    return {entry["key"]: entry["reason"] for entry in json.loads(path.read_text())}


def apply_verdicts(records: list[dict], equivalent: dict[str, str]) -> None:
    for record in records:
        if record["outcome"] == "survived" and record["key"] in equivalent:
            record["outcome"] = "equivalent"
            record["equivalence_reason"] = equivalent[record["key"]]


def tally(records: Iterable[dict]) -> dict:
    counts = Counter(r["outcome"] for r in records)
    out = {"generated": sum(counts.values()), **{o: counts.get(o, 0) for o in OUTCOMES}}
    live = out["generated"] - out["stillborn"] - out["equivalent"] - out["error"]
    out["score"] = round((out["killed"] + out["timed_out"]) / live, 4) if live else None
    return out


def unified_diff(record: dict) -> str:
    text = (REPO_ROOT / record["file"]).read_text()
    mutant = next(m for m in generate_mutants(REPO_ROOT / record["file"]) if m.key == record["key"])
    return "".join(difflib.unified_diff(text.splitlines(True), mutant.apply(text).splitlines(True),
                                        f"a/{record['file']}", f"b/{record['file']}", n=2))


def build_report(records: list[dict], *, command: str, settings: Settings, configs: Sequence[KillConfig],
                 baselines: dict[str, Baseline], wall_s: float, extra: dict) -> dict:
    by_file: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_file[r["file"]].append(r)
    survivors = [r for r in records if r["outcome"] == "survived"]
    return {
        "command": command,
        "date": datetime.date.today().isoformat(),
        "seed": settings.seed,
        "simulator": SIM,
        "settings": {**asdict(settings), **extra},
        "score_definition": SCORE_DEFINITION,
        "outcome_definitions": OUTCOME_DEFINITIONS,
        "overall": tally(records),
        "files": {f: tally(rs) for f, rs in sorted(by_file.items())},
        "operators": {o: tally(r for r in records if r["operator"] == o)
                      for o in sorted({r["operator"] for r in records})},
        "configs": [{"name": c.name, "baseline_s": baselines[c.name].seconds,
                     "timeout_s": round(settings.timeout(baselines[c.name].seconds), 1),
                     "modules": baselines[c.name].modules, **({"n_long": c.spec["n_long"]} if c.kind == "core" else {})}
                    for c in configs if c.name in baselines],
        "wall_s": round(wall_s, 1),
        "mutants": records,
        "survivors": [{"id": r["id"], "key": r["key"], "diff": unified_diff(r)} for r in survivors],
        "equivalent": [{"id": r["id"], "key": r["key"], "reason": r["equivalence_reason"], "diff": unified_diff(r)}
                       for r in records if r["outcome"] == "equivalent"],
    }


def format_table(report: dict) -> str:
    cols = ("generated", "killed", "timed_out", "stillborn", "survived", "equivalent", "score")
    rows = [("file", *cols)]
    for name, t in [*report["files"].items(), ("overall", report["overall"])]:
        rows.append((name, *(str(t[c]) if t[c] is not None else "-" for c in cols)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols) + 1)]
    return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                               enumerate(zip(row, widths, strict=True))) for row in rows)


# ============================================================================================== command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default = " (default: %(default)s)"
    parser.add_argument("--seed", type=int, default=1, help="seed of the sample and the simulations" + default)
    parser.add_argument("--max", type=int, default=160, help="mutants in total, spread over the files" + default)
    parser.add_argument("--min-per-file", type=int, default=3, help="at least this many mutants per file" + default)
    parser.add_argument("--file", action="append", default=None, metavar="PATH",
                        help="mutate only this RTL file (repeatable), e.g. rtl/common/stream_fifo.v "
                             "(default: every file)")
    parser.add_argument("--config", action="append", default=None, metavar="NAME",
                        help="kill only with these configurations (repeatable): design/config, design/*, unit:... "
                             "(default: every configuration that builds the file)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run in parallel" + default)
    parser.add_argument("-n", type=int, default=Settings.n, help="dataset vectors per core test" + default)
    parser.add_argument("--long-cycles", type=int, default=Settings.long_cycles,
                        help="cycles of the long run under stalls (its vectors: cycles / II, 40..300)" + default)
    parser.add_argument("--timeout-factor", type=float, default=Settings.timeout_factor,
                        help="a mutant's timeout per configuration: factor x baseline + margin" + default)
    parser.add_argument("--timeout-margin", type=float, default=Settings.timeout_margin_s, help="seconds" + default)
    parser.add_argument("--out", type=Path, default=Path("results"), help="results directory" + default)
    parser.add_argument("--list", action="store_true", help="print the sampled mutants and exit (default: off)")


def _selected_files(names: Sequence[str] | None) -> list[Path]:
    files = rtl_files()
    if not names:
        return files
    chosen = []
    for name in names:
        path = Path(name)
        path = (path if path.is_absolute() else (Path.cwd() / path)).resolve()
        if not path.exists() and (REPO_ROOT / name).exists():
            path = (REPO_ROOT / name).resolve()
        if path not in files:
            raise MutantsError(f"--file {name}: not an RTL file; choose from rtl/<style>/<name>.v "
                               f"(e.g. {_relative(files[0])})")
        if path not in chosen:
            chosen.append(path)
    return chosen


def _validate(args: argparse.Namespace) -> None:
    for name, low in (("max", 1), ("min_per_file", 1), ("jobs", 1), ("n", 1), ("long_cycles", 1)):
        if getattr(args, name) < low:
            raise MutantsError(f"--{name.replace('_', '-')} must be >= {low}, got {getattr(args, name)}")
    if args.timeout_factor < 1 or args.timeout_margin < 0:
        raise MutantsError("--timeout-factor must be >= 1 and --timeout-margin >= 0")


def _print_list(mutants: Sequence[Mutant]) -> None:
    for m in mutants:
        print(f"{m.id}  {m.file}:{m.line}  {m.operator:10s}  {m.original!r} -> {m.mutated!r}")
    per_file = Counter(m.file for m in mutants)
    print(f"{len(mutants)} mutants: " + ", ".join(f"{Path(f).name} {k}" for f, k in sorted(per_file.items())))


def run(args: argparse.Namespace) -> int:
    try:
        _validate(args)
        files = _selected_files(args.file)
        check_config_names(args.config)
        mutants = sample_mutants(files, args.max, args.seed, args.min_per_file)
        if args.list:
            _print_list(mutants)
            return 0
        settings = Settings(seed=args.seed, n=args.n, long_cycles=args.long_cycles,
                            timeout_factor=args.timeout_factor, timeout_margin_s=args.timeout_margin)
        return _run_all(args, files, mutants, settings)
    except MutantsError as exc:
        print(f"edgebench mutants: error: {exc}", file=sys.stderr)
        return 2


def _run_all(args: argparse.Namespace, files: list[Path], mutants: list[Mutant], settings: Settings) -> int:
    from edgebench.tb.toolchain import ToolchainError, ensure_simulator

    try:
        ensure_simulator(SIM)
    except ToolchainError as exc:
        raise MutantsError(str(exc)) from None
    started = time.perf_counter()
    wanted = {_relative(f) for f in files}
    configs = [c for c in kill_configs(settings, args.config) if wanted & set(c.sources)]
    if not configs:
        raise MutantsError("no configuration builds the selected files")
    progress = sys.stderr.isatty()
    try:
        baselines = measure_baselines(configs, settings, args.jobs, progress)
    except RuntimeError as exc:
        print(f"edgebench mutants: {exc}", file=sys.stderr)
        return 1
    records = run_mutants(mutants, configs, baselines, settings, args.jobs, progress)
    # an hour of simulation is not lost to a failure while reporting
    (MUTANTS_ROOT / "last-records.json").write_text(json.dumps(records, indent=1))
    apply_verdicts(records, load_equivalent())
    command = getattr(args, "command", None) or "python -m scripts.mutants " + shlex.join(sys.argv[1:])
    report = build_report(records, command=command, settings=settings, configs=configs, baselines=baselines,
                          wall_s=time.perf_counter() - started,
                          extra={"jobs": args.jobs, "max": args.max, "min_per_file": args.min_per_file,
                                 "files": sorted(wanted), "config_filter": args.config})
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "mutation.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=1) + "\n")
    tmp.replace(path)
    print(format_table(report))
    for r in records:
        if r["outcome"] in ("survived", "error"):
            print(f"{r['outcome']}: {r['id']} {r['file']}:{r['line']} {r['operator']} "
                  f"{r['original']!r} -> {r['mutated']!r}" + (f" ({r['reason']})" if r["reason"] else ""))
    print(f"written: {path} ({report['wall_s']:.0f} s)")
    return 1 if report["overall"]["error"] else 0


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"edgebench mutants: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _OneLineParser(prog="python -m scripts.mutants", description=__doc__.splitlines()[0],
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except KeyboardInterrupt:
        _PROCESSES.kill_all()
        return 130


if __name__ == "__main__":
    sys.exit(main())
