"""A style is three things: its RTL folder, its golden module and its design module. This test proves it with a
throwaway style kept outside the package (tests/new_style/: rtl/groupcount/, golden/groupcount.py,
designs/groupcount.py), registered through EDGEBENCH_DESIGNS with no other file touched, and run through the
same checks as every core (tb/checks.check_core) on both simulators."""

from pathlib import Path

import pytest

from edgebench.designs import registry
from edgebench.tb.checks import check_core
from edgebench.tb.toolchain import SIMULATORS

NEW_STYLE = Path(__file__).resolve().parent / "new_style"


@pytest.fixture
def groupcount(monkeypatch: pytest.MonkeyPatch) -> registry.Style:
    monkeypatch.setenv(registry.DESIGNS_ENV, str(NEW_STYLE / "designs"))
    return registry.get_design("groupcount")


def test_registry_finds_the_new_style(groupcount: registry.Style) -> None:
    assert groupcount.configs == ("default", "bus32")
    assert "groupcount" in registry.styles() and "bnn" in registry.styles()  # beside the package's own styles


def test_registry_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(registry.DESIGNS_ENV, raising=False)
    assert "groupcount" not in registry.styles()


@pytest.mark.parametrize("config", ["default", "bus32"])
@pytest.mark.parametrize("sim", SIMULATORS)
def test_new_style_core(groupcount: registry.Style, sim: str, config: str, seed: int) -> None:
    result = check_core("groupcount", config, sim, seed)
    assert result.core.ii_bound == groupcount.ii_formula(result.core) == {"default": 4, "bus32": 2}[config]


def test_cli_lists_the_new_style(groupcount: registry.Style, capsys: pytest.CaptureFixture[str]) -> None:
    from edgebench.scripts import cli

    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "groupcount: throwaway: ones per bit group, argmax\n    configurations: default, bus32\n" in out
    assert "    without --config: default" in out
    assert "(default default)" not in out
