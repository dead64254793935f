"""Bit toggles of every net of the DUT in a time window, from an FST waveform (read with pywellen).

Method: the simulation dumps the whole DUT hierarchy to FST (Icarus: cocotb's $dumpvars module; Verilator:
--trace-fst). For every signal under the DUT's top scope we take its value at the window start, then every
change inside the window, and add the Hamming distance between consecutive values (x/z read as 0). A net that
appears in several scopes (a port and the wire it connects to) is one signal in the file and counted once, under
its shortest name. Cost: the dump slows the simulation (about 1.5-3x here) and the file is read once afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pywellen

_PS_PER_UNIT = {"fs": 1e-3, "ps": 1.0, "ns": 1e3, "us": 1e6, "ms": 1e9, "s": 1e12}


@dataclass
class NetToggles:
    name: str  # hierarchical name below the DUT top, e.g. "u_l0.acc_q"
    width: int
    toggles: int


def _as_int(value: object) -> int:
    if isinstance(value, int):
        return value
    text = str(value).lower().replace("x", "0").replace("z", "0")
    return int(text, 2) if text else 0


def _time_factor(wave: pywellen.Waveform) -> float:
    """Waveform time units per picosecond."""
    ts = wave.timescale
    unit = str(ts.unit).split(".")[-1].lower()
    return 1.0 / (ts.factor * _PS_PER_UNIT[unit])


def count_toggles(path: str | Path, top: str, start_ps: float, end_ps: float) -> list[NetToggles]:
    """Toggles of each DUT signal in (start_ps, end_ps]; `top` is the DUT's module name."""
    wave = pywellen.Waveform(str(path))
    factor = _time_factor(wave)
    t0, t1 = start_ps * factor, end_ps * factor
    best: dict[int, tuple[str, object]] = {}
    for var in wave.all_vars():
        full = var.full_name
        marker = f"{top}."
        at = full.find(marker)
        if at < 0 or var.is_real or var.is_string:
            continue
        name = full[at + len(marker):]
        key = var.signal_ref
        if key not in best or len(name) < len(best[key][0]):
            best[key] = (name, var)
    nets = []
    for name, var in best.values():
        signal = var.signal
        prev = None
        toggles = 0
        for i in range(len(signal)):
            time, value = signal[i]
            if time <= t0:
                prev = _as_int(value)
                continue
            if time > t1:
                break
            current = _as_int(value)
            if prev is not None:
                toggles += (prev ^ current).bit_count()
            prev = current
        nets.append(NetToggles(name, int(var.bitwidth or 1), toggles))
    return nets
