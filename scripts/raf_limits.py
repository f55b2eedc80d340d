"""RAF λ → 0 limits: theory (theory.limits) against finite-d simulation, as a markdown table.

    python scripts/raf_limits.py --d 1000 --seeds 5

Rows: the minimum-norm / least-squares fit (square loss) and the max-margin classifier (hinge and
logistic loss, λ → 0) at separable points; then one point beyond the capacity α_c(ε), where no
max-margin classifier exists (the LP finds no separating w at d = 300) and the hinge state evolution
at small λ is reported.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from rulesfacts.theory.api import solve_point
from rulesfacts.theory.capacity import alpha_c, separable_fraction
from rulesfacts.theory.limits import max_margin, min_norm_square, simulate_limit

POINTS = [("min_norm", 0.5, 0.2), ("min_norm", 2.0, 0.2), ("max_margin", 0.5, 0.2), ("max_margin", 1.0, 0.2),
          ("max_margin", 1.5, 0.1)]
KEYS = ("e_gen", "m", "q", "e_mem")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    rows = []
    for kind, a, e in POINTS:
        th = (min_norm_square if kind == "min_norm" else max_margin)(a, e)
        t0 = time.perf_counter()
        sim = simulate_limit(kind, a, e, d=args.d, seeds=args.seeds)
        print(kind, a, e, f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
        rows.append({"kind": kind, "alpha": a, "eps": e, "theory": th, "sim": sim,
                     "seconds": time.perf_counter() - t0,
                     "z": {k: (sim[k] - th[k]) / sim[f"{k}_se"] if sim[f"{k}_se"] > 0 else 0.0 for k in KEYS}})
    # logistic at small λ: its direction tends to the max-margin one
    logistic = [{"alpha": a, "eps": e, "lam": lam,
                 "e_gen": solve_point("linear", "logistic", alpha=a, fact_frac=e, lam=lam)["e_gen"],
                 "max_margin_e_gen": max_margin(a, e)["e_gen"]}
                for _, a, e in POINTS[2:] for lam in (1e-2, 1e-4, 1e-6)]
    # beyond capacity: no separating w (LP), and the hinge state evolution at small λ fits with errors
    a, e = 3.5, 0.2
    beyond = {"alpha": a, "eps": e, "alpha_c": alpha_c(e),
              "separable_fraction_d300": separable_fraction(a, e, 300, args.seeds),
              "separable_fraction_d300_below": separable_fraction(2.5, e, 300, args.seeds),
              "hinge_lam": {lam: solve_point("linear", "hinge", alpha=a, fact_frac=e, lam=lam)
                            for lam in (1e-2, 1e-4, 1e-6)}}
    print(json.dumps({"rows": rows, "logistic": logistic, "beyond": beyond}, indent=1))


if __name__ == "__main__":
    main()
