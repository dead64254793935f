"""Import of published BTHOWeN models (Susskind et al., PACT 2022; github.com/ZSusskind/BTHOWeN) as edgebench ULEEN
model files (golden/uleen.py), so `edgebench bench --design uleen --model` runs them on the ULEEN core.

Their format, from `software_model/` (wisard.py, bloom_filter.py, train_swept_models.py, evaluate.py): a
`.pickle.lzma` file (xz) holding `{"info": {...}, "model": wisard.WiSARD}`:
  - `WiSARD.input_order`: a permutation of the (zero-padded) input bits; `pad_zeros` zero bits are appended before
    it is applied (absent in the published pickles: evaluate.py then sets 0, and so does this importer);
  - `WiSARD.discriminators`: one `wisard.Discriminator` per class, each with `filters`, a list of
    `bloom_filter.BloomFilter`; filter `f` reads bits `f*n .. f*n+n-1` of the reordered input;
  - `BloomFilter.hash_values`: the H3 parameters (k, n), one array shared by every filter of the model;
    `BloomFilter.data`: the table (E entries); `bleach`: the threshold, so an entry is set when `data >= bleach`
    (their `save_model` binarizes: data in {0, 1}, bleach 1);
  - inference: `h3 = XOR over j with x_j = 1 of hash_values[h][j]`; a filter fires when `min over h of
    data[h3] >= bleach` (the AND of the binarized entries); a class's response is the number of its filters that
    fire; the prediction is the lowest-indexed maximum (`train_swept_models.run_inference` takes `prediction[0]`).
  - encoding (train_swept_models.binarize_datasets): a Gaussian thermometer whose bits are ordered level-major,
    bit `level * features + feature`; edgebench's is feature-major (`feature * B + level`), so the importer
    rewrites the permutation through that index map and the core computes exactly their filters.

The encoding thresholds are NOT in the pickle: evaluate.py recomputes them from the training set every time. For
MNIST that is torchvision's MNIST training file (all 60000 images, before their 90/10 validation split) through
`ToTensor` (pixel / 255 in float32), with `t = mean + skew * std` per pixel in float32 (NumPy 1.x casting: the
float64 `norm.ppf` skew is cast to float32), and a bit is `x >= t`. `thresholds()` repeats exactly those float32
operations on the training split of the dataset the user names (`--dataset`: edgebench's train + validation
splits, which for an IDX directory are the whole training file in its order) and turns each threshold into the
smallest integer pixel value whose float32 `p / 255` reaches it, so the integer comparison edgebench's encoder makes
(`x >= t`) gives the same bit for every pixel value 0..max_value. Their tabular datasets (pandas float64, no scaling)
are not reproduced.

Safety: a pickle can run any code it names. The unpickler here resolves only the three BTHOWeN class names (to
inert stand-in classes defined below, which only receive attributes) and the NumPy functions that rebuild arrays,
dtypes and scalars; any other global is refused before it is looked up, with its name in the error. The
decompressed stream is capped (MAX_PICKLE_BYTES). Nothing is ever written as a pickle: the result is saved by
golden.uleen.save (an `.npz` of arrays and a JSON manifest).
"""

from __future__ import annotations

import io
import lzma
import pickle
from pathlib import Path
from statistics import NormalDist

import numpy as np

from edgebench.golden import uleen
from edgebench.golden.datasets import Dataset
from edgebench.golden.errors import EdgebenchError, one_line
from edgebench.golden.modelfile import file_sha256

try:  # NumPy 2 moved the array reconstruction helpers to numpy._core; pickles name either module
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - NumPy 1
    from numpy.core import multiarray as _multiarray  # type: ignore[no-redef]

# The largest decompressed pickle accepted. Their MNIST-Large model (int64 tables, 10 x 96 x 8192 entries) is about
# 64 MB; a bigger stream is not a BTHOWeN model, and an xz bomb must not fill the memory.
MAX_PICKLE_BYTES = 1 << 30
PIXEL_SCALE = 255  # torchvision's ToTensor divides 8-bit pixels by 255: the scale their MNIST thresholds live in


class BthowenImportError(EdgebenchError, ValueError):
    """The file is not a BTHOWeN model this importer can convert; the message names the file and what is wrong."""


# ------------------------------------------------------------------------------------ restricted unpickling


class _StandIn:
    """Receives a pickled object's attributes (pickle's default BUILD: `__dict__.update`) and does nothing else."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {sorted(vars(self))}>"


class WiSARD(_StandIn):
    """Stand-in for BTHOWeN's wisard.WiSARD."""


class Discriminator(_StandIn):
    """Stand-in for BTHOWeN's wisard.Discriminator."""


class BloomFilter(_StandIn):
    """Stand-in for BTHOWeN's bloom_filter.BloomFilter."""


_ALLOWED: dict[tuple[str, str], object] = {
    ("wisard", "WiSARD"): WiSARD,
    ("wisard", "Discriminator"): Discriminator,
    ("bloom_filter", "BloomFilter"): BloomFilter,
    # what NumPy 1 (numpy.core) and NumPy 2 (numpy._core) write for arrays, dtypes and scalars
    ("numpy.core.multiarray", "_reconstruct"): _multiarray._reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _multiarray._reconstruct,
    ("numpy.core.multiarray", "scalar"): _multiarray.scalar,
    ("numpy._core.multiarray", "scalar"): _multiarray.scalar,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class RefusedGlobal(pickle.UnpicklingError):
    """The pickle names a global outside _ALLOWED; it was not imported or called."""


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise RefusedGlobal(f"{module}.{name}") from None


def read_pickle(path: str | Path) -> object:
    """The object in a BTHOWeN `.pickle.lzma` (xz or legacy lzma), unpickled with only the known globals."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            decompressor = lzma.LZMADecompressor()  # FORMAT_AUTO: .xz and legacy .lzma
            raw = decompressor.decompress(f.read(), max_length=MAX_PICKLE_BYTES + 1)
    except FileNotFoundError:
        raise BthowenImportError(f"{path}: no such file; pass the path of a BTHOWeN .pickle.lzma model") from None
    except IsADirectoryError:
        raise BthowenImportError(f"{path}: is a directory; pass the path of a BTHOWeN .pickle.lzma model") from None
    except OSError as exc:
        raise BthowenImportError(one_line(f"{path}: cannot read it ({exc})")) from None
    except lzma.LZMAError as exc:
        raise BthowenImportError(one_line(
            f"{path}: not a readable xz/lzma file ({exc}); a BTHOWeN model is a .pickle.lzma as their "
            "train_swept_models.py writes it, undamaged")) from None
    if len(raw) > MAX_PICKLE_BYTES:
        raise BthowenImportError(f"{path}: decompresses to more than {MAX_PICKLE_BYTES} bytes; not a BTHOWeN model "
                                 "this importer takes")
    if not decompressor.eof:
        raise BthowenImportError(f"{path}: the xz/lzma stream is truncated (no end marker); the file is incomplete, "
                                 "download or copy it again")
    try:
        return _RestrictedUnpickler(io.BytesIO(raw)).load()
    except RefusedGlobal as exc:
        raise BthowenImportError(
            f"{path}: refused to load global {exc} (a BTHOWeN model pickle names only wisard.WiSARD, "
            "wisard.Discriminator, bloom_filter.BloomFilter and NumPy arrays); nothing in it was run"
        ) from None
    except (EOFError, pickle.UnpicklingError) as exc:
        reason = "the pickle is truncated" if isinstance(exc, EOFError) or "truncated" in str(exc) else str(exc)
        raise BthowenImportError(one_line(f"{path}: not a readable pickle ({reason}); the file is damaged or "
                                          "incomplete, copy it again")) from None
    except (TypeError, ValueError, AttributeError, IndexError, KeyError, MemoryError, RecursionError,
            OverflowError) as exc:  # an allowed constructor called with damaged arguments
        raise BthowenImportError(one_line(
            f"{path}: corrupt pickle ({type(exc).__name__}: {exc}); the file is damaged, copy it again")) from None


# ------------------------------------------------------------------------------------------- conversion


def _int_array(path: Path, what: str, value: object, ndim: int) -> np.ndarray:
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biu" or value.ndim != ndim:
        raise BthowenImportError(f"{path}: {what} must be a {ndim}-d integer array, got "
                                 f"{getattr(value, 'dtype', type(value).__name__)} {getattr(value, 'shape', '')}")
    return value.astype(np.int64)


def _attr(path: Path, obj: object, cls: type, what: str, name: str) -> object:
    if not isinstance(obj, cls):
        raise BthowenImportError(f"{path}: {what} is a {type(obj).__name__}, expected a BTHOWeN {cls.__name__}")
    if name not in vars(obj):
        raise BthowenImportError(f"{path}: {what} has no '{name}'; not a BTHOWeN model this importer knows")
    return vars(obj)[name]


def thresholds(data: Dataset, bits: int) -> np.ndarray:
    """Integer thermometer thresholds (features, bits) that give the bits of BTHOWeN's binarize_datasets (Gaussian,
    float32, pixels / 255) on the training split of `data`: bit (f, i) = x_f >= t[f, i] for every integer x_f."""
    x = np.concatenate([data.x_train, data.x_val]).astype(np.float32) / np.float32(PIXEL_SCALE)
    mean, std = x.mean(axis=0), x.std(axis=0)  # float32 in, float32 out, as theirs
    out = np.empty((x.shape[1], bits), dtype=np.float64)
    values = np.arange(data.max_value + 1, dtype=np.float32) / np.float32(PIXEL_SCALE)  # increasing
    for i in range(bits):
        skew = np.float32(NormalDist().inv_cdf((i + 1) / (bits + 1)))  # scipy's norm.ppf, cast as NumPy 1 did
        t = mean + skew * std  # float32
        out[:, i] = np.searchsorted(values, t, side="left")  # first value >= t; max_value + 1: never
    return out


def convert(state: object, data: Dataset, path: Path) -> uleen.UleenModel:
    """A BTHOWeN pickle's content (read_pickle) -> edgebench UleenModel (one submodel, no pruning, zero biases)."""
    if isinstance(state, dict) and "model" in state:
        info, model = state.get("info", {}), state["model"]
    else:
        raise BthowenImportError(f"{path}: holds a {type(state).__name__}, not the {{'info', 'model'}} dict "
                                 "BTHOWeN's save_model writes")
    if not isinstance(info, dict):
        raise BthowenImportError(f"{path}: 'info' is a {type(info).__name__}, expected a dict")
    order = _int_array(path, "WiSARD.input_order", _attr(path, model, WiSARD, "model", "input_order"), 1)
    pad = vars(model).get("pad_zeros", 0)  # absent in the published pickles; evaluate.py sets 0
    discs = _attr(path, model, WiSARD, "model", "discriminators")
    if not isinstance(discs, list) or not discs:
        raise BthowenImportError(f"{path}: WiSARD.discriminators must be a non-empty list")
    bits = info.get("bits_per_input")
    if type(bits) is not int or bits < 1:
        raise BthowenImportError(f"{path}: info['bits_per_input'] is {bits!r}, expected a positive integer (the "
                                 "thermometer bits per input, which the thresholds need)")
    if type(pad) is not int or not 0 <= pad < order.size:
        raise BthowenImportError(f"{path}: WiSARD.pad_zeros is {pad!r}, expected an integer in [0, {order.size})")
    input_bits = order.size - pad
    if input_bits % bits:
        raise BthowenImportError(f"{path}: {input_bits} input bits are not a multiple of bits_per_input = {bits}")
    features = input_bits // bits
    if features != data.n_features:
        raise BthowenImportError(f"{path}: the model reads {features} inputs ({bits} bits each), dataset "
                                 f"{data.name!r} has {data.n_features} features; pass --dataset of the data it "
                                 "was trained on (its training split gives the thresholds)")
    if info.get("num_inputs", features) != features:
        raise BthowenImportError(f"{path}: info['num_inputs'] = {info.get('num_inputs')!r}, but input_order holds "
                                 f"{features} inputs x {bits} bits")
    if len(discs) != data.n_classes:
        raise BthowenImportError(f"{path}: {len(discs)} discriminators (classes), dataset {data.name!r} has "
                                 f"{data.n_classes} classes")
    if not np.array_equal(np.sort(order), np.arange(order.size)):
        raise BthowenImportError(f"{path}: WiSARD.input_order is not a permutation of 0..{order.size - 1}")
    first: BloomFilter | None = None
    tables = []
    for c, disc in enumerate(discs):
        filters = _attr(path, disc, Discriminator, f"discriminator {c}", "filters")
        if not isinstance(filters, list) or not filters:
            raise BthowenImportError(f"{path}: discriminator {c}: filters must be a non-empty list")
        rows = []
        for f, bf in enumerate(filters):
            where = f"discriminator {c} filter {f}"
            h3 = _int_array(path, f"{where} hash_values", _attr(path, bf, BloomFilter, where, "hash_values"), 2)
            table = _int_array(path, f"{where} data", _attr(path, bf, BloomFilter, where, "data"), 1)
            bleach = np.asarray(vars(bf).get("bleach", 1))
            if bleach.shape != () or bleach.dtype.kind not in "biu":
                raise BthowenImportError(f"{path}: {where} bleach must be an integer, got {bleach!r}")
            if first is None:
                first = bf
                k, n = h3.shape
                entries = table.size
                if entries < 2 or entries & (entries - 1):
                    raise BthowenImportError(f"{path}: {where} has {entries} entries, not a power of two >= 2")
                if h3.size and (h3.min() < 0 or h3.max() >= entries):
                    raise BthowenImportError(f"{path}: {where} hash_values outside [0, {entries})")
                shared = h3
            elif not np.array_equal(h3, shared) or table.size != entries:
                # BTHOWeN's WiSARD hands one hash_values array to every filter; edgebench's ULEEN (and its RTL)
                # shares one H3 parameter set per submodel, so another model cannot be represented
                raise BthowenImportError(f"{path}: {where} has other hash parameters or table size than filter 0; "
                                         "edgebench shares one H3 set per model, as BTHOWeN's WiSARD does")
            rows.append(table >= int(bleach))
        tables.append(rows)
    n_filters = {len(rows) for rows in tables}
    if n_filters != {order.size // n} or order.size % n:
        raise BthowenImportError(f"{path}: {sorted(n_filters)} filters per discriminator with {n} inputs each do "
                                 f"not cover the {order.size} reordered input bits")
    # their bit j = level * features + feature -> ours feature * bits + level; padding bits (>= input_bits) stay
    j = order
    perm = np.where(j < input_bits, (j % features) * bits + j // features, j)
    table = np.array(tables, dtype=np.uint8)  # (C, F, E)
    sub = uleen.Submodel(perm.astype(np.int64), shared.copy(), table, np.ones(table.shape[:2], dtype=np.uint8))
    if sub.filters != -(-input_bits // n):
        raise BthowenImportError(f"{path}: {sub.filters} filters, edgebench expects ceil({input_bits} / {n})")
    scalars = {key: value for key, value in info.items() if isinstance(value, int | float | str)}
    return uleen.UleenModel(
        bits_per_feature=bits,
        thresholds=thresholds(data, bits),
        submodels=[sub],
        bias=np.zeros(len(discs), dtype=np.int64),
        train_config={"imported_from": "bthowen", "bits_per_feature": bits, "encoding": "gaussian (BTHOWeN float32)",
                      "submodels": [{"inputs_per_filter": n, "entries": entries, "hashes": k}],
                      "thresholds_from": f"{data.name} train + validation splits"},
        info={"source": path.name, "source_sha256": file_sha256(path), "bthowen_info": scalars},
    )


def import_model(source: str | Path, data: Dataset, out: str | Path) -> uleen.UleenModel:
    """Read, check and convert a BTHOWeN `.pickle.lzma`, then write `out` (golden.uleen.save, atomically). On any
    problem a BthowenImportError is raised and `out` is not touched."""
    source = Path(source)
    model = convert(read_pickle(source), data, source)
    uleen.save(model, Path(out))
    return model
