"""Networks trained by the trainer on RAF data against the state evolution of ``rulesfacts theory``.

At finite d the trained E_gen and E_mem fluctuate around their d → ∞ limits: the spread across
independent data sets is O(1/√d) and measured here (its standard error over S seeds, SE = std/√S),
and the mean differs from the limit by a finite-size bias. The bias is O(1/d) for these convex
problems (Gerace et al. 2020 observe agreement at d ~ 10²–10³); we allow 0.5/√d, which bounds it
with room at d = 200 (0.035) while a wrong convention (λ summed vs averaged, μ0 not removed) moves
the errors by 0.1 or more. Tolerance: 3·SE + 0.5/√d.
"""

import numpy as np
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.theory import solve_point
from rulesfacts.training.trainer import Trainer

D, SEEDS = 200, 4
POINTS = [  # (model, loss, alpha, eps, lam): E_mem away from 0 where the theory has it so
    ("linear", "square", 3.0, 0.3, 1.0),
    ("linear", "logistic", 3.0, 0.1, 0.01),
    ("rf", "square", 3.0, 0.3, 0.01),
]


@pytest.mark.slow
@pytest.mark.parametrize(("model", "loss", "alpha", "eps", "lam"), POINTS)
def test_trained_readouts_match_the_theory_at_small_d(model, loss, alpha, eps, lam):
    extra = {"kappa": 2.0, "act": "sign"} if model == "rf" else {}
    cfgs = [TrainConfig(task="raf", model=model, loss=loss, d=D, alpha=alpha, fact_frac=eps, lam=lam, epochs=300,
                        log_every=300, test_size=4000, n_snapshots=0, seed=s, **({"act": "sign"} if extra else {}))
            for s in range(SEEDS)]
    results = Trainer(cfgs).fit()
    theory = solve_point(model, loss, alpha, eps, lam, **extra)
    for key in ("e_gen", "e_mem"):
        vals = np.array([r.summary[key] for r in results])
        tol = 3 * vals.std(ddof=1) / np.sqrt(SEEDS) + 0.5 / np.sqrt(D)
        assert abs(vals.mean() - theory[key]) <= tol, (key, vals.mean(), theory[key], tol)
