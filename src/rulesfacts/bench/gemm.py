"""Matrix products timed alone: the machine's matmul peak, the limit the trainer's useful GFLOP/s
are held to, and the hand-written path's three GEMMs on one activation block."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from rulesfacts.bench.timing import seconds
from rulesfacts.runtime import cuda_matmul_precision


class MatmulPeak:
    """A square n×n matmul (2n³ FLOPs) in ``dtype``, operands made once. Timed beside the
    trainer, round by round, it gives the peak under the same load (on a shared machine the load
    changes from one minute to the next). On a CUDA ``device`` each timing waits for the GPU;
    ``tf32``: float32 products on TF32 tensor cores (``runtime.cuda_matmul_precision``)."""

    def __init__(self, dtype: str = "float32", n: int = 1024, device: str = "cpu", tf32: bool = False):
        dt = getattr(torch, dtype)
        self.dtype, self.n, self.device, self.tf32 = dtype, n, torch.device(device), tf32
        self.a, self.b = (torch.randn(n, n).to(device=self.device, dtype=dt) for _ in range(2))
        self.out = torch.empty(n, n, dtype=dt, device=self.device)

    @property
    def flops(self) -> float:
        return 2.0 * self.n**3

    def product(self) -> None:
        with cuda_matmul_precision("tf32" if self.tf32 else None):
            torch.mm(self.a, self.b, out=self.out)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def seconds(self, repeats: int = 5) -> float:
        """Seconds per product: the median of ``repeats`` products after a warm-up one."""
        return seconds(self.product, repeats=repeats)

    def gflops(self, repeats: int = 5) -> float:
        return self.flops / self.seconds(repeats) / 1e9


def block_gemms(k: int, rows: int, width: int, classes: int, dtype: str = "float32") -> Callable[[], Any]:
    """The hand-written path's three GEMMs on one activation block of ``k`` members × ``rows``
    examples: forward h·W_out, ∂W_out += hᵀg, ∂h = g·W_outᵀ (random operands)."""
    dt = getattr(torch, dtype)
    h, w, g = (torch.randn(*shape).to(dt) for shape in ((k, rows, width), (k, width, classes), (k, rows, classes)))
    wt, gw = w.transpose(1, 2).contiguous(), torch.zeros(k, width, classes, dtype=dt)
    return lambda: (torch.bmm(h, w), gw.baddbmm_(h.transpose(1, 2), g), torch.bmm(g, wt))
