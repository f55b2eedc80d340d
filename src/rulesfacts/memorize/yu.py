"""M1: the memorization network of Yu, Gao, Zhang & Miao (NeurIPS 2024), Theorem 7.3 construction.

As restated in references.md §3: for every training point x_i and every point x_j of the
opposite label, the hyperplane

    S_ij(x) = (x_i − x_j) · (x − (0.51 x_i + 0.49 x_j))

separates x_i (S_ij(x_i) = 0.49‖x_i − x_j‖² > 0) from x_j (S_ij(x_j) = −0.51‖x_i − x_j‖²).
With r = 0.01 · min over opposite-label pairs ‖x_i − x_j‖²,

    layer 1  h_ij(x) = ReLU(−S_ij(x))               (one neuron per ordered opposite pair)
    layer 2  F_i(x)  = ReLU(r − Σ_j h_ij(x))        (one neuron per training point)
    output   F(x)    = Σ_i y_i F_i(x),  label = sign F.

F_i(x_i) = r, and F_k(x_i) = 0 for every k of the other label (h_ki(x_i) = 0.51‖x_k − x_i‖² > r),
so F(x_i) has the sign of y_i: exact memorization. F_i is positive only where x is (up to the
1 % shift) closer to x_i than to every opposite-label point, so the network behaves like a
nearest-neighbour rule in the input space — and its layers are N₊N₋ and N wide (≥ d once N ≥ d),
the width the paper proves necessary for generalization.

Layer 1's weight rows are x_i − x_j: we store them factored, as the Gram layer x ↦ X(x − μ)
(an ``nn.Linear`` with the centred training points as rows) followed by the fixed ±1 difference
e_i − e_j and the biases c_ij. That is the same function, with O(N d + N_+ N_−) numbers instead of
O(N_+ N_− d); evaluation is chunked and exact (see ``_branch``).
"""

from __future__ import annotations

import numpy as np
import torch

from rulesfacts.errors import ConfigError
from rulesfacts.memorize.common import (
    CHUNK_ELEMENTS,
    MemorizationError,
    MemorizationNet,
    NetInfo,
    check_labels,
    fixed_linear,
)

SPLIT = 0.51  # the hyperplane sits at 0.51 x_i + 0.49 x_j (Theorem 7.3 restated, references.md §3)
MARGIN = 0.01  # r = MARGIN · min ‖x_i − x_j‖² over opposite-label pairs
CANDIDATES = 4  # opposite points tried first when pruning (exactness does not depend on it;
# on MNIST-like pairs 4 prune as many (i, x) as 32, measured)


class YuNetwork(MemorizationNet):
    """Yu et al.'s Theorem 7.3 network on (x, y), optionally behind a fixed width-k linear bottleneck.

    ``bottleneck`` (k < d) puts a random linear map R^d → R^k first and builds the construction
    on the projected points: the width experiment's "same construction, narrower than d".
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, bottleneck: int | None = None, seed: int = 0):
        super().__init__()
        y = check_labels(y)
        x = np.asarray(x, dtype=np.float64)
        d_in = x.shape[1]
        if bottleneck is not None:
            if not 1 <= bottleneck <= d_in:
                raise ConfigError("bottleneck", bottleneck, f"a width between 1 and the data dimension {d_in}")
            rng = np.random.default_rng(seed)
            proj = rng.standard_normal((bottleneck, d_in)) / np.sqrt(bottleneck)
            self.proj = fixed_linear(proj)
            x = x @ proj.T
        else:
            self.proj = None
        pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == -1)
        mu = x.mean(0)
        xc = np.concatenate([x[pos], x[neg]]) - mu  # centring only shrinks rounding error; S_ij is unchanged
        n_pos, n_neg = len(pos), len(neg)
        self.n_pos, self.n_neg = n_pos, n_neg
        # Gram layer: g(x) = X_c (x − μ); rows 0..P−1 are the +1 points, then the −1 points.
        self.gram = fixed_linear(xc, -xc @ mu)
        self.register_buffer("mu", torch.from_numpy(mu))
        norms = np.einsum("ij,ij->i", xc, xc)
        # c_ij = (x_i − x_j)·(0.51 x_i + 0.49 x_j) for i in +1, j in −1; the −1 side follows from it:
        # c_ji = c_ij + n_j − n_i (expand both dot products). Built in row chunks: O(P·Q) memory.
        bias, min_d2, knn = _pair_biases(xc[:n_pos], xc[n_pos:], norms[:n_pos], norms[n_pos:])
        if not min_d2 > 0:
            raise MemorizationError("two training inputs are identical but have opposite labels")
        # Layer-1 biases of both halves, as stored numbers: c_ij (i ∈ +1) and c_ji = c_ij + n_j − n_i.
        self.register_buffer("c_pos", torch.from_numpy(bias))
        self.register_buffer("c_neg", torch.from_numpy(np.ascontiguousarray(bias.T) + norms[n_pos:, None]
                                                        - norms[None, :n_pos]))
        self.register_buffer("norms", torch.from_numpy(norms))
        # per training point: its nearest opposite points and the distance² of the farthest of them
        self.knn = [(torch.from_numpy(i), torch.from_numpy(d)) for i, d in knn]
        self.r = MARGIN * min_d2
        d = x.shape[1]
        pairs = 2 * n_pos * n_neg
        n = n_pos + n_neg
        extra = (bottleneck * d_in) if bottleneck is not None else 0
        # dense net: layer 1 (pairs × d weights + biases), layer 2 (one weight per pair + N biases), output N.
        self.info = NetInfo(params=extra + pairs * (d + 1) + pairs + n + n, depth=3 + (bottleneck is not None),
                            width=min(pairs, n, bottleneck or n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.proj is not None:
            x = self.proj(x)
        g = self.gram(x)  # (B, N): x_i·x for every training point (centred)
        sq = ((x - self.mu) ** 2).sum(1)  # ‖x − μ‖², only to choose the evaluation shortcut
        P = self.n_pos
        gp, gn = g[:, :P].contiguous(), g[:, P:].contiguous()
        n_pos, n_neg = self.norms[:P], self.norms[P:]
        f_pos = _branch(gp, gn, n_pos, n_neg, sq, self.knn[0], self.c_pos, self.c_neg, self.r)
        f_neg = _branch(gn, gp, n_neg, n_pos, sq, self.knn[1], self.c_neg, self.c_pos, self.r)
        return f_pos.sum(1) - f_neg.sum(1)


def _branch(g_self, g_opp, norms_self, norms_opp, sq, knn, c_self, c_opp, r: float) -> torch.Tensor:
    """F_i(x) = ReLU(r − Σ_j ReLU(g_j(x) − g_i(x) + c_ij)) for every i of one label, exactly.

    g_* are (B, ·): x_i·x in centred coordinates; −S_ij(x) = g_j − g_i + c_ij. Two shortcuts keep
    the cost far below N_+·N_−·(points) without changing the result:
    1. every term is ≥ 0, so once a partial sum reaches r, F_i(x) = 0: a first pass sums over the
       ``CANDIDATES`` opposite points nearest to x and drops the (i, x) already at r (their
       biases are read from the other half's table, c_ij = c_ji − n_j + n_i, equal up to rounding);
    2. −S_ij(x) = −0.49‖x_i − x_j‖² − (x_i − x_j)·(x − x_i) ≤ √D_ij (‖x − x_i‖ − 0.49 √D_ij), so
       only opposite points with D_ij ≤ ‖x − x_i‖²/0.49² can contribute; when the ``NEAREST``
       opposite points of x_i cover that ball, the sum runs over those only.
    Memory stays O(CHUNK_ELEMENTS) besides the stored biases.
    """
    n_x, n_self, n_opp = g_self.shape[0], g_self.shape[1], g_opp.shape[1]
    out = torch.zeros(n_x, n_self, dtype=g_self.dtype)
    k = min(CANDIDATES, n_opp)
    # the opposite points nearest to x maximise x_j·x − ‖x_j‖²/2 (all in centred coordinates)
    cand = torch.topk(g_opp - 0.5 * norms_opp[None, :], k, dim=1).indices  # (B, k)
    step = max(1, CHUNK_ELEMENTS // max(1, n_self * k))
    for b0 in range(0, n_x, step):
        cb = cand[b0: b0 + step]  # (b, k)
        c = c_opp[cb] - norms_opp[cb][..., None] + norms_self[None, None, :]  # (b, k, I): c_ij
        go = torch.gather(g_opp[b0: b0 + step], 1, cb)  # (b, k)
        part = torch.relu(go[:, :, None] - g_self[b0: b0 + step, None, :] + c).sum(1)  # (b, I)
        alive = (part < r).nonzero()
        bb, ii = alive[:, 0] + b0, alive[:, 1]
        out[bb, ii] = _full_sums(ii, bb, g_self, g_opp, norms_self, sq, knn, c_self, r)
    return out


def _full_sums(ii, bb, g_self, g_opp, norms_self, sq, knn, c_self, r: float) -> torch.Tensor:
    """ReLU(r − Σ_j h_ij(x_b)) for the listed (i, b), using shortcut 2 where it provably applies."""
    near_idx, near_d2 = knn
    res = torch.empty(len(ii), dtype=g_self.dtype)
    if len(ii) == 0:
        return res
    gi = g_self[bb, ii]
    delta2 = (sq[bb] - 2 * gi + norms_self[ii]).clamp_min(0)  # ‖x − x_i‖²
    slack = 1e-9 * (sq[bb] + norms_self[ii] + 1.0)  # rounding in delta2, generously
    short = near_d2[ii] * (1 - 1e-9) > (delta2 + slack) / (1 - SPLIT) ** 2
    s_idx = short.nonzero().squeeze(1)
    per = max(1, CHUNK_ELEMENTS // max(1, near_idx.shape[1]))
    for s0 in range(0, len(s_idx), per):
        sel = s_idx[s0: s0 + per]
        i, b = ii[sel], bb[sel]
        j = near_idx[i]  # (s, K)
        terms = g_opp[b[:, None], j] - gi[sel][:, None] + c_self[i[:, None], j]
        res[sel] = torch.relu(r - torch.relu(terms).sum(-1))
    l_idx = (~short).nonzero().squeeze(1)
    per = max(1, CHUNK_ELEMENTS // max(1, g_opp.shape[1]))
    for s0 in range(0, len(l_idx), per):
        sel = l_idx[s0: s0 + per]
        i, b = ii[sel], bb[sel]
        terms = g_opp[b] - gi[sel][:, None] + c_self[i]
        res[sel] = torch.relu(r - torch.relu(terms).sum(-1))
    return res


NEAREST = 64  # opposite points remembered per training point for shortcut 2


def _pair_biases(a: np.ndarray, b: np.ndarray, na: np.ndarray, nb: np.ndarray):
    """c_ij for i in a, j in b; min ‖a_i − b_j‖²; and for every point its NEAREST opposite points.

    Works in row chunks so no temporary exceeds the (P, Q) result; the column side (b's nearest
    a points) is accumulated chunk by chunk.
    """
    P, Q = len(a), len(b)
    k_a, k_b = min(NEAREST, Q), min(NEAREST, P)
    bias = np.empty((P, Q))
    knn_a_idx, knn_a_d = np.empty((P, k_a), dtype=np.int64), np.empty((P, k_a))
    best_b_idx, best_b_d = np.zeros((0, Q), dtype=np.int64), np.zeros((0, Q))
    min_d2 = np.inf
    step = max(1, CHUNK_ELEMENTS // max(1, Q))
    for i in range(0, P, step):
        cross = a[i: i + step] @ b.T
        d2 = na[i: i + step, None] + nb[None, :] - 2 * cross
        bias[i: i + step] = SPLIT * na[i: i + step, None] - (2 * SPLIT - 1) * cross - (1 - SPLIT) * nb[None, :]
        min_d2 = min(min_d2, float(d2.min()))
        idx = np.argpartition(d2, k_a - 1, axis=1)[:, :k_a]
        knn_a_idx[i: i + step], knn_a_d[i: i + step] = _farthest_last(idx, np.take_along_axis(d2, idx, 1))
        # b side: merge this chunk's rows into the running k_b nearest a-points of every column
        cand_idx = np.concatenate([best_b_idx, np.arange(i, i + len(d2))[:, None].repeat(Q, 1)])
        cand_d = np.concatenate([best_b_d, d2])
        if len(cand_d) > k_b:
            sel = np.argpartition(cand_d, k_b - 1, axis=0)[:k_b]
            cand_idx, cand_d = np.take_along_axis(cand_idx, sel, 0), np.take_along_axis(cand_d, sel, 0)
        best_b_idx, best_b_d = cand_idx, cand_d
    knn_b = _farthest_last(best_b_idx.T, best_b_d.T)
    return bias, min_d2, [(knn_a_idx, knn_a_d[:, -1].copy()), (knn_b[0], knn_b[1][:, -1].copy())]


def _farthest_last(idx: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(d, axis=1)
    return np.take_along_axis(idx, order, 1), np.take_along_axis(d, order, 1)
