"""M2: a projection memorization network in the style of Park, Lee, Yun & Shin (COLT 2021).

Simplified (method "m2"); the construction as published, deep and narrow, is
``rulesfacts.memorize.blocks.ParkDeepNetwork`` (method "park").

Park et al. first project the data onto one random direction u (their Lemma: a random
direction keeps distinct points apart on the line), then memorize the N scalars u·x_i with a
deep, narrow network of O(N^{2/3}) parameters. What Yu et al. (2024, Theorem 5.x) show fails to
generalize is the first step: everything after it sees only u·x, a width-1 bottleneck far
below the data dimension d.

What we build (a documented simplification): the same projection (``projection_direction``:
best of several random directions by the smallest gap between opposite labels), then a
shallow step network on the line:

    t = u·x;   f(t) = y_(1) + Σ_k (y_(k+1) − y_(k)) · step_k(t),
    step_k(t) = [ReLU(t − θ_k + w_k) − ReLU(t − θ_k − w_k)] / (2 w_k),

with one step at the midpoint θ_k of every gap where the label changes along the line and
w_k = gap/4, so every training point sits on a flat part: f(x_i) = y_i exactly. Parameters
O(d + #label changes) instead of Park's O(N^{2/3}) deep memorizer; the function on the line
differs between training points, the bottleneck (and hence the generalization failure) is
the same.
"""

from __future__ import annotations

import numpy as np
import torch

from rulesfacts.memorize.common import (
    MemorizationNet,
    NetInfo,
    check_labels,
    fixed_linear,
    nonzero_params,
    projection_direction,
)


class ParkNetwork(MemorizationNet):
    """Project to one dimension, then memorize the labels on the line with ReLU steps."""

    def __init__(self, x: np.ndarray, y: np.ndarray, seed: int = 0):
        super().__init__()
        y = check_labels(y)
        x = np.asarray(x, dtype=np.float64)
        u, _ = projection_direction(x, y, seed)
        t = x @ u
        shift = float(t.mean())  # centre the line: smaller |t| keeps the steep steps exact
        t = t - shift
        order = np.lexsort((y, t))
        ts, ys = t[order], y[order]
        change = np.flatnonzero(ys[1:] != ys[:-1])
        theta = 0.5 * (ts[change] + ts[change + 1])
        w = 0.25 * (ts[change + 1] - ts[change])
        jump = (ys[change + 1] - ys[change]).astype(np.float64)
        self.proj = fixed_linear(u[None, :], np.array([-shift]))
        self.hidden = fixed_linear(np.ones((2 * len(theta), 1)), np.concatenate([-(theta - w), -(theta + w)]))
        slope = jump / (2 * w)
        self.out = fixed_linear(np.concatenate([slope, -slope])[None, :], np.array([float(ys[0])]))
        self.info = NetInfo(params=nonzero_params(self.proj, self.hidden, self.out), depth=3, width=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.hidden(self.proj(x)))).squeeze(-1)
