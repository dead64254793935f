"""Registry of the implemented designs: name -> (named configurations, build function)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from golden import bnn_design
from golden.core import CoreBuild
from golden.datasets import Dataset


@dataclass(frozen=True)
class Design:
    name: str
    configs: tuple[str, ...]
    default_config: str
    build: Callable[[str, Dataset, Path, Path], CoreBuild]


DESIGNS: dict[str, Design] = {
    "bnn": Design("bnn", tuple(bnn_design.CONFIGS), "default", bnn_design.build),
}


def get_design(name: str) -> Design:
    if name not in DESIGNS:
        raise ValueError(f"unknown design {name!r}; implemented: {', '.join(DESIGNS)}")
    return DESIGNS[name]
