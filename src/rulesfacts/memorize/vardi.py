"""M3: a bit-extraction memorization network in the style of Vardi, Yehudai & Shamir (ICLR 2022).

Simplified (method "m3"); the construction as published, deep and narrow, is
``rulesfacts.memorize.blocks.VardiSqrtNetwork`` (method "vardi").

Vardi et al. reach the optimal Õ(√N) parameters by (1) projecting the data to one dimension
and quantizing it to integer ids, (2) splitting the sorted points into ≈√N blocks and storing
each block's ≈√N labels as the binary digits of ONE weight, and (3) reading the wanted digit
back with a deep, narrow ReLU "bit extraction" network (depth Õ(√N)).

What we build follows (2) and (3) exactly and simplifies (1):

    t      = u·x                                   (random direction, as in M2; width 1)
    rank   = Σ_k step_k(t)                         (one ReLU step per gap between sorted points)
    block  = Σ_b step(rank − b·m + ½),  pos = rank − m·block
    v      = Σ_b (w_b − w_{b−1}) 2^{−m} step_b     (the block's word, a dyadic number in [0, 1))
    for k = 0..m−1:  bit_k = step(v ≥ ½),  v ← 2v − bit_k,  acc += ReLU(bit_k + [pos = k] − 1)
    F(x)   = 2·acc − 1

where w_b = Σ_k label_{b,k} 2^{m−1−k} holds the 0/1 labels of block b (m ≤ 50 bits, so the
word is exact in float64). Every step is a ReLU ramp narrower than the spacing of the values
it sees, so training points land on flat parts; the block and bit steps use the two-layer clamp
1 − ReLU(1 − ReLU(z)), which returns exactly 0 or 1 (no rounding enters the word or the chain).
Exact memorization, checked by evaluation in the tests.

Difference from Vardi et al.: they quantize t to integer ids with another bit-extraction
network (O(√N) parameters) and compare ids; we get the rank from a width-(2N) staircase of
fixed thresholds, so our M3 has O(N) biases in that one layer (the label storage is still
√N words of √N bits). The network is narrow (width 1 after the projection, ≤ 8 in the
extraction chain) and deep (3m + 7 layers), which is what matters for the width ≥ d theorem.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from rulesfacts.errors import ConfigError
from rulesfacts.memorize.common import (
    MemorizationNet,
    NetInfo,
    check_labels,
    fixed_linear,
    nonzero_params,
    projection_direction,
)

MAX_BITS = 50  # a float64 mantissa holds 52 bits; keep a margin


class VardiNetwork(MemorizationNet):
    """Projection, rank staircase, √N words of √N label bits, and a ReLU bit-extraction chain."""

    def __init__(self, x: np.ndarray, y: np.ndarray, seed: int = 0, bits: int | None = None):
        super().__init__()
        y = check_labels(y)
        x = np.asarray(x, dtype=np.float64)
        u, _ = projection_direction(x, y, seed, all_gaps=True)
        t = x @ u
        shift = float(t.mean())
        t = t - shift
        values, first = np.unique(t, return_index=True)  # equal projections share a label (checked above)
        labels01 = (y[first] > 0).astype(np.int64)
        n = len(values)
        m = bits if bits is not None else max(1, min(MAX_BITS, math.ceil(math.sqrt(n))))
        if not 1 <= m <= MAX_BITS:
            raise ConfigError("bits", bits, f"an integer from 1 to {MAX_BITS} (float64 words)")
        n_blocks = math.ceil(n / m)
        self.bits, self.n_blocks = m, n_blocks
        self.proj = fixed_linear(u[None, :], np.array([-shift]))

        # layer 1: rank staircase, one ramp in the middle of every gap (width 2(n − 1))
        gaps = np.diff(values)
        theta, w = values[:-1] + gaps / 2, gaps / 4
        self.rank_units = fixed_linear(np.ones((2 * (n - 1), 1)), np.concatenate([-(theta - w), -(theta + w)]))
        rank_coef = np.concatenate([1 / (2 * w), -1 / (2 * w)])  # rank = rank_coef · layer-1 output

        # layer 2: rank as one unit (a sum of non-negative ramps, so ReLU leaves it unchanged)
        self.rank_sum = fixed_linear(rank_coef[None, :], np.zeros(1))
        # layers 3-4: exact block indicators s_b = 1 − ReLU(1 − ReLU(2(rank − e_b + ¾))), e_b = b·m.
        # The two-ReLU clamp returns exactly 0 or 1 away from the ramp, which keeps the word exact.
        edges = np.arange(1, n_blocks) * m
        nb = n_blocks - 1
        w3 = np.zeros((1 + nb, 1))
        w3[:, 0] = np.concatenate([[1.0], np.full(nb, 2.0)])
        self.block_ramp = fixed_linear(w3, np.concatenate([[0.0], -2.0 * (edges - 0.75)]))
        w4 = np.zeros((1 + nb, 1 + nb))
        w4[0, 0] = 1.0
        w4[1:, 1:] = -np.eye(nb)
        self.block_clamp = fixed_linear(w4, np.concatenate([[0.0], np.ones(nb)]))

        # layer 5: state (v, pos, acc, and) = (word/2^m, rank − m·block, 0, 0), with s_b = 1 − c_b
        words = np.zeros(n_blocks)
        for b in range(n_blocks):
            chunk = labels01[b * m: (b + 1) * m]
            words[b] = sum(int(lab) << (m - 1 - k) for k, lab in enumerate(chunk))
        scale = 2.0 ** -m
        dv = np.diff(words) * scale
        w5 = np.zeros((4, 1 + nb))
        b5 = np.zeros(4)
        w5[0, 1:] = -dv
        b5[0] = words[0] * scale + dv.sum()
        w5[1, 0] = 1.0
        w5[1, 1:] = m
        b5[1] = -m * nb
        self.state = fixed_linear(w5, b5)

        # the bit-extraction chain: two layers per bit
        chain: list[nn.Linear] = []
        for k in range(m):
            chain += list(_bit_step(k, m))
        self.chain = nn.ModuleList(chain)
        self.out = fixed_linear(np.array([[0.0, 0.0, 2.0, 2.0]]), np.array([-1.0]))
        layers = [self.proj, self.rank_units, self.rank_sum, self.block_ramp, self.block_clamp, self.state,
                  *chain, self.out]
        self.info = NetInfo(params=nonzero_params(*layers), depth=len(layers), width=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.rank_units(self.proj(x)))
        for layer in (self.rank_sum, self.block_ramp, self.block_clamp, self.state):
            h = torch.relu(layer(h))
        for layer in self.chain:
            h = torch.relu(layer(h))
        return self.out(h).squeeze(-1)


def _bit_step(k: int, m: int) -> tuple[nn.Linear, nn.Linear, nn.Linear]:
    """Read bit k (most significant first) of v and add it to acc if pos == k: three layers.

    Before step k, v is a multiple of 2^{k−m} in [0, 1); the largest value below ½ is
    ½ − 2^{k−m}, so z = (v − lo)/(hi − lo) with lo = ½ − ¾·2^{k−m}, hi = ½ − ¼·2^{k−m} is ≤ −1 or
    ≥ 1, computed without rounding (dyadic numbers), and the clamp bit = 1 − ReLU(1 − ReLU(z))
    is exactly 0 or 1 — the chain never accumulates error. [pos = k] is a plateau, 1 on
    |pos − k| ≤ ¼ and 0 beyond ¾ (pos is an integer at training points, up to rounding).
    State in and out: (v, pos, acc, hit) — the previous step's hit is folded into acc.
    """
    q = 2.0 ** (k - m)
    lo, hi = 0.5 - 0.75 * q, 0.5 - 0.25 * q
    s = 1.0 / (hi - lo)
    # A: v, pos, acc + hit, ReLU(z), four ramps of pos around k
    wa = np.zeros((8, 4))
    ba = np.zeros(8)
    wa[0, 0] = wa[1, 1] = 1.0
    wa[2, 2] = wa[2, 3] = 1.0
    wa[3, 0], ba[3] = s, -s * lo
    for j, c in enumerate((k - 0.75, k - 0.25, k + 0.25, k + 0.75)):
        wa[4 + j, 1], ba[4 + j] = 1.0, -c
    # B: v, pos, acc, c = ReLU(1 − ReLU(z)) (bit = 1 − c), eq = ReLU(2(r0 − r1) − 2(r2 − r3))
    wb = np.zeros((5, 8))
    bb = np.zeros(5)
    wb[0, 0] = wb[1, 1] = wb[2, 2] = 1.0
    wb[3, 3], bb[3] = -1.0, 1.0
    wb[4, 4:8] = (2.0, -2.0, -2.0, 2.0)
    # C: v' = 2v − bit = 2v − 1 + c, pos, acc, hit = ReLU(bit + eq − 1) = ReLU(eq − c)
    wc = np.zeros((4, 5))
    bc = np.zeros(4)
    wc[0, 0], wc[0, 3], bc[0] = 2.0, 1.0, -1.0
    wc[1, 1] = wc[2, 2] = 1.0
    wc[3, 4], wc[3, 3] = 1.0, -1.0
    return fixed_linear(wa, ba), fixed_linear(wb, bb), fixed_linear(wc, bc)
