"""Trainer throughput against the straightforward way, in one process.

Model-epochs/s and useful GFLOP/s (definition: ``rulesfacts.bench`` package docstring) of the
ensemble trainer for ensembles of 1, 4, 16, 64 at the reference size (p=97, N=500, α=0.5, full
batch) and the small size (p=23, N=64), fp32 and bf16, beside the baseline (one ``nn.Linear``
one-hot model + ``torch.optim.AdamW`` per run, in a Python loop, as the paper's code). Variants
are interleaved round by round and ratios are medians of same-round ratios. Also: the thread
count, the activation block size, peak memory (child processes) and the 17×17×4 diagram estimate.

    python benchmarks/bench_trainer.py [--threads 1] [--rounds 3]   # → results/trainer.json
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import torch

from rulesfacts.bench.gemm import block_gemms
from rulesfacts.bench.machine import machine_info
from rulesfacts.bench.suite import BenchConfig, diagram_estimate, thread_table, trainer_table
from rulesfacts.bench.timing import seconds
from rulesfacts.bench.trainer import TrainerClock, peak_memory_mb, reference_configs
from rulesfacts.io import write_json
from rulesfacts.models.handwritten import BLOCK_ELEMS, blocks
from rulesfacts.training.steps import HandWrittenStep

RESULTS = Path(__file__).parent / "results"


def block_table(rounds: int, epochs: int = 3, compiled: bool = True) -> list[dict]:
    """Seconds per model-epoch of the hand-written path for activation blocks of 2^17..2^23 elements,
    float32 eager and (``compiled``) the compiled path in float32 and bfloat16, whose blocks hold
    twice the step's ``block_elems`` (``HandWrittenPath.block_layout``). Each size gets its own
    trainer, with its own ``HandWrittenStep(compiled, block_elems)``, so its own compiled graphs."""
    variants = [("fp32", "float32", False, (17, 19, 21, 23))]
    if compiled:
        variants += [(f"{name} compiled", dtype, True, (17, 18, 19, 20))
                     for name, dtype in (("fp32", "float32"), ("bf16", "bfloat16"))]
    out = []
    for p, width, m in ((97, 500, 1), (23, 64, 64)):
        clocks = {}
        for name, dtype, comp, sizes in variants:
            for b in sizes:
                cfgs = [c.replace(compile=comp) for c in reference_configs(p, width, m, 0.5, 10, dtype=dtype)]
                clocks[name, b] = TrainerClock(cfgs, step=HandWrittenStep(comp, block_elems=2**b))
        times: dict[tuple[str, int], list[float]] = {k: [] for k in clocks}
        for _ in range(rounds):
            for (name, b), clock in clocks.items():
                times[name, b].append(clock.seconds_per_model_epoch(epochs))
        out += [{"p": p, "width": width, "members": m, "variant": name,
                 "block_log2": b + name.endswith("compiled"), "default": 2**b == BLOCK_ELEMS,
                 "seconds_per_model_epoch": statistics.median(v)} for (name, b), v in times.items()]
    return out


def thread_tables(rounds: int) -> list[dict]:
    """Ours and the baseline with 1 and with all threads at the reference size (M=1) and the small size (M=64)."""
    torch.set_num_threads(1)
    return thread_table(repeats=rounds) + thread_table(23, 64, 64, epochs=40, repeats=rounds)


def gemm_ceiling(rounds: int, p: int = 97, width: int = 500, train_frac: float = 0.5) -> dict:
    """bf16 over fp32 for the hand-written path's three GEMMs alone (forward h·W_out, ∂W_out = hᵀg,
    ∂h = g·W_outᵀ) on one activation block of the reference size: the most the bf16 path could gain
    if everything else (gather, activation, scatter, optimizer) cost nothing."""
    from rulesfacts.config.train import TrainConfig
    from rulesfacts.tasks import train_count

    n = train_count(TrainConfig(p=p, width=width, train_frac=train_frac))
    rows = blocks(1, n, width)[0][1]
    nr = len(range(n)[rows])

    fns = {dt: block_gemms(1, nr, width, p, dt) for dt in ("float32", "bfloat16")}
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            times[k].append(seconds(fn, calls=20))
    ratio = statistics.median(f / b for f, b in zip(times["float32"], times["bfloat16"], strict=True))
    return {"block_rows": nr, "width": width, "classes": p, "bf16_over_fp32": ratio}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: robust on a shared machine)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--compiled", action=argparse.BooleanOptionalAction, default=True,
                    help="also the compiled hand-written path (config compile; needs a C++ compiler)")
    ap.add_argument("--memory-only", action="store_true", help="re-measure peak memory into results/trainer.json")
    ap.add_argument("--threads-only", action="store_true",
                    help="re-measure the threads table and the GEMM-only bf16 ceiling into results/trainer.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.threads_only:
        out = json.loads((RESULTS / "trainer.json").read_text())
        out["thread_table"] = thread_tables(args.rounds)
        out["gemm_ceiling"] = gemm_ceiling(args.rounds)
        write_json(RESULTS / "trainer.json", out)
        return
    if args.memory_only:
        out = json.loads((RESULTS / "trainer.json").read_text())
        for r in out["trainer"]:
            if r["variant"] == "baseline" or r["variant"].startswith("fp32 M="):
                kind = "baseline" if r["variant"] == "baseline" else "ours"
                r["peak_mb"] = peak_memory_mb(kind, r["p"], r["width"], r["members"], 0.5)
                print(r["p"], r["variant"], r["peak_mb"], "MB", flush=True)
        write_json(RESULTS / "trainer.json", out)
        return
    say = lambda s: print(s, flush=True)  # noqa: E731
    cfg = BenchConfig(epochs=args.epochs, repeats=args.rounds, threads=args.threads, compiled=args.compiled)
    rows = trainer_table(cfg, progress=True)
    peak = {f"p={r['p']} {r['variant']}": r["gflops"] for r in rows if "gflops" in r}
    rows = [r for r in rows if "gflops" not in r]
    say("threads")
    threads = thread_tables(args.rounds)
    say("GEMM-only bf16 ceiling")
    ceiling = gemm_ceiling(args.rounds)
    torch.set_num_threads(args.threads)
    say("block sizes")
    blocks = block_table(args.rounds, compiled=args.compiled)
    out = {"machine": machine_info(), "threads": args.threads, "matmul_peak_gflops": peak, "trainer": rows,
           "thread_table": threads, "gemm_ceiling": ceiling, "block_table": blocks,
           "diagram_estimate": diagram_estimate(rows),
           "command": f"python benchmarks/bench_trainer.py --threads {args.threads} --rounds {args.rounds} "
                      f"--epochs {args.epochs}" + ("" if args.compiled else " --no-compiled")}
    write_json(RESULTS / "trainer.json", out)
    for r in rows:
        say(f"p={r['p']:>3} {r['variant']:<20} {r['model_epochs_per_s']:9.2f} model-epochs/s "
            f"{r['gflops_useful']:7.2f} GFLOP/s ({r['fraction_of_fp32_peak']:.0%} of peak) "
            f"x{r['speedup_vs_baseline']:.2f} vs baseline, peak {r.get('peak_mb')} MB")
    say(str(out["diagram_estimate"]))


if __name__ == "__main__":
    main()
