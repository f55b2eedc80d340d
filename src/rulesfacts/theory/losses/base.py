"""The interface every loss implements (proximal operator of g(z), z = y·h, for y = +1)."""

from __future__ import annotations

import numpy as np


class Loss:
    name = "loss"
    slope0 = -1.0  # g'(0): at the fixed point a training point is misfit when ω < V·g'(0)

    def value(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def grad(self, z: np.ndarray) -> np.ndarray:
        """g'(z) (a subgradient where g is not differentiable)."""
        raise NotImplementedError

    def prox(self, omega: np.ndarray, V: float | np.ndarray) -> np.ndarray:
        """argmin_h (h − ω)²/(2V) + g(h)."""
        raise NotImplementedError

    def dprox(self, omega: np.ndarray, V: float | np.ndarray) -> np.ndarray:
        """∂ prox / ∂ω (enters V̂, eq. of the channel in ``theory.channel``)."""
        raise NotImplementedError

    def dprox_at(self, h: np.ndarray, V: float) -> np.ndarray | None:
        """∂prox/∂ω given h = prox(ω, V), when that is cheaper than ``dprox`` (else None)."""
        return None

    def kinks(self, V: float) -> tuple[float, ...]:
        """Values of ω where prox is not smooth (quadrature is split there)."""
        return ()
