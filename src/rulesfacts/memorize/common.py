"""What every memorization network shares: float64 evaluation in chunks, the ±1 decision rule,
parameter/depth/width reports, and the exact-memorization check (evaluated, never assumed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rulesfacts.errors import RulesfactsError

# Elements per intermediate tensor: bounds memory (2^22 float64 = 32 MiB) whatever N is.
CHUNK_ELEMENTS = 1 << 22


class MemorizationError(RulesfactsError):
    """The data cannot be memorized (e.g. identical inputs with opposite labels)."""


@dataclass(frozen=True)
class NetInfo:
    """Size of a network as the paper counts it: nonzero weights and biases of the dense ReLU net."""

    params: int
    depth: int  # number of affine layers (hidden ReLU layers + the output layer)
    width: int  # narrowest hidden layer: the quantity of Yu et al.'s width ≥ d theorem


class MemorizationNet(nn.Module):
    """A network whose weights are set by a construction, not trained. Outputs one real score per input."""

    info: NetInfo

    def score(self, x: np.ndarray | torch.Tensor) -> np.ndarray:
        """The network's output F(x) for every row of ``x``, evaluated in float64 chunks."""
        x = torch.as_tensor(np.asarray(x, dtype=np.float64))
        rows = max(1, CHUNK_ELEMENTS // max(1, x.shape[1]))
        with torch.no_grad():
            out = [self.forward(x[i: i + rows]) for i in range(0, len(x), rows)]
        return torch.cat(out).numpy() if out else np.zeros(0)

    def predict(self, x: np.ndarray | torch.Tensor) -> np.ndarray:
        """Label +1 where F(x) > 0, else −1 (F = 0, "no training point claims x", counts as −1)."""
        return decide(self.score(x))


def decide(scores: np.ndarray) -> np.ndarray:
    """The ±1 decision rule on network outputs: +1 where F(x) > 0, else −1."""
    return np.where(scores > 0, 1, -1)


def accuracy(net: MemorizationNet, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows with predict(x) == y (labels ±1)."""
    if len(y) == 0:
        return float("nan")
    return float(np.mean(net.predict(x) == np.asarray(y)))


def check_labels(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if not np.isin(y, (-1, 1)).all():
        raise MemorizationError("labels must be +1 or -1")
    if len(np.unique(y)) < 2:
        raise MemorizationError("need training points of both labels")
    return y.astype(np.int64)


def fixed_linear(weight: np.ndarray, bias: np.ndarray | None = None) -> nn.Linear:
    """An ``nn.Linear`` (float64, no gradients) holding the given weight (out, in) and bias."""
    weight = np.atleast_2d(np.asarray(weight, dtype=np.float64))
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight))
        if bias is not None:
            layer.bias.copy_(torch.from_numpy(np.asarray(bias, dtype=np.float64).reshape(-1)))
    layer.requires_grad_(False)
    return layer


def nonzero_params(*layers: nn.Module) -> int:
    """Parameters as the paper counts them: the nonzero weights and biases."""
    return int(sum(int(torch.count_nonzero(p)) for layer in layers for p in layer.parameters()))


def projection_direction(x: np.ndarray, y: np.ndarray, seed: int, tries: int = 32,
                         all_gaps: bool = False) -> tuple[np.ndarray, float]:
    """A random unit vector u that keeps the points apart on the line (Park et al. 2021, Lemma 3.1 idea).

    Park et al. show a random direction keeps distinct points at gap ≥ δ/(N²√d)-order with
    positive probability; we draw ``tries`` directions and keep the one with the largest smallest
    gap (relative to the spread). Gaps between opposite labels always count; with ``all_gaps``
    also those between distinct projected values of the same label (bit extraction needs ranks).
    Returns (u, smallest gap). Raises if every direction merges two points that must stay apart.
    """
    rng = np.random.default_rng(seed)
    best_u, best_rel, best_gap = None, -1.0, 0.0
    for _ in range(tries):
        u = rng.standard_normal(x.shape[1])
        u /= np.linalg.norm(u)
        t = x @ u
        gap = _min_gap(t, y, all_gaps)
        rel = gap / max(float(t.max() - t.min()), 1e-300)
        if rel > best_rel:
            best_u, best_rel, best_gap = u, rel, gap
    if best_gap <= 0:
        raise MemorizationError("every projection direction tried merges two points of opposite labels "
                                "(identical inputs with different labels cannot be memorized)")
    return best_u, best_gap


def _min_gap(t: np.ndarray, y: np.ndarray, all_gaps: bool) -> float:
    """Smallest distance between consecutive projected values of opposite labels (0 if two coincide);
    with ``all_gaps`` also the smallest nonzero gap overall (equal values are merged as one point)."""
    order = np.lexsort((y, t))
    ts, ys = t[order], y[order]
    d = np.diff(ts)
    opp = d[ys[1:] != ys[:-1]]
    # equal t with opposite labels: lexsort puts them side by side only if no third value intervenes,
    # which holds because equal t values are contiguous; so opp catches every collision.
    cand = [opp] + ([d[d > 0]] if all_gaps else [])
    cand = np.concatenate(cand)
    return float(cand.min()) if len(cand) else float("inf")
