"""Binarized MLP (FINN-style MVAU network): bit-exact golden model, NumPy training, model file.

Integer semantics (what the RTL computes, see rtl/bnn/README.md):
  - activations and weights are bits; bit 1 stands for +1 and bit 0 for -1;
  - a neuron's accumulator is p = popcount(XNOR(x, w)) over its MW inputs, 0 <= p <= MW
    (the bipolar dot product is 2p - MW);
  - hidden neuron output bit = (p >= T), T an integer in [0, MW + 1] (T = 0: always 1, T = MW + 1: always 0);
    a negative batch-norm scale is folded by inverting the neuron's weight row, so there is one direction only;
  - the output layer's class scores are the unsigned accumulators p; class = argmax, ties to the lowest index.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from edgebench.golden import packed
from edgebench.golden.datasets import Dataset
from edgebench.golden.encoding import thermometer_uniform
from edgebench.golden.modelfile import ModelFileError, atomic_savez, read_model_file

MODEL_FORMAT = "edgebench-bnn"
MODEL_VERSION = 1




@dataclass(frozen=True)
class BnnTrainConfig:
    """Everything that determines a trained model; its JSON is the cache key."""

    levels: int = 2  # thermometer levels per input feature
    hidden: tuple[int, ...] = (64, 64)
    epochs: int = 120
    batch: int = 64
    lr: float = 0.01
    seed: int = 0


@dataclass
class BnnModel:
    levels: int
    max_value: int
    weights: list[np.ndarray]  # per layer (MH, MW) uint8 bits
    thresholds: list[np.ndarray]  # per hidden layer (MH,) int64
    train_config: dict = field(default_factory=dict)

    @property
    def input_bits(self) -> int:
        return int(self.weights[0].shape[1])

    @property
    def layer_shapes(self) -> list[tuple[int, int]]:
        """(MH, MW) per layer."""
        return [(int(w.shape[0]), int(w.shape[1])) for w in self.weights]

    def encode(self, x: np.ndarray) -> np.ndarray:
        return thermometer_uniform(x, self.levels, self.max_value)


def xnor_popcount(x_bits: np.ndarray, w_bits: np.ndarray) -> np.ndarray:
    """popcount(XNOR(x, w)) for a batch (N, MW) against neurons (MH, MW): (N, MH) int64, exact."""
    x = x_bits.astype(np.int64)
    w = w_bits.astype(np.int64)
    return x @ w.T + (1 - x) @ (1 - w).T


def xnor_mismatches(x_words: np.ndarray, w_words: np.ndarray, mw: int) -> np.ndarray:
    """popcount(x XOR w) = MW - popcount(XNOR(x, w)) on packed words: x (N, W), w (W, MH) -> (N, MH).

    One XOR + popcount per 64-bit word (padding bits are 0 in both operands); uint8 sums while MW <= 255.
    """
    acc = np.uint8 if mw <= 255 else np.uint16 if mw < 1 << 16 else np.int64
    d = np.zeros((x_words.shape[0], w_words.shape[1]), dtype=acc)
    for j in range(w_words.shape[0]):  # per word of the input vector, not per sample
        d += packed.popcount(x_words[:, j : j + 1] ^ w_words[j])
    return d


def forward(model: BnnModel, x_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Golden inference on input bit vectors (N, input_bits): (class (N,), scores (N, classes)).

    Same integer semantics as `xnor_popcount` layer by layer (tests/golden check both against per-sample loops),
    computed as MW - popcount(x XOR w) on 64-bit words.
    """
    a = packed.check_bits(x_bits, model.input_bits)
    # weights packed into words, word-major (W, MH)
    plan = packed.cached_plan(model, model.weights,
                              lambda: [np.ascontiguousarray(packed.pack_words(w).T) for w in model.weights])
    shapes = model.layer_shapes
    # p = MW - d >= T  <=>  d < MW + 1 - T; T clipped to [0, MW + 1] changes no outcome (0 <= p <= MW)
    below = [(mw + 1 - np.minimum(np.maximum(t, 0), mw + 1)).astype(np.uint16 if mw < (1 << 16) - 1 else np.int64)
             for t, (_, mw) in zip(model.thresholds, shapes[:-1], strict=True)]
    n = a.shape[0]
    scores = np.empty((n, shapes[-1][0]), dtype=np.int64)
    for blk in packed.sample_blocks(n, 16 * max(mh for mh, _ in shapes)):  # XOR words, counts, bits
        x = packed.pack_words(a[blk])
        for w, b, (_, mw) in zip(plan[:-1], below, shapes[:-1], strict=True):
            x = packed.pack_words(xnor_mismatches(x, w, mw) < b)
        mw = shapes[-1][1]
        scores[blk] = mw - xnor_mismatches(x, plan[-1], mw).astype(np.int64)
    return np.argmax(scores, axis=1), scores  # np.argmax returns the first maximum: ties -> lowest index


def accuracy(model: BnnModel, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(forward(model, model.encode(x))[0] == y))


# ----------------------------------------------------------------------------------------------- training


def _sign(v: np.ndarray) -> np.ndarray:
    return np.where(v >= 0, 1.0, -1.0)


def fold_thresholds(
    w_latent: np.ndarray, mean: np.ndarray, std: np.ndarray, gamma: np.ndarray, beta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Fold sign(gamma * (s - mean) / std + beta) >= 0 on s = 2p - MW into (weight bits, integer T).

    gamma > 0:  s >= tau, tau = mean - beta * std / gamma   ->  p >= ceil((tau + MW) / 2)
    gamma < 0:  s <= tau; invert the row (p' = MW - p)       ->  p' >= ceil((MW - tau) / 2)
    gamma = 0:  constant output sign(beta)                   ->  T = 0 or MW + 1
    """
    mh, mw = w_latent.shape
    bits = (w_latent >= 0).astype(np.uint8)
    safe_gamma = np.where(gamma == 0, 1.0, gamma)
    tau = mean - beta * std / safe_gamma
    t_pos = np.ceil((tau + mw) / 2.0)
    t_neg = np.ceil((mw - tau) / 2.0)
    t_const = np.where(beta >= 0, 0.0, mw + 1.0)
    thresholds = np.where(gamma > 0, t_pos, np.where(gamma < 0, t_neg, t_const))
    flip = gamma < 0
    bits[flip] = 1 - bits[flip]
    return bits, np.clip(thresholds, 0, mw + 1).astype(np.int64)


class _Adam:
    def __init__(self, params: list[np.ndarray], lr: float) -> None:
        self.params, self.lr, self.t = params, lr, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads: list[np.ndarray], lr: float) -> None:
        self.t += 1
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= lr * (m / (1 - 0.9**self.t)) / (np.sqrt(v / (1 - 0.999**self.t)) + 1e-8)


def train(cfg: BnnTrainConfig, data: Dataset) -> BnnModel:
    """Train with a straight-through estimator (sign forward, hard-tanh gradient) and batch norm,
    then fold batch norm into integer thresholds. The model with the best validation accuracy
    (integer model) is kept."""
    rng = np.random.default_rng(cfg.seed)
    x_train = thermometer_uniform(data.x_train, cfg.levels, data.max_value)
    sizes = [x_train.shape[1], *cfg.hidden, data.n_classes]
    ws = [rng.uniform(-0.5, 0.5, size=(sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
    gammas = [np.ones(h) for h in cfg.hidden]
    betas = [np.zeros(h) for h in cfg.hidden]
    opt = _Adam(ws + gammas + betas, cfg.lr)
    out_scale = 1.0 / np.sqrt(sizes[-2])
    onehot = np.eye(data.n_classes)[data.y_train]
    n_hidden = len(cfg.hidden)
    eps = 1e-4

    def export() -> BnnModel:
        a = 2.0 * x_train - 1.0
        bits, thresholds = [], []
        for layer in range(n_hidden):
            s = a @ _sign(ws[layer]).T
            mean, std = s.mean(0), np.sqrt(s.var(0) + eps)
            b, t = fold_thresholds(ws[layer], mean, std, gammas[layer], betas[layer])
            bits.append(b)
            thresholds.append(t)
            a = _sign(gammas[layer] * (s - mean) / std + betas[layer])
        bits.append((ws[-1] >= 0).astype(np.uint8))
        return BnnModel(cfg.levels, data.max_value, bits, thresholds, asdict(cfg))

    best, best_acc = None, -1.0
    for epoch in range(cfg.epochs):
        lr = cfg.lr * 0.5 * (1 + np.cos(np.pi * epoch / cfg.epochs))
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), cfg.batch):
            idx = order[start : start + cfg.batch]
            a = 2.0 * x_train[idx] - 1.0
            caches = []
            for layer in range(n_hidden):
                wb = _sign(ws[layer])
                s = a @ wb.T
                mean, var = s.mean(0), s.var(0)
                inv_std = 1.0 / np.sqrt(var + eps)
                xhat = (s - mean) * inv_std
                y = gammas[layer] * xhat + betas[layer]
                caches.append((a, wb, xhat, inv_std, y))
                a = _sign(y)
            wb_out = _sign(ws[-1])
            z = (a @ wb_out.T) * out_scale
            z -= z.max(1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(1, keepdims=True)
            dz = (p - onehot[idx]) / len(idx)
            ds = dz * out_scale
            grads_w = [None] * len(ws)
            grads_g, grads_b = [None] * n_hidden, [None] * n_hidden
            grads_w[-1] = ds.T @ a
            da = ds @ wb_out
            for layer in reversed(range(n_hidden)):
                a_in, wb, xhat, inv_std, y = caches[layer]
                dy = da * (np.abs(y) <= 1.0)  # straight-through estimator of sign
                grads_g[layer] = (dy * xhat).sum(0)
                grads_b[layer] = dy.sum(0)
                dxhat = dy * gammas[layer]
                m = len(idx)
                ds = inv_std / m * (m * dxhat - dxhat.sum(0) - xhat * (dxhat * xhat).sum(0))
                grads_w[layer] = ds.T @ a_in
                da = ds @ wb
            opt.step(grads_w + grads_g + grads_b, lr)
            for w in ws:
                np.clip(w, -1.0, 1.0, out=w)
        if epoch % 5 == 4 or epoch == cfg.epochs - 1:
            model = export()
            acc = accuracy(model, data.x_val, data.y_val)
            if acc > best_acc:
                best, best_acc = model, acc
    assert best is not None
    return best


# --------------------------------------------------------------------------------------------- model file


def save(model: BnnModel, path: str | Path) -> Path:
    """Model file: `<path>` (.npz, arrays only, no pickle) with a JSON manifest stored inside as `manifest`."""
    path = Path(path)
    manifest = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "levels": model.levels,
        "max_value": model.max_value,
        "layers": len(model.weights),
        "train_config": model.train_config,
    }
    arrays = {f"w{i}": w for i, w in enumerate(model.weights)}
    arrays |= {f"t{i}": t for i, t in enumerate(model.thresholds)}
    atomic_savez(path, manifest, arrays)
    return path


def load(path: str | Path) -> BnnModel:
    """Load and validate a model file; every problem is a ModelFileError naming the file and field."""
    path = Path(path)
    manifest, files = read_model_file(path, MODEL_FORMAT, MODEL_VERSION)
    n_layers = int(manifest.get("layers", 0))
    weights, thresholds = [], []
    prev = None
    for i in range(n_layers):
        key = f"w{i}"
        if key not in files:
            raise ModelFileError(f"{path}: missing field '{key}'")
        w = files[key]
        if w.ndim != 2 or (prev is not None and w.shape[1] != prev):
            raise ModelFileError(f"{path}: field '{key}' has shape {w.shape}, expected (MH, {prev})")
        if not np.isin(w, (0, 1)).all():
            raise ModelFileError(f"{path}: field '{key}' must hold bits 0/1")
        weights.append(w.astype(np.uint8))
        if i < n_layers - 1:
            tkey = f"t{i}"
            if tkey not in files:
                raise ModelFileError(f"{path}: missing field '{tkey}'")
            t = files[tkey]
            if t.shape != (w.shape[0],):
                raise ModelFileError(f"{path}: field '{tkey}' has shape {t.shape}, expected ({w.shape[0]},)")
            if t.min() < 0 or t.max() > w.shape[1] + 1:
                raise ModelFileError(f"{path}: field '{tkey}' out of range [0, {w.shape[1] + 1}]")
            thresholds.append(t.astype(np.int64))
        prev = w.shape[0]
    if n_layers < 1:
        raise ModelFileError(f"{path}: field 'layers' must be >= 1")
    return BnnModel(int(manifest["levels"]), int(manifest["max_value"]), weights, thresholds,
                    manifest.get("train_config", {}))
