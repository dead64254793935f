"""Design module of the throwaway groupcount style: all that declares it to edgebench."""

import importlib.util
from pathlib import Path

from edgebench.designs.core import CoreBuild, rtl_sources
from edgebench.designs.style import Style

HERE = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("groupcount_golden", HERE / "golden" / "groupcount.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

CONFIGS = {"default": 16, "bus32": 32}  # bus width
GROUP = 6


def build(config: str, data: object, work_dir: Path, cache_dir: Path) -> CoreBuild:
    bus, n_in = CONFIGS[config], data.n_features
    return CoreBuild(
        design="groupcount", config=config, toplevel="groupcount_top",
        sources=[*rtl_sources(), HERE / "rtl" / "groupcount" / "groupcount_top.v"],
        parameters={"BUS_WIDTH": bus, "IN_BITS": n_in, "N_CLASSES": data.n_classes, "GROUP": GROUP},
        bus_width=bus, input_bits=n_in, n_classes=data.n_classes, score_width=(GROUP + 1).bit_length(),
        score_signed=False, ii_bound=-(-n_in // bus),
        golden=lambda bits: golden.forward(bits, data.n_classes, GROUP),
        encode=lambda x: golden.encode(x, (data.max_value + 1) // 2),
        config_info={"bus_width": bus},
    )


STYLES = (
    Style("groupcount", "throwaway: ones per bit group, argmax", rtl="groupcount", configs=tuple(CONFIGS),
          build=build, ii_formula=lambda core: -(-core.input_bits // core.config_info["bus_width"])),
)
