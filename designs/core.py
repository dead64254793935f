"""What a design hands the harness: one configured core, ready to simulate and to check.

Adding a style = a folder of RTL, a golden module, and an entry in `designs/registry.py` whose `build`
returns a `CoreBuild`. The harness (tb/) knows nothing else about the style.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
RTL_DIR = REPO_ROOT / "rtl"


@dataclass
class CoreBuild:
    design: str
    config: str
    toplevel: str
    sources: list[Path]
    parameters: dict[str, object]  # HDL parameters; file paths already quoted for the simulators
    bus_width: int
    input_bits: int
    n_classes: int
    score_width: int  # 0 when the core has no out_scores port
    score_signed: bool  # scores are two's complement on out_scores (golden scores are plain ints)
    ii_bound: int  # cycles per inference by the design's documented formula
    golden: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]  # input bits -> (class, scores)
    encode: Callable[[np.ndarray], np.ndarray]  # dataset features -> input bits
    config_info: dict = field(default_factory=dict)  # everything that describes the configuration


def hdl_string(value: str | Path) -> str:
    """A Verilog string parameter value as both simulators' command lines expect it (quotes included)."""
    return f'"{value}"'


def rtl_sources(*folders: str) -> list[Path]:
    files: list[Path] = []
    for folder in ("common", *folders):
        files += sorted((RTL_DIR / folder).glob("*.v"))
    return files
