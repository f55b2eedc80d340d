"""Has the CPU path kept its speed? The short form of bench_trainer.py (fp32 M=1 and autograd M=1 at
p = 97, N = 500; fp32 M=64 at p = 23, N = 64; one thread), each variant's speed-up over the baseline
measured in the same interleaved rounds, then divided by the same speed-up in a committed results
file (``--against``). The baseline's code does not change, so it is the clock both runs are read
against; a ratio near 1 means the trainer kept its speed (absolute rates drift with the load).

    python benchmarks/cpu_speed_check.py [--against results/trainer_epyc_avx2.json]   # → results/cpu_speed_check.json

With ``--before SRC`` (the ``src/`` folder of another checkout, e.g. ``git archive <commit> src``),
the same measurement alternates between that code and this one in child processes (before, now,
before, now, ...; ``--runs`` pairs), so both are read under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import torch

from rulesfacts.bench.machine import machine_info
from rulesfacts.bench.suite import BenchConfig, trainer_table
from rulesfacts.io import write_json

RESULTS = Path(__file__).parent / "results"


def measure(against: Path, rounds: int, epochs: int) -> list[dict]:
    """One run of the short benchmark: each variant's ×baseline now and in ``against``."""
    old = {(r["p"], r["variant"]): r for r in json.loads(against.read_text())["trainer"]}
    torch.set_num_threads(1)
    cfg = BenchConfig(sizes=((97, 500), (23, 64)), ensembles=(1,), ensembles_by_size={23: (64,)}, epochs=epochs,
                      repeats=rounds, threads=1, bf16=False, memory=False, extras=False)
    rows = [r for r in trainer_table(cfg) if "model_epochs_per_s" in r and r["variant"] != "baseline"]
    out = []
    for r in rows:
        before = old.get((r["p"], r["variant"]))
        out.append({"p": r["p"], "variant": r["variant"], "x_baseline": round(r["speedup_vs_baseline"], 3),
                    "x_baseline_in_file": before and round(before["speedup_vs_baseline"], 3),
                    "over_file": before and round(r["speedup_vs_baseline"] / before["speedup_vs_baseline"], 3)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", type=Path, default=None,
                    help="results file to compare with (default: trainer_epyc_avx2.json on a CPU without "
                         "AVX-512, else trainer.json)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--before", type=Path, default=None, help="src/ of the code to alternate with")
    ap.add_argument("--runs", type=int, default=2, help="with --before: pairs of runs")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    machine = machine_info()
    against = args.against or RESULTS / ("trainer.json" if machine["flags"]["avx512f"] else "trainer_epyc_avx2.json")
    if args.child:
        print(json.dumps(measure(against, args.rounds, args.epochs)))
        return
    own = Path(__file__).resolve().parents[1] / "src"
    codes = [("before", args.before), ("now", own)] * args.runs if args.before else [("now", own)]
    runs = []
    for label, src in codes:
        env = {**os.environ, "PYTHONPATH": str(src)}
        cmd = [sys.executable, __file__, "--child", "--against", str(against), "--rounds", str(args.rounds),
               "--epochs", str(args.epochs)]
        rows = json.loads(subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout)
        runs.append({"code": label, "rows": rows})
        for r in rows:
            print(f"{label:<6} p={r['p']:>3} {r['variant']:<18} ×{r['x_baseline']:.2f} the baseline "
                  f"(×{r['x_baseline_in_file']} in {against.name})", flush=True)
    summary = {}
    for label in dict(codes):
        for r in (r for run in runs if run["code"] == label for r in run["rows"]):
            summary.setdefault(f"p={r['p']} {r['variant']}", {}).setdefault(label, []).append(r["x_baseline"])
    medians = {k: {label: statistics.median(v) for label, v in d.items()} for k, d in summary.items()}
    command = (f"python benchmarks/cpu_speed_check.py --rounds {args.rounds} --epochs {args.epochs}"
               + (f" --before <src of the earlier commit> --runs {args.runs}" if args.before else ""))
    write_json(RESULTS / "cpu_speed_check.json",
               {"machine": machine, "against": against.name, "runs": runs, "x_baseline": summary,
                "median_x_baseline": medians, "command": command})


if __name__ == "__main__":
    main()
