"""The machine's own matmul peak (GFLOP/s of square sgemm / bf16 gemm): the physical limit the
trainer's useful GFLOP/s are compared with. Threads 1 and all cores, sizes 512-2048, interleaved.

    python benchmarks/bench_matmul_peak.py   # → results/matmul_peak.json
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path

import torch

from rulesfacts.bench.gemm import MatmulPeak
from rulesfacts.bench.machine import machine_info
from rulesfacts.io import write_json

RESULTS = Path(__file__).parent / "results"


def main(rounds: int = 3) -> dict:
    dtypes = ["float32"] + (["bfloat16"] if machine_info()["flags"]["avx512_bf16"] else [])
    threads = sorted({1, os.cpu_count() or 1})
    before = torch.get_num_threads()
    samples: dict[tuple, list[float]] = {}
    for _ in range(rounds):
        for t in threads:
            torch.set_num_threads(t)
            for dt in dtypes:
                for n in (512, 1024, 2048):
                    samples.setdefault((dt, t, n), []).append(MatmulPeak(dt, n).gflops(repeats=5))
    torch.set_num_threads(before)
    rows = [{"dtype": dt, "threads": t, "n": n, "gflops_median": statistics.median(v), "gflops_max": max(v)}
            for (dt, t, n), v in samples.items()]
    peak = {dt: max(r["gflops_max"] for r in rows if r["dtype"] == dt) for dt in dtypes}
    out = {"machine": machine_info(), "rows": rows, "peak_gflops": peak}
    write_json(RESULTS / "matmul_peak.json", out)
    for r in rows:
        print(f"{r['dtype']:<9} threads={r['threads']} n={r['n']:<5} median {r['gflops_median']:7.1f} "
              f"max {r['gflops_max']:7.1f} GFLOP/s")
    return out


if __name__ == "__main__":
    main()
