"""The one timer every benchmark measures with."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def seconds(fn: Callable[[], Any], calls: int = 1, repeats: int = 1, warmup: bool = True) -> float:
    """Seconds per call of ``fn``: the median over ``repeats`` timings of ``calls`` back-to-back
    calls each, after one untimed warm-up call (``warmup``). ``calls`` > 1 for kernels of tens of
    µs, where one call is below the timer's useful resolution; ``repeats`` > 1 where a single slow
    call (another process taking the core) should not decide the result."""
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times)
