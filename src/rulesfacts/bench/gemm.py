"""Matrix products timed alone: the machine's matmul peak, the limit the trainer's useful GFLOP/s
are held to, and the hand-written path's three GEMMs on one activation block."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from rulesfacts.bench.timing import seconds


class MatmulPeak:
    """A square n×n matmul (2n³ FLOPs) in ``dtype``, operands made once. Timed beside the
    trainer, round by round, it gives the peak under the same load (on a shared machine the load
    changes from one minute to the next)."""

    def __init__(self, dtype: str = "float32", n: int = 1024):
        dt = getattr(torch, dtype)
        self.dtype, self.n = dtype, n
        self.a, self.b = torch.randn(n, n).to(dt), torch.randn(n, n).to(dt)
        self.out = torch.empty(n, n, dtype=dt)

    @property
    def flops(self) -> float:
        return 2.0 * self.n**3

    def seconds(self, repeats: int = 5) -> float:
        """Seconds per product: the median of ``repeats`` products after a warm-up one."""
        return seconds(lambda: torch.mm(self.a, self.b, out=self.out), repeats=repeats)

    def gflops(self, repeats: int = 5) -> float:
        return self.flops / self.seconds(repeats) / 1e9


def block_gemms(k: int, rows: int, width: int, classes: int, dtype: str = "float32") -> Callable[[], Any]:
    """The hand-written path's three GEMMs on one activation block of ``k`` members × ``rows``
    examples: forward h·W_out, ∂W_out += hᵀg, ∂h = g·W_outᵀ (random operands)."""
    dt = getattr(torch, dtype)
    h, w, g = (torch.randn(*shape).to(dt) for shape in ((k, rows, width), (k, width, classes), (k, rows, classes)))
    wt, gw = w.transpose(1, 2).contiguous(), torch.zeros(k, width, classes, dtype=dt)
    return lambda: (torch.bmm(h, w), gw.baddbmm_(h.transpose(1, 2), g), torch.bmm(g, wt))
