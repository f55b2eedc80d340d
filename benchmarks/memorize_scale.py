"""How M1 (Yu et al. Theorem 7.3) scales: construction time, evaluation time and peak memory vs N.

The data imitate an MNIST pair at 784 dimensions without any download: sklearn's 8×8 digits
of two classes, upsampled to 28×28, randomly shifted by up to 2 pixels and jittered with pixel
noise, values in [0, 1]. Every N runs in a fresh subprocess so its peak RSS is its own.
Ratios (time(N)/time(N₀), fitted exponents) are measured in one process sequence, on the same
machine state; the absolute seconds depend on the load of the shared machine.

    python benchmarks/memorize_scale.py [--sizes 1000,2000,4000] [--n-test 2000]

writes benchmarks/results/memorize_scale.json and .md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def mnist_like(n_per_class: int, pair=(3, 8), seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from scipy.ndimage import shift, zoom
    from sklearn.datasets import load_digits

    d = load_digits()
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for label, c in zip((1, -1), pair, strict=True):
        base = d.images[d.target == c]
        pick = base[rng.integers(0, len(base), n_per_class)]
        for img in pick:
            big = zoom(img / 16.0, 3.5, order=1)  # 28×28
            big = shift(big, rng.integers(-2, 3, size=2), order=0)
            xs.append(np.clip(big + 0.05 * rng.standard_normal(big.shape), 0, 1).ravel())
            ys.append(label)
    return np.array(xs), np.array(ys)


def one_size(n_per_class: int, n_test: int) -> dict:
    """Construct M1 on 2·n_per_class points, check memorization on all of them, time n_test more."""
    import torch

    from rulesfacts.memorize.common import accuracy
    from rulesfacts.memorize.yu import YuNetwork

    torch.set_num_threads(1)
    x, y = mnist_like(n_per_class, seed=0)
    xt, yt = mnist_like(max(1, n_test // 2), seed=1)
    t0, c0 = time.perf_counter(), time.process_time()
    net = YuNetwork(x, y)
    t1 = time.perf_counter()
    train_acc = accuracy(net, x, y)
    t2, c2 = time.perf_counter(), time.process_time()
    test_acc = accuracy(net, xt, yt)
    t3 = time.perf_counter()
    return {"n": len(y), "dim": x.shape[1], "construct_s": t1 - t0, "train_eval_s": t2 - t1,
            "test_eval_s": t3 - t2, "cpu_s": c2 - c0, "n_test": len(yt), "train_acc": train_acc, "test_acc": test_acc,
            "params_dense": net.info.params, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="500,1000,2000", help="images per class, comma-separated")
    ap.add_argument("--n-test", type=int, default=2000)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.n_test)))
        return
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--n-test", str(args.n_test)],
                             check=True, capture_output=True, text=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(rows[-1], file=sys.stderr)
    base = rows[0]
    for r in rows:
        r["time_ratio"] = (r["construct_s"] + r["train_eval_s"]) / (base["construct_s"] + base["train_eval_s"])
        r["n_ratio"] = r["n"] / base["n"]
    if len(rows) > 1:
        ns = np.log([r["n"] for r in rows])
        exponent = float(np.polyfit(ns, np.log([r["construct_s"] + r["train_eval_s"] for r in rows]), 1)[0])
        mem_exp = float(np.polyfit(ns, np.log([r["peak_rss_mib"] for r in rows]), 1)[0])
    else:
        exponent = mem_exp = float("nan")
    RESULTS.mkdir(exist_ok=True)
    summary = {"rows": rows, "time_exponent": exponent, "rss_exponent": mem_exp,
               "note": "threads=1; seconds depend on the shared machine's load, ratios less so"}
    (RESULTS / "memorize_scale.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = ["# M1 (Yu et al. Thm 7.3) scale, MNIST-like 784-dim pairs (benchmarks/memorize_scale.py)", "",
             "| N | construct s | memorization check s (all N) | CPU s (both) | test eval s | test points | train acc "
             "| test acc | dense params | peak RSS MiB | time ratio |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['n']} | {r['construct_s']:.2f} | {r['train_eval_s']:.2f} | {r['cpu_s']:.1f} | "
                     f"{r['test_eval_s']:.2f} | "
                     f"{r['n_test']} | {r['train_acc']:.3f} | {r['test_acc']:.3f} | {r['params_dense']:,} | "
                     f"{r['peak_rss_mib']:.0f} | {r['time_ratio']:.2f} |")
    lines += ["", f"time ∝ N^{exponent:.2f} (construct + memorization check); peak RSS ∝ N^{mem_exp:.2f}", ""]
    (RESULTS / "memorize_scale.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
