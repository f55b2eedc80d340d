"""The paper's full weight-decay grid on a GPU, end to end: the `paper-wd` preset (Doshi et al. 2024,
Fig. 2: 17 α × 17 ξ × 4 weight decays = 1156 runs × 2000 epochs at p = 97, N = 500), or a fixed
fraction of its training fractions α (each α is one batched ensemble of 68 runs), through
`run_sweep` as a user runs it: grouping, training, run folders, the results table.

Prints model-epochs/s and the phases, draws the four phase panels, and writes
results/gpu_paper_wd_<gpu>.json (the GPU's name, torch and CUDA versions, the command). Without a
CUDA device it stops with one line (exit 2).

    python benchmarks/gpu_paper_wd.py                       # the whole grid (the target: ≤ 2 min on one H200)
    python benchmarks/gpu_paper_wd.py --fraction 0.25       # 4 of the 17 α values: 272 runs
    python benchmarks/gpu_paper_wd.py --dtype bfloat16 --out /tmp/gpu
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rulesfacts.errors import RulesfactsError
from rulesfacts.io import write_json
from rulesfacts.sweep import load_results, run_sweep
from rulesfacts.sweep.spec import load_spec, with_overrides

RESULTS = Path(__file__).parent / "results"


def alpha_subset(values: tuple, fraction: float) -> list:
    """``round(fraction · len)`` (at least 1) of the α values, evenly spaced, both ends kept."""
    k = max(1, min(len(values), round(fraction * len(values))))
    return [values[i] for i in np.unique(np.linspace(0, len(values) - 1, k).round().astype(int))]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fraction", type=float, default=1.0, help="share of the 17 α values (whole ensembles)")
    ap.add_argument("--epochs", type=int, default=0, help="epochs per run (0: the preset's 2000)")
    ap.add_argument("--dtype", default="float32", choices=("float32", "bfloat16", "tfloat32"))
    ap.add_argument("--device", default="cuda", help="cuda (cpu: a check of the script itself)")
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: one per GPU)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON and the phase panels")
    ap.add_argument("--sweep-dir", type=Path, default=None, help="keep the sweep here (default: a temp folder)")
    args = ap.parse_args()
    if not 0 < args.fraction <= 1:
        sys.exit("error: --fraction must be in (0, 1]")
    try:
        run(args)
    except RulesfactsError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


def run(args: argparse.Namespace) -> None:
    from rulesfacts.bench.machine import gpu_info, machine_info
    from rulesfacts.runtime import resolve_device
    from rulesfacts.sweep.diagrams import write_phase_map

    device = resolve_device(args.device)  # one line where the machine has no such device
    spec = load_spec("paper-wd")
    alphas = alpha_subset(next(a.values for a in spec.axes if a.name == "train_frac"), args.fraction)
    sets = [f"device={args.device}", f"dtype={args.dtype}"] + ([f"epochs={args.epochs}"] if args.epochs else [])
    spec = with_overrides(spec, sets, [f"train_frac={','.join(repr(float(a)) for a in alphas)}"])
    epochs = args.epochs or int(spec.base["epochs"])
    sweep_dir = args.sweep_dir or Path(tempfile.mkdtemp(prefix="rf-gpu-paper-wd-"))
    try:
        t0 = time.perf_counter()
        summary = run_sweep(spec, sweep_dir, workers=args.workers, progress=True, yes=True, estimate=False)
        seconds = time.perf_counter() - t0
        table = load_results(sweep_dir)
        args.out.mkdir(parents=True, exist_ok=True)
        gpu = gpu_info() if device.type == "cuda" else {"gpu": "none (cpu)"}
        name = slug(gpu["gpu"])
        panels = write_phase_map(table, args.out / f"gpu_paper_wd_{name}_{args.dtype}.png", panel="wd",
                                 title=f"paper-wd on {gpu['gpu']}, {args.dtype}, {len(table)} runs")
    finally:
        if args.sweep_dir is None:
            shutil.rmtree(sweep_dir, ignore_errors=True)
    runs = summary["runs_done"]
    result = {
        "gpu": gpu, "machine": machine_info(), "dtype": args.dtype, "fraction": args.fraction,
        "alphas": [float(a) for a in alphas], "runs": runs, "epochs": epochs, "seconds": round(seconds, 2),
        "model_epochs_per_s": round(runs * epochs / seconds, 1),
        "full_grid_seconds_at_this_rate": round(1156 * 2000 / (runs * epochs / seconds), 1),
        "groups": summary["groups"], "workers": summary["workers"], "phases": summary["phases"],
        "phase_panels": panels["panels"], "png": panels["png"],
        "command": "python benchmarks/gpu_paper_wd.py " + " ".join(sys.argv[1:]),
    }
    path = args.out / f"gpu_paper_wd_{name}_{args.dtype}.json"
    write_json(path, result)
    print(f"{runs} runs × {epochs} epochs in {seconds:.1f} s on {gpu['gpu']}: "
          f"{result['model_epochs_per_s']:.0f} model-epochs/s; phases {summary['phases']}", file=sys.stderr)
    print(json.dumps({**result, "json": str(path)}))


if __name__ == "__main__":
    main()
