"""Registry of the implemented designs: name -> (named configurations, build function)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from golden import bnn_design, lutnet_design, mac_design, uleen_design
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
    "uleen": Design("uleen", tuple(uleen_design.CONFIGS) + tuple(uleen_design.LARGE_CONFIGS), "ensemble",
                    uleen_design.build),
}
# The quantized MAC family (golden/mac_design.py): one entry per design, configurations in CONFIGS[name].
for _name in mac_design.DESIGN_NAMES:
    DESIGNS[_name] = Design(_name, tuple(mac_design.CONFIGS[_name]), "default", mac_design.builder(_name))
# LUTNet (golden/lutnet_design.py): `lutnet-unrolled` (generated circuit) and `lutnet-tiled` (memories + folding).
for _name in lutnet_design.DESIGN_NAMES:
    DESIGNS[_name] = Design(_name, tuple(lutnet_design.DESIGN_CONFIGS[_name]), "k4", lutnet_design.BUILDERS[_name])


def get_design(name: str) -> Design:
    if name not in DESIGNS:
        raise ValueError(f"unknown design {name!r}; implemented: {', '.join(DESIGNS)}")
    return DESIGNS[name]
