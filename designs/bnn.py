"""The BNN baseline as an edgebench design: trained model (cached) + folding -> memory files -> CoreBuild."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from edgebench.designs.core import CoreBuild, hdl_string, rtl_sources
from edgebench.designs.memfiles import bits_to_words, fields_to_words, write_memh
from edgebench.designs.style import Style
from edgebench.golden import bnn
from edgebench.golden.datasets import Dataset
from edgebench.golden.modelfile import cache_path, cached, json_form


@dataclass(frozen=True)
class BnnHwConfig:
    """Folding of the three MVAUs (input layer, hidden layer, output layer) and the input bus width."""

    bus_width: int
    pe: tuple[int, int, int]
    simd: tuple[int, int, int]
    train: bnn.BnnTrainConfig = bnn.BnnTrainConfig()


CONFIGS: dict[str, BnnHwConfig] = {
    # (128 -> 64 -> 64 -> 10); folds per layer in the comments, II = the largest, or the bus beats
    "default": BnnHwConfig(32, pe=(8, 8, 2), simd=(32, 16, 16)),  # 8*4=32, 8*4=32, 5*4=20, beats 4 -> 32
    "hidden-bound": BnnHwConfig(32, pe=(16, 8, 5), simd=(64, 32, 32)),  # 4*2=8, 8*2=16, 2*2=4 -> 16
    "output-bound": BnnHwConfig(64, pe=(16, 16, 1), simd=(64, 64, 16)),  # 4*2=8, 4*1=4, 10*4=40 -> 40
    "unfolded": BnnHwConfig(32, pe=(64, 64, 10), simd=(128, 64, 64)),  # 1, 1, 1, beats 4 -> 4 (bus-bound)
    # The BNN LUTNet starts from (128 -> 32 -> 32 -> 10), fully parallel like lutnet-unrolled: the LUT baseline.
    "unfolded-32": BnnHwConfig(32, pe=(32, 32, 10), simd=(128, 32, 32), train=bnn.BnnTrainConfig(hidden=(32, 32))),
    # A small network (64 -> 16 -> 16 -> 10, 1.4 kbit of weights) for the gate-level test: synthesis maps the
    # weight ROMs to logic, and every cell is an event in the netlist simulation.
    "tiny": BnnHwConfig(32, pe=(4, 4, 2), simd=(32, 16, 16), train=bnn.BnnTrainConfig(levels=1, hidden=(16, 16))),
    # folds: 4*2=8, 4*1=4, 5*1=5, beats 2 -> 8
}


def layer_folds(shapes: list[tuple[int, int]], pe: tuple[int, ...], simd: tuple[int, ...]) -> list[int]:
    """NF * SF = (MH/PE) * (MW/SIMD) per layer; raises ValueError on a folding that does not divide."""
    folds = []
    for i, ((mh, mw), p, s) in enumerate(zip(shapes, pe, simd, strict=True)):
        if p < 1 or s < 1 or mh % p or mw % s:
            raise ValueError(f"layer {i}: PE={p} must divide MH={mh} and SIMD={s} must divide MW={mw}")
        folds.append((mh // p) * (mw // s))
    return folds


def ii_bound(shapes: list[tuple[int, int]], hw: BnnHwConfig) -> int:
    """Initiation interval of the streamed network: its slowest stage (input bus or a layer)."""
    beats = -(-shapes[0][1] // hw.bus_width)
    return max([beats, *layer_folds(shapes, hw.pe, hw.simd)])


def model_properties(model: bnn.BnnModel) -> dict[str, object]:
    """What a cached BNN must agree on with its training configuration and dataset (golden.modelfile.load_cached)."""
    return {"levels": model.levels, "max_value": model.max_value, "input bits": model.input_bits,
            "layer sizes": [mh for mh, _ in model.layer_shapes], "train_config": model.train_config}


def expected_properties(train_cfg: bnn.BnnTrainConfig, data: Dataset) -> dict[str, object]:
    return {"levels": train_cfg.levels, "max_value": data.max_value, "input bits": data.n_features * train_cfg.levels,
            "layer sizes": [*train_cfg.hidden, data.n_classes], "train_config": json_form(asdict(train_cfg))}


def model_path(train_cfg: bnn.BnnTrainConfig, data: Dataset, cache_dir: Path) -> Path:
    return cache_path(cache_dir, "bnn", data.name, [asdict(train_cfg), bnn.MODEL_VERSION])


def cached_model(train_cfg: bnn.BnnTrainConfig, data: Dataset, cache_dir: Path) -> bnn.BnnModel:
    """Train once per (training config, dataset); later calls load the model file."""
    return cached(model_path(train_cfg, data, cache_dir), lambda: bnn.train(train_cfg, data), bnn.save, bnn.load,
                  model_properties, expected_properties(train_cfg, data))


def write_mvau_files(w: np.ndarray, t: np.ndarray | None, pe: int, simd: int, out: Path, prefix: str) -> dict:
    """Weight and threshold memories in the layout documented in rtl/bnn/bnn_mvau.v."""
    mh, mw = w.shape
    nf, sf = mh // pe, mw // simd
    # word nf*SF + sf, bit pe*SIMD + s  <-  w[nf*PE + pe, sf*SIMD + s]
    words = w.reshape(nf, pe, sf, simd).transpose(0, 2, 1, 3).reshape(nf * sf, pe * simd)
    files = {"w": write_memh(out / f"{prefix}_w.hex", bits_to_words(words), pe * simd)}
    if t is not None:
        acc_w = int(np.ceil(np.log2(mw + 2)))
        files["t"] = write_memh(out / f"{prefix}_t.hex", fields_to_words(t.reshape(nf, pe), acc_w), pe * acc_w)
    return files


def folded_parameters(bus_width: int, input_bits: int, shapes: list[tuple[int, int]], pe: tuple[int, ...],
                      simd: tuple[int, ...], files: list[dict[str, Path]]) -> dict[str, object]:
    """HDL parameters of a three-layer folded top (bnn_top, lutnet_tiled_top): sizes, PE/SIMD per layer and each
    layer's memory files, file key `w` of layer 0 -> W0_FILE."""
    params: dict[str, object] = {"BUS_WIDTH": bus_width, "IN_BITS": input_bits, "H1": shapes[0][0],
                                 "H2": shapes[1][0], "N_CLASSES": shapes[2][0]}
    for i, layer_files in enumerate(files):
        params[f"PE{i}"], params[f"SIMD{i}"] = pe[i], simd[i]
        params |= {f"{name.upper()}{i}_FILE": hdl_string(path) for name, path in layer_files.items()}
    return params


def build(config: str, data: Dataset, work_dir: Path, cache_dir: Path) -> CoreBuild:
    if config not in CONFIGS:
        raise ValueError(f"unknown bnn config {config!r}; choose from {', '.join(CONFIGS)}")
    hw = CONFIGS[config]
    model = cached_model(hw.train, data, cache_dir)
    if len(model.weights) != 3:
        raise ValueError(f"bnn_top has exactly 3 layers; the model has {len(model.weights)}")
    shapes = model.layer_shapes
    bound = ii_bound(shapes, hw)  # = ii_formula(core): tests/test_cores.py checks the two and the RTL agree
    work_dir.mkdir(parents=True, exist_ok=True)
    files = [write_mvau_files(model.weights[i], model.thresholds[i] if i < 2 else None, hw.pe[i], hw.simd[i],
                              work_dir, f"l{i}") for i in range(3)]
    params = folded_parameters(hw.bus_width, model.input_bits, shapes, hw.pe, hw.simd, files)
    return CoreBuild(
        design="bnn",
        config=config,
        toplevel="bnn_top",
        sources=rtl_sources("bnn"),
        parameters=params,
        bus_width=hw.bus_width,
        input_bits=model.input_bits,
        n_classes=shapes[2][0],
        score_width=int(np.ceil(np.log2(shapes[1][0] + 2))),
        score_signed=False,
        ii_bound=bound,
        golden=lambda bits: bnn.forward(model, bits),
        encode=model.encode,
        config_info={
            "layers": [{"mw": mw, "mh": mh} for mh, mw in shapes],
            "pe": list(hw.pe),
            "simd": list(hw.simd),
            "bus_width": hw.bus_width,
            "folds_per_layer": layer_folds(shapes, hw.pe, hw.simd),
            "train": asdict(hw.train),
        },
    )


def ii_formula(core: CoreBuild) -> int:
    """max(input beats, (MH/PE)*(MW/SIMD) per layer), on the layer shapes and folding the build recorded."""
    info = core.config_info
    shapes = [(layer["mh"], layer["mw"]) for layer in info["layers"]]
    return max([-(-shapes[0][1] // info["bus_width"]), *layer_folds(shapes, tuple(info["pe"]), tuple(info["simd"]))])


STYLES = (
    Style("bnn", "FINN-style binarized MLP: MVAUs with PE/SIMD folding, XNOR-popcount, integer thresholds",
          rtl="bnn", configs=tuple(CONFIGS), build=build, ii_formula=ii_formula),
)
