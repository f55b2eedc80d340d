"""Sweep throughput (runs per minute) on one small grid, all measured in this one process run:

- loop:      one model at a time, `train(cfg)` per grid point (how the papers' scripts sweep);
- batched:   `run_sweep` grouping the grid into ensembles, in this process (1 worker, 1 thread);
- threads:   batched, 1 worker with 2 torch intra-op threads;
- processes: batched, 2 worker processes with 1 thread each (the default on 2 cores).

Writes benchmarks/results/sweep_throughput.json and a Markdown section sweep_throughput.md.
Usage: python benchmarks/sweep_throughput.py [--epochs 1500]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import torch

from rulesfacts.io import write_json, write_text
from rulesfacts.sweep import run_sweep
from rulesfacts.sweep.spec import expand, parse_spec
from rulesfacts.training.trainer import train

RESULTS = Path(__file__).parent / "results"


def grid(epochs: int):
    return parse_spec({"name": "bench", "base": {"p": 23, "width": 64, "epochs": epochs, "log_every": 10,
                                                 "n_snapshots": 2, "device": "cpu"},
                       "axes": {"train_frac": [0.3, 0.5, 0.7], "fact_frac": [0.0, 0.1, 0.2, 0.3],
                                "wd": [0, 5]}})


def time_loop(spec, tmp: Path) -> float:
    torch.set_num_threads(1)
    t = time.perf_counter()
    for i, cfg in enumerate(expand(spec)):
        train(cfg, tmp / "loop" / str(i), progress=False)
    return time.perf_counter() - t


def time_sweep(spec, tmp: Path, name: str, workers: int, threads: int) -> float:
    t = time.perf_counter()
    run_sweep(spec, tmp / name, workers=workers, threads=threads, progress=False, estimate=False)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=1500)
    args = ap.parse_args()
    spec = grid(args.epochs)
    n = spec.n_runs
    tmp = Path(tempfile.mkdtemp(prefix="rf-sweep-bench-"))
    try:
        seconds = {"loop": time_loop(spec, tmp),
                   "batched": time_sweep(spec, tmp, "batched", 1, 1),
                   "threads": time_sweep(spec, tmp, "threads", 1, 2),
                   "processes": time_sweep(spec, tmp, "processes", 2, 1)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rpm = {k: round(60 * n / v, 1) for k, v in seconds.items()}
    result = {"grid": {"runs": n, "p": 23, "width": 64, "epochs": args.epochs, "groups": 3},
              "seconds": {k: round(v, 2) for k, v in seconds.items()}, "runs_per_minute": rpm,
              "speedup_vs_loop": {k: round(seconds["loop"] / v, 2) for k, v in seconds.items()},
              "processes_vs_threads": round(seconds["threads"] / seconds["processes"], 2),
              "machine": {"cpus": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version(),
                          "load_avg_1min": round(os.getloadavg()[0], 2)}}
    write_json(RESULTS / "sweep_throughput.json", result)
    lines = ["## Sweep throughput (runs per minute)", "",
             f"Grid: {n} runs (p=23, N=64, {args.epochs} epochs, 3 α × 4 ξ × 2 wd → 3 ensembles), "
             f"{os.cpu_count()} cores, 1-min load average {result['machine']['load_avg_1min']} during the run.", "",
             "| executor | seconds | runs/min | × loop |", "|---|---|---|---|"]
    labels = {"loop": "one model at a time (`train` per point)", "batched": "batched ensembles, 1 process × 1 thread",
              "threads": "batched, 1 process × 2 threads", "processes": "batched, 2 processes × 1 thread"}
    for k in seconds:
        lines.append(f"| {labels[k]} | {seconds[k]:.1f} | {rpm[k]} | {result['speedup_vs_loop'][k]} |")
    lines += ["", f"Command: `python benchmarks/sweep_throughput.py --epochs {args.epochs}`", ""]
    write_text(RESULTS / "sweep_throughput.md", "\n".join(lines))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
