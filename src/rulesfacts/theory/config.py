"""One point of the RAF theory/simulation: learner, loss and the model's parameters, validated once."""

from __future__ import annotations

from dataclasses import dataclass

from rulesfacts.config import Choice, Config, Maybe, Real, param
from rulesfacts.errors import ConfigError
from rulesfacts.theory.losses import LOSSES
from rulesfacts.theory.models import Kernel, Linear, Model, RandomFeatures
from rulesfacts.theory.models.activations import ACTIVATIONS, ge_coefficients

LEARNERS = ("linear", "kernel", "rf", "bayes")
# The state-evolution solver was checked across these ranges for every learner and loss (beyond
# them its float arithmetic overflows: alpha = 1e160 or lam = 1e300 gave OverflowError).
ALPHA, LAM, KAPPA = Real(1e-8, 1e8), Real(1e-12, 1e8), Real(1e-6, 1e6)


@dataclass(frozen=True)
class RAFPoint(Config):
    """A RAF learner at sample ratio α = n/d, fact fraction ε and ridge λ.

    kernel: (mu1, mustar) describe the dot-product kernel; if ``act`` is given instead they are the
    Gaussian-equivalence coefficients of that activation (the arc-cosine-type kernel of infinite RF).
    rf: p = kappa·d features with activation ``act``; (mu1, mustar) computed from it.
    """

    learner: str = param("linear", Choice(LEARNERS), "A linear model on the inputs, a kernel method, random "
                         "features (rf), or the Bayes-optimal estimator (theory only).")
    loss: str = param("square", Choice(tuple(LOSSES)), "Convex loss of the learner (bayes has none).")
    alpha: float = param(1.0, ALPHA, "Samples per dimension α = n/d.")
    fact_frac: float = param(0.2, Real(0.0, 1.0), "Fraction ε of facts (random labels).", deprecated=("eps",))
    lam: float = param(0.1, LAM, "Ridge penalty λ (λ/2 ‖w‖²); for λ → 0 use a small λ, e.g. 1e-4.")
    kappa: float = param(2.0, KAPPA, "rf: features per dimension κ = p/d.")
    act: str | None = param(None, Maybe(Choice(tuple(ACTIVATIONS)), "sign for rf, (μ1, μ⋆) = (1, 1) for kernel"),
                            "rf/kernel: activation (sets μ1, μ⋆).")
    mu1: float | None = param(None, Maybe(Real(0.0), "from act; 1 when mustar is given"),
                              "kernel/rf: linear coefficient μ1.")
    mustar: float | None = param(None, Maybe(Real(0.0), "from act; 0 when mu1 is given"),
                                 "kernel/rf: nonlinear coefficient μ⋆.")

    def check_together(self) -> None:
        if (self.mu1 is not None or self.mustar is not None) and self.act is not None:
            raise self.reject("mu1", "either act or (mu1, mustar), not both")

    def coefficients(self) -> tuple[float, float]:
        """(μ1, μ⋆): given, else from ``act`` (default sign for rf, (1, 1) for kernel)."""
        if self.mu1 is not None or self.mustar is not None:
            return (1.0 if self.mu1 is None else self.mu1), (0.0 if self.mustar is None else self.mustar)
        if self.act is None and self.learner == "kernel":
            return 1.0, 1.0
        ge = ge_coefficients(self.act or "sign")
        return ge.mu1, ge.mustar

    def model(self) -> Model:
        if self.learner == "linear":
            return Linear()
        mu1, mustar = self.coefficients()
        if mu1 == 0:
            raise ConfigError("mu1", mu1, "> 0 (μ1 = 0 learns nothing about a linear rule)")
        if self.learner == "kernel":
            return Kernel(mu1, mustar)
        if self.learner == "rf":
            return RandomFeatures(mu1, mustar, self.kappa)
        raise ConfigError("learner", self.learner, "a learner with a convex loss (not bayes)")
