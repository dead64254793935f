"""LUTNet (Wang et al., FCCM 2019): bit-exact golden model, NumPy training from a trained BNN, model file.

Integer semantics (what the RTL computes, see rtl/lutnet/README.md):
  - activations are bits (1 = +1, 0 = -1), as in golden/bnn.py;
  - a layer with MW inputs has one connection map `conn` (MW, K), shared by all its neurons:
    synapse i reads the K inputs conn[i, 0] = i, conn[i, 1..K-1] (K-1 distinct other inputs drawn at random);
    its LUT address is  addr_i = sum_k x[conn[i, k]] << k ;
  - neuron h, synapse i has a K-input truth table tables[h, i, :] (2**K bits); the LUT output is
    tables[h, i, addr_i]; a pruned synapse has an all-zero table (it adds nothing to the popcount; any other
    constant would only shift the threshold);
  - accumulator p = popcount of the MW LUT outputs, 0 <= p <= MW;
  - hidden neuron output bit = (p >= T), T an integer in [0, MW + 1]; a negative batch-norm scale is folded by
    inverting the neuron's (unpruned) truth tables, so there is one comparison direction only;
  - the output layer's class scores are the unsigned popcounts p; class = argmax, ties to the lowest index.

Training (`train`): the trained BNN with the same hidden sizes (designs.bnn.cached_model) is pruned
(per neuron, the same number of synapses in every neuron of a layer, ranked by a data-driven importance, see
`synapse_importance`), every kept XNOR becomes a K-LUT whose table reproduces XNOR(x_i, w) whatever its extra
inputs, and the tables are retrained in Lagrange form f(x) = sum_v c_v prod_k (1 + v_k x_k) / 2 with a
straight-through estimator (forward: sign(c_v) at the one active vertex; backward: d f / d c_v = indicator,
d f / d x_k = (c_{v_k=+1} - c_{v_k=-1}) / 2 on sign(c)), with batch norm on the popcounts; the hardware truth
table is sign(c_v) >= 0 and batch norm is folded into integer thresholds as golden/bnn.py does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from edgebench.golden import bnn, packed
from edgebench.golden.datasets import Dataset
from edgebench.golden.encoding import thermometer_uniform
from edgebench.golden.modelfile import ModelFileError, atomic_savez, read_model_file

MODEL_FORMAT = "edgebench-lutnet"
MODEL_VERSION = 1
MAX_K = 6




@dataclass(frozen=True)
class LutnetTrainConfig:
    """Everything that determines a trained model; its JSON is the cache key."""

    k: int = 4
    bnn: bnn.BnnTrainConfig = bnn.BnnTrainConfig()  # the BNN the LUTNet starts from (same hidden sizes)
    prune: tuple[float, ...] = (0.5, 0.5, 0.5)  # fraction of synapses pruned per neuron, per layer
    epochs: int = 30
    batch: int = 64
    lr: float = 0.01
    seed: int = 0


@dataclass
class LutnetModel:
    levels: int
    max_value: int
    k: int
    conns: list[np.ndarray]  # per layer (MW, K) int64; conns[l][i, 0] == i
    tables: list[np.ndarray]  # per layer (MH, MW, 2**K) uint8 bits
    thresholds: list[np.ndarray]  # per hidden layer (MH,) int64
    train_config: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)  # accuracies, pruning ratio (informative only)

    @property
    def input_bits(self) -> int:
        return int(self.tables[0].shape[1])

    @property
    def layer_shapes(self) -> list[tuple[int, int]]:
        """(MH, MW) per layer."""
        return [(int(t.shape[0]), int(t.shape[1])) for t in self.tables]

    @property
    def n_classes(self) -> int:
        return int(self.tables[-1].shape[0])

    def encode(self, x: np.ndarray) -> np.ndarray:
        return thermometer_uniform(x, self.levels, self.max_value)

    def kept(self) -> list[np.ndarray]:
        """Per layer (MH, MW) bool: synapses whose table is not all zero (the pruned ones are)."""
        return [t.any(axis=2) for t in self.tables]

    def pruning_ratio(self) -> float:
        kept = self.kept()
        return 1.0 - sum(int(k.sum()) for k in kept) / sum(k.size for k in kept)


def lut_addresses(bits: np.ndarray, conn: np.ndarray) -> np.ndarray:
    """LUT address of every synapse: (N, MW) int64, addr[n, i] = sum_k bits[n, conn[i, k]] << k."""
    b = np.asarray(bits, dtype=np.int64)
    k = conn.shape[1]
    return (b[:, conn] << np.arange(k, dtype=np.int64)[None, None, :]).sum(axis=2)


def lut_popcount(bits: np.ndarray, conn: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """popcount over synapses of tables[h, i, addr_i] for a batch: (N, MH) int64, exact.

    The one-hot address matrix (N, MW * 2**K) times the flattened tables (MH, MW * 2**K): one matmul.
    """
    n = bits.shape[0]
    mh, mw, v = tables.shape
    flat = lut_addresses(bits, conn) + (np.arange(mw, dtype=np.int64) * v)[None, :]
    onehot = np.zeros((n, mw * v), dtype=np.float64)
    np.put_along_axis(onehot, flat, 1.0, axis=1)
    # float64 BLAS matmul of 0/1 values: every partial sum is an integer below 2**53, so this is exact
    return np.rint(onehot @ tables.reshape(mh, mw * v).astype(np.float64).T).astype(np.int64)


class _LookupLayer:
    """One layer's lookup plan: `per` synapses whose K-bit addresses fill one byte share a table of
    2**(per*K) entries holding the sum of their LUT outputs, every neuron in its own packed field."""

    def __init__(self, conn: np.ndarray, tables: np.ndarray) -> None:
        mh, mw, v = tables.shape
        k = conn.shape[1]
        if k > 8:
            raise ValueError(f"K={k}: the lookup path reads a synapse's address from one byte (K <= 8)")
        per = max(1, 8 // k)
        groups = -(-mw // per)
        self.mh, self.mw = mh, mw
        self.fields = packed.Fields(mh, mw)  # a neuron's count is at most MW
        syn = self.fields.pack(tables)  # (words, MW, V)
        vals = np.arange(1 << (per * k))
        tab = np.zeros((self.fields.words, groups, vals.size), dtype=np.uint64)
        self.src = np.full((groups, 8), mw, dtype=np.intp)  # bit plane MW is all zero
        for j in range(per):  # synapse j of every group: address bits [j*K, (j+1)*K) of the group's byte
            i = np.arange(groups) * per + j
            ok = i < mw
            tab[:, ok] += syn[:, i[ok]][:, :, (vals >> (j * k)) & (v - 1)]
            self.src[ok, j * k : (j + 1) * k] = conn[i[ok]]
        self.tables = tab.reshape(self.fields.words, -1)
        self.offs = (np.arange(groups, dtype=np.intp) * vals.size)[:, None]
        self.bytes_per_sample = mw + 1 + 24 * groups + 16 * mh  # bit planes, gathered rows, indices, lookups

    def counts(self, planes: np.ndarray) -> np.ndarray:
        """Bit planes of the layer input (MW + 1, Np) -> popcounts (MH, Np) uint64."""
        idx = packed.plane_bytes(planes, self.src).astype(np.intp)
        idx += self.offs
        return self.fields.unpack(packed.gather_sum(self.tables, idx))


def forward(model: LutnetModel, x_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Golden inference on input bit vectors (N, input_bits): (class (N,), scores (N, classes)).

    Same integer semantics as `lut_popcount` layer by layer (tests/golden check both against per-sample
    loops), computed with per-layer lookup tables over bit planes (golden/packed.py).
    """
    a = packed.check_bits(x_bits, model.input_bits)
    plan = packed.cached_plan(model, [*model.conns, *model.tables],
                              lambda: [_LookupLayer(c, t) for c, t in zip(model.conns, model.tables, strict=True)])
    # p >= T; T clipped to [0, MW + 1] keeps the comparison in uint64 and changes no outcome (0 <= p <= MW)
    thresholds = [np.minimum(np.maximum(t, 0), layer.mw + 1).astype(np.uint64)[:, None]
                  for layer, t in zip(plan[:-1], model.thresholds, strict=True)]
    n = a.shape[0]
    scores = np.empty((n, model.n_classes), dtype=np.int64)
    for blk in packed.sample_blocks(n, max(layer.bytes_per_sample for layer in plan)):
        planes = packed.bit_planes(a[blk])
        for layer, t in zip(plan[:-1], thresholds, strict=True):
            p = layer.counts(planes)
            planes = np.zeros((layer.mh + 1, p.shape[1]), dtype=np.uint8)
            np.greater_equal(p, t, out=planes[:-1].view(bool))
        scores[blk] = plan[-1].counts(planes)[:, : blk.stop - blk.start].T
    return np.argmax(scores, axis=1), scores  # np.argmax returns the first maximum: ties -> lowest index


def accuracy(model: LutnetModel, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(forward(model, model.encode(x))[0] == y))


# ----------------------------------------------------------------------------------------------- training


def random_connections(mw: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """(MW, K): column 0 is the synapse's own input i, columns 1..K-1 are K-1 distinct other inputs."""
    if not 1 <= k <= MAX_K or k > mw:
        raise ValueError(f"K={k} must be in [1, {MAX_K}] and <= MW={mw}")
    conn = np.zeros((mw, k), dtype=np.int64)
    conn[:, 0] = np.arange(mw)
    for i in range(mw):  # per synapse input, not per sample
        others = rng.choice(mw - 1, size=k - 1, replace=False)
        conn[i, 1:] = others + (others >= i)  # skip i itself
    return conn


def synapse_importance(x_bits: np.ndarray, w_bits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Importance of every synapse (MH, MW): how much its XNOR agrees with its neuron's output on the training
    set, w_bip[h, i] * corr(x_bip[:, i], target_bip[:, h]). The BNN model file stores binary weights only (no
    latent magnitudes), so this data-driven correlation stands in for a weight magnitude. Inputs that never
    change (blank pixels) get importance 0."""
    x = 2.0 * x_bits - 1.0
    t = 2.0 * target - 1.0
    xc, tc = x - x.mean(0), t - t.mean(0)
    cov = xc.T @ tc / len(x)  # (MW, MH)
    corr = cov / ((xc.std(0)[:, None] + 1e-9) * (tc.std(0)[None, :] + 1e-9))
    return (2.0 * w_bits - 1.0) * corr.T


def prune_masks(bnn_model: bnn.BnnModel, x_bits: np.ndarray, y: np.ndarray,
                prune: tuple[float, ...]) -> list[np.ndarray]:
    """Keep the round((1 - prune) * MW) most important synapses of every neuron: (MH, MW) bool per layer."""
    if len(prune) != len(bnn_model.weights):
        raise ValueError(f"prune has {len(prune)} entries, the BNN has {len(bnn_model.weights)} layers")
    masks = []
    a = x_bits
    for layer, w in enumerate(bnn_model.weights):
        mh, mw = w.shape
        if layer < len(bnn_model.thresholds):
            out = (bnn.xnor_popcount(a, w) >= bnn_model.thresholds[layer][None, :]).astype(np.uint8)
        else:
            out = np.eye(mh, dtype=np.uint8)[y]
        imp = synapse_importance(a, w, out)
        keep = max(1, int(round((1.0 - prune[layer]) * mw)))
        order = np.argsort(-imp, axis=1, kind="stable")[:, :keep]
        mask = np.zeros((mh, mw), dtype=bool)
        np.put_along_axis(mask, order, True, axis=1)
        masks.append(mask)
        a = out
    return masks


def xnor_tables(w_bits: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    """(MH, MW, 2**K) bits reproducing XNOR(x_i, w[h, i]) (address bit 0 is x_i); pruned synapses all zero."""
    v = np.arange(1 << k)
    tab = ((v[None, None, :] & 1) == w_bits[:, :, None]).astype(np.uint8)
    return tab * mask[:, :, None].astype(np.uint8)


def fold_thresholds(mean: np.ndarray, std: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                    m: int) -> tuple[np.ndarray, np.ndarray]:
    """Fold sign(gamma * (s - mean) / std + beta) >= 0 on s = 2p - m (m kept synapses per neuron) into
    (invert the neuron's tables?, integer T in [0, m + 1]); the rule of golden/bnn.fold_thresholds."""
    safe_gamma = np.where(gamma == 0, 1.0, gamma)
    tau = mean - beta * std / safe_gamma
    t_pos = np.ceil((tau + m) / 2.0)
    t_neg = np.ceil((m - tau) / 2.0)
    t_const = np.where(beta >= 0, 0.0, m + 1.0)
    thresholds = np.where(gamma > 0, t_pos, np.where(gamma < 0, t_neg, t_const))
    return gamma < 0, np.clip(thresholds, 0, m + 1).astype(np.int64)


def _sign(v: np.ndarray) -> np.ndarray:
    return np.where(v >= 0, 1.0, -1.0)


class _LutLayer:
    """Latent Lagrange coefficients c (MH, MW * 2**K) of one layer, forward/backward on a batch."""

    def __init__(self, conn: np.ndarray, tables: np.ndarray, mask: np.ndarray) -> None:
        self.conn = conn
        mh, mw, v = tables.shape
        self.mh, self.mw, self.v, self.k = mh, mw, v, conn.shape[1]
        self.mask = mask.astype(np.float64)  # (MH, MW)
        self.mask_t = np.ascontiguousarray(mask.T, dtype=np.float32)  # (MW, MH)
        self.m = int(mask.sum(1)[0])
        self.c = np.where(tables.reshape(mh, mw * v) > 0, 0.5, -0.5)
        self.offsets = (np.arange(mw, dtype=np.int64) * v)[None, :]
        # Heavily pruned layers (fewer than half the synapses kept, as in the 784-input layer of a paper-scale
        # network) compute on their kept synapses only: (MH, m) input indices, every neuron keeps m. The dense
        # path stays for the others, so the suite's models (50 % pruned) train exactly as before.
        self.kept = np.nonzero(mask)[1].reshape(mh, self.m) if 2 * self.m < mw else None
        if self.kept is not None:
            base = (np.arange(mh, dtype=np.int64) * (mw * v))[:, None] + self.kept * v  # (MH, m) into c.ravel()
            self.kept_base = base[None, :, :]
            self.kept_conn = [conn[self.kept, k] for k in range(self.k)]  # (MH, m) input each address bit reads

    def forward(self, bits: np.ndarray) -> tuple[np.ndarray, tuple]:
        """bits (N, MW) {0,1} -> s (N, MH) = sum over kept synapses of sign(c at the active vertex)."""
        if self.kept is not None:
            return self._forward_kept(bits)
        addr = lut_addresses(bits, self.conn)
        flat = addr + self.offsets
        cbt = np.where(self.c.T >= 0, np.float32(1), np.float32(-1))  # (MW * 2**K, MH), rows gather fast
        y = cbt[flat]  # (N, MW, MH)
        s = np.einsum("nih,ih->nh", y, self.mask_t)
        return s.astype(np.float64), (addr, flat, cbt, y)

    def sums(self, bits: np.ndarray, chunk_bytes: int = 1 << 28) -> np.ndarray:
        """forward's s alone, over a data set of any size: in chunks whose (n, MW, MH) float32 gather stays under
        chunk_bytes (the whole 54,000-image training split of a 784 x 256 layer would need 40 GiB at once)."""
        step = max(1, chunk_bytes // (4 * self.mw * self.mh))
        return np.concatenate([self.forward(bits[i:i + step])[0] for i in range(0, len(bits), step)]) \
            if len(bits) else np.zeros((0, self.mh))

    def backward(self, ds: np.ndarray, cache: tuple, need_dx: bool) -> tuple[np.ndarray, np.ndarray | None]:
        if self.kept is not None:
            return self._backward_kept(ds, cache, need_dx)
        addr, flat, cbt, y = cache
        n = ds.shape[0]
        # d L / d c[h, i*V + addr[n, i]] += ds[n, h] for kept synapses: one bincount over (h, flat index)
        idx = (np.arange(self.mh, dtype=np.int64) * (self.mw * self.v))[None, None, :] + flat[:, :, None]
        wts = np.broadcast_to(ds[:, None, :], idx.shape)
        dc = np.bincount(idx.ravel(), weights=wts.ravel(), minlength=self.mh * self.mw * self.v)
        dc = dc.reshape(self.mh, self.mw, self.v) * self.mask[:, :, None]
        if not need_dx:
            return dc.reshape(self.mh, -1), None
        dx = np.zeros((n, self.mw))
        dy = ds.astype(np.float32)[:, None, :] * self.mask_t[None, :, :]  # (N, MW, MH)
        for k in range(self.k):
            bit = 1 << k
            # (c at x_k = +1) - (c at x_k = -1): the active vertex y and its neighbour across bit k
            other = cbt[(addr ^ bit) + self.offsets]
            sgn = 2.0 * ((addr >> k) & 1) - 1.0
            dxi = np.einsum("nih,nih->ni", dy, y - other) * (0.5 * sgn)
            np.add.at(dx.T, self.conn[:, k], dxi.T)
        return dc.reshape(self.mh, -1), dx

    def _forward_kept(self, bits: np.ndarray) -> tuple[np.ndarray, tuple]:
        """forward on the kept synapses only: the same s, from (N, MH, m) gathers instead of (N, MW, MH)."""
        addr = lut_addresses(bits, self.conn)[:, self.kept]  # (N, MH, m) active vertex of each kept synapse
        flat = self.kept_base + addr  # into c.ravel(): neuron h, synapse kept[h, j], vertex addr
        y = np.where(self.c.ravel()[flat] >= 0, np.float32(1), np.float32(-1))
        return y.sum(axis=2, dtype=np.float64), (addr, flat, y)

    def _backward_kept(self, ds: np.ndarray, cache: tuple, need_dx: bool) -> tuple[np.ndarray, np.ndarray | None]:
        addr, flat, y = cache
        n = ds.shape[0]
        wts = np.broadcast_to(ds[:, :, None], flat.shape)
        dc = np.bincount(flat.ravel(), weights=wts.ravel(), minlength=self.mh * self.mw * self.v)
        if not need_dx:
            return dc.reshape(self.mh, -1), None
        dx = np.zeros((n, self.mw))
        rows = (np.arange(n, dtype=np.int64) * self.mw)[:, None, None]
        cf = self.c.ravel()
        for k in range(self.k):
            bit = 1 << k
            # flat is a multiple of V plus the vertex, so flat ^ bit is the neighbour across bit k
            other = np.where(cf[flat ^ bit] >= 0, np.float32(1), np.float32(-1))
            sgn = 2.0 * ((addr >> k) & 1) - 1.0
            dxi = wts * (y - other) * (0.5 * sgn)  # (N, MH, m)
            dx += np.bincount((rows + self.kept_conn[k][None]).ravel(), weights=dxi.ravel(),
                              minlength=n * self.mw).reshape(n, self.mw)
        return dc.reshape(self.mh, -1), dx

    def tables(self) -> np.ndarray:
        tab = (self.c >= 0).astype(np.uint8).reshape(self.mh, self.mw, self.v)
        return tab * self.mask[:, :, None].astype(np.uint8)


def train(cfg: LutnetTrainConfig, data: Dataset, bnn_model: bnn.BnnModel) -> LutnetModel:
    """Prune the BNN, replace its XNORs by K-LUTs, retrain the tables (Lagrange form, STE) and batch norm,
    fold batch norm into thresholds. The model with the best validation accuracy is kept."""
    rng = np.random.default_rng(cfg.seed)
    levels = bnn_model.levels
    x_train = thermometer_uniform(data.x_train, levels, data.max_value)
    shapes = bnn_model.layer_shapes
    n_layers = len(shapes)
    n_hidden = n_layers - 1
    masks = prune_masks(bnn_model, x_train, data.y_train, cfg.prune)
    conns = [random_connections(mw, cfg.k, rng) for _, mw in shapes]
    layers = [_LutLayer(conns[i], xnor_tables(bnn_model.weights[i], masks[i], cfg.k), masks[i])
              for i in range(n_layers)]

    # Batch norm starts where the pruned BNN's thresholds are: the BNN threshold on s = 2p - MW, scaled by the
    # kept fraction, at the training set's statistics.
    gammas = [np.ones(mh) for mh, _ in shapes[:-1]]
    betas = []
    eps = 1e-4
    a = x_train
    for layer in range(n_hidden):
        s = layers[layer].sums(a)
        mean, std = s.mean(0), np.sqrt(s.var(0) + eps)
        mw = shapes[layer][1]
        tau = (2.0 * bnn_model.thresholds[layer] - mw - 1.0) * layers[layer].m / mw
        betas.append((mean - tau) / std)
        a = (s >= tau).astype(np.uint8)

    params = [ly.c for ly in layers] + gammas + betas
    opt = bnn._Adam(params, cfg.lr)
    out_scale = 1.0 / np.sqrt(layers[-1].m)
    onehot_y = np.eye(data.n_classes)[data.y_train]

    def export() -> LutnetModel:
        a = x_train
        tables, thresholds = [], []
        for layer in range(n_hidden):
            s = layers[layer].sums(a)
            mean, std = s.mean(0), np.sqrt(s.var(0) + eps)
            flip, t = fold_thresholds(mean, std, gammas[layer], betas[layer], layers[layer].m)
            tab = layers[layer].tables()
            tab[flip] = (1 - tab[flip]) * masks[layer][flip][:, :, None]
            tables.append(tab)
            thresholds.append(t)
            a = (gammas[layer] * (s - mean) / std + betas[layer] >= 0).astype(np.uint8)
        tables.append(layers[-1].tables())
        return LutnetModel(levels, data.max_value, cfg.k, conns, tables, thresholds, train_config_dict(cfg))

    best, best_acc = export(), -1.0
    best_acc = accuracy(best, data.x_val, data.y_val)
    for epoch in range(cfg.epochs):
        lr = cfg.lr * 0.5 * (1 + np.cos(np.pi * epoch / cfg.epochs))
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), cfg.batch):
            idx = order[start : start + cfg.batch]
            m = len(idx)
            bits = x_train[idx]
            caches = []
            for layer in range(n_hidden):
                s, lc = layers[layer].forward(bits)
                mean, var = s.mean(0), s.var(0)
                inv_std = 1.0 / np.sqrt(var + eps)
                xhat = (s - mean) * inv_std
                yb = gammas[layer] * xhat + betas[layer]
                caches.append((lc, xhat, inv_std, yb))
                bits = (yb >= 0).astype(np.uint8)
            s_out, lc_out = layers[-1].forward(bits)
            z = s_out * out_scale
            z -= z.max(1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(1, keepdims=True)
            ds = (p - onehot_y[idx]) / m * out_scale
            grads_c = [None] * n_layers
            grads_g, grads_b = [None] * n_hidden, [None] * n_hidden
            grads_c[-1], da = layers[-1].backward(ds, lc_out, need_dx=True)
            for layer in reversed(range(n_hidden)):
                lc, xhat, inv_std, yb = caches[layer]
                dy = da * (np.abs(yb) <= 1.0)  # straight-through estimator of sign
                grads_g[layer] = (dy * xhat).sum(0)
                grads_b[layer] = dy.sum(0)
                dxhat = dy * gammas[layer]
                ds = inv_std / m * (m * dxhat - dxhat.sum(0) - xhat * (dxhat * xhat).sum(0))
                grads_c[layer], da = layers[layer].backward(ds, lc, need_dx=layer > 0)
            opt.step(grads_c + grads_g + grads_b, lr)
            for ly in layers:
                np.clip(ly.c, -1.0, 1.0, out=ly.c)
        if epoch % 3 == 2 or epoch == cfg.epochs - 1:
            model = export()
            acc = accuracy(model, data.x_val, data.y_val)
            if acc > best_acc:
                best, best_acc = model, acc
    best.report = {
        "val_accuracy": best_acc,
        "test_accuracy": accuracy(best, data.x_test, data.y_test),
        "bnn_test_accuracy": bnn.accuracy(bnn_model, data.x_test, data.y_test),
        "pruning_ratio": best.pruning_ratio(),
    }
    return best


def train_config_dict(cfg: LutnetTrainConfig) -> dict:
    d = asdict(cfg)
    d["prune"] = list(cfg.prune)
    d["bnn"]["hidden"] = list(cfg.bnn.hidden)
    return d


# --------------------------------------------------------------------------------------------- model file


def save(model: LutnetModel, path: str | Path) -> Path:
    """Model file: `<path>` (.npz, arrays only, no pickle) with a JSON manifest stored inside as `manifest`."""
    path = Path(path)
    manifest = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "levels": model.levels,
        "max_value": model.max_value,
        "k": model.k,
        "layers": len(model.tables),
        "train_config": model.train_config,
        "report": model.report,
    }
    arrays = {f"conn{i}": c for i, c in enumerate(model.conns)}
    arrays |= {f"tables{i}": t for i, t in enumerate(model.tables)}
    arrays |= {f"t{i}": t for i, t in enumerate(model.thresholds)}
    atomic_savez(path, manifest, arrays)
    return path


def _int_field(path: Path, manifest: dict, name: str, lo: int, hi: int) -> int:
    value = manifest.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ModelFileError(f"{path}: field '{name}' must be an integer in [{lo}, {hi}], got {value!r}")
    return value


def load(path: str | Path) -> LutnetModel:
    """Load and validate a model file; every problem is a ModelFileError naming the file and field."""
    path = Path(path)
    manifest, files = read_model_file(path, MODEL_FORMAT, MODEL_VERSION)
    k = _int_field(path, manifest, "k", 1, MAX_K)
    n_layers = _int_field(path, manifest, "layers", 1, 64)
    levels = _int_field(path, manifest, "levels", 1, 1 << 16)
    max_value = _int_field(path, manifest, "max_value", 1, 1 << 30)
    conns, tables, thresholds = [], [], []
    prev = None
    for i in range(n_layers):
        for key in (f"conn{i}", f"tables{i}"):
            if key not in files:
                raise ModelFileError(f"{path}: missing field '{key}'")
        tab = files[f"tables{i}"]
        if tab.ndim != 3 or tab.shape[2] != 1 << k or (prev is not None and tab.shape[1] != prev):
            raise ModelFileError(
                f"{path}: field 'tables{i}' has shape {tab.shape}, expected (MH, {prev or 'MW'}, {1 << k})"
            )
        if not np.issubdtype(tab.dtype, np.integer) or not np.isin(tab, (0, 1)).all():
            raise ModelFileError(f"{path}: field 'tables{i}' must hold bits 0/1")
        mw = tab.shape[1]
        conn = files[f"conn{i}"]
        if conn.shape != (mw, k) or not np.issubdtype(conn.dtype, np.integer):
            raise ModelFileError(f"{path}: field 'conn{i}' has shape {conn.shape}, expected integers ({mw}, {k})")
        if conn.min() < 0 or conn.max() >= mw:
            raise ModelFileError(f"{path}: field 'conn{i}' out of range [0, {mw - 1}]")
        if not np.array_equal(conn[:, 0], np.arange(mw)):
            raise ModelFileError(f"{path}: field 'conn{i}' column 0 must be the synapse's own input 0..{mw - 1}")
        conns.append(conn.astype(np.int64))
        tables.append(tab.astype(np.uint8))
        if i < n_layers - 1:
            tkey = f"t{i}"
            if tkey not in files:
                raise ModelFileError(f"{path}: missing field '{tkey}'")
            t = files[tkey]
            if t.shape != (tab.shape[0],) or not np.issubdtype(t.dtype, np.integer):
                raise ModelFileError(f"{path}: field '{tkey}' has shape {t.shape}, expected integers ({tab.shape[0]},)")
            if t.min() < 0 or t.max() > mw + 1:
                raise ModelFileError(f"{path}: field '{tkey}' out of range [0, {mw + 1}]")
            thresholds.append(t.astype(np.int64))
        prev = tab.shape[0]
    return LutnetModel(levels, max_value, k, conns, tables, thresholds,
                       manifest.get("train_config", {}), manifest.get("report", {}))
