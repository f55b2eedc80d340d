"""Convex losses ℓ(y, h) = g(y·h) of the RAF learners, described by their proximal operator.

Everything the theory needs from a loss is the proximal map for label y = +1,
prox(ω, V) = argmin_h [(h − ω)²/(2V) + g(h)], its derivative in ω, the points where it has kinks,
and g'(0) (which fixes E_mem, see ``theory.error_rates``). Labels y = −1 follow by symmetry,
prox(−1, ω) = −prox(+1, −ω), because every loss here depends on y·h only.
"""

from __future__ import annotations

from rulesfacts.errors import ConfigError
from rulesfacts.theory.losses.base import Loss
from rulesfacts.theory.losses.hinge import Hinge
from rulesfacts.theory.losses.logistic import Logistic
from rulesfacts.theory.losses.square import Square

LOSSES: dict[str, Loss] = {"square": Square(), "hinge": Hinge(), "logistic": Logistic()}


def get_loss(name: str) -> Loss:
    if name not in LOSSES:
        raise ConfigError("loss", name, " | ".join(LOSSES))
    return LOSSES[name]


__all__ = ["LOSSES", "Hinge", "Logistic", "Loss", "Square", "get_loss"]
