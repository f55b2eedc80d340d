"""One point of the RAF theory/simulation: learner, loss and the model's parameters, validated once."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rulesfacts.errors import ConfigError
from rulesfacts.theory.losses import LOSSES
from rulesfacts.theory.models import Kernel, Linear, Model, RandomFeatures
from rulesfacts.theory.models.activations import ACTIVATIONS, ge_coefficients

LEARNERS = ("linear", "kernel", "rf", "bayes")


def _positive(field: str, value: float, allow_zero: bool = False) -> None:
    ok = value is not None and math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise ConfigError(field, value, "a finite number " + (">= 0" if allow_zero else "> 0"))


@dataclass(frozen=True)
class RAFPoint:
    """A RAF learner at sample ratio α = n/d, fact fraction ε and ridge λ.

    kernel: (mu1, mustar) describe the dot-product kernel; if ``act`` is given instead they are the
    Gaussian-equivalence coefficients of that activation (the arc-cosine-type kernel of infinite RF).
    rf: p = kappa·d features with activation ``act``; (mu1, mustar) computed from it.
    """

    learner: str = "linear"
    loss: str = "square"
    alpha: float = 1.0
    eps: float = 0.2
    lam: float = 0.1
    kappa: float = 2.0
    act: str | None = None
    mu1: float | None = None
    mustar: float | None = None

    def __post_init__(self):
        if self.learner not in LEARNERS:
            raise ConfigError("learner", self.learner, " | ".join(LEARNERS))
        if self.learner != "bayes" and self.loss not in LOSSES:
            raise ConfigError("loss", self.loss, " | ".join(LOSSES))
        _positive("alpha", self.alpha)
        if not (isinstance(self.eps, (int, float)) and 0 <= self.eps <= 1):
            raise ConfigError("eps", self.eps, "a fraction in [0, 1]")
        if self.learner != "bayes":
            _positive("lam", self.lam)  # λ → 0 limits: use a small λ, e.g. 1e-4
        _positive("kappa", self.kappa)
        if self.act is not None and self.act not in ACTIVATIONS:
            raise ConfigError("act", self.act, " | ".join(ACTIVATIONS))
        for name in ("mu1", "mustar"):
            v = getattr(self, name)
            if v is not None:
                _positive(name, v, allow_zero=True)
        if (self.mu1 is not None or self.mustar is not None) and self.act is not None:
            raise ConfigError("mu1", self.mu1, "either act or (mu1, mustar), not both")

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
