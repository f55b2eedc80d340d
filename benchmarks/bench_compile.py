"""torch.compile of the trainer's autograd path, against eager and the hand-written path, in one process.

The hand-written forward/backward (``training.steps.HandWrittenStep``) covers full-batch runs without
BatchNorm, dropout or biases; everything else takes the autograd path, which ``compile=True``
hands to ``torch.compile``. Three cases, each variant interleaved round by round, ratios the
medians of same-round ratios; compile time (first epoch and first log pass) reported apart.

    python benchmarks/bench_compile.py [--rounds 3]   # → results/compile.json
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from rulesfacts.bench.machine import machine_info
from rulesfacts.bench.trainer import TrainerClock
from rulesfacts.config.train import TrainConfig
from rulesfacts.io import write_json
from rulesfacts.training.steps import AutogradStep

RESULTS = Path(__file__).parent / "results"

CASES = {  # name: (configs of the ensemble, which variants)
    "full batch p=97 N=500 M=1": ([TrainConfig(p=97, width=500, seed=0)], ("manual", "eager", "compiled")),
    "full batch p=23 N=64 M=64": ([TrainConfig(p=23, width=64, seed=s) for s in range(64)],
                                  ("manual", "eager", "compiled")),
    "BatchNorm, minibatch 64, p=97 N=500 M=1": (
        [TrainConfig(p=97, width=500, batchnorm=True, batch_size=64, lr_batch_scaling=True, seed=0)],
        ("eager", "compiled")),
}


def clock_for(cfgs: list[TrainConfig], variant: str) -> tuple[TrainerClock, float]:
    """The variant's clock and the seconds its first epoch + log pass took (compilation included):
    "manual" the hand-written step, "eager" and "compiled" the autograd step."""
    cfgs = [c.replace(epochs=10**6, log_every=10, n_snapshots=0, device="cpu", compile=variant == "compiled")
            for c in cfgs]
    t0 = time.perf_counter()
    clock = TrainerClock(cfgs, step=None if variant == "manual" else AutogradStep(variant == "compiled"))
    clock.log()
    return clock, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out = {"machine": machine_info(), "threads": args.threads, "rounds": args.rounds, "cases": []}
    for name, (cfgs, variants) in CASES.items():
        clocks, first = {}, {}
        for v in variants:
            clocks[v], first[v] = clock_for(cfgs, v)
        epochs = 2 if cfgs[0].batch_size else max(2, round(8 / len(cfgs) ** 0.5))
        times: dict[str, list[float]] = {v: [] for v in variants}
        for _ in range(args.rounds):
            for v, clock in clocks.items():
                times[v].append(clock.seconds_per_model_epoch(epochs))
        row = {"case": name, "first_epoch_and_log_seconds": {v: round(s, 2) for v, s in first.items()},
               "model_epochs_per_s": {v: round(1 / statistics.median(ts), 3) for v, ts in times.items()},
               "compiled_vs_eager": statistics.median(e / c for e, c in zip(times["eager"], times["compiled"],
                                                                             strict=True))}
        if "manual" in times:
            row["compiled_vs_manual"] = statistics.median(m / c for m, c in zip(times["manual"], times["compiled"],
                                                                                strict=True))
        print(row, flush=True)
        out["cases"].append(row)
    write_json(RESULTS / "compile.json", out)


if __name__ == "__main__":
    main()
