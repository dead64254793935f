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
    """Folding of the MVAUs (one (PE, SIMD) per layer, input layer first) and the input bus width."""

    bus_width: int
    pe: tuple[int, ...]
    simd: tuple[int, ...]
    train: bnn.BnnTrainConfig = bnn.BnnTrainConfig()


MAX_LAYERS = 5  # bnn_top and lutnet_tiled_top: H1..H4, PE0..PE4 / SIMD0..SIMD4


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
    # Four layers (64 -> 16 -> 16 -> 16 -> 10), the suite's check of the N-layer top beyond three layers (the
    # paper-scale "sfc" has four): folds 4*2=8, 4*1=4, 2*2=4, 5*1=5, beats 2 -> 8
    "deep": BnnHwConfig(32, pe=(4, 4, 8, 2), simd=(32, 16, 8, 16),
                        train=bnn.BnnTrainConfig(levels=1, hidden=(16, 16, 16))),
}

# FINN's SFC topology (784-256-256-256-10, 1-bit weights and activations; Umuroglu et al., FPGA 2017) on
# Fashion-MNIST: one threshold level per pixel (784 input bits, like FINN's binarized MNIST input), trained on
# the full training split. Bench only: too large for the test suite.
SFC_TRAIN = bnn.BnnTrainConfig(levels=1, hidden=(256, 256, 256), epochs=30, batch=100)
LARGE_CONFIGS: dict[str, BnnHwConfig] = {
    # Folding in the spirit of FINN's SFC builds, which balance the layers so no stage is much slower than the
    # others (LUTNet's SFC build: SIMD 64/16/32/4, PE 16/32/16/16 on a padded 832 x 256 ... 256 x 64 network).
    # 784 = 2^4 * 7^2 has no divisor 64, so layer 0 takes SIMD 56 (784/56 = 14 folds of input bits).
    # folds: (256/16)*(784/56) = 224, (256/32)*(256/16) = 128, (256/16)*(256/32) = 128, (10/5)*(256/8) = 64;
    # input beats ceil(784/64) = 13 -> II 224 (layer 0)
    "sfc": BnnHwConfig(64, pe=(16, 32, 16, 5), simd=(56, 16, 32, 8), train=SFC_TRAIN),
}
ALL_CONFIGS = CONFIGS | LARGE_CONFIGS
# The paper's MNIST accuracy of that network, recorded in config_info and printed beside ours for scale (the
# dataset differs: Fashion-MNIST is the harder one).
PUBLISHED_ACCURACY: dict[str, dict[str, object]] = {
    "sfc": {"accuracy": 0.9583, "dataset": "MNIST", "model": "FINN SFC (binarized 784-256-256-256-10)",
            "source": "Umuroglu et al., FPGA 2017"},
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


def check_layers(shapes: list[tuple[int, int]], pe: tuple[int, ...], simd: tuple[int, ...], top: str) -> None:
    """The folded tops take 2..MAX_LAYERS layers and one (PE, SIMD) per layer."""
    if not 2 <= len(shapes) <= MAX_LAYERS:
        raise ValueError(f"{top} takes 2 to {MAX_LAYERS} layers; the model has {len(shapes)}")
    if len(pe) != len(shapes) or len(simd) != len(shapes):
        raise ValueError(f"{top}: {len(shapes)} layers need {len(shapes)} PE and SIMD values, "
                         f"got PE {pe} and SIMD {simd}")


def folded_parameters(bus_width: int, input_bits: int, shapes: list[tuple[int, int]], pe: tuple[int, ...],
                      simd: tuple[int, ...], mem_dir: Path) -> dict[str, object]:
    """HDL parameters of an N-layer folded top (bnn_top, lutnet_tiled_top): N_LAYERS, hidden sizes H1.., PE/SIMD
    per layer and MEM_DIR, the folder of the layers' memory files (l<l>_<kind>.hex)."""
    params: dict[str, object] = {"BUS_WIDTH": bus_width, "IN_BITS": input_bits, "N_LAYERS": len(shapes),
                                 "N_CLASSES": shapes[-1][0], "MEM_DIR": hdl_string(mem_dir)}
    for i, (mh, _) in enumerate(shapes[:-1]):
        params[f"H{i + 1}"] = mh
    for i in range(len(shapes)):
        params[f"PE{i}"], params[f"SIMD{i}"] = pe[i], simd[i]
    return params


def build(config: str, data: Dataset, work_dir: Path, cache_dir: Path) -> CoreBuild:
    if config not in ALL_CONFIGS:
        raise ValueError(f"unknown bnn config {config!r}; choose from {', '.join(ALL_CONFIGS)}")
    hw = ALL_CONFIGS[config]
    model = cached_model(hw.train, data, cache_dir)
    shapes = model.layer_shapes
    check_layers(shapes, hw.pe, hw.simd, "bnn_top")
    bound = ii_bound(shapes, hw)  # = ii_formula(core): tests/test_cores.py checks the two and the RTL agree
    work_dir.mkdir(parents=True, exist_ok=True)
    last = len(shapes) - 1
    for i in range(len(shapes)):
        write_mvau_files(model.weights[i], model.thresholds[i] if i < last else None, hw.pe[i], hw.simd[i],
                         work_dir, f"l{i}")
    params = folded_parameters(hw.bus_width, model.input_bits, shapes, hw.pe, hw.simd, work_dir)
    return CoreBuild(
        design="bnn",
        config=config,
        toplevel="bnn_top",
        sources=rtl_sources("bnn"),
        parameters=params,
        bus_width=hw.bus_width,
        input_bits=model.input_bits,
        n_classes=shapes[-1][0],
        score_width=int(np.ceil(np.log2(shapes[-1][1] + 2))),
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
            **({"published_accuracy": PUBLISHED_ACCURACY[config]} if config in PUBLISHED_ACCURACY else {}),
        },
    )


def ii_formula(core: CoreBuild) -> int:
    """max(input beats, (MH/PE)*(MW/SIMD) per layer), on the layer shapes and folding the build recorded."""
    info = core.config_info
    shapes = [(layer["mh"], layer["mw"]) for layer in info["layers"]]
    return max([-(-shapes[0][1] // info["bus_width"]), *layer_folds(shapes, tuple(info["pe"]), tuple(info["simd"]))])


STYLES = (
    Style("bnn", "FINN-style binarized MLP: MVAUs with PE/SIMD folding, XNOR-popcount, integer thresholds",
          rtl="bnn", configs=tuple(CONFIGS), bench_configs=tuple(LARGE_CONFIGS), build=build, ii_formula=ii_formula),
)
