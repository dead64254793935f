"""Writers for `$readmemh` files: one word per line, hex, most significant digit first."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgebench.golden.modelfile import atomic_write_text


def bits_to_words(bits: np.ndarray) -> list[int]:
    """Rows of bits (depth, width), bit j of a row being bit j (LSB first) of its word, to Python ints."""
    bits = np.asarray(bits, dtype=np.uint8)
    packed = np.packbits(bits, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def fields_to_words(values: np.ndarray, field_width: int) -> list[int]:
    """Rows of unsigned fields (depth, k): field j of a row occupies bits [j*field_width, (j+1)*field_width)."""
    values = np.asarray(values, dtype=np.int64)
    if values.min(initial=0) < 0 or values.max(initial=0) >= (1 << field_width):
        raise ValueError(f"field values out of range for {field_width}-bit fields")
    words = []
    for row in values:
        word = 0
        for j, v in enumerate(row.tolist()):
            word |= int(v) << (j * field_width)
        words.append(word)
    return words


def write_memh(path: str | Path, words: list[int], width: int) -> Path:
    """Write words as a `$readmemh` file; written to a temporary name first so a crash leaves no half file."""
    path = Path(path)
    digits = max(1, -(-width // 4))
    return atomic_write_text(path, "".join(f"{w:0{digits}x}\n" for w in words))
