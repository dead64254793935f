"""LUTNet as two edgebench designs: trained model (cached) -> `lutnet-unrolled` (generated Verilog circuit) or
`lutnet-tiled` (truth tables and connection maps in memories, PE/SIMD folding) -> CoreBuild.

Initiation intervals (rtl/lutnet/README.md):
    unrolled: II = ceil(IN_BITS / BUS_WIDTH)
    tiled:    II = max(ceil(IN_BITS / BUS_WIDTH), max over layers (MH / PE) * (MW / SIMD))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from edgebench.designs import bnn as bnn_design
from edgebench.designs import lutnet_verilog
from edgebench.designs.core import CoreBuild, rtl_sources
from edgebench.designs.memfiles import bits_to_words, fields_to_words, write_memh
from edgebench.designs.style import Style, point_claim
from edgebench.golden import bnn, lutnet
from edgebench.golden.datasets import Dataset
from edgebench.golden.modelfile import cache_path, cached, json_form

# The configurations use a smaller network than the BNN default (128 -> 32 -> 32 -> 10 instead of
# 128 -> 64 -> 64 -> 10) so that each simulation (and the unrolled circuit's Verilator build) takes seconds;
# the LUTNet starts from a BNN trained with the same hidden sizes.
BNN_32 = bnn.BnnTrainConfig(hidden=(32, 32))
TRAIN: dict[int, lutnet.LutnetTrainConfig] = {k: lutnet.LutnetTrainConfig(k=k, bnn=BNN_32) for k in (2, 4, 6)}


@dataclass(frozen=True)
class UnrolledHwConfig:
    bus_width: int
    train: lutnet.LutnetTrainConfig


@dataclass(frozen=True)
class TiledHwConfig:
    """Folding of the layers (one (PE, SIMD) per layer, input layer first) and the input bus width."""

    bus_width: int
    pe: tuple[int, ...]
    simd: tuple[int, ...]
    train: lutnet.LutnetTrainConfig


UNROLLED_CONFIGS: dict[str, UnrolledHwConfig] = {
    # II = ceil(128 / bus_width)
    "k2": UnrolledHwConfig(32, TRAIN[2]),  # 4
    "k4": UnrolledHwConfig(32, TRAIN[4]),  # 4
    "k6": UnrolledHwConfig(32, TRAIN[6]),  # 4
    "k4-bus16": UnrolledHwConfig(16, TRAIN[4]),  # 8
}

TILED_CONFIGS: dict[str, TiledHwConfig] = {
    # (128 -> 32 -> 32 -> 10); folds (MH/PE)*(MW/SIMD) per layer in the comments, II = the largest, or the bus beats
    "k2": TiledHwConfig(32, pe=(8, 8, 2), simd=(32, 16, 16), train=TRAIN[2]),  # 4*4=16, 4*2=8, 5*2=10 -> 16
    "k4": TiledHwConfig(32, pe=(16, 8, 5), simd=(32, 32, 32), train=TRAIN[4]),  # 2*4=8, 4*1=4, 2*1=2 -> 8
    "k6": TiledHwConfig(32, pe=(4, 4, 2), simd=(32, 16, 16), train=TRAIN[6]),  # 8*4=32, 8*2=16, 5*2=10 -> 32
    "k4-output-bound": TiledHwConfig(64, pe=(16, 16, 1), simd=(32, 32, 16), train=TRAIN[4]),  # 2*4, 2*1, 10*2 -> 20
}

# The LUTNet of the SFC BNN (designs/bnn.py "sfc": 784-256-256-256-10 on Fashion-MNIST), K = 4, started from that
# BNN's trained model. Pruning per layer as LUTNet prunes its MNIST network hardest at the large input layer
# (Wang et al. keep about 10 % of the first layer's synapses). Bench only: too large for the test suite.
# Two retraining epochs (1,080 steps of 100 images): a step of this network takes about a second on this machine
# even on kept synapses only, so LUTNet's own schedule would take hours.
SFC_K4 = lutnet.LutnetTrainConfig(k=4, bnn=bnn_design.SFC_TRAIN, prune=(0.9, 0.75, 0.75, 0.5), epochs=2, batch=100)
LARGE_UNROLLED: dict[str, UnrolledHwConfig] = {
    "sfc-k4": UnrolledHwConfig(64, SFC_K4),  # II = ceil(784 / 64) = 13
}
LARGE_TILED: dict[str, TiledHwConfig] = {
    # the BNN sfc folding: folds 224, 128, 128, 64; beats 13 -> II 224
    "sfc-k4": TiledHwConfig(64, pe=bnn_design.LARGE_CONFIGS["sfc"].pe, simd=bnn_design.LARGE_CONFIGS["sfc"].simd,
                            train=SFC_K4),
}
# LUTNet's MNIST figure (its unrolled network, 98.01 %), printed beside ours for scale: another network and dataset.
PUBLISHED_ACCURACY = {"accuracy": 0.9801, "dataset": "MNIST", "model": "LUTNet MNIST, unrolled",
                      "source": "Wang et al., FCCM 2019"}
ALL_UNROLLED = UNROLLED_CONFIGS | LARGE_UNROLLED
ALL_TILED = TILED_CONFIGS | LARGE_TILED

CONFIGS = {"unrolled": UNROLLED_CONFIGS, "tiled": TILED_CONFIGS}


def model_properties(model: lutnet.LutnetModel) -> dict[str, object]:
    """What a cached LUTNet must agree on with its training configuration and dataset."""
    return {"levels": model.levels, "max_value": model.max_value, "k": model.k, "input bits": model.input_bits,
            "layer sizes": [mh for mh, _ in model.layer_shapes], "train_config": model.train_config}


def expected_properties(cfg: lutnet.LutnetTrainConfig, data: Dataset) -> dict[str, object]:
    return {"levels": cfg.bnn.levels, "max_value": data.max_value, "k": cfg.k,
            "input bits": data.n_features * cfg.bnn.levels, "layer sizes": [*cfg.bnn.hidden, data.n_classes],
            "train_config": json_form(lutnet.train_config_dict(cfg))}


def model_path(cfg: lutnet.LutnetTrainConfig, data: Dataset, cache_dir: Path) -> Path:
    return cache_path(cache_dir, "lutnet", data.name, [asdict(cfg), lutnet.MODEL_VERSION, bnn.MODEL_VERSION])


def cached_model(cfg: lutnet.LutnetTrainConfig, data: Dataset, cache_dir: Path) -> lutnet.LutnetModel:
    """Train once per (training config, dataset); later calls load the model file. The starting BNN comes from
    designs.bnn.cached_model (cached the same way)."""
    return cached(model_path(cfg, data, cache_dir),
                  lambda: lutnet.train(cfg, data, bnn_design.cached_model(cfg.bnn, data, cache_dir)), lutnet.save,
                  lutnet.load, model_properties, expected_properties(cfg, data))


def unrolled_ii_bound(input_bits: int, hw: UnrolledHwConfig) -> int:
    return -(-input_bits // hw.bus_width)


def tiled_ii_bound(shapes: list[tuple[int, int]], hw: TiledHwConfig) -> int:
    """Slowest stage of the streamed network: the input bus or a layer's (MH/PE)*(MW/SIMD) folds."""
    beats = -(-shapes[0][1] // hw.bus_width)
    return max([beats, *bnn_design.layer_folds(shapes, hw.pe, hw.simd)])


def write_tiled_files(conn: np.ndarray, tables: np.ndarray, t: np.ndarray | None, pe: int, simd: int,
                      out: Path, prefix: str) -> dict:
    """Truth-table, connection and threshold memories in the layout documented in rtl/lutnet/lutnet_tiled_layer.v."""
    mh, mw, v = tables.shape
    k = conn.shape[1]
    nf, sf = mh // pe, mw // simd
    # word nf*SF + sf, bit (pe*SIMD + s)*V + a  <-  tables[nf*PE + pe, sf*SIMD + s, a]
    words = tables.reshape(nf, pe, sf, simd, v).transpose(0, 2, 1, 3, 4).reshape(nf * sf, pe * simd * v)
    files = {"tt": write_memh(out / f"{prefix}_tt.hex", bits_to_words(words), pe * simd * v)}
    idx_w = max(1, int(np.ceil(np.log2(mw))))
    # word sf, field s*K + k  <-  conn[sf*SIMD + s, k]
    files["c"] = write_memh(out / f"{prefix}_c.hex", fields_to_words(conn.reshape(sf, simd * k), idx_w),
                            simd * k * idx_w)
    if t is not None:
        acc_w = int(np.ceil(np.log2(mw + 2)))
        files["t"] = write_memh(out / f"{prefix}_t.hex", fields_to_words(t.reshape(nf, pe), acc_w), pe * acc_w)
    return files


def _core(design: str, config: str, model: lutnet.LutnetModel, bus_width: int, toplevel: str,
          sources: list[Path], params: dict, bound: int, info: dict) -> CoreBuild:
    shapes = model.layer_shapes
    return CoreBuild(
        design=design,
        config=config,
        toplevel=toplevel,
        sources=sources,
        parameters=params,
        bus_width=bus_width,
        input_bits=model.input_bits,
        n_classes=model.n_classes,
        score_width=int(np.ceil(np.log2(shapes[-1][1] + 2))),
        score_signed=False,
        ii_bound=bound,
        golden=lambda bits: lutnet.forward(model, bits),
        encode=model.encode,
        config_info={
            "layers": [{"mw": mw, "mh": mh} for mh, mw in shapes],
            "k": model.k,
            "bus_width": bus_width,
            "pruning_ratio": model.pruning_ratio(),
            "model_report": model.report,
            **info,
        },
    )


def build_unrolled(config: str, data: Dataset, work_dir: Path, cache_dir: Path) -> CoreBuild:
    if config not in ALL_UNROLLED:
        raise ValueError(f"unknown lutnet-unrolled config {config!r}; choose from {', '.join(ALL_UNROLLED)}")
    hw = ALL_UNROLLED[config]
    model = cached_model(hw.train, data, cache_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    top = lutnet_verilog.write_unrolled_top(model, work_dir / f"{lutnet_verilog.MODULE}.v", hw.bus_width)
    return _core(
        "lutnet-unrolled", config, model, hw.bus_width, lutnet_verilog.MODULE,
        [*rtl_sources("lutnet"), top], {"BUS_WIDTH": hw.bus_width},
        unrolled_ii_bound(model.input_bits, hw),
        {"generated_source": str(top), "train": lutnet.train_config_dict(hw.train),
         **({"published_accuracy": PUBLISHED_ACCURACY} if config in LARGE_UNROLLED else {})},
    )


def build_tiled(config: str, data: Dataset, work_dir: Path, cache_dir: Path) -> CoreBuild:
    if config not in ALL_TILED:
        raise ValueError(f"unknown lutnet-tiled config {config!r}; choose from {', '.join(ALL_TILED)}")
    hw = ALL_TILED[config]
    model = cached_model(hw.train, data, cache_dir)
    shapes = model.layer_shapes
    bnn_design.check_layers(shapes, hw.pe, hw.simd, "lutnet_tiled_top")
    bound = tiled_ii_bound(shapes, hw)
    work_dir.mkdir(parents=True, exist_ok=True)
    last = len(shapes) - 1
    for i in range(len(shapes)):
        write_tiled_files(model.conns[i], model.tables[i], model.thresholds[i] if i < last else None, hw.pe[i],
                          hw.simd[i], work_dir, f"l{i}")
    params = bnn_design.folded_parameters(hw.bus_width, model.input_bits, shapes, hw.pe, hw.simd, work_dir)
    params["K"] = model.k
    return _core(
        "lutnet-tiled", config, model, hw.bus_width, "lutnet_tiled_top", rtl_sources("lutnet"), params, bound,
        {
            "pe": list(hw.pe),
            "simd": list(hw.simd),
            "folds_per_layer": bnn_design.layer_folds(shapes, hw.pe, hw.simd),
            "train": lutnet.train_config_dict(hw.train),
            **({"published_accuracy": PUBLISHED_ACCURACY} if config in LARGE_TILED else {}),
        },
    )



def unrolled_ii_formula(core: CoreBuild) -> int:
    """The generated circuit takes a vector per cycle: the input beats, ceil(input bits / bus width)."""
    return -(-core.input_bits // core.config_info["bus_width"])


def tiled_ii_formula(core: CoreBuild) -> int:
    """max(input beats, (MH/PE)*(MW/SIMD) per layer), on the shapes and folding the build recorded."""
    info = core.config_info
    shapes = [(layer["mh"], layer["mw"]) for layer in info["layers"]]
    return max([unrolled_ii_formula(core), *bnn_design.layer_folds(shapes, tuple(info["pe"]), tuple(info["simd"]))])


_LUT_PAPER = ("Wang et al., FCCM 2019", "~2x")
STYLES = (
    Style("lutnet-unrolled", "BNN whose XNORs are learned K-input LUTs: the generated, fully unrolled circuit",
          rtl="lutnet", configs=tuple(UNROLLED_CONFIGS), bench_configs=tuple(LARGE_UNROLLED), build=build_unrolled,
          ii_formula=unrolled_ii_formula,
          default_config="k4",
          claims=(point_claim("LUTNet: about 2x fewer LUTs than the binarized baseline (both unrolled, same sizes "
                              "128-32-32-10), 6-input LUTs", _LUT_PAPER[0], "fpga.xilinx.lut6", "lutnet-unrolled",
                              "bnn-unfolded-32", _LUT_PAPER[1], 2.0),
                  point_claim("LUTNet, same comparison in placed ECP5 4-input LUTs", _LUT_PAPER[0], "fpga_pnr.luts",
                              "lutnet-unrolled", "bnn-unfolded-32", "~2x (6-input LUTs)", 2.0))),
    Style("lutnet-tiled", "LUTNet with folded LUT memories (PE/SIMD like the BNN's MVAU)", rtl="lutnet",
          configs=tuple(TILED_CONFIGS), bench_configs=tuple(LARGE_TILED), build=build_tiled,
          ii_formula=tiled_ii_formula, default_config="k4"),
)
