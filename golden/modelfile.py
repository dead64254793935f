"""Writing and reading model files safely: arrays only (no pickle), JSON manifest inside, atomic replace.

Several pytest-xdist workers may train and save the same cached model at once, so the temporary name is unique
per process and the final name appears only complete.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from edgebench.golden.errors import EdgebenchError, one_line

T = TypeVar("T")


def atomic_savez(path: Path, manifest: dict, arrays: dict[str, np.ndarray]) -> Path:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")
    try:
        np.savez_compressed(tmp, manifest=np.array(json.dumps(manifest)), **arrays)
        tmp.replace(path)
    finally:  # an interrupted or failed write leaves neither a partial file nor its temporary
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


class ModelFileError(EdgebenchError, ValueError):
    """A model file is missing, corrupt or inconsistent; the message names the file and the field.

    Still a ValueError so callers written before the shared EdgebenchError keep catching it."""


# Model files hold numbers only (bits, codes, thresholds); a string, object, complex or structured array is
# corruption, and rejecting it here keeps every style loader's range checks (`t.min() < 0`) well-defined.
_NUMERIC_KINDS = "biuf"


def read_model_file(path: Path, fmt: str, version: int) -> tuple[dict, dict[str, np.ndarray]]:
    """Open a model file and check its manifest's format and version; returns (manifest, arrays).

    The style's loader then validates its own fields (shapes, ranges) with ModelFileError."""
    try:
        npz = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: model file not found") from None
    except Exception as exc:  # zipfile / numpy format errors: the file is not a readable npz
        raise ModelFileError(one_line(f"{path}: not a readable model file ({type(exc).__name__}: {exc})")) from None
    if not isinstance(npz, np.lib.npyio.NpzFile):  # a bare .npy file: np.load returned one array
        raise ModelFileError(f"{path}: not a readable model file (a single .npy array, not an .npz archive)")
    try:
        with npz:
            files = {k: npz[k] for k in npz.files}
    except Exception as exc:  # a damaged member: zlib / CRC / numpy header errors surface only when it is read
        raise ModelFileError(one_line(f"{path}: not a readable model file ({type(exc).__name__}: {exc})")) from None
    if "manifest" not in files:
        raise ModelFileError(f"{path}: missing field 'manifest'")
    text = files.pop("manifest")
    if text.ndim != 0 or text.dtype.kind != "U":
        raise ModelFileError(f"{path}: field 'manifest' must be a JSON string, got {text.dtype} {text.shape}")
    try:
        manifest = json.loads(str(text))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, too many digits, nesting too deep
        raise ModelFileError(one_line(f"{path}: field 'manifest' is not JSON ({exc})")) from None
    if not isinstance(manifest, dict):
        raise ModelFileError(f"{path}: field 'manifest' must be a JSON object")
    found_version = manifest.get("version")
    if manifest.get("format") != fmt or type(found_version) is not int or found_version != version:
        raise ModelFileError(
            f"{path}: field 'version': format {manifest.get('format')!r} version {found_version!r}, "
            f"expected {fmt!r} version {version}"
        )
    for key, arr in files.items():
        if arr.dtype.kind not in _NUMERIC_KINDS:
            raise ModelFileError(f"{path}: field {key!r} has dtype {arr.dtype}, expected numbers")
    return manifest, {"manifest": text, **files}


def retrain_hint(path: Path) -> str:
    return f"delete {path} to retrain it (`rm '{path}'`; the next run trains and caches it again)"


def load_cached(path: Path, load: Callable[[Path], T], describe: Callable[[T], dict[str, object]],
                expected: dict[str, object]) -> T:
    """Load a cached model file and check that it is the model its cache key promises.

    Any problem is a ModelFileError naming the file and the fix (delete it to retrain). `describe` gives the
    model's properties by name, compared with `expected` (from the training configuration and the dataset): a
    file that is valid for its style but not for this configuration would otherwise fail later, inside
    simulation or golden inference, far from its cause.

    The style loaders validate the fields they use, but a damaged manifest can still reach a plain int(),
    dict lookup or index there: those exceptions are turned into the same error (with their type, so a real
    bug stays recognisable) because for a cache file the cure is the same."""
    try:
        model = load(path)
        found = describe(model)
    except ModelFileError as exc:
        raise ModelFileError(one_line(f"{exc}; {retrain_hint(path)}")) from None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, ArithmeticError, MemoryError,
            RecursionError) as exc:  # ArithmeticError: a zero or huge count from the manifest (/ 0, overflow)
        raise ModelFileError(
            one_line(f"{path}: corrupt cached model ({type(exc).__name__}: {exc}); {retrain_hint(path)}")
        ) from None
    for name, want in expected.items():
        if found.get(name) != want:
            raise ModelFileError(
                f"{path}: {name} is {found.get(name)!r}, but this configuration and dataset need {want!r}; "
                f"{retrain_hint(path)}"
            )
    return model


def json_form(value: object) -> object:
    """A value as it reads back from a JSON manifest (tuples become lists), for comparisons with one."""
    return json.loads(json.dumps(value))


# Trained models, keyed by what determines them; outside the checkout so fresh clones on one machine (CI) share
# them. EDGEBENCH_CACHE overrides.
CACHE_DIR = Path(os.environ.get("EDGEBENCH_CACHE", Path.home() / ".cache" / "edgebench"))


def cache_path(cache_dir: Path, prefix: str, data_name: str, key: object) -> Path:
    """`<prefix>-<dataset>-<hash>.npz`: the hash of everything that determines the model (configurations as
    JSON-able objects, the dataset's name, the model-format versions)."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=json_form).encode()).hexdigest()[:16]
    return cache_dir / f"{prefix}-{data_name}-{digest}.npz"


def cached(path: Path, train: Callable[[], T], save: Callable[[T, Path], None], load: Callable[[Path], T],
           describe: Callable[[T], dict[str, object]], expected: dict[str, object]) -> T:
    """Train once per cache file; later calls load it and check it is the model its name promises
    (load_cached)."""
    if path.exists():
        return load_cached(path, load, describe, expected)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = train()
    save(model, path)
    return model
