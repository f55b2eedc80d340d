"""The deep narrow memorizers of Park et al. (2021) and Vardi et al. (2022), built as published in
outline: project, pick a block of the sorted points, decode that block's stored points with a deep
width-O(1) ReLU network that reads one bit per layer.

Both papers share three stages (restated here, not copied):

1. **Projection.** One direction u keeps the N points apart on the line (Park et al., Lemma on
   random projections; Vardi et al., stage 1). We scale the line so the smallest gap between
   distinct projected values is 4 and shift it, s = (u·x − t_min)/q + 2, q = gap/4; each training
   point gets the integer *key* round(s_i), and distinct keys differ by at least 3.
2. **Block selection.** The points, sorted by key, are cut into K blocks of at most m = ⌈N/K⌉
   consecutive points. One clamped ReLU step per block boundary (width K − 1) selects the block,
   and one output unit sums the selected block's *word*: W = W₀ + Σ_b (W_b − W_{b−1})·sel_b.
   The word W_b holds the block's m (key, label) pairs as one integer of m·(B + 1) bits, B the
   bits of the largest key. This stage has O(K) parameters; each parameter has O(m·B) bits.
3. **Decoding (bit extraction).** A chain of layers of width 8 reads W one bit per layer,
   most significant first (bit = ReLU(W − 2^{L−1} + 1) − ReLU(W − 2^{L−1}), W ← 2W − 2^L·bit, exact
   on integers), rebuilding each stored key θ_j and label ℓ_j, computes ge_j = [s ≥ θ_j − 1] with a
   clamp, and accumulates Σ_j ge_j·(ℓ_j − ℓ_{j−1}) = ℓ of the last stored key ≤ s (the keys are
   sorted, so ge is 1 up to the input's own key and 0 after). O(m·B) parameters, depth O(m·B).

The parameter count is ≈ c₁·K + c₂·m·B. **Vardi et al.** balance the two terms, K ≈ √(N·B),
for Õ(√N) parameters (the optimum up to log factors, by the VC bound). **Park et al.** reach
O(N^{2/3}) with ≈ N^{2/3} groups of ≈ N^{1/3} points; here the same pipeline with K = ⌈N^{2/3}⌉
(the block term dominates, so the count grows as N^{2/3}). *Simplifications, stated*: Park et al.'s
own decoder differs in detail (this module uses one bit-extraction chain for both, so the two
differ only in the block size); Vardi et al. quantize with a second bit-extraction network,
we round the projected training values to integer keys directly (a property of the stored
weights, not a layer). Neither changes the parameter order.

The words have hundreds of bits — "large bit complexity", which Vardi et al. prove necessary for
sub-linear memorization — so the network is evaluated exactly, in Python integers (object arrays),
not in float64; ``score`` returns float64 outputs (±1 on training points).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from rulesfacts.errors import ConfigError
from rulesfacts.memorize.common import MemorizationError, MemorizationNet, NetInfo, check_labels, projection_direction

# state slots of the decoding chain (width 8)
W_, S_, TH, LP, P_, Q_, A_, C_ = range(8)
WIDTH = 8


class _Affine:
    """One layer: out_i = bias_i + Σ_j w_ij·in_j over the nonzero w_ij (Python ints or floats)."""

    def __init__(self, rows: list[dict[int, int | float]], bias: list[int | float], relu: bool = True):
        self.rows, self.bias, self.relu = rows, bias, relu

    def params(self) -> int:
        return sum(sum(1 for w in r.values() if w != 0) for r in self.rows) + sum(1 for b in self.bias if b != 0)

    def __call__(self, h: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for row, b in zip(self.rows, self.bias, strict=True):
            big = any(isinstance(w, int) and abs(w) > 2**52 for w in row.values())
            acc = np.full(len(h[0]), b, dtype=object)
            for j, w in row.items():
                if w == 0:
                    continue
                v = h[j]
                if big:  # a huge integer weight times a non-integral input: keep it exact
                    v = np.array([Fraction(e) if isinstance(e, float) else e for e in v], dtype=object)
                acc = acc + w * v
            if self.relu:
                acc = np.array([_exact(max(e, 0)) for e in acc], dtype=object)
            out.append(acc)
        return out


def _exact(v):
    """Integral floats and fractions become ints (so the words stay exact integers)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, Fraction) and v.denominator == 1:
        return int(v)
    return v


class BlockMemorizer(MemorizationNet):
    """Projection → K-block selection → bit-extraction decoding (see the module docstring).

    ``blocks``: the number K of blocks, 1 ≤ K ≤ number of distinct projected points, or None for
    the subclass's rule ``choose_blocks(n, bits)`` (n distinct points, keys of ``bits`` bits).
    """

    # parameters per block boundary (two ramp layers, one word weight) and per decoded bit (one
    # width-8 layer), as counted by ``_Affine.params``; the balance K ≈ √(N·F·PER_BIT/PER_BLOCK)
    PER_BLOCK, PER_BIT = 5, 18

    def choose_blocks(self, n: int, bits: int) -> int:
        raise NotImplementedError

    def __init__(self, x: np.ndarray, y: np.ndarray, blocks: int | None = None, seed: int = 0):
        super().__init__()
        y = check_labels(y)
        x = np.asarray(x, dtype=np.float64)
        u, gap = projection_direction(x, y, seed, all_gaps=True)
        t = x @ u
        values, first = np.unique(t, return_index=True)
        labels = (y[first] > 0).astype(np.int64)
        n = len(values)
        if n < 2 or not np.isfinite(gap) or gap <= 0:
            raise MemorizationError("the projected points are not separated")
        self.u, self.t0, self.q = u, float(values[0]), gap / 4
        s = (values - self.t0) / self.q + 2
        keys = [int(round(v)) for v in s]
        if min(np.diff(keys)) < 3:
            raise MemorizationError("projected points too close for integer keys")
        if blocks is None:
            blocks = max(1, min(n, self.choose_blocks(n, (keys[-1] + 3).bit_length())))
        if not 1 <= blocks <= n:
            raise ConfigError("blocks", blocks, f"an integer from 1 to the number of distinct points {n}")
        m = math.ceil(n / blocks)
        k_blocks = math.ceil(n / m)
        pad_key = keys[-1] + 3  # beyond every training key: its ge is 0 on the training set
        self.B = pad_key.bit_length()
        f = self.B + 1
        self.m, self.K, self.L = m, k_blocks, m * f
        words, firsts = [], []
        for b in range(k_blocks):
            chunk = list(range(b * m, min(n, (b + 1) * m)))
            firsts.append(keys[chunk[0]])
            w = 0
            for j in range(m):
                key, lab = (keys[chunk[j]], int(labels[chunk[j]])) if j < len(chunk) else (pad_key, 0)
                w = (w << f) | (key << 1) | lab
            words.append(w)
        self.words, self.firsts = words, firsts
        self.layers = self._build(firsts, words)
        # nonzero parameters per stage: the N-dependence of each is what the papers' bounds are about
        self.parts = {"projection": int(np.count_nonzero(u)) + 1,
                      "selection": sum(layer.params() for layer in self.layers[:3]),
                      "decoding": sum(layer.params() for layer in self.layers[3:])}
        self.info = NetInfo(params=sum(self.parts.values()), depth=1 + len(self.layers), width=1)

    # ------------------------------------------------------------------ construction

    def _build(self, firsts: list[int], words: list[int]) -> list[_Affine]:
        nb = len(firsts) - 1
        layers = []
        # layer 1 (input: s ≥ 0 after ReLU): s, and z_b = ReLU(2(s − first_b) + 2.5) per boundary
        layers.append(_Affine([{0: 1.0}] + [{0: 2.0} for _ in range(nb)],
                              [0.0] + [2.5 - 2.0 * fk for fk in firsts[1:]]))
        # layer 2: s, and c_b = ReLU(1 − z_b) (sel_b = 1 − c_b, exactly 0 or 1 off the ramp)
        layers.append(_Affine([{0: 1.0}] + [{1 + b: -1.0} for b in range(nb)], [0.0] + [1.0] * nb))
        # layer 3: the chain state; W = W_last − Σ_b (W_b − W_{b−1}) c_b
        w_row = {1 + b: -(words[b + 1] - words[b]) for b in range(nb)}
        state_rows: list[dict[int, int | float]] = [{} for _ in range(WIDTH)]
        state_bias: list[int | float] = [0] * WIDTH
        state_rows[W_], state_bias[W_] = w_row, words[-1]
        state_rows[S_] = {0: 1.0}
        layers.append(_Affine(state_rows, state_bias))
        # decoding: per stored point, F bit layers then three layers (ge, clamp, accumulate)
        f = self.B + 1
        pending = False  # whether slots A_, C_ hold an unapplied bit
        for _ in range(self.m):
            for _bit in range(f):
                layers.append(self._bit_layer(pending))
                pending = True
            layers += self._compare_layers()
            pending = False
        # output: F = 2(P − Q) − 1
        layers.append(_Affine([{P_: 2, Q_: -2}], [-1], relu=False))
        return layers

    def _bit_layer(self, pending: bool) -> _Affine:
        """Apply the pending bit (W ← 2W − 2^L·bit, θ ← 2θ + bit) and read the next one into (a, c)."""
        L = self.L
        half = 2 ** (L - 1)
        if pending:
            w_expr = {W_: 2, A_: -(2**L), C_: 2**L}
            th_expr = {TH: 2, A_: 1, C_: -1}
        else:
            w_expr, th_expr = {W_: 1}, {TH: 1}
        rows = [dict(w_expr), {S_: 1.0}, dict(th_expr), {LP: 1}, {P_: 1}, {Q_: 1}, dict(w_expr), dict(w_expr)]
        bias = [0, 0.0, 0, 0, 0, 0, 1 - half, -half]
        return _Affine(rows, bias)

    def _compare_layers(self) -> list[_Affine]:
        """After the last bit of a point: θ is its key, (a − c) its label; add ge·(ℓ − ℓ_prev)."""
        L = self.L
        # G1: W shifted by the label bit; z = ReLU(2(s − θ) + 2.5); ℓ = a − c; θ reset to 0
        g1 = _Affine([{W_: 2, A_: -(2**L), C_: 2**L}, {S_: 1.0}, {}, {LP: 1}, {P_: 1}, {Q_: 1},
                      {S_: 2.0, TH: -2}, {A_: 1, C_: -1}], [0, 0.0, 0, 0, 0, 0, 2.5, 0])
        # G2: g = ReLU(1 − z) (ge = 1 − g)
        g2 = _Affine([{W_: 1}, {S_: 1.0}, {}, {LP: 1}, {P_: 1}, {Q_: 1}, {A_: -1.0}, {C_: 1}],
                     [0, 0.0, 0, 0, 0, 0, 1.0, 0])
        # G3: u = ReLU(ℓ − g) = ge·ℓ, v = ReLU(ℓ_prev − g) = ge·ℓ_prev, ℓ_prev ← ℓ
        g3 = _Affine([{W_: 1}, {S_: 1.0}, {}, {C_: 1}, {P_: 1}, {Q_: 1}, {C_: 1, A_: -1}, {LP: 1, A_: -1}],
                     [0, 0.0, 0, 0, 0, 0, 0, 0])
        # G4: P += u, Q += v; slots A, C cleared (no pending bit)
        g4 = _Affine([{W_: 1}, {S_: 1.0}, {}, {LP: 1}, {P_: 1, A_: 1}, {Q_: 1, C_: 1}, {}, {}],
                     [0, 0.0, 0, 0, 0, 0, 0, 0])
        return [g1, g2, g3, g4]

    # ------------------------------------------------------------------ evaluation

    def score(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        s = np.maximum((x @ self.u - self.t0) / self.q + 2, 0.0)
        h = [np.array([_exact(float(v)) for v in s], dtype=object)]
        for layer in self.layers:
            h = layer(h)
        return np.array([float(v) for v in h[0]], dtype=np.float64)

    def forward(self, x):  # the torch interface of MemorizationNet: evaluated exactly via ``score``
        import torch

        return torch.from_numpy(self.score(x.detach().numpy() if hasattr(x, "detach") else x))


class ParkDeepNetwork(BlockMemorizer):
    """Park, Lee, Yun & Shin (COLT 2021): K = ⌈N^{2/3}⌉ blocks of ≈ N^{1/3} points."""

    def choose_blocks(self, n: int, bits: int) -> int:
        return math.ceil(n ** (2 / 3))


class VardiSqrtNetwork(BlockMemorizer):
    """Vardi, Yehudai & Shamir (ICLR 2022): the two terms balanced, K ≈ √(N·F·PER_BIT/PER_BLOCK), Õ(√N)."""

    def choose_blocks(self, n: int, bits: int) -> int:
        return math.ceil(math.sqrt(n * (bits + 1) * self.PER_BIT / self.PER_BLOCK))
