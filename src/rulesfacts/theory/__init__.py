"""The Rules-and-Facts model (Farné, Boncoraglio, Zdeborová 2026): exact asymptotic theory
(state evolution per learner and loss, Bayes-optimal error, capacity) beside finite-d simulation."""

from rulesfacts.theory.api import solve_point, theory_curve

__all__ = ["solve_point", "theory_curve"]
