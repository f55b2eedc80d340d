"""Does bfloat16 reach the same phase as float32 on the paper's reference points?

p = 97, N = 500, α = 0.5, ξ = 0.35, weight decay 0 / 5 / 15 / 20 trained as one ensemble of four,
once in float32 and once with ``dtype="bfloat16"`` (bf16 matmuls, fp32 master weights). The phase
of each member is named by ``rulesfacts.sweep.phases.classify`` at the paper's epoch (Doshi et al.
2024: wd 0 at 1000 epochs, wd 5 and 15 at 500; wd 20 needs 5000 epochs in the paper, here it is
read at the last epoch run).

    python benchmarks/bench_bf16_phase.py --dtype float32 &   # the two runs can share the machine
    python benchmarks/bench_bf16_phase.py --dtype bfloat16
    python benchmarks/bench_bf16_phase.py --dtype bfloat16 --compile   # optional: the compiled path too
    python benchmarks/bench_bf16_phase.py --compare           # → results/bf16_phase.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from rulesfacts.bench.machine import machine_info
from rulesfacts.config.train import TrainConfig
from rulesfacts.io import write_json
from rulesfacts.training.trainer import train_ensemble

RESULTS = Path(__file__).parent / "results"
POINTS = {0.0: 1000, 5.0: 500, 15.0: 500, 20.0: 5000}  # weight decay → the paper's epochs


def run(dtype: str, epochs: int, threads: int, compile: bool = False) -> dict:
    from rulesfacts.sweep.phases import classify

    torch.set_num_threads(threads)
    cfgs = [TrainConfig(p=97, width=500, train_frac=0.5, fact_frac=0.35, wd=wd, epochs=epochs, log_every=10,
                        n_snapshots=0, dtype=dtype, seed=0, compile=compile) for wd in POINTS]
    t = time.perf_counter()
    results = train_ensemble(cfgs, progress=True)
    seconds = time.perf_counter() - t
    points = []
    for (wd, paper_epochs), res in zip(POINTS.items(), results, strict=True):
        at = min(paper_epochs, epochs)
        row = next(r for r in res.metrics if r["epoch"] == at)
        keys = ("train_acc", "test_acc", "facts_memorized", "facts_recovered")
        points.append({"wd": wd, "epoch": at, "phase": classify({**row, "status": res.summary["status"]}),
                       **{k: row[k] for k in keys}})
    return {"dtype": dtype, "compile": compile, "epochs": epochs, "threads": threads, "seconds": seconds,
            "points": points,
            "machine": machine_info()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dtype", choices=("float32", "bfloat16"))
    ap.add_argument("--epochs", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--compile", action="store_true", help="the compiled path (config compile)")
    ap.add_argument("--compare", action="store_true")
    args = ap.parse_args()
    if args.compare:
        a, b = (json.loads((RESULTS / f"bf16_phase_{d}.json").read_text()) for d in ("float32", "bfloat16"))
        same = [pa["phase"] == pb["phase"] for pa, pb in zip(a["points"], b["points"], strict=True)]
        out = {"float32": a, "bfloat16": b, "same_phase": same, "all_same_phase": all(same),
               "wall_time_ratio_fp32_over_bf16": a["seconds"] / b["seconds"]}
        compiled = RESULTS / "bf16_phase_bfloat16_compiled.json"
        if compiled.is_file():
            c = json.loads(compiled.read_text())
            out["bfloat16_compiled"] = c
            out["same_phase_compiled"] = [pa["phase"] == pc["phase"]
                                          for pa, pc in zip(a["points"], c["points"], strict=True)]
        write_json(RESULTS / "bf16_phase.json", out)
        for pa, pb in zip(a["points"], b["points"], strict=True):
            print(f"wd={pa['wd']:>4} epoch {pa['epoch']}: fp32 {pa['phase']:<18} bf16 {pb['phase']:<18} "
                  f"test {pa['test_acc']:.3f}/{pb['test_acc']:.3f}")
        return
    name = f"bf16_phase_{args.dtype}{'_compiled' if args.compile else ''}.json"
    write_json(RESULTS / name, run(args.dtype, args.epochs, args.threads, args.compile))


if __name__ == "__main__":
    main()
