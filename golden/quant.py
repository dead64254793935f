"""Quantized MLPs for the MAC family: float training, three weight quantizations, bit-exact integer golden models.

Network: F inputs -> H1 -> .. -> Hk hidden (ReLU) -> C class scores (FloatTrainConfig.hidden: one hidden size or a
tuple of them, one per hidden layer), trained in float with scikit-learn's MLPClassifier on the dataset pixels scaled
to [0, 1] (the 1/max_value scale is folded into layer 0).

Integer semantics (what rtl/mac computes; see rtl/mac/README.md):
  - input activations: the dataset pixels as unsigned IN_W-bit integers (IN_W = 5 for digits, 0..16; the RTL and
    this model accept the full 0..31 range), pixel f at input bits [f*IN_W, (f+1)*IN_W), LSB first;
  - layer l: acc[n] = bias[n] + sum_i wq[n, i] * a[i], exact, in a signed ACC_W-bit accumulator where
    ACC_W = bit_length(2 * MW * WMAX * AMAX_in) + 1 and |bias| <= MW * WMAX * AMAX_in, so it never overflows;
    wq is the integer weight a weight code decodes to (decode_uniform / decode_pot / decode_asm);
  - hidden requantization, shift only (per-layer power-of-two scale ratio), one SHIFT per hidden layer:
        h = clamp((acc + (SHIFT > 0 ? 2^(SHIFT-1) : 0)) >>> SHIFT, 0, 2^A_W - 1)
    i.e. round half up, arithmetic shift, then ReLU (negative -> 0) and saturation to A_W bits, all explicit;
  - output layer: scores = acc (signed, ACC_W bits, two's complement on out_scores); class = argmax, ties -> lowest.

Weight codes (per weight):
  uniform INT-N : N-bit two's complement, values -(2^(N-1)-1) .. 2^(N-1)-1 used (symmetric per-layer scale);
  PoT           : 4 bits {sign, e[2:0]}; e = 0 is the zero code, else |w| = 2^(e-1) (1..64); product = a << (e-1);
  ASM           : 11 bits {sign, q1[4:0], q0[4:0]}, quartet field {nz, sel[1:0], sh[1:0]}: quartet value
                  nz ? (2*sel+1) << sh : 0, magnitude = (q1 << 4) + q0 (8-bit sign-magnitude weight).
                  Only representable quartets are produced: 0 or a*2^s <= 15 with a in the alphabet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from edgebench.golden import packed
from edgebench.golden.datasets import Dataset
from edgebench.golden.modelfile import ModelFileError, atomic_savez, read_model_file

MODEL_FORMAT = "edgebench-quant-mlp"
MODEL_VERSION = 1

KINDS = ("uniform", "pot", "asm")
KIND_ID = {k: i for i, k in enumerate(KINDS)}
POT_CODE_W = 4
POT_EMAX = 7  # largest exponent code: |w| = 2^(7-1) = 64
ASM_CODE_W = 11
ALPHABETS = {1: (1,), 2: (1, 3), 4: (1, 3, 5, 7)}  # NA -> alphabet (nested: entry k is 2k+1)




# --------------------------------------------------------------------------------------------- configs


@dataclass(frozen=True)
class FloatTrainConfig:
    # hidden layer sizes: an int is one hidden layer (the form of every earlier configuration, kept so that their
    # cache keys, asdict() of this, do not change), a tuple one size per hidden layer
    hidden: int | tuple[int, ...] = 32
    max_iter: int = 400
    alpha: float = 1e-4
    seed: int = 0

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return (self.hidden,) if isinstance(self.hidden, int) else tuple(self.hidden)


@dataclass(frozen=True)
class QuantConfig:
    """How one float MLP becomes an integer MLP."""

    kind: str  # uniform | pot | asm
    w_bits: int = 8  # uniform: weight bits (two's complement)
    a_bits: int = 8  # hidden activation bits (unsigned)
    in_bits: int = 5  # input pixel bits (unsigned)
    prune: float = 0.0  # fraction of each layer's weights forced to zero (magnitude pruning), PoT
    finetune_epochs: int = 0  # masked fine-tune epochs after pruning (float, then re-quantized)
    alphabet: int = 4  # ASM: NA = 1, 2 or 4 alphabet entries


# --------------------------------------------------------------------------------------------- codes


def twos(values: np.ndarray, width: int) -> np.ndarray:
    """Signed ints -> unsigned width-bit two's complement fields."""
    return np.asarray(values, dtype=np.int64) & ((1 << width) - 1)


def from_twos(codes: np.ndarray, width: int) -> np.ndarray:
    c = np.asarray(codes, dtype=np.int64) & ((1 << width) - 1)
    return np.where(c >= (1 << (width - 1)), c - (1 << width), c)


def decode_uniform(codes: np.ndarray, w_bits: int) -> np.ndarray:
    return from_twos(codes, w_bits)


def decode_pot(codes: np.ndarray) -> np.ndarray:
    c = np.asarray(codes, dtype=np.int64)
    e = c & 7
    mag = np.where(e == 0, 0, np.left_shift(1, np.maximum(e - 1, 0)))
    return np.where(c & 8, -mag, mag)


def decode_asm_quartet(field5: np.ndarray) -> np.ndarray:
    f = np.asarray(field5, dtype=np.int64)
    nz, sel, sh = (f >> 4) & 1, (f >> 2) & 3, f & 3
    return np.where(nz == 1, np.left_shift(2 * sel + 1, sh), 0)


def decode_asm(codes: np.ndarray) -> np.ndarray:
    c = np.asarray(codes, dtype=np.int64)
    mag = (decode_asm_quartet((c >> 5) & 31) << 4) + decode_asm_quartet(c & 31)
    return np.where((c >> 10) & 1, -mag, mag)


def decode(codes: np.ndarray, kind: str, w_bits: int = 8) -> np.ndarray:
    if kind == "uniform":
        return decode_uniform(codes, w_bits)
    if kind == "pot":
        return decode_pot(codes)
    if kind == "asm":
        return decode_asm(codes)
    raise ValueError(f"unknown kind {kind!r}")


def lane_product(kind: str, code: np.ndarray, x: np.ndarray, w_bits: int = 8) -> np.ndarray:
    """The golden scalar function of one lane: the exact integer product of a weight code and an activation."""
    return decode(code, kind, w_bits) * np.asarray(x, dtype=np.int64)


def asm_quartet_table(na: int) -> dict[int, int]:
    """Representable quartet value -> 5-bit field {nz, sel, sh} (smallest shift first)."""
    table = {0: 0}
    for sel, a in enumerate(ALPHABETS[na]):
        for sh in range(4):
            v = a << sh
            if v <= 15 and v not in table:
                table[v] = (1 << 4) | (sel << 2) | sh
    return table


def asm_representable(na: int) -> np.ndarray:
    """Sorted 8-bit magnitudes whose two quartets are both representable."""
    q = sorted(asm_quartet_table(na))
    return np.array(sorted({hi * 16 + lo for hi in q for lo in q}), dtype=np.int64)


def encode_asm(mags: np.ndarray, signs: np.ndarray, na: int) -> np.ndarray:
    table = asm_quartet_table(na)
    lut = np.zeros(16, dtype=np.int64)
    ok = np.zeros(16, dtype=bool)
    for v, f in table.items():
        lut[v], ok[v] = f, True
    hi, lo = mags >> 4, mags & 15
    if not (ok[hi].all() and ok[lo].all()):
        raise ValueError("unrepresentable ASM quartet")
    return (np.asarray(signs, dtype=np.int64) << 10) | (lut[hi] << 5) | lut[lo]


def wmax(kind: str, w_bits: int = 8, alphabet: int = 4) -> int:
    if kind == "uniform":
        return (1 << (w_bits - 1)) - 1
    if kind == "pot":
        return 1 << (POT_EMAX - 1)
    return int(asm_representable(alphabet)[-1])


def code_width(kind: str, w_bits: int = 8) -> int:
    return {"uniform": w_bits, "pot": POT_CODE_W, "asm": ASM_CODE_W}[kind]


# --------------------------------------------------------------------------------------------- weight quantizers


def quantize_weights(w: np.ndarray, qc: QuantConfig) -> tuple[np.ndarray, float]:
    """Float (MH, MW) -> (codes, scale) with w ~= scale * decode(codes). Zero stays exactly zero."""
    w = np.asarray(w, dtype=np.float64)
    top = float(np.max(np.abs(w))) or 1.0
    if qc.kind == "uniform":
        m = wmax("uniform", qc.w_bits)
        scale = top / m
        q = np.clip(np.rint(w / scale), -m, m).astype(np.int64)
        return twos(q, qc.w_bits), scale
    if qc.kind == "pot":
        levels = np.array([0] + [1 << k for k in range(POT_EMAX)], dtype=np.float64)  # 0, 1, 2, ..., 64
        scale = top / levels[-1]
        r = np.abs(w) / scale
        idx = np.argmin(np.abs(r[..., None] - levels), axis=-1)  # nearest level (linear distance)
        return ((w < 0) & (idx > 0)).astype(np.int64) << 3 | idx.astype(np.int64), scale
    if qc.kind == "asm":
        rep = asm_representable(qc.alphabet).astype(np.float64)
        scale = top / rep[-1]
        r = np.abs(w) / scale
        # nearest representable magnitude (both quartets representable), ties to the smaller one
        pos = np.clip(np.searchsorted(rep, r), 1, len(rep) - 1)
        lo, hi = rep[pos - 1], rep[pos]
        mag = np.where(r - lo <= hi - r, lo, hi).astype(np.int64)
        return encode_asm(mag, ((w < 0) & (mag > 0)).astype(np.int64), qc.alphabet), scale
    raise ValueError(f"unknown kind {qc.kind!r}")


# --------------------------------------------------------------------------------------------- models


@dataclass
class FloatMlp:
    w: list[np.ndarray]  # (MH, MW) per layer, acting on raw pixel values
    b: list[np.ndarray]

    def forward(self, x: np.ndarray) -> np.ndarray:
        a = np.asarray(x, dtype=np.float64)
        for i, (w, b) in enumerate(zip(self.w, self.b, strict=True)):
            a = a @ w.T + b
            if i < len(self.w) - 1:
                a = np.maximum(a, 0.0)
        return a

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(np.argmax(self.forward(x), axis=1) == y))


@dataclass
class QuantMlp:
    kind: str
    w_bits: int
    a_bits: int
    in_bits: int
    alphabet: int
    codes: list[np.ndarray]  # (MH, MW) int64 weight codes per layer
    bias: list[np.ndarray]  # (MH,) int64 per layer, in accumulator units
    shifts: list[int]  # requantization shift per hidden layer
    acc_widths: list[int]  # signed accumulator bits per layer
    info: dict = field(default_factory=dict)

    @property
    def n_inputs(self) -> int:
        return int(self.codes[0].shape[1])

    @property
    def input_bits(self) -> int:
        return self.n_inputs * self.in_bits

    @property
    def layer_shapes(self) -> list[tuple[int, int]]:
        return [(int(c.shape[0]), int(c.shape[1])) for c in self.codes]

    @property
    def score_width(self) -> int:
        return self.acc_widths[-1]

    def weights(self, layer: int) -> np.ndarray:
        return decode(self.codes[layer], self.kind, self.w_bits)

    def encode(self, x: np.ndarray) -> np.ndarray:
        return pack_fields(x, self.in_bits)

    def nonzero_fraction(self) -> float:
        total = sum(c.size for c in self.codes)
        return float(sum(np.count_nonzero(self.weights(i)) for i in range(len(self.codes))) / total)


def pack_fields(x: np.ndarray, width: int) -> np.ndarray:
    """(N, F) unsigned ints -> (N, F*width) bits, field f at bits [f*width, (f+1)*width), LSB first."""
    x = np.asarray(x, dtype=np.int64)
    if x.min(initial=0) < 0 or x.max(initial=0) >= (1 << width):
        raise ValueError(f"inputs out of range for {width}-bit fields")
    bits = (x[:, :, None] >> np.arange(width)) & 1
    return bits.reshape(x.shape[0], -1).astype(np.uint8)


def unpack_fields(bits: np.ndarray, width: int) -> np.ndarray:
    b = np.asarray(bits, dtype=np.int64)
    return (b.reshape(b.shape[0], -1, width) << np.arange(width)).sum(axis=2)


def requant(acc: np.ndarray, shift: int, a_bits: int) -> np.ndarray:
    """Round half up by SHIFT bits (arithmetic shift), ReLU, saturate to a_bits unsigned."""
    rnd = (1 << (shift - 1)) if shift > 0 else 0
    return np.clip((acc + rnd) >> shift, 0, (1 << a_bits) - 1)


def forward_int(model: QuantMlp, x_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Bit-exact inference on input bit vectors: (class, scores, accumulators per layer); batch-vectorized."""
    a = unpack_fields(x_bits, model.in_bits)
    if a.shape[1] != model.n_inputs:
        raise ValueError(f"expected input bits of shape (N, {model.input_bits}), got {np.shape(x_bits)}")
    accs = []
    n_layers = len(model.codes)
    for layer in range(n_layers):
        acc = a @ model.weights(layer).T + model.bias[layer][None, :]
        lim = 1 << (model.acc_widths[layer] - 1)
        assert acc.min(initial=0) >= -lim and acc.max(initial=0) < lim, "accumulator overflow"
        accs.append(acc)
        a = requant(acc, model.shifts[layer], model.a_bits) if layer < n_layers - 1 else acc
    return np.argmax(a, axis=1), a, accs


def _float_layers(model: QuantMlp) -> list[tuple[np.ndarray, type]]:
    """Per layer (weights (inputs, MH) in the narrowest exact dtype, dtype). Layer 0 reads the input bits:
    row f*IN_W + j holds w[:, f] * 2**j, so the field decoding is part of the product.

    Exactness: every input is an integer in [0, amax] (bits: 1; hidden: 2**A_W - 1), so every partial sum of a
    product row, in any order, is an integer of magnitude <= bound = max_h sum_i |w[i, h]| * amax. float32
    represents all integers below 2**24 and float64 below 2**53 exactly, so no rounding can occur; int64
    (exact, no BLAS) when the bound is larger.
    """
    out = []
    for layer in range(len(model.codes)):
        w = model.weights(layer).T  # (MW, MH) int64
        if layer == 0:
            w = (w[:, None, :] << np.arange(model.in_bits, dtype=np.int64)[None, :, None]).reshape(-1, w.shape[1])
            amax = 1
        else:
            amax = (1 << model.a_bits) - 1
        bound = int(np.abs(w).sum(axis=0).max(initial=0)) * amax
        dtype = np.float32 if bound < 1 << 24 else np.float64 if bound < 1 << 53 else np.int64
        out.append((w.astype(dtype), dtype))
    return out


def forward(model: QuantMlp, x_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(class, scores) with the integer semantics of `forward_int` (tests/golden check both against a per-sample
    Python reference); the products run as float BLAS matmuls that are exact by the bound in `_float_layers`."""
    x = packed.check_bits(x_bits, model.input_bits)
    params = np.array([KIND_ID.get(model.kind, -1), model.w_bits, model.a_bits, model.in_bits])
    plan = packed.cached_plan(model, [params, *model.codes], lambda: _float_layers(model))
    n_layers = len(model.codes)
    n = x.shape[0]
    scores = np.empty((n, model.layer_shapes[-1][0]), dtype=np.int64)
    with packed.one_blas_thread():
        for blk in packed.sample_blocks(n, 8 * model.input_bits):
            a = x[blk]
            for layer, (w, dtype) in enumerate(plan):
                acc = (a.astype(dtype) @ w).astype(np.int64)  # exact integers (see _float_layers)
                acc += model.bias[layer]
                lim = 1 << (model.acc_widths[layer] - 1)
                assert acc.min(initial=0) >= -lim and acc.max(initial=0) < lim, "accumulator overflow"
                a = requant(acc, model.shifts[layer], model.a_bits) if layer < n_layers - 1 else acc
            scores[blk] = a
    return np.argmax(scores, axis=1), scores


def accuracy(model: QuantMlp, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(forward(model, model.encode(x))[0] == y))


# --------------------------------------------------------------------------------------------- training


def _float_from_clf(clf, max_value: int) -> FloatMlp:  # noqa: ANN001
    w = [c.T.astype(np.float64) for c in clf.coefs_]
    w[0] = w[0] / max_value  # the classifier saw x / max_value
    return FloatMlp(w, [b.astype(np.float64) for b in clf.intercepts_])


def _classifier(cfg: FloatTrainConfig):  # noqa: ANN202
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=cfg.hidden_sizes, activation="relu", alpha=cfg.alpha,
                         max_iter=cfg.max_iter, random_state=cfg.seed)


def train_float(cfg: FloatTrainConfig, data: Dataset):  # noqa: ANN201
    """Returns (sklearn classifier, FloatMlp on raw pixels)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    clf = _classifier(cfg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(data.x_train / data.max_value, data.y_train)
    return clf, _float_from_clf(clf, data.max_value)


def prune_masks(fm: FloatMlp, fraction: float) -> list[np.ndarray]:
    """Per layer, keep the (1 - fraction) largest-magnitude weights."""
    masks = []
    for w in fm.w:
        k = int(round(fraction * w.size))
        if k == 0:
            masks.append(np.ones_like(w, dtype=bool))
            continue
        order = np.argsort(np.abs(w), axis=None, kind="stable")
        m = np.ones(w.size, dtype=bool)
        m[order[:k]] = False
        masks.append(m.reshape(w.shape))
    return masks


def finetune_masked(clf, masks: list[np.ndarray], data: Dataset, epochs: int, seed: int):  # noqa: ANN001, ANN201
    """Brief masked fine-tune: partial_fit epochs, re-applying the pruning masks after each."""
    import copy

    clf = copy.deepcopy(clf)
    for i, m in enumerate(masks):
        clf.coefs_[i] *= m.T
    rng = np.random.default_rng(seed)
    x, y = data.x_train / data.max_value, data.y_train
    for _ in range(epochs):
        perm = rng.permutation(len(x))
        clf.partial_fit(x[perm], y[perm])
        for i, m in enumerate(masks):
            clf.coefs_[i] *= m.T
    return clf


def acc_width(mw: int, w_max: int, a_max: int) -> int:
    return (2 * mw * w_max * a_max).bit_length() + 1


def _exact_matmul(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """a (N, MW) @ w.T for integer a >= 0 and integer w (MH, MW), exact: float64 BLAS when every partial sum is an
    integer below 2**53 in magnitude, else int64."""
    bound = int(np.abs(w).sum(axis=1).max(initial=0)) * int(a.max(initial=0))
    if bound < 1 << 53:
        return (a.astype(np.float64) @ w.T.astype(np.float64)).astype(np.int64)
    return a.astype(np.int64) @ w.T.astype(np.int64)


def quantize(fm: FloatMlp, qc: QuantConfig, data: Dataset, masks: list[np.ndarray] | None = None) -> QuantMlp:
    """Quantize weights per layer, biases to accumulator units, and pick each hidden layer's requantization
    shift greedily, layer by layer, by validation accuracy: the layers before it integer (their shifts chosen),
    this one requantized with the shift tried, and after it the integer output layer when it is the last hidden
    layer (the whole integer model), else the remaining layers in float (as golden/bitfusion.py does). The first
    shift with the best accuracy wins."""
    n_layers = len(fm.w)
    if data.max_value >= 1 << qc.in_bits:
        raise ValueError(f"pixels up to {data.max_value} do not fit the {qc.in_bits}-bit input fields (in_bits)")
    codes, scales, float_w = [], [], []
    for i, w in enumerate(fm.w):
        if masks is not None:
            w = w * masks[i]
        c, s = quantize_weights(w, qc)
        if masks is not None:  # pruned weights are exactly the zero code
            zero = {"uniform": 0, "pot": 0, "asm": 0}[qc.kind]
            c = np.where(masks[i], c, zero)
        codes.append(c)
        scales.append(s)
        float_w.append(w)
    w_max = wmax(qc.kind, qc.w_bits, qc.alphabet)
    a_in_max = [(1 << qc.in_bits) - 1] + [(1 << qc.a_bits) - 1] * (n_layers - 1)
    widths = [acc_width(c.shape[1], w_max, a) for c, a in zip(codes, a_in_max, strict=True)]

    def build(shifts: list[int]) -> QuantMlp:
        act_scale = 1.0  # float value of one input LSB
        biases = []
        for i in range(n_layers):
            acc_scale = scales[i] * act_scale
            lim = codes[i].shape[1] * w_max * a_in_max[i]
            biases.append(np.clip(np.rint(fm.b[i] / acc_scale), -lim, lim).astype(np.int64))
            if i < n_layers - 1:
                act_scale = acc_scale * (1 << shifts[i])
        return QuantMlp(qc.kind, qc.w_bits, qc.a_bits, qc.in_bits, qc.alphabet, codes, biases, list(shifts), widths)

    ints = [decode(c, qc.kind, qc.w_bits) for c in codes]
    a_val = np.asarray(data.x_val, dtype=np.int64)  # integer activations entering `layer` (validation split)
    act_scale = 1.0  # float value of one LSB of a_val
    shifts: list[int] = []
    for layer in range(n_layers - 1):  # greedy, layer by layer
        acc = _exact_matmul(a_val, ints[layer]) + build([*shifts, *[0] * (n_layers - 1 - layer)]).bias[layer]
        acc_scale = scales[layer] * act_scale
        best: tuple[float, int] | None = None
        for s in range(0, widths[layer]):
            h = requant(acc, s, qc.a_bits)
            if layer == n_layers - 2:  # the integer output layer: the integer model's own scores
                scores = _exact_matmul(h, ints[-1]) + build([*shifts, s]).bias[-1]
            else:  # the later layers in float
                scores = h * (acc_scale * (1 << s))
                for i in range(layer + 1, n_layers):
                    scores = scores @ float_w[i].T + fm.b[i]
                    if i < n_layers - 1:
                        scores = np.maximum(scores, 0.0)
            hit = float(np.mean(np.argmax(scores, axis=1) == data.y_val))
            if best is None or hit > best[0]:
                best = (hit, s)
        assert best is not None
        shifts.append(best[1])
        a_val = requant(acc, best[1], qc.a_bits)
        act_scale = acc_scale * (1 << best[1])
    model = build(shifts)
    model.info = {"weight_scales": scales, "quant": asdict(qc)}
    return model


# --------------------------------------------------------------------------------------------- model file


def save(model: QuantMlp, path: str | Path) -> Path:
    """Model file: .npz (arrays only, no pickle) with a JSON manifest stored inside as `manifest`."""
    path = Path(path)
    manifest = {
        "format": MODEL_FORMAT, "version": MODEL_VERSION, "kind": model.kind, "w_bits": model.w_bits,
        "a_bits": model.a_bits, "in_bits": model.in_bits, "alphabet": model.alphabet, "layers": len(model.codes),
        "shifts": model.shifts, "acc_widths": model.acc_widths, "info": model.info,
    }
    arrays = {f"c{i}": c for i, c in enumerate(model.codes)} | {f"b{i}": b for i, b in enumerate(model.bias)}
    atomic_savez(path, manifest, arrays)
    return path


def load(path: str | Path) -> QuantMlp:
    path = Path(path)
    m, files = read_model_file(path, MODEL_FORMAT, MODEL_VERSION)
    if m.get("kind") not in KINDS:
        raise ModelFileError(f"{path}: field 'kind' must be one of {KINDS}")
    codes, bias = [], []
    for i in range(int(m["layers"])):
        for key in (f"c{i}", f"b{i}"):
            if key not in files:
                raise ModelFileError(f"{path}: missing field '{key}'")
        c, b = files[f"c{i}"].astype(np.int64), files[f"b{i}"].astype(np.int64)
        if c.ndim != 2 or b.shape != (c.shape[0],) or (codes and c.shape[1] != codes[-1].shape[0]):
            raise ModelFileError(f"{path}: field 'c{i}'/'b{i}' has inconsistent shape {c.shape}/{b.shape}")
        if c.min() < 0 or c.max() >= (1 << code_width(m["kind"], m["w_bits"])):
            raise ModelFileError(f"{path}: field 'c{i}' holds codes out of range")
        codes.append(c)
        bias.append(b)
    return QuantMlp(m["kind"], int(m["w_bits"]), int(m["a_bits"]), int(m["in_bits"]), int(m["alphabet"]),
                    codes, bias, [int(s) for s in m["shifts"]], [int(w) for w in m["acc_widths"]], m.get("info", {}))
