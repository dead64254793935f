"""Bit Fusion (Sharma et al., ISCA 2018) as an edgebench design: a mixed-precision MLP on fusion units of 16
2-bit bricks (rtl/bitfusion/bitfusion_top.v; golden model golden/bitfusion.py).

Precision is set per layer: 8-bit activations and weights in the first and last layers, 4-bit (`default`,
`fashion`) or 2-bit (`hidden2`) in the hidden one, as Bit Fusion's benchmarks keep their first and last layers
at 8 bits.
Each layer has its own fusion units; a unit forms K = 16 / ((A/2)(W/2)) products per cycle, so a layer takes
    C_l = MH * MW / (U_l * K_l) cycles per vector,
and the core's II = max(ceil(input bits / bus width), C_0, C_1, C_2) (`ii_formula`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from edgebench.designs.core import RTL_DIR, CoreBuild, hdl_string, rtl_sources
from edgebench.designs.memfiles import fields_to_words, write_memh
from edgebench.designs.style import Style, UnitBench, point_claim
from edgebench.golden import bitfusion as bf
from edgebench.golden import quant
from edgebench.golden.datasets import Dataset
from edgebench.golden.modelfile import cache_path, cached, json_form

N_LAYERS = 3  # bitfusion_top: input -> H1 -> H2 -> classes


@dataclass(frozen=True)
class BitFusionHwConfig:
    precision: bf.PrecisionConfig
    units: tuple[int, int, int]  # fusion units per layer
    bus_width: int = 64
    train: bf.TrainConfig = field(default_factory=bf.TrainConfig)


# Digits, input 64 x 8 bits = 8 beats. Cycles per layer MH*MW / (U*K), K = 1 at 8x8, 4 at 4x4, 16 at 2x2.
# Each is sized so that its hidden layer sets the II (alone, or tied with the others): the measured II, which the
# core test compares with the formula, then depends on the hidden layer's K. A fusion unit holds one neuron, so
# U <= MH. The networks are small because Icarus simulates every brick (tens of microseconds per fusion unit and cycle).
CONFIGS: dict[str, BitFusionHwConfig] = {
    # 64 -> 16 -> 32 -> 10: 1024/16, 512/4, 320/5 = 64, 128, 64 -> II 128 (the 4-bit hidden layer alone)
    "default": BitFusionHwConfig(bf.PrecisionConfig(((8, 8), (4, 4), (8, 8))), units=(16, 1, 5),
                                 train=bf.TrainConfig(hidden=(16, 32))),
    # 64 -> 16 -> 64 -> 10: 1024/16, 1024/16, 640/10 = 64, 64, 64 -> II 64 (all three, the 2-bit layer included)
    "hidden2": BitFusionHwConfig(bf.PrecisionConfig(((8, 8), (2, 2), (8, 8))), units=(16, 1, 10),
                                 train=bf.TrainConfig(hidden=(16, 64))),
}
# Fashion-MNIST (bench only): 784 -> 256 -> 256 -> 10, input 784 x 8 bits = 98 beats; K = 1, 4, 1:
# 200704/32, 65536/16, 2560/1 = 6272, 4096, 2560 -> II 6272 (the 8-bit first layer)
LARGE_CONFIGS: dict[str, BitFusionHwConfig] = {
    "fashion": BitFusionHwConfig(bf.PrecisionConfig(((8, 8), (4, 4), (8, 8))), units=(32, 4, 1),
                                 train=bf.TrainConfig(hidden=(256, 256), max_iter=60)),
}
ALL_CONFIGS = CONFIGS | LARGE_CONFIGS
# Bit Fusion's MNIST accuracy in ULEEN's ASIC comparison, recorded in config_info and printed beside ours for scale
# (another network and dataset).
PUBLISHED_ACCURACY: dict[str, dict[str, object]] = {
    "fashion": {"accuracy": 0.9935, "dataset": "MNIST", "model": "Bit Fusion (ULEEN's ASIC comparison)",
                "source": "Susskind et al., TACO 2023"},
}


def layer_cycles(mh: int, mw: int, a_bits: int, w_bits: int, units: int) -> int:
    """Cycles a layer takes per vector: its MH*MW products at K per fusion unit and cycle on `units` units."""
    return mh * mw // (units * bf.products_per_unit(a_bits, w_bits))


# --------------------------------------------------------------------------------------------- models (cached)


def model_properties(model: bf.BitFusionMlp) -> dict[str, object]:
    """What a cached model must agree on with its configuration and dataset (bf.load checks the rest: widths,
    weight ranges, accumulator widths, bias bounds, shifts)."""
    return {
        "precision": [list(p) for p in model.precision],
        "layer shapes": [list(s) for s in model.layer_shapes],
        "info.train": model.info.get("train"),
    }


def expected_properties(hw: BitFusionHwConfig, data: Dataset) -> dict[str, object]:
    sizes = [data.n_features, *hw.train.hidden, data.n_classes]
    return {
        "precision": [list(p) for p in hw.precision.layers],
        "layer shapes": [[sizes[i + 1], sizes[i]] for i in range(len(sizes) - 1)],
        "info.train": json_form(asdict(hw.train)),
    }


def model_path(hw: BitFusionHwConfig, data: Dataset, cache_dir: Path) -> Path:
    return cache_path(cache_dir, "bitfusion", data.name,
                      [asdict(hw.train), asdict(hw.precision), bf.MODEL_VERSION])


def cached_model(hw: BitFusionHwConfig, data: Dataset, cache_dir: Path) -> bf.BitFusionMlp:
    """Train + quantize once per (configuration, dataset); later calls load the model file."""
    return cached(model_path(hw, data, cache_dir), lambda: bf.train(hw.train, hw.precision, data), bf.save,
                  bf.load, model_properties, expected_properties(hw, data))


# --------------------------------------------------------------------------------------------- memory files


def weight_words(weights: np.ndarray, w_bits: int, k: int, units: int) -> np.ndarray:
    """(STEPS, UNITS*K) weight fields: word g*SF + s, field u*K + kk <- weights[g*UNITS + u, s*K + kk]
    (two's complement W-bit codes; bitfusion_layer.v's WEIGHT_FILE layout)."""
    mh, mw = weights.shape
    nf, sf = mh // units, mw // k
    fields = quant.twos(weights, w_bits).reshape(nf, units, sf, k).transpose(0, 2, 1, 3)
    return fields.reshape(nf * sf, units * k)


def write_layer_files(model: bf.BitFusionMlp, layer: int, units: int, out: Path) -> dict[str, Path]:
    ab, wb = model.precision[layer]
    k = bf.products_per_unit(ab, wb)
    words = weight_words(model.weights[layer], wb, k, units)
    acc_w = model.acc_widths[layer]
    mh = model.layer_shapes[layer][0]
    bias = quant.twos(model.bias[layer], acc_w).reshape(mh // units, units)
    return {
        "w": write_memh(out / f"l{layer}_w.hex", fields_to_words(words, wb), units * k * wb),
        "b": write_memh(out / f"l{layer}_b.hex", fields_to_words(bias, acc_w), units * acc_w),
    }


# --------------------------------------------------------------------------------------------- build


def build(config: str, data: Dataset, work_dir: Path, cache_dir: Path) -> CoreBuild:
    if config not in ALL_CONFIGS:
        raise ValueError(f"unknown bitfusion config {config!r}; choose from {', '.join(ALL_CONFIGS)}")
    hw = ALL_CONFIGS[config]
    model = cached_model(hw, data, cache_dir)
    if model.n_layers != N_LAYERS:
        raise ValueError(f"bitfusion_top has exactly {N_LAYERS} layers; the model has {model.n_layers}")
    layers = []
    for layer, ((mh, mw), (ab, wb), units) in enumerate(zip(model.layer_shapes, model.precision, hw.units,
                                                            strict=True)):
        k = bf.products_per_unit(ab, wb)
        if units < 1 or mh % units or mw % k:
            raise ValueError(f"layer {layer}: {units} fusion units must divide its {mh} neurons and K={k} "
                             f"products per unit ({ab}x{wb} bits) its {mw} inputs")
        layers.append({"mw": mw, "mh": mh, "a_bits": ab, "w_bits": wb, "units": units, "products_per_unit": k,
                       "cycles": layer_cycles(mh, mw, ab, wb, units)})
    work_dir.mkdir(parents=True, exist_ok=True)
    (n_in, h1, h2, n_classes) = (model.n_inputs, *(s[0] for s in model.layer_shapes))
    params: dict[str, object] = {"BUS_WIDTH": hw.bus_width, "N_IN": n_in, "H1": h1, "H2": h2, "N_CLASSES": n_classes}
    for layer, (ab, wb) in enumerate(model.precision):
        params |= {f"A{layer}_W": ab, f"W{layer}_W": wb, f"U{layer}": hw.units[layer],
                   f"ACC{layer}_W": model.acc_widths[layer]}
        files = write_layer_files(model, layer, hw.units[layer], work_dir)
        params[f"W{layer}_FILE"] = hdl_string(files["w"])
        params[f"B{layer}_FILE"] = hdl_string(files["b"])
    params |= {"SHIFT0": model.shifts[0], "SHIFT1": model.shifts[1]}
    beats = -(-model.input_bits // hw.bus_width)
    return CoreBuild(
        design="bitfusion",
        config=config,
        toplevel="bitfusion_top",
        sources=rtl_sources("bitfusion"),
        parameters=params,
        bus_width=hw.bus_width,
        input_bits=model.input_bits,
        n_classes=n_classes,
        score_width=model.score_width,
        score_signed=True,
        ii_bound=max(beats, *(lay["cycles"] for lay in layers)),
        golden=lambda bits: bf.forward(model, bits),
        encode=model.encode,
        config_info={
            "bus_width": hw.bus_width,
            "layers": layers,
            "shifts": model.shifts,
            "acc_widths": model.acc_widths,
            "train": asdict(hw.train),
            "float_test_accuracy": model.info.get("float_test_accuracy"),
            "clip_fractions": model.info.get("clip_fractions"),
            **({"published_accuracy": PUBLISHED_ACCURACY[config]} if config in PUBLISHED_ACCURACY else {}),
        },
    )


def ii_formula(core: CoreBuild) -> int:
    """max(input beats, max over layers MH*MW / (U * K(A, W))) with K = 16 / ((A/2)(W/2)), from the layer
    sizes, precisions and unit counts the build recorded (not from its own cycle counts)."""
    info = core.config_info
    cycles = [lay["mh"] * lay["mw"] // (lay["units"] * (16 // ((lay["a_bits"] // 2) * (lay["w_bits"] // 2))))
              for lay in info["layers"]]
    return max([-(-core.input_bits // info["bus_width"]), *cycles])


# --------------------------------------------------------------------------------------------- unit benches
# tb/benches/bitfusion_tests.py drives the block alone against golden.bitfusion (brick, fusion_unit_dot).

_BENCH = "edgebench.tb.benches.bitfusion_tests"
# Fusion unit precision pairs (A, W), all nine. Icarus only (a Verilator build costs ~15-30 s of the suite's budget;
# the core tests run the unit under Verilator at 8x8, 4x4 and 2x2 inside the layers).
_UNIT_PAIRS = [(a, w) for a in bf.PRECISIONS for w in bf.PRECISIONS]


def unit_benches() -> tuple[UnitBench, ...]:
    brick_src = RTL_DIR / "bitfusion" / "bitfusion_brick.v"
    unit_src = (brick_src, RTL_DIR / "bitfusion" / "bitfusion_unit.v")
    out = [UnitBench("brick", "bitfusion_brick", (brick_src,), _BENCH, {}, testcases=("brick_exhaustive",),
                     sims=("icarus",))]

    def unit(a: int, w: int, a_signed: int) -> UnitBench:
        env = {"BITFUSION_A_W": str(a), "BITFUSION_W_W": str(w), "BITFUSION_A_SIGNED": str(a_signed)}
        return UnitBench(f"unit-a{a}-w{w}" + ("-signed" if a_signed else ""), "bitfusion_unit", unit_src, _BENCH,
                         {"A_W": a, "W_W": w, "A_SIGNED": a_signed, "W_SIGNED": 1}, env,
                         testcases=("unit_vs_golden",), sims=("icarus",))

    out += [unit(a, w, 0) for a, w in _UNIT_PAIRS]
    out.append(unit(4, 4, 1))  # signed activations: both operands' top slices are signed bricks
    return tuple(out)


STYLES = (
    Style("bitfusion", "Bit Fusion: per-layer precision (8-bit first/last, 4- or 2-bit hidden) on fusion units "
          "of 16 2-bit bricks", rtl="bitfusion", configs=tuple(CONFIGS), bench_configs=tuple(LARGE_CONFIGS),
          build=build, ii_formula=ii_formula, units=unit_benches(),
          claims=(point_claim("ULEEN vs Bit Fusion inferences per joule",
                              "Susskind et al., TACO 2023 (Bit Fusion: Sharma et al., ISCA 2018)",
                              "energy_pj_per_inf", "uleen", "bitfusion",
                              "5.1 M vs 9,230 inf/J (45 nm ASIC, MNIST)", 5.1e6 / 9230,
                              "datapath_energy_pj_per_inf", large=("uleen-uleen-small", "bitfusion-fashion")),)),
)
