"""Property-based fuzzing of every reader of files edgebench did not just write itself: model files (the shared
reader and each design's cached-model loading), MNIST-format IDX datasets (plain and gzipped) and the results
JSON that `edgebench report` summarizes.

Inputs: random bytes, valid files damaged byte by byte (truncation, bit flips, insertions, deletions,
overwrites), and valid files rebuilt with damaged contents (wrong shapes, dtypes and values in arrays, wrong JSON
types and missing keys in manifests and results). Property: the reader either accepts the input, and what it
returns is usable and what it promises (golden inference runs on a cached model, which is the model of its
configuration; the summary renders an accepted results row; the contract of each reader holds), or it raises the
project's error class (golden.errors.EdgebenchError) with a one-line message naming the file. (JSON without a
'design' field is no bench result: the results reader leaves it out.) Any other exception, or an example slower
than the deadline, fails. `@example`s pin the inputs each check exists for, so removing a check fails a test.

Reproducible: derandomized (the same examples on every run) and no example database is written.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import struct
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from edgebench.designs import bnn as bnn_design
from edgebench.designs import lutnet as lutnet_design
from edgebench.designs import mac as mac_design
from edgebench.designs import uleen as uleen_design
from edgebench.golden import bnn, lutnet, quant, uleen
from edgebench.golden.datasets import Dataset, load_idx_dir, read_idx
from edgebench.golden.errors import EdgebenchError
from edgebench.golden.modelfile import read_model_file
from edgebench.scripts import report

FUZZ = settings(derandomize=True, database=None, max_examples=150, deadline=2000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# Module state set up once (below) and read by the tests: hypothesis prints every argument of a failing example,
# and fixtures passed as arguments would put whole model files into that report.
WORK: dict[str, Path] = {}
VALID: dict[str, tuple[Path, bytes, Callable[[], object]]] = {}  # style: (cache path, valid bytes, loader)


def work() -> Path:
    return WORK["dir"]


@pytest.fixture(scope="module", autouse=True)
def never_train() -> Iterator[None]:
    """A cached-model loader that found no file would train one: here that is a test bug, not a slow test."""

    def train(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fuzz test reached training")

    with pytest.MonkeyPatch.context() as mp:
        for module, name in ((bnn, "train"), (uleen, "train"), (lutnet, "train"), (mac_design, "make_model")):
            mp.setattr(module, name, train)
        yield


def assert_project_error(exc: BaseException, path: Path) -> None:
    assert isinstance(exc, EdgebenchError), f"{type(exc).__name__}: {exc}"
    message = str(exc)
    assert message and "\n" not in message, repr(message)
    assert str(path) in message, f"the message does not name {path}: {message}"
    # which checks the examples reach (`pytest --hypothesis-show-statistics`)
    event(f"rejected: {' '.join(message.replace(str(path), '').split()[:5])}")


def assert_idx_dir_loads_or_fails_cleanly(directory: Path) -> None:
    """Either the project's own error, or a dataset every later step can use (splits non-empty and aligned,
    one feature count, pixels within range)."""
    try:
        d = load_idx_dir(directory)
    except Exception as exc:  # noqa: BLE001
        assert_project_error(exc, directory)
        return
    assert d.x_train.shape[1] == d.x_test.shape[1] == d.n_features > 0
    assert len(d.x_train) > 0 and len(d.x_val) > 0 and len(d.x_test) > 0
    assert len(d.x_train) == len(d.y_train) and len(d.x_test) == len(d.y_test)
    assert 0 <= d.x_train.min() and d.x_train.max() <= d.max_value


# ------------------------------------------------------------------------------------------------ strategies

_OPS = ("truncate", "flip", "insert", "delete", "overwrite")
BYTE_EDITS = st.lists(st.tuples(st.sampled_from(_OPS), st.integers(0, 1 << 24), st.binary(min_size=1, max_size=12)),
                      min_size=1, max_size=4)


def damage(data: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
    """Apply byte-level edits at positions taken modulo the current length (small positions: headers)."""
    buf = bytearray(data)
    for op, pos, chunk in edits:
        i = pos % (len(buf) + 1)
        if op == "truncate":
            del buf[i:]
        elif op == "flip" and buf:
            buf[pos % len(buf)] ^= 1 << (chunk[0] % 8)
        elif op == "insert":
            buf[i:i] = chunk
        elif op == "delete":
            del buf[i : i + len(chunk)]
        elif op == "overwrite":
            buf[i : i + len(chunk)] = chunk
    return bytes(buf)


JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
                | st.sampled_from([10**400, -(10**30), 2**63, 1e308, -0.0, "", "NaN"]))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)
DELETE = object()


# ------------------------------------------------------------------------------------------------ model files

DATA = Dataset("fuzz", 16, *(np.array(v) for v in (
    [[0, 3, 7, 9, 12, 16], [16, 0, 1, 2, 3, 4], [5, 5, 5, 5, 5, 5]], [0, 1, 2],
    [[1, 2, 3, 4, 5, 6]], [1],
    [[0, 0, 0, 16, 16, 16], [8, 8, 8, 8, 8, 8]], [2, 0])))  # 6 features in 0..16, 3 classes


def _bits(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.integers(0, 2, size=shape, dtype=np.uint8)


def _bnn_case(rng: np.random.Generator, path: Path) -> Callable[[], object]:
    cfg = bnn.BnnTrainConfig(levels=2, hidden=(4, 4))
    weights = [_bits(rng, 4, 12), _bits(rng, 4, 4), _bits(rng, 3, 4)]
    thresholds = [rng.integers(0, 14, 4), rng.integers(0, 6, 4)]
    bnn.save(bnn.BnnModel(2, 16, weights, thresholds, asdict(cfg)), path)
    return lambda: bnn_design.cached_model(cfg, DATA, path.parent)


def _uleen_case(rng: np.random.Generator, path: Path) -> Callable[[], object]:
    cfg = uleen.UleenTrainConfig(bits_per_feature=2, submodels=(uleen.SubmodelConfig(4, 8, 2),))
    sub = uleen.Submodel(rng.permutation(12), rng.integers(0, 8, (2, 4)), _bits(rng, 3, 3, 8), _bits(rng, 3, 3))
    model = uleen.UleenModel(2, np.sort(rng.uniform(0, 16, (6, 2)), axis=1), [sub], rng.integers(0, 3, 3),
                             asdict(cfg), {})
    uleen.save(model, path)
    return lambda: uleen_design.cached_model(cfg, DATA, path.parent)


def _lutnet_case(rng: np.random.Generator, path: Path) -> Callable[[], object]:
    cfg = lutnet.LutnetTrainConfig(k=2, bnn=bnn.BnnTrainConfig(levels=2, hidden=(4, 4)))
    conns = [np.stack([np.arange(mw), rng.integers(0, mw, mw)], axis=1) for mw in (12, 4, 4)]
    tables = [_bits(rng, 4, 12, 4), _bits(rng, 4, 4, 4), _bits(rng, 3, 4, 4)]
    thresholds = [rng.integers(0, 14, 4), rng.integers(0, 6, 4)]
    lutnet.save(lutnet.LutnetModel(2, 16, 2, conns, tables, thresholds, lutnet.train_config_dict(cfg), {}), path)
    return lambda: lutnet_design.cached_model(cfg, DATA, path.parent)


def _quant_case(rng: np.random.Generator, path: Path) -> Callable[[], object]:
    hw = mac_design.MacHwConfig(quant.QuantConfig("uniform", w_bits=4, a_bits=4),
                                train=quant.FloatTrainConfig(hidden=4))
    q = hw.quant
    codes = [rng.integers(-7, 8, (4, 6)) & 15, rng.integers(-7, 8, (3, 4)) & 15]  # 4-bit two's complement, +-7
    w_max = quant.wmax(q.kind, q.w_bits, q.alphabet)
    widths = [quant.acc_width(6, w_max, 31), quant.acc_width(4, w_max, 15)]
    bias = [rng.integers(-50, 50, 4), rng.integers(-50, 50, 3)]
    model = quant.QuantMlp(q.kind, q.w_bits, q.a_bits, q.in_bits, q.alphabet, codes, bias, [3], widths,
                           {"quant": asdict(q)})
    quant.save(model, path)
    return lambda: mac_design.cached_model(hw, DATA, path.parent)


CASES: dict[str, tuple[Callable[[np.random.Generator, Path], Callable[[], object]], Callable, Callable]] = {
    # style: (write a valid model file and return its cached loader, the cache path, golden inference)
    "bnn": (_bnn_case, lambda d: bnn_design.model_path(bnn.BnnTrainConfig(levels=2, hidden=(4, 4)), DATA, d),
            bnn.forward),
    "uleen": (_uleen_case, lambda d: uleen_design.model_path(
        uleen.UleenTrainConfig(bits_per_feature=2, submodels=(uleen.SubmodelConfig(4, 8, 2),)), DATA, d),
        uleen.forward),
    "lutnet": (_lutnet_case, lambda d: lutnet_design.model_path(
        lutnet.LutnetTrainConfig(k=2, bnn=bnn.BnnTrainConfig(levels=2, hidden=(4, 4))), DATA, d), lutnet.forward),
    "quant": (_quant_case, lambda d: mac_design.model_path(mac_design.MacHwConfig(
        quant.QuantConfig("uniform", w_bits=4, a_bits=4), train=quant.FloatTrainConfig(hidden=4)), DATA, d),
        quant.forward),
}


@pytest.fixture(scope="module", autouse=True)
def valid_files(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Per style a valid model file at its cache path, written by the style's own save(); the loader accepts it."""
    WORK["dir"] = tmp_path_factory.mktemp("fuzz")
    for style, (make, where, forward) in CASES.items():
        path = where(work() / style)
        path.parent.mkdir()
        load = make(np.random.default_rng(0), path)
        model = load()
        forward(model, model.encode(DATA.x_test))
        VALID[style] = (path, path.read_bytes(), load)


def _unpack(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(io.BytesIO(data)) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return json.loads(str(arrays.pop("manifest"))), arrays


# An edit targets an array or manifest key by index into the sorted keys (random search) or by name (examples).
TARGET = st.integers(0, 1 << 16)
ARRAY_EDITS = st.lists(st.tuples(
    st.sampled_from(("dtype", "reshape", "slice", "narrow", "value", "fill", "big", "drop", "empty", "scalar",
                     "strings", "add")),
    TARGET, st.integers(-300, 300),
    st.sampled_from((np.int8, np.uint8, np.int64, np.uint64, np.float16, np.float64, np.bool_, np.complex64))),
    max_size=3)
LONG_DIGITS, DEEP = "1" * 5000, "[" * 100000 + "]" * 100000  # json.loads: ValueError, RecursionError
MANIFEST_EDITS = st.lists(st.tuples(st.sampled_from(("set", "delete", "nudge", "replace", "text")), TARGET,
                                    JSON_VALUES, st.integers(-3, 3)), max_size=3)


def _key(keys: list[str], target: int | str) -> str | None:
    if isinstance(target, str):
        return target if target in keys else None
    return keys[target % len(keys)] if keys else None


def damage_arrays(arrays: dict[str, np.ndarray], edits: list) -> dict[str, np.ndarray]:
    arrays = dict(arrays)
    for op, target, value, dtype in edits:
        key = _key(sorted(arrays), target)
        if key is None:
            continue
        arr = arrays[key]
        if arr.dtype.kind not in "biuf" and op in ("dtype", "value", "fill", "big", "narrow"):
            continue  # already strings (an earlier edit): not convertible
        if op == "dtype":
            arrays[key] = arr.real.astype(dtype) if arr.dtype.kind == "c" else arr.astype(dtype)
        elif op == "reshape":
            arrays[key] = (arr.reshape(-1), arr[None], arr.T)[value % 3]
        elif op == "slice" and arr.ndim:
            arrays[key] = arr[: value % (arr.shape[0] + 1)]
        elif op == "narrow" and arr.ndim >= 2 and value > 0:  # fewer inputs: columns of a table, rows of a map
            arrays[key] = arr[:, :value] if arr.ndim == 3 else arr[:value].astype(np.int64) % value
        elif op == "value" and arr.size:
            arr = arr.astype(np.int64)
            arr.flat[value % arr.size] = value
            arrays[key] = arr
        elif op == "fill":
            arrays[key] = np.full(arr.shape, value, dtype=np.int64)
        elif op == "big":
            arrays[key] = arr.astype(np.int64) * 10**6 + 10**6
        elif op == "drop":
            del arrays[key]
        elif op == "empty":
            arrays[key] = np.zeros((0, *arr.shape[1:]), dtype=arr.dtype)
        elif op == "scalar":
            arrays[key] = np.array(value)
        elif op == "strings":
            arrays[key] = np.full(arr.shape, "x")
        elif op == "add":
            arrays[f"{key}x"] = arr
    return arrays


def damage_manifest(manifest: dict, edits: list) -> object:
    """The manifest as a JSON value, or a str (text stored as is: not JSON), or an ndarray (not a string)."""
    out: object = dict(manifest)
    for op, target, value, delta in edits:
        if not isinstance(out, dict):
            break
        key = _key(sorted(out) + ["format", "version", "layers", "submodels", "shifts"], target)
        if op == "set":
            out[key] = value
        elif op == "delete":
            out.pop(key, None)
        elif op == "nudge":  # a plausible wrong value: an integer off by a little, or one list entry
            current = out.get(key)
            if isinstance(current, int) and not isinstance(current, bool):
                out[key] = current + delta
            elif isinstance(current, list) and current:
                out[key] = [*current[:-1], value]
        elif op == "replace":
            out = value  # the whole manifest: any JSON value
        elif op == "text":
            out = value if isinstance(value, str | np.ndarray) else f"{{not json {value!r}"
    return out


def write_npz(path: Path, manifest: object, arrays: dict[str, np.ndarray]) -> None:
    stored = manifest if isinstance(manifest, np.ndarray) else np.array(
        manifest if isinstance(manifest, str) else json.dumps(manifest))
    with path.open("wb") as f:
        np.savez(f, manifest=stored, **arrays)


# What every accepted cached model must be: the model of its configuration (6 features, 3 classes, 2 bits per
# feature; hidden layers of 4) whatever the file says. Written out here, independently of the loaders' checks.
FITS: dict[str, Callable[[object], bool]] = {
    "bnn": lambda m: (m.levels, m.input_bits, [h for h, _ in m.layer_shapes]) == (2, 12, [4, 4, 3]),
    "uleen": lambda m: (m.thresholds.shape, m.n_classes, [(s.n, s.entries, s.k) for s in m.submodels])
    == ((6, 2), 3, [(4, 8, 2)]),
    "lutnet": lambda m: (m.levels, m.k, m.input_bits, [h for h, _ in m.layer_shapes]) == (2, 2, 12, [4, 4, 3]),
    "quant": lambda m: (m.kind, m.w_bits, m.a_bits, m.in_bits, m.layer_shapes) == ("uniform", 4, 4, 5,
                                                                                   [(4, 6), (3, 4)]),
}


@pytest.mark.parametrize("style", list(CASES))
@FUZZ
@given(edits=BYTE_EDITS)
def test_damaged_model_file_bytes(style: str, edits: list) -> None:
    path, data, load = VALID[style]
    path.write_bytes(damage(data, edits))
    _load_or_error(style, path, load)


@pytest.mark.parametrize("style", list(CASES))
@FUZZ
@given(arrays=ARRAY_EDITS, manifest=MANIFEST_EDITS)
# one class fewer in the last layer: each style's own loader accepts it, the configuration does not
@example(arrays=[("slice", k, 2, None) for k in ("w2", "tables2", "c1", "b1")], manifest=[])
# fewer input features or bits than the dataset gives, consistently across the file
@example(arrays=[("slice", "thresholds", 5, None), ("narrow", "tables0", 10, None), ("narrow", "conn0", 10, None)],
         manifest=[])
@example(arrays=[("big", "b0", 0, None)], manifest=[])  # quant: biases beyond the accumulators
@example(arrays=[("fill", "b1", -(2**63), None)], manifest=[])  # quant: abs(-2**63) < 0 in int64
@example(arrays=[], manifest=[("set", "acc_widths", [1, 1], 0)])  # quant: accumulators too narrow
@example(arrays=[], manifest=[("set", "shifts", [], 0)])  # quant: no requantization shift
@example(arrays=[], manifest=[("set", "submodels", [{"inputs_per_filter": 0, "entries": 8, "hashes": 2,
                                                     "filters": 3}], 0)])  # uleen: divides by inputs per filter
@example(arrays=[("strings", k, 0, None) for k in ("w0", "thresholds", "tables0", "c0")], manifest=[])
@example(arrays=[], manifest=[("text", 0, LONG_DIGITS, 0)])
def test_damaged_model_file_contents(style: str, arrays: list, manifest: list) -> None:
    path, data, load = VALID[style]
    good_manifest, good_arrays = _unpack(data)
    write_npz(path, damage_manifest(good_manifest, manifest), damage_arrays(good_arrays, arrays))
    _load_or_error(style, path, load)


def _load_or_error(style: str, path: Path, load: Callable[[], object]) -> None:
    try:
        model = load()
    except Exception as exc:  # noqa: BLE001 (the property is about which exceptions come out)
        assert_project_error(exc, path)
        return
    forward = CASES[style][2]
    forward(model, model.encode(DATA.x_test))  # an accepted model works
    assert FITS[style](model), "accepted a model that is not the one of its configuration and dataset"


@FUZZ
@given(arrays=ARRAY_EDITS, manifest=MANIFEST_EDITS)
@example(arrays=[], manifest=[("set", "version", True, 0)])  # True == 1, but not a version number
@example(arrays=[("strings", "w0", 0, None)], manifest=[])
@example(arrays=[("dtype", "t0", 0, np.complex64)], manifest=[])
@example(arrays=[], manifest=[("text", 0, LONG_DIGITS, 0)])
@example(arrays=[], manifest=[("text", 0, DEEP, 0)])
def test_read_model_file_contract(arrays: list, manifest: list) -> None:
    """What every style loader relies on: a JSON-object manifest of the right format and integer version, and
    arrays of numbers only (string or complex arrays would reach their range checks)."""
    path, data, _ = VALID["bnn"]
    good_manifest, good_arrays = _unpack(data)
    write_npz(path, damage_manifest(good_manifest, manifest), damage_arrays(good_arrays, arrays))
    try:
        found, files = read_model_file(path, "edgebench-bnn", bnn.MODEL_VERSION)
    except Exception as exc:  # noqa: BLE001
        assert_project_error(exc, path)
        return
    assert isinstance(found, dict) and found["format"] == "edgebench-bnn"
    assert type(found["version"]) is int and found["version"] == bnn.MODEL_VERSION
    assert all(a.dtype.kind in "biuf" for k, a in files.items() if k != "manifest")


def test_model_file_messages(tmp_path: Path) -> None:
    """Inputs a later check would also reject, whose own message says better what the file is."""
    np.save(tmp_path / "bare.npy", np.arange(3))
    with pytest.raises(EdgebenchError, match="a single .npy array, not an .npz archive"):
        read_model_file(tmp_path / "bare.npy", "edgebench-bnn", 1)
    write_npz(tmp_path / "m.npz", np.array(7), {})
    with pytest.raises(EdgebenchError, match="field 'manifest' must be a JSON string, got int64"):
        read_model_file(tmp_path / "m.npz", "edgebench-bnn", 1)


@FUZZ
@given(data=st.binary(max_size=600))
def test_random_bytes_as_model_file(data: bytes) -> None:
    path = work() / "random.npz"
    path.write_bytes(data)
    with pytest.raises(EdgebenchError) as info:
        read_model_file(path, "edgebench-bnn", bnn.MODEL_VERSION)
    assert_project_error(info.value, path)


# ------------------------------------------------------------------------------------------------ IDX datasets


def idx_bytes(arr: np.ndarray, type_code: int = 0x08) -> bytes:
    return bytes([0, 0, type_code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()


IDX_STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _mnist_files() -> dict[str, bytes]:
    rng = np.random.default_rng(1)
    return {IDX_STEMS[0]: idx_bytes(rng.integers(0, 256, (20, 4, 3), dtype=np.uint8)),
            IDX_STEMS[1]: idx_bytes(rng.integers(0, 10, 20, dtype=np.uint8)),
            IDX_STEMS[2]: idx_bytes(rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)),
            IDX_STEMS[3]: idx_bytes(rng.integers(0, 10, 5, dtype=np.uint8))}


def _read_or_error(path: Path) -> np.ndarray | None:
    try:
        return read_idx(path)
    except Exception as exc:  # noqa: BLE001
        assert_project_error(exc, path)
        return None


@FUZZ
@given(data=st.binary(max_size=300), gz=st.booleans())
def test_random_bytes_as_idx(data: bytes, gz: bool) -> None:
    path = work() / "random-idx"
    path.write_bytes(gzip.compress(data) if gz else data)
    arr = _read_or_error(path)
    if arr is not None:  # random bytes can form a valid header: then the payload matched it exactly
        assert arr.nbytes == len(gzip.decompress(path.read_bytes()) if gz else data) - 4 - 4 * arr.ndim


@FUZZ
@given(which=st.sampled_from(IDX_STEMS), edits=BYTE_EDITS, gz=st.sampled_from(["none", "before", "after"]))
def test_damaged_idx_directory(which: str, edits: list, gz: str) -> None:
    """One of the four files damaged, as plain IDX or gzipped (damage before compressing: a valid gzip of a bad
    IDX; after: a damaged gzip stream)."""
    directory = work() / "mnist"
    directory.mkdir(exist_ok=True)
    for p in directory.iterdir():
        p.unlink()
    for stem, data in _mnist_files().items():
        if stem == which:
            data = damage(data, edits) if gz != "after" else damage(gzip.compress(data), edits)
            if gz == "before":
                data = gzip.compress(data)
        (directory / (stem + (".gz" if stem == which and gz != "none" else ""))).write_bytes(data)
    try:
        d = load_idx_dir(directory)
    except Exception as exc:  # noqa: BLE001
        assert_project_error(exc, directory)  # the directory, or a file in it
        return
    assert len(d.x_train) + len(d.x_val) == 20 or which.startswith("train")
    assert d.x_train.shape[1] == d.x_test.shape[1] == d.n_features > 0
    assert len(d.x_train) > 0 and len(d.x_val) > 0 and len(d.x_test) > 0
    assert d.x_train.min(initial=0) >= 0 and d.x_train.max(initial=0) <= d.max_value


IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IDX_TYPE_CODES = st.sampled_from(sorted(IDX_TYPES)) | st.integers(0, 255)


@FUZZ
@given(shape=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=5), type_code=IDX_TYPE_CODES,
       payload=st.binary(max_size=64))
@example(shape=[2**31, 2**31, 4], type_code=0x08, payload=b"")  # 2**64 elements: wraps to 0 in int64
@example(shape=[0, 711, 1279, 3184063, 3185429], type_code=0x08, payload=b"")  # empty, yet too big for numpy
def test_idx_header_claims(shape: list[int], type_code: int, payload: bytes) -> None:
    """Headers whose sizes disagree with the payload (huge, zero, overflowing products) or with a bad type."""
    path = work() / "header-idx"
    path.write_bytes(bytes([0, 0, type_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload)
    arr = _read_or_error(path)
    if arr is not None:
        assert list(arr.shape) == shape and arr.nbytes == len(payload)


IDX_SHAPES = (st.lists(st.integers(0, 24), min_size=3, max_size=3)  # images (N, H, W)
              | st.lists(st.integers(0, 24), min_size=1, max_size=1)  # labels (N,)
              | st.lists(st.integers(0, 24), min_size=1, max_size=4))
def test_idx_size_message_is_exact(tmp_path: Path) -> None:
    """2**31 * 2**31 * 4 elements wrap to 0 in int64 (an empty payload would then "match"); the message states
    the real size. (Rejected either way: numpy refuses the reshape.)"""
    path = tmp_path / "huge-idx"
    path.write_bytes(bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 2**31, 2**31, 4))
    with pytest.raises(EdgebenchError, match="truncated or corrupt IDX data .* needs 18446744073709551616"):
        read_idx(path)


IDX_FILE = st.tuples(st.sampled_from(sorted(IDX_TYPES)) | st.just(0x08), IDX_SHAPES)


@FUZZ
@given(files=st.dictionaries(st.sampled_from(IDX_STEMS), IDX_FILE, min_size=1, max_size=4),
       values=st.integers(-(2**31), 2**31 - 1))
def test_idx_directory_wrong_contents(files: dict, values: int) -> None:
    """Well-formed IDX files with the wrong contents for MNIST: element types, dimensions, image sizes that
    differ between train and test, too few images, labels that do not match the images."""
    directory = work() / "mnist-contents"
    directory.mkdir(exist_ok=True)
    for p in directory.iterdir():
        p.unlink()
    for stem, data in _mnist_files().items():
        if stem in files:
            code, shape = files[stem]
            arr = np.full(shape, values).astype(IDX_TYPES[code]) if code != 0x08 else np.full(shape, values % 256,
                                                                                                 dtype=np.uint8)
            data = idx_bytes(arr.astype(np.dtype(IDX_TYPES[code])), code)
        (directory / stem).write_bytes(data)
    assert_idx_dir_loads_or_fails_cleanly(directory)


@FUZZ
@given(n=st.tuples(st.integers(0, 25), st.integers(0, 25), st.integers(0, 6), st.integers(0, 6)),
       sizes=st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)),
       same_size=st.booleans(), codes=st.lists(st.just(0x08) | st.sampled_from(sorted(IDX_TYPES)), min_size=4,
                                               max_size=4), fill=st.integers(-(2**15), 2**15 - 1))
@example(n=(20, 20, 0, 0), sizes=(2, 3, 0, 0), same_size=True, codes=[8, 8, 8, 8], fill=1)  # no test images
@example(n=(20, 20, 5, 5), sizes=(2, 3, 4, 4), same_size=False, codes=[8, 8, 8, 8], fill=1)  # 6 vs 16 pixels
@example(n=(20, 20, 5, 5), sizes=(2, 2, 0, 0), same_size=True, codes=[0x0B, 8, 8, 8], fill=-5)  # int16 pixels
@example(n=(9, 9, 5, 5), sizes=(2, 2, 0, 0), same_size=True, codes=[8, 8, 8, 8], fill=1)  # no validation split
def test_idx_directory_inconsistent_splits(n: tuple, sizes: tuple, same_size: bool, codes: list, fill: int) -> None:
    """Image and label counts, image sizes and element types drawn per file, mostly consistent: the checks
    between files (counts, train vs test sizes, enough images for the splits) get their turn."""
    directory = work() / "mnist-splits"
    directory.mkdir(exist_ok=True)
    for p in directory.iterdir():
        p.unlink()
    h, w, th, tw = sizes
    shapes = [(n[0], h, w), (n[0] if n[1] % 4 else n[1],), (n[2], *((h, w) if same_size else (th, tw))),
              (n[2] if n[3] % 4 else n[3],)]
    for stem, shape, code in zip(IDX_STEMS, shapes, codes, strict=True):
        value = fill % 256 if code == 0x08 else fill
        (directory / stem).write_bytes(idx_bytes(np.full(shape, value).astype(np.dtype(IDX_TYPES[code])), code))
    assert_idx_dir_loads_or_fails_cleanly(directory)


# ------------------------------------------------------------------------------------------------ results JSON


def _valid_row() -> dict:
    return {"design": "bnn", "config": "default", "simulator": "verilator", "dataset": "digits", "n": 360,
            "mismatches": 0, "golden_accuracy": 0.93, "rtl_accuracy": 0.93, "latency_cycles": 41, "ii_cycles": 32.0,
            "ii_bound_cycles": 32, "inferences_per_s": 3125000.0, "sim_wall_s": 0.4, "energy_pj_per_inf": 120.5,
            "datapath_energy_pj_per_inf": 60.0, "energy_alternatives_pj_per_inf": {"tables_in_sram": 200.0},
            "gate_energy_pj_per_inf": 300.0, "rtl_gate_energy_ratio": 0.4, "energy_warnings": ["x"],
            "inferences_per_joule": 8.3e9, "fpga_pnr": {"device": "LFE5U-25F", "luts": 900, "ffs": 300, "brams": 2,
                                                        "dsps": 0, "fmax_mhz": 110.0},
            "inferences_per_s_at_fmax": 3.4e6, "fpga": {"xilinx": {"lut6": 700}}, "nand2_eq": 12000.0,
            "memory_bits": 16384, "energy_breakdown_pj": {"registers": 40.0, "logic": 30.0, "memories": 50.5}}


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _set(root: object, path: tuple, value: object) -> object:
    if not path:
        return value
    parent = root
    for part in path[:-1]:
        parent = parent[part]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return root


# An edit replaces (or deletes) the value at an existing path, chosen by index (random search), or sets a field
# by dotted name (including fields the row does not have yet).
FIELD_NAMES = (*report.OPTIONAL_NUMBERS, "energy_warnings", "energy_breakdown_pj", "design", "n", "rtl_accuracy")
ROW_EDITS = st.lists(st.tuples(TARGET | st.sampled_from(FIELD_NAMES), JSON_VALUES | st.just(DELETE)),
                     min_size=1, max_size=3)


def damage_row(row: object, edits: list) -> object:
    for target, value in edits:
        if isinstance(target, str):
            if not isinstance(row, dict):
                continue
            *parents, last = target.split(".")
            node = row
            for part in parents:  # create or replace the parents with objects on the way
                node[part] = node[part] if isinstance(node.get(part), dict) else {}
                node = node[part]
            if value is DELETE:
                node.pop(last, None)
            else:
                node[last] = value
            continue
        paths = _paths(row)
        path = paths[target % len(paths)]
        if not path and value is DELETE:
            continue
        row = _set(row, path, value)
    return row


def _finite_number(value: object) -> bool:
    return type(value) in (int, float) and abs(value) < 1.8e308 and value == value


def _value(row: dict, dotted: str) -> object:
    for part in dotted.split("."):
        if not isinstance(row, dict) or part not in row:
            return None
        row = row[part]
    return row


def assert_results_contract(row: dict) -> None:
    """What the summary may rely on in an accepted results file, written out independently of the reader."""
    assert all(isinstance(row[k], str) for k in ("design", "config", "simulator"))
    assert all(type(row[k]) is int and row[k] >= 0 for k in ("n", "mismatches"))
    assert all(_finite_number(row[k]) for k in ("golden_accuracy", "rtl_accuracy"))
    for parent in ("fpga", "fpga.xilinx", "fpga_pnr", "energy_alternatives_pj_per_inf"):
        assert _value(row, parent) is None or isinstance(_value(row, parent), dict), parent
    for k in report.OPTIONAL_NUMBERS:
        assert _value(row, k) is None or _finite_number(_value(row, k)), k
    assert all(isinstance(w, str) for w in row.get("energy_warnings") or [])
    assert all(_finite_number(v) for v in (row.get("energy_breakdown_pj") or {}).values())


def _summarize_or_error(path: Path) -> dict | None:
    try:
        row = report.read_results_file(path)
    except Exception as exc:  # noqa: BLE001
        assert_project_error(exc, path)
        return None
    if row is None:  # JSON, but no bench result: left out of the summary (with a note)
        data = json.loads(path.read_bytes())
        assert not isinstance(data, dict) or "design" not in data
        event("left out: no 'design' field")
        return None
    assert_results_contract(row)
    # the accepted row on both sides of every claim (its explanation reads the energy breakdown), and in the tables
    valid = _valid_row()
    rows = {"uleen": row, "bnn": valid, "pot": row, "pot-pruned": valid, "int8-mac": row, "asm-1357": valid,
            "lutnet-unrolled": row, "bnn-unfolded-32": valid}
    report.summary_lines(rows, {}, [])
    report.summary_lines({**rows, "uleen": valid, "bnn": row}, {}, [])
    return row


@FUZZ
@given(data=st.binary(max_size=300))
@example(data=LONG_DIGITS.encode())
@example(data=DEEP.encode())
def test_random_bytes_as_results_file(data: bytes) -> None:
    path = work() / "random.json"
    path.write_bytes(data)
    _summarize_or_error(path)


@FUZZ
@given(edits=BYTE_EDITS)
def test_damaged_results_file_bytes(edits: list) -> None:
    path = work() / "bytes.json"
    path.write_bytes(damage(json.dumps(_valid_row(), indent=1).encode(), edits))
    _summarize_or_error(path)


@FUZZ
@given(edits=ROW_EDITS)
@example(edits=[("energy_warnings", 5)])
@example(edits=[("energy_breakdown_pj", {"logic": "x"})])
@example(edits=[("energy_pj_per_inf", 10**400)])
@example(edits=[("design", 5)])
@example(edits=[("fpga_pnr", [1])])
@example(edits=[("latency_cycles", "41 cycles")])
@example(edits=[("rtl_accuracy", None)])  # required: the accuracy plot multiplies it
@example(edits=[(0, [])])  # the whole row an array: no bench result
@example(edits=[("design", DELETE)])
def test_damaged_results_file_fields(edits: list) -> None:
    path = work() / "fields.json"
    path.write_text(json.dumps(damage_row(_valid_row(), edits)))
    _summarize_or_error(path)


@settings(FUZZ, max_examples=5, deadline=None)  # matplotlib: about a second an example
@given(edits=ROW_EDITS)
@example(edits=[("energy_breakdown_pj", DELETE)])  # measured, but no breakdown to stack
def test_accepted_results_plot(edits: list) -> None:
    path = work() / "plot.json"
    path.write_text(json.dumps(damage_row(_valid_row(), edits)))
    row = _summarize_or_error(path)
    if row is not None:
        (work() / "plots").mkdir(exist_ok=True)
        report.plots({"bnn": row, "uleen": _valid_row()}, work() / "plots")


def _valid_simspeed() -> dict:
    run = {"design": "bnn", "config": "default", "simulator": "verilator", "vectors": 10000,
           "harness_cycles_per_s": 1700000, "raw_cycles_per_s": 3200000, "ratio": 0.531,
           "raw_inferences_per_s": 99000, "golden_inferences_per_s": 2400000, "startup_s": 0.97}
    return {"runs": {"bnn/default/verilator": run}}


@FUZZ
@given(edits=ROW_EDITS, raw=st.booleans(), byte_edits=BYTE_EDITS)
@example(edits=[("runs", {"bnn/default/verilator": {"design": "bnn"}})], raw=False, byte_edits=[])
def test_damaged_simspeed_file(edits: list, raw: bool, byte_edits: list) -> None:
    directory = work() / "simspeed"
    directory.mkdir(exist_ok=True)
    path = directory / report.SIMSPEED_FILE
    text = json.dumps(damage_row(_valid_simspeed(), edits))
    path.write_bytes(damage(text.encode(), byte_edits) if raw else text.encode())
    try:
        runs = report.load_simspeed(directory)
    except Exception as exc:  # noqa: BLE001
        assert_project_error(exc, path)
        return
    report.simspeed_table(runs)


def test_fuzz_inputs_are_not_all_rejected() -> None:
    """The properties above hold trivially for a reader that rejects everything: the valid inputs pass."""
    for path, data, load in VALID.values():
        path.write_bytes(data)
        load()
    (work() / "ok.json").write_text(json.dumps(_valid_row()))
    assert report.read_results_file(work() / "ok.json")["design"] == "bnn"
    (work() / "ok").mkdir(exist_ok=True)
    for stem, data in _mnist_files().items():
        (work() / "ok" / stem).write_bytes(data)
    assert load_idx_dir(work() / "ok").n_features == 12
    assert math.isclose(report.load_simspeed(_write(work() / "ok2", _valid_simspeed()))["bnn/default/verilator"]
                        ["ratio"], 0.531)


def _write(directory: Path, simspeed: dict) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / report.SIMSPEED_FILE).write_text(json.dumps(simspeed))
    return directory
