"""Writing and reading model files safely: arrays only (no pickle), JSON manifest inside, atomic replace.

Several pytest-xdist workers may train and save the same cached model at once, so the temporary name is unique
per process and the final name appears only complete.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
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


class ModelFormatError(ModelFileError):
    """A readable model file of another format (another style's model): `found` and `expected` are the manifest's
    format names, so a caller can say which style the file belongs to instead of "field 'version'"."""

    def __init__(self, message: str, found: object, expected: str) -> None:
        super().__init__(message)
        self.found, self.expected = found, expected


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
    except ValueError as exc:
        if "pickle" not in str(exc):
            raise ModelFileError(one_line(f"{path}: not a readable model file ({type(exc).__name__}: {exc})")) from None
        # np.load takes any bytes that are neither a zip nor an .npy header for a pickle, and its message suggests
        # loading it unsafely: edgebench never unpickles a model file, so say only what the file is not
        raise ModelFileError(f"{path}: not a readable model file (neither an .npz archive nor an .npy array)") from None
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
        message = (f"{path}: field 'version': format {manifest.get('format')!r} version {found_version!r}, "
                   f"expected {fmt!r} version {version}")
        if manifest.get("format") != fmt:
            raise ModelFormatError(message, manifest.get("format"), fmt)
        raise ModelFileError(message)
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
    (load_cached). Inside `given_model(FILE)` (`edgebench bench --model FILE`) FILE is loaded and checked instead:
    nothing is trained and the cache is neither read nor written."""
    given = _GIVEN.get()
    if given is not None:
        return load_given(given, load, describe, expected)
    if path.exists():
        return load_cached(path, load, describe, expected)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = train()
    save(model, path)
    return model


# ----------------------------------------------------------------------------------- a model file the user gives

# Properties that say how a model was trained rather than what the core needs: a given model file may come from
# other training (another seed, another tool, `edgebench import`), so it is not held to them. Every other property
# `expected` lists (shapes, encoding, classes, quantization) is what the configuration's hardware and the dataset
# need, and is checked as for a cached model.
TRAINING_ONLY_PROPERTIES = ("train_config",)

_XZ_MAGIC = b"\xfd7zXZ\x00"  # a .pickle.lzma (BTHOWeN, ULEEN) is xz-compressed


@dataclass
class GivenModel:
    """The model file of `edgebench bench --model`: its absolute path, its sha256 (recorded with the results so a
    result names the model that produced it), what it is for (in messages) and how often a build loaded it."""

    path: Path
    sha256: str
    purpose: str
    loads: int = 0

    def record(self) -> dict[str, str]:
        return {"path": str(self.path), "sha256": self.sha256}


_GIVEN: ContextVar[GivenModel | None] = ContextVar("edgebench_given_model", default=None)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _given_hint() -> str:
    return ("pass a model file edgebench wrote (a cached model from ~/.cache/edgebench, or the --out of "
            "`edgebench import`)")


@contextmanager
def given_model(path: str | Path, purpose: str) -> Iterator[GivenModel]:
    """Within this block every `cached(...)` call loads `path` instead of training or using the cache
    (`edgebench bench --model`). `purpose` ("uleen/bthowen-small on fashion-mnist") says in an error what the file
    was given for. A missing or unreadable file is a ModelFileError here, before anything is built."""
    path = Path(path).absolute()
    try:
        if not path.is_file():
            raise ModelFileError(f"--model {path}: " + ("is a directory" if path.is_dir() else "no such file")
                                 + f"; {_given_hint()}")
        sha = file_sha256(path)
    except OSError as exc:
        raise ModelFileError(one_line(f"--model {path}: cannot read it ({exc}); {_given_hint()}")) from None
    given = GivenModel(path, sha, purpose)
    token = _GIVEN.set(given)
    try:
        yield given
    finally:
        _GIVEN.reset(token)


def load_given(given: GivenModel, load: Callable[[Path], T], describe: Callable[[T], dict[str, object]],
               expected: dict[str, object]) -> T:
    """Load the user's model file and check it fits the configuration and dataset (as load_cached does for a
    cached one, less TRAINING_ONLY_PROPERTIES). Errors name the file, what is wrong and what to pass instead:
    unlike a cache file, deleting it is no cure."""
    path = given.path
    try:
        model = load(path)
        found = describe(model)
    except ModelFormatError as exc:
        raise ModelFileError(
            f"--model {path}: a {exc.found!r} model file (another design's), but {given.purpose} needs a "
            f"{exc.expected!r} one; pass a model file of this design, or the --design it was made for"
        ) from None
    except ModelFileError as exc:
        text = str(exc).removeprefix(f"{path}: ")
        try:
            xz = path.read_bytes()[:6] == _XZ_MAGIC
        except OSError:
            xz = False
        fix = ("it is xz-compressed, like a BTHOWeN .pickle.lzma: convert such a file first with `edgebench import "
               "bthowen FILE --out MODEL --dataset DATASET`") if xz else _given_hint()
        raise ModelFileError(one_line(f"--model {path}: {text}; {fix}")) from None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, ArithmeticError, MemoryError,
            RecursionError) as exc:  # as in load_cached: a damaged manifest reaching a plain int() or lookup
        raise ModelFileError(
            one_line(f"--model {path}: corrupt model file ({type(exc).__name__}: {exc}); {_given_hint()}")
        ) from None
    for name, want in expected.items():
        if name in TRAINING_ONLY_PROPERTIES:
            continue
        if found.get(name) != want:
            raise ModelFileError(
                f"--model {path}: {name} is {found.get(name)!r}, but {given.purpose} needs {want!r}; pass a model "
                "made for this configuration and dataset, or the --config and --dataset it was made for"
            )
    given.loads += 1
    return model
