"""The hand-over between the golden side and the simulation: test vectors with golden outputs, and the run spec.

Written by the runner before a simulation (outside the simulator), read by the pyuvm environment inside it.
Inputs are bit vectors (N, input_bits); every style encodes its inputs into bits on the golden side.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

SETS = ("dataset", "random", "corner", "long", "frames")


@dataclass
class VectorSet:
    name: str
    bits: np.ndarray  # (N, input_bits) uint8
    classes: np.ndarray  # (N,) golden class
    scores: np.ndarray | None  # (N, n_classes) golden scores, None when the core does not expose them
    labels: np.ndarray  # (N,) dataset labels, -1 where there is none (random / corner vectors)
    # How each vector is framed on the bus (None: every beat, in_last on the final one): beats sent, and whether
    # in_last marks the final beat sent (a frame may also end by its beat count, rtl/README.md)
    frame_beats: np.ndarray | None = None
    frame_last: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.bits.shape[0])


@dataclass
class SimSpec:
    """What the in-simulator environment needs to know about the core under test."""

    design: str
    config: str
    bus_width: int
    input_bits: int
    n_classes: int
    score_width: int  # 0: the core has no out_scores port
    score_signed: bool
    ii_bound: int
    seed: int
    clock_period_ns: float = 10.0
    drive: str = "hdl"  # "hdl": the HDL harness runs the stream (tb/harness.py); "python": cocotb, cycle by cycle
    run_dir: str = "."  # the simulator's working directory: the HDL harness's files (tb/harness.py)
    records_dir: str = "records"  # one TestRecord file per cocotb test (tb/records.py)
    vectors_path: str = "vectors.npz"
    beats_aw: int = 18  # log2 of the HDL harness's beat memory in this run's build (tb/harness.beats_address_width)
    extra: dict = field(default_factory=dict)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: str | Path) -> SimSpec:
        return cls(**json.loads(Path(path).read_text()))


def save_sets(path: Path, sets: list[VectorSet]) -> None:
    arrays = {}
    for s in sets:
        arrays[f"{s.name}_bits"] = s.bits.astype(np.uint8)
        arrays[f"{s.name}_classes"] = s.classes.astype(np.int64)
        arrays[f"{s.name}_labels"] = s.labels.astype(np.int64)
        if s.scores is not None:
            arrays[f"{s.name}_scores"] = s.scores.astype(np.int64)
        if s.frame_beats is not None and s.frame_last is not None:
            arrays[f"{s.name}_frame_beats"] = s.frame_beats.astype(np.int64)
            arrays[f"{s.name}_frame_last"] = s.frame_last.astype(np.uint8)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def load_set(path: str | Path, name: str) -> VectorSet:
    with np.load(path, allow_pickle=False) as npz:
        def optional(key: str) -> np.ndarray | None:
            return npz[f"{name}_{key}"] if f"{name}_{key}" in npz.files else None

        return VectorSet(name, npz[f"{name}_bits"], npz[f"{name}_classes"], optional("scores"),
                         npz[f"{name}_labels"], optional("frame_beats"), optional("frame_last"))
