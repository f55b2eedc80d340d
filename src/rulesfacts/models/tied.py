"""The modular-addition model of PAIR's explorable "Do Machine Learning Models Memorize or
Generalize?" (Pearce, Ghandeharioun, Hussein, Thain, Wattenberg & Dixon 2023): a learned
embedding shared by both inputs and reused, transposed, as the unembedding, around one hidden
layer; batched over an ensemble of M members like ``EnsembleMLP``.

Per member, with E ∈ R^{p×d} (``d_embed``), W_in ∈ R^{d×N} and W_out ∈ R^{N×d} (N = ``width``):

    h      = act(E[a] W_in + E[b] W_in)        (the same projection for a and b)
    logits = (h W_out) Eᵀ                      (the embedding, transposed, is the unembedding)

No biases. E[a] W_in is row a of E W_in, so the hidden pre-activations are two row gathers of
one (p, N) product per member instead of two (n, d) × (d, N) products.

Init (``init_scale`` None): E ~ N(0, 1/d), so an embedding row has norm about 1; W_in ~ N(0, 1)
and W_out ~ N(0, 1/N), so the pre-activations and the logits have entries of order 1. A given
``init_scale`` σ sets every matrix to N(0, σ²) instead.

``embed = "circle"`` (PAIR's five-neuron model, d = 2): E is fixed, not trained, row n =
√(2/p)·(cos 2πn/p, sin 2πn/p): its two columns are orthonormal over the p tokens (Σ_n cos² = Σ_n
sin² = p/2 and Σ_n cos·sin = 0 for p ≥ 3). It is a buffer rebuilt from p, not a parameter: the
optimizer, weight decay and the penalties never see it, and checkpoints do not hold it;
``member_weights`` adds it under ``embed`` so that a run's weights.npz and its analysis read as a
learned model's. Its rows have norm √(2/p), not 1, so the default init is the fan-in one of PAIR's
notebook: W_in ~ N(0, 1/d), W_out ~ N(0, 1/N).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from rulesfacts.config.train import TrainConfig
from rulesfacts.models.base import Shape, StackedModel, squared_norms
from rulesfacts.models.handwritten import activation


class EnsembleTied(StackedModel):
    """M tied-embedding networks. ``vocab`` is the split's token count (2p: a in [0, p), b in
    [p, 2p)); b is folded onto the same p embedding rows, and the p outputs are the same numbers."""

    def __init__(self, cfgs: list[TrainConfig], vocab: int, n_out: int):
        super().__init__()
        cfg = cfgs[0]
        if vocab != 2 * n_out:
            raise ValueError("the tied model reads (a, b) token pairs with a in [0, p), b in [p, 2p) and p outputs")
        self.p, self.act = n_out, cfg.act
        self.d_embed, self.width = cfg.d_embed, cfg.width
        self.fixed = cfg.embed == "circle"
        if self.fixed:
            self.register_buffer("circle", circle_embedding(self.p), persistent=False)
        inits = [init_member(c, self.p) for c in cfgs]
        self.stack_members(inits)

    @classmethod
    def member_shapes(cls, cfg: TrainConfig, n_in: int | None, n_out: int | None) -> dict[str, Shape]:
        """E (p, d), W_in (d, N), W_out (N, d): the p numbers are the outputs (``n_out``; the 2p
        input tokens share their rows). A fixed circle's E is in the weights file too
        (``member_weights``), though not a trained parameter."""
        d, w = cfg.d_embed, cfg.width
        return {"embed": (n_out, d), "W_in": (d, w), "W_out": (w, d)}

    def embedding(self) -> torch.Tensor:
        """E (M, p, d): the members' learned embeddings, or the fixed circle seen by every member."""
        if self.fixed:
            return self.circle.expand(self.n_members, -1, -1)
        return self.params["embed"]

    def member_weights(self, i: int) -> dict[str, np.ndarray]:
        """Member i's arrays, with the fixed embedding under ``embed`` too (what analysis reads);
        ``load_member_weights`` sets the trained ones and leaves the fixed one as it is."""
        weights = super().member_weights(i)
        if self.fixed:
            weights = {"embed": self.circle.detach().float().cpu().numpy(), **weights}
        return weights

    def hidden_pre(self, x: torch.Tensor) -> torch.Tensor:
        """E[a] W_in + E[b] W_in: (M, n, N) of token ids ``x`` (M, n, 2)."""
        m, n = x.shape[0], x.shape[1]
        proj = torch.bmm(self.embedding(), self.params["W_in"])  # (M, p, N): row i is E[i] W_in
        tok = torch.stack([x[..., 0], x[..., 1] - self.p], dim=2)  # (M, n, 2) in [0, p)
        offset = (torch.arange(m, device=x.device) * self.p).view(m, 1, 1)
        rows = F.embedding((tok + offset).view(m, -1), proj.reshape(m * self.p, -1))
        return rows.view(m, n, 2, -1).sum(dim=2)

    def forward(self, x: torch.Tensor, masks: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (M, n, p). ``masks`` is ignored (no dropout)."""
        h = activation(self.act, self.hidden_pre(x))
        return torch.bmm(torch.bmm(h, self.params["W_out"]), self.embedding().transpose(1, 2))

    def weight_norms(self) -> torch.Tensor:
        """``norm_in``: the learned embedding and W_in (the embedding, also the unembedding, counts
        once, here; the fixed circle, ‖E‖² = 2 always, does not count); ``norm_out``: W_out."""
        P = self.params
        return torch.stack([squared_norms([P[k] for k in ("embed", "W_in") if k in P]), squared_norms([P["W_out"]])],
                           dim=1)

    def train_flops(self, n_train: int) -> float:
        """One full-batch epoch, multiply-add as two, backward as twice the forward (every
        product's inputs need their gradients, down to a learned embedding; a fixed one needs
        fewer, so this is an upper bound there)."""
        return 3 * self.eval_flops(n_train)

    def eval_flops(self, n: int) -> float:
        """A forward pass: E W_in once per member, then per example the sum of two rows, W_out and
        the unembedding."""
        d, w, p = self.d_embed, self.width, self.p
        per_member = 2 * p * d * w + n * (w + 2 * w * d + 2 * d * p)
        return float(per_member * self.n_members)



def circle_embedding(p: int) -> torch.Tensor:
    """The fixed embedding (p, 2): row n = (cos 2πn/p, sin 2πn/p), each column scaled to unit
    norm over the p tokens (√(2/p) for p ≥ 3; at p = 2 the sine column is zero)."""
    if p < 3:
        raise ValueError("the circle embedding needs p >= 3")
    angle = 2 * math.pi * torch.arange(p, dtype=torch.float64) / p
    e = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    return (e / e.norm(dim=0)).float()


def init_member(cfg: TrainConfig, p: int) -> dict[str, torch.Tensor]:
    """One member's parameters from its own seed (independent of the ensemble it trains in); no
    ``embed`` for the fixed circle. The draws are in the order embed, W_in, W_out, the embedding's
    drawn for the circle too, so a circle run's W_in and W_out start as a learned run's would at
    the same σ."""
    g = torch.Generator().manual_seed(cfg.seed)
    d, w = cfg.d_embed, cfg.width
    shapes = EnsembleTied.member_shapes(cfg, 2 * p, p)
    stds = {"embed": 1 / math.sqrt(d), "W_in": 1.0 if cfg.embed == "learned" else 1 / math.sqrt(d),
            "W_out": 1 / math.sqrt(w)}
    drawn = {name: torch.randn(shape, generator=g) * (cfg.init_scale if cfg.init_scale is not None else stds[name])
             for name, shape in shapes.items()}
    if cfg.embed == "circle":
        del drawn["embed"]
    return drawn
