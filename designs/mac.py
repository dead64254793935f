"""The quantized MAC family as edgebench designs: uniform INT-N MAC, power-of-two shift-accumulate (dense and
zero-skip pruned) and alphabet-set multiplier, all on one RTL engine (rtl/mac/mac_top.v).

Design names (registered in designs/registry.py), each with its own configurations in CONFIGS[design]:
  int8-mac, int4-mac   uniform INT-8 / INT-4 weights and hidden activations, multiplier lanes
  pot                  power-of-two weights (4-bit code), shift lanes, dense schedule
  pot-pruned           PoT with magnitude pruning (+ brief masked fine-tune) on the zero-skip engine:
                       config "default" prunes 50 %, "p75" 75 % -> fewer cycles per inference
  asm-1, asm-13, asm-1357  ASM weights (8-bit sign-magnitude, 2 quartets) over alphabets {1}, {1,3}, {1,3,5,7}

The network is an MLP of 2..MAX_LAYERS layers (N_IN -> H1 -> .. -> N_CLASSES; the hidden sizes are the training
configuration's `hidden`), one lane count per layer in MacHwConfig.p. Cycles per inference (ii_bound) =
max(ceil(N_IN*IN_W / BUS_WIDTH), DEPTH0, .., DEPTH{N-1}) where DEPTHl is layer l's weight-word count: dense
(MH/P)*MW; zero-skip sum_g max(1, max_p nnz(g, p)) on the actual pruned weights.

CONFIGS[design] are the suite's configurations (tests/test_cores.py runs each on both simulators), LARGE_CONFIGS[design]
the bench-only ones (`edgebench bench --config fashion --dataset fashion-mnist`: 784-256-256-10 on Fashion-MNIST).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from edgebench.designs.core import RTL_DIR, CoreBuild, hdl_string, rtl_sources
from edgebench.designs.memfiles import fields_to_words, write_memh
from edgebench.designs.style import Claim, Style, UnitBench, at_least_claim
from edgebench.golden import quant
from edgebench.golden.datasets import Dataset
from edgebench.golden.modelfile import cache_path, cached, json_form

DESIGN_NAMES = ("int8-mac", "int4-mac", "pot", "pot-pruned", "asm-1", "asm-13", "asm-1357")
MAX_LAYERS = 4  # mac_top: N_LAYERS = 2..4, hidden sizes H1..H3, P0..P3 lanes


@dataclass(frozen=True)
class MacHwConfig:
    quant: quant.QuantConfig
    bus_width: int = 64
    p: tuple[int, ...] = (8, 2)  # lanes per layer, layer 0 first: one entry per layer (hidden layers + output)
    sparse: bool = False  # zero-skip weight lists (PoT only)
    train: quant.FloatTrainConfig = quant.FloatTrainConfig()


_PRUNED = quant.QuantConfig("pot", prune=0.5, finetune_epochs=20)
CONFIGS: dict[str, dict[str, MacHwConfig]] = {
    # dense: DEPTH0 = (32/P0)*64, DEPTH1 = (10/P1)*32, bus beats = ceil(320/64) = 5
    "int8-mac": {"default": MacHwConfig(quant.QuantConfig("uniform", w_bits=8, a_bits=8))},  # 256, 160 -> 256
    "int4-mac": {
        "default": MacHwConfig(quant.QuantConfig("uniform", w_bits=4, a_bits=4), p=(16, 5)),  # 128, 64 -> 128
        # three layers, 64 -> 16 -> 16 -> 10: (16/16)*64 = 64, (16/4)*16 = 64, (10/2)*16 = 80 -> 80 (the output layer)
        "three-layer": MacHwConfig(quant.QuantConfig("uniform", w_bits=4, a_bits=4), p=(16, 4, 2),
                                   train=quant.FloatTrainConfig(hidden=(16, 16))),
    },
    "pot": {"default": MacHwConfig(quant.QuantConfig("pot"))},  # 256, 160 -> 256
    "pot-pruned": {
        "default": MacHwConfig(_PRUNED, sparse=True),
        "p75": MacHwConfig(replace(_PRUNED, prune=0.75), sparse=True),
    },
    "asm-1": {"default": MacHwConfig(quant.QuantConfig("asm", alphabet=1))},
    "asm-13": {"default": MacHwConfig(quant.QuantConfig("asm", alphabet=2))},
    "asm-1357": {"default": MacHwConfig(quant.QuantConfig("asm", alphabet=4), p=(16, 5))},  # 128, 64 -> 128
}

# Paper scale (bench only: too large for the test suite): 784 -> 256 -> 256 -> 10 on Fashion-MNIST for all seven
# designs, each with its default quantization but 8-bit input pixels (Fashion-MNIST's 0..255), lanes (64, 32, 10).
# Dense: DEPTH0 = (256/64)*784 = 3136, DEPTH1 = (256/32)*256 = 2048, DEPTH2 = (10/10)*256 = 256; input beats
# ceil(784*8/64) = 98 -> II 3136 (layer 0). Zero-skip (pot-pruned): the depths of the pruned weights, below these.
_FASHION_TRAIN = quant.FloatTrainConfig(hidden=(256, 256), max_iter=30)
LARGE_CONFIGS: dict[str, dict[str, MacHwConfig]] = {
    design: {"fashion": replace(configs["default"], quant=replace(configs["default"].quant, in_bits=8),
                                p=(64, 32, 10), train=_FASHION_TRAIN)}
    for design, configs in CONFIGS.items()
}
ALL_CONFIGS: dict[str, dict[str, MacHwConfig]] = {design: CONFIGS[design] | LARGE_CONFIGS[design]
                                                  for design in CONFIGS}


# --------------------------------------------------------------------------------------------- models (cached)


def _bias_limits(model: quant.QuantMlp) -> list[int]:
    """|bias| bound per layer, as quant.quantize clips it: MW * w_max * a_max (a_max of that layer's input)."""
    w_max = quant.wmax(model.kind, model.w_bits, model.alphabet)
    a_max = [(1 << model.in_bits) - 1] + [(1 << model.a_bits) - 1] * (len(model.codes) - 1)
    return [c.shape[1] * w_max * a for c, a in zip(model.codes, a_max, strict=True)]


def model_properties(model: quant.QuantMlp) -> dict[str, object]:
    """What a cached quantized MLP must agree on with its configuration and dataset. quant.load checks shapes
    and codes but not the manifest's per-layer lists, which mac_top's parameters index (SHIFTl per hidden layer,
    ACCl_W per layer), nor that the accumulators can hold the sums: golden inference asserts that later."""
    quantization = {"kind": model.kind, "w_bits": model.w_bits, "a_bits": model.a_bits, "in_bits": model.in_bits,
                    "alphabet": model.alphabet}
    props: dict[str, object] = {
        "quantization": quantization,
        "info.quant": model.info.get("quant") if isinstance(model.info, dict) else None,
        "layer shapes": [list(s) for s in model.layer_shapes],
    }
    n_layers = len(model.codes)
    sane = 2 <= n_layers <= MAX_LAYERS and model.kind in quant.KINDS and model.alphabet in (1, 2, 4) and all(
        isinstance(b, int) and 1 <= b <= 32 for b in (model.w_bits, model.a_bits, model.in_bits))
    if not sane:  # reported as the "quantization" mismatch; 1 << a damaged bit count could need gigabytes
        return props
    a_max = [(1 << model.in_bits) - 1] + [(1 << model.a_bits) - 1] * (n_layers - 1)
    widths = [quant.acc_width(c.shape[1], quant.wmax(model.kind, model.w_bits, model.alphabet), a)
              for c, a in zip(model.codes, a_max, strict=True)]
    props["accumulator widths"] = model.acc_widths == widths or model.acc_widths
    props["shifts"] = (len(model.shifts) == n_layers - 1
                       and all(0 <= s < w for s, w in zip(model.shifts, widths, strict=False))) or model.shifts
    props["biases within the accumulator range"] = all(  # min/max, not abs: abs(-2**63) is negative in int64
        -lim <= int(b.min(initial=0)) and int(b.max(initial=0)) <= lim
        for b, lim in zip(model.bias, _bias_limits(model), strict=True))
    return props


def expected_properties(hw: MacHwConfig, data: Dataset) -> dict[str, object]:
    q = hw.quant
    sizes = [data.n_features, *hw.train.hidden_sizes, data.n_classes]
    return {
        "quantization": {"kind": q.kind, "w_bits": q.w_bits, "a_bits": q.a_bits, "in_bits": q.in_bits,
                         "alphabet": q.alphabet},
        "info.quant": json_form(asdict(q)),
        "layer shapes": [[mh, mw] for mw, mh in itertools.pairwise(sizes)],
        # True when they are what quant.quantize derives from the configuration and shapes (else the values)
        "accumulator widths": True,
        "shifts": True,
        "biases within the accumulator range": True,
    }


def model_path(hw: MacHwConfig, data: Dataset, cache_dir: Path) -> Path:
    return cache_path(cache_dir, f"quant-{hw.quant.kind}", data.name,
                      [asdict(hw.train), asdict(hw.quant), quant.MODEL_VERSION])


def cached_model(hw: MacHwConfig, data: Dataset, cache_dir: Path) -> quant.QuantMlp:
    """Train + quantize once per (configuration, dataset); later calls load the model file."""
    return cached(model_path(hw, data, cache_dir), lambda: make_model(hw, data), quant.save, quant.load,
                  model_properties, expected_properties(hw, data))


def make_model(hw: MacHwConfig, data: Dataset) -> quant.QuantMlp:
    clf, fm = quant.train_float(hw.train, data)
    masks = None
    if hw.quant.prune > 0:
        masks = quant.prune_masks(fm, hw.quant.prune)
        if hw.quant.finetune_epochs:
            clf = quant.finetune_masked(clf, masks, data, hw.quant.finetune_epochs, hw.train.seed)
            fm = quant._float_from_clf(clf, data.max_value)
    model = quant.quantize(fm, hw.quant, data, masks)
    model.info["float_test_accuracy"] = fm.accuracy(data.x_test, data.y_test)
    return model


# --------------------------------------------------------------------------------------------- memory files


def dense_words(codes: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """(lane entries (DEPTH, P), last flags (DEPTH,)): word g*MW + i, lane q <- codes[g*P + q, i]."""
    mh, mw = codes.shape
    ng = mh // p
    entries = codes.reshape(ng, p, mw).transpose(0, 2, 1).reshape(ng * mw, p)
    last = np.tile(np.arange(mw) == mw - 1, ng)
    return entries, last


def sparse_words(codes: np.ndarray, weights: np.ndarray, p: int, code_w: int) -> tuple[np.ndarray, np.ndarray]:
    """Zero-skip lists: per group, step k, lane q holds (index << code_w) | code of its k-th nonzero weight,
    padded with the zero code (index 0); a group has max(1, max_q nnz) steps."""
    mh, mw = codes.shape
    rows, lasts = [], []
    for g in range(mh // p):
        lanes = []
        for q in range(p):
            n = g * p + q
            idx = np.flatnonzero(weights[n])
            lanes.append((idx << code_w) | codes[n, idx])
        steps = max(1, max(len(x) for x in lanes))
        block = np.zeros((steps, p), dtype=np.int64)
        for q, entries in enumerate(lanes):
            block[: len(entries), q] = entries
        rows.append(block)
        lasts.append(np.arange(steps) == steps - 1)
    return np.concatenate(rows), np.concatenate(lasts)


def layer_depth(model: quant.QuantMlp, layer: int, p: int, sparse: bool) -> int:
    mh, mw = model.codes[layer].shape
    if not sparse:
        return (mh // p) * mw
    nnz = np.count_nonzero(model.weights(layer), axis=1).reshape(mh // p, p)
    return int(np.maximum(1, nnz.max(axis=1)).sum())


def layer_depths(model: quant.QuantMlp, hw: MacHwConfig) -> list[int]:
    """DEPTHl of every layer: its weight-word count, i.e. its cycles per vector."""
    return [layer_depth(model, i, hw.p[i], hw.sparse) for i in range(len(model.codes))]


def ii_bound(model: quant.QuantMlp, hw: MacHwConfig) -> int:
    beats = -(-model.input_bits // hw.bus_width)
    return max([beats, *layer_depths(model, hw)])


def write_layer_files(model: quant.QuantMlp, layer: int, p: int, sparse: bool, out: Path) -> dict[str, Path]:
    codes = model.codes[layer]
    mh, mw = codes.shape
    cw = quant.code_width(model.kind, model.w_bits)
    if sparse:
        entries, last = sparse_words(codes, model.weights(layer), p, cw)
        lw = cw + max(1, int(np.ceil(np.log2(mw))))
    else:
        entries, last = dense_words(codes, p)
        lw = cw
    words = [int(w) | (int(f) << (p * lw)) for w, f in zip(fields_to_words(entries, lw), last, strict=True)]
    acc_w = model.acc_widths[layer]
    bias = quant.twos(model.bias[layer], acc_w).reshape(mh // p, p)
    return {
        "w": write_memh(out / f"l{layer}_w.hex", words, p * lw + 1),
        "b": write_memh(out / f"l{layer}_b.hex", fields_to_words(bias, acc_w), p * acc_w),
    }


# --------------------------------------------------------------------------------------------- build


def check_layers(shapes: list[tuple[int, int]], hw: MacHwConfig) -> None:
    """mac_top takes 2..MAX_LAYERS layers, one lane count per layer, each dividing its layer's neurons."""
    if not 2 <= len(shapes) <= MAX_LAYERS:
        raise ValueError(f"mac_top takes 2 to {MAX_LAYERS} layers (at most {MAX_LAYERS - 1} hidden layers); "
                         f"the model has {len(shapes)}")
    if len(hw.p) != len(shapes):
        raise ValueError(f"{len(shapes)} layers need {len(shapes)} lane counts in p, got {hw.p}")
    for i, ((mh, _), p) in enumerate(zip(shapes, hw.p, strict=True)):
        if p < 1 or mh % p:
            raise ValueError(f"layer {i}: P={p} must divide the layer's {mh} neurons")


def hdl_parameters(model: quant.QuantMlp, hw: MacHwConfig, depths: list[int], mem_dir: Path) -> dict[str, object]:
    """mac_top's parameters: N_LAYERS, hidden sizes H1.., and per layer l the lanes Pl, DEPTHl, ACCl_W and (hidden
    layers) SHIFTl; MEM_DIR is the folder of the memory files l<l>_w.hex / l<l>_b.hex."""
    shapes = model.layer_shapes
    params: dict[str, object] = {
        "BUS_WIDTH": hw.bus_width, "N_IN": shapes[0][1], "IN_W": model.in_bits, "N_LAYERS": len(shapes),
        "N_CLASSES": shapes[-1][0], "KIND": quant.KIND_ID[model.kind], "SPARSE": int(hw.sparse),
        "W_W": model.w_bits, "A_W": model.a_bits, "NA": model.alphabet,
    }
    for i, (mh, _) in enumerate(shapes[:-1]):
        params[f"H{i + 1}"] = mh
    for i in range(len(shapes)):
        params[f"P{i}"], params[f"DEPTH{i}"], params[f"ACC{i}_W"] = hw.p[i], depths[i], model.acc_widths[i]
    for i, shift in enumerate(model.shifts):
        params[f"SHIFT{i}"] = shift
    params["MEM_DIR"] = hdl_string(mem_dir)
    return params


def build_design(design: str, config: str, data: Dataset, work_dir: Path, cache_dir: Path) -> CoreBuild:
    if design not in ALL_CONFIGS:
        raise ValueError(f"unknown MAC-family design {design!r}; choose from {', '.join(ALL_CONFIGS)}")
    if config not in ALL_CONFIGS[design]:
        raise ValueError(f"unknown {design} config {config!r}; choose from {', '.join(ALL_CONFIGS[design])}")
    hw = ALL_CONFIGS[design][config]
    if hw.sparse and hw.quant.kind != "pot":
        raise ValueError("the zero-skip engine is built for PoT weights only")
    if not 1 <= len(hw.train.hidden_sizes) <= MAX_LAYERS - 1:  # before training a network mac_top cannot take
        raise ValueError(f"mac_top takes 1 to {MAX_LAYERS - 1} hidden layers; {design}/{config} has "
                         f"{len(hw.train.hidden_sizes)}")
    if len(hw.p) != len(hw.train.hidden_sizes) + 1:
        raise ValueError(f"{design}/{config}: {len(hw.train.hidden_sizes) + 1} layers need as many lane counts "
                         f"in p, got {hw.p}")
    model = cached_model(hw, data, cache_dir)
    shapes = model.layer_shapes
    check_layers(shapes, hw)
    n_classes = shapes[-1][0]
    work_dir.mkdir(parents=True, exist_ok=True)
    depths = layer_depths(model, hw)
    for i in range(len(shapes)):
        write_layer_files(model, i, hw.p[i], hw.sparse, work_dir)
    params = hdl_parameters(model, hw, depths, work_dir)
    return CoreBuild(
        design=design,
        config=config,
        toplevel="mac_top",
        sources=rtl_sources("mac"),
        parameters=params,
        bus_width=hw.bus_width,
        input_bits=model.input_bits,
        n_classes=n_classes,
        score_width=model.score_width,
        score_signed=True,
        ii_bound=ii_bound(model, hw),
        golden=lambda bits: quant.forward(model, bits),
        encode=model.encode,
        config_info={
            "kind": model.kind,
            "layers": [{"mw": mw, "mh": mh} for mh, mw in model.layer_shapes],
            "p": list(hw.p),
            "sparse": hw.sparse,
            "bus_width": hw.bus_width,
            "depths": depths,
            "shifts": model.shifts,
            "acc_widths": model.acc_widths,
            "nonzero_fraction": model.nonzero_fraction(),
            "quant": asdict(hw.quant),
            "train": asdict(hw.train),
            "float_test_accuracy": model.info.get("float_test_accuracy"),
        },
    )


def builder(design: str):  # noqa: ANN201
    return functools.partial(build_design, design)


def ii_formula(core: CoreBuild) -> int:
    """max(input beats, DEPTH0, .., DEPTH{N-1}): each layer's weight-word count, as the build recorded it (dense:
    (MH/P)*MW; zero-skip: sum over neuron groups of the largest per-lane nonzero count)."""
    info = core.config_info
    return max([-(-core.input_bits // info["bus_width"]), *info["depths"]])


# Lane benches (tb/benches/mac_lane_tests.py), each lane module alone: (toplevel, IN_W, ACC_W, W_W, NA).
_LANES = {
    "mac_lane": [(8, 24, 8, 4), (5, 16, 4, 4)],
    "pot_lane": [(8, 24, 8, 4), (5, 16, 8, 4)],
    "asm_lane": [(8, 24, 8, 4), (8, 24, 8, 2), (5, 20, 8, 1)],
    "asm_precompute": [(8, 0, 8, 4), (5, 0, 8, 2), (5, 0, 8, 1)],
}


def lane_benches(top: str) -> tuple[UnitBench, ...]:
    benches = []
    for in_w, acc_w, w_w, na in _LANES[top]:
        params = ({"IN_W": in_w, "W_W": w_w, "ACC_W": acc_w} if top == "mac_lane" else
                  {"IN_W": in_w, "NA": na} if top == "asm_precompute" else {"IN_W": in_w, "ACC_W": acc_w})
        env = {"MAC_LANE_TOP": top, "MAC_LANE_IN_W": str(in_w), "MAC_LANE_ACC_W": str(acc_w),
               "MAC_LANE_W_W": str(w_w), "MAC_LANE_NA": str(na)}
        benches.append(UnitBench(f"{top}-{in_w}-{acc_w}-{w_w}-{na}", top, (RTL_DIR / "mac" / f"{top}.v",),
                                 "edgebench.tb.benches.mac_lane_tests", params, env))
    return tuple(benches)


_E, _D = "energy_pj_per_inf", "datapath_energy_pj_per_inf"
_ASM = ("Sarwar et al., DATE 2016", _E, "1.54x-2.5x (35 % / 60 % lower)")
_SUMMARIES = {
    "int8-mac": "uniform INT-8 MLP on multiplier lanes (arithmetic baseline)",
    "int4-mac": "uniform INT-4 MLP on multiplier lanes",
    "pot": "power-of-two weights on shifter lanes, dense schedule",
    "pot-pruned": "power-of-two weights, pruned, zero-weight skipping in the schedule",
    "asm-1": "alphabet-set multiplier, alphabet {1}",
    "asm-13": "alphabet-set multiplier, alphabet {1,3}",
    "asm-1357": "alphabet-set multiplier, alphabet {1,3,5,7}",
}
_BASE28 = "int8-mac-fashion"  # the 28x28 baseline row: int8-mac's paper-scale configuration
_CLAIMS = {
    "pot": (at_least_claim("PoT: >= 1.4x more energy-efficient than uniform quantization",
                           "Przewlocka-Rus & Kryjak, ICCVG 2022", _E, "pot", "int8-mac", ">= 1.4x", 1.4, _D,
                           large=("pot-fashion", _BASE28)),),
    "pot-pruned": (at_least_claim("PoT with zero-weight skipping vs uniform quantization",
                                  "Przewlocka-Rus & Kryjak, ICCVG 2022", _E, "pot-pruned", "int8-mac",
                                  ">= 1.4x (pruning adds to it)", 1.4, _D, large=("pot-pruned-fashion", _BASE28)),),
    "asm-1357": (Claim("ASM {1,3,5,7}: 35-60 % lower energy than a MAC", _ASM[0], _E, "asm-1357", "int8-mac",
                       _ASM[2], 1.54, 2.5, False, _D, ("asm-1357-fashion", _BASE28)),),
    "asm-1": (Claim("ASM {1}: lower energy than a MAC", _ASM[0], _E, "asm-1", "int8-mac", _ASM[2], 1.54, 2.5,
                    False, _D, ("asm-1-fashion", _BASE28)),),
}
_UNITS = {"int8-mac": lane_benches("mac_lane"), "pot": lane_benches("pot_lane"),
          "asm-1": lane_benches("asm_lane") + lane_benches("asm_precompute")}
STYLES = tuple(
    Style(name, _SUMMARIES[name], rtl="mac", configs=tuple(CONFIGS[name]), bench_configs=tuple(LARGE_CONFIGS[name]),
          build=builder(name), ii_formula=ii_formula, claims=_CLAIMS.get(name, ()), units=_UNITS.get(name, ()))
    for name in DESIGN_NAMES
)
