"""Speed of the RAF theory (issue #6: "one theory point takes milliseconds; a 100-point curve well
under a second"), measured in one process, with the ratios that do not depend on the machine's load:
warm-started curve per point vs a cold point, and finite-d simulation (d = 1000, one seed) vs theory.

    python benchmarks/theory_speed.py   # → results/theory_speed.json + results/theory_speed.md
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from rulesfacts.bench.machine import machine_info
from rulesfacts.io import write_json, write_text
from rulesfacts.theory import solve_point, theory_curve
from rulesfacts.theory.config import RAFPoint
from rulesfacts.theory.simulate import simulate_point

RESULTS = Path(__file__).parent / "results"
CASES = [
    ("linear", "square", {}), ("linear", "hinge", {}), ("linear", "logistic", {}),
    ("kernel", "square", {"mu1": 1.0, "mustar": 0.5}), ("kernel", "hinge", {"mu1": 1.0, "mustar": 0.5}),
    ("kernel", "logistic", {"mu1": 1.0, "mustar": 0.5}),
    ("rf", "square", {"kappa": 2.0, "act": "relu"}), ("rf", "hinge", {"kappa": 2.0, "act": "sign"}),
    ("rf", "logistic", {"kappa": 2.0, "act": "tanh"}), ("bayes", "square", {}),
]


def _best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(repeats: int = 5) -> dict:
    rows = []
    alphas = np.linspace(0.2, 5.0, 100)
    for learner, loss, params in CASES:
        point = _best_of(lambda: solve_point(learner, loss, 2.0, 0.2, 0.1, **params), repeats)  # noqa: B023
        curve = _best_of(lambda: theory_curve(learner, loss, alphas, 0.2, 0.1, **params), 2)  # noqa: B023
        cold = _best_of(lambda: [solve_point(learner, loss, a, 0.2, 0.1, **params) for a in alphas], 1)  # noqa: B023
        row = {"learner": learner, "loss": loss, "point_ms": 1e3 * point, "curve100_s": curve,
               "curve_ms_per_point": 10 * curve, "cold100_s": cold, "warm_start_speedup": cold / curve}
        if learner != "bayes":
            sim = simulate_point(RAFPoint(learner, loss, 2.0, 0.2, 0.1, **params), d=1000, seeds=1, n_test=10000)
            row.update(sim_d1000_s=sim["seconds"], sim_over_theory=sim["seconds"] / point)
        rows.append(row)
        print(f"{learner:7s} {loss:9s} point {row['point_ms']:7.2f} ms   100-pt curve {curve:6.3f} s", flush=True)
    out = {"rows": rows, "median_point_ms": statistics.median(r["point_ms"] for r in rows),
           "max_curve100_s": max(r["curve100_s"] for r in rows), "machine": machine_info()}
    write_json(RESULTS / "theory_speed.json", out)
    write_text(RESULTS / "theory_speed.md", _markdown(out))
    return out


def _markdown(out: dict) -> str:
    lines = ["# RAF theory speed (benchmarks/theory_speed.py)", "",
             "α = 2, ε = 0.2, λ = 0.1; curve: 100 α values in [0.2, 5], warm-started; simulation: d = 1000, "
             "one seed, exact fit. Times are best-of-n wall clock on the machine below; the ratios (warm vs cold "
             "curve, simulation vs theory point) are measured in the same process.", "",
             "| learner | loss | ms / point (cold, α = 2) | 100-point curve s | same 100 points cold s | "
             "warm-start speed-up | sim d=1000 s | sim / theory |", "|---|---|---|---|---|---|---|---|"]
    for r in out["rows"]:
        sim = f"{r['sim_d1000_s']:.2f} | {r['sim_over_theory']:.0f}×" if "sim_d1000_s" in r else "– | –"
        lines.append(f"| {r['learner']} | {r['loss']} | {r['point_ms']:.2f} | {r['curve100_s']:.3f} | "
                     f"{r['cold100_s']:.3f} | {r['warm_start_speedup']:.1f}× | {sim} |")
    lines += ["", f"median {out['median_point_ms']:.2f} ms per point; slowest 100-point curve "
              f"{out['max_curve100_s']:.3f} s. CPU: {out['machine']['cpu']}, {out['machine']['cores']} cores.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
