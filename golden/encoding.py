"""Input encodings shared by the styles. Every function is vectorized over the batch and integer-exact."""

from __future__ import annotations

import numpy as np


def thermometer_uniform(x: np.ndarray, levels: int, max_value: int) -> np.ndarray:
    """Uniform thermometer code: bit (f, i) = x_f * (levels + 1) >= max_value * (i + 1), for i in 0..levels-1.

    Integer comparison, so there is no rounding. Output (N, F * levels) uint8 in ULEEN's flattening
    order: index f * levels + i.
    """
    if levels < 1:
        raise ValueError(f"thermometer levels must be >= 1, got {levels}")
    x = np.asarray(x, dtype=np.int64)
    steps = max_value * np.arange(1, levels + 1, dtype=np.int64)
    bits = (x[:, :, None] * (levels + 1)) >= steps[None, None, :]
    return bits.reshape(x.shape[0], -1).astype(np.uint8)


def pack_beats(bits: np.ndarray, bus_width: int) -> list[list[int]]:
    """Split bit vectors (N, B) into bus beats: beat k carries bits [k*bus_width, (k+1)*bus_width), LSB first.

    The last beat is zero-padded. Returns one list of Python ints per vector (beats can be wider than 64 bits).
    """
    bits = np.asarray(bits, dtype=np.uint8)
    n, width = bits.shape
    n_beats = -(-width // bus_width)
    padded = np.zeros((n, n_beats * bus_width), dtype=np.uint8)
    padded[:, :width] = bits
    weights = [1 << i for i in range(bus_width)]
    # object dtype keeps arbitrary-precision ints; the dot runs once per beat column, not per sample
    beats = padded.reshape(n, n_beats, bus_width).astype(object) @ np.array(weights, dtype=object)
    return [list(map(int, row)) for row in beats]
