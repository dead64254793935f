"""ULEEN / BTHOWeN weightless neural network: bit-exact golden model, gradient-free training, pruning, model file.

Integer semantics (what rtl/uleen computes, see rtl/uleen/README.md):
  - encoding (golden side only, the core's input bits ARE the thermometer bits): B bits per feature,
    bit (f, i) = x_f >= t[f, i]; Gaussian thresholds t[f, i] = mean_f + std_f * Phi^-1((i + 1) / (B + 1))
    over the training split (or linear: min_f + (max_f - min_f) * (i + 1) / (B + 1)); flattened index f * B + i;
  - per submodel s (inputs per filter n, entries E = 2^W, k hashes): the input bits are zero-padded to
    P = F * n (F = ceil(input_bits / n) filters) and permuted: xp[p] = x_pad[perm[p]]; filter f reads
    xp[f*n : (f+1)*n];
  - H3 hash: hash_h = XOR over j with xp_j = 1 of m[h][j], m[h][j] in [0, E); one parameter set per submodel;
  - Bloom lookup: filter output = AND over h of table[class][filter][hash_h] (1-bit entries);
  - class score = sum over submodels of the popcount of the unpruned filters' outputs + bias[class];
    biases are normalised to be >= 0 (argmax is invariant to a common offset), so scores are unsigned;
  - class = argmax, ties -> lowest index.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import NormalDist

import numpy as np

from edgebench.golden import packed
from edgebench.golden.datasets import Dataset
from edgebench.golden.modelfile import ModelFileError, atomic_savez, read_model_file

MODEL_FORMAT = "edgebench-uleen"
MODEL_VERSION = 1




@dataclass(frozen=True)
class SubmodelConfig:
    inputs_per_filter: int  # n
    entries: int  # E, a power of two
    hashes: int  # k


@dataclass(frozen=True)
class UleenTrainConfig:
    """Everything that determines a trained model; its JSON is the cache key."""

    bits_per_feature: int = 4
    encoding: str = "gaussian"  # or "linear"
    submodels: tuple[SubmodelConfig, ...] = (SubmodelConfig(16, 64, 2),)
    prune_fraction: float = 0.0  # fraction of filters dropped per class discriminator (per submodel)
    seed: int = 0


@dataclass
class Submodel:
    perm: np.ndarray  # (F * n,) int64, a permutation of range(F * n); values >= input_bits read zero padding
    h3: np.ndarray  # (k, n) int64 in [0, E)
    table: np.ndarray  # (C, F, E) uint8 bits
    mask: np.ndarray  # (C, F) uint8, 1 = filter kept, 0 = pruned

    @property
    def n(self) -> int:
        return int(self.h3.shape[1])

    @property
    def k(self) -> int:
        return int(self.h3.shape[0])

    @property
    def entries(self) -> int:
        return int(self.table.shape[2])

    @property
    def filters(self) -> int:
        return int(self.table.shape[1])


@dataclass
class UleenModel:
    bits_per_feature: int
    thresholds: np.ndarray  # (features, B) float64
    submodels: list[Submodel]
    bias: np.ndarray  # (C,) int64 >= 0
    train_config: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)  # bleaching thresholds, validation accuracies

    @property
    def input_bits(self) -> int:
        return int(self.thresholds.size)

    @property
    def n_classes(self) -> int:
        return int(self.bias.shape[0])

    def encode(self, x: np.ndarray) -> np.ndarray:
        return thermometer_encode(x, self.thresholds)

    @property
    def max_score(self) -> int:
        return int(sum(int(s.mask.sum(1).max()) for s in self.submodels) + int(self.bias.max(initial=0)))


# ----------------------------------------------------------------------------------------------- inference


def gaussian_thresholds(x_train: np.ndarray, bits: int) -> np.ndarray:
    """t[f, i] = mean_f + std_f * Phi^-1((i + 1) / (bits + 1)), (features, bits)."""
    x = np.asarray(x_train, dtype=np.float64)
    z = np.array([NormalDist().inv_cdf((i + 1) / (bits + 1)) for i in range(bits)])
    return x.mean(0)[:, None] + x.std(0)[:, None] * z[None, :]


def linear_thresholds(x_train: np.ndarray, bits: int) -> np.ndarray:
    x = np.asarray(x_train, dtype=np.float64)
    lo, hi = x.min(0), x.max(0)
    frac = (np.arange(bits) + 1) / (bits + 1)
    return lo[:, None] + (hi - lo)[:, None] * frac[None, :]


def thermometer_encode(x: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """(N, features) -> (N, features * B) uint8, index f * B + i."""
    x = np.asarray(x, dtype=np.float64)
    return (x[:, :, None] >= thresholds[None, :, :]).reshape(x.shape[0], -1).astype(np.uint8)


def permuted_inputs(sub: Submodel, x_bits: np.ndarray) -> np.ndarray:
    """Zero-pad to F * n and permute: (N, F, n) uint8."""
    n_samples, width = x_bits.shape
    padded = np.zeros((n_samples, sub.perm.size), dtype=np.uint8)
    padded[:, :width] = x_bits
    return padded[:, sub.perm].reshape(n_samples, sub.filters, sub.n)


def h3_hash(xf: np.ndarray, h3: np.ndarray, entries: int) -> np.ndarray:
    """H3 hashes of filter inputs (N, F, n) with parameters (k, n): (N, F, k) int64.

    XOR of the selected parameters, one input position at a time (memory O(N*F*k), no int64 matmul:
    a 54000-sample Fashion-MNIST split hashes in about a second). `entries` only documents the range.
    """
    n_samples, n_filters, n = xf.shape
    h3 = np.asarray(h3, dtype=np.int64)
    out = np.zeros((n_samples, n_filters, h3.shape[0]), dtype=np.int64)
    for j in range(n):
        out ^= xf[:, :, j, None].astype(np.int64) * h3[None, None, :, j]
    return out


def filter_outputs(sub: Submodel, x_bits: np.ndarray) -> np.ndarray:
    """Bloom filter outputs (N, C, F) uint8 (before pruning masks)."""
    hashes = h3_hash(permuted_inputs(sub, x_bits), sub.h3, sub.entries)  # (N, F, k)
    fidx = np.arange(sub.filters)[None, :, None]
    looked = sub.table[:, fidx, hashes]  # (C, N, F, k)
    return looked.all(-1).transpose(1, 0, 2).astype(np.uint8)


def submodel_scores(sub: Submodel, x_bits: np.ndarray) -> np.ndarray:
    """Popcount of the unpruned filters per class: (N, C) int64."""
    out = filter_outputs(sub, x_bits)
    return (out.astype(np.int64) * sub.mask[None, :, :]).sum(-1)


DIRECT_INPUTS = 12  # up to this many inputs per filter, a filter's output is tabulated over all its input values


class _SubmodelPlan:
    """Lookup plan of one submodel on bit planes (golden/packed.py): a filter's inputs are gathered into bytes;
    a filter with n <= DIRECT_INPUTS inputs looks its output up directly (2**n entries), a wider one XORs one
    table per input byte (H3 is linear over XOR) into its k hashes and ANDs the k Bloom-table words. Table words
    hold one packed field per class (table & mask), so the popcount over filters is a sum of words."""

    def __init__(self, sub: Submodel, input_bits: int, n_classes: int) -> None:
        n, k, e, f = sub.n, sub.k, sub.entries, sub.filters
        if sub.table.shape[0] != n_classes or sub.mask.shape != (n_classes, f):
            raise ValueError(f"table {sub.table.shape} / mask {sub.mask.shape} do not match {n_classes} classes")
        w = e.bit_length() - 1
        self.f, self.chunks = f, -(-n // 8)
        perm = sub.perm.reshape(f, n)
        src = np.full((f, self.chunks * 8), input_bits, dtype=np.intp)  # plane input_bits is all zero
        src[:, :n] = np.where(perm < input_bits, perm, input_bits)  # padding positions read zero
        self.src = src.reshape(f * self.chunks, 8)
        width = f.bit_length()  # a class counts at most F filters
        if n_classes * width > 64 and n_classes <= 64:
            width = 64 // n_classes  # narrower fields keep every class in one word; sum chunks of filters
        self.chunk = (1 << width) - 1  # filters per partial sum, so the count fits its field
        self.fields = packed.Fields(n_classes, min(f, self.chunk))
        kept = self.fields.pack((sub.table != 0) & (sub.mask[:, :, None] != 0))  # (words, F, E)
        h3 = sub.h3.astype(np.int64)
        if h3.size and (h3.min() < 0 or h3.max() >= e):
            raise ValueError(f"H3 parameters must lie in [0, {e}), got [{h3.min()}, {h3.max()}]")
        self.direct = n <= DIRECT_INPUTS
        if self.direct:
            v = np.arange(1 << n)
            out = np.full((self.fields.words, f, v.size), ~np.uint64(0))
            for h in range(k):
                hv = np.zeros(v.size, dtype=np.int64)
                for j in range(n):
                    hv ^= np.where((v >> j) & 1, h3[h, j], 0)
                out &= kept[:, :, hv]
            self.tables = out.reshape(self.fields.words, -1)
            self.offs = (np.arange(f, dtype=np.intp) << n)[:, None]
        else:
            per_lane = max(1, 62 // max(1, w))  # hashes side by side in one int64, below the sign bit
            v = np.arange(256)
            self.lanes = []
            for h0 in range(0, k, per_lane):
                hs = range(h0, min(k, h0 + per_lane))
                packed_h3 = np.zeros(self.chunks * 8, dtype=np.int64)
                for i, h in enumerate(hs):
                    packed_h3[:n] |= h3[h] << (i * w)
                byte_tables = np.zeros((self.chunks, 256), dtype=np.int64)
                for c in range(self.chunks):
                    for b in range(8):
                        byte_tables[c] ^= np.where((v >> b) & 1, packed_h3[c * 8 + b], 0)
                self.lanes.append((byte_tables, [i * w for i in range(len(hs))]))
            self.tables = kept.reshape(self.fields.words, -1)
            self.offs = (np.arange(f, dtype=np.intp) * e)[:, None]
            self.entry_mask = e - 1
        self.bytes_per_sample = f * (17 * self.chunks + 8 * (k + 3))  # rows, bytes, hashes, indices, lookups

    def counts(self, planes: np.ndarray) -> np.ndarray:
        """Bit planes (input_bits + 1, Np) -> per-class popcount of the kept filters' outputs (C, Np) uint64."""
        np_ = planes.shape[1]
        by = packed.plane_bytes(planes, self.src).reshape(self.f, self.chunks, np_).astype(np.intp)
        if self.direct:
            idx = by[:, 0]
            for c in range(1, self.chunks):
                idx |= by[:, c] << (8 * c)
            idx += self.offs
            hits = [np.take(t, idx) for t in self.tables]
        else:
            idxs = []
            for byte_tables, shifts in self.lanes:
                hv = np.take(byte_tables[0], by[:, 0])
                for c in range(1, self.chunks):
                    hv ^= np.take(byte_tables[c], by[:, c])
                for sh in shifts:
                    i = (hv >> sh) & self.entry_mask
                    i += self.offs
                    idxs.append(i)
            hits = []
            for t in self.tables:
                hit = np.take(t, idxs[0])
                for i in idxs[1:]:
                    hit &= np.take(t, i)
                hits.append(hit)
        total = np.zeros((self.fields.n_out, np_), dtype=np.uint64)
        for a in range(0, self.f, self.chunk):  # chunks of filters, not samples
            total += self.fields.unpack(np.stack([h[a : a + self.chunk].sum(axis=0, dtype=np.uint64) for h in hits]))
        return total


def forward(model: UleenModel, x_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Golden inference on input bit vectors (N, input_bits): (class (N,), scores (N, C)).

    Same integer semantics as `submodel_scores` (tests/golden check both against a per-sample scalar
    reference), computed with the lookup plans of `_SubmodelPlan`.
    """
    x = packed.check_bits(x_bits, model.input_bits)
    arrays = [np.array([model.input_bits, model.n_classes])]
    for s in model.submodels:
        arrays += [s.perm, s.h3, s.table, s.mask]
    plan = packed.cached_plan(
        model, arrays, lambda: [_SubmodelPlan(s, model.input_bits, model.n_classes) for s in model.submodels]
    )
    n = x.shape[0]
    scores = np.empty((n, model.n_classes), dtype=np.int64)
    per_sample = model.input_bits + 1 + 16 * model.n_classes + max((p.bytes_per_sample for p in plan), default=0)
    for blk in packed.sample_blocks(n, per_sample):
        planes = packed.bit_planes(x[blk])
        total = np.zeros((model.n_classes, planes.shape[1]), dtype=np.uint64)
        for p in plan:
            total += p.counts(planes)
        scores[blk] = total[:, : blk.stop - blk.start].T
    scores += model.bias.astype(np.int64)
    return np.argmax(scores, axis=1), scores  # first maximum: ties -> lowest index


def accuracy(model: UleenModel, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(forward(model, model.encode(x))[0] == y))


# ----------------------------------------------------------------------------------------------- training


def counting_tables(sub: Submodel, x_bits: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """BTHOWeN counting Bloom filters: each insertion sets the k hashed entries of the sample's class to
    max(entry, min(hashed entries) + 1). Sequential over samples by definition (training only)."""
    hashes = h3_hash(permuted_inputs(sub, x_bits), sub.h3, sub.entries)  # (N, F, k)
    counts = np.zeros((n_classes, sub.filters, sub.entries), dtype=np.int32)
    fidx = np.arange(sub.filters)[:, None]
    for i in range(len(y)):
        view = counts[y[i]]
        vals = view[fidx, hashes[i]]
        view[fidx, hashes[i]] = np.maximum(vals, vals.min(1, keepdims=True) + 1)
    return counts


def bleaching_threshold(sub: Submodel, counts: np.ndarray, x_bits: np.ndarray, y: np.ndarray) -> int:
    """Smallest b in 1..max(counts) maximising validation accuracy of the tables `counts >= b`.

    Filter output for threshold b is `min over hashes of the looked-up counts >= b`, so the minima are
    computed once; accuracy only changes where b passes one of their values, hence only b = 1 and b = v + 1
    (v a minimum) are evaluated (the smallest b of each constant stretch, same result as trying every b).
    """
    hashes = h3_hash(permuted_inputs(sub, x_bits), sub.h3, sub.entries)  # (N, F, k)
    fidx = np.arange(sub.filters)[None, :, None]
    minima = counts[:, fidx, hashes].min(-1)  # (C, N, F)
    top = int(counts.max())
    cands = np.unique(np.concatenate([[1], np.unique(minima) + 1]))
    best_b, best_acc = 1, -1.0
    for b in cands[(cands >= 1) & (cands <= top)]:
        scores = ((minima >= b) & (sub.mask[:, None, :] > 0)).sum(-1).T  # (N, C)
        acc = float(np.mean(np.argmax(scores, 1) == y))
        if acc > best_acc:
            best_b, best_acc = int(b), acc
    return best_b


def learn_bias(scores: np.ndarray, y: np.ndarray, span: int, rounds: int = 3) -> np.ndarray:
    """Integer per-class biases by coordinate ascent on accuracy (ties keep the smaller |bias|)."""
    n_classes = scores.shape[1]
    bias = np.zeros(n_classes, dtype=np.int64)
    candidates = sorted(range(-span, span + 1), key=abs)
    for _ in range(rounds):
        for c in range(n_classes):
            best_b, best_acc = bias[c], -1.0
            for b in candidates:
                bias[c] = b
                acc = float(np.mean(np.argmax(scores + bias[None, :], 1) == y))
                if acc > best_acc:
                    best_b, best_acc = b, acc
            bias[c] = best_b
    return bias - bias.min()


def train(cfg: UleenTrainConfig, data: Dataset) -> UleenModel:
    rng = np.random.default_rng(cfg.seed)
    if cfg.encoding == "gaussian":
        thresholds = gaussian_thresholds(data.x_train, cfg.bits_per_feature)
    elif cfg.encoding == "linear":
        thresholds = linear_thresholds(data.x_train, cfg.bits_per_feature)
    else:
        raise ValueError(f"unknown encoding {cfg.encoding!r}: gaussian or linear")
    xt = thermometer_encode(data.x_train, thresholds)
    xv = thermometer_encode(data.x_val, thresholds)
    n_classes = data.n_classes
    input_bits = xt.shape[1]
    subs, info = [], {"bleach": [], "val_acc_submodel": []}
    for sc in cfg.submodels:
        if sc.entries < 2 or sc.entries & (sc.entries - 1):
            raise ValueError(f"entries must be a power of two >= 2, got {sc.entries}")
        n_filters = -(-input_bits // sc.inputs_per_filter)
        perm = rng.permutation(n_filters * sc.inputs_per_filter)
        h3 = rng.integers(0, sc.entries, size=(sc.hashes, sc.inputs_per_filter))
        sub = Submodel(perm, h3, np.zeros((n_classes, n_filters, sc.entries), np.uint8),
                       np.ones((n_classes, n_filters), np.uint8))
        counts = counting_tables(sub, xt, data.y_train, n_classes)
        best_b = bleaching_threshold(sub, counts, xv, data.y_val)
        sub.table = (counts >= best_b).astype(np.uint8)
        best_acc = float(np.mean(np.argmax(submodel_scores(sub, xv), 1) == data.y_val))
        info["bleach"].append(best_b)
        info["val_acc_submodel"].append(best_acc)
        subs.append(sub)
    bias = np.zeros(n_classes, dtype=np.int64)
    if cfg.prune_fraction > 0:
        train_scores = np.zeros((len(xt), n_classes), dtype=np.int64)
        for sub in subs:
            out = filter_outputs(sub, xt).astype(np.float64)  # (N, C, F)
            onehot = np.eye(n_classes)[data.y_train].astype(bool)  # (N, C)
            pos = (out * onehot[:, :, None]).sum(0) / np.maximum(onehot.sum(0), 1)[:, None]
            neg = (out * ~onehot[:, :, None]).sum(0) / np.maximum((~onehot).sum(0), 1)[:, None]
            score = pos - neg  # (C, F): how much a filter separates its class from the others
            drop = int(round(cfg.prune_fraction * sub.filters))
            order = np.argsort(score, axis=1, kind="stable")[:, :drop]
            mask = np.ones_like(sub.mask)
            np.put_along_axis(mask, order, 0, axis=1)
            sub.mask = mask
            train_scores += submodel_scores(sub, xt)
        span = max(1, sum(s.filters for s in subs) // 4)
        bias = learn_bias(train_scores, data.y_train, span)
    model = UleenModel(cfg.bits_per_feature, thresholds, subs, bias, asdict(cfg), info)
    model.info["val_acc"] = accuracy(model, data.x_val, data.y_val)
    return model


# --------------------------------------------------------------------------------------------- model file


def save(model: UleenModel, path: str | Path) -> Path:
    """Model file: `.npz` (arrays only, no pickle) with a JSON manifest stored inside as `manifest`."""
    path = Path(path)
    manifest = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "bits_per_feature": model.bits_per_feature,
        "n_classes": model.n_classes,
        "submodels": [{"inputs_per_filter": s.n, "entries": s.entries, "hashes": s.k, "filters": s.filters}
                      for s in model.submodels],
        "train_config": model.train_config,
        "info": model.info,
    }
    arrays: dict[str, np.ndarray] = {"thresholds": model.thresholds, "bias": model.bias}
    for i, s in enumerate(model.submodels):
        arrays |= {f"perm{i}": s.perm, f"h3_{i}": s.h3, f"table{i}": s.table, f"mask{i}": s.mask}
    atomic_savez(path, manifest, arrays)
    return path


def _field(path: Path, files: dict, key: str, shape: tuple[int, ...]) -> np.ndarray:
    if key not in files:
        raise ModelFileError(f"{path}: missing field '{key}'")
    arr = files[key]
    if arr.shape != shape:
        raise ModelFileError(f"{path}: field '{key}' has shape {arr.shape}, expected {shape}")
    return arr


def _range(path: Path, key: str, arr: np.ndarray, lo: int, hi: int) -> None:
    if arr.size and (arr.min() < lo or arr.max() > hi):
        raise ModelFileError(f"{path}: field '{key}' out of range [{lo}, {hi}]")


def load(path: str | Path) -> UleenModel:
    """Load and validate a model file; every problem is a ModelFileError naming the file and field."""
    path = Path(path)
    manifest, files = read_model_file(path, MODEL_FORMAT, MODEL_VERSION)
    for key in ("bits_per_feature", "n_classes", "submodels"):
        if key not in manifest:
            raise ModelFileError(f"{path}: missing field 'manifest.{key}'")
    bits = int(manifest["bits_per_feature"])
    n_classes = int(manifest["n_classes"])
    if "thresholds" not in files:
        raise ModelFileError(f"{path}: missing field 'thresholds'")
    thresholds = files["thresholds"]
    if thresholds.ndim != 2 or thresholds.shape[1] != bits:
        raise ModelFileError(f"{path}: field 'thresholds' has shape {thresholds.shape}, expected (features, {bits})")
    input_bits = thresholds.size
    bias = _field(path, files, "bias", (n_classes,))
    _range(path, "bias", bias, 0, 1 << 30)
    subs = []
    for i, spec in enumerate(manifest["submodels"]):
        try:
            n, entries, k, n_filters = (int(spec[key]) for key in ("inputs_per_filter", "entries", "hashes", "filters"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: field 'manifest.submodels[{i}]' incomplete ({exc})") from None
        if entries < 2 or entries & (entries - 1):
            raise ModelFileError(f"{path}: field 'manifest.submodels[{i}].entries' = {entries} is not a power of two")
        if n_filters != -(-input_bits // n):
            raise ModelFileError(f"{path}: field 'manifest.submodels[{i}].filters' = {n_filters}, "
                                 f"expected ceil({input_bits} / {n})")
        perm = _field(path, files, f"perm{i}", (n_filters * n,))
        if not np.array_equal(np.sort(perm), np.arange(n_filters * n)):
            raise ModelFileError(f"{path}: field 'perm{i}' is not a permutation of 0..{n_filters * n - 1}")
        h3 = _field(path, files, f"h3_{i}", (k, n))
        _range(path, f"h3_{i}", h3, 0, entries - 1)
        table = _field(path, files, f"table{i}", (n_classes, n_filters, entries))
        _range(path, f"table{i}", table, 0, 1)
        mask = _field(path, files, f"mask{i}", (n_classes, n_filters))
        _range(path, f"mask{i}", mask, 0, 1)
        subs.append(Submodel(perm.astype(np.int64), h3.astype(np.int64), table.astype(np.uint8), mask.astype(np.uint8)))
    if not subs:
        raise ModelFileError(f"{path}: field 'manifest.submodels' is empty")
    return UleenModel(bits, thresholds.astype(np.float64), subs, bias.astype(np.int64),
                      manifest.get("train_config", {}), manifest.get("info", {}))
