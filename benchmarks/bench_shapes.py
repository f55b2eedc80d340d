"""Micro-benchmarks behind two choices of the hand-written path, in one process.

1. Class padding (``handwritten.PAD_CLASSES_BELOW``): the three batched GEMMs of one activation block
   (forward h·W_out, ∂W_out = hᵀg, ∂h = g·W_outᵀ) with C = p classes against C padded to a
   multiple of 8, at the block shapes the trainer uses for several (p, N).
2. bf16 elementwise: why the bf16 path gains only in its GEMMs — a multiply of one
   reference-size block (941 × 500) in fp32, in bf16, and fp32 → bf16 (as the path writes h).

Each pair is timed interleaved; ratios are medians of same-round ratios.

    python benchmarks/bench_shapes.py [--rounds 5]   # → results/shapes.json
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import torch

from rulesfacts.bench.gemm import block_gemms
from rulesfacts.bench.machine import machine_info
from rulesfacts.bench.timing import seconds
from rulesfacts.config.train import TrainConfig
from rulesfacts.io import write_json
from rulesfacts.models.handwritten import blocks, padded_classes
from rulesfacts.tasks import train_count

RESULTS = Path(__file__).parent / "results"
SIZES = ((13, 64), (23, 64), (31, 128), (53, 128), (61, 256), (97, 500), (113, 128))  # (p, N)


def padding_table(rounds: int, members: int = 64) -> list[dict]:
    out = []
    for p, width in SIZES:
        n = train_count(TrainConfig(p=p, width=width, train_frac=0.5))
        ms, rs = blocks(members if p < 97 else 1, n, width)[0]
        k, rows = len(range(members)[ms]), len(range(n)[rs])
        padded = -(-p // 8) * 8
        plain, pad = block_gemms(k, rows, width, p), block_gemms(k, rows, width, padded)
        ratios = []
        for _ in range(rounds):
            ratios.append(seconds(plain, calls=30) / seconds(pad, calls=30))
        out.append({"p": p, "width": width, "block_members": k, "block_rows": rows, "padded_classes": padded,
                    "speedup_padded": statistics.median(ratios), "padded_by_trainer": padded_classes(p) != p})
        print(out[-1], flush=True)
    return out


def elementwise(rounds: int, rows: int = 941, width: int = 500) -> dict:
    z = torch.randn(rows, width)
    zb, f32, b16 = z.bfloat16(), torch.empty(rows, width), torch.empty(rows, width, dtype=torch.bfloat16)
    fns = {"fp32 z*z": lambda: torch.mul(z, z, out=f32), "bf16 z*z": lambda: torch.mul(zb, zb, out=b16),
           "fp32 z*z -> bf16": lambda: torch.mul(z, z, out=b16)}
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            times[k].append(seconds(fn, calls=100))
    return {k: round(statistics.median(v) * 1e6, 1) for k, v in times.items()} | {"unit": "µs", "rows": rows,
                                                                                   "width": width}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = {"machine": machine_info(), "threads": 1, "padding": padding_table(args.rounds),
           "elementwise": elementwise(args.rounds)}
    print(out["elementwise"])
    write_json(RESULTS / "shapes.json", out)


if __name__ == "__main__":
    main()
