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
