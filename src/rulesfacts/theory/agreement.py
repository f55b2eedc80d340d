"""Do a finite-d simulation and the asymptotic theory agree? Each quantity's gap in units of the
simulation's standard error over seeds, and one sentence that follows from those numbers.

The theory is exact as d → ∞; at finite d the simulated mean carries a finite-size bias of order
1/√d besides its sampling error, so a gap of many standard errors at small d says "finite-size
effect or a mismatch", and a larger d (or more seeds, which only shrink the error bar) tells which.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

WITHIN = 3.0  # standard errors: a gap beyond this is a disagreement (p ≈ 0.003 for one Gaussian mean)


def agreement(sim: Mapping[str, Any], theory: Mapping[str, Any], keys: Sequence[str],
              within: float = WITHIN) -> dict[str, Any]:
    """For each key with a simulated mean ``sim[key]``, its error ``sim[key + '_se']`` and a
    theory value ``theory[key]``: the gap in standard errors (``gap_se_<key>``); ``agree`` (every
    gap ≤ ``within``; None when no gap can be measured) and ``verdict``, the sentence."""
    gaps: dict[str, float] = {}
    for k in keys:
        s, se, t = sim.get(k), sim.get(f"{k}_se"), theory.get(k)
        if s is None or t is None or se is None or not all(map(math.isfinite, (s, se, t))):
            continue
        if se > 0:
            gaps[k] = abs(s - t) / se
        elif s != t:
            gaps[k] = math.inf
    out: dict[str, Any] = {f"gap_se_{k}": (g if math.isfinite(g) else None) for k, g in gaps.items()}
    if not gaps:
        out |= {"agree": None, "verdict": "no standard error to judge by (one seed, or no theory value): run more "
                                          "seeds to compare the simulation with the theory."}
        return out
    worst = max(gaps, key=gaps.__getitem__)
    gap = gaps[worst]
    gap_text = f"{gap:.1f} standard errors" if math.isfinite(gap) else "a gap with a standard error of zero"
    far = sorted(k for k, g in gaps.items() if g > within)
    if not far:
        verdict = (f"simulation and theory agree within {within:g} standard errors on {', '.join(gaps)} "
                   f"(largest gap {gap_text}, in {worst}).")
    else:
        verdict = (f"simulation and theory differ by more than {within:g} standard errors on {', '.join(far)} "
                   f"(largest: {worst}, simulation {sim[worst]:.4g} ± {sim[f'{worst}_se']:.2g}, theory "
                   f"{theory[worst]:.4g}, {gap_text}): a finite-size effect of the simulated d, or a mismatch; "
                   "a larger --d tells which.")
    return out | {"agree": not far, "verdict": verdict}
