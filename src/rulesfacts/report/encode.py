"""Compact, JSON-safe encodings of the numbers a report inlines.

A report must stay one file under 10 MB even for p = 97, N = 500 with dozens of snapshots, so
curves are rounded to 4 significant digits and weight matrices become 8-bit images: a heatmap
has at most 256 colours anyway, so nothing visible is lost.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

DIGITS = 4


def rounded(x: Any, digits: int = DIGITS) -> float | None:
    """``x`` to ``digits`` significant digits; None for NaN/inf/None (JSON has no NaN)."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def rounded_list(values: Any, digits: int = DIGITS) -> list[float | None]:
    return [rounded(v, digits) for v in np.asarray(values, dtype=np.float64).ravel()]


def even_indices(n: int, k: int) -> np.ndarray:
    """At most ``k`` indices spread evenly over range(n), always keeping the first and last."""
    if n <= k:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, k).round().astype(int))


def quantize(w: np.ndarray) -> dict[str, Any]:
    """A matrix as base64 uint8 codes, symmetric around 0: w ≈ (code − 127.5) / 127.5 · scale.

    Symmetric so that code 127/128 is white in a diverging colour map: zero weights look
    neutral at every scale.
    """
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 2:
        raise ValueError(f"quantize() needs a matrix, got shape {w.shape}")
    finite = np.where(np.isfinite(w), w, 0.0)
    scale = float(np.abs(finite).max()) if finite.size else 0.0
    unit = finite / scale if scale > 0 else finite
    codes = np.clip(np.round(unit * 127.5 + 127.5), 0, 255).astype(np.uint8)
    return {"rows": int(w.shape[0]), "cols": int(w.shape[1]), "scale": scale,
            "b64": base64.b64encode(codes.tobytes()).decode("ascii")}


def dequantize(q: dict[str, Any]) -> np.ndarray:
    """The inverse of ``quantize`` (what the browser computes), for tests and static figures."""
    codes = np.frombuffer(base64.b64decode(q["b64"]), dtype=np.uint8).astype(np.float64)
    return ((codes - 127.5) / 127.5 * q["scale"]).reshape(q["rows"], q["cols"])


def quantize_unit(v: np.ndarray) -> dict[str, Any]:
    """A matrix of values in [0, 1] (e.g. normalised spectra) as base64 uint8 codes: v ≈ code / 255."""
    v = np.nan_to_num(np.asarray(v, dtype=np.float64), nan=0.0)
    if v.ndim != 2:
        raise ValueError(f"quantize_unit() needs a matrix, got shape {v.shape}")
    codes = np.round(np.clip(v, 0, 1) * 255).astype(np.uint8)
    return {"rows": int(v.shape[0]), "cols": int(v.shape[1]), "seq": True,
            "b64": base64.b64encode(codes.tobytes()).decode("ascii")}


def dequantize_unit(q: dict[str, Any]) -> np.ndarray:
    """The inverse of ``quantize_unit`` (what the browser computes), for static figures."""
    codes = np.frombuffer(base64.b64decode(q["b64"]), dtype=np.uint8)
    return codes.reshape(q["rows"], q["cols"]) / 255


def half(m: np.ndarray) -> dict[str, Any]:
    """A matrix as base64 little-endian float16 (11 significant bits, integers exact up to 2048):
    per-neuron numbers (fitted frequency, phase, amplitude, IPR, norms) at 2 bytes each instead
    of ~6 characters of JSON. NaN/inf become 0 (JSON and the page have no use for them)."""
    m = np.asarray(m, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"half() needs a matrix, got shape {m.shape}")
    codes = np.nan_to_num(m, nan=0.0, posinf=0.0, neginf=0.0).astype("<f2")
    return {"rows": int(m.shape[0]), "cols": int(m.shape[1]), "f16": base64.b64encode(codes.tobytes()).decode("ascii")}


def unhalf(q: dict[str, Any]) -> np.ndarray:
    """The inverse of ``half`` (what the browser computes), for tests."""
    return np.frombuffer(base64.b64decode(q["f16"]), dtype="<f2").astype(np.float64).reshape(q["rows"], q["cols"])
