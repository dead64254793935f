"""Writing model files safely: arrays only (no pickle), JSON manifest inside, atomic replace.

Several pytest-xdist workers may train and save the same cached model at once, so the temporary name is unique
per process and the final name appears only complete.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np


def atomic_savez(path: Path, manifest: dict, arrays: dict[str, np.ndarray]) -> Path:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, manifest=np.array(json.dumps(manifest)), **arrays)
    tmp.replace(path)
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


class ModelFileError(ValueError):
    """A model file is missing, corrupt or inconsistent; the message names the file and the field."""


def read_model_file(path: Path, fmt: str, version: int) -> tuple[dict, dict[str, np.ndarray]]:
    """Open a model file and check its manifest's format and version; returns (manifest, arrays).

    The style's loader then validates its own fields (shapes, ranges) with ModelFileError."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            files = {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise ModelFileError(f"{path}: model file not found") from None
    except Exception as exc:  # zipfile / numpy errors: the file is not a readable npz
        raise ModelFileError(f"{path}: not a readable model file ({exc})") from None
    if "manifest" not in files:
        raise ModelFileError(f"{path}: missing field 'manifest'")
    try:
        manifest = json.loads(str(files["manifest"]))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: field 'manifest' is not JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise ModelFileError(f"{path}: field 'manifest' must be a JSON object")
    if manifest.get("format") != fmt or manifest.get("version") != version:
        raise ModelFileError(
            f"{path}: field 'version': format {manifest.get('format')!r} version {manifest.get('version')!r}, "
            f"expected {fmt!r} version {version}"
        )
    return manifest, files
