"""The registry: every `Style` that a design module declares, found by looking, not by a list kept by hand.

Design modules are the modules of this package with a `STYLES` tuple, plus the `*.py` files with one in the
folders named by EDGEBENCH_DESIGNS (os.pathsep-separated): a style kept outside the checkout registers the
same way.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

from edgebench.designs.style import Claim, Style, UnitBench

DESIGNS_ENV = "EDGEBENCH_DESIGNS"


class RegistryError(ValueError):
    """A design module declares something inconsistent (two styles with one name, a malformed STYLES)."""


def _package_modules() -> list[ModuleType]:
    package = importlib.import_module("edgebench.designs")
    return [importlib.import_module(f"edgebench.designs.{info.name}")
            for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_")]


def _external_modules(folders: str) -> list[ModuleType]:
    modules = []
    for folder in filter(None, folders.split(os.pathsep)):
        for path in sorted(Path(folder).glob("*.py")):
            name = f"edgebench_external_designs.{Path(folder).resolve().name}.{path.stem}"
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise RegistryError(f"{path}: not a Python module ({DESIGNS_ENV})")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            modules.append(module)
    return modules


@functools.cache
def _discover(external: str) -> dict[str, Style]:
    styles: dict[str, Style] = {}
    for module in _package_modules() + _external_modules(external):
        declared = getattr(module, "STYLES", None)
        if declared is None:
            continue
        if not isinstance(declared, tuple | list) or not all(isinstance(s, Style) for s in declared):
            raise RegistryError(f"{module.__name__}.STYLES must be a tuple of designs.style.Style")
        for style in declared:
            if style.name in styles:
                raise RegistryError(f"style {style.name!r} is declared twice ({module.__name__})")
            styles[style.name] = style
    return styles


def styles() -> dict[str, Style]:
    """name -> Style, in discovery order (package modules by name, then EDGEBENCH_DESIGNS folders)."""
    return _discover(os.environ.get(DESIGNS_ENV, ""))


def get_design(name: str) -> Style:
    found = styles()
    if name not in found:
        raise ValueError(f"unknown design {name!r}; implemented: {', '.join(found)}")
    return found[name]


def claims() -> tuple[Claim, ...]:
    """Every style's claims rows, in registry order."""
    return tuple(c for s in styles().values() for c in s.claims)


def unit_benches() -> list[tuple[Style, UnitBench]]:
    return [(s, u) for s in styles().values() for u in s.units]

