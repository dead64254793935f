"""Bit Fusion (Sharma et al., ISCA 2018): a mixed-precision integer MLP whose products are built from 2-bit bricks.

What the hardware computes (rtl/bitfusion/, bit-exact with `forward`):

  - BitBrick: a 2-bit x 2-bit multiplier. Each operand is a 2-bit slice of a wider operand, read as unsigned
    (0..3) or, for the top slice of a two's complement operand, as signed (-2..1): with the extra zero or sign
    bit it is a 3-bit signed x 3-bit signed multiplier, product in -6..9 (`brick`).
  - An a-bit x w-bit product (a, w in {2, 4, 8}) is the sum over activation slices i < a/2 and weight slices
    j < w/2 of brick(a_i, w_j) * 4^(i+j) (`fused_product`), which is the exact integer product.
  - A Fusion Unit holds 16 bricks. At precision (a, w) a product takes (a/2)(w/2) of them, so the unit forms
    K = 16 / ((a/2)(w/2)) products per cycle and outputs their sum (`fusion_unit_dot`): 16 at 2x2, 8 at 4x2 or
    2x4, 4 at 4x4, 8x2 or 2x8, 2 at 8x4 or 4x8, 1 at 8x8.

Network (a multilayer perceptron with L >= 2 weight layers; the design uses 3):
  - precision per layer l: (A_l, W_l), A_l the bits of the layer's *input* activations and W_l of its weights,
    both in {2, 4, 8}. Layer 0's input is the dataset pixel, an unsigned A_0-bit integer at input bits
    [f*A_0, (f+1)*A_0) (digits: 0..16 in 8-bit fields; the core accepts every 8-bit value);
  - weights: signed W_l-bit two's complement. The quantizer uses the symmetric range -(2^(W-1)-1) .. 2^(W-1)-1
    (2-bit weights are ternary), but the model file and the hardware accept every W-bit code, -2^(W-1) included;
  - activations are unsigned (ReLU outputs), so only a weight's top slice is a signed brick operand;
  - accumulate: acc[n] = bias[n] + sum_i w[n, i] * a[i], exact, in a signed ACC_W-bit accumulator with
    ACC_W = bit_length(2 * MW * 2^(W-1) * (2^A - 1)) + 1 and |bias| <= MW * 2^(W-1) * (2^A - 1), so no input and
    no weight code can overflow it (`acc_width`; the golden model asserts it);
  - hidden layer l: requantized to the next layer's activation width A_{l+1} by shift only,
        h = clamp((acc + (SHIFT > 0 ? 2^(SHIFT-1) : 0)) >>> SHIFT, 0, 2^A_{l+1} - 1)
    (round half up, arithmetic shift, ReLU, saturation: golden.quant.requant);
  - last layer: the signed accumulators are the class scores; class = argmax, ties to the lowest index.

Training: scikit-learn's MLPClassifier in float (pixels scaled to [0, 1], the scale folded into layer 0, as
golden.quant does), then post-training quantization per layer: the weight clipping range that minimises the
squared quantization error, and each hidden layer's shift greedily by validation accuracy, the layers after it
still in float while it is chosen.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from edgebench.golden import quant
from edgebench.golden.datasets import Dataset
from edgebench.golden.modelfile import ModelFileError, atomic_savez, read_model_file

MODEL_FORMAT = "edgebench-bitfusion-mlp"
MODEL_VERSION = 1

PRECISIONS = (2, 4, 8)  # operand widths a fusion unit supports
BRICKS = 16  # bricks per fusion unit
SLICE = 2  # bits per brick operand

# float64 holds every integer below 2**53 exactly: a product matmul whose every partial sum is bounded below
# that cannot round (see `forward`)
_FLOAT64_EXACT = 1 << 53


# --------------------------------------------------------------------------------------------- configs


@dataclass(frozen=True)
class TrainConfig:
    hidden: tuple[int, ...] = (32, 32)  # hidden layer sizes: len(hidden) + 1 weight layers
    max_iter: int = 400
    alpha: float = 1e-4
    seed: int = 0


@dataclass(frozen=True)
class PrecisionConfig:
    """Per weight layer: (activation bits of its input, weight bits), each in {2, 4, 8}."""

    layers: tuple[tuple[int, int], ...] = ((8, 8), (4, 4), (8, 8))

    @property
    def a_bits(self) -> list[int]:
        return [a for a, _ in self.layers]

    @property
    def w_bits(self) -> list[int]:
        return [w for _, w in self.layers]


# --------------------------------------------------------------------------------------------- bricks


def check_precision(a_bits: int, w_bits: int) -> None:
    if a_bits not in PRECISIONS or w_bits not in PRECISIONS:
        raise ValueError(f"precision {a_bits}x{w_bits}: a fusion unit takes operands of {PRECISIONS} bits")


def bricks_per_product(a_bits: int, w_bits: int) -> int:
    check_precision(a_bits, w_bits)
    return (a_bits // SLICE) * (w_bits // SLICE)


def products_per_unit(a_bits: int, w_bits: int) -> int:
    """K: the products one fusion unit forms (and sums) per cycle at this precision."""
    return BRICKS // bricks_per_product(a_bits, w_bits)


def operand_range(bits: int, signed: bool) -> tuple[int, int]:
    """Smallest and largest value of a `bits`-bit operand."""
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def slice_codes(x: np.ndarray, bits: int) -> np.ndarray:
    """(..., bits/2) 2-bit codes: slice i = bits [2i, 2i+2) of x's two's complement (`>>` is arithmetic)."""
    x = np.asarray(x, dtype=np.int64)
    return (x[..., None] >> (SLICE * np.arange(bits // SLICE))) & 3


def slice_value(code: np.ndarray, signed: np.ndarray | bool) -> np.ndarray:
    """A brick operand: the 2-bit code read as -2..1 with its signed flag (the top slice of a two's complement
    operand), else as 0..3; i.e. the code zero- or sign-extended to 3 bits."""
    c = np.asarray(code, dtype=np.int64) & 3
    return c - 4 * (np.asarray(signed, dtype=np.int64) & (c >> 1))


def brick(a: np.ndarray, a_signed: np.ndarray | bool, w: np.ndarray, w_signed: np.ndarray | bool) -> np.ndarray:
    """One BitBrick: the product of two 2-bit codes, each read as `slice_value` says (-6..9)."""
    return slice_value(a, a_signed) * slice_value(w, w_signed)


def fused_product(a: np.ndarray, w: np.ndarray, a_bits: int, w_bits: int, a_signed: bool = False,
                  w_signed: bool = True) -> np.ndarray:
    """a * w as the fusion unit forms it: sum over slices (i, j) of brick(a_i, w_j) << 2(i+j), the top slice of a
    signed operand being a signed brick operand. Elementwise over broadcast a, w."""
    na, nw = a_bits // SLICE, w_bits // SLICE
    ac, wc = slice_codes(a, a_bits), slice_codes(w, w_bits)
    total = np.zeros(np.broadcast_shapes(ac.shape[:-1], wc.shape[:-1]), dtype=np.int64)
    for i in range(na):
        for j in range(nw):
            total += brick(ac[..., i], a_signed and i == na - 1, wc[..., j], w_signed and j == nw - 1) \
                << (SLICE * (i + j))
    return total


def fusion_unit_dot(a: np.ndarray, w: np.ndarray, a_bits: int, w_bits: int, a_signed: bool = False,
                    w_signed: bool = True) -> np.ndarray:
    """The golden function of one fusion unit: (..., K) activations and weights -> (...,) sum of the K brick-built
    products (K = products_per_unit)."""
    k = products_per_unit(a_bits, w_bits)
    a, w = np.asarray(a, dtype=np.int64), np.asarray(w, dtype=np.int64)
    if a.shape[-1] != k or w.shape[-1] != k:
        raise ValueError(f"a {a_bits}x{w_bits} fusion unit takes {k} operand pairs, got {a.shape}, {w.shape}")
    return fused_product(a, w, a_bits, w_bits, a_signed, w_signed).sum(axis=-1)


def unit_out_width(a_bits: int, w_bits: int, a_signed: bool = False, w_signed: bool = True) -> int:
    """Bits of a fusion unit's two's complement output (bitfusion_unit OUT_W): A + W + log2(K), one more when
    both operands are unsigned. |sum| < K * 2^(A+W-1) (or K * 2^(A+W) unsigned) fits."""
    k = products_per_unit(a_bits, w_bits)
    return a_bits + w_bits + (k.bit_length() - 1) + (0 if a_signed or w_signed else 1)


# --------------------------------------------------------------------------------------------- model


def product_limit(mw: int, a_bits: int, w_bits: int) -> int:
    """Largest |sum of products| of a neuron with MW inputs: MW * 2^(W-1) * (2^A - 1), over every weight code
    (-2^(W-1) included) and every unsigned activation. The bias is clipped to the same bound."""
    return mw * (1 << (w_bits - 1)) * ((1 << a_bits) - 1)


def acc_width(mw: int, a_bits: int, w_bits: int) -> int:
    """Signed accumulator bits that hold bias + products for every input: bit_length(2 * product_limit) + 1."""
    return quant.acc_width(mw, 1 << (w_bits - 1), (1 << a_bits) - 1)


@dataclass
class BitFusionMlp:
    a_bits: list[int]  # per layer: input activation bits (layer 0: the input field width)
    w_bits: list[int]  # per layer: weight bits
    weights: list[np.ndarray]  # (MH, MW) int64, signed W-bit values
    bias: list[np.ndarray]  # (MH,) int64, in accumulator units
    shifts: list[int]  # requantization shift per hidden layer
    acc_widths: list[int]  # signed accumulator bits per layer
    info: dict = field(default_factory=dict)

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    @property
    def n_inputs(self) -> int:
        return int(self.weights[0].shape[1])

    @property
    def input_bits(self) -> int:
        return self.n_inputs * self.a_bits[0]

    @property
    def layer_shapes(self) -> list[tuple[int, int]]:
        return [(int(w.shape[0]), int(w.shape[1])) for w in self.weights]

    @property
    def precision(self) -> list[tuple[int, int]]:
        return list(zip(self.a_bits, self.w_bits, strict=True))

    @property
    def score_width(self) -> int:
        return self.acc_widths[-1]

    def out_bits(self, layer: int) -> int:
        """Width of layer's output: the next layer's activation bits (hidden) or the accumulator (scores)."""
        return self.a_bits[layer + 1] if layer < self.n_layers - 1 else self.acc_widths[layer]

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Dataset pixels -> input bits: unsigned A_0-bit fields, pixel f at bits [f*A_0, (f+1)*A_0)."""
        return quant.pack_fields(x, self.a_bits[0])


def _check_acc(acc: np.ndarray, width: int) -> None:
    lim = 1 << (width - 1)
    assert acc.min(initial=0) >= -lim and acc.max(initial=0) < lim, "accumulator overflow"


def _layers(model: BitFusionMlp, a: np.ndarray, product) -> np.ndarray:  # noqa: ANN001
    """Run every layer from input activations `a` (N, MW0) with `product(layer, a) -> (N, MH)` exact ints."""
    for layer in range(model.n_layers):
        acc = product(layer, a) + model.bias[layer][None, :]
        _check_acc(acc, model.acc_widths[layer])
        a = quant.requant(acc, model.shifts[layer], model.a_bits[layer + 1]) if layer < model.n_layers - 1 else acc
    return a


def _inputs(model: BitFusionMlp, x_bits: np.ndarray) -> np.ndarray:
    x = np.asarray(x_bits)
    if x.ndim != 2 or x.shape[1] != model.input_bits:
        raise ValueError(f"expected input bits of shape (N, {model.input_bits}), got {np.shape(x_bits)}")
    # explicit shapes (not quant.unpack_fields, whose reshape(n, -1, w) cannot infer -1 for an empty batch)
    bits = x.astype(np.int64).reshape(x.shape[0], model.n_inputs, model.a_bits[0])
    return (bits << np.arange(model.a_bits[0])).sum(axis=2)


def forward_int(model: BitFusionMlp, x_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(class, scores): the reference, int64 products (exact, no BLAS); vectorized over the batch."""
    scores = _layers(model, _inputs(model, x_bits), lambda layer, a: a @ model.weights[layer].T)
    return np.argmax(scores, axis=1), scores


def forward(model: BitFusionMlp, x_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(class, scores) with the semantics of `forward_int`, the products as float64 BLAS matmuls.

    Exact: activations and weights are integers, and every partial sum of a row's products, in any order, is an
    integer of magnitude <= product_limit(MW, A, W) < 2**53, which float64 represents exactly (asserted)."""

    def product(layer: int, a: np.ndarray) -> np.ndarray:
        mh, mw = model.layer_shapes[layer]
        bound = product_limit(mw, model.a_bits[layer], model.w_bits[layer])
        if bound >= _FLOAT64_EXACT:  # never for the widths here, but then int64 keeps it exact
            return a @ model.weights[layer].T
        return (a.astype(np.float64) @ model.weights[layer].T.astype(np.float64)).astype(np.int64)

    scores = _layers(model, _inputs(model, x_bits), product)
    return np.argmax(scores, axis=1), scores


def forward_bricks(model: BitFusionMlp, x_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(class, scores) with every product built from bricks, as the RTL does: per layer,
    a @ w.T = sum over (i, j) of 4^(i+j) * (bricks of activation slice i against weight slice j)."""

    def product(layer: int, a: np.ndarray) -> np.ndarray:
        ab, wb = model.a_bits[layer], model.w_bits[layer]
        na, nw = ab // SLICE, wb // SLICE
        ac, wc = slice_codes(a, ab), slice_codes(model.weights[layer], wb)
        acc = np.zeros((a.shape[0], model.layer_shapes[layer][0]), dtype=np.int64)
        for i in range(na):
            for j in range(nw):
                # brick(a_i, w_j) for every (sample, input) x (neuron, input) pair, summed over inputs: a brick is
                # the product of its two decoded slices, so decode each side and multiply the matrices
                ai = slice_value(ac[..., i], False)  # activations are unsigned: every slice 0..3
                wj = slice_value(wc[..., j], j == nw - 1)  # weights: the top slice signed, -2..1
                acc += (ai @ wj.T) << (SLICE * (i + j))
        return acc

    scores = _layers(model, _inputs(model, x_bits), product)
    return np.argmax(scores, axis=1), scores


def accuracy(model: BitFusionMlp, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(forward(model, model.encode(x))[0] == y))


# --------------------------------------------------------------------------------------------- training


def train_float(cfg: TrainConfig, data: Dataset) -> quant.FloatMlp:
    """The float MLP on raw pixels (quant.FloatTrainConfig has one hidden layer; Bit Fusion needs several)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=tuple(cfg.hidden), activation="relu", alpha=cfg.alpha,
                        max_iter=cfg.max_iter, random_state=cfg.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(data.x_train / data.max_value, data.y_train)
    return quant._float_from_clf(clf, data.max_value)


# fractions of max|W| tried as the clipping range of a layer's weights (the MSE-best is kept)
_CLIP_GRID = tuple(np.round(np.linspace(0.25, 1.0, 31), 4))


def quantize_weights(w: np.ndarray, w_bits: int) -> tuple[np.ndarray, float, float]:
    """Float (MH, MW) -> (signed ints in -(2^(W-1)-1) .. 2^(W-1)-1, scale, clip fraction), w ~= scale * q.

    Symmetric and uniform; the clipping range is the fraction of max|W| with the least squared error (at 2 bits,
    a full-range scale would round most weights to 0)."""
    w = np.asarray(w, dtype=np.float64)
    top = float(np.max(np.abs(w))) or 1.0
    m = (1 << (w_bits - 1)) - 1
    best: tuple[float, np.ndarray, float, float] | None = None
    for frac in _CLIP_GRID:
        scale = frac * top / m
        q = np.clip(np.rint(w / scale), -m, m)
        err = float(np.sum((w - scale * q) ** 2))
        if best is None or err < best[0]:
            best = (err, q.astype(np.int64), scale, float(frac))
    assert best is not None
    return best[1], best[2], best[3]


def _float_tail(fm: quant.FloatMlp, start: int, a: np.ndarray) -> np.ndarray:
    """Float layers start.. on activations a (float, real units): the logits."""
    for i in range(start, len(fm.w)):
        a = a @ fm.w[i].T + fm.b[i]
        if i < len(fm.w) - 1:
            a = np.maximum(a, 0.0)
    return a


def quantize(fm: quant.FloatMlp, precision: PrecisionConfig, data: Dataset) -> BitFusionMlp:
    """Post-training quantization, layer by layer: weights (MSE-best clipping), biases to accumulator units,
    each hidden layer's shift by validation accuracy of the model whose earlier layers are integer, this one
    requantized with the shift tried, and the later ones float."""
    n_layers = len(fm.w)
    if len(precision.layers) != n_layers:
        raise ValueError(f"{len(precision.layers)} layer precisions for a {n_layers}-layer network")
    for a, w in precision.layers:
        check_precision(a, w)
    if data.max_value >= 1 << precision.a_bits[0]:
        raise ValueError(f"pixels up to {data.max_value} do not fit the {precision.a_bits[0]}-bit input fields")
    weights, scales, clips, biases, shifts, widths = [], [], [], [], [], []
    act_scale = 1.0  # real value of one input LSB (layer 0's float weights act on raw pixels)
    a_val = data.x_val.astype(np.int64)
    for layer in range(n_layers):
        ab, wb = precision.layers[layer]
        q, scale, clip = quantize_weights(fm.w[layer], wb)
        mw = q.shape[1]
        lim = product_limit(mw, ab, wb)
        acc_scale = scale * act_scale
        b = np.clip(np.rint(fm.b[layer] / acc_scale), -lim, lim).astype(np.int64)
        weights.append(q)
        scales.append(scale)
        clips.append(clip)
        biases.append(b)
        widths.append(acc_width(mw, ab, wb))
        if layer == n_layers - 1:
            break
        acc = a_val @ q.T + b
        next_bits = precision.a_bits[layer + 1]
        best: tuple[float, int] | None = None
        for s in range(widths[-1]):  # greedy: the first shift with the best validation accuracy
            h = quant.requant(acc, s, next_bits)
            logits = _float_tail(fm, layer + 1, h * (acc_scale * (1 << s)))
            acc_s = float(np.mean(np.argmax(logits, axis=1) == data.y_val))
            if best is None or acc_s > best[0]:
                best = (acc_s, s)
        assert best is not None
        shifts.append(best[1])
        a_val = quant.requant(acc, best[1], next_bits)
        act_scale = acc_scale * (1 << best[1])
    model = BitFusionMlp(precision.a_bits, precision.w_bits, weights, biases, shifts, widths)
    model.info = {"weight_scales": scales, "clip_fractions": clips, "precision": [list(p) for p in precision.layers]}
    return model


def train(train_cfg: TrainConfig, precision: PrecisionConfig, data: Dataset) -> BitFusionMlp:
    """Float training, then post-training quantization; the float and integer accuracies go into `info`."""
    fm = train_float(train_cfg, data)
    model = quantize(fm, precision, data)
    model.info |= {"train": asdict(train_cfg), "float_test_accuracy": fm.accuracy(data.x_test, data.y_test),
                   "val_accuracy": accuracy(model, data.x_val, data.y_val),
                   "test_accuracy": accuracy(model, data.x_test, data.y_test)}
    return model


# --------------------------------------------------------------------------------------------- model file


def save(model: BitFusionMlp, path: str | Path) -> Path:
    """Model file: .npz (arrays only, no pickle) with a JSON manifest; weights stored as int8 (W <= 8)."""
    path = Path(path)
    manifest = {
        "format": MODEL_FORMAT, "version": MODEL_VERSION, "layers": model.n_layers, "a_bits": model.a_bits,
        "w_bits": model.w_bits, "shifts": model.shifts, "acc_widths": model.acc_widths, "info": model.info,
    }
    arrays = ({f"w{i}": w.astype(np.int8) for i, w in enumerate(model.weights)}
              | {f"b{i}": b.astype(np.int64) for i, b in enumerate(model.bias)})
    atomic_savez(path, manifest, arrays)
    return path


def _int_list(path: Path, m: dict, key: str, length: int) -> list[int]:
    value = m.get(key)
    if not isinstance(value, list) or len(value) != length or not all(type(v) is int for v in value):
        raise ModelFileError(f"{path}: field {key!r} must be a list of {length} integers, got {value!r}")
    return value


def load(path: str | Path) -> BitFusionMlp:
    """Read and validate a model file; every inconsistency is a ModelFileError naming the file and the field."""
    path = Path(path)
    m, files = read_model_file(path, MODEL_FORMAT, MODEL_VERSION)
    n = m.get("layers")
    if type(n) is not int or not 1 <= n <= 64:
        raise ModelFileError(f"{path}: field 'layers' must be an integer in 1..64, got {n!r}")
    a_bits, w_bits = _int_list(path, m, "a_bits", n), _int_list(path, m, "w_bits", n)
    for key, bits in (("a_bits", a_bits), ("w_bits", w_bits)):
        if any(b not in PRECISIONS for b in bits):
            raise ModelFileError(f"{path}: field {key!r} holds widths outside {PRECISIONS}: {bits}")
    shifts, widths = _int_list(path, m, "shifts", n - 1), _int_list(path, m, "acc_widths", n)
    info = m.get("info", {})
    if not isinstance(info, dict):
        raise ModelFileError(f"{path}: field 'info' must be a JSON object")
    weights, bias = [], []
    for i in range(n):
        for key in (f"w{i}", f"b{i}"):
            if key not in files:
                raise ModelFileError(f"{path}: missing field '{key}'")
        w, b = files[f"w{i}"], files[f"b{i}"]
        if w.dtype.kind not in "iu" or b.dtype.kind not in "iu":
            raise ModelFileError(f"{path}: field 'w{i}'/'b{i}' must hold integers, got {w.dtype}/{b.dtype}")
        w, b = w.astype(np.int64), b.astype(np.int64)
        if w.ndim != 2 or 0 in w.shape or b.shape != (w.shape[0],) or (weights and w.shape[1] != weights[-1].shape[0]):
            raise ModelFileError(f"{path}: field 'w{i}'/'b{i}' has inconsistent shape {w.shape}/{b.shape}")
        lo, hi = operand_range(w_bits[i], True)
        if w.min() < lo or w.max() > hi:
            raise ModelFileError(f"{path}: field 'w{i}' holds weights outside the {w_bits[i]}-bit range {lo}..{hi}")
        want = acc_width(w.shape[1], a_bits[i], w_bits[i])
        if widths[i] != want:
            raise ModelFileError(f"{path}: field 'acc_widths' entry {i} is {widths[i]}, the layer needs {want}")
        lim = product_limit(w.shape[1], a_bits[i], w_bits[i])
        if b.min() < -lim or b.max() > lim:
            raise ModelFileError(f"{path}: field 'b{i}' holds biases beyond +-{lim} (the accumulator could overflow)")
        if i < n - 1 and not 0 <= shifts[i] < widths[i]:
            raise ModelFileError(f"{path}: field 'shifts' entry {i} is {shifts[i]}, expected 0..{widths[i] - 1}")
        weights.append(w)
        bias.append(b)
    return BitFusionMlp(a_bits, w_bits, weights, bias, shifts, widths, info)
