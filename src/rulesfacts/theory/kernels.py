"""Nonlinear dot-product kernels in closed form: the infinite-width random-features kernels.

For an activation σ and inputs a, b ∈ ℝᵈ, the kernel of centred random features is

    K(a, b) = E_w[(σ(w·a/√d) − μ0)(σ(w·b/√d) − μ0)],   w ~ N(0, I_d),

i.e. E[(σ(u) − μ0)(σ(v) − μ0)] for (u, v) Gaussian with variances ‖a‖²/d, ‖b‖²/d and covariance
a·b/d; μ0 = E σ(z), z ~ N(0, 1), as in ``theory.models.activations`` and the centred features of
``theory.simulate``. It is the p → ∞ limit of the random-features Gram matrix ZZᵀ. Closed forms:

* relu: arc-cosine kernel of degree 1 (Cho & Saul 2009): √(n_a n_b)/(2π)·(sin θ + (π − θ) cos θ),
  cos θ = g/√(n_a n_b), minus the centring term μ0²(√n_a + √n_b − 1), μ0² = 1/(2π);
* sign: arc-cosine kernel of degree 0: (2/π) arcsin(cos θ);
* erf: (2/π) arcsin(2g/√((1 + 2n_a)(1 + 2n_b))) (Williams 1997),

with g = a·b/d, n_a = ‖a‖²/d. In high dimension these kernel matrices are close in operator norm to
the linearisation μ1² XXᵀ/d + μ⋆² I (El Karoui 2010, Theorem 2.1), with (μ1, μ⋆) the
Gaussian-equivalence coefficients of σ: the kernel the RAF theory solves.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rulesfacts.errors import ConfigError

_KernelFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _relu(g: np.ndarray, na: np.ndarray, nb: np.ndarray) -> np.ndarray:
    scale = np.sqrt(na * nb)
    cos = np.clip(g / scale, -1.0, 1.0)
    theta = np.arccos(cos)
    centring = (np.sqrt(na) + np.sqrt(nb) - 1) / (2 * np.pi)
    return scale / (2 * np.pi) * (np.sqrt(1 - cos**2) + (np.pi - theta) * cos) - centring


def _sign(g: np.ndarray, na: np.ndarray, nb: np.ndarray) -> np.ndarray:
    return 2 / np.pi * np.arcsin(np.clip(g / np.sqrt(na * nb), -1.0, 1.0))


def _erf(g: np.ndarray, na: np.ndarray, nb: np.ndarray) -> np.ndarray:
    return 2 / np.pi * np.arcsin(np.clip(2 * g / np.sqrt((1 + 2 * na) * (1 + 2 * nb)), -1.0, 1.0))


KERNELS: dict[str, _KernelFn] = {"relu": _relu, "sign": _sign, "erf": _erf}


def kernel_matrix(act: str, A: np.ndarray, B: np.ndarray | None = None) -> np.ndarray:
    """K(A_i, B_j) for the activation ``act`` (B = A when omitted: the symmetric training matrix)."""
    if act not in KERNELS:
        raise ConfigError("act", act, " | ".join(KERNELS) + " (activations whose kernel has a closed form)")
    d = A.shape[1]
    na = np.einsum("ij,ij->i", A, A) / d
    if B is None:
        G, nb = A @ A.T / d, na
    else:
        G, nb = A @ B.T / d, np.einsum("ij,ij->i", B, B) / d
    return KERNELS[act](G, na[:, None], nb[None, :])
