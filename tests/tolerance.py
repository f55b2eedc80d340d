"""Float tolerances that follow from the arithmetic, not from one machine's rounding.

Model (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §2.2, Lemma 3.1 and
eq. 3.5): every floating-point operation returns the exact result times (1 + δ), |δ| ≤ u, the
unit roundoff (2⁻²⁴ float32, 2⁻⁸ bfloat16, 2⁻¹¹ float16, 2⁻⁵³ float64). A sum of K terms, or a
dot product of length K, evaluated in ANY order (blocked BLAS kernels, AVX-512 or AVX2 lanes,
pairwise or sequential, with or without FMA) is within γ_K · Σ|terms| of the exact value,
γ_K = K·u / (1 − K·u). Two implementations of the same formula (or one on two CPUs) therefore
differ by at most the sum of their two bounds. The bound is absolute: it stays meaningful for
results near zero, where cancellation makes a relative tolerance (rtol) meaningless.

``Bounded`` carries this running error analysis (Wilkinson's, to first order in u) through a
computation: a float64 value x and a bound e on |x̂ − x| for x̂ the same quantity computed by any
implementation of the same formula in the working precision. The float64 reference's own error
(u = 2⁻⁵³, 2⁻²⁹ times the float32 one) is negligible beside e and ignored, as are O(u²) terms.
"""

from __future__ import annotations

import numpy as np

U_FLOAT64 = 2.0**-53
U_FLOAT32 = 2.0**-24
U_FLOAT16 = 2.0**-11
U_BFLOAT16 = 2.0**-8

# |GELU'(x)| = |Φ(x) + x φ(x)| ≤ 1.1289 (at x = √2); |GELU''(x)| = φ(x)|2 − x²| ≤ 2φ(0) = 0.7979
GELU_LIP, GELU_CURV = 1.13, 0.8
# libm / SIMD exp, erf, rsqrt: within a few ulps (SLEEF u10 and SVML ≤ 4 ulp); allow 4
FUNC_ULPS = 4


def gamma(n: int | np.ndarray, u: float = U_FLOAT32) -> np.ndarray:
    """γ_n = n·u / (1 − n·u): bound on the relative error of a length-n sum or dot product."""
    nu = np.asarray(n, dtype=np.float64) * u
    assert np.all(nu < 0.5), "n·u ≥ 1/2: no useful rounding bound"
    return nu / (1 - nu)


def _np(a) -> np.ndarray:
    if hasattr(a, "detach"):  # a torch tensor (bfloat16 / float16 widened first: numpy lacks bfloat16)
        a = a.detach().cpu()
        a = (a.float() if a.dtype.itemsize < 4 and a.is_floating_point() else a).numpy()
    return np.asarray(a, dtype=np.float64)


class Bounded:
    """A float64 value ``x`` and a bound ``e`` on the error of computing it in lower precision.

    Precisions: ``u`` is the rounding of elementwise results, ``u_acc`` that of the accumulation
    inside sums and matmuls, ``u_cast`` that of a matmul's inputs and output under
    ``torch.autocast(dtype=torch.bfloat16)``, which casts float32 operands to bfloat16,
    accumulates in float32 and returns bfloat16 (elementwise work stays float32).
    float32: u = u_acc = 2⁻²⁴, u_cast = 0. bfloat16 autocast: u = u_acc = 2⁻²⁴, u_cast = 2⁻⁸.
    """

    __slots__ = ("x", "e", "u", "u_acc", "u_cast")

    def __init__(self, x, e=0.0, *, u: float = U_FLOAT32, u_acc: float | None = None, u_cast: float = 0.0):
        self.x = _np(x)
        self.e = np.broadcast_to(_np(e), self.x.shape).copy()
        self.u, self.u_acc, self.u_cast = u, (u if u_acc is None else u_acc), u_cast

    @classmethod
    def float32(cls, x, e=0.0) -> Bounded:
        """Exactly representable float32 inputs (weights), computed on in float32."""
        return cls(x, e, u=U_FLOAT32)

    @classmethod
    def bfloat16_autocast(cls, x, e=0.0) -> Bounded:
        """float32 inputs computed on under ``torch.autocast(dtype=torch.bfloat16)``."""
        return cls(x, e, u=U_FLOAT32, u_acc=U_FLOAT32, u_cast=U_BFLOAT16)

    def _new(self, x, e) -> Bounded:
        out = Bounded.__new__(Bounded)
        out.x, out.e = np.asarray(x, dtype=np.float64), np.asarray(e, dtype=np.float64)
        out.u, out.u_acc, out.u_cast = self.u, self.u_acc, self.u_cast
        return out

    def _lift(self, other) -> Bounded:
        """A plain constant as a Bounded value whose representation error is u·|c|."""
        if isinstance(other, Bounded):
            return other
        c = _np(other)
        return self._new(c, self.u * np.abs(c))

    # -- elementwise ------------------------------------------------------------------------
    def __getitem__(self, idx) -> Bounded:  # gathers are exact
        return self._new(self.x[idx], self.e[idx])

    @property
    def T(self) -> Bounded:  # noqa: N802
        return self._new(self.x.T, self.e.T)

    def __add__(self, other) -> Bounded:
        o = self._lift(other)
        x = self.x + o.x
        return self._new(x, self.e + o.e + self.u * np.abs(x))

    __radd__ = __add__

    def __neg__(self) -> Bounded:
        return self._new(-self.x, self.e)

    def __sub__(self, other) -> Bounded:
        return self + (-self._lift(other))

    def __rsub__(self, other) -> Bounded:
        return self._lift(other) + (-self)

    def __mul__(self, other) -> Bounded:
        o = self._lift(other)
        x = self.x * o.x
        return self._new(x, np.abs(self.x) * o.e + self.e * np.abs(o.x) + self.u * np.abs(x))

    __rmul__ = __mul__

    def square(self) -> Bounded:
        x = self.x**2
        return self._new(x, 2 * np.abs(self.x) * self.e + self.u * x)

    def relu(self) -> Bounded:  # 1-Lipschitz and exact
        return self._new(np.maximum(self.x, 0), self.e)

    def gelu(self) -> Bounded:
        """x Φ(x): propagated with its Lipschitz constant; the erf/product work (a few float32
        ulps of |x|) plus one rounding of the stored result."""
        from scipy.special import ndtr

        x = self.x * ndtr(self.x)
        return self._new(x, GELU_LIP * self.e + FUNC_ULPS * self.u_acc * np.abs(self.x) + self.u * np.abs(x))

    def rsqrt(self) -> Bounded:
        """1/√x (x > 0): relative error e/(2x) propagated, plus a few ulps."""
        x = 1 / np.sqrt(self.x)
        return self._new(x, x * (self.e / (2 * self.x) + FUNC_ULPS * self.u))

    # -- reductions -------------------------------------------------------------------------
    def sum(self, axis: int = -1, keepdims: bool = False) -> Bounded:
        k = self.x.shape[axis]
        x = self.x.sum(axis, keepdims=keepdims)
        e = (self.e.sum(axis, keepdims=keepdims) + gamma(k, self.u_acc) * np.abs(self.x).sum(axis, keepdims=keepdims)
             + self.u * np.abs(x))
        return self._new(x, e)

    def mean(self, axis: int = -1, keepdims: bool = False) -> Bounded:
        return self.sum(axis, keepdims) * (1.0 / self.x.shape[axis])

    def var(self, axis: int = -1, keepdims: bool = False) -> Bounded:
        """Biased variance, by any algorithm (two-pass, Welford, or E[x²] − E[x]²: the last has
        the largest bound, γ·E[x²], which is the one used). The mean's error drops out to first
        order since Σ(x − μ) = 0."""
        k = self.x.shape[axis]
        mu = self.x.mean(axis, keepdims=True)
        d = self.x - mu
        x = (d**2).mean(axis, keepdims=keepdims)
        e = (2 / k * (np.abs(d) * self.e).sum(axis, keepdims=keepdims)
             + 2 * gamma(k + 2, self.u_acc) * (self.x**2).mean(axis, keepdims=keepdims) + self.u * x)
        return self._new(x, e)

    def softmax(self, axis: int = -1, where: np.ndarray | None = None) -> Bounded:
        """softmax along ``axis`` (entries outside ``where`` are masked to probability 0).

        log s_j = x_j − log Σ_k exp x_k moves by at most e_j + max_k e_k under input errors; the
        shift by the maximum, exp, the length-K sum and the division add (γ_K + 2 + FUNC_ULPS)·u
        relative (accumulated in u_acc), and the stored result one more u."""
        where = np.ones(self.x.shape, bool) if where is None else np.broadcast_to(where, self.x.shape)
        xm = np.where(where, self.x, -np.inf)
        top = xm.max(axis, keepdims=True)
        ex = np.where(where, np.exp(xm - top), 0.0)
        s = ex / ex.sum(axis, keepdims=True)
        e_in = np.where(where, self.e + self.u_acc * np.abs(np.where(where, self.x, 0) - top), 0.0)
        rel = (e_in + e_in.max(axis, keepdims=True) + gamma(self.x.shape[axis], self.u_acc)
               + (2 + FUNC_ULPS) * self.u_acc)
        return self._new(s, s * rel + self.u * s)

    def __matmul__(self, other) -> Bounded:
        return addmm(None, self, other)


def addmm(bias, a: Bounded, b, beta: float = 1.0) -> Bounded:
    """beta·bias + a @ b as one fused kernel (``addmm``/``baddbmm``; bias None: a plain matmul).

    Accumulation: γ_{K+1}(u_acc) · (|a| @ |b| + |bias|) (K products and the bias, in any order;
    the output's rounding is inside γ); under autocast also the inputs' casts, u_cast·|a| and
    u_cast·|b|, and the output's, u_cast·|result|."""
    b = a._lift(b)
    k = a.x.shape[-1]
    x = a.x @ b.x
    absprod = np.abs(a.x) @ np.abs(b.x)
    e = np.abs(a.x) @ b.e + a.e @ np.abs(b.x) + 2 * a.u_cast * absprod
    if bias is not None:
        c = a._lift(bias)
        x = x + beta * c.x
        absprod = absprod + abs(beta) * np.abs(c.x)
        e = e + abs(beta) * (c.e + a.u_cast * np.abs(c.x))
        k += 1
    e = e + gamma(k, a.u_acc) * absprod
    e = e + a.u_cast * np.abs(x)
    return a._new(x, e)


def concat(parts: list[Bounded], axis: int = -1) -> Bounded:
    """Bounded values side by side (exact)."""
    return parts[0]._new(np.concatenate([q.x for q in parts], axis), np.concatenate([q.e for q in parts], axis))


def scatter_add(n_rows: int, index: np.ndarray, values: Bounded) -> Bounded:
    """out[index[i]] += values[i] along axis 0 (the backward of a gather): each row is a sum of
    its count of terms, γ_count · Σ|terms|."""
    index = np.asarray(index).reshape(-1)
    vx = values.x.reshape(len(index), -1)
    ve = values.e.reshape(len(index), -1)
    x = np.zeros((n_rows, vx.shape[1]))
    ab = np.zeros_like(x)
    e = np.zeros_like(x)
    np.add.at(x, index, vx)
    np.add.at(ab, index, np.abs(vx))
    np.add.at(e, index, ve)
    count = np.bincount(index, minlength=n_rows)[:, None]
    return values._new(x, e + gamma(count, values.u_acc) * ab)


def assert_within(actual, expected, bound, what: str = "") -> None:
    """|actual − expected| ≤ bound, entry by entry (NaN never passes); the message names the
    worst entry relative to its bound."""
    a, b = _np(actual), _np(expected)
    bound = np.broadcast_to(_np(bound), np.broadcast_shapes(a.shape, b.shape))
    diff = np.abs(a - b)
    bad = ~(diff <= bound)
    if bad.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(bound > 0, diff / bound, np.inf)
        worst = np.unravel_index(np.nanargmax(np.where(bad, ratio, -1)), bad.shape)
        raise AssertionError(
            f"{what or 'values'}: {int(bad.sum())} of {bad.size} entries exceed their rounding bound; "
            f"worst at {tuple(int(i) for i in worst)}: {np.broadcast_to(a, bad.shape)[worst]!r} vs "
            f"{np.broadcast_to(b, bad.shape)[worst]!r}, |diff| = {diff[worst]:.3g} > bound {bound[worst]:.3g} "
            f"(× {ratio[worst]:.3g})")


def accuracy_interval(logits: Bounded, labels: np.ndarray, slack: float = 1.0) -> tuple[float, float]:
    """The accuracies any computation within ``slack`` × ``logits.e`` of the exact logits can
    score: an example counts as surely right (wrong) when its true class beats (loses to) every
    other class by more than the two bounds together; otherwise its argmax may go either way."""
    z, e = logits.x, slack * logits.e
    labels = np.asarray(labels)
    rows = np.arange(len(labels))
    zt, et = z[rows, labels], e[rows, labels]
    others = np.ones_like(z, bool)
    others[rows, labels] = False
    # right for sure: zt − et > z_j + e_j for all j ≠ t; wrong for sure: some z_j − e_j > zt + et
    sure_right = np.all(~others | (zt[:, None] - et[:, None] > z + e), axis=1)
    sure_wrong = np.any(others & (z - e > zt[:, None] + et[:, None]), axis=1)
    n = len(labels)
    return float(sure_right.sum() / n), float((n - sure_wrong.sum()) / n)


def trajectory_atol(steps: int, lr: float, n_terms: int, u: float = U_FLOAT32, allowance: float = 10.0) -> float:
    """Absolute tolerance for weights after ``steps`` Adam(W) steps of two float32 implementations
    of the same training (another summation order, batched or not, fused or not).

    No a-priori bound exists for a whole run (training can amplify any difference), so this is a
    first-order estimate with a stated allowance: each step's gradient differs by reassociation,
    a relative error ≤ γ_K (K = ``n_terms``, the longest reduction: examples, width or classes);
    Adam's update lr·m̂/(√v̂ + ε) is scale-free, so a relative gradient error ρ moves a weight by at
    most ≈ lr·ρ; over ``steps`` steps that adds up to steps·lr·γ_K. ``allowance`` covers the
    dynamics' amplification over the short runs (≤ 60 steps) the tests use and the cancellation in
    individual gradient entries (measured on an AMD EPYC: 0.003-0.05 of this tolerance, with MKL's
    AVX2 kernels and with ATen's scalar / MKL's SSE4.2 ones)."""
    return float(allowance * steps * lr * gamma(n_terms, u))


def adamw_bound(init, grads, lr: float, wd: float, betas: tuple[float, float], eps: float,
                u: float = U_FLOAT32) -> tuple[np.ndarray, np.ndarray]:
    """Exact AdamW (torch's formulas, float64) from ``init`` over the given gradients (taken as
    exact), and a first-order bound on any float32 implementation's distance from it (fused or
    not, lerp or multiply-add, bias corrections folded into the step or into the moments).

    Constants: β, lr, wd and ε held in float32 are off by u relative, so 1 − β is off by
    u/(1 − β) relative (49u for β₂ = 0.98: the dominant term), 1 − β^t by (t·u·β^t + u)/(1 − β^t).
    Per step: decay w(1 − lr·wd) (3 roundings), m ← m + (1−β₁)(g − m) and v ← v + (1−β₂)(g² − v)
    (≤ 4 roundings each, of |m| + |g| and |v| + g²), m̂ = m/(1 − β₁^t), v̂ = v/(1 − β₂^t),
    d = √v̂ + ε (sqrt's derivative 1/(2√v̂), 3 roundings incl. √v/√bc₂ vs √(v/bc₂)), the step
    lr·m̂/d (3 roundings) and w − step (1)."""
    b1, b2 = betas
    w = _np(init).copy()
    m, v = np.zeros_like(w), np.zeros_like(w)
    ew, em, ev = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    r1, r2 = 2 * u / (1 - b1), 2 * u / (1 - b2)
    for t, g in enumerate(grads, start=1):
        g = _np(g)
        f = 1 - lr * wd
        wd_ = w * f
        ew = ew * f + np.abs(w) * (3 * u * lr * wd + u * f) + u * np.abs(wd_)
        m_new = m + (1 - b1) * (g - m)
        em = b1 * em + ((1 - b1) * r1 + 4 * u) * (np.abs(m) + np.abs(g)) + u * np.abs(m_new)
        v_new = v + (1 - b2) * (g * g - v)
        ev = b2 * ev + ((1 - b2) * r2 + 4 * u) * (v + g * g) + u * v_new
        m, v = m_new, v_new
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        rb1, rb2 = (t * u * b1**t + u) / bc1 + u, (t * u * b2**t + u) / bc2 + u
        mh, vh = m / bc1, v / bc2
        emh = em / bc1 + np.abs(mh) * rb1
        evh = ev / bc2 + vh * rb2
        sq = np.sqrt(vh)
        d = sq + eps
        ed = np.sqrt(vh + evh) - sq + 3 * u * d + u * eps
        step = lr * mh / d
        es = lr * (emh / d + np.abs(mh) * ed / d**2) + 4 * u * np.abs(step)
        w = wd_ - step
        ew = ew + es + u * np.abs(w)
    return w, ew
